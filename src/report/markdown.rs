//! Markdown: the summary table of keys, and the audit report.

use std::fmt::Write;

use super::audit::AuditReport;
use super::escape::markdown_cell as cell;
use super::sheet::SheetReport;

pub fn sheets(r: &SheetReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Break-glass keys — {}\n", cell(&r.tenant));
    let _ = writeln!(
        out,
        "Inventory `{}` · SHA-256 `{}` · generated {}\n",
        crate::untrusted::visible(&r.inventory).replace('`', "'"),
        r.inventory_sha256,
        cell(&r.generated)
    );
    let entra = r.entra_export.is_some();
    if let Some(e) = &r.entra_export {
        let _ = writeln!(
            out,
            "Entra export SHA-256 `{}` · exported {}\n",
            e.sha256,
            cell(&e.date)
        );
    }
    out.push_str("| Label | Account | Model | AAGUID | Firmware | Serials | Identity fingerprint | Custodian | Location | Enrolled | Last check | Result |");
    out.push_str(if entra { " Entra method |\n" } else { "\n" });
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    out.push_str(if entra { " --- |\n" } else { "\n" });
    for k in &r.keys {
        let label = match k.flags() {
            Some(flag) => format!("{} **{flag}**", cell(&k.label)),
            None => cell(&k.label),
        };
        let row = [
            label,
            match &k.display_name {
                Some(d) => format!("{} ({})", cell(&k.account), cell(d)),
                None => cell(&k.account),
            },
            cell(k.model.as_deref().unwrap_or("")),
            cell(&k.aaguid),
            cell(k.firmware.as_deref().unwrap_or("")),
            cell(&k.serials()),
            cell(&k.identity_fingerprint_short),
            cell(&k.custodian),
            cell(&k.location),
            cell(&k.enrolled),
            cell(k.last_check.as_deref().unwrap_or("")),
            cell(k.last_result.as_deref().unwrap_or("")),
        ];
        let mut row = row.to_vec();
        row.extend(k.entra.as_ref().map(|e| cell(&e.summary())));
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

pub fn audit(r: &AuditReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Break-glass audit — {}\n", cell(&r.tenant));
    let _ = writeln!(
        out,
        "Inventory `{}` · {} · check #{} `{}` · result **{}**\n",
        crate::untrusted::visible(&r.inventory).replace('`', "'"),
        cell(&r.date),
        r.check_seq,
        r.check_hash,
        cell(&r.result)
    );
    let _ = writeln!(out, "MDS: {}\n", cell(&r.mds.line()));
    out.push_str("| Key | Account | Identity | PIN retries | Passkeys | Firmware |\n| --- | --- | --- | --- | --- | --- |\n");
    for k in &r.keys_checked {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            k.label
                .as_deref()
                .map_or_else(|| cell(&k.untrusted_heading()), cell)
                + &k.software_flag()
                    .map(|f| format!(" **{f}**"))
                    .unwrap_or_default(),
            cell(k.account.as_deref().unwrap_or("")),
            if k.identity_verified {
                "proved"
            } else {
                "NOT PROVED"
            },
            k.pin_retries.map_or_else(
                || match k.pin_set {
                    Some(true) => "set".into(),
                    Some(false) => "NOT SET".into(),
                    None => "not read".into(),
                },
                |n| format!("{n}/8")
            ),
            k.passkeys
                .as_ref()
                .map_or_else(|| "not read".into(), |p| cell(&p.join(", "))),
            cell(k.firmware.as_deref().unwrap_or("")),
        );
    }
    out.push_str("\n## Findings\n\n");
    if r.findings.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str(
            "| Rule | Severity | Key | Finding | What to do |\n| --- | --- | --- | --- | --- |\n",
        );
        for f in &r.findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.rule,
                f.severity,
                cell(f.key.as_deref().or(f.account.as_deref()).unwrap_or("")),
                cell(&f.message),
                cell(f.remedy)
            );
        }
    }
    out
}
