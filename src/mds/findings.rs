//! What the imported MDS says about one key's model, and the findings that follow (GK082-GK087).

use serde::Serialize;

use super::payload::{Entry, StatusReport};
use super::provenance::Provenance;
use super::store::Store;
use super::MdsError;
use crate::audit::{rules, Finding};

/// Statuses that mean the model must not guard a break-glass account.
pub const COMPROMISED: &[&str] = &[
    "REVOKED",
    "ATTESTATION_KEY_COMPROMISE",
    "USER_VERIFICATION_BYPASS",
    "USER_KEY_REMOTE_COMPROMISE",
    "USER_KEY_PHYSICAL_COMPROMISE",
];

/// Statuses MDS3 defines (§3.1.4, AuthenticatorStatus) that call for no finding of their own.
pub const BENIGN: &[&str] = &[
    "FIDO_CERTIFIED",
    "FIDO_CERTIFIED_L1",
    "FIDO_CERTIFIED_L1plus",
    "FIDO_CERTIFIED_L2",
    "FIDO_CERTIFIED_L2plus",
    "FIDO_CERTIFIED_L3",
    "FIDO_CERTIFIED_L3plus",
    "SELF_ASSERTION_SUBMITTED",
];

/// The MDS's word on one model, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MdsView {
    /// Which BLOB was consulted, or that none was (nothing below was looked up then).
    #[serde(flatten)]
    pub blob: Provenance,
    /// The BLOB has an entry for this AAGUID.
    pub listed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification_level: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status_reports: Vec<StatusReport>,
}

impl MdsView {
    pub fn not_consulted() -> Self {
        Self::without(Provenance::none())
    }

    /// No BLOB was consulted, for the reason `blob` gives.
    pub fn without(blob: Provenance) -> Self {
        Self {
            blob,
            listed: false,
            description: None,
            certification_level: None,
            status_reports: Vec::new(),
        }
    }

    /// One line for the text reports.
    pub fn summary(&self) -> String {
        let blob = self.blob.line();
        if !self.blob.consulted {
            return blob;
        }
        match (&self.listed, &self.description) {
            (false, _) => format!("{blob}: model not listed"),
            (true, d) => format!(
                "{blob}: {} ({})",
                d.as_deref().unwrap_or("no description"),
                self.certification_level
                    .as_deref()
                    .unwrap_or("not certified")
            ),
        }
    }
}

/// Looks `aaguid` up in the store; the entry is returned too, for its attestation roots.
pub fn consult(
    store: &Store,
    aaguid: &str,
    today: time::Date,
) -> Result<(MdsView, Option<Entry>), MdsError> {
    let Some((header, entry)) = store.lookup(aaguid)? else {
        return Ok((MdsView::not_consulted(), None));
    };
    let view = MdsView {
        blob: Provenance::of(&header, today),
        listed: entry.is_some(),
        description: entry
            .as_ref()
            .and_then(|e| e.description().map(str::to_owned)),
        certification_level: entry
            .as_ref()
            .and_then(|e| e.certification_level().map(str::to_owned)),
        status_reports: entry
            .as_ref()
            .map(|e| e.status_reports.clone())
            .unwrap_or_default(),
    };
    Ok((view, entry))
}

fn report_text(r: &StatusReport) -> String {
    let mut s = r.status.clone();
    if let Some(d) = &r.effective_date {
        s.push_str(&format!(" since {d}"));
    }
    if let Some(v) = r.authenticator_version {
        s.push_str(&format!(" (authenticator version {v})"));
    }
    if let Some(u) = &r.url {
        s.push_str(&format!(": {u}"));
    }
    s
}

/// Findings about one key's model.
pub fn findings(
    view: &MdsView,
    aaguid: &str,
    key: Option<&str>,
    account: Option<&str>,
) -> Vec<Finding> {
    let f = |rule, message: String| Finding::new(rule, key, account, message);
    let mut out = Vec::new();
    if !view.blob.consulted {
        return out;
    }
    if view.blob.stale {
        out.push(f(
            &rules::MDS_STALE,
            format!(
                "the imported MDS BLOB no. {} was due for replacement on {}",
                view.blob.blob_no.unwrap_or(0),
                view.blob.next_update.as_deref().unwrap_or("?")
            ),
        ));
    }
    if !view.listed {
        out.push(f(
            &rules::MDS_UNLISTED,
            format!("AAGUID {aaguid} is not in the imported MDS BLOB"),
        ));
        return out;
    }
    let model = view.description.as_deref().unwrap_or(aaguid);
    for r in &view.status_reports {
        let rule = match r.status.as_str() {
            s if COMPROMISED.contains(&s) => &rules::MDS_COMPROMISED,
            "UPDATE_AVAILABLE" => &rules::MDS_UPDATE_AVAILABLE,
            "NOT_FIDO_CERTIFIED" => &rules::MDS_NOT_CERTIFIED,
            s if BENIGN.contains(&s) => continue,
            // Kept, not refused: a status the Alliance adds later must not block every
            // update (and the revocations in it) until glasskey learns it.
            unknown => {
                out.push(f(
                    &rules::MDS_UNKNOWN_STATUS,
                    format!(
                        "the FIDO MDS gives {model} a status {unknown:?} that glasskey does not know: {}",
                        report_text(r)
                    ),
                ));
                continue;
            }
        };
        out.push(f(
            rule,
            format!("the FIDO MDS reports {model}: {}", report_text(r)),
        ));
    }
    out
}
