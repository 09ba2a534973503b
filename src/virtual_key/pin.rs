//! clientPIN on the virtual key, with the retry counters exactly as CTAP 2.1 §6.5.5 has them:
//! eight retries, each attempt costs one before the PIN is checked, three consecutive
//! failures need a power cycle, zero blocks the PIN, and a correct PIN restores eight.

use rand::RngCore;

use super::authenticator::{
    cbor_err, fields, required_bytes, required_uint, Authenticator, CtapResult, Token,
};
use super::state::MAX_PIN_RETRIES;
use crate::ctap2::cbor::{bytes, int, Fields, Value};
use crate::ctap2::client_pin::{permission, sub};
use crate::ctap2::cose::{CoseKey, ALG_ECDH_ES_HKDF_256};
use crate::ctap2::pin_protocol::{ecdh_x, pin_hash_left16, protocol, PinUvAuthProtocol};
use crate::ctap2::StatusCode;

/// Permissions a CTAP 2.1 token may carry on this key.
fn supported_permissions(pcmr: bool) -> u8 {
    let base =
        permission::MAKE_CREDENTIAL | permission::GET_ASSERTION | permission::CREDENTIAL_MANAGEMENT;
    if pcmr {
        base | permission::PER_CRED_MGMT_READ_ONLY
    } else {
        base
    }
}

/// Tokens on keys without permissions can do everything a token could.
pub(crate) const ALL_PERMISSIONS: u8 = 0xFF;

impl Authenticator {
    pub(crate) fn protocol_for(&self, f: &Fields<'_>) -> CtapResult<Box<dyn PinUvAuthProtocol>> {
        let version = required_uint(f, 0x01)?;
        let version = u8::try_from(version).map_err(|_| StatusCode::INVALID_PARAMETER)?;
        if !self.profile.pin_protocols.contains(&version) {
            return Err(StatusCode::INVALID_PARAMETER);
        }
        protocol(version).ok_or(StatusCode::INVALID_PARAMETER)
    }

    fn shared_secret(
        &self,
        f: &Fields<'_>,
        proto: &dyn PinUvAuthProtocol,
    ) -> CtapResult<zeroize::Zeroizing<Vec<u8>>> {
        let platform = f
            .map(0x03)
            .map_err(cbor_err)?
            .ok_or(StatusCode::MISSING_PARAMETER)?;
        let platform =
            CoseKey::parse_key_agreement(platform).map_err(|_| StatusCode::INVALID_PARAMETER)?;
        let z =
            ecdh_x(&self.key_agreement, &platform).map_err(|_| StatusCode::INVALID_PARAMETER)?;
        Ok(proto.kdf(&z))
    }

    pub(crate) fn client_pin(&mut self, params: Option<&Value>) -> CtapResult<Option<Value>> {
        let f = fields(params)?;
        let sub_command = required_uint(&f, 0x02)?;
        if self.profile.quirks.pin_protocol_required && f.get(0x01).is_none() {
            // What CTAP 2.0-era firmware answers when the mandatory pinProtocol is missing.
            return Err(StatusCode::OTHER);
        }
        match u8::try_from(sub_command).map_err(|_| StatusCode::INVALID_SUBCOMMAND)? {
            sub::GET_PIN_RETRIES => {
                let mut reply = vec![(int(0x03), int(self.state.pin_retries.into()))];
                if self.profile.ctap21 {
                    reply.push((
                        int(0x04),
                        Value::Bool(self.state.consecutive_pin_failures >= 3),
                    ));
                }
                Ok(Some(Value::Map(reply)))
            }
            sub::GET_KEY_AGREEMENT => {
                self.protocol_for(&f)?;
                let key =
                    CoseKey::from_p256(&self.key_agreement.public_key(), ALG_ECDH_ES_HKDF_256);
                Ok(Some(Value::Map(vec![(int(0x01), key.to_value())])))
            }
            sub::SET_PIN => self.set_pin(&f).map(|()| None),
            sub::CHANGE_PIN => self.change_pin(&f).map(|()| None),
            sub::GET_PIN_TOKEN => self.pin_token(&f, false),
            sub::GET_TOKEN_USING_PIN_WITH_PERMISSIONS if self.profile.ctap21 => {
                self.pin_token(&f, true)
            }
            _ => Err(StatusCode::INVALID_SUBCOMMAND),
        }
    }

    fn new_pin(
        &self,
        proto: &dyn PinUvAuthProtocol,
        shared: &[u8],
        f: &Fields<'_>,
    ) -> CtapResult<Vec<u8>> {
        let enc = required_bytes(f, 0x05)?;
        let padded = proto
            .decrypt(shared, enc)
            .map_err(|_| StatusCode::PIN_AUTH_INVALID)?;
        if padded.len() < 64 {
            return Err(StatusCode::PIN_POLICY_VIOLATION);
        }
        let pin: Vec<u8> = padded.iter().copied().take_while(|b| *b != 0).collect();
        let chars = std::str::from_utf8(&pin)
            .map_err(|_| StatusCode::PIN_POLICY_VIOLATION)?
            .chars()
            .count();
        if chars < usize::from(self.state.min_pin_length) || pin.len() > 63 {
            return Err(StatusCode::PIN_POLICY_VIOLATION);
        }
        Ok(pin)
    }

    fn store_pin(&mut self, pin: &[u8]) -> CtapResult<()> {
        self.state.pin_hash = Some(pin_hash_left16(pin).to_vec());
        self.state.pin_length = std::str::from_utf8(pin)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            .try_into()
            .unwrap_or(u8::MAX);
        self.state.pin_retries = MAX_PIN_RETRIES;
        self.state.force_pin_change = false;
        self.persist()
    }

    fn set_pin(&mut self, f: &Fields<'_>) -> CtapResult<()> {
        let proto = self.protocol_for(f)?;
        let shared = self.shared_secret(f, proto.as_ref())?;
        let auth = required_bytes(f, 0x04)?;
        let new_pin_enc = required_bytes(f, 0x05)?;
        if self.state.pin_hash.is_some() {
            return Err(StatusCode::NOT_ALLOWED);
        }
        if !proto.verify(&shared, new_pin_enc, auth) {
            return Err(StatusCode::PIN_AUTH_INVALID);
        }
        let pin = self.new_pin(proto.as_ref(), &shared, f)?;
        self.store_pin(&pin)
    }

    /// Checks pinHashEnc, charging one retry first (CTAP 2.1 §6.5.5.5 step 6).
    fn verify_pin_hash(
        &mut self,
        proto: &dyn PinUvAuthProtocol,
        shared: &[u8],
        f: &Fields<'_>,
    ) -> CtapResult<()> {
        let Some(expected) = self.state.pin_hash.clone() else {
            return Err(StatusCode::PIN_NOT_SET);
        };
        if self.state.pin_retries == 0 {
            return Err(StatusCode::PIN_BLOCKED);
        }
        if self.state.consecutive_pin_failures >= 3 {
            return Err(StatusCode::PIN_AUTH_BLOCKED);
        }
        let pin_hash_enc = required_bytes(f, 0x06)?;
        self.state.pin_retries -= 1;
        self.persist()?;
        let given = proto
            .decrypt(shared, pin_hash_enc)
            .map_err(|_| StatusCode::PIN_AUTH_INVALID)?;
        if given.len() != 16 || given.as_slice() != expected.as_slice() {
            self.key_agreement = p256::SecretKey::random(&mut rand::thread_rng());
            self.state.consecutive_pin_failures += 1;
            self.persist()?;
            if self.state.pin_retries == 0 {
                return Err(StatusCode::PIN_BLOCKED);
            }
            if self.state.consecutive_pin_failures >= 3 {
                return Err(StatusCode::PIN_AUTH_BLOCKED);
            }
            return Err(StatusCode::PIN_INVALID);
        }
        self.state.consecutive_pin_failures = 0;
        self.state.pin_retries = MAX_PIN_RETRIES;
        self.persist()
    }

    fn change_pin(&mut self, f: &Fields<'_>) -> CtapResult<()> {
        let proto = self.protocol_for(f)?;
        let shared = self.shared_secret(f, proto.as_ref())?;
        let auth = required_bytes(f, 0x04)?;
        let new_pin_enc = required_bytes(f, 0x05)?;
        let pin_hash_enc = required_bytes(f, 0x06)?;
        if self.state.pin_hash.is_none() {
            return Err(StatusCode::PIN_NOT_SET);
        }
        if self.state.pin_retries == 0 {
            return Err(StatusCode::PIN_BLOCKED);
        }
        let mut message = new_pin_enc.to_vec();
        message.extend_from_slice(pin_hash_enc);
        if !proto.verify(&shared, &message, auth) {
            return Err(StatusCode::PIN_AUTH_INVALID);
        }
        self.verify_pin_hash(proto.as_ref(), &shared, f)?;
        let pin = self.new_pin(proto.as_ref(), &shared, f)?;
        self.token = None;
        self.store_pin(&pin)
    }

    fn pin_token(&mut self, f: &Fields<'_>, with_permissions: bool) -> CtapResult<Option<Value>> {
        let proto = self.protocol_for(f)?;
        let shared = self.shared_secret(f, proto.as_ref())?;
        let permissions = if with_permissions {
            let p = required_uint(f, 0x09)?;
            let p = u8::try_from(p).map_err(|_| StatusCode::UNAUTHORIZED_PERMISSION)?;
            if p == 0 {
                return Err(StatusCode::INVALID_PARAMETER);
            }
            if p & !supported_permissions(self.profile.per_cred_mgmt_ro) != 0 {
                return Err(StatusCode::UNAUTHORIZED_PERMISSION);
            }
            p
        } else if self.profile.ctap21 {
            permission::MAKE_CREDENTIAL | permission::GET_ASSERTION
        } else {
            ALL_PERMISSIONS
        };
        self.verify_pin_hash(proto.as_ref(), &shared, f)?;
        if self.state.force_pin_change {
            return Err(StatusCode::PIN_POLICY_VIOLATION);
        }
        let mut value = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut value);
        let rp_id = if with_permissions {
            f.text(0x0A).map_err(cbor_err)?.map(str::to_owned)
        } else {
            None
        };
        let encrypted = proto
            .encrypt(&shared, &value)
            .map_err(|_| StatusCode::OTHER)?;
        if self.profile.quirks.persistent_tokens
            && permissions & permission::PER_CRED_MGMT_READ_ONLY != 0
        {
            // CTAP 2.2 keeps one persistent token; a new one replaces whatever another
            // client saved before.
            self.state.persistent_token = Some(value.to_vec());
            self.persist()?;
        }
        self.token = Some(Token {
            value,
            permissions,
            rp_id,
        });
        Ok(Some(Value::Map(vec![(int(0x02), bytes(&encrypted))])))
    }

    /// Checks a pinUvAuthParam made with the current token, its permission and RP binding.
    pub(crate) fn verify_token(
        &mut self,
        protocol_version: u64,
        param: &[u8],
        message: &[u8],
        needed: u8,
        rp_id: Option<&str>,
    ) -> CtapResult<()> {
        let version = u8::try_from(protocol_version).map_err(|_| StatusCode::INVALID_PARAMETER)?;
        if !self.profile.pin_protocols.contains(&version) {
            return Err(StatusCode::INVALID_PARAMETER);
        }
        let proto = protocol(version).ok_or(StatusCode::INVALID_PARAMETER)?;
        let token = self.token.as_mut().ok_or(StatusCode::PIN_AUTH_INVALID)?;
        if !proto.verify(&token.value, message, param) {
            return Err(StatusCode::PIN_AUTH_INVALID);
        }
        if token.permissions & needed == 0 {
            return Err(StatusCode::UNAUTHORIZED_PERMISSION);
        }
        match (&token.rp_id, rp_id) {
            (Some(bound), Some(rp)) if bound != rp => {
                return Err(StatusCode::UNAUTHORIZED_PERMISSION)
            }
            (None, Some(rp))
                if needed & (permission::MAKE_CREDENTIAL | permission::GET_ASSERTION) != 0 =>
            {
                token.rp_id = Some(rp.to_owned());
            }
            _ => {}
        }
        Ok(())
    }
}
