//! The audit: findings with stable rule IDs (rules.rs), computed from observations recorded in
//! the inventory (observe.rs talks to the key; rules.rs never does).

pub mod claim;
pub mod finding;
pub mod integrity;
pub mod location;
pub mod lookalike;
pub mod observe;
pub mod rules;
pub mod vetting;

pub use finding::{Finding, Rule, Severity};
