//! The break-glass inventory: model, safe storage, and the hash-chained check history.

pub mod history;
pub mod lock;
pub mod model;
pub mod roster;
pub mod store;

pub use model::{
    Account, CheckEntry, Identity, Inventory, KeyEntry, KeyTransport, Observation, ObservedPasskey,
    Policy,
};
pub use store::{InventoryError, Store};
