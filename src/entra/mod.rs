//! The account side (DESIGN §5): an offline export of each break-glass account's Entra
//! registrations and the tenant's FIDO2 policy, reconciled with the keys' recorded passkeys by
//! credential ID. glasskey never talks to Graph: `script` prints what the admin runs with their
//! own session, `export` reads the file it writes, `reconcile` turns both into findings.

pub mod aaguid;
mod account_policy;
mod agreement;
mod chronology;
pub mod consistency;
pub mod credential_id;
pub mod export;
mod joined;
pub mod method;
pub mod methods;
mod other_methods;
pub mod policy;
pub mod reconcile;
pub mod rules;
pub mod script;
pub mod synth;
pub mod view;

pub use export::{load, parse, Export};
pub use reconcile::{reconcile, Reconciliation};

#[derive(Debug, thiserror::Error)]
pub enum EntraError {
    #[error("cannot read the Entra export {path}: {message}")]
    Io { path: String, message: String },
    #[error("the Entra export is larger than {limit} bytes: this is not an export from `glasskey entra script`")]
    TooLarge { limit: u64 },
    #[error("the Entra export is malformed at {path}: {message}. Run the script from `glasskey entra script` again and do not edit its output")]
    Json { path: String, message: String },
    #[error("the Entra export is incomplete: {path} says more results follow. Run the script from `glasskey entra script` again (it follows every page)")]
    Incomplete { path: String },
    #[error("the Entra export is malformed at {path}: passkey id {id:?} is not a credential ID ({reason})")]
    BadCredentialId {
        path: String,
        id: String,
        reason: credential_id::CredentialIdError,
    },
    #[error("GK041: the Entra export is for tenant {export}, the inventory for {inventory}: export from the right tenant")]
    OtherTenant { inventory: String, export: String },
    #[error("the Entra export is dated {date}, in the future: check this computer's clock and the export")]
    FromTheFuture { date: String },
    #[error("the Entra export has no entry for {0}: run the script from `glasskey entra script` for this inventory again")]
    MissingAccount(String),
}
