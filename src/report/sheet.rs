//! The inventory sheet model: what goes on paper beside each key, and the summary table.
//! Built from the inventory alone (no key needed); dates are injected, never read here.

use serde::Serialize;

use crate::inventory::model::{Inventory, KeyTransport, Retirement};
use crate::util::short_fingerprint;

#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    pub min_keys_per_account: u32,
    pub min_pin_length: u32,
    pub check_interval_days: u32,
    pub allow_other_credentials: bool,
    pub allow_software_keys: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeySheet {
    pub label: String,
    pub account: String,
    pub display_name: Option<String>,
    pub model: Option<String>,
    pub aaguid: String,
    /// How glasskey reached the key at enrollment.
    pub transport: KeyTransport,
    /// A software key (DESIGN §3.9): every sheet format flags it.
    pub software_key: bool,
    pub firmware: Option<String>,
    pub vendor_serial: Option<u32>,
    pub usb_serial: Option<String>,
    pub casing_serial: Option<String>,
    pub identity_fingerprint: String,
    /// As `identify` prints it: the first 16 bytes in groups of four hex digits.
    pub identity_fingerprint_short: String,
    pub custodian: String,
    pub location: String,
    pub enrolled: String,
    pub last_check: Option<String>,
    /// "pass" or "findings" for this key in its latest recorded check.
    pub last_result: Option<String>,
    /// Set when the key was retired (`inventory retire`): every sheet format says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<Retirement>,
    /// The key's passkey as Entra lists it, when the sheets were made with an export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entra: Option<EntraCell>,
}

/// What an Entra export says about one key's passkey.
#[derive(Debug, Clone, Serialize)]
pub struct EntraCell {
    /// Whether Entra lists the key's passkey for its account.
    pub registered: bool,
    pub display_name: Option<String>,
    pub created: Option<String>,
    pub last_used: Option<String>,
}

impl EntraCell {
    /// One line for a sheet: the method's name, when it was registered and last used.
    pub fn summary(&self) -> String {
        if !self.registered {
            return "NOT registered in Entra ID".into();
        }
        let day = |d: &Option<String>| {
            d.as_deref()
                .map_or("unknown", |d| d.get(..10).unwrap_or(d))
                .to_owned()
        };
        format!(
            "\"{}\", registered {}, last used {}",
            self.display_name.as_deref().unwrap_or(""),
            day(&self.created),
            day(&self.last_used)
        )
    }
}

/// The export the sheets were checked against.
#[derive(Debug, Clone, Serialize)]
pub struct EntraExportRef {
    pub sha256: String,
    pub date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SheetReport {
    /// The inventory's file name, as printed (not its full path).
    pub inventory: String,
    pub inventory_sha256: String,
    pub generated: String,
    pub tenant: String,
    pub passkey_rp_id: String,
    pub policy: PolicyView,
    pub newest_check_hash: Option<String>,
    pub keys: Vec<KeySheet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entra_export: Option<EntraExportRef>,
}

/// Adds what an Entra export says to each key's sheet and to the summary.
pub fn attach_entra(report: &mut SheetReport, r: &crate::entra::Reconciliation) {
    report.entra_export = Some(EntraExportRef {
        sha256: r.export.sha256.clone(),
        date: r.export.date.clone(),
    });
    for k in &mut report.keys {
        let m = r
            .keys
            .iter()
            .find(|v| v.label == k.label)
            .and_then(|v| v.entra.as_ref());
        k.entra = Some(EntraCell {
            registered: m.is_some(),
            display_name: m.and_then(|m| m.display_name.clone()),
            created: m.and_then(|m| m.created.clone()),
            last_used: m.and_then(|m| m.last_used.clone()),
        });
    }
}

/// This key's result in the newest check that covered it: findings whose summary names the
/// key ("GK005 BG01-A: …") count against it; inventory-wide findings do not.
fn last_check_of(inv: &Inventory, label: &str) -> (Option<String>, Option<String>) {
    let prefix = format!("{label}:");
    inv.checks
        .iter()
        .rev()
        // Retire and reassign entries name the key but are no checks of it.
        .find(|c| c.event.is_none() && c.keys.iter().any(|k| k == label))
        .map_or((None, None), |c| {
            // Finding lines read "GKnnn LABEL: message"; labels may contain spaces.
            let mine = c.findings.iter().any(|f| {
                f.split_once(' ')
                    .is_some_and(|(_, rest)| rest.starts_with(&prefix))
            });
            (
                Some(c.date.clone()),
                Some(if mine { "findings" } else { "pass" }.to_owned()),
            )
        })
}

pub fn build(
    inv: &Inventory,
    file_name: &str,
    sha256: &str,
    generated: &str,
    only: Option<&str>,
) -> SheetReport {
    let keys = inv
        .keys
        .iter()
        .filter(|k| only.is_none_or(|l| k.label == l))
        .map(|k| {
            let (last_check, last_result) = last_check_of(inv, &k.label);
            KeySheet {
                label: k.label.clone(),
                account: k.account.clone(),
                display_name: inv.account(&k.account).and_then(|a| a.display_name.clone()),
                model: k.model.clone(),
                aaguid: k.aaguid.clone(),
                transport: k.transport,
                software_key: k.is_software(),
                firmware: k.firmware.clone(),
                vendor_serial: k.vendor_serial,
                usb_serial: k.usb_serial.clone(),
                casing_serial: k.casing_serial.clone(),
                identity_fingerprint_short: short_fingerprint(&k.identity.fingerprint),
                identity_fingerprint: k.identity.fingerprint.clone(),
                custodian: k.custodian.clone(),
                location: k.location.clone(),
                enrolled: k.enrolled.clone(),
                last_check,
                last_result,
                retired: k.retired.clone(),
                entra: None,
            }
        })
        .collect();
    SheetReport {
        inventory: file_name.into(),
        inventory_sha256: sha256.into(),
        generated: generated.into(),
        tenant: inv.tenant.clone(),
        passkey_rp_id: inv.passkey_rp_id.clone(),
        policy: PolicyView {
            min_keys_per_account: inv.policy.min_keys_per_account,
            min_pin_length: inv.policy.min_pin_length,
            check_interval_days: inv.policy.check_interval_days,
            allow_other_credentials: inv.policy.allow_other_credentials,
            allow_software_keys: inv.policy.allow_software_keys,
        },
        newest_check_hash: inv.checks.last().map(|c| c.hash.clone()),
        keys,
        entra_export: None,
    }
}

impl KeySheet {
    /// The flag every sheet shows beside a software key.
    pub fn software_flag(&self) -> Option<String> {
        self.software_key
            .then(|| super::audit::software_flag(self.transport))
    }

    /// "RETIRED (lost, 2026-11-25)" for a retired key.
    pub fn retired_flag(&self) -> Option<String> {
        self.retired.as_ref().map(|r| {
            format!(
                "RETIRED ({}, {})",
                r.reason.name(),
                r.date.get(..10).unwrap_or(&r.date)
            )
        })
    }

    /// Everything a sheet must show beside the label: retired, software key.
    pub fn flags(&self) -> Option<String> {
        let flags: Vec<String> = [self.retired_flag(), self.software_flag()]
            .into_iter()
            .flatten()
            .collect();
        (!flags.is_empty()).then(|| flags.join(" · "))
    }

    /// The transport as a sheet cell: "hid", or "virtual (SOFTWARE KEY)".
    pub fn transport_cell(&self) -> String {
        if self.software_key {
            format!("{} (SOFTWARE KEY)", self.transport)
        } else {
            self.transport.to_string()
        }
    }

    /// Serials as one line: vendor, USB, casing — whichever exist.
    pub fn serials(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.vendor_serial {
            parts.push(format!("{s} (vendor)"));
        }
        if let Some(s) = &self.usb_serial {
            parts.push(format!("{s} (USB)"));
        }
        if let Some(s) = &self.casing_serial {
            parts.push(format!("{s} (casing)"));
        }
        if parts.is_empty() {
            "none readable".into()
        } else {
            parts.join(", ")
        }
    }
}
