//! The roster: who the inventory says the break-glass keys and accounts are. Every recorded
//! check (and every retire or reassign) stores its SHA-256 and a short digest per item, inside
//! the hash chain, so that a later `validate`, `verify` or `audit` can name a key or account that
//! vanished or changed without a recorded reason (a hand edit, a truncated file).
//!
//! Items: the tenant; the passkey RP ID; the policy; each account (UPN); each key with its
//! assignment, AAGUID, serials, transport, identity credential and public key, signature
//! counter, retirement and a digest of its last observation. Custodian, location and model
//! names are not in the roster: they are the admin's to edit by hand.
//!
//! The chain has no secret key, so someone who edits the file could append a well-hashed entry
//! that records a changed roster. Two rules stop that from passing unnoticed:
//! - every entry's roster must follow from the previous one by what the entry says it did
//!   ([`unexplained_transitions`]): a check changes only the keys it checked, retire and
//!   reassign only their key, and only `inventory acknowledge` (an entry that names the items
//!   it vouches for, visible in `inventory history`) may change anything else or drop an item;
//! - an entry never adopts a change it could not explain: it records the old digest of such an
//!   item ([`Baseline::record_keeping`]), so the change stays reported until it is acknowledged.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{CheckEntry, Event, Inventory, KeyEntry, RosterRecord};

/// Hex characters kept per item: 64 bits, enough to tell a changed item; the full roster
/// digest covers everything at 256 bits.
const ITEM_DIGEST_HEX: usize = 16;

/// The item that marks a roster whose keys are split by what may change them (below). Rosters
/// without it were written by glasskey before the split: one item per key.
const FORMAT_ITEM: &str = "format";
const FORMAT: &str = "2";

/// Key item prefixes, by what may change the item: nothing but an acknowledgement (`key`, the
/// key's identity and enrolment facts), `inventory reassign` (`key-account`), `inventory
/// retire` (`key-retired`) and a check of the key (`key-checked`: counter and observation).
const KEY: &str = "key";
const KEY_ACCOUNT: &str = "key-account";
const KEY_RETIRED: &str = "key-retired";
const KEY_CHECKED: &str = "key-checked";

fn sha256_hex(value: &serde_json::Value) -> String {
    // serde_json's map is sorted by key, so `to_string` is canonical.
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

fn item_name(prefix: &str, label: &str) -> String {
    format!("{prefix}:{label}")
}

/// The key label an item is about, if it is a key item.
pub fn item_key(item: &str) -> Option<&str> {
    match item.split_once(':') {
        Some((KEY | KEY_ACCOUNT | KEY_RETIRED | KEY_CHECKED, label)) => Some(label),
        _ => None,
    }
}

/// What enrolment recorded and no check changes.
fn key_identity_item(k: &KeyEntry) -> serde_json::Value {
    json!({
        "aaguid": k.aaguid.to_lowercase(),
        "transport": k.transport.name(),
        "usb_vendor_id": k.usb_vendor_id,
        "firmware": k.firmware,
        "vendor_serial": k.vendor_serial,
        "usb_serial": k.usb_serial,
        "casing_serial": k.casing_serial,
        "enrolled": k.enrolled,
        "identity_rp_id": k.identity.rp_id,
        "identity_credential_id": k.identity.credential_id,
        "identity_public_key": k.identity.public_key,
        "identity_fingerprint": k.identity.fingerprint,
    })
}

fn observation_digest(k: &KeyEntry) -> Option<String> {
    k.last_observation.as_ref().map(|o| sha256_hex(&json!(o)))
}

/// One item per key, as glasskey wrote rosters before the split (compared only with rosters
/// of that form).
fn legacy_key_item(k: &KeyEntry) -> serde_json::Value {
    json!({
        "account": k.account.to_lowercase(),
        "aaguid": k.aaguid.to_lowercase(),
        "transport": k.transport.name(),
        "vendor_serial": k.vendor_serial,
        "usb_serial": k.usb_serial,
        "casing_serial": k.casing_serial,
        "identity_credential_id": k.identity.credential_id,
        "identity_public_key": k.identity.public_key,
        "sign_count": k.identity.sign_count,
        "retired": k.retired,
        "last_observation": observation_digest(k),
    })
}

/// Canonical items, by name: `format`, `tenant`, `passkey_rp_id`, `policy`, `account:UPN`
/// (lower case), and per key `key:`, `key-account:`, `key-retired:`, `key-checked:` LABEL;
/// `legacy` gives the one-item-per-key form of older rosters instead.
fn items(inv: &Inventory, legacy: bool) -> BTreeMap<String, serde_json::Value> {
    let mut items = BTreeMap::new();
    items.insert("tenant".to_owned(), json!(inv.tenant.to_lowercase()));
    items.insert("passkey_rp_id".to_owned(), json!(inv.passkey_rp_id));
    items.insert(
        "policy".to_owned(),
        serde_json::to_value(&inv.policy).unwrap_or_default(),
    );
    for a in &inv.accounts {
        items.insert(format!("account:{}", a.upn.to_lowercase()), json!(true));
    }
    for k in &inv.keys {
        if legacy {
            items.insert(item_name(KEY, &k.label), legacy_key_item(k));
            continue;
        }
        items.insert(item_name(KEY, &k.label), key_identity_item(k));
        items.insert(
            item_name(KEY_ACCOUNT, &k.label),
            json!(k.account.to_lowercase()),
        );
        items.insert(item_name(KEY_RETIRED, &k.label), json!(k.retired));
        items.insert(
            item_name(KEY_CHECKED, &k.label),
            json!({"sign_count": k.identity.sign_count, "last_observation": observation_digest(k)}),
        );
    }
    items
}

fn is_legacy(r: &RosterRecord) -> bool {
    r.items.get(FORMAT_ITEM).map(String::as_str) != Some(FORMAT)
}

/// The roster's own digest: over its item digests, so that it can be checked from the entry
/// alone.
fn digest_of(items: &BTreeMap<String, String>) -> String {
    sha256_hex(&json!(items))
}

fn record_of(inv: &Inventory, legacy: bool) -> RosterRecord {
    let mut short: BTreeMap<String, String> = items(inv, legacy)
        .iter()
        .map(|(name, v)| (name.clone(), sha256_hex(v)[..ITEM_DIGEST_HEX].to_owned()))
        .collect();
    if !legacy {
        short.insert(FORMAT_ITEM.to_owned(), FORMAT.to_owned());
    }
    RosterRecord {
        sha256: digest_of(&short),
        items: short,
    }
}

/// Whether `change` is a part of a key (account, retirement, checks) that vanished together
/// with the key itself (`key:LABEL`, per `also`): reported once, as the key.
pub fn implied_by_key_vanishing(change: &Change, also: impl Fn(&Change) -> bool) -> bool {
    let Change::Vanished(item) = change else {
        return false;
    };
    match (item.split_once(':'), item_key(item)) {
        (Some((prefix, _)), Some(label)) if prefix != KEY => {
            also(&Change::Vanished(item_name(KEY, label)))
        }
        _ => false,
    }
}

/// What a new entry records about the inventory as it will be written.
pub fn record(inv: &Inventory) -> RosterRecord {
    record_of(inv, false)
}

/// Whether a roster's `sha256` is the digest of its items (rosters of the current form; older
/// ones hashed the full items, which an entry does not keep).
pub fn digest_matches(r: &RosterRecord) -> bool {
    is_legacy(r) || r.sha256 == digest_of(&r.items)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Vanished(String),
    Changed(String),
}

impl Change {
    pub fn item(&self) -> &str {
        match self {
            Change::Vanished(item) | Change::Changed(item) => item,
        }
    }
}

/// Items of `before` that are gone from, or differ in, `after`. Items added since are not
/// changes (enrolling a key or adding an account records no entry). From an older roster to
/// one of the current form, key items are not comparable and are skipped.
fn item_changes(before: &RosterRecord, after: &RosterRecord) -> Vec<Change> {
    let upgrade = is_legacy(before) && !is_legacy(after);
    before
        .items
        .iter()
        .filter(|(name, _)| !(upgrade && item_key(name).is_some()))
        .filter_map(|(name, digest)| match after.items.get(name) {
            None => Some(Change::Vanished(name.clone())),
            Some(d) if d != digest => Some(Change::Changed(name.clone())),
            Some(_) => None,
        })
        .collect()
}

/// Items of `recorded` that are gone from, or differ in, `inv` (computed in the recorded
/// roster's form).
pub fn changes(recorded: &RosterRecord, inv: &Inventory) -> Vec<Change> {
    item_changes(recorded, &record_of(inv, is_legacy(recorded)))
}

/// What changed since the newest recorded roster without a recorded reason (none if no entry
/// recorded a roster yet).
pub fn pending(inv: &Inventory) -> Vec<Change> {
    latest(inv).map_or_else(Vec::new, |(_, r)| changes(r, inv))
}

/// The newest recorded roster and what differs from it without a recorded reason, taken when
/// a writer reads the file, before it changes anything.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    previous: Option<RosterRecord>,
    unexplained: Vec<Change>,
}

impl Baseline {
    pub fn of(inv: &Inventory) -> Self {
        Self {
            previous: latest(inv).map(|(_, r)| r.clone()),
            unexplained: pending(inv),
        }
    }

    /// The roster a new entry records: `inv` as it will be written, except that every item
    /// that had changed without a reason keeps its previous digest, so the change stays
    /// reported (until `inventory acknowledge`).
    pub fn record_keeping(&self, inv: &Inventory) -> RosterRecord {
        let mut out = record(inv);
        if let Some(previous) = &self.previous {
            for change in &self.unexplained {
                if let Some(old) = previous.items.get(change.item()) {
                    out.items.insert(change.item().to_owned(), old.clone());
                }
            }
            out.sha256 = digest_of(&out.items);
        }
        out
    }
}

/// A roster change that the entry recording it does not explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    pub seq: u64,
    /// The entry's kind ("check", "retire", "reassign", "acknowledge"), to name it by.
    pub kind: &'static str,
    pub change: Change,
}

/// Walks the history and names every roster item that an entry dropped or changed without
/// saying so: a check may change the counter and observation of the keys it lists, retire a
/// key's retirement, reassign its account, and an acknowledgement the items it names; nothing
/// else may change, and only an acknowledgement may drop an item. In rosters of the older form
/// (one item per key) a check, retire or reassign may change its key's whole item. Entries
/// without a roster (older glasskey) pass their allowance on to the next entry that has one.
pub fn unexplained_transitions(chain: &[CheckEntry]) -> Vec<Unexplained> {
    let mut out = Vec::new();
    let mut previous: Option<&RosterRecord> = None;
    let mut may_change: BTreeSet<String> = BTreeSet::new();
    let mut may_drop: BTreeSet<String> = BTreeSet::new();
    let mut legacy_may_change: BTreeSet<String> = BTreeSet::new();
    for entry in chain {
        match &entry.event {
            None => {
                for k in &entry.keys {
                    may_change.insert(item_name(KEY_CHECKED, k));
                    legacy_may_change.insert(item_name(KEY, k));
                }
            }
            Some(Event::Retire { key, .. }) => {
                may_change.insert(item_name(KEY_RETIRED, key));
                legacy_may_change.insert(item_name(KEY, key));
            }
            Some(Event::Reassign { key, .. }) => {
                may_change.insert(item_name(KEY_ACCOUNT, key));
                legacy_may_change.insert(item_name(KEY, key));
            }
            Some(Event::Acknowledge { items, .. }) => {
                may_change.extend(items.iter().cloned());
                may_drop.extend(items.iter().cloned());
            }
        }
        let Some(roster) = &entry.roster else {
            continue;
        };
        if let Some(before) = previous {
            let legacy = is_legacy(before) && is_legacy(roster);
            for change in item_changes(before, roster) {
                let explained = match &change {
                    Change::Vanished(item) => may_drop.contains(item),
                    Change::Changed(item) => {
                        may_change.contains(item) || (legacy && legacy_may_change.contains(item))
                    }
                };
                if !explained {
                    out.push(Unexplained {
                        seq: entry.seq,
                        kind: entry.kind(),
                        change,
                    });
                }
            }
        }
        previous = Some(roster);
        may_change.clear();
        may_drop.clear();
        legacy_may_change.clear();
    }
    out
}

/// Labels of keys whose identity record (`key:LABEL`: credential, public key, serials, ...)
/// the history does not vouch for: changed since the newest roster, or recorded changed by an
/// entry that did not explain it, with no `inventory acknowledge` entry either way. The roster
/// keeps only a digest of the previous record, so such a key cannot be proved against the
/// identity the history recorded; no PIN may follow a proof against the edited one.
pub fn unacknowledged_identities(inv: &Inventory) -> BTreeSet<String> {
    let key_item = |change: &Change| match change {
        Change::Changed(item) => item
            .strip_prefix(KEY)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::to_owned),
        Change::Vanished(_) => None,
    };
    let transitions = unexplained_transitions(&inv.checks);
    pending(inv)
        .iter()
        .chain(transitions.iter().map(|u| &u.change))
        .filter_map(key_item)
        .collect()
}

/// The newest entry's roster, if any entry recorded one.
pub fn latest(inv: &Inventory) -> Option<(u64, &RosterRecord)> {
    inv.checks
        .iter()
        .rev()
        .find_map(|c| c.roster.as_ref().map(|r| (c.seq, r)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::model::Account;

    fn inv() -> Inventory {
        let mut inv = Inventory::new("contoso.onmicrosoft.com");
        for u in ["a@contoso.onmicrosoft.com", "b@contoso.onmicrosoft.com"] {
            inv.accounts.push(Account {
                upn: u.into(),
                display_name: None,
            });
        }
        inv
    }

    #[test]
    fn an_unchanged_roster_has_no_changes_and_a_new_account_is_not_one() {
        let mut i = inv();
        let r = record(&i);
        assert_eq!(changes(&r, &i), vec![]);
        i.accounts.push(Account {
            upn: "c@contoso.onmicrosoft.com".into(),
            display_name: None,
        });
        assert_eq!(changes(&r, &i), vec![]);
        assert_ne!(record(&i).sha256, r.sha256);
    }

    #[test]
    fn a_removed_account_and_a_changed_tenant_are_named() {
        let mut i = inv();
        let r = record(&i);
        i.accounts.remove(1);
        i.tenant = "fabrikam.onmicrosoft.com".into();
        assert_eq!(
            changes(&r, &i),
            vec![
                Change::Vanished("account:b@contoso.onmicrosoft.com".into()),
                Change::Changed("tenant".into())
            ]
        );
    }

    #[test]
    fn display_names_are_not_part_of_the_roster() {
        let mut i = inv();
        let r = record(&i);
        i.accounts[0].display_name = Some("Break Glass A".into());
        assert_eq!(record(&i), r);
    }
}
