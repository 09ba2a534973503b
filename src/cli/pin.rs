//! `pin status` and `pin verify`.

use std::io::Write;

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
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
    writeln!(w, "{}", s.device)?;
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
    let retries = key.session.pin_retries()?;
    let pin = ctx.pin(Some(retries.retries))?;
    let (purpose, rp) = verification_purpose(&mut key)?;
    key.session.pin_token(&pin, purpose, rp, ctx.global.force)?;
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
