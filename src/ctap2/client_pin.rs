//! authenticatorClientPIN (0x06): retries, key agreement, set/change PIN and PIN tokens.
//! The request type is low-level; `session` wraps it with the safety rules.

use super::cbor::{bytes, int, int_map, text, Fields, Value};
use super::cose::CoseKey;
use super::{code, Command, Ctap2Error};

pub mod sub {
    pub const GET_PIN_RETRIES: u8 = 0x01;
    pub const GET_KEY_AGREEMENT: u8 = 0x02;
    pub const SET_PIN: u8 = 0x03;
    pub const CHANGE_PIN: u8 = 0x04;
    pub const GET_PIN_TOKEN: u8 = 0x05;
    pub const GET_TOKEN_USING_UV_WITH_PERMISSIONS: u8 = 0x06;
    pub const GET_UV_RETRIES: u8 = 0x07;
    pub const GET_TOKEN_USING_PIN_WITH_PERMISSIONS: u8 = 0x09;
}

/// pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7, 2.2 adds pcmr).
pub mod permission {
    pub const MAKE_CREDENTIAL: u8 = 0x01;
    pub const GET_ASSERTION: u8 = 0x02;
    pub const CREDENTIAL_MANAGEMENT: u8 = 0x04;
    pub const BIO_ENROLLMENT: u8 = 0x08;
    pub const LARGE_BLOB_WRITE: u8 = 0x10;
    pub const AUTHENTICATOR_CONFIG: u8 = 0x20;
    pub const PER_CRED_MGMT_READ_ONLY: u8 = 0x40;
}

#[derive(Default, Clone)]
pub struct ClientPin {
    pub protocol: Option<u8>,
    pub sub_command: u8,
    pub key_agreement: Option<CoseKey>,
    pub pin_uv_auth_param: Option<Vec<u8>>,
    pub new_pin_enc: Option<Vec<u8>>,
    pub pin_hash_enc: Option<Vec<u8>>,
    pub permissions: Option<u8>,
    pub rp_id: Option<String>,
}

impl std::fmt::Debug for ClientPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The encrypted fields are derived from the PIN: never print them.
        f.debug_struct("ClientPin")
            .field("protocol", &self.protocol)
            .field("sub_command", &self.sub_command)
            .field("permissions", &self.permissions)
            .field("rp_id", &self.rp_id)
            .finish_non_exhaustive()
    }
}

#[derive(Default, Clone)]
pub struct ClientPinResponse {
    pub key_agreement: Option<CoseKey>,
    pub pin_uv_auth_token: Option<zeroize::Zeroizing<Vec<u8>>>,
    pub pin_retries: Option<u8>,
    pub power_cycle_state: Option<bool>,
    pub uv_retries: Option<u8>,
}

impl std::fmt::Debug for ClientPinResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientPinResponse")
            .field("key_agreement", &self.key_agreement)
            .field(
                "pin_uv_auth_token",
                &self.pin_uv_auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("pin_retries", &self.pin_retries)
            .field("power_cycle_state", &self.power_cycle_state)
            .field("uv_retries", &self.uv_retries)
            .finish()
    }
}

fn small(f: &Fields<'_>, key: i64) -> Result<Option<u8>, Ctap2Error> {
    f.uint(key)?
        .map(|v| {
            u8::try_from(v).map_err(|_| {
                Ctap2Error::Protocol(format!("clientPIN field {key} is {v}, out of range"))
            })
        })
        .transpose()
}

impl ClientPinResponse {
    pub fn parse(body: Option<&Value>) -> Result<Self, Ctap2Error> {
        let Some(body) = body else {
            return Ok(Self::default());
        };
        let f = Fields::new(body, "clientPIN")?;
        Ok(Self {
            key_agreement: f.map(0x01)?.map(CoseKey::parse_key_agreement).transpose()?,
            pin_uv_auth_token: f.bytes(0x02)?.map(|b| zeroize::Zeroizing::new(b.to_vec())),
            pin_retries: small(&f, 0x03)?,
            power_cycle_state: f.bool(0x04)?,
            uv_retries: small(&f, 0x05)?,
        })
    }
}

impl Command for ClientPin {
    type Response = ClientPinResponse;

    fn code(&self) -> u8 {
        code::CLIENT_PIN
    }

    fn params(&self) -> Option<Value> {
        Some(int_map(vec![
            (0x01, self.protocol.map(|p| int(p.into()))),
            (0x02, Some(int(self.sub_command.into()))),
            (0x03, self.key_agreement.as_ref().map(CoseKey::to_value)),
            (0x04, self.pin_uv_auth_param.as_deref().map(bytes)),
            (0x05, self.new_pin_enc.as_deref().map(bytes)),
            (0x06, self.pin_hash_enc.as_deref().map(bytes)),
            (0x09, self.permissions.map(|p| int(p.into()))),
            (0x0A, self.rp_id.as_deref().map(text)),
        ]))
    }

    fn parse(&self, body: Option<&Value>) -> Result<ClientPinResponse, Ctap2Error> {
        ClientPinResponse::parse(body)
    }

    fn is_sensitive(&self) -> bool {
        matches!(
            self.sub_command,
            sub::SET_PIN
                | sub::CHANGE_PIN
                | sub::GET_PIN_TOKEN
                | sub::GET_TOKEN_USING_PIN_WITH_PERMISSIONS
                | sub::GET_TOKEN_USING_UV_WITH_PERMISSIONS
        )
    }
}
