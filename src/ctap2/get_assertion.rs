//! authenticatorGetAssertion (0x02) and authenticatorGetNextAssertion (0x08).

use super::auth_data::AuthData;
use super::cbor::{bytes, int_map, text, Fields, Value};
use super::credential_management::{descriptor, descriptor_id, UserEntity};
use super::{code, Command, Ctap2Error};

#[derive(Debug, Clone)]
pub struct GetAssertion {
    pub rp_id: String,
    pub client_data_hash: [u8; 32],
    pub allow_list: Vec<Vec<u8>>,
    /// `up=false` asks for a silent assertion (no touch), which glasskey's identity proof uses.
    pub user_presence: bool,
    pub pin_uv_auth_param: Option<Vec<u8>>,
    pub protocol: Option<u8>,
}

impl GetAssertion {
    pub fn new(rp_id: &str, client_data_hash: [u8; 32]) -> Self {
        Self {
            rp_id: rp_id.into(),
            client_data_hash,
            allow_list: Vec::new(),
            user_presence: true,
            pin_uv_auth_param: None,
            protocol: None,
        }
    }
}

impl Command for GetAssertion {
    type Response = Assertion;

    fn code(&self) -> u8 {
        code::GET_ASSERTION
    }

    fn needs_presence(&self) -> bool {
        self.user_presence
    }

    fn params(&self) -> Option<Value> {
        let allow = (!self.allow_list.is_empty())
            .then(|| Value::Array(self.allow_list.iter().map(|id| descriptor(id)).collect()));
        let options =
            (!self.user_presence).then(|| Value::Map(vec![(text("up"), Value::Bool(false))]));
        Some(int_map(vec![
            (0x01, Some(text(&self.rp_id))),
            (0x02, Some(bytes(&self.client_data_hash))),
            (0x03, allow),
            (0x05, options),
            (0x06, self.pin_uv_auth_param.as_deref().map(bytes)),
            (0x07, self.protocol.map(|p| super::cbor::int(p.into()))),
        ]))
    }

    fn parse(&self, body: Option<&Value>) -> Result<Assertion, Ctap2Error> {
        // CTAP 2.1 §6.2.2: a key may omit the credential only when the list had one entry.
        let only_allowed = match self.allow_list.as_slice() {
            [only] => Some(only),
            _ => None,
        };
        Assertion::parse(body, only_allowed)
    }
}

pub struct GetNextAssertion;

impl Command for GetNextAssertion {
    type Response = Assertion;

    fn code(&self) -> u8 {
        code::GET_NEXT_ASSERTION
    }

    fn params(&self) -> Option<Value> {
        None
    }

    fn parse(&self, body: Option<&Value>) -> Result<Assertion, Ctap2Error> {
        Assertion::parse(body, None)
    }
}

#[derive(Debug, Clone)]
pub struct Assertion {
    pub credential_id: Vec<u8>,
    pub auth_data: AuthData,
    pub signature: Vec<u8>,
    pub user: Option<UserEntity>,
    pub number_of_credentials: Option<u64>,
}

impl Assertion {
    /// `only_allowed` fills in the credential when a key omits it for a one-entry allow list,
    /// which CTAP permits.
    pub fn parse(body: Option<&Value>, only_allowed: Option<&Vec<u8>>) -> Result<Self, Ctap2Error> {
        let body =
            body.ok_or_else(|| Ctap2Error::Protocol("getAssertion reply has no body".into()))?;
        let f = Fields::new(body, "getAssertion")?;
        let credential_id = match f.map(0x01)? {
            Some(d) => descriptor_id(d)?,
            None => only_allowed
                .cloned()
                .ok_or_else(|| f.missing("credential"))?,
        };
        Ok(Self {
            credential_id,
            auth_data: AuthData::parse(f.bytes(0x02)?.ok_or_else(|| f.missing("authData"))?)?,
            signature: f
                .bytes(0x03)?
                .ok_or_else(|| f.missing("signature"))?
                .to_vec(),
            user: f.map(0x04)?.map(UserEntity::parse).transpose()?,
            number_of_credentials: f.uint(0x05)?,
        })
    }

    /// Verifies the signature over authData ‖ clientDataHash.
    pub fn verify(&self, key: &super::cose::CoseKey, client_data_hash: &[u8; 32]) -> bool {
        let mut message = self.auth_data.raw.clone();
        message.extend_from_slice(client_data_hash);
        key.verify(&message, &self.signature)
    }
}
