//! YubiKey device information over CTAPHID: the read-config vendor command (yubikit's
//! CTAP_READ_CONFIG, vendor-first 0x40 + 2). No smart-card stack is needed for the serial.

use std::time::Instant;

use serde::Serialize;

use crate::ctaphid::{CtapHid, CtapHidError};
use crate::transport::Transport;

pub const CMD_READ_CONFIG: u8 = 0x42;
pub const USB_VENDOR_ID: u16 = 0x1050;

/// AAGUIDs of YubiKeys (Yubico's published list and the FIDO MDS), for keys reached without a
/// USB vendor ID. The last two are glasskey's own virtual keys that imitate YubiKeys
/// (src/virtual_key/profile.rs), which answer read-config like the real ones.
pub const AAGUIDS: &[&str] = &[
    "cb69481e-8ff7-4039-93ec-0a2729a154a8", // YubiKey 5 (5.1)
    "ee882879-721c-4913-9775-3dfcce97072a", // YubiKey 5 (5.2, 5.4)
    "19083c3d-8383-4b18-bc03-8f1c9ab2fd1b", // YubiKey 5 (5.7)
    "fa2b99dc-9e39-4257-8f92-4a30d23c4118", // YubiKey 5 NFC (5.1)
    "2fc0579f-8113-47ea-b116-bb5a8db9202a", // YubiKey 5 NFC (5.2, 5.4)
    "a25342c0-3cdc-4414-8e46-f4807fca511c", // YubiKey 5 NFC (5.7)
    "73bb0cd4-e502-49b8-9c6f-b59445bf720b", // YubiKey 5 FIPS
    "c1f9a0bc-1dd2-404a-b27f-8e29047a43fd", // YubiKey 5 FIPS NFC
    "f8a011f3-8c0a-4d15-8006-17111f9edc7d", // Security Key by Yubico (5.1)
    "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9", // glasskey virtual, imitates YubiKey 5 NFC 5.7
    "b3f2efe5-cf71-4fba-956b-54987f8d8393", // glasskey virtual, imitates YubiKey 5 NFC 5.4
];
const TAG_SERIAL: u8 = 0x02;
const TAG_FORM_FACTOR: u8 = 0x04;
const TAG_VERSION: u8 = 0x05;
const TAG_MORE_DATA: u8 = 0x10;
/// Keys have used at most two or three pages; a device that keeps saying "more" is broken.
const MAX_PAGES: u8 = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct YubiKeyConfig {
    pub serial: Option<u32>,
    pub firmware: Option<String>,
    pub form_factor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    #[error("read-config page is empty")]
    Empty,
    #[error("read-config page claims {claimed} bytes but carries {actual}")]
    Length { claimed: usize, actual: usize },
    #[error("read-config TLV for tag {tag:#04x} runs past the end")]
    Truncated { tag: u8 },
}

/// Names of the form-factor codes (low bits of tag 0x04).
pub fn form_factor_name(code: u8) -> String {
    match code & 0x0F {
        0x01 => "USB-A keychain".into(),
        0x02 => "USB-A nano".into(),
        0x03 => "USB-C keychain".into(),
        0x04 => "USB-C nano".into(),
        0x05 => "USB-C and Lightning".into(),
        0x06 => "USB-A biometric".into(),
        0x07 => "USB-C biometric".into(),
        other => format!("unknown ({other:#04x})"),
    }
}

/// Parses one page: a length byte, then tag-length-value entries. Returns whether another
/// page follows.
pub fn parse_page(page: &[u8], into: &mut YubiKeyConfig) -> Result<bool, TlvError> {
    let (&len, body) = page.split_first().ok_or(TlvError::Empty)?;
    let len = usize::from(len);
    if len > body.len() {
        return Err(TlvError::Length {
            claimed: len,
            actual: body.len(),
        });
    }
    let mut rest = &body[..len];
    let mut more = false;
    while let [tag, vlen, tail @ ..] = rest {
        let vlen = usize::from(*vlen);
        if vlen > tail.len() {
            return Err(TlvError::Truncated { tag: *tag });
        }
        let (value, next) = tail.split_at(vlen);
        match (*tag, value) {
            (TAG_SERIAL, [a, b, c, d]) => into.serial = Some(u32::from_be_bytes([*a, *b, *c, *d])),
            (TAG_FORM_FACTOR, [code, ..]) => into.form_factor = Some(form_factor_name(*code)),
            (TAG_VERSION, [major, minor, patch]) => {
                into.firmware = Some(format!("{major}.{minor}.{patch}"))
            }
            (TAG_MORE_DATA, [flag, ..]) => more = *flag == 1,
            _ => {}
        }
        rest = next;
    }
    Ok(more)
}

/// `read_config` on a session's channel (the channel itself is not public: DESIGN §3.10).
pub fn read_config_of<T: Transport>(
    session: &mut crate::ctap2::Session<T>,
    deadline: Instant,
) -> Result<Option<YubiKeyConfig>, CtapHidError> {
    read_config(session.hid(), deadline)
}

/// Reads every page. A key that answers with a CTAPHID ERROR simply is not a YubiKey (or
/// has the feature disabled): that is `Ok(None)`.
pub fn read_config<T: Transport>(
    hid: &mut CtapHid<T>,
    deadline: Instant,
) -> Result<Option<YubiKeyConfig>, CtapHidError> {
    let mut config = YubiKeyConfig::default();
    for page in 0..MAX_PAGES {
        let reply = match hid.transact(CMD_READ_CONFIG, &[page], deadline) {
            Ok(r) => r,
            Err(CtapHidError::Device(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        match parse_page(&reply, &mut config) {
            Ok(true) => continue,
            Ok(false) => return Ok(Some(config)),
            // A malformed reply means no trustworthy serial, not a failed key.
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(config))
}

/// Encodes a page as a YubiKey would; used by the virtual key.
pub fn encode_page(config: &YubiKeyConfig, form_factor_code: u8) -> Vec<u8> {
    let mut tlv = Vec::new();
    if let Some(serial) = config.serial {
        tlv.extend([TAG_SERIAL, 4]);
        tlv.extend(serial.to_be_bytes());
    }
    tlv.extend([TAG_FORM_FACTOR, 1, form_factor_code]);
    if let Some(parts) = config.firmware.as_deref().and_then(parse_version) {
        tlv.extend([TAG_VERSION, 3]);
        tlv.extend(parts);
    }
    let mut page = vec![tlv.len() as u8];
    page.extend(tlv);
    page
}

pub fn parse_version(v: &str) -> Option<[u8; 3]> {
    let mut parts = v.split('.').map(|p| p.parse::<u8>().ok());
    Some([parts.next()??, parts.next()??, parts.next()??])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_serial_version_and_form_factor() {
        let page = [
            14, 0x02, 4, 0x01, 0x9B, 0xFC, 0xC4, 0x04, 1, 0x03, 0x05, 3, 5, 7, 4,
        ];
        let mut cfg = YubiKeyConfig::default();
        assert_eq!(parse_page(&page, &mut cfg), Ok(false));
        assert_eq!(cfg.serial, Some(0x019B_FCC4));
        assert_eq!(cfg.firmware.as_deref(), Some("5.7.4"));
        assert_eq!(cfg.form_factor.as_deref(), Some("USB-C keychain"));
    }

    #[test]
    fn more_data_flag_and_bad_lengths() {
        let mut cfg = YubiKeyConfig::default();
        assert_eq!(parse_page(&[3, 0x10, 1, 1], &mut cfg), Ok(true));
        assert_eq!(
            parse_page(&[9, 0x02, 4], &mut cfg),
            Err(TlvError::Length {
                claimed: 9,
                actual: 2
            })
        );
        assert_eq!(
            parse_page(&[2, 0x02, 4], &mut cfg),
            Err(TlvError::Truncated { tag: 2 })
        );
        assert_eq!(parse_page(&[], &mut cfg), Err(TlvError::Empty));
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let cfg = YubiKeyConfig {
            serial: Some(31_337_001),
            firmware: Some("5.4.3".into()),
            form_factor: Some("USB-A keychain".into()),
        };
        let mut back = YubiKeyConfig::default();
        assert_eq!(parse_page(&encode_page(&cfg, 1), &mut back), Ok(false));
        assert_eq!(back, cfg);
    }
}
