//! Software keys never pass as hardware (DESIGN §3.9): a virtual or UDP key, or a key reporting
//! one of glasskey's virtual AAGUIDs, enters an inventory only when its policy admits software
//! keys, and the `GLASSKEY_VIRTUAL_KEYS` test hook says so whenever it is set.

use std::path::Path;

use super::error::CliError;
use crate::device::{DeviceSpec, VIRTUAL_KEYS_ENV};
use crate::inventory::{Inventory, KeyTransport};

/// The transport a device spec names; `None` for a serial number, which names no transport
/// until discovery has resolved it.
pub fn transport_of(spec: &DeviceSpec) -> Option<KeyTransport> {
    match spec {
        DeviceSpec::Hid(_) => Some(KeyTransport::Hid),
        DeviceSpec::Virtual(_) => Some(KeyTransport::Virtual),
        DeviceSpec::Udp(_) => Some(KeyTransport::Udp),
        DeviceSpec::Serial(_) => None,
    }
}

fn refusal(inventory: &Path, what: &str) -> CliError {
    CliError::usage(format!(
        "{what}, and the policy of {} does not admit software keys: a break-glass key must be a hardware key. For a demo or test inventory only, set allow_software_keys = true under [policy] (or create it with `glasskey inventory init --allow-software-keys`)",
        inventory.display()
    ))
}

/// Refuses a software key unless the inventory's policy admits software keys. Call it before
/// opening the key (nothing is sent to a refused key) and again once a serial is resolved.
pub fn admit(inv: &Inventory, inventory: &Path, spec: &DeviceSpec) -> Result<(), CliError> {
    match transport_of(spec) {
        Some(t) if t.is_software() && !inv.policy.allow_software_keys => Err(refusal(
            inventory,
            &format!("{} is a software key ({t})", spec.to_arg()),
        )),
        _ => Ok(()),
    }
}

/// Refuses a key that reports one of glasskey's virtual AAGUIDs (a virtual key relayed onto a
/// USB port is still a software key) unless the policy admits software keys.
pub fn admit_aaguid(inv: &Inventory, inventory: &Path, aaguid: &str) -> Result<(), CliError> {
    if crate::models::is_glasskey_virtual(aaguid) && !inv.policy.allow_software_keys {
        return Err(refusal(
            inventory,
            &format!("this key reports AAGUID {aaguid}, which belongs to glasskey's virtual (software) keys"),
        ));
    }
    Ok(())
}

/// Admits the `--device` key, if one was named, before it is opened.
pub fn admit_named(
    inv: &Inventory,
    inventory: &Path,
    device: Option<&str>,
) -> Result<(), CliError> {
    match device {
        Some(d) => admit(inv, inventory, &DeviceSpec::parse(d)),
        None => Ok(()),
    }
}

/// One line on stderr whenever the test hook is set: keys it names are software keys that
/// discovery treats as plugged in.
pub fn warn_if_test_hook_set() {
    if std::env::var_os(VIRTUAL_KEYS_ENV).is_some_and(|v| !v.is_empty()) {
        eprintln!("glasskey: warning: {VIRTUAL_KEYS_ENV} is set: a test hook that makes the software (virtual) keys it names count as plugged in; unset it for real keys.");
    }
}
