//! Looking at one plugged key for the audit, in two steps so that PINs can be bound to keys:
//! `observe` proves the key's identity and reads its PIN state (no touch, no PIN); only a key
//! that proved the inventoried identity it claims gets to `read_passkeys` with the custodian's
//! PIN (DESIGN §3.6). Never writes to the key.

use crate::ctap2::get_info::AuthenticatorInfo;
use crate::ctap2::session::{ProvenIdentity, TokenPurpose, LOW_RETRIES};
use crate::ctap2::{Ctap2Error, Session};
use crate::device::{DeviceError, Key, KeyFacts};
use crate::identity::{identify, IdentityCheck, ProofFailure};
use crate::inventory::model::{Inventory, KeyEntry, Observation, ObservedPasskey};
use crate::secret::Pin;
use crate::transport::Transport;

use super::claim::{ClaimedBy, Unproved};
use super::finding::Finding;
use super::rules;

/// What one plugged key showed.
pub struct KeyCheck {
    pub device: String,
    pub facts: KeyFacts,
    /// The inventory label the key proved, if it proved one.
    pub label: Option<String>,
    /// The inventory label a key answered for or whose serial it reports, without proving it:
    /// a PIN line naming it is then no error, and is not sent.
    pub claimed: Option<String>,
    /// How a device that proved nothing claimed `claimed` (None for GK068's `claimed`).
    pub claimed_by: Option<ClaimedBy>,
    /// Why a device that proved nothing failed its claim (or its answer), in plain words.
    pub proof_failure: Option<String>,
    pub proven: Option<ProvenIdentity>,
    /// Recorded only for a proven key.
    pub observation: Option<Observation>,
    /// Findings only this session can see: unknown or unproved key, drift.
    pub findings: Vec<Finding>,
    /// Why passkeys could not be read, when they could not.
    pub note: Option<String>,
    /// The key proved its identity and its passkeys can be read with the custodian's PIN.
    pub wants_pin: bool,
    /// The key proved the identity in `claimed`, but so did another device of the run (GK068):
    /// one is a copy, so neither is trusted.
    pub proved_twice: bool,
}

/// Why no one can read this key's passkeys, if so (GK050): listing them needs credential
/// management, and an Entra passkey needs discoverable credentials.
pub fn passkeys_unreadable(info: &AuthenticatorInfo) -> Option<&'static str> {
    if info.cred_mgmt().is_none() {
        Some("this key has no credential management: it cannot list its passkeys")
    } else if info.option("rk") != Some(true) {
        Some("this key does not support discoverable credentials (rk)")
    } else {
        None
    }
}

/// An inventory key whose serial the device reports (serials can be copied).
pub fn serial_twin<'a>(inv: &'a Inventory, facts: &KeyFacts) -> Option<&'a KeyEntry> {
    inv.keys.iter().find(|k| {
        (facts.vendor_serial.is_some() && k.vendor_serial == facts.vendor_serial)
            || (facts.usb_serial.is_some()
                && k.usb_serial.as_deref() == facts.usb_serial.as_deref())
    })
}

fn serial_text(facts: &KeyFacts) -> String {
    facts.vendor_serial.map_or_else(
        || facts.usb_serial.clone().unwrap_or_else(|| "unknown".into()),
        |s| s.to_string(),
    )
}

/// A key that did not prove an identity: the finding that says so, nothing recorded, no PIN.
fn unproved(check: &IdentityCheck, inv: &Inventory, facts: &KeyFacts) -> Finding {
    let device = &facts.device;
    let account = |label: &str| inv.key(label).map(|k| k.account.clone());
    match check {
        IdentityCheck::Failed {
            label,
            failure: ProofFailure::SignatureInvalid,
        } => Finding::new(
            &rules::IDENTITY_INVALID,
            Some(label),
            account(label).as_deref(),
            format!("{device} answered for {label} but its identity signature did not verify: possible look-alike; no PIN was sent to it and nothing was recorded for {label}"),
        ),
        IdentityCheck::Failed {
            label,
            failure: ProofFailure::CounterBehind { sign_count, recorded },
        } => Finding::new(
            &rules::SIGN_COUNT_REGRESSED,
            Some(label),
            account(label).as_deref(),
            format!("the signature counter ({sign_count}) did not advance past the recorded {recorded}: possible clone; no PIN was sent to it and nothing was recorded"),
        ),
        IdentityCheck::Failed {
            label,
            failure: ProofFailure::RecordUnacknowledged,
        } => Finding::new(
            &rules::ROSTER_CHANGED,
            Some(label),
            account(label).as_deref(),
            format!("{device} signs with the identity now recorded for {label}, but that record was changed without an `inventory acknowledge` entry: it is not the identity the check history vouches for, so {device} is not proved; no PIN was sent to it and nothing was recorded for {label}"),
        ),
        IdentityCheck::Unknown { .. } | IdentityCheck::Proven(_) => {
            let why = match check {
                IdentityCheck::Unknown { note: Some(n) } => format!(" ({n})"),
                _ => String::new(),
            };
            let message = match serial_twin(inv, facts) {
                Some(t) => format!("{device} reports the serial of inventory key {} but cannot prove its identity{why}: possible look-alike; no PIN was sent to it", t.label),
                None => format!("{device} (serial {}) is not in the inventory{why}", serial_text(facts)),
            };
            Finding::new(&rules::UNKNOWN_KEY, None, None, message)
        }
    }
}

/// Proves the key's identity and reads what needs no PIN. A key that does not prove the identity
/// it claims comes back with a finding and no observation; its session stays locked.
pub fn observe<E>(key: &mut Key, inv: &Inventory, date: &str, force: bool) -> Result<KeyCheck, E>
where
    E: From<Ctap2Error> + From<DeviceError>,
{
    let facts = key.facts()?;
    observe_session(&mut key.session, facts, inv, date, force)
}

/// `observe` on any session, with the key's facts read by the caller (independent
/// authenticators in the conformance tests are reached this way, without a `Key`).
pub fn observe_session<T: Transport, E>(
    session: &mut Session<T>,
    facts: KeyFacts,
    inv: &Inventory,
    date: &str,
    force: bool,
) -> Result<KeyCheck, E>
where
    E: From<Ctap2Error> + From<DeviceError>,
{
    let device = facts.device.clone();
    let check = identify(session, inv)?;
    let IdentityCheck::Proven(proven) = check else {
        let finding = unproved(&check, inv, &facts);
        let twin = serial_twin(inv, &facts).map(|k| k.label.clone());
        let Unproved { claimed, why } = Unproved::of(&check, twin).unwrap_or_default();
        return Ok(KeyCheck {
            device,
            facts,
            label: None,
            claimed_by: claimed.as_ref().map(|(_, by)| *by),
            claimed: claimed.map(|(label, _)| label),
            proof_failure: why,
            proven: None,
            observation: None,
            findings: vec![finding],
            note: None,
            wants_pin: false,
            proved_twice: false,
        });
    };
    session.unlock_pin(&proven)?;
    let Some(entry) = inv.key(&proven.label) else {
        return Err(
            Ctap2Error::Protocol("identified key vanished from the inventory".into()).into(),
        );
    };
    let info = session.info()?.clone();
    let pin_set = info.pin_set() == Some(true);
    let mut observation = Observation {
        date: date.into(),
        identity_verified: true,
        sign_count_regressed: false,
        pin_set,
        pin_retries: None,
        force_pin_change: info.force_pin_change == Some(true),
        pin_meets_policy: None,
        firmware: facts.firmware.clone(),
        vendor_serial: facts.vendor_serial,
        usb_serial: facts.usb_serial.clone(),
        sign_count: Some(proven.sign_count),
        passkeys: None,
        passkeys_unreadable: None,
        other_rp_ids: Vec::new(),
    };
    let mut note = None;
    let mut wants_pin = false;
    if pin_set {
        // Retries as found, before the custodian's PIN restores them.
        let retries = session.pin_retries()?;
        observation.pin_retries = Some(retries.retries);
        if retries.power_cycle_required == Some(true) {
            note = Some(
                "the key needs a power cycle before any PIN entry; passkeys were not read"
                    .to_owned(),
            );
        } else if retries.retries == 0 {
            note = Some("the PIN is blocked; passkeys cannot be read".to_owned());
        } else if retries.retries <= LOW_RETRIES && !force {
            note = Some(format!("only {} PIN attempts left; glasskey did not ask for the PIN (use --force if certain)", retries.retries));
        } else if observation.force_pin_change {
            note = Some(
                "the key demands a PIN change before any use; passkeys were not read".to_owned(),
            );
        } else if let Some(why) = passkeys_unreadable(&info) {
            observation.passkeys_unreadable = Some(why.into());
        } else {
            wants_pin = true;
        }
        if let Some(why) = &observation.passkeys_unreadable {
            note = Some(format!("passkeys not read: {why}"));
        }
    }
    let findings = match &entry.last_observation {
        Some(before) => rules::drift_findings(inv, entry, before, &observation),
        None => Vec::new(),
    };
    Ok(KeyCheck {
        device,
        facts,
        label: Some(proven.label.clone()),
        claimed: None,
        claimed_by: None,
        proof_failure: None,
        proven: Some(proven),
        observation: Some(observation),
        findings,
        note,
        wants_pin,
        proved_twice: false,
    })
}

/// Reads the key's passkeys with the custodian's PIN. Only for a key that `observe` proved and
/// marked `wants_pin`; a refusal to list is recorded as unreadable passkeys, not an error.
pub fn read_passkeys<T: Transport>(
    session: &mut Session<T>,
    inv: &Inventory,
    check: &mut KeyCheck,
    pin: &Pin,
    force: bool,
) -> Result<(), Ctap2Error> {
    let (Some(observation), true) = (check.observation.as_mut(), check.wants_pin) else {
        return Err(Ctap2Error::IdentityNotProven);
    };
    observation.pin_meets_policy =
        Some(pin.char_count() as u64 >= u64::from(inv.policy.min_pin_length));
    let token = session.pin_token(pin, TokenPurpose::ReadCredentials, None, force)?;
    let rps = match session.relying_parties(&token) {
        Ok((metadata, rps)) => match metadata.unlisted(rps.len()) {
            Some(why) => {
                check.note = Some(format!("passkeys not read: {why}"));
                observation.passkeys_unreadable = Some(why);
                return Ok(());
            }
            None => rps,
        },
        Err(Ctap2Error::Status(status)) => {
            let why = format!("the key refused to list its passkeys ({status})");
            check.note = Some(format!("passkeys not read: {why}"));
            observation.passkeys_unreadable = Some(why);
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut passkeys = Vec::new();
    for rp in rps {
        if rp.id == inv.passkey_rp_id {
            for c in session.enumerate_credentials(&token, &rp)? {
                passkeys.push(ObservedPasskey {
                    user_name: c.user.name.clone().unwrap_or_default(),
                    user_id: hex::encode(&c.user.id),
                    credential_id: hex::encode(&c.credential_id),
                });
            }
        } else {
            observation.other_rp_ids.push(rp.id.clone());
        }
    }
    observation.other_rp_ids.sort();
    observation.passkeys = Some(passkeys);
    if let (Some(label), Some(obs)) = (&check.label, &check.observation) {
        if let Some(entry) = inv.key(label) {
            if let Some(before) = &entry.last_observation {
                check.findings = rules::drift_findings(inv, entry, before, obs);
            }
        }
    }
    Ok(())
}
