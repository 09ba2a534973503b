//! `list`, `info` and `wink`: looking at keys without changing anything.

use std::io::Write;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use crate::ctap2::cose::algorithm_label;
use crate::ctap2::get_info::AuthenticatorInfo;
use crate::device::{discover, Key, KeyFacts};
use crate::untrusted::{visible, ShowOutside};
use crate::vendor::yubico::YubiKeyConfig;

/// A value or "-"; the value may be a key's string, so it is shown escaped.
fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".into(), |v| visible(&v.to_string()).into_owned())
}

pub fn pin_words(pin_set: Option<bool>) -> &'static str {
    match pin_set {
        Some(true) => "set",
        Some(false) => "NOT SET",
        None => "not supported",
    }
}

pub fn write_facts(w: &mut dyn Write, f: &KeyFacts) -> std::io::Result<()> {
    writeln!(
        w,
        "{}{}",
        f.device.shown(),
        if f.software_key {
            "  SOFTWARE KEY (not a hardware security key)"
        } else {
            ""
        }
    )?;
    let usb = match (&f.vendor_id, &f.product_id) {
        (Some(v), Some(p)) => format!("{v}:{p}"),
        _ => "-".into(),
    };
    writeln!(
        w,
        "  USB id        {usb}  {} {}",
        opt(&f.manufacturer),
        opt(&f.product)
    )?;
    writeln!(
        w,
        "  model         {}",
        crate::models::shown_with_source(f.model.as_deref(), f.model_source, "unknown model")
    )?;
    writeln!(w, "  AAGUID        {}", f.aaguid.shown())?;
    writeln!(
        w,
        "  serial        {} (vendor), {} (USB)",
        opt(&f.vendor_serial),
        opt(&f.usb_serial)
    )?;
    writeln!(w, "  firmware      {}", opt(&f.firmware))?;
    writeln!(w, "  CTAP          {}", joined(&f.ctap_versions))?;
    writeln!(w, "  PIN           {}", pin_words(f.pin_set))
}

#[derive(Serialize)]
struct ListEntry {
    #[serde(flatten)]
    facts: Option<KeyFacts>,
    device: String,
    error: Option<String>,
}

pub fn list(ctx: &mut Context) -> Result<(), CliError> {
    let options = ctx.open_options();
    let specs: Vec<_> = match &ctx.global.device {
        Some(d) => vec![crate::device::DeviceSpec::parse(d)],
        None => discover()?.into_iter().map(|(s, _)| s).collect(),
    };
    let mut entries = Vec::new();
    for spec in specs {
        // One unreadable key must not hide the others.
        let result = Key::open(&spec, &options)
            .map_err(CliError::from)
            .and_then(|mut k| k.facts().map_err(CliError::from));
        match result {
            Ok(facts) => entries.push(ListEntry {
                device: facts.device.clone(),
                facts: Some(facts),
                error: None,
            }),
            Err(e) => entries.push(ListEntry {
                device: spec.to_arg(),
                facts: None,
                error: Some(e.message),
            }),
        }
    }
    ctx.emit(&entries, |w| {
        if entries.is_empty() {
            writeln!(w, "No FIDO security key found. Plug one in; on Linux install the udev rule (udev/README.md).")?;
        }
        for e in &entries {
            match (&e.facts, &e.error) {
                (Some(f), _) => write_facts(w, f)?,
                (None, Some(err)) => {
                    writeln!(w, "{}\n  error         {}", e.device.shown(), err.shown())?
                }
                _ => {}
            }
        }
        Ok(())
    })
}

/// What each getInfo option means, in words an admin can act on.
pub fn option_meaning(name: &str, value: bool) -> String {
    let text = match (name, value) {
        ("rk", true) => "stores passkeys (discoverable credentials)",
        ("rk", false) => "cannot store passkeys",
        ("up", true) => "checks user presence (touch)",
        ("up", false) => "cannot check user presence",
        ("plat", true) => "built into a device (platform authenticator)",
        ("plat", false) => "roaming key (not built into a device)",
        ("clientPin", true) => "PIN is set",
        ("clientPin", false) => "PIN supported but NOT set",
        ("uv", true) => "built-in user verification configured (e.g. fingerprint)",
        ("uv", false) => "built-in user verification supported, not configured",
        ("pinUvAuthToken", true) => "PIN tokens with permissions (CTAP 2.1)",
        ("credMgmt", true) => "credential management",
        ("credentialMgmtPreview", true) => "credential management (CTAP 2.1-PRE prototype)",
        ("perCredMgmtRO", true) => "read-only credential management permission (CTAP 2.2)",
        ("largeBlobs", true) => "large blob storage",
        ("ep", true) => "enterprise attestation enabled",
        ("ep", false) => "enterprise attestation supported, disabled",
        ("bioEnroll", true) => "fingerprints enrolled",
        ("bioEnroll", false) => "fingerprint enrollment supported, none enrolled",
        ("authnrCfg", true) => "authenticator configuration",
        ("setMinPINLength", true) => "minimum PIN length can be raised",
        ("makeCredUvNotRqd", true) => "non-discoverable credentials without PIN",
        ("alwaysUv", true) => "always requires user verification",
        ("alwaysUv", false) => "alwaysUv supported, off",
        ("noMcGaPermissionsWithClientPin", true) => "PIN tokens cannot create or use credentials",
        _ => return if value { "yes".into() } else { "no".into() },
    };
    text.into()
}

#[derive(Serialize)]
struct InfoReport {
    facts: KeyFacts,
    vendor: Option<YubiKeyConfig>,
    get_info: AuthenticatorInfo,
}

pub fn info(ctx: &mut Context) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    let facts = key.facts()?;
    let vendor = key.vendor_config()?;
    let get_info = key.session.info()?.clone();
    let report = InfoReport {
        facts,
        vendor,
        get_info,
    };
    ctx.emit(&report, |w| write_info(w, &report.facts, &report.get_info))
}

/// A getInfo list as one line; "-" when the key sent none (an empty line reads as a glitch).
fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    // The items are often a key's strings (versions, extensions, transports).
    visible(
        &items
            .iter()
            .map(T::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    )
    .into_owned()
}

fn write_info(w: &mut dyn Write, facts: &KeyFacts, i: &AuthenticatorInfo) -> std::io::Result<()> {
    write_facts(w, facts)?;
    if i.options.is_empty() {
        writeln!(w, "  options       -")?;
    } else {
        writeln!(w, "  options")?;
    }
    for (name, value) in &i.options {
        writeln!(
            w,
            "    {:<24} {:<5} {}",
            name.shown(),
            value,
            option_meaning(name, *value)
        )?;
    }
    // Algorithms by name and by the number the key sent, so an unknown one can be looked up.
    let algorithms: Vec<String> = i
        .algorithms
        .iter()
        .map(|a| algorithm_label(a.alg))
        .collect();
    writeln!(w, "  algorithms    {}", joined(&algorithms))?;
    writeln!(w, "  extensions    {}", joined(&i.extensions))?;
    writeln!(w, "  PIN protocols {}", joined(&i.pin_uv_auth_protocols))?;
    writeln!(w, "  min PIN length {}", opt(&i.min_pin_length))?;
    writeln!(w, "  force PIN change {}", opt(&i.force_pin_change))?;
    writeln!(
        w,
        "  passkey slots left {}",
        opt(&i.remaining_discoverable_credentials)
    )?;
    writeln!(
        w,
        "  max message   {}",
        i.max_msg_size.map_or("-".into(), |n| format!("{n} bytes"))
    )?;
    writeln!(
        w,
        "  allow list    {} IDs of up to {} bytes",
        opt(&i.max_credential_count_in_list),
        opt(&i.max_credential_id_length)
    )?;
    writeln!(w, "  transports    {}", joined(&i.transports))?;
    if !i.certifications.is_empty() {
        let c: Vec<String> = i
            .certifications
            .iter()
            .map(|(k, v)| format!("{k} level {v}"))
            .collect();
        writeln!(w, "  certifications {}", c.join(", ").shown())?;
    }
    if !i.unknown_keys.is_empty() {
        writeln!(w, "  fields glasskey does not know: {:?}", i.unknown_keys)?;
    }
    Ok(())
}

pub fn wink(ctx: &mut Context) -> Result<(), CliError> {
    let mut key = ctx.open_key()?;
    if !key.session.hid().info().supports_wink() {
        return Err(CliError::missing_feature(format!(
            "{} cannot wink: it does not offer the WINK capability (nothing is wrong with it); \
             tell keys apart by `glasskey identify` or their serial instead",
            key.spec.to_arg()
        )));
    }
    key.session
        .hid()
        .wink(Instant::now() + Duration::from_secs(5))?;
    let device = key.spec.to_arg();
    ctx.emit(
        &serde_json::json!({ "device": device, "winked": true }),
        |w| writeln!(w, "{device} is blinking."),
    )
}
