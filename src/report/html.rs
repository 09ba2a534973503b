//! Self-contained HTML (no external assets, no scripts) with print CSS: a summary page, then
//! one page per key. The audit report shares the head and escaping.

use std::fmt::Write;

use super::audit::AuditReport;
use super::escape::html as esc;
use super::sheet::{KeySheet, SheetReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    Letter,
}

impl Paper {
    fn css(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::Letter => "letter",
        }
    }
}

const STYLE: &str = "
  body { font-family: 'DejaVu Sans', Arial, Helvetica, sans-serif; font-size: 10pt; color: #000; margin: 0; }
  h1 { font-size: 17pt; margin: 0 0 2mm; }
  h2 { font-size: 12pt; margin: 5mm 0 2mm; }
  .page { break-after: page; page-break-after: always; }
  .page:last-child { break-after: auto; page-break-after: auto; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; }
  th, td { border: 0.6pt solid #333; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; word-break: break-word; }
  th { background: #eee; }
  table.facts th { width: 32%; }
  section.summary { page: summary; }
  table.summary { font-size: 7.5pt; }
  table.summary th, table.summary td { padding: 1mm 1.2mm; }
  .fp { font-family: 'DejaVu Sans Mono', 'Courier New', monospace; font-size: 15pt; letter-spacing: 0.5pt; }
  table.checklist td { height: 9mm; }
  .meta { font-size: 8pt; color: #333; overflow-wrap: anywhere; }
  .digest { font-family: 'DejaVu Sans Mono', 'Courier New', monospace; white-space: nowrap; }
  .findings { color: #900; }
  .software { color: #900; }
  @media screen { body { margin: 12mm; } .page { border-bottom: 1px dashed #999; padding-bottom: 8mm; margin-bottom: 8mm; } }
";

fn head(out: &mut String, title: &str, paper: Paper) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"glasskey\">\n<title>{}</title>\n<style>\n  @page {{ size: {}; margin: 14mm; }}\n  @page summary {{ size: {} landscape; margin: 10mm; }}{STYLE}</style>\n</head>\n<body>\n",
        esc(title),
        paper.css(),
        paper.css()
    );
}

/// Text from the inventory, escaped and isolated so right-to-left text cannot reorder what
/// surrounds it.
fn text(s: &str) -> String {
    format!("<bdi>{}</bdi>", esc(s))
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "–".into(), text)
}

/// A cell that carries the software-key flag, prominently, when there is one.
fn software_cell(flag: Option<String>, content: String) -> String {
    match flag {
        Some(f) => format!("{content} <strong class=\"software\">{}</strong>", esc(&f)),
        None => content,
    }
}

fn meta(r: &SheetReport) -> String {
    let mut m = format!(
        "<p class=\"meta\">Inventory <bdi>{}</bdi> · SHA-256 <span class=\"digest\">{}</span> · generated {}</p>\n",
        esc(&r.inventory),
        esc(&r.inventory_sha256),
        esc(&r.generated)
    );
    if let Some(e) = &r.entra_export {
        let _ = writeln!(
            m,
            "<p class=\"meta\">Entra export SHA-256 <span class=\"digest\">{}</span> · exported {}</p>",
            esc(&e.sha256),
            esc(&e.date)
        );
    }
    m
}

fn key_page(out: &mut String, r: &SheetReport, k: &KeySheet) {
    let account = match &k.display_name {
        Some(d) => format!("{} ({})", text(&k.account), text(d)),
        None => text(&k.account),
    };
    let last = match (&k.last_check, &k.last_result) {
        (Some(d), Some(res)) => format!("{} — {}", esc(d), esc(res)),
        _ => "not yet checked".into(),
    };
    let p = &r.policy;
    let _ = write!(
        out,
        "<section class=\"page key\">\n<h1>Break-glass key {}</h1>\n",
        software_cell(k.flags(), text(&k.label))
    );
    out.push_str(&meta(r));
    out.push_str("<table class=\"facts\">\n");
    for (name, value) in [
        ("Account", account),
        ("Tenant", text(&r.tenant)),
        ("Model", opt(k.model.as_deref())),
        ("AAGUID", text(&k.aaguid)),
        ("Transport", software_cell(k.software_flag(), esc(&k.transport_cell()))),
        ("Firmware", opt(k.firmware.as_deref())),
        ("Serials", text(&k.serials())),
        ("Custodian", text(&k.custodian)),
        ("Storage location", text(&k.location)),
        ("Enrolled", text(&k.enrolled)),
        ("Last check", last),
        ("PIN policy", format!("at least {} characters; 8 of 8 retries expected (untouched); checked every {} days", p.min_pin_length, p.check_interval_days)),
        ("Passkey", format!("exactly one, for the account above, at {}", text(&r.passkey_rp_id))),
    ] {
        let _ = writeln!(out, "<tr><th>{name}</th><td>{value}</td></tr>");
    }
    if let Some(r) = &k.retired {
        let _ = writeln!(
            out,
            "<tr><th>Retired</th><td><strong class=\"software\">{} on {}</strong>: {}</td></tr>",
            esc(r.reason.name()),
            esc(&r.date),
            text(&r.note)
        );
    }
    if let Some(e) = &k.entra {
        let _ = writeln!(
            out,
            "<tr><th>Entra method</th><td>{}</td></tr>",
            text(&e.summary())
        );
    }
    out.push_str("</table>\n<h2>Identity fingerprint</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"fp\">{}</p>",
        esc(&k.identity_fingerprint_short)
    );
    out.push_str("<p class=\"meta\">`glasskey identify` must print this fingerprint for this key. Full SHA-256: ");
    let _ = writeln!(
        out,
        "<span class=\"digest\">{}</span></p>",
        esc(&k.identity_fingerprint)
    );
    out.push_str("<h2>Quarterly checklist</h2>\n<table class=\"checklist\">\n<tr><th style=\"width:13%\">Date</th><th>Identity proved</th><th>PIN 8/8</th><th>Only this account's passkey</th><th>Audit result</th><th style=\"width:19%\">Checked by (name, signature)</th><th style=\"width:19%\">Second person (name, signature)</th></tr>\n");
    for _ in 0..6 {
        out.push_str("<tr><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>\n");
    }
    out.push_str("</table>\n</section>\n");
}

pub fn sheets(r: &SheetReport, paper: Paper) -> String {
    let mut out = String::with_capacity(4096 + r.keys.len() * 4096);
    head(
        &mut out,
        &format!("Break-glass key sheets — {}", r.tenant),
        paper,
    );
    out.push_str("<section class=\"page summary\">\n");
    let _ = writeln!(out, "<h1>Break-glass keys — {}</h1>", text(&r.tenant));
    out.push_str(&meta(r));
    if let Some(h) = &r.newest_check_hash {
        let _ = writeln!(
            out,
            "<p class=\"meta\">Newest recorded check: <span class=\"digest\">{}</span></p>",
            esc(h)
        );
    }
    // Landscape, with the widest columns for what must stay on one line: a UPN, a model name.
    out.push_str("<table class=\"summary\">\n<colgroup><col style=\"width:8%\"><col style=\"width:20%\"><col style=\"width:26%\"><col style=\"width:10%\"><col style=\"width:10%\"><col style=\"width:10%\"><col style=\"width:8%\"><col style=\"width:8%\"></colgroup>\n<tr><th>Label</th><th>Account</th><th>Model</th><th>Serials</th><th>Identity</th><th>Custodian</th><th>Location</th><th>Last check</th></tr>\n");
    for k in &r.keys {
        let last = match (&k.last_check, &k.last_result) {
            (Some(d), Some(res)) => format!("{} {}", esc(d.get(..10).unwrap_or(d)), esc(res)),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{last}</td></tr>",
            software_cell(k.flags(), text(&k.label)),
            text(&k.account),
            opt(k.model.as_deref()),
            text(&k.serials()),
            esc(&k.identity_fingerprint_short),
            text(&k.custodian),
            text(&k.location),
        );
    }
    out.push_str("</table>\n</section>\n");
    for k in &r.keys {
        key_page(&mut out, r, k);
    }
    out.push_str("</body>\n</html>\n");
    out
}

pub fn audit(r: &AuditReport) -> String {
    let mut out = String::new();
    head(
        &mut out,
        &format!("Break-glass audit — {}", r.tenant),
        Paper::A4,
    );
    let _ = writeln!(
        out,
        "<section class=\"page\">\n<h1>Break-glass audit — {}</h1>",
        text(&r.tenant)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">Inventory <bdi>{}</bdi> · {} · check #{} ({}) · result <strong>{}</strong></p>",
        esc(&r.inventory),
        esc(&r.date),
        r.check_seq,
        esc(&r.check_hash),
        esc(&r.result)
    );
    let _ = writeln!(out, "<p class=\"meta\">MDS: {}</p>", esc(&r.mds.line()));
    out.push_str("<h2>Keys checked</h2>\n<table>\n<tr><th>Key</th><th>Account</th><th>Identity</th><th>PIN</th><th>Passkeys</th><th>Firmware</th></tr>\n");
    for k in &r.keys_checked {
        let pin = match (k.pin_set, k.pin_retries) {
            (Some(true), Some(n)) => format!("set, {n}/8"),
            (Some(true), None) => "set".into(),
            (Some(false), _) => "NOT SET".into(),
            (None, _) => "not read".into(),
        };
        let passkeys = k.passkeys.as_ref().map_or_else(
            || "not read".into(),
            |p| p.iter().map(|u| text(u)).collect::<Vec<_>>().join("<br>"),
        );
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{pin}</td><td>{passkeys}</td><td>{}</td></tr>",
            software_cell(k.software_flag(), k.label.as_deref().map_or_else(|| text(&k.untrusted_heading()), text)),
            opt(k.account.as_deref()),
            if k.identity_verified { "proved" } else { "NOT PROVED" },
            opt(k.firmware.as_deref()),
        );
    }
    out.push_str("</table>\n<h2>Findings</h2>\n");
    if r.findings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<table class=\"findings\">\n<tr><th style=\"width:9%\">Rule</th><th style=\"width:10%\">Severity</th><th style=\"width:12%\">Key</th><th>Finding</th><th>What to do</th></tr>\n");
        for f in &r.findings {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(f.rule),
                f.severity,
                opt(f.key.as_deref().or(f.account.as_deref())),
                text(&f.message),
                esc(f.remedy)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n</body>\n</html>\n");
    out
}
