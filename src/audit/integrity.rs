//! Whether the inventory can be believed: the hash chain (GK060), the order and plausibility of
//! its dates (GK061, GK062), and the roster recorded by the newest entry against the keys and
//! accounts now in the file (GK063-GK065). `validate`, `verify` and `audit` all report these; an
//! audit evaluates them on the file as it was read, before it records anything.

use time::OffsetDateTime;

use super::finding::Finding;
use super::rules::{
    FUTURE_DATED, HISTORY_BROKEN, HISTORY_DATE_BACKWARDS, ROSTER_CHANGED, ROSTER_EMPTY,
    ROSTER_VANISHED,
};
use crate::inventory::history::{self, DateProblem};
use crate::inventory::roster::{self, Change};
use crate::inventory::Inventory;

pub fn evaluate(inv: &Inventory, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Err(e) = history::verify(&inv.checks) {
        out.push(Finding::new(&HISTORY_BROKEN, None, None, e.to_string()));
    }
    // Observations are written only together with a check entry: observations without any
    // entry mean the history was cut away.
    if inv.checks.is_empty() {
        for k in inv.keys.iter().filter(|k| k.last_observation.is_some()) {
            out.push(Finding::new(
                &HISTORY_BROKEN,
                Some(&k.label),
                Some(&k.account),
                "the key has a recorded observation but the history holds no check",
            ));
        }
    }
    for p in history::date_problems(&inv.checks, now) {
        let rule = match p {
            DateProblem::Backwards { .. } | DateProblem::Unreadable { .. } => {
                &HISTORY_DATE_BACKWARDS
            }
            DateProblem::Future { .. } => &FUTURE_DATED,
        };
        out.push(Finding::new(rule, None, None, p.to_string()));
    }
    for k in &inv.keys {
        let dated = [
            ("enrolled", Some(k.enrolled.as_str())),
            (
                "last checked",
                k.last_observation.as_ref().map(|o| o.date.as_str()),
            ),
            ("retired", k.retired.as_ref().map(|r| r.date.as_str())),
        ];
        for (what, date) in dated {
            if let Some(d) = date.filter(|d| history::parse_date(d).is_none()) {
                out.push(Finding::new(
                    &HISTORY_DATE_BACKWARDS,
                    Some(&k.label),
                    Some(&k.account),
                    format!("{what} date {d:?} is no RFC 3339 date"),
                ));
            }
            if let Some(d) = date.filter(|d| history::is_future(d, now)) {
                out.push(Finding::new(
                    &FUTURE_DATED,
                    Some(&k.label),
                    Some(&k.account),
                    format!("{what} {d}, in the future of this check"),
                ));
            }
        }
    }
    // Entries that recorded a roster change they did not explain (a forged entry).
    let transitions = roster::unexplained_transitions(&inv.checks);
    let transitions = transitions.iter().filter(|u| {
        !roster::implied_by_key_vanishing(&u.change, |c| {
            transitions.iter().any(|o| o.seq == u.seq && o.change == *c)
        })
    });
    for u in transitions {
        let what = match &u.change {
            Change::Vanished(item) => format!("dropped {item} from the roster"),
            Change::Changed(item) => format!("recorded a changed {item}"),
        };
        out.push(roster_finding(
            inv,
            &u.change,
            format!(
                "{} entry #{} {what} with no recorded reason: an entry glasskey would not write. Restore the file from FILE.bak or your copy; `inventory acknowledge` cannot vouch for an entry already in the history",
                u.kind, u.seq
            ),
        ));
    }
    for e in &inv.checks {
        if e.roster
            .as_ref()
            .is_some_and(|r| !roster::digest_matches(r))
        {
            out.push(Finding::new(
                &ROSTER_CHANGED,
                None,
                None,
                format!(
                    "{} entry #{}'s roster digest is not the digest of its items: an entry glasskey would not write",
                    e.kind(),
                    e.seq
                ),
            ));
        }
    }
    // What every command shows as the key's identity must be that of the recorded public key.
    for k in &inv.keys {
        if !fingerprint_matches(k) {
            out.push(Finding::new(
                &ROSTER_CHANGED,
                Some(&k.label),
                Some(&k.account),
                "the recorded identity fingerprint is not the SHA-256 of the recorded public key: the record was edited",
            ));
        }
    }
    if let Some((seq, _)) = roster::latest(inv) {
        let pending = roster::pending(inv);
        for change in pending
            .iter()
            .filter(|c| !roster::implied_by_key_vanishing(c, |o| pending.contains(o)))
        {
            let what = match &change {
                Change::Vanished(_) => "is gone",
                Change::Changed(_) => "changed",
            };
            out.push(roster_finding(
                inv,
                change,
                format!(
                    "{} {what} since check #{seq}, with no recorded reason",
                    change.item()
                ),
            ));
        }
    }
    if inv.accounts.is_empty() {
        out.push(Finding::new(
            &ROSTER_EMPTY,
            None,
            None,
            "the inventory lists no break-glass account",
        ));
    }
    if inv.keys.iter().all(|k| k.retired.is_some()) {
        out.push(Finding::new(
            &ROSTER_EMPTY,
            None,
            None,
            "the inventory lists no key in service",
        ));
    }
    out
}

fn roster_finding(inv: &Inventory, change: &Change, message: String) -> Finding {
    let rule = match change {
        Change::Vanished(_) => &ROSTER_VANISHED,
        Change::Changed(_) => &ROSTER_CHANGED,
    };
    let item = change.item();
    let (key, account) = match (roster::item_key(item), item.split_once(':')) {
        (Some(label), _) => (Some(label), inv.key(label).map(|k| k.account.as_str())),
        (None, Some(("account", upn))) => (None, Some(upn)),
        _ => (None, None),
    };
    Finding::new(rule, key, account, message)
}

fn fingerprint_matches(k: &crate::inventory::KeyEntry) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&k.identity.public_key)
        .is_ok_and(|cose| {
            crate::util::key_fingerprint(&cose).eq_ignore_ascii_case(&k.identity.fingerprint)
        })
}
