//! Vendor-specific reads over the FIDO HID interface.

pub mod yubico;
