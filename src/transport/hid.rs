//! USB HID backend (hidapi; on Linux the pure-Rust hidraw backend, so no system library is needed).

use std::ffi::CString;
use std::time::Instant;

use super::{Report, Transport, TransportError, REPORT_LEN};

/// FIDO Alliance HID usage page and the CTAPHID usage within it.
pub const FIDO_USAGE_PAGE: u16 = 0xF1D0;
pub const FIDO_USAGE_CTAPHID: u16 = 0x01;

/// What the operating system tells about a FIDO HID device before it is opened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HidDeviceInfo {
    pub path: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub serial: Option<String>,
}

fn api() -> Result<hidapi::HidApi, TransportError> {
    hidapi::HidApi::new().map_err(|e| TransportError::Open {
        what: "the USB HID subsystem".into(),
        reason: e.to_string(),
    })
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Lists FIDO authenticators (usage page 0xF1D0, usage 0x01). Keys with several interfaces
/// appear once per FIDO interface.
pub fn enumerate() -> Result<Vec<HidDeviceInfo>, TransportError> {
    let api = api()?;
    let mut found: Vec<HidDeviceInfo> = api
        .device_list()
        .filter(|d| d.usage_page() == FIDO_USAGE_PAGE && d.usage() == FIDO_USAGE_CTAPHID)
        .map(|d| HidDeviceInfo {
            path: d.path().to_string_lossy().into_owned(),
            vendor_id: d.vendor_id(),
            product_id: d.product_id(),
            manufacturer: non_empty(d.manufacturer_string()),
            product: non_empty(d.product_string()),
            serial: non_empty(d.serial_number()),
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    Ok(found)
}

pub fn permission_hint() -> &'static str {
    if cfg!(target_os = "windows") {
        "Windows only lets elevated programs talk to FIDO keys directly: run glasskey from an administrator prompt"
    } else if cfg!(target_os = "macos") {
        "allow the terminal under System Settings > Privacy & Security > Input Monitoring"
    } else {
        "install the udev rule from udev/70-glasskey-fido.rules (see udev/README.md), then unplug and replug the key"
    }
}

pub struct HidTransport {
    device: hidapi::HidDevice,
    path: String,
}

impl HidTransport {
    pub fn open(path: &str) -> Result<Self, TransportError> {
        let api = api()?;
        let c_path = CString::new(path).map_err(|_| TransportError::Open {
            what: path.into(),
            reason: "the path contains a NUL byte".into(),
        })?;
        let device = api
            .open_path(&c_path)
            .map_err(|e| match HidFailure::of(&e) {
                HidFailure::PermissionDenied => TransportError::PermissionDenied {
                    path: path.into(),
                    hint: permission_hint().into(),
                },
                HidFailure::Disconnected | HidFailure::Other => TransportError::Open {
                    what: path.into(),
                    reason: e.to_string(),
                },
            })?;
        Ok(Self {
            device,
            path: path.into(),
        })
    }
}

impl Transport for HidTransport {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        // hidapi wants the report ID first; FIDO keys use a single unnumbered report (ID 0).
        let mut buf = [0u8; REPORT_LEN + 1];
        buf[1..].copy_from_slice(report);
        match self.device.write(&buf) {
            Ok(n) if n >= REPORT_LEN => Ok(()),
            Ok(n) => Err(TransportError::Io(format!("short write: {n} bytes"))),
            Err(e) => Err(classify(e)),
        }
    }

    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError> {
        let mut buf = [0u8; REPORT_LEN + 1];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(TransportError::Timeout);
            }
            let wait_ms = i32::try_from((deadline - now).as_millis().max(1)).unwrap_or(i32::MAX);
            let n = self
                .device
                .read_timeout(&mut buf, wait_ms)
                .map_err(classify)?;
            if n == 0 {
                continue;
            }
            let mut report = [0u8; REPORT_LEN];
            // Some platforms prepend the report ID on input reports, others do not.
            let data = if n == REPORT_LEN + 1 {
                &buf[1..n]
            } else {
                &buf[..n]
            };
            let take = data.len().min(REPORT_LEN);
            report[..take].copy_from_slice(&data[..take]);
            return Ok(report);
        }
    }

    fn describe(&self) -> String {
        self.path.clone()
    }
}

fn classify(e: hidapi::HidError) -> TransportError {
    match HidFailure::of(&e) {
        HidFailure::Disconnected => TransportError::Disconnected,
        HidFailure::PermissionDenied | HidFailure::Other => TransportError::Io(e.to_string()),
    }
}

/// What a failed HID call means for the caller, from the error hidapi gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HidFailure {
    /// The OS refused access (no udev rule, not elevated, no Input Monitoring permission).
    PermissionDenied,
    /// The key is gone (unplugged mid-operation).
    Disconnected,
    Other,
}

/// errno values that mean "the device went away" on Linux and macOS.
const ENXIO: i32 = 6;
const ENODEV: i32 = 19;

impl HidFailure {
    pub fn of(e: &hidapi::HidError) -> Self {
        match e {
            hidapi::HidError::IoError { error } => Self::of_io(error),
            // hidapi's C backends, and its Linux open and poll paths, hand over only text. The
            // Linux open message ends in the io::Error ("... (os error 13)"), Windows ones carry
            // the system error code; both are turned back into a typed error here.
            hidapi::HidError::HidApiError { message } => match os_error_code(message) {
                Some(code) => Self::of_io(&std::io::Error::from_raw_os_error(code)),
                // The one fixed text hidapi's Linux backend gives for an unplugged key (POLLHUP).
                None if message == "unexpected poll error (device disconnected)" => {
                    Self::Disconnected
                }
                None => Self::Other,
            },
            _ => Self::Other,
        }
    }

    fn of_io(e: &std::io::Error) -> Self {
        match (e.kind(), e.raw_os_error()) {
            (std::io::ErrorKind::PermissionDenied, _) => Self::PermissionDenied,
            (_, Some(ENODEV | ENXIO)) if cfg!(unix) => Self::Disconnected,
            (std::io::ErrorKind::NotFound, _) => Self::Disconnected,
            _ => Self::Other,
        }
    }
}

/// The OS error code inside a hidapi message: `(os error 13)` from Rust's io::Error, or
/// `(0x00000005)` from hidapi's Windows backend.
fn os_error_code(message: &str) -> Option<i32> {
    if let Some(start) = message.rfind("(os error ") {
        let rest = &message[start + "(os error ".len()..];
        return rest.split(')').next()?.parse().ok();
    }
    let start = message.find("(0x")?;
    let hex = message[start + 3..].split(')').next()?;
    u32::from_str_radix(hex, 16)
        .ok()
        .and_then(|c| i32::try_from(c).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(message: &str) -> hidapi::HidError {
        hidapi::HidError::HidApiError {
            message: message.into(),
        }
    }

    #[test]
    fn a_refused_open_on_linux_is_permission_denied() {
        // The message hidapi's pure-Rust Linux backend builds around the io::Error.
        let e = api_error(
            "failed to open device with path /dev/hidraw3: Permission denied (os error 13)",
        );
        assert_eq!(HidFailure::of(&e), HidFailure::PermissionDenied);
        let io = hidapi::HidError::IoError {
            error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(HidFailure::of(&io), HidFailure::PermissionDenied);
    }

    #[test]
    fn an_unplugged_key_is_disconnected() {
        for e in [
            hidapi::HidError::IoError {
                error: std::io::Error::from_raw_os_error(ENODEV),
            },
            api_error("failed to open device with path /dev/hidraw9: No such file or directory (os error 2)"),
            api_error("unexpected poll error (device disconnected)"),
        ] {
            assert_eq!(HidFailure::of(&e), HidFailure::Disconnected, "{e}");
        }
    }

    #[test]
    fn other_failures_stay_other_even_when_their_text_sounds_alike() {
        for e in [
            api_error("ioctl(GRDESCSIZE) error for /dev/hidraw0, not a HIDRAW device?: Inappropriate ioctl for device (os error 25)"),
            api_error("the word denied in a message decides nothing"),
            hidapi::HidError::IncompleteSendError { sent: 3, all: 65 },
            hidapi::HidError::IoError {
                error: std::io::Error::from_raw_os_error(5),
            },
        ] {
            assert_eq!(HidFailure::of(&e), HidFailure::Other, "{e}");
        }
    }

    #[test]
    fn os_error_codes_are_read_from_both_message_styles() {
        assert_eq!(
            os_error_code("x: Permission denied (os error 13)"),
            Some(13)
        );
        assert_eq!(
            os_error_code("hid_open_path/CreateFile: (0x00000005) Access is denied."),
            Some(5)
        );
        assert_eq!(os_error_code("no code here"), None);
    }
}
