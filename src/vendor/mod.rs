//! Vendor-specific reads over the FIDO HID interface. CTAPHID commands 0x40-0x7F are
//! vendor-defined: the same byte may mean something else to another vendor's firmware, so a
//! vendor command goes only to that vendor's keys, as this table says.

pub mod yubico;

use std::time::Instant;

use crate::ctaphid::{CtapHid, CtapHidError};
use crate::transport::Transport;

pub use yubico::YubiKeyConfig as VendorConfig;

type ReadFn =
    fn(&mut CtapHid<Box<dyn Transport>>, Instant) -> Result<Option<VendorConfig>, CtapHidError>;

/// One vendor's device-information read, and how to recognise that vendor's keys.
pub struct VendorReader {
    pub vendor: &'static str,
    /// USB vendor IDs of its keys. When the transport reports a USB vendor ID, only this
    /// decides: a key that claims the vendor's AAGUID on another vendor's USB ID is not asked.
    pub usb_vendor_ids: &'static [u16],
    /// AAGUIDs of its keys, for transports without USB ids (a simulator on UDP).
    pub aaguids: &'static [&'static str],
    /// The CTAPHID INIT reply's version bytes are this vendor's firmware version.
    pub init_version_is_firmware: bool,
    pub read: ReadFn,
}

/// Add a vendor here to read its keys' serial numbers; nothing else needs to change.
pub const READERS: &[VendorReader] = &[VendorReader {
    vendor: "Yubico",
    usb_vendor_ids: &[yubico::USB_VENDOR_ID],
    aaguids: yubico::AAGUIDS,
    init_version_is_firmware: true,
    read: yubico::read_config::<Box<dyn Transport>>,
}];

/// The reader for a key, if it is one of a listed vendor's.
pub fn reader_for(usb_vendor_id: Option<u16>, aaguid: &str) -> Option<&'static VendorReader> {
    READERS.iter().find(|r| match usb_vendor_id {
        Some(vid) => r.usb_vendor_ids.contains(&vid),
        None => r.aaguids.iter().any(|a| a.eq_ignore_ascii_case(aaguid)),
    })
}
