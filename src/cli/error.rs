//! Errors as the admin sees them: one line saying what happened and what to do, and an exit code.

use crate::ctap2::Ctap2Error;
use crate::ctaphid::CtapHidError;
use crate::device::DeviceError;
use crate::transport::TransportError;

pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_DEVICE: i32 = 3;
/// A file could not be written (the inventory was left as it was).
pub const EXIT_WRITE: i32 = 4;
/// The key lacks an optional feature that was asked for (e.g. wink): not a failed key.
pub const EXIT_MISSING_FEATURE: i32 = 5;

#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }
    pub fn device(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_DEVICE,
            message: message.into(),
        }
    }
    pub fn missing_feature(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_MISSING_FEATURE,
            message: message.into(),
        }
    }
    /// Names the key the message is about ("BG01-A (serial 31337001): wrong PIN …"), already
    /// escaped by `PinTarget::describe`.
    pub fn about(mut self, who: &str) -> Self {
        if !self.message.is_empty() {
            self.message = format!("{who}: {}", self.message);
        }
        self
    }

    /// Findings already reported on stdout: exit 1 without another message.
    pub fn findings() -> Self {
        Self {
            code: EXIT_FINDINGS,
            message: String::new(),
        }
    }
}

fn transport_message(e: &TransportError) -> String {
    match e {
        TransportError::Timeout => "the key did not answer in time: check it is plugged in, touch it if it blinks, or raise --timeout".into(),
        TransportError::Disconnected => "the key was unplugged or stopped answering: plug it in again and rerun".into(),
        TransportError::Refused(at) => format!("nothing is listening at {at} (connection refused): start the simulator (e.g. `glasskey virtual serve KEY --udp ADDR`) or check the port"),
        other => format!("{other}"),
    }
}

impl From<Ctap2Error> for CliError {
    fn from(e: Ctap2Error) -> Self {
        match &e {
            Ctap2Error::PinInvalid { .. }
            | Ctap2Error::RetriesTooLow { .. }
            | Ctap2Error::PinAuthBlocked
            | Ctap2Error::PinNotSet
            | Ctap2Error::PinPolicy { .. }
            | Ctap2Error::PinLength => CliError::usage(e.to_string()),
            // Only a key that failed to prove its identity leaves the session locked.
            Ctap2Error::IdentityNotProven => CliError {
                code: EXIT_FINDINGS,
                message: e.to_string(),
            },
            Ctap2Error::KeyLock(crate::ctap2::key_lock::KeyLockError::Unusable { .. }) => {
                CliError {
                    code: EXIT_WRITE,
                    message: e.to_string(),
                }
            }
            Ctap2Error::Hid(CtapHidError::Transport(t)) => CliError::device(transport_message(t)),
            Ctap2Error::Hid(CtapHidError::Cancelled) => {
                CliError::device("cancelled; the key was told to stop waiting")
            }
            Ctap2Error::Hid(h) => {
                CliError::device(format!("{h}; unplug and replug the key, then rerun"))
            }
            _ => CliError::device(e.to_string()),
        }
    }
}

impl From<DeviceError> for CliError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::NoKey => CliError::device("no FIDO security key found: plug one in (on Linux, install the udev rule in udev/), or use --device virtual:PATH"),
            DeviceError::Several(keys) => {
                let list: Vec<String> = keys.iter().map(|k| k.to_arg()).collect();
                CliError::usage(format!("{} keys are plugged in ({}); choose one with --device KEY, or run in a terminal to pick one by touch", keys.len(), list.join(", ")))
            }
            DeviceError::SerialAmbiguous(s, keys) => {
                let list: Vec<String> = keys.iter().map(|k| k.to_arg()).collect();
                CliError::usage(format!("{} keys report serial {s} ({}); a serial can be copied, so name one by its path with --device and check it with `glasskey identify`", keys.len(), list.join(", ")))
            }
            DeviceError::SerialNotFound(s) => CliError::device(format!("no key with serial {s} is plugged in: check `glasskey list`")),
            e @ DeviceError::SerialHeld(..) => CliError::device(format!("{e}, so its serial could not be read; nothing was sent. Let that process finish (or stop it, e.g. a running `glasskey virtual serve`), then rerun")),
            DeviceError::Transport(TransportError::PermissionDenied { path, hint }) => CliError::device(format!("no permission to open {path}: {hint}")),
            DeviceError::Transport(t) => CliError::device(transport_message(&t)),
            DeviceError::VirtualKey(v) => v.into(),
            DeviceError::Hid(CtapHidError::Transport(t)) => CliError::device(transport_message(&t)),
            DeviceError::Hid(h) => CliError::device(format!("{h}; unplug and replug the key, then rerun")),
            DeviceError::Ctap(c) => c.into(),
        }
    }
}

/// A virtual key file another glasskey holds (or Ctrl-C while waiting for it) is exit 3, as
/// for a key another process holds; a missing or invalid file is a usage error.
impl From<crate::virtual_key::state::StateError> for CliError {
    fn from(e: crate::virtual_key::state::StateError) -> Self {
        use crate::virtual_key::state::StateError;
        match e {
            StateError::InUse { .. } | StateError::Cancelled(_) => CliError::device(e.to_string()),
            _ => CliError::usage(e.to_string()),
        }
    }
}

impl From<CtapHidError> for CliError {
    fn from(e: CtapHidError) -> Self {
        Ctap2Error::Hid(e).into()
    }
}

impl From<crate::inventory::InventoryError> for CliError {
    fn from(e: crate::inventory::InventoryError) -> Self {
        let code = match &e {
            crate::inventory::InventoryError::BrokenChain { .. } => EXIT_FINDINGS,
            e if e.is_write_failure() => EXIT_WRITE,
            // Ctrl-C, as everywhere else (README, "Exit codes").
            e if e.is_cancelled() => EXIT_DEVICE,
            _ => EXIT_USAGE,
        };
        CliError {
            code,
            message: e.to_string(),
        }
    }
}
