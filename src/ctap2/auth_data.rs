//! Authenticator data (WebAuthn §6.1): the signed structure in every credential and assertion.

use super::cbor::{decode_prefix, Value};
use super::cose::CoseKey;
use super::Ctap2Error;

pub const FLAG_UP: u8 = 0x01;
pub const FLAG_UV: u8 = 0x04;
pub const FLAG_AT: u8 = 0x40;
pub const FLAG_ED: u8 = 0x80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    pub public_key: CoseKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
    pub extensions: Option<Value>,
    /// The exact bytes, as signatures cover them.
    pub raw: Vec<u8>,
}

impl AuthData {
    pub fn user_present(&self) -> bool {
        self.flags & FLAG_UP != 0
    }
    pub fn user_verified(&self) -> bool {
        self.flags & FLAG_UV != 0
    }

    pub fn parse(raw: &[u8]) -> Result<Self, Ctap2Error> {
        let short =
            |what: &str| Ctap2Error::Protocol(format!("authenticator data too short for {what}"));
        if raw.len() < 37 {
            return Err(short("its header"));
        }
        let mut rp_id_hash = [0u8; 32];
        rp_id_hash.copy_from_slice(&raw[..32]);
        let flags = raw[32];
        let sign_count = u32::from_be_bytes([raw[33], raw[34], raw[35], raw[36]]);
        let mut rest = &raw[37..];
        let mut attested = None;
        if flags & FLAG_AT != 0 {
            if rest.len() < 18 {
                return Err(short("the attested credential"));
            }
            let mut aaguid = [0u8; 16];
            aaguid.copy_from_slice(&rest[..16]);
            let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            rest = &rest[18..];
            if rest.len() < id_len {
                return Err(short("the credential ID"));
            }
            let credential_id = rest[..id_len].to_vec();
            rest = &rest[id_len..];
            let key_value = decode_prefix(&mut rest)?;
            attested = Some(AttestedCredential {
                aaguid,
                credential_id,
                public_key: CoseKey::parse(&key_value)?,
            });
        }
        let mut extensions = None;
        if flags & FLAG_ED != 0 {
            extensions = Some(decode_prefix(&mut rest)?);
        }
        if !rest.is_empty() {
            return Err(Ctap2Error::Protocol(format!(
                "{} unexpected bytes after authenticator data",
                rest.len()
            )));
        }
        Ok(Self {
            rp_id_hash,
            flags,
            sign_count,
            attested,
            extensions,
            raw: raw.to_vec(),
        })
    }
}
