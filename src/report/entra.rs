//! The account-side check as text: the export, each account's methods with the key each passkey
//! is on, and the findings. Strings from the export are shown with control characters visible.

use std::io::Write;

use crate::entra::reconcile::ExportInfo;
use crate::entra::Reconciliation;

/// Text from an export, safe for a terminal (DESIGN §3.8).
pub fn shown(s: &str) -> String {
    crate::untrusted::visible(s).into_owned()
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "–".into(), shown)
}

/// One line naming the export: tenant, date, age and digest.
pub fn write_export_line(w: &mut dyn Write, e: &ExportInfo) -> std::io::Result<()> {
    writeln!(
        w,
        "Entra export of {} ({}), {} ({} day(s) old), SHA-256 {}",
        shown(&e.tenant_domain),
        shown(&e.tenant_id),
        e.date,
        e.age_days,
        &e.sha256[..16.min(e.sha256.len())]
    )
}

pub fn write_text(w: &mut dyn Write, r: &Reconciliation) -> std::io::Result<()> {
    write_export_line(w, &r.export)?;
    writeln!(
        w,
        "FIDO2 method: {}",
        if r.fido2_method_enabled {
            "enabled"
        } else {
            "DISABLED"
        }
    )?;
    for a in &r.accounts {
        let mut state = Vec::new();
        state.push(if a.account_enabled {
            "enabled"
        } else {
            "DISABLED"
        });
        state.push(if a.on_premises_sync_enabled {
            "SYNCED from on-premises"
        } else {
            "cloud-only"
        });
        state.push(if a.fido2_policy_targets {
            "FIDO2 policy targets it"
        } else {
            "NOT targeted by the FIDO2 policy"
        });
        writeln!(w, "  {} — {}", shown(&a.upn), state.join(", "))?;
        match &a.last_sign_in {
            Some(e) => writeln!(w, "    last sign-in  {} (from {})", e.date, e.source)?,
            None => writeln!(w, "    last sign-in  no evidence in the export (no signInActivity, no lastUsedDateTime)")?,
        }
        for m in &a.methods {
            let on = match &m.key {
                Some(k) => format!(" → on {}", shown(k)),
                None if m.kind == crate::entra::methods::MethodKind::Fido2 => {
                    " → on NO inventoried key".into()
                }
                None => String::new(),
            };
            let kind = match m.kind {
                crate::entra::methods::MethodKind::Unknown => {
                    format!("unknown type {}", opt(m.odata_type.as_deref()))
                }
                k => k.label().to_owned(),
            };
            writeln!(
                w,
                "    {kind:<27} {} registered {} last used {}{on}",
                opt(m.display_name.as_deref()),
                opt(m.created.map(|t| t.to_string()).as_deref()),
                opt(m.last_used.map(|t| t.to_string()).as_deref())
            )?;
        }
    }
    for k in &r.keys {
        let entra = match (&k.entra, k.observed) {
            (Some(m), _) => format!(
                "registered as {} on {}",
                opt(m.display_name.as_deref()),
                opt(m.created.as_deref())
            ),
            (None, true) => "NOT registered in Entra".into(),
            (None, false) => "passkeys never read: audit the key first".into(),
        };
        writeln!(
            w,
            "  key {} ({}): {entra}",
            shown(&k.label),
            shown(&k.account)
        )?;
    }
    for other in &r.other_accounts {
        writeln!(w, "  (not in the inventory, not checked: {})", shown(other))?;
    }
    if r.findings.is_empty() {
        writeln!(w, "No findings.")?;
    } else {
        writeln!(w, "Findings:")?;
        super::findings::write_findings(w, &r.findings)?;
    }
    writeln!(
        w,
        "result: {}",
        if r.findings.is_empty() {
            "pass"
        } else {
            "findings"
        }
    )
}
