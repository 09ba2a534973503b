//! The export bundle (docs/entra-export.md): what the script glasskey prints writes, holding
//! Graph's raw responses. It is untrusted input: its size is capped, every field is typed, and
//! an error names the path inside the JSON where it went wrong.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::EntraError;

/// A few break-glass accounts make an export of kilobytes; 128 MiB leaves room for tenants that
/// export thousands of accounts (see benches/entra.rs) and refuses anything absurd.
pub const MAX_EXPORT_BYTES: u64 = 128 * 1024 * 1024;
/// The bundle format this glasskey reads.
pub const FORMAT_VERSION: u32 = 1;

/// An RFC 3339 instant as Graph writes it ("2022-06-06T16:43:04.6438213Z").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub OffsetDateTime);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .map(Timestamp)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 date")))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let utc = self.0.to_offset(time::UtcOffset::UTC);
        let text = utc
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Bundle {
    pub glasskey_entra_export: u32,
    pub exported_date_time: Timestamp,
    pub tenant: Tenant,
    /// GET /v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2
    pub fido2_configuration: Fido2Configuration,
    pub accounts: Vec<AccountExport>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub default_domain: String,
    #[serde(default)]
    pub verified_domains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountExport {
    pub upn: String,
    /// GET /v1.0/users/{upn}?$select=id,userPrincipalName,accountEnabled,onPremisesSyncEnabled[,signInActivity]
    pub user: User,
    /// GET /v1.0/users/{upn}/authentication/methods
    pub methods: Collection<Method>,
    /// GET /beta/users/{upn}/authentication/fido2Methods
    pub fido2_methods: Collection<Method>,
    /// GET /v1.0/users/{upn}/transitiveMemberOf?$select=id
    pub transitive_member_of: Collection<DirectoryObject>,
}

/// A Graph collection response, pages already joined by the script.
#[derive(Debug, Clone, Deserialize)]
pub struct Collection<T> {
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    pub value: Vec<T>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub user_principal_name: String,
    pub account_enabled: bool,
    #[serde(default)]
    pub on_premises_sync_enabled: Option<bool>,
    #[serde(default)]
    pub sign_in_activity: Option<SignInActivity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    #[serde(default)]
    pub last_successful_sign_in_date_time: Option<Timestamp>,
    #[serde(default)]
    pub last_sign_in_date_time: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DirectoryObject {
    pub id: String,
}

/// Text from Graph, kept compact: an export holds hundreds of thousands of these.
pub type Text = Box<str>;

/// One authenticationMethod of any derived type: the fields glasskey reads, all optional
/// because each type has its own. Fields glasskey does not read are skipped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<Text>,
    pub id: String,
    #[serde(default)]
    pub display_name: Option<Text>,
    #[serde(default)]
    pub created_date_time: Option<Timestamp>,
    /// The methods list spells the fido2 registration date this way.
    #[serde(default)]
    pub creation_date_time: Option<Timestamp>,
    #[serde(default)]
    pub last_used_date_time: Option<Timestamp>,
    #[serde(default)]
    pub aa_guid: Option<Text>,
    #[serde(default)]
    pub model: Option<Text>,
    #[serde(default)]
    pub attestation_certificates: Option<Vec<Text>>,
    #[serde(default)]
    pub attestation_level: Option<Text>,
    #[serde(default)]
    pub passkey_type: Option<Text>,
    #[serde(default)]
    pub is_usable: Option<bool>,
    #[serde(default)]
    pub method_usability_reason: Option<Text>,
    #[serde(default)]
    pub start_date_time: Option<Timestamp>,
    #[serde(default)]
    pub lifetime_in_minutes: Option<i64>,
    #[serde(default)]
    pub is_usable_once: Option<bool>,
    #[serde(default)]
    pub phone_number: Option<Text>,
    #[serde(default)]
    pub phone_type: Option<Text>,
    #[serde(default)]
    pub email_address: Option<Text>,
}

impl Method {
    /// Registration date, under either of Graph's spellings.
    pub fn created(&self) -> Option<Timestamp> {
        self.created_date_time.or(self.creation_date_time)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fido2Configuration {
    pub state: MethodState,
    #[serde(default)]
    pub is_attestation_enforced: Option<bool>,
    #[serde(default)]
    pub key_restrictions: Option<KeyRestrictions>,
    pub include_targets: Vec<Target>,
    #[serde(default)]
    pub exclude_targets: Vec<Target>,
    #[serde(default)]
    pub passkey_profiles: Vec<PasskeyProfile>,
    #[serde(default)]
    pub default_passkey_profile: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MethodState {
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRestrictions {
    /// Graph documents `isEnforced`; some tooling writes `isEnforcementEnabled`.
    #[serde(alias = "isEnforcementEnabled")]
    pub is_enforced: bool,
    pub enforcement_type: EnforcementType,
    #[serde(default)]
    pub aa_guids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnforcementType {
    Allow,
    Block,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(default)]
    pub target_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub allowed_passkey_profiles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyProfile {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// A flags value: "deviceBound", "synced" or "deviceBound,synced".
    pub passkey_types: String,
    #[serde(default)]
    pub key_restrictions: Option<KeyRestrictions>,
}

impl PasskeyProfile {
    pub fn allows_device_bound(&self) -> bool {
        self.passkey_types
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("deviceBound"))
    }
}

/// A parsed export and the facts about the file it came from.
#[derive(Debug, Clone)]
pub struct Export {
    pub bundle: Bundle,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// Reads and parses an export file, at most MAX_EXPORT_BYTES.
pub fn load(path: &Path) -> Result<Export, EntraError> {
    let io = |e: std::io::Error| EntraError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    // A FIFO or a device is refused at once rather than read without end.
    let file = crate::inventory::store::open_regular(path).map_err(io)?;
    // Sized from the file, so that reading never holds two growing copies of a large export.
    let expected = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_EXPORT_BYTES + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
    file.take(MAX_EXPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_EXPORT_BYTES {
        return Err(EntraError::TooLarge {
            limit: MAX_EXPORT_BYTES,
        });
    }
    parse(&bytes)
}

/// Parses an export from its bytes.
pub fn parse(bytes: &[u8]) -> Result<Export, EntraError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let bundle: Bundle = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        EntraError::Json {
            path,
            message: e.into_inner().to_string(),
        }
    })?;
    if bundle.glasskey_entra_export != FORMAT_VERSION {
        return Err(EntraError::Json {
            path: "glasskeyEntraExport".into(),
            message: format!(
                "format {} is not the {FORMAT_VERSION} this glasskey reads",
                bundle.glasskey_entra_export
            ),
        });
    }
    check_complete(&bundle)?;
    Ok(Export { bundle, sha256 })
}

/// A collection that still has a next page is an export cut short.
fn check_complete(bundle: &Bundle) -> Result<(), EntraError> {
    for (i, a) in bundle.accounts.iter().enumerate() {
        let pages = [
            ("methods", a.methods.next_link.is_some()),
            ("fido2Methods", a.fido2_methods.next_link.is_some()),
            (
                "transitiveMemberOf",
                a.transitive_member_of.next_link.is_some(),
            ),
        ];
        if let Some((name, _)) = pages.iter().find(|(_, more)| *more) {
            return Err(EntraError::Incomplete {
                path: format!("accounts[{i}].{name}.@odata.nextLink"),
            });
        }
    }
    Ok(())
}
