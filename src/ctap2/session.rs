//! A CTAP2 session on one key. Safety rules live here so that no caller can skip them
//! (DESIGN §3.1): retries are read before any PIN is sent, low retries refuse without force, a
//! wrong PIN is never resent, and tokens stay in zeroizing memory.

use std::time::{Duration, Instant};

use serde::Serialize;
use zeroize::Zeroizing;

use super::cbor::{encode, Value};
use super::client_pin::{permission, sub, ClientPin, ClientPinResponse};
use super::cose::CoseKey;
use super::credential_management::{
    sub as cm, CredMgmtResponse, CredentialManagement, RelyingParty, UserEntity,
};
use super::get_assertion::{Assertion, GetAssertion};
use super::get_info::{AuthenticatorInfo, CredMgmtFlavor, GetInfo};
use super::make_credential::{Attestation, MakeCredential};
use super::pin_protocol::{
    self, encapsulate, pad_pin, pin_hash_left16, Encapsulation, PinUvAuthProtocol,
};
use super::selection::Selection;
use super::{split_reply, Command, Ctap2Error, StatusCode};
use crate::ctaphid::packet::cmd;
use crate::ctaphid::CtapHid;
use crate::secret::Pin;
use crate::transport::Transport;

/// At or below this many retries a PIN is only sent with `force` (DESIGN §3.1).
pub const LOW_RETRIES: u8 = 3;
/// No real key holds anywhere near this many; a reply claiming more is treated as hostile.
pub const MAX_ENUMERATION: u64 = 1000;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PinRetries {
    pub retries: u8,
    /// True when three wrong PINs in a row require unplugging the key (CTAP 2.1 powerCycleState).
    pub power_cycle_required: Option<bool>,
}

/// What a PIN token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Read resident credentials: `pcmr` where offered, else `cm`.
    ReadCredentials,
    MakeCredential,
    GetAssertion,
}

pub struct PinToken {
    protocol: Box<dyn PinUvAuthProtocol>,
    token: Zeroizing<Vec<u8>>,
    pub permissions: u8,
}

impl std::fmt::Debug for PinToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinToken")
            .field("protocol", &self.protocol.version())
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

impl PinToken {
    pub fn protocol_version(&self) -> u8 {
        self.protocol.version()
    }
    pub fn authenticate(&self, message: &[u8]) -> Vec<u8> {
        self.protocol.authenticate(&self.token, message)
    }
}

/// One discoverable credential, as credential management reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentCredential {
    pub rp: RelyingParty,
    pub user: UserEntity,
    #[serde(serialize_with = "crate::util::serialize_hex")]
    pub credential_id: Vec<u8>,
    #[serde(skip)]
    pub public_key: Option<CoseKey>,
    pub cred_protect: Option<u8>,
    pub large_blob_key_present: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CredsMetadata {
    pub existing: u64,
    pub remaining: u64,
}

pub struct Session<T: Transport> {
    hid: CtapHid<T>,
    info: Option<AuthenticatorInfo>,
    timeout: Duration,
    /// Retries read by the last command sent; any other command makes it stale.
    recent_retries: Option<PinRetries>,
}

impl<T: Transport> Session<T> {
    pub fn new(hid: CtapHid<T>) -> Self {
        Self {
            hid,
            info: None,
            timeout: DEFAULT_TIMEOUT,
            recent_retries: None,
        }
    }

    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn hid(&mut self) -> &mut CtapHid<T> {
        &mut self.hid
    }

    pub fn into_hid(self) -> CtapHid<T> {
        self.hid
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    /// Sends one command and decodes its reply.
    pub fn call<C: Command>(&mut self, command: &C) -> Result<C::Response, Ctap2Error> {
        self.recent_retries = None;
        let mut payload = vec![command.code()];
        if let Some(params) = command.params() {
            payload.extend(encode(&params));
        }
        let deadline = self.deadline();
        let reply = if command.is_sensitive() {
            self.hid.transact_redacted(cmd::CBOR, &payload, deadline)?
        } else {
            self.hid.transact(cmd::CBOR, &payload, deadline)?
        };
        let body = split_reply(&reply)?;
        command.parse(body.as_ref())
    }

    /// getInfo, read once per session and cached: every later step reuses it.
    pub fn info(&mut self) -> Result<&AuthenticatorInfo, Ctap2Error> {
        if self.info.is_none() {
            let info = self.call(&GetInfo)?;
            if let Some(size) = info.max_msg_size.and_then(|s| usize::try_from(s).ok()) {
                self.hid.set_max_message_size(size);
            }
            self.info = Some(info);
        }
        self.info
            .as_ref()
            .ok_or_else(|| Ctap2Error::Protocol("getInfo unavailable".into()))
    }

    /// Forgets the cached getInfo (after a PIN was set, for instance).
    pub fn invalidate_info(&mut self) {
        self.info = None;
    }

    fn client_pin(&mut self, request: ClientPin) -> Result<ClientPinResponse, Ctap2Error> {
        self.call(&request)
    }

    pub fn pin_retries(&mut self) -> Result<PinRetries, Ctap2Error> {
        self.require_pin_support()?;
        let reply = self.client_pin(ClientPin {
            sub_command: sub::GET_PIN_RETRIES,
            ..Default::default()
        })?;
        let retries = PinRetries {
            retries: reply.pin_retries.ok_or_else(|| {
                Ctap2Error::Protocol("getPINRetries reply lacks pinRetries".into())
            })?,
            power_cycle_required: reply.power_cycle_state,
        };
        self.recent_retries = Some(retries);
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
        Ok(reply.uv_retries)
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

    /// Reads retries and refuses when sending a PIN could lock the key.
    fn check_retries_before_pin(&mut self, force: bool) -> Result<PinRetries, Ctap2Error> {
        // Retries read by the very last command are current: nothing has reached the key since.
        let retries = match self.recent_retries.take() {
            Some(r) => r,
            None => self.pin_retries()?,
        };
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
        if !self.require_pin_support()? {
            return Err(Ctap2Error::PinNotSet);
        }
        self.check_retries_before_pin(force)?;
        let protocol = self.protocol()?;
        let info = self.info()?;
        let with_permissions = info.supports_permissions();
        let permissions = match purpose {
            TokenPurpose::ReadCredentials if info.supports_pcmr() => {
                permission::PER_CRED_MGMT_READ_ONLY
            }
            TokenPurpose::ReadCredentials => permission::CREDENTIAL_MANAGEMENT,
            TokenPurpose::MakeCredential => permission::MAKE_CREDENTIAL,
            TokenPurpose::GetAssertion => permission::GET_ASSERTION,
        };
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
        let reply = match self.client_pin(request) {
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
        if self.require_pin_support()? {
            return Err(Ctap2Error::Protocol(
                "a PIN is already set; use change PIN instead".into(),
            ));
        }
        self.check_min_length(new_pin)?;
        let protocol = self.protocol()?;
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
        if !self.require_pin_support()? {
            return Err(Ctap2Error::PinNotSet);
        }
        self.check_min_length(new_pin)?;
        self.check_retries_before_pin(force)?;
        let protocol = self.protocol()?;
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
            .client_pin(request)
            .map(|_| ())
            .map_err(|e| self.pin_failure(e));
        self.invalidate_info();
        result
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

    fn cred_mgmt(
        &mut self,
        token: &PinToken,
        sub_command: u8,
        params: Option<Value>,
    ) -> Result<CredMgmtResponse, Ctap2Error> {
        let flavor = self
            .info()?
            .cred_mgmt()
            .ok_or(Ctap2Error::Unsupported("credential management"))?;
        let auth = token.authenticate(&CredentialManagement::auth_message(
            sub_command,
            params.as_ref(),
        ));
        self.call(&CredentialManagement {
            preview: flavor == CredMgmtFlavor::Preview,
            sub_command,
            params,
            protocol: Some(token.protocol_version()),
            pin_uv_auth_param: Some(auth),
        })
    }

    fn cred_mgmt_next(&mut self, sub_command: u8) -> Result<CredMgmtResponse, Ctap2Error> {
        let flavor = self
            .info()?
            .cred_mgmt()
            .ok_or(Ctap2Error::Unsupported("credential management"))?;
        // The "next" subcommands carry no parameters and no auth (CTAP 2.1 §6.8.3, §6.8.4).
        self.call(&CredentialManagement {
            preview: flavor == CredMgmtFlavor::Preview,
            sub_command,
            params: None,
            protocol: None,
            pin_uv_auth_param: None,
        })
    }

    pub fn creds_metadata(&mut self, token: &PinToken) -> Result<CredsMetadata, Ctap2Error> {
        let reply = self.cred_mgmt(token, cm::GET_CREDS_METADATA, None)?;
        Ok(CredsMetadata {
            existing: reply.existing_resident_credentials.ok_or_else(|| {
                Ctap2Error::Protocol("metadata lacks existingResidentCredentialsCount".into())
            })?,
            remaining: reply.remaining_resident_credentials.ok_or_else(|| {
                Ctap2Error::Protocol(
                    "metadata lacks maxPossibleRemainingResidentCredentialsCount".into(),
                )
            })?,
        })
    }

    /// Every RP with discoverable credentials. NO_CREDENTIALS is an empty list.
    pub fn enumerate_rps(&mut self, token: &PinToken) -> Result<Vec<RelyingParty>, Ctap2Error> {
        let first = match self.cred_mgmt(token, cm::ENUMERATE_RPS_BEGIN, None) {
            Err(Ctap2Error::Status(StatusCode::NO_CREDENTIALS)) => return Ok(Vec::new()),
            other => other?,
        };
        let total = first
            .total_rps
            .ok_or_else(|| Ctap2Error::Protocol("enumerateRPsBegin lacks totalRPs".into()))?;
        // Trussed-based keys (Nitrokey 3, Solo 2) answer an empty store with totalRPs = 0
        // instead of NO_CREDENTIALS (CTAP 2.1 §6.8.3); both mean "none".
        if total == 0 {
            return Ok(Vec::new());
        }
        check_total(total, "relying parties")?;
        let mut rps = vec![rp_of(&first)?];
        for _ in 1..total {
            rps.push(rp_of(&self.cred_mgmt_next(cm::ENUMERATE_RPS_NEXT)?)?);
        }
        Ok(rps)
    }

    /// Every discoverable credential of one RP.
    pub fn enumerate_credentials(
        &mut self,
        token: &PinToken,
        rp: &RelyingParty,
    ) -> Result<Vec<ResidentCredential>, Ctap2Error> {
        let params = CredentialManagement::rp_params(&rp.id_hash);
        let first = match self.cred_mgmt(token, cm::ENUMERATE_CREDENTIALS_BEGIN, Some(params)) {
            Err(Ctap2Error::Status(StatusCode::NO_CREDENTIALS)) => return Ok(Vec::new()),
            other => other?,
        };
        let total = first.total_credentials.ok_or_else(|| {
            Ctap2Error::Protocol("enumerateCredentialsBegin lacks totalCredentials".into())
        })?;
        if total == 0 {
            return Ok(Vec::new());
        }
        check_total(total, "credentials")?;
        let mut creds = vec![credential_of(rp, first)?];
        for _ in 1..total {
            let next = self.cred_mgmt_next(cm::ENUMERATE_CREDENTIALS_NEXT)?;
            creds.push(credential_of(rp, next)?);
        }
        Ok(creds)
    }

    /// All discoverable credentials, grouped by RP in the key's order.
    pub fn resident_credentials(
        &mut self,
        token: &PinToken,
    ) -> Result<Vec<ResidentCredential>, Ctap2Error> {
        let mut all = Vec::new();
        for rp in self.enumerate_rps(token)? {
            all.extend(self.enumerate_credentials(token, &rp)?);
        }
        Ok(all)
    }

    /// makeCredential; with a token, its pinUvAuthParam is computed here.
    pub fn make_credential(
        &mut self,
        mut request: MakeCredential,
        token: Option<&PinToken>,
    ) -> Result<Attestation, Ctap2Error> {
        if let Some(t) = token {
            request.pin_uv_auth_param = Some(t.authenticate(&request.client_data_hash));
            request.protocol = Some(t.protocol_version());
        }
        self.call(&request)
    }

    pub fn get_assertion(
        &mut self,
        mut request: GetAssertion,
        token: Option<&PinToken>,
    ) -> Result<Assertion, Ctap2Error> {
        if let Some(t) = token {
            request.pin_uv_auth_param = Some(t.authenticate(&request.client_data_hash));
            request.protocol = Some(t.protocol_version());
        }
        self.call(&request)
    }

    /// Asks the user to touch this key (authenticatorSelection).
    pub fn selection(&mut self) -> Result<(), Ctap2Error> {
        self.call(&Selection)
    }
}

fn check_total(total: u64, what: &str) -> Result<(), Ctap2Error> {
    if total > MAX_ENUMERATION {
        return Err(Ctap2Error::Protocol(format!(
            "the key claims {total} {what}; no key holds more than {MAX_ENUMERATION}"
        )));
    }
    Ok(())
}

fn rp_of(reply: &CredMgmtResponse) -> Result<RelyingParty, Ctap2Error> {
    let (id, name) = reply
        .rp
        .clone()
        .ok_or_else(|| Ctap2Error::Protocol("RP enumeration reply lacks rp".into()))?;
    let id_hash = reply
        .rp_id_hash
        .ok_or_else(|| Ctap2Error::Protocol("RP enumeration reply lacks rpIDHash".into()))?;
    Ok(RelyingParty { id, name, id_hash })
}

fn credential_of(
    rp: &RelyingParty,
    reply: CredMgmtResponse,
) -> Result<ResidentCredential, Ctap2Error> {
    Ok(ResidentCredential {
        rp: rp.clone(),
        user: reply
            .user
            .ok_or_else(|| Ctap2Error::Protocol("credential reply lacks user".into()))?,
        credential_id: reply
            .credential_id
            .ok_or_else(|| Ctap2Error::Protocol("credential reply lacks credentialID".into()))?,
        public_key: reply.public_key,
        cred_protect: reply.cred_protect,
        large_blob_key_present: reply.large_blob_key.is_some(),
    })
}
