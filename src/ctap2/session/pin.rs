//! The PIN rules of the session (DESIGN §3.1, §3.6, §3.7): nothing is sent while the session is
//! locked (identity before PIN); retries are read afresh immediately before every PIN-bearing
//! request, after any prompt; low retries refuse without force; a PIN-bearing request goes out at
//! most once (never resent on BUSY, a timeout or a wrong PIN); tokens stay in zeroizing memory.

use super::{PinRetries, PinToken, Session, TokenPurpose, LOW_RETRIES};
use crate::ctap2::client_pin::{permission, sub, ClientPin, ClientPinResponse};
use crate::ctap2::pin_protocol::{
    self, encapsulate, pad_pin, pin_hash_left16, Encapsulation, PinUvAuthProtocol,
};
use crate::ctap2::{Ctap2Error, StatusCode};
use crate::ctaphid::CtapHidError;
use crate::secret::Pin;
use crate::transport::Transport;
use crate::transport::TransportError;

impl<T: Transport> Session<T> {
    fn client_pin(&mut self, request: ClientPin) -> Result<ClientPinResponse, Ctap2Error> {
        self.call(&request)
    }

    pub fn pin_retries(&mut self) -> Result<PinRetries, Ctap2Error> {
        self.require_pin_support()?;
        let protocol = self.protocol_for_ctap20()?;
        let reply = self.client_pin(ClientPin {
            protocol,
            sub_command: sub::GET_PIN_RETRIES,
            ..Default::default()
        })?;
        let retries = PinRetries {
            retries: reply.pin_retries.ok_or_else(|| {
                Ctap2Error::Protocol("getPINRetries reply lacks pinRetries".into())
            })?,
            power_cycle_required: reply.power_cycle_state,
        };
        check_plausible(retries)?;
        Ok(retries)
    }

    /// UV retries, for keys with built-in user verification (fingerprint).
    pub fn uv_retries(&mut self) -> Result<Option<u8>, Ctap2Error> {
        if self.info()?.option("uv").is_none() {
            return Ok(None);
        }
        let reply = self.client_pin(ClientPin {
            sub_command: sub::GET_UV_RETRIES,
            ..Default::default()
        })?;
        if let Some(n) = reply.uv_retries.filter(|n| *n > MAX_UV_RETRIES) {
            return Err(Ctap2Error::Protocol(format!(
                "the key claims {n} UV retries; CTAP allows at most {MAX_UV_RETRIES}"
            )));
        }
        Ok(reply.uv_retries)
    }

    /// CTAP 2.0 (§5.5.3) requires pinProtocol on every clientPIN subcommand; only CTAP 2.1
    /// lets getPINRetries omit it, and CTAP 2.0-era firmware answers CTAP2_ERR_OTHER without it.
    fn protocol_for_ctap20(&mut self) -> Result<Option<u8>, Ctap2Error> {
        if self.info()?.is_ctap21() {
            return Ok(None);
        }
        Ok(Some(self.protocol()?.version()))
    }

    fn require_pin_support(&mut self) -> Result<bool, Ctap2Error> {
        match self.info()?.pin_set() {
            None => Err(Ctap2Error::Unsupported("PINs")),
            Some(set) => Ok(set),
        }
    }

    fn protocol(&mut self) -> Result<Box<dyn PinUvAuthProtocol>, Ctap2Error> {
        let version =
            self.info()?
                .pin_protocols()
                .into_iter()
                .next()
                .ok_or(Ctap2Error::Unsupported(
                    "a PIN/UV auth protocol glasskey knows",
                ))?;
        pin_protocol::protocol(version).ok_or(Ctap2Error::Unsupported(
            "a PIN/UV auth protocol glasskey knows",
        ))
    }

    fn key_agreement(
        &mut self,
        protocol: &dyn PinUvAuthProtocol,
    ) -> Result<Encapsulation, Ctap2Error> {
        let reply = self.client_pin(ClientPin {
            protocol: Some(protocol.version()),
            sub_command: sub::GET_KEY_AGREEMENT,
            ..Default::default()
        })?;
        let peer = reply.key_agreement.ok_or_else(|| {
            Ctap2Error::Protocol("getKeyAgreement reply lacks keyAgreement".into())
        })?;
        encapsulate(protocol, &peer)
    }

    /// Reads the retries afresh and refuses when sending a PIN could lock the key. Called right
    /// before the PIN-bearing request, after any prompt: another application may have spent
    /// attempts while the custodian was typing.
    fn check_retries_before_pin(&mut self, force: bool) -> Result<PinRetries, Ctap2Error> {
        let retries = self.pin_retries()?;
        if retries.retries == 0 {
            return Err(Ctap2Error::PinBlocked);
        }
        if retries.power_cycle_required == Some(true) {
            return Err(Ctap2Error::PinAuthBlocked);
        }
        if retries.retries <= LOW_RETRIES && !force {
            return Err(Ctap2Error::RetriesTooLow {
                retries: retries.retries,
            });
        }
        Ok(retries)
    }

    /// Waits for any other glasskey process using this key (key_lock.rs); the guard must live
    /// from the fresh retries read through the reply to the PIN-bearing request.
    fn hold_key(&mut self) -> Result<Option<crate::ctap2::key_lock::KeyLockGuard>, Ctap2Error> {
        let Some(lock) = self.key_lock.clone() else {
            return Ok(None);
        };
        let cancel = self.hid.cancel_flag();
        Ok(Some(lock.hold(self.timeout, Some(&cancel))?))
    }

    /// Turns a PIN failure into the typed error, reading the retries left. Never resends.
    fn pin_failure(&mut self, error: Ctap2Error) -> Ctap2Error {
        match error.status() {
            Some(StatusCode::PIN_INVALID) => match self.pin_retries() {
                Ok(r) => Ctap2Error::PinInvalid {
                    retries: r.retries,
                    power_cycle_required: r.power_cycle_required == Some(true),
                },
                Err(e) => e,
            },
            Some(StatusCode::PIN_AUTH_BLOCKED) => Ctap2Error::PinAuthBlocked,
            Some(StatusCode::PIN_BLOCKED) => Ctap2Error::PinBlocked,
            Some(StatusCode::PIN_NOT_SET) => Ctap2Error::PinNotSet,
            Some(StatusCode::PIN_POLICY_VIOLATION) => Ctap2Error::PinPolicy {
                min_length: self
                    .info
                    .as_ref()
                    .and_then(|i| i.min_pin_length)
                    .and_then(|l| u8::try_from(l).ok())
                    .unwrap_or(4),
            },
            _ => error,
        }
    }

    /// Obtains a PIN token for `purpose`, under every safety rule.
    pub fn pin_token(
        &mut self,
        pin: &Pin,
        purpose: TokenPurpose,
        rp_id: Option<&str>,
        force: bool,
    ) -> Result<PinToken, Ctap2Error> {
        self.require_pin_unlocked()?;
        if !self.require_pin_support()? {
            return Err(Ctap2Error::PinNotSet);
        }
        let protocol = self.protocol()?;
        let info = self.info()?;
        let with_permissions = info.supports_permissions();
        let permissions = match purpose {
            TokenPurpose::ReadCredentialsPersistent if info.supports_pcmr() => {
                permission::PER_CRED_MGMT_READ_ONLY
            }
            TokenPurpose::ReadCredentials | TokenPurpose::ReadCredentialsPersistent => {
                permission::CREDENTIAL_MANAGEMENT
            }
            TokenPurpose::MakeCredential => permission::MAKE_CREDENTIAL,
            TokenPurpose::GetAssertion => permission::GET_ASSERTION,
        };
        let _key_held = self.hold_key()?;
        self.check_retries_before_pin(force)?;
        let shared = self.key_agreement(protocol.as_ref())?;
        let pin_hash_enc = protocol.encrypt(
            &shared.shared_secret,
            pin_hash_left16(pin.as_bytes()).as_slice(),
        )?;
        let request = ClientPin {
            protocol: Some(protocol.version()),
            sub_command: if with_permissions {
                sub::GET_TOKEN_USING_PIN_WITH_PERMISSIONS
            } else {
                sub::GET_PIN_TOKEN
            },
            key_agreement: Some(shared.platform_key.clone()),
            pin_hash_enc: Some(pin_hash_enc),
            permissions: with_permissions.then_some(permissions),
            rp_id: if with_permissions {
                rp_id.map(str::to_owned)
            } else {
                None
            },
            ..Default::default()
        };
        let reply = match self.send_pin_bearing(request) {
            Ok(r) => r,
            // For a token request this status means only one thing (CTAP 2.1 §6.5.5.7).
            Err(Ctap2Error::Status(StatusCode::PIN_POLICY_VIOLATION)) => {
                return Err(Ctap2Error::PinChangeRequired)
            }
            Err(e) => return Err(self.pin_failure(e)),
        };
        let encrypted = reply
            .pin_uv_auth_token
            .ok_or_else(|| Ctap2Error::Protocol("the key returned no PIN token".into()))?;
        let token = protocol.decrypt(&shared.shared_secret, &encrypted)?;
        if !(token.len() == 16 || token.len() == 32) {
            return Err(Ctap2Error::Protocol(format!(
                "PIN token of {} bytes; expected 16 or 32",
                token.len()
            )));
        }
        Ok(PinToken {
            protocol,
            token,
            permissions,
        })
    }

    /// Sets the first PIN on a key that has none.
    pub fn set_pin(&mut self, new_pin: &Pin) -> Result<(), Ctap2Error> {
        self.require_pin_unlocked()?;
        if self.require_pin_support()? {
            return Err(Ctap2Error::Protocol(
                "a PIN is already set; use change PIN instead".into(),
            ));
        }
        self.check_min_length(new_pin)?;
        let protocol = self.protocol()?;
        let _key_held = self.hold_key()?;
        let shared = self.key_agreement(protocol.as_ref())?;
        let new_pin_enc = protocol.encrypt(&shared.shared_secret, &pad_pin(new_pin.as_bytes())?)?;
        let auth = protocol.authenticate(&shared.shared_secret, &new_pin_enc);
        let request = ClientPin {
            protocol: Some(protocol.version()),
            sub_command: sub::SET_PIN,
            key_agreement: Some(shared.platform_key.clone()),
            pin_uv_auth_param: Some(auth),
            new_pin_enc: Some(new_pin_enc),
            ..Default::default()
        };
        self.send_pin_change(request)
    }

    /// Changes the PIN; the old PIN goes through the same safety rules as any other PIN.
    pub fn change_pin(
        &mut self,
        old_pin: &Pin,
        new_pin: &Pin,
        force: bool,
    ) -> Result<(), Ctap2Error> {
        self.require_pin_unlocked()?;
        if !self.require_pin_support()? {
            return Err(Ctap2Error::PinNotSet);
        }
        self.check_min_length(new_pin)?;
        let protocol = self.protocol()?;
        let _key_held = self.hold_key()?;
        self.check_retries_before_pin(force)?;
        let shared = self.key_agreement(protocol.as_ref())?;
        let new_pin_enc = protocol.encrypt(&shared.shared_secret, &pad_pin(new_pin.as_bytes())?)?;
        let pin_hash_enc = protocol.encrypt(
            &shared.shared_secret,
            pin_hash_left16(old_pin.as_bytes()).as_slice(),
        )?;
        let mut message = new_pin_enc.clone();
        message.extend_from_slice(&pin_hash_enc);
        let auth = protocol.authenticate(&shared.shared_secret, &message);
        let request = ClientPin {
            protocol: Some(protocol.version()),
            sub_command: sub::CHANGE_PIN,
            key_agreement: Some(shared.platform_key.clone()),
            pin_uv_auth_param: Some(auth),
            new_pin_enc: Some(new_pin_enc),
            pin_hash_enc: Some(pin_hash_enc),
            ..Default::default()
        };
        self.send_pin_change(request)
    }

    /// Sends setPIN or changePIN; getInfo is stale afterwards (clientPin, forcePINChange).
    fn send_pin_change(&mut self, request: ClientPin) -> Result<(), Ctap2Error> {
        let result = self
            .send_pin_bearing(request)
            .map(|_| ())
            .map_err(|e| self.pin_failure(e));
        self.invalidate_info();
        result
    }

    /// Sends a request carrying PIN material, once. A key that is busy or silent gets no second
    /// copy: the operation ends, and the caller is told to look at the retries before retrying.
    fn send_pin_bearing(&mut self, request: ClientPin) -> Result<ClientPinResponse, Ctap2Error> {
        self.require_pin_unlocked()?;
        match self.call(&request) {
            Err(Ctap2Error::Hid(CtapHidError::BusyNotResent)) => Err(
                Ctap2Error::PinRequestUnanswered("it was busy with another application".into()),
            ),
            Err(Ctap2Error::Hid(CtapHidError::Transport(TransportError::Timeout))) => Err(
                Ctap2Error::PinRequestUnanswered("no answer before the timeout".into()),
            ),
            Err(Ctap2Error::Hid(CtapHidError::CancelledAfterPinSent)) => {
                Err(Ctap2Error::PinRequestCancelled)
            }
            other => other,
        }
    }

    fn check_min_length(&mut self, pin: &Pin) -> Result<(), Ctap2Error> {
        let min = self.info()?.min_pin_length.unwrap_or(4);
        if (pin.char_count() as u64) < min {
            return Err(Ctap2Error::PinPolicy {
                min_length: u8::try_from(min).unwrap_or(u8::MAX),
            });
        }
        Ok(())
    }
}

/// CTAP 2.1 §6.5.2.2: at most 8 PIN retries; UV retries at most 25 (§6.5.2.3).
pub const MAX_PIN_RETRIES: u8 = 8;
pub const MAX_UV_RETRIES: u8 = 25;
/// powerCycleState is set after 3 consecutive wrong PINs, so never with more than 8 - 3 left.
const MAX_RETRIES_WITH_POWER_CYCLE: u8 = MAX_PIN_RETRIES - 3;

/// A key that claims impossible retry values is lying or broken: refuse to act on it.
fn check_plausible(r: PinRetries) -> Result<(), Ctap2Error> {
    if r.retries > MAX_PIN_RETRIES {
        return Err(Ctap2Error::Protocol(format!(
            "the key claims {} PIN retries; CTAP allows at most {MAX_PIN_RETRIES}",
            r.retries
        )));
    }
    if r.power_cycle_required == Some(true) && r.retries > MAX_RETRIES_WITH_POWER_CYCLE {
        return Err(Ctap2Error::Protocol(format!(
            "the key demands a power cycle with {} PIN retries left, which takes three wrong PINs in a row (at most {MAX_RETRIES_WITH_POWER_CYCLE} left)",
            r.retries
        )));
    }
    Ok(())
}
