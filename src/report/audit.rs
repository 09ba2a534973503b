//! The audit report: what was checked, what was found, and the check entry recorded.

use std::io::Write;

use serde::Serialize;

use crate::audit::claim::{not_proved_words, ClaimedBy};
use crate::audit::Finding;
use crate::inventory::KeyTransport;
use crate::untrusted::{shown_or, ShowOutside};

#[derive(Debug, Clone, Serialize)]
pub struct KeyResult {
    pub device: String,
    /// Inventory label the key proved, or None for a key not in the inventory (or not trusted).
    pub label: Option<String>,
    /// The inventory label this device proved when another device of the run proved it too
    /// (GK068): one is a copy, so neither is trusted and `label` is None.
    pub proved_twice: Option<String>,
    /// For a device that proved no identity: the inventory key it claims (by identity
    /// credential or serial) and why the claim failed. Only a claim: `label`, `account` and
    /// `identity_fingerprint` stay null (DESIGN §3.6).
    pub claimed_label: Option<String>,
    pub claimed_by: Option<ClaimedBy>,
    pub proof_failure: Option<String>,
    pub account: Option<String>,
    pub identity_verified: bool,
    pub identity_fingerprint: Option<String>,
    pub pin_set: Option<bool>,
    pub pin_retries: Option<u8>,
    pub passkeys: Option<Vec<String>>,
    pub other_rp_ids: Vec<String>,
    /// The model name: from the imported MDS entry, else glasskey's fallback table.
    pub model: Option<String>,
    pub model_source: Option<crate::models::ModelSource>,
    pub firmware: Option<String>,
    pub note: Option<String>,
    /// How glasskey reached the key in this check.
    pub transport: KeyTransport,
    /// A software key (DESIGN §3.9): flagged wherever the key is shown.
    pub software_key: bool,
}

impl KeyResult {
    /// How every rendering heads a key that proved no inventory label of its own (unescaped):
    /// by the identity it proved when another device proved it too, else in `identify`'s words
    /// for the key it claims without proof, or as not in the inventory.
    pub fn untrusted_heading(&self) -> String {
        match &self.proved_twice {
            Some(label) => format!(
                "{label} — identity proved twice in this run, here by {}: one of the devices is a copy; neither is trusted",
                self.device
            ),
            None => format!(
                "{} — {}",
                self.device,
                not_proved_words(
                    self.claimed_label.as_deref().zip(self.claimed_by),
                    self.proof_failure.as_deref()
                )
            ),
        }
    }

    /// The flag every rendering shows beside a software key.
    pub fn software_flag(&self) -> Option<String> {
        self.software_key.then(|| software_flag(self.transport))
    }
}

/// "SOFTWARE KEY (virtual)": the words every report puts beside a software key.
pub fn software_flag(transport: KeyTransport) -> String {
    format!("SOFTWARE KEY ({transport})")
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub inventory: String,
    pub tenant: String,
    pub date: String,
    pub keys_checked: Vec<KeyResult>,
    pub findings: Vec<Finding>,
    /// "pass" or "findings".
    pub result: String,
    pub check_seq: u64,
    pub check_hash: String,
    /// The Entra export reconciled in the same run (`audit --entra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entra_export: Option<crate::entra::reconcile::ExportInfo>,
    /// Which FIDO MDS BLOB the model statuses came from, or that none was consulted.
    pub mds: crate::mds::provenance::Provenance,
}

pub fn write_text(w: &mut dyn Write, r: &AuditReport) -> std::io::Result<()> {
    writeln!(
        w,
        "Audit of {} ({}) at {}",
        r.inventory.shown(),
        r.tenant.shown(),
        r.date.shown()
    )?;
    for k in &r.keys_checked {
        match &k.label {
            Some(label) => {
                writeln!(
                    w,
                    "  {} — {} ({}){}",
                    label.shown(),
                    shown_or(k.account.as_deref(), "?"),
                    k.device.shown(),
                    k.software_flag()
                        .map(|f| format!("  {f}"))
                        .unwrap_or_default()
                )?;
                writeln!(
                    w,
                    "    identity   {}{}",
                    if k.identity_verified {
                        "proved"
                    } else {
                        "NOT PROVED"
                    },
                    k.identity_fingerprint
                        .as_deref()
                        .map(|f| format!(" ({})", crate::util::short_fingerprint(f)))
                        .unwrap_or_default()
                )?;
                let pin = match (k.pin_set, k.pin_retries) {
                    (Some(true), Some(r)) => format!("set, {r} of 8 retries left"),
                    (Some(true), None) => "set".into(),
                    (Some(false), _) => "NOT SET".into(),
                    // A key that did not prove its identity is never asked.
                    (None, _) => "not read".into(),
                };
                writeln!(w, "    PIN        {pin}")?;
                match &k.passkeys {
                    Some(p) if p.is_empty() => writeln!(w, "    passkeys   none")?,
                    Some(p) => writeln!(w, "    passkeys   {}", p.join(", ").shown())?,
                    None => writeln!(w, "    passkeys   not read")?,
                }
                if !k.other_rp_ids.is_empty() {
                    writeln!(w, "    other      {}", k.other_rp_ids.join(", ").shown())?;
                }
                writeln!(
                    w,
                    "    model      {}",
                    crate::models::shown_with_source(k.model.as_deref(), k.model_source, "unknown")
                )?;
                writeln!(
                    w,
                    "    firmware   {}",
                    shown_or(k.firmware.as_deref(), "unknown")
                )?;
            }
            None => writeln!(
                w,
                "  {}{}",
                k.untrusted_heading().shown(),
                k.software_flag()
                    .map(|f| format!("  {f}"))
                    .unwrap_or_default()
            )?,
        }
        if let Some(n) = &k.note {
            writeln!(w, "    note       {}", n.shown())?;
        }
    }
    writeln!(w, "MDS: {}", r.mds.line())?;
    if let Some(e) = &r.entra_export {
        super::entra::write_export_line(w, e)?;
    }
    if r.findings.is_empty() {
        writeln!(w, "No findings.")?;
    } else {
        writeln!(w, "Findings:")?;
        super::findings::write_findings(w, &r.findings)?;
    }
    writeln!(
        w,
        "Recorded as check #{} ({}).",
        r.check_seq,
        &r.check_hash[..16.min(r.check_hash.len())]
    )?;
    writeln!(w, "result: {}", r.result)
}
