//! `glasskey inventory …`: create, extend, show, validate and verify the inventory file.

use std::path::Path;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::context::Context;
use super::error::CliError;
use crate::audit::{integrity, rules, Finding};
use crate::inventory::model::Event;
use crate::inventory::store::{self, Store};
use crate::inventory::{history, roster};
use crate::inventory::{Account, Inventory, Policy};
use crate::untrusted::{shown_or, shown_path, ShowOutside};

pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn parse_account(spec: &str) -> Account {
    match spec.split_once('=') {
        Some((upn, name)) => Account {
            upn: upn.trim().into(),
            display_name: Some(name.trim().into()),
        },
        None => Account {
            upn: spec.trim().into(),
            display_name: None,
        },
    }
}

/// Text an admin types into the inventory (labels, custodians, locations, accounts, notes) is
/// refused when it holds a control, bidi or invisible character: shown escaped later, it would
/// still be a trap in every sheet and report (DESIGN §3.8). `field` names the option.
pub fn typed_text(field: &str, value: &str) -> Result<(), CliError> {
    match crate::untrusted::first_hidden(value) {
        None => Ok(()),
        Some(c) => Err(CliError::usage(format!(
            "{field} {} contains {} (a control, bidi or invisible character): type it with visible characters only",
            crate::untrusted::Shown(value),
            crate::untrusted::visible(&c.to_string())
        ))),
    }
}

/// A UPN the inventory can hold beside `others`: typed plainly (no hidden characters, not
/// decomposed, no full-width or other compatibility forms), shaped as user@domain, not rendering like an
/// account already listed, and not mixing scripts within its local part or a domain label.
fn check_upn(upn: &str, others: &[Account]) -> Result<(), CliError> {
    use unicode_normalization::UnicodeNormalization;
    typed_text("the UPN", upn)?;
    if upn.nfc().collect::<String>() != upn {
        return Err(CliError::usage(format!(
            "{} is typed decomposed (a letter and its accent as separate characters): type it precomposed (Unicode NFC), as Entra ID lists it",
            upn.shown()
        )));
    }
    if upn.nfkc().collect::<String>() != upn {
        return Err(CliError::usage(format!(
            "{} holds full-width or other compatibility characters: type it in plain form",
            upn.shown()
        )));
    }
    if let Some(other) = others
        .iter()
        .find(|a| crate::audit::lookalike::confusable(&a.upn, upn))
    {
        return Err(CliError::usage(format!(
            "{} looks like {}, already an account here: two accounts that render alike cannot be told apart on sheets and in findings",
            upn.shown(),
            other.upn.shown()
        )));
    }
    // As `inventory validate` judges it (GK059): per local part and domain label, so a name
    // wholly in one script is a real account.
    if crate::audit::lookalike::mixes_scripts(upn) {
        return Err(CliError::usage(format!(
            "{} mixes scripts within one part{}, a common look-alike disguise: type the UPN exactly as Entra ID lists it",
            upn.shown(),
            crate::audit::lookalike::non_ascii(upn)
        )));
    }
    if Account::is_upn(upn) {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "{upn:?} is not a UPN (expected one name, one @ and a domain, e.g. bg-01@contoso.onmicrosoft.com)"
        )))
    }
}

pub fn init(
    ctx: &mut Context,
    file: &Path,
    tenant: &str,
    accounts: &[String],
    policy: Policy,
) -> Result<(), CliError> {
    let mut inv = Inventory::new(tenant);
    inv.policy = policy;
    typed_text("--tenant", tenant)?;
    for spec in accounts {
        let account = parse_account(spec);
        check_upn(&account.upn, &inv.accounts)?;
        typed_text(
            "the display name",
            account.display_name.as_deref().unwrap_or_default(),
        )?;
        if inv.account(&account.upn).is_some() {
            return Err(CliError::usage(format!(
                "account {} is given twice",
                account.upn
            )));
        }
        inv.accounts.push(account);
    }
    Store::create(file, &inv)?;
    let n = inv.accounts.len();
    ctx.emit(&serde_json::json!({ "inventory": file.display().to_string(), "tenant": tenant, "accounts": n }), |w| {
        let path = shown_path(file);
        writeln!(w, "Created {path} for {} with {n} break-glass account(s).", tenant.shown())?;
        writeln!(w, "Next: glasskey enroll --inventory {path} --label LABEL --account UPN --custodian NAME --location PLACE")
    })
}

/// `inventory init`: flags, or questions when a person is at a terminal.
pub fn init_command(
    ctx: &mut Context,
    file: &Path,
    tenant: Option<&str>,
    accounts: &[String],
    policy: Policy,
) -> Result<(), CliError> {
    use std::io::IsTerminal;
    if let Some(t) = tenant {
        return init(ctx, file, t, accounts, policy);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage("give the tenant with --tenant (and accounts with --account), or run in a terminal to be asked"));
    }
    let cancel = std::sync::Arc::clone(&ctx.cancel);
    let ask = |prompt: &str, allow_empty: bool| -> Result<String, CliError> {
        loop {
            let answer = super::question::ask_line(prompt, &cancel)?;
            if allow_empty || !answer.trim().is_empty() {
                return Ok(answer);
            }
        }
    };
    let tenant = ask("Entra tenant (e.g. contoso.onmicrosoft.com)", false)?;
    let mut all = accounts.to_vec();
    loop {
        let upn = ask("Break-glass account UPN (empty to finish)", true)?;
        if upn.trim().is_empty() {
            break;
        }
        let name = ask("  display name (optional)", true)?;
        all.push(if name.trim().is_empty() {
            upn
        } else {
            format!("{upn}={name}")
        });
    }
    init(ctx, file, tenant.trim(), &all, policy)
}

pub fn add_account(
    ctx: &mut Context,
    file: &Path,
    upn: &str,
    display_name: Option<&str>,
    lock_wait: std::time::Duration,
) -> Result<(), CliError> {
    typed_text("--display-name", display_name.unwrap_or_default())?;
    let (mut store, mut inv) = Store::load_for_update(file, ctx.lock_wait(lock_wait))?;
    check_upn(upn, &inv.accounts)?;
    if inv.account(upn).is_some() {
        return Err(CliError::usage(format!(
            "{upn} is already an account in {}",
            file.display()
        )));
    }
    inv.accounts.push(Account {
        upn: upn.into(),
        display_name: display_name.map(str::to_owned),
    });
    store.save(&inv)?;
    ctx.emit(
        &serde_json::json!({ "inventory": file.display().to_string(), "added": upn }),
        |w| writeln!(w, "Added {}.", upn.shown()),
    )
}

pub fn show(ctx: &mut Context, file: &Path) -> Result<(), CliError> {
    let (_, inv) = Store::load(file)?;
    ctx.emit(&inv, |w| {
        writeln!(w, "{} — tenant {}, passkeys at {}", file.display(), inv.tenant.shown(), inv.passkey_rp_id.shown())?;
        let p = &inv.policy;
        writeln!(w, "policy: ≥{} keys per account, PIN ≥{} characters, check every {} days, other credentials {}{}", p.min_keys_per_account, p.min_pin_length, p.check_interval_days, if p.allow_other_credentials { "allowed" } else { "not allowed" }, if p.allow_software_keys { ", SOFTWARE KEYS ADMITTED (demo/test only)" } else { "" })?;
        for a in &inv.accounts {
            writeln!(w, "account {}{}", a.upn.shown(), a.display_name.as_deref().map(|d| format!(" ({})", d.shown())).unwrap_or_default())?;
            for k in inv.keys.iter().filter(|k| k.account.eq_ignore_ascii_case(&a.upn)) {
                let last = k.last_observation.as_ref().map_or("never checked".to_owned(), |o| format!("last checked {}", o.date.shown()));
                let software = if k.is_software() { format!(" · {}", crate::report::audit::software_flag(k.transport)) } else { String::new() };
                let retired = k.retired.as_ref().map(|r| format!(" · RETIRED ({}, {}): {}", r.reason.name(), r.date.shown(), r.note.shown())).unwrap_or_default();
                writeln!(w, "  key {:<14} {} · {} · {} · {last}{software}{retired}", k.label.shown(), shown_or(k.model.as_deref(), &k.aaguid), k.custodian.shown(), k.location.shown())?;
                writeln!(w, "      identity {}", crate::util::short_fingerprint(&k.identity.fingerprint))?;
            }
        }
        for k in inv.keys.iter().filter(|k| inv.account(&k.account).is_none()) {
            writeln!(w, "key {} is assigned to unknown account {}", k.label.shown(), k.account.shown())?;
        }
        writeln!(w, "{} recorded check(s)", inv.checks.len())
    })
}

#[derive(Serialize)]
pub struct ValidationReport {
    pub inventory: String,
    pub date: String,
    pub findings: Vec<Finding>,
    pub result: &'static str,
    /// The Entra export reconciled as well (`--entra`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entra_export: Option<crate::entra::reconcile::ExportInfo>,
}

pub fn validate(ctx: &mut Context, file: &Path, entra: Option<&Path>) -> Result<(), CliError> {
    let (_, inv) = Store::load(file)?;
    let now = ctx.now()?;
    let mut findings = rules::evaluate(&inv, now);
    let entra = entra
        .map(|path| super::entra_cmd::reconcile_file(&inv, path, now))
        .transpose()?;
    let entra_export = entra.map(|r| {
        findings.extend(r.findings);
        r.export
    });
    findings.extend(integrity::evaluate(&inv, now));
    findings.sort_by(|a, b| (&a.key, a.rule).cmp(&(&b.key, b.rule)));
    let report = ValidationReport {
        inventory: file.display().to_string(),
        date: rfc3339(now),
        result: if findings.is_empty() {
            "pass"
        } else {
            "findings"
        },
        findings,
        entra_export,
    };
    ctx.emit(&report, |w| {
        writeln!(
            w,
            "{}: {} key(s), {} account(s), {} check(s) recorded",
            report.inventory,
            inv.keys.len(),
            inv.accounts.len(),
            inv.checks.len()
        )?;
        if let Some(e) = &report.entra_export {
            crate::report::entra::write_export_line(w, e)?;
        }
        crate::report::findings::write_findings(w, &report.findings)?;
        writeln!(w, "result: {}", report.result)
    })?;
    if report.result == "pass" {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

pub fn show_history(ctx: &mut Context, file: &Path) -> Result<(), CliError> {
    let (_, inv) = Store::load(file)?;
    ctx.emit(&inv.checks, |w| {
        for c in &inv.checks {
            // Every field of a recorded check is replayed from the file: outside text.
            writeln!(
                w,
                "#{:<4} {}  {:<8} {}",
                c.seq,
                c.date.shown(),
                c.result.shown(),
                c.keys.join(", ").shown()
            )?;
            match &c.event {
                Some(Event::Retire { reason, note, .. }) => {
                    writeln!(w, "        retired ({}): {}", reason.name(), note.shown())?
                }
                Some(Event::Reassign { from, to, note, .. }) => writeln!(
                    w,
                    "        {} -> {}: {}",
                    from.shown(),
                    to.shown(),
                    note.shown()
                )?,
                Some(Event::Acknowledge { items, note }) => writeln!(
                    w,
                    "        acknowledged {}: {}",
                    items.join(", ").shown(),
                    note.shown()
                )?,
                None => {}
            }
            if let Some(e) = &c.entra {
                writeln!(
                    w,
                    "        Entra export of {} ({})",
                    e.date.shown(),
                    crate::util::short_digest(&e.sha256).shown()
                )?;
            }
            match &c.mds {
                Some(m) if m.consulted => writeln!(
                    w,
                    "        FIDO MDS BLOB no. {} ({}){}",
                    m.no.map_or_else(|| "?".to_owned(), |n| n.to_string()),
                    crate::util::short_digest(m.sha256.as_deref().unwrap_or("")).shown(),
                    if m.stale { ", stale" } else { "" }
                )?,
                Some(_) => writeln!(w, "        no FIDO MDS consulted")?,
                None => {}
            }
            for f in &c.findings {
                writeln!(w, "        {}", f.shown())?;
            }
        }
        if inv.checks.is_empty() {
            writeln!(w, "No checks recorded yet.")?;
        }
        Ok(())
    })
}

/// The chain, its dates and the roster against the newest recorded one: is this the file the
/// checks vouched for?
pub fn verify(ctx: &mut Context, file: &Path) -> Result<(), CliError> {
    let (_, inv) = Store::load(file)?;
    let now = ctx.now()?;
    let chain = history::verify(&inv.checks);
    let mut findings = integrity::evaluate(&inv, now);
    findings.sort_by(|a, b| (a.rule, &a.key, &a.message).cmp(&(b.rule, &b.key, &b.message)));
    let head = inv.checks.last().map(|c| c.hash.clone());
    let roster = roster::latest(&inv).map(|(seq, _)| seq);
    let roster_entry = roster.and_then(|seq| inv.checks.iter().find(|c| c.seq == seq));
    let value = serde_json::json!({
        "inventory": file.display().to_string(),
        "checks": inv.checks.len(),
        "intact": chain.is_ok(),
        "problem": chain.as_ref().err().map(ToString::to_string),
        "head_hash": head,
        "roster_recorded_at": roster,
        "findings": findings,
    });
    ctx.emit(&value, |w| {
        match &chain {
            Ok(()) => writeln!(
                w,
                "{}: {} check(s), chain intact; newest hash {}",
                shown_path(file),
                inv.checks.len(),
                head.as_deref().unwrap_or("-")
            )?,
            Err(e) => writeln!(w, "{}: {}", shown_path(file), e.to_string().shown())?,
        }
        match roster {
            Some(seq) => writeln!(
                w,
                "roster compared with the one recorded at {} entry #{seq}",
                roster_entry.map_or("check", |e| e.kind())
            )?,
            None => writeln!(w, "no roster recorded yet (older glasskey, or no check yet): the next audit records one")?,
        }
        crate::report::findings::write_findings(w, &findings)
    })?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

pub fn digest(ctx: &mut Context, file: &Path) -> Result<(), CliError> {
    let d = store::file_digest(file)?;
    ctx.emit(
        &serde_json::json!({ "inventory": file.display().to_string(), "sha256": d }),
        |w| writeln!(w, "{d}  {}", shown_path(file)),
    )
}
