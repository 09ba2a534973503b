//! The MDS3 payload (FIDO Metadata Service §3.1.6): the BLOB number, nextUpdate, and one entry
//! per authenticator model. Only FIDO2 entries (those with an AAGUID) are kept; U2F entries,
//! listed by attestation key identifier, cannot be matched to a key glasskey reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::MdsError;

/// One status report (§3.1.3), as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certification_descriptor: Option<String>,
}

/// One model's entry, as stored: the status reports and its metadata statement (without the
/// icon, which is most of the BLOB's size and nothing glasskey shows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub aaguid: String,
    pub status_reports: Vec<StatusReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_of_last_status_change: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_statement: Option<Value>,
}

impl Entry {
    fn statement(&self, key: &str) -> Option<&Value> {
        self.metadata_statement.as_ref()?.get(key)
    }

    pub fn description(&self) -> Option<&str> {
        self.statement("description")?.as_str()
    }

    /// The attestation roots the maker publishes (base64 DER), trusted for this AAGUID only.
    pub fn attestation_roots(&self) -> Vec<&str> {
        self.statement("attestationRootCertificates")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    pub fn authenticator_get_info(&self) -> Option<&Value> {
        self.statement("authenticatorGetInfo")
    }

    /// The highest FIDO certification level reported (e.g. FIDO_CERTIFIED_L1), if any.
    pub fn certification_level(&self) -> Option<&str> {
        self.status_reports
            .iter()
            .map(|r| r.status.as_str())
            .filter(|s| s.starts_with("FIDO_CERTIFIED"))
            .max_by_key(|s| (s.len(), *s))
    }
}

/// A parsed payload.
#[derive(Debug)]
pub struct Payload {
    pub no: u64,
    /// nextUpdate, YYYY-MM-DD.
    pub next_update: time::Date,
    pub legal_header: Option<String>,
    /// FIDO2 entries, in the BLOB's order.
    pub entries: Vec<Entry>,
    /// Entries without an AAGUID (U2F and UAF models), counted but not kept.
    pub skipped: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayload {
    no: u64,
    next_update: String,
    #[serde(default)]
    legal_header: Option<String>,
    entries: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(default)]
    aaguid: Option<String>,
    status_reports: Vec<StatusReport>,
    #[serde(default)]
    time_of_last_status_change: Option<String>,
    #[serde(default)]
    metadata_statement: Option<Value>,
}

pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

pub fn parse(bytes: &[u8]) -> Result<Payload, MdsError> {
    let raw: RawPayload =
        serde_json::from_slice(bytes).map_err(|e| MdsError::Payload(e.to_string()))?;
    let next_update = parse_date(&raw.next_update).ok_or_else(|| {
        MdsError::Payload(format!("nextUpdate {:?} is not a date", raw.next_update))
    })?;
    let mut entries = Vec::new();
    let mut skipped = 0;
    let mut seen = std::collections::HashSet::new();
    for (i, value) in raw.entries.into_iter().enumerate() {
        let entry: RawEntry = serde_json::from_value(value)
            .map_err(|e| MdsError::Payload(format!("entry {i}: {e}")))?;
        let Some(aaguid) = entry.aaguid else {
            skipped += 1;
            continue;
        };
        let aaguid = aaguid.to_ascii_lowercase();
        if crate::util::parse_uuid(&aaguid).is_none() {
            return Err(MdsError::Payload(format!(
                "entry {i}: AAGUID {aaguid:?} is not a UUID"
            )));
        }
        if !seen.insert(aaguid.clone()) {
            return Err(MdsError::Payload(format!(
                "entry {i}: AAGUID {aaguid} is listed twice"
            )));
        }
        if let Some(r) = entry.status_reports.iter().find(|r| r.status.is_empty()) {
            return Err(MdsError::Payload(format!(
                "entry {i}: a status report has no status ({r:?})"
            )));
        }
        check_statement(&aaguid, entry.metadata_statement.as_ref())?;
        let mut statement = entry.metadata_statement;
        if let Some(Value::Object(map)) = statement.as_mut() {
            map.remove("icon");
        }
        entries.push(Entry {
            aaguid,
            status_reports: entry.status_reports,
            time_of_last_status_change: entry.time_of_last_status_change,
            metadata_statement: statement,
        });
    }
    Ok(Payload {
        no: raw.no,
        next_update,
        legal_header: raw.legal_header,
        entries,
        skipped,
    })
}

/// The AAGUID as 32 lower-case hex digits, however it is spelt.
fn compact(aaguid: &str) -> String {
    aaguid.replace('-', "").to_ascii_lowercase()
}

/// A metadata statement must describe the entry's own model (its `aaguid`; the copy inside
/// authenticatorGetInfo is only shown, and the real BLOB has an entry where it differs), and the attestation roots it
/// publishes (which `vet` trusts for this AAGUID) must be base64: anything else is an
/// entry glasskey cannot vouch for, so the BLOB is refused naming it.
fn check_statement(aaguid: &str, statement: Option<&Value>) -> Result<(), MdsError> {
    let Some(statement) = statement else {
        return Ok(());
    };
    let refuse = |what: String| Err(MdsError::Payload(format!("entry {aaguid}: {what}")));
    match statement.get("aaguid") {
        None => {}
        Some(Value::String(s)) if compact(s) == compact(aaguid) => {}
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            return refuse(format!(
                "metadataStatement.aaguid {shown} differs from the entry's AAGUID"
            ));
        }
    }
    let roots = match statement.get("attestationRootCertificates") {
        None => return Ok(()),
        Some(Value::Array(roots)) => roots,
        Some(_) => return refuse("attestationRootCertificates is not a list".into()),
    };
    // Base64 is checked, the DER inside is not: the real BLOB carries roots that are not strict
    // DER (webpki refuses them); `vet` skips those and `mds show` marks them unreadable.
    for (n, root) in roots.iter().enumerate() {
        let decodes = root.as_str().is_some_and(|b64| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .is_ok()
        });
        if !decodes {
            return refuse(format!(
                "attestation root certificate {} is not base64",
                n + 1
            ));
        }
    }
    Ok(())
}

impl Entry {
    /// authenticatorGetInfo's own `aaguid` when it names another model (a publishing error
    /// seen in the real BLOB): `mds show` says so instead of presenting it as this model's.
    pub fn get_info_aaguid_mismatch(&self) -> Option<String> {
        let given = self.authenticator_get_info()?.get("aaguid")?;
        let shown = given
            .as_str()
            .map_or_else(|| given.to_string(), str::to_owned);
        (compact(&shown) != compact(&self.aaguid)).then_some(shown)
    }
}
