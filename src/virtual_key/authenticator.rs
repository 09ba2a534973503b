//! The software authenticator behind the virtual key: CTAP2 requests in, CTAP2 replies out.
//! Volatile state (key agreement key, PIN token, enumerations in progress) lives only in
//! memory. The count of consecutive wrong PINs is saved with the key, because a virtual key
//! stays "plugged in" between runs: `glasskey virtual replug` is its power cycle.

use std::path::{Path, PathBuf};

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::faults::Faults;
use super::profile::{self, CredMgmt, Profile};
use super::state::{KeyState, StateError, StoredCredential, MAX_PIN_RETRIES, STATE_VERSION};
use crate::ctap2::cbor::{self, bytes, int, text, Fields, Value};
use crate::ctap2::{code, StatusCode};
use crate::secret::Pin;

pub type CtapResult<T> = Result<T, StatusCode>;

/// What the authenticator made of one CBOR request.
pub struct CborOutcome {
    /// Status byte followed by the CBOR body.
    pub reply: Vec<u8>,
    /// The request waits for a touch before the reply is released.
    pub needs_touch: bool,
}

pub(crate) struct Token {
    pub value: [u8; 32],
    pub permissions: u8,
    pub rp_id: Option<String>,
}

pub(crate) struct PendingAssertions {
    pub rp_id: String,
    pub client_data_hash: [u8; 32],
    pub remaining: Vec<usize>,
    pub user_present: bool,
    pub user_verified: bool,
}

pub struct Authenticator {
    pub(crate) state: KeyState,
    pub(crate) profile: &'static Profile,
    path: Option<PathBuf>,
    /// Held from load to drop for a key opened from a file (state::lock).
    file_lock: Option<super::state::KeyFileLock>,
    pub(crate) key_agreement: p256::SecretKey,
    pub(crate) token: Option<Token>,
    pub(crate) pending_assertions: Option<PendingAssertions>,
    pub(crate) rp_enumeration: Vec<String>,
    pub(crate) credential_enumeration: Vec<usize>,
    pub winks: u32,
}

impl Authenticator {
    /// Creates a new key. With a path, the key is saved there (refusing to overwrite).
    pub fn create(
        path: Option<&Path>,
        profile_name: &str,
        serial: Option<u32>,
        pin: Option<&Pin>,
    ) -> Result<Self, StateError> {
        let profile = profile::find(profile_name).ok_or_else(|| {
            StateError::UnknownProfile(profile_name.into(), profile::names().join(", "))
        })?;
        if let Some(p) = path {
            if p.exists() {
                return Err(StateError::Exists(p.into()));
            }
        }
        let mut master_secret = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut master_secret);
        let serial =
            serial.unwrap_or_else(|| 10_000_000 + rand::thread_rng().next_u32() % 89_999_999);
        let state = KeyState {
            format: "glasskey-virtual-key".into(),
            version: STATE_VERSION,
            profile: profile.name.into(),
            serial,
            master_secret,
            pin_hash: pin
                .map(|p| crate::ctap2::pin_protocol::pin_hash_left16(p.as_bytes()).to_vec()),
            pin_length: pin.map_or(0, |p| u8::try_from(p.char_count()).unwrap_or(u8::MAX)),
            pin_retries: MAX_PIN_RETRIES,
            consecutive_pin_failures: 0,
            force_pin_change: false,
            min_pin_length: profile.min_pin_length,
            sign_count: 0,
            credentials: Vec::new(),
            attestation: Default::default(),
            persistent_token: None,
            faults: Faults::default(),
        };
        let this = Self::from_state(state, path.map(Path::to_path_buf))?;
        this.save()?;
        Ok(this)
    }

    /// Opens a saved key: equivalent to plugging it in (a power cycle). The key is this
    /// process's until dropped: another process opening it waits (state::LOCK_WAIT), then reads
    /// the state this one saved.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Self::open_waiting(path, super::state::LockWait::default())
    }

    /// `open`, waiting for another process that holds the key as `wait` says.
    pub fn open_waiting(path: &Path, wait: super::state::LockWait<'_>) -> Result<Self, StateError> {
        let held = super::state::lock(path, wait)?;
        let mut this = Self::from_state(KeyState::load(path)?, Some(path.into()))?;
        this.file_lock = Some(held);
        Ok(this)
    }

    pub fn from_state(state: KeyState, path: Option<PathBuf>) -> Result<Self, StateError> {
        let profile = profile::find(&state.profile).ok_or_else(|| {
            StateError::UnknownProfile(state.profile.clone(), profile::names().join(", "))
        })?;
        Ok(Self {
            state,
            profile,
            path,
            file_lock: None,
            key_agreement: p256::SecretKey::random(&mut rand::thread_rng()),
            token: None,
            pending_assertions: None,
            rp_enumeration: Vec::new(),
            credential_enumeration: Vec::new(),
            winks: 0,
        })
    }

    pub fn state(&self) -> &KeyState {
        &self.state
    }

    pub fn state_mut(&mut self) -> &mut KeyState {
        &mut self.state
    }

    pub fn profile(&self) -> &'static Profile {
        self.profile
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn save(&self) -> Result<(), StateError> {
        match &self.path {
            Some(p) => self.state.save(p, self.file_lock.is_some()),
            None => Ok(()),
        }
    }

    /// Saves after a change; a key that cannot store its state must not pretend it did.
    pub(crate) fn persist(&self) -> CtapResult<()> {
        self.save().map_err(|_| StatusCode::OTHER)
    }

    /// Simulates unplugging and replugging: volatile state is lost.
    pub fn power_cycle(&mut self) -> Result<(), StateError> {
        self.key_agreement = p256::SecretKey::random(&mut rand::thread_rng());
        self.state.consecutive_pin_failures = 0;
        self.token = None;
        self.pending_assertions = None;
        self.rp_enumeration.clear();
        self.credential_enumeration.clear();
        self.save()
    }

    pub fn handle_cbor(&mut self, request: &[u8]) -> CborOutcome {
        let Some((&command, params)) = request.split_first() else {
            return failure(StatusCode::INVALID_LENGTH);
        };
        let params = if params.is_empty() {
            None
        } else {
            match cbor::decode(params) {
                Ok(v) if v.is_map() => Some(v),
                Ok(_) => return failure(StatusCode::CBOR_UNEXPECTED_TYPE),
                Err(_) => return failure(StatusCode::INVALID_CBOR),
            }
        };
        // Any other command ends an enumeration or assertion sequence in progress.
        if command != code::GET_NEXT_ASSERTION {
            self.pending_assertions = None;
        }
        let result = match command {
            code::GET_INFO => Ok((self.get_info(), false)),
            code::CLIENT_PIN => self.client_pin(params.as_ref()).map(|v| (v, false)),
            code::MAKE_CREDENTIAL => self.make_credential(params.as_ref()).map(|v| (v, true)),
            code::GET_ASSERTION => self.get_assertion(params.as_ref()),
            code::GET_NEXT_ASSERTION => self.get_next_assertion().map(|v| (v, false)),
            code::SELECTION if self.profile.ctap21 => Ok((None, true)),
            code::CREDENTIAL_MANAGEMENT if self.profile.cred_mgmt == CredMgmt::Standard => self
                .credential_management(params.as_ref())
                .map(|v| (v, false)),
            code::CREDENTIAL_MANAGEMENT_PREVIEW if self.profile.cred_mgmt == CredMgmt::Preview => {
                self.credential_management(params.as_ref())
                    .map(|v| (v, false))
            }
            _ => Err(StatusCode::INVALID_COMMAND),
        };
        if command != code::CREDENTIAL_MANAGEMENT && command != code::CREDENTIAL_MANAGEMENT_PREVIEW
        {
            self.rp_enumeration.clear();
            self.credential_enumeration.clear();
        }
        match result {
            Ok((body, needs_touch)) => {
                let mut reply = vec![0u8];
                if let Some(b) = body {
                    reply.extend(cbor::encode(&b));
                }
                CborOutcome { reply, needs_touch }
            }
            Err(status) => failure(status),
        }
    }

    pub fn get_info(&self) -> Option<Value> {
        let p = self.profile;
        let mut options: Vec<(&str, bool)> = vec![
            ("rk", p.resident_keys),
            ("up", true),
            ("plat", false),
            ("clientPin", self.state.pin_hash.is_some()),
        ];
        match p.cred_mgmt {
            CredMgmt::Standard => options.push(("credMgmt", true)),
            CredMgmt::Preview => options.push(("credentialMgmtPreview", true)),
            CredMgmt::None => {}
        }
        if p.ctap21 {
            options.push(("pinUvAuthToken", true));
            options.push(("setMinPINLength", false));
            options.push(("makeCredUvNotRqd", p.make_cred_uv_not_rqd));
        }
        if p.per_cred_mgmt_ro {
            options.push(("perCredMgmtRO", true));
        }
        // Canonical CBOR orders text keys by length, then bytewise.
        options.sort_by(|a, b| (a.0.len(), a.0).cmp(&(b.0.len(), b.0)));
        let aaguid = crate::util::parse_uuid(p.aaguid).unwrap_or_default();
        let mut map = vec![
            (
                int(0x01),
                Value::Array(p.versions.iter().map(|v| text(v)).collect()),
            ),
            (int(0x02), Value::Array(vec![text("credProtect")])),
            (int(0x03), bytes(&aaguid)),
            (
                int(0x04),
                Value::Map(
                    options
                        .into_iter()
                        .map(|(k, v)| (text(k), Value::Bool(v)))
                        .collect(),
                ),
            ),
            (int(0x05), int(p.max_msg_size.into())),
            (
                int(0x06),
                Value::Array(p.pin_protocols.iter().map(|v| int((*v).into())).collect()),
            ),
            (int(0x07), int(p.max_credential_count_in_list.into())),
            (int(0x08), int(p.max_credential_id_length.into())),
            (int(0x09), Value::Array(vec![text("usb")])),
            (
                int(0x0A),
                Value::Array(
                    p.algorithms
                        .iter()
                        .map(|alg| {
                            Value::Map(vec![
                                (text("alg"), int(*alg)),
                                (text("type"), text("public-key")),
                            ])
                        })
                        .collect(),
                ),
            ),
        ];
        if p.quirks.get_info_ctap20_only {
            map.retain(|(k, _)| cbor::as_i64(k).is_some_and(|k| k <= 0x06 && k != 0x02));
        }
        if p.ctap21 {
            let [major, minor, patch] = p.firmware;
            let remaining =
                u64::from(p.max_resident).saturating_sub(self.state.credentials.len() as u64);
            map.push((int(0x0C), Value::Bool(self.state.force_pin_change)));
            map.push((int(0x0D), int(self.state.min_pin_length.into())));
            map.push((
                int(0x0E),
                int(i64::from(major) << 16 | i64::from(minor) << 8 | i64::from(patch)),
            ));
            map.push((int(0x14), Value::Integer(remaining.into())));
        }
        Some(Value::Map(map))
    }

    pub(crate) fn rp_id_hash(rp_id: &str) -> [u8; 32] {
        Sha256::digest(rp_id.as_bytes()).into()
    }

    pub(crate) fn resident(&self) -> &[StoredCredential] {
        &self.state.credentials
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.state.faults
    }
}

fn failure(status: StatusCode) -> CborOutcome {
    CborOutcome {
        reply: vec![status.0],
        needs_touch: false,
    }
}

/// Typed access to request parameters, mapping CBOR problems to CTAP status codes.
pub(crate) fn fields(params: Option<&Value>) -> CtapResult<Fields<'_>> {
    let p = params.ok_or(StatusCode::MISSING_PARAMETER)?;
    Fields::new(p, "request").map_err(|_| StatusCode::CBOR_UNEXPECTED_TYPE)
}

pub(crate) fn cbor_err(_: cbor::CborError) -> StatusCode {
    StatusCode::CBOR_UNEXPECTED_TYPE
}

/// A byte-string parameter the request must carry.
pub(crate) fn required_bytes<'a>(f: &Fields<'a>, key: i64) -> CtapResult<&'a [u8]> {
    f.bytes(key)
        .map_err(cbor_err)?
        .ok_or(StatusCode::MISSING_PARAMETER)
}

/// An unsigned-integer parameter the request must carry.
pub(crate) fn required_uint(f: &Fields<'_>, key: i64) -> CtapResult<u64> {
    f.uint(key)
        .map_err(cbor_err)?
        .ok_or(StatusCode::MISSING_PARAMETER)
}
