//! authenticatorMakeCredential (0x01). glasskey uses it for its own identity credential and for
//! attestation checks; `virtual register` uses it as a browser would.

use super::auth_data::AuthData;
use super::cbor::{bytes, encode, int, int_map, text, Fields, Value};
use super::cose::ALG_ES256;
use super::credential_management::{descriptor, UserEntity};
use super::{code, Command, Ctap2Error};

#[derive(Debug, Clone)]
pub struct MakeCredential {
    pub client_data_hash: [u8; 32],
    pub rp_id: String,
    pub rp_name: Option<String>,
    pub user: UserEntity,
    /// COSE algorithms in order of preference.
    pub algorithms: Vec<i64>,
    pub exclude_list: Vec<Vec<u8>>,
    /// credProtect level 1-3, sent as an extension.
    pub cred_protect: Option<u8>,
    pub resident_key: bool,
    pub pin_uv_auth_param: Option<Vec<u8>>,
    pub protocol: Option<u8>,
}

impl MakeCredential {
    pub fn new(client_data_hash: [u8; 32], rp_id: &str, user: UserEntity) -> Self {
        Self {
            client_data_hash,
            rp_id: rp_id.into(),
            rp_name: None,
            user,
            algorithms: vec![ALG_ES256],
            exclude_list: Vec::new(),
            cred_protect: None,
            resident_key: false,
            pin_uv_auth_param: None,
            protocol: None,
        }
    }
}

fn text_map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

impl Command for MakeCredential {
    type Response = Attestation;

    fn code(&self) -> u8 {
        code::MAKE_CREDENTIAL
    }

    fn needs_presence(&self) -> bool {
        true
    }

    fn params(&self) -> Option<Value> {
        let mut rp = vec![("id", text(&self.rp_id))];
        if let Some(name) = &self.rp_name {
            rp.push(("name", text(name)));
        }
        let algs = self
            .algorithms
            .iter()
            .map(|a| text_map(vec![("alg", int(*a)), ("type", text("public-key"))]))
            .collect();
        let exclude = (!self.exclude_list.is_empty())
            .then(|| Value::Array(self.exclude_list.iter().map(|id| descriptor(id)).collect()));
        let extensions = self
            .cred_protect
            .map(|level| text_map(vec![("credProtect", int(level.into()))]));
        let options = self
            .resident_key
            .then(|| text_map(vec![("rk", Value::Bool(true))]));
        Some(int_map(vec![
            (0x01, Some(bytes(&self.client_data_hash))),
            (0x02, Some(text_map(rp))),
            (0x03, Some(self.user.to_value())),
            (0x04, Some(Value::Array(algs))),
            (0x05, exclude),
            (0x06, extensions),
            (0x07, options),
            (0x08, self.pin_uv_auth_param.as_deref().map(bytes)),
            (0x09, self.protocol.map(|p| int(p.into()))),
        ]))
    }

    fn parse(&self, body: Option<&Value>) -> Result<Attestation, Ctap2Error> {
        let body =
            body.ok_or_else(|| Ctap2Error::Protocol("makeCredential reply has no body".into()))?;
        Attestation::parse(body)
    }
}

/// The attestation object. The statement is kept raw so that it can be verified later.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub format: String,
    pub auth_data: AuthData,
    pub statement: Value,
    pub enterprise: Option<bool>,
    pub large_blob_key: Option<Vec<u8>>,
}

impl Attestation {
    pub fn parse(body: &Value) -> Result<Self, Ctap2Error> {
        let f = Fields::new(body, "makeCredential")?;
        let auth_data = AuthData::parse(f.bytes(0x02)?.ok_or_else(|| f.missing("authData"))?)?;
        if auth_data.attested.is_none() {
            return Err(Ctap2Error::Protocol(
                "makeCredential reply lacks attested credential data".into(),
            ));
        }
        Ok(Self {
            format: f.text(0x01)?.ok_or_else(|| f.missing("fmt"))?.to_owned(),
            auth_data,
            statement: f.map(0x03)?.cloned().unwrap_or(Value::Map(Vec::new())),
            enterprise: f.bool(0x04)?,
            large_blob_key: f.bytes(0x05)?.map(<[u8]>::to_vec),
        })
    }

    /// A WebAuthn attestation object (text keys `fmt`, `attStmt`, `authData`), as browsers
    /// return it and public test vectors carry it.
    pub fn from_webauthn_object(bytes: &[u8]) -> Result<Self, Ctap2Error> {
        let value = super::cbor::decode(bytes)?;
        let f = Fields::new(&value, "attestationObject")?;
        let auth_data = f
            .bytes_field("authData")?
            .ok_or_else(|| f.missing("authData"))?;
        Ok(Self {
            format: f
                .text_field("fmt")?
                .ok_or_else(|| f.missing("fmt"))?
                .to_owned(),
            auth_data: AuthData::parse(auth_data)?,
            statement: f
                .get_text_key("attStmt")
                .cloned()
                .unwrap_or(Value::Map(Vec::new())),
            enterprise: None,
            large_blob_key: None,
        })
    }

    pub fn statement_bytes(&self) -> Vec<u8> {
        encode(&self.statement)
    }
}
