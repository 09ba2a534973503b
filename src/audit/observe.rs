//! Looking at one plugged key for the audit: identity proof (no touch, no PIN), PIN state, and
//! the passkeys read with the custodian's PIN. Produces an `Observation` to record; never
//! writes to the key.

use crate::ctap2::session::{TokenPurpose, LOW_RETRIES};
use crate::ctap2::Ctap2Error;
use crate::device::{DeviceError, Key, KeyFacts};
use crate::identity::{identify, Proof};
use crate::inventory::model::{Inventory, Observation, ObservedPasskey};
use crate::secret::Pin;

use super::finding::Finding;
use super::rules;

/// What one plugged key showed.
pub struct KeyCheck {
    pub device: String,
    pub facts: KeyFacts,
    /// The inventory label the key proved, if any.
    pub label: Option<String>,
    pub proof: Option<Proof>,
    pub observation: Option<Observation>,
    /// Findings only this session can see: unknown key, drift since the last observation.
    pub findings: Vec<Finding>,
    /// Why passkeys could not be read, when they could not.
    pub note: Option<String>,
}

/// Observes `key`. `get_pin` is asked for the PIN once the retries left are known.
pub fn observe<E>(
    key: &mut Key,
    inv: &Inventory,
    date: &str,
    force: bool,
    get_pin: &mut dyn FnMut(u8) -> Result<Pin, E>,
) -> Result<KeyCheck, E>
where
    E: From<Ctap2Error> + From<DeviceError>,
{
    let facts = key.facts()?;
    let device = facts.device.clone();
    let proof = identify(&mut key.session, &inv.keys)?;
    let Some(proof) = proof else {
        let twin = inv.keys.iter().find(|k| {
            (facts.vendor_serial.is_some() && k.vendor_serial == facts.vendor_serial)
                || (facts.usb_serial.is_some()
                    && k.usb_serial.as_deref() == facts.usb_serial.as_deref())
        });
        let message = match twin {
            Some(t) => format!("{device} reports the serial of inventory key {} but cannot prove its identity: possible look-alike", t.label),
            None => format!("{device} (serial {}) is not in the inventory", facts.vendor_serial.map_or_else(|| facts.usb_serial.clone().unwrap_or_else(|| "unknown".into()), |s| s.to_string())),
        };
        let finding = Finding::new(&rules::UNKNOWN_KEY, None, None, message);
        return Ok(KeyCheck {
            device,
            facts,
            label: None,
            proof: None,
            observation: None,
            findings: vec![finding],
            note: None,
        });
    };
    let Some(entry) = inv.key(&proof.label) else {
        return Err(
            Ctap2Error::Protocol("identified key vanished from the inventory".into()).into(),
        );
    };
    let info = key.session.info()?.clone();
    let pin_set = info.pin_set() == Some(true);
    let mut observation = Observation {
        date: date.into(),
        identity_verified: proof.signature_valid,
        sign_count_regressed: proof.counter_regressed,
        pin_set,
        pin_retries: None,
        force_pin_change: info.force_pin_change == Some(true),
        pin_meets_policy: None,
        firmware: facts.firmware.clone(),
        sign_count: Some(proof.sign_count),
        passkeys: None,
        other_rp_ids: Vec::new(),
    };
    let mut note = None;
    if pin_set {
        // Retries as found, before the custodian's PIN restores them.
        let retries = key.session.pin_retries()?;
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
        } else if info.cred_mgmt().is_none() {
            note = Some("the key cannot list its passkeys (no credential management)".to_owned());
        } else {
            let pin = get_pin(retries.retries)?;
            observation.pin_meets_policy =
                Some(pin.char_count() as u64 >= u64::from(inv.policy.min_pin_length));
            let token = key
                .session
                .pin_token(&pin, TokenPurpose::ReadCredentials, None, force)?;
            let mut passkeys = Vec::new();
            for rp in key.session.relying_parties(&token)?.1 {
                if rp.id == inv.passkey_rp_id {
                    for c in key.session.enumerate_credentials(&token, &rp)? {
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
        }
    }
    let findings = match &entry.last_observation {
        Some(before) => rules::drift_findings(inv, entry, before, &observation),
        None => Vec::new(),
    };
    Ok(KeyCheck {
        device,
        facts,
        label: Some(proof.label.clone()),
        proof: Some(proof),
        observation: Some(observation),
        findings,
        note,
    })
}
