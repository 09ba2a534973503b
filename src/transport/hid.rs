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
        let device = api.open_path(&c_path).map_err(|e| {
            let text = e.to_string();
            if text.contains("ermission") || text.contains("EACCES") || text.contains("denied") {
                TransportError::PermissionDenied {
                    path: path.into(),
                    hint: permission_hint().into(),
                }
            } else {
                TransportError::Open {
                    what: path.into(),
                    reason: text,
                }
            }
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
    let text = e.to_string();
    if text.contains("No such device") || text.contains("ENODEV") || text.contains("disconnected") {
        TransportError::Disconnected
    } else {
        TransportError::Io(text)
    }
}
