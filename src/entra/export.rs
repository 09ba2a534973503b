//! The export bundle (docs/entra-export.md): what the script glasskey prints writes, holding
//! Graph's raw responses. It is untrusted input: its size is capped, every field is typed, and
//! an error names the path inside the JSON where it went wrong.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::aaguid::Aaguid;
pub use super::method::{Bounded, Method};
use super::EntraError;

/// A few break-glass accounts make an export of kilobytes; 128 MiB leaves room for tenants that
/// export thousands of accounts (see benches/entra.rs) and refuses anything absurd.
pub const MAX_EXPORT_BYTES: u64 = 128 * 1024 * 1024;
/// List bounds, far above anything a break-glass export holds (an account has a handful of
/// methods, a tenant a few break-glass accounts): a longer list is refused while it is read.
pub const MAX_METHODS: usize = 1000;
pub const MAX_GROUPS: usize = 100_000;
pub const MAX_ACCOUNTS: usize = 100_000;
pub const MAX_DOMAINS: usize = 5000;
/// The bundle format this glasskey reads.
pub const FORMAT_VERSION: u32 = 1;

/// An RFC 3339 instant as Graph writes it ("2022-06-06T16:43:04.6438213Z").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub OffsetDateTime);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::method::read_str(d, |text| {
            OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(Timestamp)
                .map_err(|_| format!("{text:?} is not an RFC 3339 date"))
        })
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
    pub accounts: Bounded<AccountExport, MAX_ACCOUNTS>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub default_domain: String,
    /// The `*.onmicrosoft.com` domain Entra created with the tenant (`isInitial`): it cannot be
    /// removed or moved to another tenant, so it names the tenant even when a custom domain is
    /// the default. Absent from bundles written before the scripts recorded it.
    #[serde(default)]
    pub initial_domain: Option<String>,
    /// Never matched: a verified domain says which domains the export's tenant holds, not that it
    /// is the inventory's tenant.
    #[serde(default)]
    pub verified_domains: Bounded<String, MAX_DOMAINS>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountExport {
    pub upn: String,
    /// GET /v1.0/users/{upn}?$select=id,userPrincipalName,accountEnabled,onPremisesSyncEnabled[,signInActivity]
    pub user: User,
    /// GET /v1.0/users/{upn}/authentication/methods
    pub methods: Collection<Method, MAX_METHODS>,
    /// GET /beta/users/{upn}/authentication/fido2Methods
    pub fido2_methods: Collection<Method, MAX_METHODS>,
    /// GET /v1.0/users/{upn}/transitiveMemberOf?$select=id
    pub transitive_member_of: Collection<DirectoryObject, MAX_GROUPS>,
}

/// A Graph collection response, pages already joined by the script, of at most N entries.
#[derive(Debug, Clone, Deserialize)]
pub struct Collection<T, const N: usize> {
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    pub value: Bounded<T, N>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fido2Configuration {
    pub state: MethodState,
    #[serde(default)]
    pub is_attestation_enforced: Option<bool>,
    /// Graph returns the policy's key restrictions and both target lists on every GET (an
    /// empty list as `[]`): an export without them cannot say whether a block list or an
    /// exclusion reaches the keys, so each is required and may not be null.
    pub key_restrictions: KeyRestrictions,
    pub include_targets: Vec<Target>,
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
    /// Read in any spelling (dashes, braces, case) so that both list kinds compare alike.
    pub aa_guids: Vec<Aaguid>,
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
    /// Required in every profile (Graph's passkeyProfile).
    pub key_restrictions: KeyRestrictions,
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
    // Sized from the file, so that reading never holds two growing copies of a large export;
    // the bytes are dropped as soon as they are parsed.
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
    byte_order_mark(bytes)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut bundle = deserialize(bytes)?;
    if bundle.glasskey_entra_export != FORMAT_VERSION {
        return Err(EntraError::Json {
            path: "glasskeyEntraExport".into(),
            message: format!(
                "format {} is not the {FORMAT_VERSION} this glasskey reads",
                bundle.glasskey_entra_export
            ),
        });
    }
    super::consistency::check(&mut bundle)?;
    Ok(Export { bundle, sha256 })
}

/// The bundle, and nothing after it but white space. Parsed first without tracking where it is
/// (tracking costs an allocation per JSON key); only a failed parse is repeated with tracking,
/// to name the path where the same error happens.
fn deserialize(bytes: &[u8]) -> Result<Bundle, EntraError> {
    let fast = &mut serde_json::Deserializer::from_slice(bytes);
    let first = Bundle::deserialize(&mut *fast).map(|b| (b, fast.end()));
    let error = match first {
        Ok((bundle, Ok(()))) => return Ok(bundle),
        Ok((_, Err(e))) => return Err(trailing(e)),
        Err(e) => e,
    };
    let tracked = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, Bundle>(&mut *tracked) {
        Err(e) => Err(EntraError::Json {
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        }),
        // Parsing is deterministic: this only happens if the bytes changed, which they cannot.
        Ok(_) => Err(EntraError::Json {
            path: ".".into(),
            message: error.to_string(),
        }),
    }
}

/// Windows PowerShell 5 writes a byte-order mark (and `Out-File` UTF-16): name it, rather than
/// let the parser say "expected value at line 1 column 1".
fn byte_order_mark(bytes: &[u8]) -> Result<(), EntraError> {
    let encoding = match bytes {
        [0xEF, 0xBB, 0xBF, ..] => "UTF-8",
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => "UTF-16",
        _ => return Ok(()),
    };
    Err(EntraError::Json {
        path: "the start of the file".into(),
        message: format!(
            "it begins with a {encoding} byte-order mark; the export is UTF-8 without one (run the script with PowerShell 7, which writes it so, and do not re-save the file)"
        ),
    })
}

fn trailing(e: serde_json::Error) -> EntraError {
    EntraError::Json {
        path: "the end of the export".into(),
        message: format!("{e}: a file holds one export and nothing after it but white space"),
    }
}
