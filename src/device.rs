//! One opened key and the facts about it; discovery of the keys plugged in; choosing a key
//! from a `--device` value.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ctap2::key_lock::KeyLock;
use crate::ctap2::{Ctap2Error, Session};
use crate::ctaphid::{CtapHid, CtapHidError, KeepaliveStatus, TraceDirection};
use crate::transport::hid::{self, HidDeviceInfo, HidTransport};
use crate::transport::udp::UdpTransport;
use crate::transport::{Report, Transport, TransportError};
use crate::vendor::{self, VendorConfig, VendorReader};
use crate::virtual_key;

/// Paths of virtual keys that count as "plugged in" for discovery, separated like PATH.
pub const VIRTUAL_KEYS_ENV: &str = "GLASSKEY_VIRTUAL_KEYS";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    Hid(String),
    Virtual(PathBuf),
    Udp(String),
    /// A YubiKey serial number or a USB serial string.
    Serial(String),
}

impl DeviceSpec {
    pub fn parse(text: &str) -> Self {
        if let Some(path) = text.strip_prefix("virtual:") {
            DeviceSpec::Virtual(PathBuf::from(path))
        } else if let Some(addr) = text.strip_prefix("udp:") {
            DeviceSpec::Udp(addr.to_owned())
        } else if text.starts_with('/')
            || text.starts_with("\\\\")
            || text.contains("IOService")
            || text.contains("hidraw")
        {
            DeviceSpec::Hid(text.to_owned())
        } else {
            DeviceSpec::Serial(text.to_owned())
        }
    }

    pub fn to_arg(&self) -> String {
        match self {
            DeviceSpec::Hid(p) => p.clone(),
            DeviceSpec::Virtual(p) => format!("virtual:{}", p.display()),
            DeviceSpec::Udp(a) => format!("udp:{a}"),
            DeviceSpec::Serial(s) => s.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no FIDO security key found")]
    NoKey,
    #[error("{} keys are plugged in; choose one with --device", .0.len())]
    Several(Vec<DeviceSpec>),
    #[error("no key with serial {0} is plugged in")]
    SerialNotFound(String),
    /// No free key reports the serial, and these keys could not be asked because another
    /// glasskey process holds them: the wanted key may be one of them.
    #[error("no free key reports serial {0}; {held} held by another glasskey process", held = held_keys(.1))]
    SerialHeld(String, Vec<DeviceSpec>),
    /// Serials can be copied: a serial two keys report selects neither.
    #[error("{count} keys report serial {0}", count = .1.len())]
    SerialAmbiguous(String, Vec<DeviceSpec>),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("{0}")]
    VirtualKey(#[from] virtual_key::state::StateError),
    #[error(transparent)]
    Hid(#[from] CtapHidError),
    #[error(transparent)]
    Ctap(#[from] Ctap2Error),
}

fn held_keys(keys: &[DeviceSpec]) -> String {
    let names: Vec<String> = keys
        .iter()
        .map(|k| crate::untrusted::visible(&k.to_arg()).into_owned())
        .collect();
    let verb = if names.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", names.join(", "))
}

/// Lists the keys present: USB FIDO devices, then virtual keys named in GLASSKEY_VIRTUAL_KEYS.
pub fn discover() -> Result<Vec<(DeviceSpec, Option<HidDeviceInfo>)>, DeviceError> {
    let mut found: Vec<(DeviceSpec, Option<HidDeviceInfo>)> = match hid::enumerate() {
        Ok(list) => list
            .into_iter()
            .map(|d| (DeviceSpec::Hid(d.path.clone()), Some(d)))
            .collect(),
        // No HID subsystem (a container, a CI machine) simply means no USB keys.
        Err(_) => Vec::new(),
    };
    if let Some(paths) = std::env::var_os(VIRTUAL_KEYS_ENV) {
        use std::os::unix::fs::MetadataExt;
        // One file listed twice (another spelling, a symlink, a hard link) is one key: its
        // second entry would wait on the first one's lock, or pass for a second key.
        let mut seen = std::collections::HashSet::new();
        for path in std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()) {
            let file = std::fs::metadata(&path).map(|m| (m.dev(), m.ino()));
            if file.is_ok_and(|id| !seen.insert(id)) {
                continue;
            }
            found.push((DeviceSpec::Virtual(path), None));
        }
    }
    Ok(found)
}

type TraceHook = Box<dyn FnMut(TraceDirection, &Report, bool) + Send>;
type TouchHook = Box<dyn FnMut(KeepaliveStatus) + Send>;

/// How to open a key.
pub struct OpenOptions {
    pub timeout: Duration,
    pub cancel: Arc<AtomicBool>,
    pub trace: Option<Box<dyn Fn() -> TraceHook + Send + Sync>>,
    pub on_keepalive: Option<Box<dyn Fn() -> TouchHook + Send + Sync>>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            cancel: Arc::new(AtomicBool::new(false)),
            trace: None,
            on_keepalive: None,
        }
    }
}

/// Everything `glasskey list` shows about a key.
#[derive(Debug, Clone, Serialize)]
pub struct KeyFacts {
    pub device: String,
    pub vendor_id: Option<String>,
    pub product_id: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub usb_serial: Option<String>,
    pub vendor_serial: Option<u32>,
    pub aaguid: String,
    pub model: Option<String>,
    /// Where `model` came from; None when no name is known.
    pub model_source: Option<crate::models::ModelSource>,
    pub firmware: Option<String>,
    pub form_factor: Option<String>,
    pub ctap_versions: Vec<String>,
    /// true set, false supported but not set, null no PIN support.
    pub pin_set: Option<bool>,
    /// A software key (DESIGN §3.9): reached as `virtual:` or `udp:`, or reporting one of the
    /// AAGUIDs of glasskey's virtual profiles.
    pub software_key: bool,
}

impl KeyFacts {
    /// Names the model by the imported MDS entry's description, when there is one.
    pub fn name_from_mds(&mut self, mds_description: Option<&str>) {
        (self.model, self.model_source) =
            crate::models::name_and_source(&self.aaguid, mds_description);
    }
}

pub struct Key {
    pub spec: DeviceSpec,
    pub usb: Option<HidDeviceInfo>,
    pub session: Session<Box<dyn Transport>>,
    vendor: Option<Option<VendorConfig>>,
}

type Opened = (Box<dyn Transport>, Option<HidDeviceInfo>, KeyLock);

/// The lock of a key is keyed by how the OS reaches it, never by what the key reports (see
/// key_lock.rs): a device node's device number (one node, whatever link named it), else the
/// path as given.
fn hid_lock(path: &str) -> KeyLock {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    match std::fs::metadata(path) {
        Ok(m) if m.file_type().is_char_device() => {
            KeyLock::for_endpoint(format!("hid-device:{}", m.rdev()))
        }
        _ => KeyLock::for_endpoint(format!("hid:{path}")),
    }
}

fn open_transport(spec: &DeviceSpec, options: &OpenOptions) -> Result<Opened, DeviceError> {
    match spec {
        DeviceSpec::Hid(path) => {
            let info = hid::enumerate()
                .ok()
                .and_then(|l| l.into_iter().find(|d| &d.path == path));
            Ok((Box::new(HidTransport::open(path)?), info, hid_lock(path)))
        }
        DeviceSpec::Virtual(path) => {
            let wait = virtual_key::state::LockWait {
                limit: options.timeout,
                cancel: Some(&options.cancel),
            };
            let t = virtual_key::open_transport(path, wait)?;
            let p = t.device().authenticator().profile();
            let serial = t.device().authenticator().state().serial;
            let info = HidDeviceInfo {
                path: spec.to_arg(),
                vendor_id: p.vendor_id,
                product_id: p.product_id,
                manufacturer: Some(p.manufacturer.into()),
                product: Some(p.product.into()),
                // YubiKeys expose no USB serial string; other keys often do.
                serial: (!p.yubikey_config).then(|| format!("{serial:08X}")),
            };
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            let lock = KeyLock::for_endpoint(format!("virtual:{}", canonical.display()));
            Ok((Box::new(t), Some(info), lock))
        }
        DeviceSpec::Udp(addr) => {
            let t = UdpTransport::connect(addr)?;
            let lock = KeyLock::for_endpoint(format!("udp:{}", t.peer()));
            Ok((Box::new(t), None, lock))
        }
        DeviceSpec::Serial(s) => Err(DeviceError::SerialNotFound(s.clone())),
    }
}

impl Key {
    pub fn open(spec: &DeviceSpec, options: &OpenOptions) -> Result<Self, DeviceError> {
        if let DeviceSpec::Serial(wanted) = spec {
            return Self::open_by_serial(wanted, options);
        }
        let (transport, usb, lock) = open_transport(spec, options)?;
        let trace = options.trace.as_ref().map(|make| make());
        let mut hid = CtapHid::open_with_trace(
            transport,
            Instant::now() + options.timeout.min(Duration::from_secs(5)),
            trace,
        )?;
        hid.set_cancel_flag(Arc::clone(&options.cancel));
        hid.set_keepalive_hook(options.on_keepalive.as_ref().map(|make| make()));
        let mut session = Session::new(hid);
        session.set_timeout(options.timeout);
        session.set_key_lock(lock.shown_as(spec.to_arg()));
        Ok(Self {
            spec: spec.clone(),
            usb,
            session,
            vendor: None,
        })
    }

    /// Opens the one key reporting `wanted`; every key is asked, so a look-alike with a copied
    /// serial makes the choice ambiguous instead of winning by enumeration order.
    fn open_by_serial(wanted: &str, options: &OpenOptions) -> Result<Self, DeviceError> {
        use virtual_key::state::StateError;
        let mut matches = Vec::new();
        let mut held = Vec::new();
        for (spec, _) in discover()? {
            let mut key = match Self::open(&spec, options) {
                Ok(key) => key,
                // Ctrl-C during a wait ends the search: no further key is opened.
                Err(e @ DeviceError::VirtualKey(StateError::Cancelled(_))) => return Err(e),
                // Its serial cannot be read while another process holds it: if no other key
                // matches, the wanted key may be this one, and "not plugged in" would be wrong.
                Err(DeviceError::VirtualKey(StateError::InUse { .. })) => {
                    held.push(spec);
                    continue;
                }
                Err(_) => continue,
            };
            let vendor = key
                .vendor_config()
                .ok()
                .flatten()
                .and_then(|c| c.serial)
                .map(|s| s.to_string());
            let usb = key.usb.as_ref().and_then(|u| u.serial.clone());
            if vendor.as_deref() == Some(wanted)
                || usb
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(wanted))
            {
                matches.push(key);
            }
        }
        match matches.len() {
            0 if !held.is_empty() => Err(DeviceError::SerialHeld(wanted.into(), held)),
            0 => Err(DeviceError::SerialNotFound(wanted.into())),
            1 => Ok(matches.remove(0)),
            _ => Err(DeviceError::SerialAmbiguous(
                wanted.into(),
                matches.into_iter().map(|k| k.spec).collect(),
            )),
        }
    }

    /// The vendor reader for this key (vendor::READERS), by its USB vendor ID or, without
    /// one, its AAGUID.
    pub fn vendor_reader(&mut self) -> Result<Option<&'static VendorReader>, DeviceError> {
        let usb_vendor_id = self.usb.as_ref().map(|u| u.vendor_id);
        let aaguid = self.session.info()?.aaguid_string();
        Ok(vendor::reader_for(usb_vendor_id, &aaguid))
    }

    /// The vendor's device information (e.g. YubiKey read-config), read once, and only from
    /// keys of a vendor that defines it: other keys never get a vendor command.
    pub fn vendor_config(&mut self) -> Result<Option<VendorConfig>, DeviceError> {
        if self.vendor.is_none() {
            let config = match self.vendor_reader()? {
                Some(reader) => {
                    let deadline = Instant::now() + Duration::from_secs(5);
                    (reader.read)(self.session.hid(), deadline)?
                }
                None => None,
            };
            self.vendor = Some(config);
        }
        Ok(self.vendor.clone().flatten())
    }

    pub fn facts(&mut self) -> Result<KeyFacts, DeviceError> {
        let info = self.session.info()?.clone();
        let vendor = self.vendor_config()?;
        let init = *self.session.hid().info();
        let usb = self.usb.clone();
        let init_is_firmware = self
            .vendor_reader()?
            .is_some_and(|r| r.init_version_is_firmware);
        let firmware = vendor
            .as_ref()
            .and_then(|v| v.firmware.clone())
            .or_else(|| init_is_firmware.then(|| init.device_version.to_string()))
            .or_else(|| info.firmware_version.map(|v| v.to_string()));
        let aaguid = info.aaguid_string();
        let software_key = matches!(self.spec, DeviceSpec::Virtual(_) | DeviceSpec::Udp(_))
            || crate::models::is_glasskey_virtual(&aaguid);
        let (model, model_source) = crate::models::name_and_source(&aaguid, None);
        Ok(KeyFacts {
            device: self.spec.to_arg(),
            vendor_id: usb.as_ref().map(|u| format!("{:04x}", u.vendor_id)),
            product_id: usb.as_ref().map(|u| format!("{:04x}", u.product_id)),
            manufacturer: usb.as_ref().and_then(|u| u.manufacturer.clone()),
            product: usb.as_ref().and_then(|u| u.product.clone()),
            usb_serial: usb.as_ref().and_then(|u| u.serial.clone()),
            vendor_serial: vendor.as_ref().and_then(|v| v.serial),
            model,
            model_source,
            aaguid,
            firmware,
            form_factor: vendor.as_ref().and_then(|v| v.form_factor.clone()),
            ctap_versions: info.versions.clone(),
            pin_set: info.pin_set(),
            software_key,
        })
    }
}
