//! authenticatorCredentialManagement (0x0A, or the 0x41 prototype on CTAP 2.1-PRE keys).
//! Read-only subcommands only: glasskey never deletes or edits a credential.

use serde::Serialize;

use super::cbor::{as_i64, bytes, encode, int, int_map, Fields, Value};
use super::cose::CoseKey;
use super::{code, Command, Ctap2Error};

pub mod sub {
    pub const GET_CREDS_METADATA: u8 = 0x01;
    pub const ENUMERATE_RPS_BEGIN: u8 = 0x02;
    pub const ENUMERATE_RPS_NEXT: u8 = 0x03;
    pub const ENUMERATE_CREDENTIALS_BEGIN: u8 = 0x04;
    pub const ENUMERATE_CREDENTIALS_NEXT: u8 = 0x05;
}

#[derive(Debug, Clone)]
pub struct CredentialManagement {
    /// Use the 0x41 prototype command instead of 0x0A.
    pub preview: bool,
    pub sub_command: u8,
    pub params: Option<Value>,
    pub protocol: Option<u8>,
    pub pin_uv_auth_param: Option<Vec<u8>>,
}

impl CredentialManagement {
    /// The bytes a pinUvAuthParam covers: subCommand followed by the encoded parameters.
    pub fn auth_message(sub_command: u8, params: Option<&Value>) -> Vec<u8> {
        let mut message = vec![sub_command];
        if let Some(p) = params {
            message.extend(encode(p));
        }
        message
    }

    pub fn rp_params(rp_id_hash: &[u8; 32]) -> Value {
        int_map(vec![(0x01, Some(bytes(rp_id_hash)))])
    }
}

impl Command for CredentialManagement {
    type Response = CredMgmtResponse;

    fn code(&self) -> u8 {
        if self.preview {
            code::CREDENTIAL_MANAGEMENT_PREVIEW
        } else {
            code::CREDENTIAL_MANAGEMENT
        }
    }

    fn params(&self) -> Option<Value> {
        Some(int_map(vec![
            (0x01, Some(int(self.sub_command.into()))),
            (0x02, self.params.clone()),
            (0x03, self.protocol.map(|p| int(p.into()))),
            (0x04, self.pin_uv_auth_param.as_deref().map(bytes)),
        ]))
    }

    fn parse(&self, body: Option<&Value>) -> Result<CredMgmtResponse, Ctap2Error> {
        CredMgmtResponse::parse(body)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RelyingParty {
    pub id: String,
    pub name: Option<String>,
    #[serde(serialize_with = "crate::util::serialize_hex")]
    pub id_hash: [u8; 32],
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserEntity {
    #[serde(serialize_with = "crate::util::serialize_hex")]
    pub id: Vec<u8>,
    pub name: Option<String>,
    pub display_name: Option<String>,
}

impl UserEntity {
    pub fn parse(value: &Value) -> Result<Self, Ctap2Error> {
        let f = Fields::new(value, "user")?;
        Ok(Self {
            id: f
                .bytes_field("id")?
                .ok_or_else(|| f.missing("id"))?
                .to_vec(),
            name: f.text_field("name")?.map(str::to_owned),
            display_name: f.text_field("displayName")?.map(str::to_owned),
        })
    }

    pub fn to_value(&self) -> Value {
        let mut entries = vec![(Value::Text("id".into()), bytes(&self.id))];
        if let Some(n) = &self.name {
            entries.push((Value::Text("name".into()), Value::Text(n.clone())));
        }
        if let Some(d) = &self.display_name {
            entries.push((Value::Text("displayName".into()), Value::Text(d.clone())));
        }
        Value::Map(entries)
    }
}

/// A PublicKeyCredentialDescriptor's id.
pub fn descriptor_id(value: &Value) -> Result<Vec<u8>, Ctap2Error> {
    let f = Fields::new(value, "credential")?;
    Ok(f.bytes_field("id")?
        .ok_or_else(|| f.missing("id"))?
        .to_vec())
}

pub fn descriptor(id: &[u8]) -> Value {
    Value::Map(vec![
        (Value::Text("id".into()), bytes(id)),
        (Value::Text("type".into()), Value::Text("public-key".into())),
    ])
}

/// A passkey's public key (reply field 0x08). One of an algorithm glasskey does not know is
/// kept, with its number and hash; a malformed one of a kind glasskey knows is a malformed
/// reply, not a passkey to list under an algorithm it cannot have.
fn passkey_public_key(value: &Value) -> Result<CoseKey, Ctap2Error> {
    CoseKey::parse(value).map_err(|e| match e.in_field("the passkey's publicKey (0x08)") {
        Ctap2Error::Protocol(why) => Ctap2Error::Protocol(format!(
            "{why}; a genuine key never lists such a passkey: treat this key as faulty or hostile"
        )),
        other => other,
    })
}

/// credProtect (0x0A): one of the three levels CTAP 2.1 §12.1 defines.
fn cred_protect(value: &Value) -> Result<u8, Ctap2Error> {
    as_i64(value)
        .and_then(|i| u8::try_from(i).ok())
        .filter(|level| (1..=3).contains(level))
        .ok_or_else(|| {
            let sent = as_i64(value).map_or_else(|| "not an integer".into(), |i| i.to_string());
            Ctap2Error::Protocol(format!(
                "credProtect (0x0A) is {sent}; it must be 1-3 (CTAP 2.1 §12.1)"
            ))
        })
}

/// largeBlobKey (0x0B): always 32 bytes (CTAP 2.1 §12.3).
fn large_blob_key(key: &[u8]) -> Result<Vec<u8>, Ctap2Error> {
    if key.len() != LARGE_BLOB_KEY_BYTES {
        return Err(Ctap2Error::Protocol(format!(
            "largeBlobKey (0x0B) is {} bytes; it must be {LARGE_BLOB_KEY_BYTES}",
            key.len()
        )));
    }
    Ok(key.to_vec())
}

const LARGE_BLOB_KEY_BYTES: usize = 32;

/// Every field a credential management reply may carry.
#[derive(Debug, Clone, Default)]
pub struct CredMgmtResponse {
    pub existing_resident_credentials: Option<u64>,
    pub remaining_resident_credentials: Option<u64>,
    pub rp: Option<(String, Option<String>)>,
    pub rp_id_hash: Option<[u8; 32]>,
    pub total_rps: Option<u64>,
    pub user: Option<UserEntity>,
    pub credential_id: Option<Vec<u8>>,
    pub public_key: Option<CoseKey>,
    pub total_credentials: Option<u64>,
    pub cred_protect: Option<u8>,
    pub large_blob_key: Option<Vec<u8>>,
    pub third_party_payment: Option<bool>,
}

impl CredMgmtResponse {
    pub fn parse(body: Option<&Value>) -> Result<Self, Ctap2Error> {
        let Some(body) = body else {
            return Ok(Self::default());
        };
        let f = Fields::new(body, "credentialManagement")?;
        let rp = match f.map(0x03)? {
            Some(rp) => {
                let r = Fields::new(rp, "credentialManagement.rp")?;
                Some((
                    r.text_field("id")?
                        .ok_or_else(|| r.missing("id"))?
                        .to_owned(),
                    r.text_field("name")?.map(str::to_owned),
                ))
            }
            None => None,
        };
        let rp_id_hash = match f.bytes(0x04)? {
            Some(h) => Some(
                <[u8; 32]>::try_from(h)
                    .map_err(|_| Ctap2Error::Protocol("rpIDHash must be 32 bytes".into()))?,
            ),
            None => None,
        };
        Ok(Self {
            existing_resident_credentials: f.uint(0x01)?,
            remaining_resident_credentials: f.uint(0x02)?,
            rp,
            rp_id_hash,
            total_rps: f.uint(0x05)?,
            user: f.map(0x06)?.map(UserEntity::parse).transpose()?,
            credential_id: f.map(0x07)?.map(descriptor_id).transpose()?,
            public_key: f.map(0x08)?.map(passkey_public_key).transpose()?,
            total_credentials: f.uint(0x09)?,
            cred_protect: f.get(0x0A).map(cred_protect).transpose()?,
            large_blob_key: f.bytes(0x0B)?.map(large_blob_key).transpose()?,
            third_party_payment: f.bool(0x0C)?,
        })
    }
}
