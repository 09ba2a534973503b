//! Reports as data first (one typed model each: `audit`, `sheet`), rendered per format
//! (`html`, `markdown`, `csv`; JSON through serde) — DESIGN §10.

pub mod audit;
pub mod csv;
pub mod entra;
pub mod escape;
pub mod findings;
pub mod html;
pub mod markdown;
pub mod sheet;
