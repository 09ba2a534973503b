//! What a reconciliation shows, per account, method and key: the JSON of `entra check` and the
//! Entra side of sheets and audit reports.

use serde::Serialize;

use super::export::{Text, Timestamp};
use super::methods::MethodKind;
use crate::audit::Finding;

#[derive(Debug, Clone, Serialize)]
pub struct ExportInfo {
    pub sha256: String,
    pub date: String,
    pub age_days: i64,
    pub tenant_id: String,
    pub tenant_domain: String,
}

/// What Entra says about one inventoried key's passkey.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedMethod {
    pub account: String,
    pub method_id: String,
    pub display_name: Option<String>,
    pub created: Option<String>,
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    pub label: String,
    pub account: String,
    /// None when the key's passkeys were never read (no observation yet).
    pub observed: bool,
    pub entra: Option<MatchedMethod>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MethodView {
    pub kind: MethodKind,
    /// Graph's type name, kept for a type glasskey does not know.
    pub odata_type: Option<Text>,
    pub id: Text,
    pub display_name: Option<Text>,
    pub created: Option<Timestamp>,
    pub last_used: Option<Timestamp>,
    /// The inventoried key holding this passkey.
    pub key: Option<Text>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignInEvidence {
    /// Which field the date came from.
    pub source: String,
    pub date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub upn: String,
    pub user_id: String,
    pub account_enabled: bool,
    pub on_premises_sync_enabled: bool,
    pub fido2_policy_targets: bool,
    /// The latest successful sign-in the export shows; None when it carries no such evidence.
    pub last_sign_in: Option<SignInEvidence>,
    pub methods: Vec<MethodView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub export: ExportInfo,
    pub fido2_method_enabled: bool,
    pub accounts: Vec<AccountView>,
    pub keys: Vec<KeyView>,
    /// Accounts in the export that the inventory does not list (not checked).
    pub other_accounts: Vec<String>,
    pub findings: Vec<Finding>,
}
