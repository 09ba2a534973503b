//! The inventory: an offline, human-editable TOML file that the admin owns. Every struct
//! rejects unknown fields, so a typo is an error with its line and column, never silently lost.

use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;
pub const DEFAULT_RP_ID: &str = "login.microsoft.com";
/// The RP ID of glasskey's own identity credential (DESIGN §4): `.invalid` can never be a real
/// site, so no website can ask the key for it.
pub const IDENTITY_RP_ID: &str = "glasskey.invalid";

fn default_rp_id() -> String {
    DEFAULT_RP_ID.into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub schema_version: u32,
    /// The Entra tenant, e.g. contoso.onmicrosoft.com.
    pub tenant: String,
    #[serde(default = "default_rp_id")]
    pub passkey_rp_id: String,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default, rename = "account")]
    pub accounts: Vec<Account>,
    #[serde(default, rename = "key")]
    pub keys: Vec<KeyEntry>,
    /// Append-only, hash-chained record of checks. Stored as one multi-line string with one
    /// JSON object per line: one TOML value instead of one table per check keeps a
    /// 100,000-check history cheap to read, and still one line per check for a person.
    #[serde(
        default,
        rename = "history",
        with = "history_lines",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub checks: Vec<CheckEntry>,
}

mod history_lines {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::CheckEntry;

    pub fn serialize<S: Serializer>(checks: &[CheckEntry], s: S) -> Result<S::Ok, S::Error> {
        let mut text = String::new();
        for c in checks {
            let line = serde_json::to_string(c).map_err(serde::ser::Error::custom)?;
            // No apostrophes, so the text always fits a TOML literal string ('''…''').
            text.push_str(&line.replace('\'', "\\u0027"));
            text.push('\n');
        }
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CheckEntry>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line)
                    .map_err(|e| serde::de::Error::custom(format!("history entry {}: {e}", i + 1)))
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Every break-glass account needs at least this many keys.
    #[serde(deserialize_with = "ranges::min_keys_per_account")]
    pub min_keys_per_account: u32,
    /// The PIN typed during an audit must have at least this many characters.
    #[serde(deserialize_with = "ranges::min_pin_length")]
    pub min_pin_length: u32,
    /// Every key must have been checked within this many days.
    #[serde(deserialize_with = "ranges::check_interval_days")]
    pub check_interval_days: u32,
    /// Whether a break-glass key may hold credentials for other relying parties.
    pub allow_other_credentials: bool,
    /// PIN retries below this count are a finding (8 = untouched).
    #[serde(deserialize_with = "ranges::retry_threshold")]
    pub retry_threshold: u8,
    /// If not empty, only keys with these AAGUIDs may be enrolled.
    pub allowed_aaguids: Vec<String>,
    /// Whether software keys (glasskey's virtual keys, keys on UDP) may be enrolled and
    /// audited. Only for demo and test inventories: a software key is no hardware key.
    pub allow_software_keys: bool,
}

/// The policy's sane ranges. A value outside them is refused when the file is read: a policy
/// edited to 0 retries or a 4-billion-day interval would switch a rule off without a finding.
mod ranges {
    use serde::{de::Error, Deserialize, Deserializer};

    fn within<'de, D: Deserializer<'de>, T>(
        d: D,
        name: &str,
        lo: u64,
        hi: u64,
        unit: &str,
    ) -> Result<T, D::Error>
    where
        T: Deserialize<'de> + Copy + Into<u64>,
    {
        let v = T::deserialize(d)?;
        let n: u64 = v.into();
        if (lo..=hi).contains(&n) {
            Ok(v)
        } else {
            Err(D::Error::custom(format!(
                "{name} = {n} is outside {lo} to {hi}{unit}: set a value in that range"
            )))
        }
    }

    pub fn min_keys_per_account<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        within(d, "min_keys_per_account", 1, 16, " keys")
    }

    /// CTAP PINs are 4 to 63 bytes.
    pub fn min_pin_length<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        within(d, "min_pin_length", 4, 63, " characters")
    }

    /// Microsoft asks for a check at least every 90 days; 400 leaves room for a yearly one.
    pub fn check_interval_days<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        within(d, "check_interval_days", 1, 400, " days")
    }

    /// Keys count 8 retries at most (CTAP 2.1 §6.5.2.3).
    pub fn retry_threshold<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        within(d, "retry_threshold", 1, 8, " retries")
    }

    pub fn usb_vendor_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let v = String::deserialize(d)?;
        if v.len() == 4 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Some(v))
        } else {
            Err(D::Error::custom(format!(
                "usb_vendor_id = \"{}\" is not four hex digits (e.g. \"1050\"): correct it or remove the line",
                crate::untrusted::visible(&v)
            )))
        }
    }
}

impl Policy {
    /// Whether a key model may be used: an empty allow-list allows any.
    pub fn allows_aaguid(&self, aaguid: &str) -> bool {
        self.allowed_aaguids.is_empty()
            || self
                .allowed_aaguids
                .iter()
                .any(|a| a.eq_ignore_ascii_case(aaguid))
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_keys_per_account: 2,
            min_pin_length: 6,
            check_interval_days: 92,
            allow_other_credentials: false,
            retry_threshold: 8,
            allowed_aaguids: Vec::new(),
            allow_software_keys: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub upn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Account {
    /// Whether `upn` has the shape of a user principal name: a name of at most 64 bytes that
    /// neither starts nor ends with a dot nor holds two in a row, exactly one '@', and a domain
    /// of non-empty dot-separated labels that neither start nor end with '-' (Entra domains
    /// always have a dot), no white space. Every place that admits a UPN into an inventory asks
    /// this.
    pub fn is_upn(upn: &str) -> bool {
        let Some((name, domain)) = upn.split_once('@') else {
            return false;
        };
        // RFC 5321's dot-atom and length limits (Entra refuses the rest too).
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..");
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        name_ok && domain_ok && !upn.contains(char::is_whitespace)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub label: String,
    /// UPN of the break-glass account this key serves.
    pub account: String,
    pub custodian: String,
    pub location: String,
    pub aaguid: String,
    /// How glasskey reached the key at enrollment. Absent in inventories written before
    /// glasskey recorded it; those keys were enrolled over USB unless the policy admitted
    /// software keys, so the default is `hid`, and every audit checks the live transport anyway.
    #[serde(default)]
    pub transport: KeyTransport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    /// USB vendor id, hex (e.g. "1050" for Yubico); advisories match on it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "ranges::usb_vendor_id"
    )]
    pub usb_vendor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_serial: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb_serial: Option<String>,
    /// The serial printed on the casing, typed by the admin when the key cannot report one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub casing_serial: Option<String>,
    /// RFC 3339.
    pub enrolled: String,
    pub identity: Identity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_observation: Option<Observation>,
    /// Set by `inventory retire`: the record stays (its history and identity), but the key no
    /// longer counts towards an account's keys and is not expected at checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<Retirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// RFC 3339.
    pub date: String,
    pub reason: RetireReason,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RetireReason {
    Lost,
    Replaced,
    Damaged,
    Other,
}

impl RetireReason {
    pub fn name(self) -> &'static str {
        match self {
            Self::Lost => "lost",
            Self::Replaced => "replaced",
            Self::Damaged => "damaged",
            Self::Other => "other",
        }
    }
}

/// How glasskey talks to a key: USB HID is hardware; the others are software keys (DESIGN §3.9).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyTransport {
    #[default]
    Hid,
    /// glasskey's in-process software authenticator.
    Virtual,
    /// Raw CTAPHID reports over UDP, as authenticator simulators speak it.
    Udp,
}

impl KeyTransport {
    pub fn is_software(self) -> bool {
        self != KeyTransport::Hid
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyTransport::Hid => "hid",
            KeyTransport::Virtual => "virtual",
            KeyTransport::Udp => "udp",
        }
    }
}

impl std::fmt::Display for KeyTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl KeyEntry {
    /// A software key: reached over a software transport, or reporting one of the AAGUIDs of
    /// glasskey's virtual keys (a virtual key relayed onto a USB port is still software).
    pub fn is_software(&self) -> bool {
        self.transport.is_software() || crate::models::is_glasskey_virtual(&self.aaguid)
    }
}

/// glasskey's own credential on the key (DESIGN §4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub rp_id: String,
    /// base64url, no padding.
    pub credential_id: String,
    /// COSE public key, base64url, no padding.
    pub public_key: String,
    /// SHA-256 of the COSE public key, hex: what sheets and `identify` show.
    pub fingerprint: String,
    pub sign_count: u32,
}

/// What an audit saw on a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// RFC 3339.
    pub date: String,
    /// The identity signature verified against the recorded public key.
    pub identity_verified: bool,
    /// The signature counter had not moved past the recorded one.
    #[serde(default)]
    pub sign_count_regressed: bool,
    pub pin_set: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_retries: Option<u8>,
    #[serde(default)]
    pub force_pin_change: bool,
    /// Whether the PIN typed at the check met the policy's minimum length. The length itself
    /// is never recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_meets_policy: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<String>,
    /// The serials the key reported at the check (GK067 compares them with the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_serial: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usb_serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_count: Option<u32>,
    /// Passkeys for the inventory's RP ID. None when they could not be read (no PIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkeys: Option<Vec<ObservedPasskey>>,
    /// Why the passkeys could not be read although the PIN state allowed it: no credential
    /// management, no discoverable credentials, or the key refused (GK050).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkeys_unreadable: Option<String>,
    /// RP IDs of any other discoverable credentials.
    #[serde(default)]
    pub other_rp_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedPasskey {
    pub user_name: String,
    /// hex
    pub user_id: String,
    /// hex
    pub credential_id: String,
}

/// One recorded check. `hash` covers `prev_hash` and every other field (see history.rs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEntry {
    pub seq: u64,
    pub date: String,
    pub keys: Vec<String>,
    pub result: String,
    #[serde(default)]
    pub findings: Vec<String>,
    /// What a non-check entry records (a key retired or reassigned); absent for checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    /// The roster this entry vouches for (roster.rs). Absent in entries written before
    /// glasskey recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<RosterRecord>,
    /// The Entra export a check reconciled (`audit --entra`). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entra: Option<EntraExportRecord>,
    /// The FIDO MDS BLOB an audit consulted, or that none was. Absent in entries written
    /// before glasskey recorded it, and in non-audit entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mds: Option<MdsRecord>,
    pub prev_hash: String,
    pub hash: String,
}

impl CheckEntry {
    /// What the entry records, as the file names it: "check", or its event's kind.
    pub fn kind(&self) -> &'static str {
        self.event.as_ref().map_or("check", Event::kind)
    }
}

/// Which FIDO MDS BLOB a check consulted: its number and the SHA-256 of the file as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdsRecord {
    /// False: no BLOB was imported, no model status was looked up.
    pub consulted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The BLOB was past its nextUpdate.
    #[serde(default)]
    pub stale: bool,
}

/// Which Entra export a check covered: the file's SHA-256 and the export's own date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraExportRecord {
    pub sha256: String,
    pub date: String,
}

/// A change to the roster made through glasskey, with the admin's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Event {
    Retire {
        key: String,
        reason: RetireReason,
        note: String,
    },
    Reassign {
        key: String,
        from: String,
        to: String,
        note: String,
    },
    /// The admin vouches for roster items that changed outside glasskey (a hand edit), so they
    /// stop being reported as GK063/GK064 (`inventory acknowledge`).
    Acknowledge { items: Vec<String>, note: String },
}

impl Event {
    /// The `kind` the file gives the event (serde tag above).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Retire { .. } => "retire",
            Event::Reassign { .. } => "reassign",
            Event::Acknowledge { .. } => "acknowledge",
        }
    }
}

/// The SHA-256 of the canonical roster, and a short digest per item so that a later check can
/// name what vanished or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterRecord {
    pub sha256: String,
    pub items: std::collections::BTreeMap<String, String>,
}

impl Inventory {
    pub fn new(tenant: &str) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            tenant: tenant.into(),
            passkey_rp_id: DEFAULT_RP_ID.into(),
            policy: Policy::default(),
            accounts: Vec::new(),
            keys: Vec::new(),
            checks: Vec::new(),
        }
    }

    pub fn key(&self, label: &str) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| k.label == label)
    }

    pub fn key_mut(&mut self, label: &str) -> Option<&mut KeyEntry> {
        self.keys.iter_mut().find(|k| k.label == label)
    }

    pub fn account(&self, upn: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.upn.eq_ignore_ascii_case(upn))
    }

    pub fn is_break_glass(&self, upn: &str) -> bool {
        self.account(upn).is_some()
    }
}
