//! The policy rules (DESIGN §5) as plain functions from the inventory and its recorded
//! observations to findings. Nothing here talks to a key: `audit` records observations first,
//! then evaluates these over every key's latest observation, plugged in or not.

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use super::finding::{Finding, Rule, Severity};
use super::location::comparable;
use crate::inventory::history::FUTURE_TOLERANCE;
use crate::inventory::model::{Inventory, KeyEntry, Observation};

macro_rules! rules {
    ($($name:ident = $id:literal, $slug:literal, $sev:ident, $remedy:literal;)*) => {
        $(pub const $name: Rule = Rule { id: $id, name: $slug, severity: Severity::$sev, remedy: $remedy };)*
        /// Every rule, in ID order.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    UNKNOWN_KEY = "GK001", "unknown-key", Critical, "This key is not in the inventory (it could not prove an enrolled identity). If it claims an inventoried key's serial, treat it as a look-alike: find the genuine key and investigate.";
    IDENTITY_INVALID = "GK002", "identity-signature-invalid", Critical, "The key answered for an inventoried identity but its signature did not verify. Take the key out of service and investigate.";
    IDENTITY_TWICE = "GK068", "identity-proved-twice", Critical, "Two devices proved the same inventoried identity in one run: one holds a copy of the key's identity credential (a clone, or a software key with its private key). Neither got a PIN and nothing was recorded. Take both out of service and investigate.";
    SIGN_COUNT_REGRESSED = "GK003", "sign-count-regressed", High, "The identity credential's signature counter did not advance past the recorded value: the key may be a clone. Investigate before trusting it.";
    PIN_NOT_SET = "GK004", "pin-not-set", Critical, "Set a PIN on the key (at least the policy's minimum length), then re-register the passkey and re-run the audit.";
    PIN_RETRIES_LOW = "GK005", "pin-retries-below-threshold", High, "Someone has entered wrong PINs since the last correct one. Find out who; the custodian's correct PIN at the next check restores the counter.";
    PIN_TOO_SHORT = "GK006", "pin-too-short", Medium, "Change the PIN to one of at least the policy's minimum length.";
    FORCED_PIN_CHANGE = "GK007", "forced-pin-change-pending", Medium, "The key demands a PIN change before use: change the PIN now, not during an emergency.";
    PASSKEY_MISSING = "GK008", "passkey-missing", Critical, "The key holds no passkey for its account: register one in Entra ID (with a Temporary Access Pass) and re-run the audit.";
    FOREIGN_PASSKEY = "GK009", "foreign-break-glass-passkey", Critical, "The key holds a passkey for another break-glass account: each account needs its own key. Remove that passkey from the account's Entra methods and from the key.";
    DUPLICATE_PASSKEY = "GK010", "duplicate-passkey", Medium, "The key holds more than one passkey for its account: delete the stale one in Entra ID so only one remains.";
    UNEXPECTED_CREDENTIAL = "GK011", "unexpected-credential", Medium, "The key holds credentials the policy does not allow on a break-glass key. Find out who registered them; use a dedicated key.";
    FIRMWARE_ADVISORY = "GK012", "firmware-advisory", Medium, "The key's firmware is under a published advisory and cannot be updated: plan its replacement.";
    DRIFT = "GK013", "drift", Low, "Something changed on the key since the last check (passkey re-registered, firmware, other credentials). Confirm the change was intended.";
    TOO_FEW_KEYS = "GK014", "too-few-keys", High, "Enroll another key for the account so that losing one key does not lock it out.";
    DUPLICATE_ENTRY = "GK015", "duplicate-entry", High, "Two inventory entries are the same physical key. Remove the duplicate entry.";
    SHARED_LOCATION = "GK016", "shared-location", Medium, "Keys of different break-glass accounts are stored in the same place: one incident could take them all. Store them apart.";
    OVERDUE = "GK017", "overdue", Medium, "The key has not been checked within the policy interval: run the audit with it.";
    UNKNOWN_ACCOUNT = "GK018", "unknown-account", High, "The key is assigned to an account the inventory does not list: fix the assignment or add the account.";
    AAGUID_NOT_ALLOWED = "GK019", "aaguid-not-allowed", High, "The key's model (AAGUID) is not on the policy's allow-list: replace it with an approved model.";
    ATTESTATION_UNVERIFIABLE = "GK020", "attestation-unverifiable", High, "The key gives self attestation or none, so genuineness cannot be established: buy break-glass keys from the vendor or an authorised reseller and prefer models with vendor attestation.";
    ATTESTATION_SIGNATURE_INVALID = "GK021", "attestation-signature-invalid", Critical, "The attestation signature does not verify: do not use this key; return it to the supplier.";
    ATTESTATION_UNTRUSTED = "GK022", "attestation-untrusted", Critical, "The attestation certificate does not chain to any bundled vendor root: the key may be counterfeit. Do not use it.";
    ATTESTATION_AAGUID_MISMATCH = "GK023", "attestation-aaguid-mismatch", Critical, "The attestation certificate vouches for a different model than the key claims: do not use this key.";
    NOT_FACTORY_FRESH = "GK024", "not-factory-fresh", High, "A new key already holds passkeys: someone used it before you. Return it, or reset it yourself and vet it again.";
    CAPABILITY_MISSING = "GK025", "capability-missing", Medium, "The key lacks a capability break-glass use relies on: choose a CTAP 2.1 model with credential management, credProtect, resident keys, PIN protocol 2 and minPINLength.";
    ALREADY_ENROLLED = "GK026", "already-enrolled", High, "This key is already in the inventory under another label: a new key must be a different key.";
    PASSKEYS_UNREADABLE = "GK050", "passkeys-unreadable", High, "The key cannot list its passkeys (no credential management, no discoverable credentials, it refused, or it counts passkeys but lists none), so the audit cannot confirm it holds only its account's passkey. Replace it with a CTAP 2.1 model that has credential management.";
    LOOKALIKE_RP_ID = "GK055", "lookalike-rp-id", Critical, "The key holds a credential for a site whose name renders like the break-glass RP ID (a phishing look-alike). Find out who registered it; do not use the key until it is removed.";
    LOOKALIKE_ACCOUNT = "GK056", "lookalike-account", Critical, "The key holds a passkey for a user name that renders like a break-glass account's UPN but is another account. Find that account in Entra ID, remove its passkey, and investigate.";
    MIXED_SCRIPT = "GK057", "mixed-script", High, "An RP ID or user name on the key mixes scripts (e.g. Latin with Cyrillic), a common disguise. Check the code points in the message; remove the credential unless it is known and intended.";
    HIDDEN_CHARACTERS = "GK058", "hidden-characters", High, "An RP ID or user name on the key holds control, terminal-escape, bidi or invisible characters (shown escaped): no honest registration needs them. Remove the credential and investigate.";
    LOOKALIKE_INVENTORY_TEXT = "GK059", "lookalike-inventory-text", Critical, "The inventory's passkey RP ID or an account UPN hides characters, mixes scripts, or renders like another: the file may have been edited to accept a look-alike. Restore it from a trusted copy (compare its SHA-256 with the paper record).";
    HISTORY_BROKEN = "GK060", "history-broken", Critical, "The check history was edited, cut or reordered: glasskey will not append to it. Compare the file with FILE.bak and your paper records (the newest hash), restore the genuine version, then rerun.";
    HISTORY_DATE_BACKWARDS = "GK061", "history-date-backwards", High, "A check is dated before the one recorded ahead of it: a clock was wrong or the history was rearranged. Check the clocks of the machines used for audits and compare with the paper records.";
    FUTURE_DATED = "GK062", "future-dated", High, "A date in the inventory lies in the future of this check: a clock was wrong, or someone post-dated a check to hide an overdue key. Fix the clock and audit the key again.";
    ROSTER_VANISHED = "GK063", "roster-vanished", Critical, "A key or account recorded by a check is gone from the inventory, or an entry dropped it from the roster, with no recorded reason. Restore the file from FILE.bak or your copy; if you removed it on purpose, record why with `glasskey inventory acknowledge --note TEXT`.";
    ROSTER_CHANGED = "GK064", "roster-changed", High, "A key's identity, serials, assignment or observation (or the tenant, RP ID or policy) changed since the last check, or an entry recorded such a change, without a recorded reason. Restore the file from FILE.bak or your copy; if the change is yours, record why with `glasskey inventory acknowledge --note TEXT` (for a key's account use `inventory reassign`, to take it out of service `inventory retire`).";
    ROSTER_EMPTY = "GK065", "roster-empty", High, "The inventory has no break-glass accounts or no keys in service: it cannot protect anything. Restore the file from FILE.bak or add the accounts and keys.";
    SERIAL_MISMATCH = "GK067", "serial-mismatch", High, "The key proved its enrolled identity but reports another serial than the inventory records: the record was edited or mistyped. Read the serial off the key (`glasskey info`), correct the record, and record why with `glasskey inventory acknowledge`.";
    RETIRED_KEY_PRESENTED = "GK066", "retired-key-presented", High, "A retired key was presented at a check: it must not be in use. Find out why it is back; its record is not updated.";
    SOFTWARE_KEY_NOT_ADMITTED = "GK075", "software-key-not-admitted", Critical, "A software (virtual or UDP) key stands in an inventory whose policy does not admit software keys: it cannot guard a real account. Retire it (`glasskey inventory retire`) and enroll a hardware key.";
    SHARED_SERIAL = "GK076", "shared-serial", High, "Two keys in service report the same serial number: serials can be copied, so one may be a look-alike enrolled in the genuine key's name. Run `glasskey identify` with each key and retire the one you cannot account for.";
    ATTESTATION_CHAIN_INVALID = "GK080", "attestation-chain-invalid", Critical, "The attestation chain reaches a trusted root but breaks an X.509 rule (a non-CA signing, keyUsage, path length, an expired certificate): the key's genuineness is not proven. Do not use it; ask the vendor.";
    ATTESTATION_LEAF_INVALID = "GK081", "attestation-certificate-invalid", Critical, "The attestation certificate breaks the WebAuthn requirements (version 3, OU=Authenticator Attestation, not a CA, AAGUID extension not critical): do not use this key; return it to the supplier.";
    MDS_COMPROMISED = "GK082", "mds-status-compromised", Critical, "The FIDO Metadata Service reports this model revoked or compromised (see the report's date and URL): do not use it for a break-glass account; replace the key with an unaffected model.";
    MDS_UPDATE_AVAILABLE = "GK083", "mds-update-available", Low, "The FIDO Metadata Service reports a firmware update for this model: read the report and plan the update or replacement.";
    MDS_NOT_CERTIFIED = "GK084", "mds-not-certified", Medium, "The FIDO Metadata Service reports this model as not FIDO certified: prefer a certified model for break-glass accounts.";
    MDS_STALE = "GK085", "mds-stale", Medium, "The imported FIDO Metadata Service BLOB is past its nextUpdate date: download the current BLOB and run `glasskey mds import FILE`.";
    MDS_UNLISTED = "GK086", "mds-unlisted", Low, "The key's model (AAGUID) is not in the imported FIDO Metadata Service BLOB: its maker publishes no statement or status for it. Prefer a listed model.";
    MDS_UNKNOWN_STATUS = "GK087", "mds-status-unknown", High, "The FIDO Metadata Service gives this model a status glasskey does not know (a status added after this release, or a misspelt one): it may be a compromise. Read the report at its URL and decide before trusting the model; update glasskey.";
}

pub fn parse_date(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Findings about one key's latest observation.
pub fn observation_findings(inv: &Inventory, key: &KeyEntry, obs: &Observation) -> Vec<Finding> {
    let label = Some(key.label.as_str());
    let account = Some(key.account.as_str());
    let f = |rule: &Rule, msg: String| Finding::new(rule, label, account, msg);
    let mut out = Vec::new();
    if !obs.identity_verified {
        out.push(f(
            &IDENTITY_INVALID,
            "the identity signature did not verify".into(),
        ));
    }
    for (what, recorded, reported) in [
        (
            "vendor serial",
            key.vendor_serial.map(|s| s.to_string()),
            obs.vendor_serial.map(|s| s.to_string()),
        ),
        ("USB serial", key.usb_serial.clone(), obs.usb_serial.clone()),
    ] {
        if let (Some(recorded), Some(reported)) = (recorded, reported) {
            if recorded != reported {
                out.push(f(
                    &SERIAL_MISMATCH,
                    format!(
                        "the inventory records {what} {} but the key reported {} on {}",
                        recorded, reported, obs.date
                    ),
                ));
            }
        }
    }
    if obs.sign_count_regressed {
        out.push(f(
            &SIGN_COUNT_REGRESSED,
            format!(
                "the signature counter ({}) did not advance past the recorded {}",
                obs.sign_count.unwrap_or(0),
                key.identity.sign_count
            ),
        ));
    }
    if !obs.pin_set {
        out.push(f(&PIN_NOT_SET, "no PIN is set".into()));
        // Without a PIN the passkeys cannot be read, and the other PIN rules do not apply.
        return out;
    }
    if let Some(r) = obs.pin_retries {
        if r < inv.policy.retry_threshold {
            let failed = 8u8.saturating_sub(r);
            out.push(f(
                &PIN_RETRIES_LOW,
                format!("{r} PIN retries left: {failed} wrong PIN(s) since the last correct one"),
            ));
        }
    }
    if obs.pin_meets_policy == Some(false) {
        out.push(f(
            &PIN_TOO_SHORT,
            format!(
                "the PIN is shorter than the policy's {} characters",
                inv.policy.min_pin_length
            ),
        ));
    }
    if obs.force_pin_change {
        out.push(f(&FORCED_PIN_CHANGE, "the key demands a PIN change".into()));
    }
    if let (None, Some(why)) = (&obs.passkeys, &obs.passkeys_unreadable) {
        out.push(f(&PASSKEYS_UNREADABLE, format!("passkeys not read: {why}")));
    }
    if let Some(passkeys) = &obs.passkeys {
        let own = passkeys
            .iter()
            .filter(|p| p.user_name.eq_ignore_ascii_case(&key.account))
            .count();
        if own == 0 {
            out.push(f(
                &PASSKEY_MISSING,
                format!("no passkey for {} at {}", key.account, inv.passkey_rp_id),
            ));
        }
        if own > 1 {
            out.push(f(
                &DUPLICATE_PASSKEY,
                format!("{own} passkeys for {}", key.account),
            ));
        }
        for p in passkeys
            .iter()
            .filter(|p| !p.user_name.eq_ignore_ascii_case(&key.account))
        {
            if inv.is_break_glass(&p.user_name) {
                out.push(f(
                    &FOREIGN_PASSKEY,
                    format!("a passkey for break-glass account {} as well", p.user_name),
                ));
            } else if !inv.policy.allow_other_credentials {
                out.push(f(
                    &UNEXPECTED_CREDENTIAL,
                    format!("a passkey for {} at {}", p.user_name, inv.passkey_rp_id),
                ));
            }
        }
    }
    out.extend(super::lookalike::observation_findings(inv, key, obs));
    if !inv.policy.allow_other_credentials && !obs.other_rp_ids.is_empty() {
        out.push(f(
            &UNEXPECTED_CREDENTIAL,
            format!(
                "credentials for other sites: {}",
                obs.other_rp_ids.join(", ")
            ),
        ));
    }
    let firmware = obs.firmware.as_deref().or(key.firmware.as_deref());
    for (advisory, clause) in
        crate::advisories::affecting(&key.aaguid, key.usb_vendor_id.as_deref(), firmware)
    {
        out.push(f(
            &FIRMWARE_ADVISORY,
            format!(
                "firmware {} is affected by {} ({}; {}): {}",
                firmware.unwrap_or("?"),
                advisory.id,
                advisory.title,
                clause.description,
                advisory.source
            ),
        ));
    }
    out
}

/// Changes since the previous observation that no other rule reports.
pub fn drift_findings(
    inv: &Inventory,
    key: &KeyEntry,
    before: &Observation,
    now: &Observation,
) -> Vec<Finding> {
    let mut changes = Vec::new();
    if before.firmware.is_some() && now.firmware.is_some() && before.firmware != now.firmware {
        changes.push(format!(
            "firmware {} -> {}",
            before.firmware.as_deref().unwrap_or("?"),
            now.firmware.as_deref().unwrap_or("?")
        ));
    }
    if let (Some(b), Some(n)) = (&before.passkeys, &now.passkeys) {
        let own = |list: &Vec<crate::inventory::ObservedPasskey>| -> BTreeSet<String> {
            list.iter()
                .filter(|p| p.user_name.eq_ignore_ascii_case(&key.account))
                .map(|p| p.credential_id.clone())
                .collect()
        };
        let (ob, on) = (own(b), own(n));
        // Only a replacement: a lost passkey is PASSKEY_MISSING, an extra one DUPLICATE_PASSKEY.
        if ob.len() == 1 && on.len() == 1 && ob != on {
            changes.push(format!(
                "the passkey for {} was re-registered (new credential ID)",
                key.account
            ));
        }
    }
    if inv.policy.allow_other_credentials && before.other_rp_ids != now.other_rp_ids {
        changes.push(format!(
            "other credentials changed: [{}] -> [{}]",
            before.other_rp_ids.join(", "),
            now.other_rp_ids.join(", ")
        ));
    }
    changes
        .into_iter()
        .map(|c| Finding::new(&DRIFT, Some(&key.label), Some(&key.account), c))
        .collect()
}

/// The whole-inventory policy, over every key's latest observation.
pub fn evaluate(inv: &Inventory, now: OffsetDateTime) -> Vec<Finding> {
    let mut out = Vec::new();
    // A retired key keeps its record but is neither expected nor counted.
    let in_service: Vec<&KeyEntry> = inv.keys.iter().filter(|k| k.retired.is_none()).collect();
    // A date ahead of the clock is no check at all (GK062 says so): it must not hide an overdue key.
    let interval = i64::from(inv.policy.check_interval_days);
    let not_recent = |date: &str| {
        parse_date(date).is_none_or(|d| {
            d > now.saturating_add(FUTURE_TOLERANCE) || (now - d).whole_days() > interval
        })
    };
    for key in in_service.iter().copied() {
        if inv.account(&key.account).is_none() {
            out.push(Finding::new(
                &UNKNOWN_ACCOUNT,
                Some(&key.label),
                Some(&key.account),
                format!(
                    "assigned to {}, which is not an inventory account",
                    key.account
                ),
            ));
        }
        if !inv.policy.allows_aaguid(&key.aaguid) {
            out.push(Finding::new(
                &AAGUID_NOT_ALLOWED,
                Some(&key.label),
                Some(&key.account),
                format!("AAGUID {} is not allowed", key.aaguid),
            ));
        }
        if key.is_software() && !inv.policy.allow_software_keys {
            out.push(Finding::new(
                &SOFTWARE_KEY_NOT_ADMITTED,
                Some(&key.label),
                Some(&key.account),
                format!(
                    "a software key (transport {:?}, AAGUID {}) but the policy does not set allow_software_keys",
                    key.transport, key.aaguid
                ),
            ));
        }
        match &key.last_observation {
            Some(obs) => {
                out.extend(observation_findings(inv, key, obs));
                if not_recent(&obs.date) {
                    out.push(Finding::new(
                        &OVERDUE,
                        Some(&key.label),
                        Some(&key.account),
                        if crate::inventory::history::is_future(&obs.date, now) {
                            format!(
                                "last checked {}, a date in the future: not counted as a check",
                                obs.date
                            )
                        } else {
                            format!(
                                "last checked {}, more than {} days ago",
                                obs.date, inv.policy.check_interval_days
                            )
                        },
                    ));
                }
            }
            None => {
                if not_recent(&key.enrolled) {
                    out.push(Finding::new(
                        &OVERDUE,
                        Some(&key.label),
                        Some(&key.account),
                        "never checked since enrollment".to_owned(),
                    ));
                }
            }
        }
    }
    for account in &inv.accounts {
        let n = in_service
            .iter()
            .filter(|k| k.account.eq_ignore_ascii_case(&account.upn))
            .count();
        if (n as u64) < u64::from(inv.policy.min_keys_per_account) {
            out.push(Finding::new(
                &TOO_FEW_KEYS,
                None,
                Some(&account.upn),
                format!(
                    "{} has {n} key(s); the policy asks for {}",
                    account.upn, inv.policy.min_keys_per_account
                ),
            ));
        }
    }
    out.extend(super::lookalike::inventory_findings(inv));
    // Two keys claiming one serial: the identity proof tells them apart, the serial does not.
    // Entries of one identity are one key (GK015 below), not two claiming a serial.
    let mut by_serial: BTreeMap<u32, BTreeMap<&str, &str>> = BTreeMap::new();
    for key in &in_service {
        if let Some(serial) = key.vendor_serial {
            by_serial
                .entry(serial)
                .or_default()
                .entry(key.identity.public_key.as_str())
                .or_insert(&key.label);
        }
    }
    for (serial, keys) in by_serial.iter().filter(|(_, k)| k.len() > 1) {
        let labels: Vec<&str> = keys.values().copied().collect();
        out.push(Finding::new(
            &SHARED_SERIAL,
            Some(labels[1]),
            None,
            format!("entries {} report serial {serial}", labels.join(", ")),
        ));
    }
    // One identity public key means one physical key, whatever the labels say.
    let mut by_identity: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for key in &in_service {
        by_identity
            .entry(key.identity.public_key.as_str())
            .or_default()
            .push(&key.label);
    }
    for labels in by_identity.values().filter(|l| l.len() > 1) {
        out.push(Finding::new(
            &DUPLICATE_ENTRY,
            Some(labels[1]),
            None,
            format!(
                "entries {} are the same physical key (same identity credential)",
                labels.join(" and ")
            ),
        ));
    }
    let mut by_location: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for key in &in_service {
        by_location
            .entry(comparable(&key.location))
            .or_default()
            .insert(&key.account);
    }
    for (location, accounts) in by_location.iter().filter(|(_, a)| a.len() > 1) {
        let here: Vec<&&KeyEntry> = in_service
            .iter()
            .filter(|k| comparable(&k.location) == *location)
            .collect();
        let labels: Vec<&str> = here.iter().map(|k| k.label.as_str()).collect();
        // As the admin wrote it (the first spelling), not the comparison form.
        let location = here
            .first()
            .map_or(location.as_str(), |k| k.location.as_str());
        out.push(Finding::new(
            &SHARED_LOCATION,
            None,
            None,
            format!(
                "keys {} of accounts {} are all stored at \"{}\"",
                labels.join(", "),
                accounts.iter().copied().collect::<Vec<_>>().join(", "),
                location
            ),
        ));
    }
    out
}
