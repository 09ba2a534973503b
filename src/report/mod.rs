//! Reports as data first (one typed model), rendered per format (DESIGN §10).

pub mod audit;
