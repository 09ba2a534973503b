//! `inventory retire` and `inventory reassign`: changing who the keys are, on the record. Each
//! writes a chained history entry with the admin's reason and the new roster, so the change is
//! never mistaken for tampering (GK063/GK064) and can never be made silently.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use super::inventory_cmd::rfc3339;

use crate::inventory::model::{Event, RetireReason, Retirement};
use crate::inventory::{history, roster, Inventory, KeyEntry, Store};
use crate::untrusted::ShowOutside;

#[derive(Serialize)]
struct Recorded {
    inventory: String,
    key: String,
    event: Event,
    seq: u64,
    hash: String,
    /// Keys still in service for the account(s) concerned, against the policy's minimum.
    keys_in_service: Vec<AccountKeys>,
}

#[derive(Serialize)]
struct AccountKeys {
    account: String,
    in_service: usize,
    policy_minimum: u32,
}

fn note_text(note: &str) -> Result<String, CliError> {
    let note = note.trim();
    super::inventory_cmd::typed_text("--note", note)?;
    if note.is_empty() {
        return Err(CliError::usage(
            "--note must say what happened (ticket, who, where): the record is the point",
        ));
    }
    Ok(note.to_owned())
}

fn key_named<'a>(
    inv: &'a mut Inventory,
    file: &Path,
    label: &str,
) -> Result<&'a mut KeyEntry, CliError> {
    inv.key_mut(label).ok_or_else(|| {
        CliError::usage(format!(
            "there is no key {label} in {}: see `glasskey inventory show`",
            file.display()
        ))
    })
}

fn in_service(inv: &Inventory, account: &str) -> AccountKeys {
    AccountKeys {
        account: account.to_owned(),
        in_service: inv
            .keys
            .iter()
            .filter(|k| k.retired.is_none() && k.account.eq_ignore_ascii_case(account))
            .count(),
        policy_minimum: inv.policy.min_keys_per_account,
    }
}

/// The inventory opened for a change, with the roster baseline taken before anything changes.
struct Edit {
    store: Store,
    inv: Inventory,
    baseline: roster::Baseline,
}

impl Edit {
    fn open(file: &Path, lock_wait: crate::inventory::lock::Wait) -> Result<Self, CliError> {
        let (store, inv) = Store::load_for_update(file, lock_wait)?;
        let baseline = roster::Baseline::of(&inv);
        Ok(Self {
            store,
            inv,
            baseline,
        })
    }
}

/// Appends the entry for `event`, with the roster as changed, and writes the file.
fn record(
    ctx: &mut Context,
    file: &Path,
    edit: &mut Edit,
    date: String,
    event: Event,
    accounts: &[String],
) -> Result<(), CliError> {
    let Edit {
        store,
        inv,
        baseline,
    } = edit;
    let (key, result) = match &event {
        Event::Retire { key, .. } => (key.clone(), "retired"),
        Event::Reassign { key, .. } => (key.clone(), "reassigned"),
        Event::Acknowledge { .. } => (String::new(), "acknowledged"),
    };
    let entry = history::append(
        &inv.checks,
        history::Draft {
            date,
            keys: vec![key.clone()],
            result: result.into(),
            findings: Vec::new(),
            event: Some(event.clone()),
            roster: Some(baseline.record_keeping(inv)),
            ..history::Draft::default()
        },
    );
    let out = Recorded {
        inventory: file.display().to_string(),
        key,
        event,
        seq: entry.seq,
        hash: entry.hash.clone(),
        keys_in_service: accounts.iter().map(|a| in_service(inv, a)).collect(),
    };
    inv.checks.push(entry);
    store.save(inv)?;
    ctx.emit(&out, |w| {
        let what = match &out.event {
            Event::Retire { reason, .. } => format!("Retired {} ({}).", out.key, reason.name()),
            Event::Reassign { from, to, .. } => {
                format!("Moved {} from {from} to {to}.", out.key)
            }
            Event::Acknowledge { .. } => "Acknowledged.".to_owned(),
        };
        writeln!(w, "{what} Recorded as entry #{} ({}).", out.seq, &out.hash[..16])?;
        for a in &out.keys_in_service {
            writeln!(
                w,
                "{}: {} key(s) in service; the policy asks for {}.",
                a.account, a.in_service, a.policy_minimum
            )?;
        }
        if let Event::Reassign { to, .. } = &out.event {
            writeln!(w, "Next: register the key's passkey for {to} in Entra ID, remove the old account's passkey, then audit the key.")?;
        }
        Ok(())
    })
}

pub fn retire(
    ctx: &mut Context,
    file: &Path,
    label: &str,
    reason: RetireReason,
    note: &str,
    lock_wait: Duration,
) -> Result<(), CliError> {
    let note = note_text(note)?;
    let mut edit = Edit::open(file, ctx.lock_wait(lock_wait))?;
    let inv = &mut edit.inv;
    let date = rfc3339(ctx.now()?);
    let key = key_named(inv, file, label)?;
    if let Some(r) = &key.retired {
        return Err(CliError::usage(format!(
            "{label} was already retired on {} ({}); nothing was written",
            r.date,
            r.reason.name()
        )));
    }
    key.retired = Some(Retirement {
        date: date.clone(),
        reason,
        note: note.clone(),
    });
    let account = key.account.clone();
    let event = Event::Retire {
        key: label.to_owned(),
        reason,
        note,
    };
    record(ctx, file, &mut edit, date, event, &[account])
}

pub fn reassign(
    ctx: &mut Context,
    file: &Path,
    label: &str,
    account: &str,
    note: &str,
    lock_wait: Duration,
) -> Result<(), CliError> {
    let note = note_text(note)?;
    let mut edit = Edit::open(file, ctx.lock_wait(lock_wait))?;
    let inv = &mut edit.inv;
    let date = rfc3339(ctx.now()?);
    let Some(to) = inv.account(account).map(|a| a.upn.clone()) else {
        return Err(CliError::usage(format!(
            "{account} is not an account in {}: add it with `glasskey inventory add-account`",
            file.display()
        )));
    };
    let key = key_named(inv, file, label)?;
    if key.retired.is_some() {
        return Err(CliError::usage(format!(
            "{label} is retired; a retired key serves no account. Nothing was written"
        )));
    }
    if key.account.eq_ignore_ascii_case(&to) {
        return Err(CliError::usage(format!(
            "{label} already serves {to}; nothing was written"
        )));
    }
    let from = std::mem::replace(&mut key.account, to.clone());
    let event = Event::Reassign {
        key: label.to_owned(),
        from: from.clone(),
        to: to.clone(),
        note,
    };
    record(ctx, file, &mut edit, date, event, &[from, to])
}

#[derive(Serialize)]
struct Acknowledged {
    inventory: String,
    /// Roster items the admin vouched for; empty when nothing was pending (nothing written).
    items: Vec<String>,
    seq: Option<u64>,
    hash: Option<String>,
}

/// `inventory acknowledge`: the admin vouches for roster items that changed outside glasskey
/// (GK063/GK064). The entry names the items and the note, so `inventory history` shows who
/// changed what on the record; it cannot explain away an entry that recorded a change it did
/// not explain (a forged entry stays reported).
pub fn acknowledge(
    ctx: &mut Context,
    file: &Path,
    note: &str,
    lock_wait: Duration,
) -> Result<(), CliError> {
    let note = note_text(note)?;
    let (mut store, mut inv) = Store::load_for_update(file, ctx.lock_wait(lock_wait))?;
    let date = rfc3339(ctx.now()?);
    let items: Vec<String> = roster::pending(&inv)
        .iter()
        .map(|c| c.item().to_owned())
        .collect();
    let mut out = Acknowledged {
        inventory: file.display().to_string(),
        items: items.clone(),
        seq: None,
        hash: None,
    };
    if !items.is_empty() {
        let entry = history::append(
            &inv.checks,
            history::Draft {
                date,
                keys: Vec::new(),
                result: "acknowledged".into(),
                event: Some(Event::Acknowledge { items, note }),
                roster: Some(roster::record(&inv)),
                ..history::Draft::default()
            },
        );
        out.seq = Some(entry.seq);
        out.hash = Some(entry.hash.clone());
        inv.checks.push(entry);
        store.save(&inv)?;
    }
    ctx.emit(&out, |w| {
        match (out.seq, &out.hash) {
            (Some(seq), Some(hash)) => {
                writeln!(
                    w,
                    "Acknowledged {} as entry #{seq} ({}):",
                    out.items.len(),
                    &hash[..16]
                )?;
                for item in &out.items {
                    writeln!(w, "  {}", item.shown())?;
                }
            }
            _ => writeln!(
                w,
                "The roster matches the newest recorded one: nothing to acknowledge, nothing written."
            )?,
        }
        Ok(())
    })
}
