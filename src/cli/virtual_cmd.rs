//! `glasskey virtual …`: create, register a passkey on, and serve virtual keys.

use std::path::Path;

use rand::RngCore;
use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use crate::ctap2::credential_management::UserEntity;
use crate::ctap2::make_credential::MakeCredential;
use crate::ctap2::session::TokenPurpose;
use crate::device::{DeviceSpec, Key};
use crate::untrusted::Shown;
use crate::virtual_key::{profile, serve, Authenticator, VirtualDevice};

pub fn create(
    ctx: &mut Context,
    path: &Path,
    profile_name: &str,
    serial: Option<u32>,
    attestation: crate::virtual_key::state::AttestationMode,
) -> Result<(), CliError> {
    let pin =
        if ctx.global.pin_stdin || matches!(ctx.pin_source, super::context::PinSource::Given(_)) {
            Some(ctx.pin(None)?)
        } else {
            None
        };
    if let (Some(p), Some(prof)) = (&pin, profile::find(profile_name)) {
        if p.char_count() < usize::from(prof.min_pin_length) {
            return Err(CliError::usage(format!(
                "profile {profile_name} needs a PIN of at least {} characters",
                prof.min_pin_length
            )));
        }
    }
    let mut auth = Authenticator::create(Some(path), profile_name, serial, pin.as_ref())
        .map_err(|e| CliError::usage(e.to_string()))?;
    if attestation != Default::default() {
        auth.state_mut().attestation = attestation;
        auth.save().map_err(|e| CliError::usage(e.to_string()))?;
    }
    let s = auth.state();
    let report = serde_json::json!({
        "device": format!("virtual:{}", path.display()),
        "profile": s.profile,
        "serial": s.serial,
        "pin_set": s.pin_hash.is_some(),
    });
    let (profile, serial, pin_set) = (s.profile.clone(), s.serial, s.pin_hash.is_some());
    ctx.emit(&report, |w| {
        writeln!(
            w,
            "Created virtual key {} ({profile}, serial {serial}, PIN {}).",
            path.display(),
            if pin_set { "set" } else { "not set" }
        )?;
        writeln!(w, "Use it with --device virtual:{}", path.display())
    })
}

#[derive(Serialize)]
struct Registered {
    device: String,
    rp_id: String,
    user_name: String,
    credential_id: String,
    public_key_sha256: String,
}

/// Registers a passkey through the normal client path, as a browser does.
pub fn register_with_key(
    ctx: &mut Context,
    key: &mut Key,
    rp: &str,
    user: &str,
    display_name: Option<&str>,
) -> Result<String, CliError> {
    // The key is a virtual key glasskey itself holds: there is no identity to check.
    key.session.allow_pin_without_identity_check();
    let token = match key.session.info()?.pin_set() {
        Some(true) => Some(ctx.key_pin_token(key, None, TokenPurpose::MakeCredential, Some(rp))?),
        _ => None,
    };
    let mut user_id = vec![0u8; 16];
    rand::thread_rng().fill_bytes(&mut user_id);
    let entity = UserEntity {
        id: user_id,
        name: Some(user.into()),
        display_name: Some(display_name.unwrap_or(user).into()),
    };
    let mut client_data_hash = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut client_data_hash);
    let mut request = MakeCredential::new(client_data_hash, rp, entity);
    request.resident_key = true;
    request.cred_protect = Some(2);
    let attestation = key.session.make_credential(request, token.as_ref())?;
    let credential = attestation
        .auth_data
        .attested
        .ok_or_else(|| CliError::device("the key returned no credential"))?;
    Ok(hex::encode(credential.credential_id))
}

pub fn register(
    ctx: &mut Context,
    path: &Path,
    rp: &str,
    user: &str,
    display_name: Option<&str>,
) -> Result<(), CliError> {
    let spec = DeviceSpec::Virtual(path.to_path_buf());
    let mut key = Key::open(&spec, &ctx.open_options())?;
    let credential_id = register_with_key(ctx, &mut key, rp, user, display_name)?;
    let out = Registered {
        device: spec.to_arg(),
        rp_id: rp.into(),
        user_name: user.into(),
        public_key_sha256: String::new(),
        credential_id,
    };
    ctx.emit(&out, |w| {
        writeln!(
            w,
            "Registered a passkey for {} at {} on {}.",
            Shown(&out.user_name),
            Shown(&out.rp_id),
            Shown(&out.device)
        )
    })
}

/// Opens a virtual key file, waiting for another glasskey that holds it up to the timeout (this
/// command takes no `--timeout`: its default) or Ctrl-C.
fn open_held(ctx: &Context, path: &Path) -> Result<Authenticator, CliError> {
    let wait = crate::virtual_key::state::LockWait {
        limit: std::time::Duration::from_secs(ctx.global.timeout.max(1)),
        cancel: Some(&ctx.cancel),
    };
    Ok(Authenticator::open_waiting(path, wait)?)
}

pub fn serve_udp(ctx: &mut Context, path: &Path, addr: &str) -> Result<(), CliError> {
    let auth = open_held(ctx, path)?;
    let socket =
        serve::bind(addr).map_err(|e| CliError::usage(format!("{e}: choose another port")))?;
    let local = socket
        .local_addr()
        .map_err(|e| CliError::device(e.to_string()))?;
    eprintln!(
        "Serving virtual key {} on udp:{local}; press Ctrl-C to stop.",
        path.display()
    );
    let mut device = VirtualDevice::new(auth);
    serve::serve(&socket, &mut device, &ctx.cancel).map_err(|e| CliError::device(e.to_string()))?;
    eprintln!("Stopped.");
    Ok(())
}

pub fn profiles(ctx: &mut Context) -> Result<(), CliError> {
    let list: Vec<serde_json::Value> = profile::PROFILES
        .iter()
        .map(|p| serde_json::json!({ "name": p.name, "description": p.description, "aaguid": p.aaguid, "firmware": p.firmware.map(|v| v.to_string()).join(".") }))
        .collect();
    ctx.emit(&list, |w| {
        for p in profile::PROFILES {
            writeln!(w, "{:<12} {}", p.name, p.description)?;
        }
        Ok(())
    })
}

pub fn replug(ctx: &mut Context, path: &Path) -> Result<(), CliError> {
    let mut auth = open_held(ctx, path)?;
    auth.power_cycle()?;
    let device = format!("virtual:{}", path.display());
    ctx.emit(
        &serde_json::json!({ "device": device, "power_cycled": true }),
        |w| writeln!(w, "{device} was unplugged and plugged in again."),
    )
}
