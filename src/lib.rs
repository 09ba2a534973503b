//! glasskey: audit and inventory the FIDO2 security keys that guard break-glass accounts.
//!
//! Layers, each talking only to the one below (see docs/architecture.md):
//! `transport` (one 64-byte report at a time) → `ctaphid` (messages) → `ctap2` (commands,
//! PIN protocols, safety rules) → `device` (one opened key) → commands.

pub mod advisories;
pub mod attestation;
pub mod audit;
pub mod cli;
pub mod ctap2;
pub mod ctaphid;
pub mod device;
pub mod entra;
pub mod files;
pub mod identity;
pub mod inventory;
pub mod mds;
pub mod models;
pub mod report;
pub mod secret;
pub mod transport;
pub mod untrusted;
pub mod util;
pub mod vendor;
pub mod virtual_key;
