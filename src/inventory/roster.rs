//! The roster: who the inventory says the break-glass keys and accounts are. Every recorded
//! check (and every retire or reassign) stores its SHA-256 and a short digest per item, inside
//! the hash chain, so that a later `validate`, `verify` or `audit` can name a key or account that
//! vanished or changed without a recorded reason (a hand edit, a truncated file).
//!
//! Items: the tenant; each account (UPN); each key with its assignment, AAGUID, serials,
//! transport, identity credential and public key, signature counter, retirement and a digest of
//! its last observation. Custodian, location, model names and the policy are not in the roster:
//! they are the admin's to edit by hand.

use std::collections::BTreeMap;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{Inventory, KeyEntry, RosterRecord};

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

/// Items of `recorded` that are gone from, or differ in, `inv`. Items added since are not
/// changes (enrolling a key or adding an account records no entry).
pub fn changes(recorded: &RosterRecord, inv: &Inventory) -> Vec<Change> {
    let now = record(inv);
    if now.sha256 == recorded.sha256 {
        return Vec::new();
    }
    recorded
        .items
        .iter()
        .filter_map(|(name, digest)| match now.items.get(name) {
            None => Some(Change::Vanished(name.clone())),
            Some(d) if d != digest => Some(Change::Changed(name.clone())),
            Some(_) => None,
        })
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
