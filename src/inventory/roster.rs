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

fn sha256_hex(value: &serde_json::Value) -> String {
    // serde_json's map is sorted by key, so `to_string` is canonical.
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

fn key_item(k: &KeyEntry) -> serde_json::Value {
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
        "last_observation": k.last_observation.as_ref().map(|o| sha256_hex(&json!(o))),
    })
}

/// Canonical items, by name: `tenant`, `account:UPN` (lower case), `key:LABEL`.
pub fn items(inv: &Inventory) -> BTreeMap<String, serde_json::Value> {
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
        items.insert(format!("key:{}", k.label), key_item(k));
    }
    items
}

/// What a new entry records about the inventory as it will be written.
pub fn record(inv: &Inventory) -> RosterRecord {
    let items = items(inv);
    let sha256 = sha256_hex(&json!(items));
    let short = items
        .iter()
        .map(|(name, v)| (name.clone(), sha256_hex(v)[..ITEM_DIGEST_HEX].to_owned()))
        .collect();
    RosterRecord {
        sha256,
        items: short,
    }
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
/// changes (enrolling a key or adding an account records no entry).
fn item_changes(before: &RosterRecord, after: &RosterRecord) -> Vec<Change> {
    before
        .items
        .iter()
        .filter_map(|(name, digest)| match after.items.get(name) {
            None => Some(Change::Vanished(name.clone())),
            Some(d) if d != digest => Some(Change::Changed(name.clone())),
            Some(_) => None,
        })
        .collect()
}

/// Items of `recorded` that are gone from, or differ in, `inv`.
pub fn changes(recorded: &RosterRecord, inv: &Inventory) -> Vec<Change> {
    item_changes(recorded, &record(inv))
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
        }
        out
    }
}

/// A roster change that the entry recording it does not explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    pub seq: u64,
    pub change: Change,
}

/// Walks the history and names every roster item that an entry dropped or changed without
/// saying so: a check may change the keys it lists, retire and reassign their key, and an
/// acknowledgement the items it names; nothing else may change, and only an acknowledgement
/// may drop an item. Entries without a roster (older glasskey) pass their allowance on to the
/// next entry that has one.
pub fn unexplained_transitions(chain: &[CheckEntry]) -> Vec<Unexplained> {
    let mut out = Vec::new();
    let mut previous: Option<&RosterRecord> = None;
    let mut may_change: BTreeSet<String> = BTreeSet::new();
    let mut may_drop: BTreeSet<String> = BTreeSet::new();
    for entry in chain {
        match &entry.event {
            None => may_change.extend(entry.keys.iter().map(|k| format!("key:{k}"))),
            Some(Event::Retire { key, .. } | Event::Reassign { key, .. }) => {
                may_change.insert(format!("key:{key}"));
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
            for change in item_changes(before, roster) {
                let explained = match &change {
                    Change::Vanished(item) => may_drop.contains(item),
                    Change::Changed(item) => may_change.contains(item),
                };
                if !explained {
                    out.push(Unexplained {
                        seq: entry.seq,
                        change,
                    });
                }
            }
        }
        previous = Some(roster);
        may_change.clear();
        may_drop.clear();
    }
    out
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
