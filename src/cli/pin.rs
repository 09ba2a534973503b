//! `pin status` and `pin verify`.

use std::io::Write;

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use super::pin_input::{PinRun, PinTarget};
use crate::ctap2::session::TokenPurpose;
use crate::device::Key;
use crate::virtual_key::state::MAX_PIN_RETRIES;

#[derive(Debug, Serialize)]
pub struct PinStatus {
    pub device: String,
    pub pin_set: Option<bool>,
    pub retries: Option<u8>,
    pub max_retries: u8,
    pub power_cycle_required: Option<bool>,
    pub uv_retries: Option<u8>,
    pub min_pin_length: Option<u64>,
    pub force_pin_change: Option<bool>,
    /// "untouched", "N failed attempts since the last correct PIN", "blocked", "no PIN set",
    /// "PIN not supported".
    pub verdict: String,
    pub untouched: bool,
}

pub fn read_status(key: &mut Key) -> Result<PinStatus, CliError> {
    let info = key.session.info()?.clone();
    let device = key.spec.to_arg();
    let pin_set = info.pin_set();
    let (retries, power_cycle) = if pin_set == Some(true) {
        let r = key.session.pin_retries()?;
        (Some(r.retries), r.power_cycle_required)
    } else {
        (None, None)
    };
    let uv_retries = key.session.uv_retries()?;
    let verdict = match (pin_set, retries) {
        (None, _) => "PIN not supported".to_owned(),
        (Some(false), _) => "no PIN set".to_owned(),
        (Some(true), Some(0)) => "blocked".to_owned(),
        (Some(true), Some(r)) if r >= MAX_PIN_RETRIES => "untouched".to_owned(),
        (Some(true), Some(r)) => {
            let failed = MAX_PIN_RETRIES - r;
            format!(
                "{failed} failed attempt{} since the last correct PIN",
                if failed == 1 { "" } else { "s" }
            )
        }
        (Some(true), None) => "unknown".to_owned(),
    };
    Ok(PinStatus {
        device,
        pin_set,
        retries,
        max_retries: MAX_PIN_RETRIES,
        power_cycle_required: power_cycle,
        uv_retries,
        min_pin_length: info.min_pin_length,
        force_pin_change: info.force_pin_change,
        untouched: verdict == "untouched" && info.force_pin_change != Some(true),
        verdict,
    })
}

pub fn write_status(w: &mut dyn Write, s: &PinStatus) -> std::io::Result<()> {
    writeln!(w, "{}", crate::untrusted::Shown(&s.device))?;
    writeln!(
        w,
        "  PIN              {}",
        super::keys::pin_words(s.pin_set)
    )?;
    if let Some(r) = s.retries {
        writeln!(w, "  retries left     {r} of {}", s.max_retries)?;
    }
    if s.power_cycle_required == Some(true) {
        writeln!(
            w,
            "  power cycle      REQUIRED: unplug and replug the key before any PIN entry"
        )?;
    }
    if let Some(uv) = s.uv_retries {
        writeln!(w, "  UV retries       {uv}")?;
    }
    if let Some(m) = s.min_pin_length {
        writeln!(w, "  min PIN length   {m}")?;
    }
    if s.force_pin_change == Some(true) {
        writeln!(
            w,
            "  forced change    PENDING: the PIN must be changed before use"
        )?;
    }
    writeln!(w, "  verdict          {}", s.verdict)
}

pub fn status(ctx: &mut Context) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    let status = read_status(&mut key)?;
    ctx.emit(&status, |w| write_status(w, &status))?;
    if status.untouched {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

/// The least-privileged token that proves the PIN on this key.
pub fn verification_purpose(
    key: &mut Key,
) -> Result<(TokenPurpose, Option<&'static str>), CliError> {
    Ok(if key.session.info()?.cred_mgmt().is_some() {
        (TokenPurpose::ReadCredentials, None)
    } else {
        (TokenPurpose::GetAssertion, Some("glasskey.invalid"))
    })
}

pub fn verify(ctx: &mut Context) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    match key.session.info()?.pin_set() {
        None => return Err(CliError::usage("this key does not support a PIN")),
        Some(false) => return Err(CliError::usage("no PIN is set on this key: there is nothing to verify (set one with your platform's security-key settings)")),
        Some(true) => {}
    }
    super::identity_gate::without_inventory(&mut key);
    let (purpose, rp) = verification_purpose(&mut key)?;
    ctx.key_pin_token(&mut key, None, purpose, rp)?;
    let after = key.session.pin_retries()?;
    let device = key.spec.to_arg();
    ctx.emit(
        &serde_json::json!({ "device": device, "pin_correct": true, "retries": after.retries }),
        |w| {
            writeln!(
                w,
                "{device}: PIN correct; {} of {MAX_PIN_RETRIES} attempts left.",
                after.retries
            )
        },
    )
}

/// The longer of the policy's minimum and the key's own.
fn required_length(
    inventory: Option<&std::path::Path>,
    key_minimum: Option<u64>,
) -> Result<usize, CliError> {
    let policy = match inventory {
        Some(path) => crate::inventory::Store::load(path)?.1.policy.min_pin_length,
        None => crate::inventory::Policy::default().min_pin_length,
    };
    Ok((policy as usize).max(key_minimum.unwrap_or(4) as usize))
}

/// Identity before PIN: with an inventory the key must prove any identity it claims. Returns
/// the inventory label it proved, if any.
fn unlock(key: &mut Key, inventory: Option<&std::path::Path>) -> Result<Option<String>, CliError> {
    match inventory {
        Some(path) => {
            let (_, inv) = crate::inventory::Store::load(path)?;
            super::identity_gate::with_inventory(
                key,
                &inv,
                super::identity_gate::SerialTwin::Refuse,
            )
        }
        None => {
            super::identity_gate::without_inventory(key);
            Ok(None)
        }
    }
}

fn check_new_pin(pin: &crate::secret::Pin, minimum: usize) -> Result<(), CliError> {
    if pin.char_count() < minimum {
        return Err(CliError::usage(format!("the new PIN must have at least {minimum} characters (the larger of the policy and the key's minimum)")));
    }
    if let Some(why) = crate::secret::trivial_reason(pin) {
        return Err(CliError::usage(format!(
            "the new PIN is too easy to guess ({why}): choose another"
        )));
    }
    Ok(())
}

pub fn set(
    ctx: &mut Context,
    inventory: Option<&std::path::Path>,
    yes: bool,
) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    let info = key.session.info()?.clone();
    match info.pin_set() {
        None => return Err(CliError::usage("this key does not support a PIN")),
        Some(true) => {
            return Err(CliError::usage(
                "a PIN is already set on this key: use `glasskey pin change`",
            ))
        }
        Some(false) => {}
    }
    let minimum = required_length(inventory, info.min_pin_length)?;
    let label = unlock(&mut key, inventory)?;
    let target = PinTarget::of(&mut key, label.as_deref())?;
    let pin = ctx.new_pin(&target)?;
    check_new_pin(&pin, minimum)?;
    let device = key.spec.to_arg();
    ctx.confirm(&format!("Set this PIN on {device}? A forgotten PIN can only be cleared by resetting the key, which erases its passkeys"), yes)?;
    key.session.set_pin(&pin).map_err(|e| target.name_in(e))?;
    ctx.emit(
        &serde_json::json!({ "device": device, "pin_set": true }),
        |w| {
            writeln!(
                w,
                "PIN set on {device}. Keep it with the key's custodian, never with the key."
            )
        },
    )
}

pub fn change(
    ctx: &mut Context,
    inventory: Option<&std::path::Path>,
    yes: bool,
) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    let info = key.session.info()?.clone();
    if info.pin_set() != Some(true) {
        return Err(CliError::usage(
            "this key has no PIN to change: use `glasskey pin set`",
        ));
    }
    let minimum = required_length(inventory, info.min_pin_length)?;
    let label = unlock(&mut key, inventory)?;
    let retries = key.session.pin_retries()?;
    let target = PinTarget::of(&mut key, label.as_deref())?;
    let old = ctx.pin_for(
        &target,
        &PinRun::single_then_more(&target),
        Some(retries.retries),
    )?;
    let new = ctx.new_pin(&target)?;
    check_new_pin(&new, minimum)?;
    if new.expose() == old.expose() {
        return Err(CliError::usage(
            "the new PIN is the same as the current one",
        ));
    }
    let device = key.spec.to_arg();
    ctx.confirm(&format!("Change the PIN of {device}?"), yes)?;
    key.session
        .change_pin(&old, &new, ctx.global.force)
        .map_err(|e| target.name_in(e))?;
    ctx.emit(
        &serde_json::json!({ "device": device, "pin_changed": true }),
        |w| writeln!(w, "PIN of {device} changed."),
    )
}
