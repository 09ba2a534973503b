//! A CTAP2 session on one key: the command core here, the PIN rules in `pin.rs`, credential
//! management in `credentials.rs`. The safety rules (DESIGN §3.1) live in the session, not in
//! its callers, so that no caller can skip them.

mod credentials;
mod gate;
mod listing;
mod pin;

pub use gate::{PinUnlock, ProvenIdentity};

use std::time::{Duration, Instant};

use serde::Serialize;
use zeroize::Zeroizing;

use super::cbor::encode;
use super::cose::CoseKey;
use super::credential_management::{RelyingParty, UserEntity};
use super::get_assertion::{Assertion, GetAssertion};
use super::get_info::{AuthenticatorInfo, GetInfo};
use super::make_credential::{Attestation, MakeCredential};
use super::pin_protocol::PinUvAuthProtocol;
use super::selection::Selection;
use super::{split_reply, Command, Ctap2Error};
use crate::ctaphid::packet::cmd;
use crate::ctaphid::CtapHid;
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
    /// Read resident credentials with the `cm` permission.
    ReadCredentials,
    /// Read resident credentials with CTAP 2.2's persistent read-only token (`pcmr`) where the
    /// key offers it, else `cm`. Only when the user asks: a key keeps one persistent token,
    /// and a new one replaces whatever another client saved.
    ReadCredentialsPersistent,
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

impl CredsMetadata {
    /// For a listing of every site: a warning when fewer passkeys were listed than the key
    /// counts (hidden passkeys, or broken credential management).
    pub fn fewer_listed(&self, listed: usize) -> Option<String> {
        if listed == 0 {
            return self.unlisted(listed);
        }
        (self.existing > listed as u64).then(|| {
            format!(
                "the key counts {} passkeys but listed {listed} (hidden passkeys or broken credential management)",
                self.existing
            )
        })
    }

    /// Why a listing of `listed` entries (RPs or passkeys) cannot be the key's whole store: it
    /// counts discoverable credentials but listed none. Such a key hides its passkeys or its
    /// credential management is broken; either way nothing confirms what it holds.
    pub fn unlisted(&self, listed: usize) -> Option<String> {
        (self.existing > 0 && listed == 0).then(|| {
            format!(
                "the key counts {} passkeys but listed none (hidden passkeys or broken credential management)",
                self.existing
            )
        })
    }
}

pub struct Session<T: Transport> {
    hid: CtapHid<T>,
    info: Option<AuthenticatorInfo>,
    timeout: Duration,
    /// Distinguishes sessions, so that a proof made on one cannot unlock another.
    id: u64,
    pin_unlock: PinUnlock,
    /// Held around every PIN-bearing exchange when set (key_lock.rs); device::Key::open sets it.
    key_lock: Option<crate::ctap2::key_lock::KeyLock>,
    /// The passkey listing in progress: started by each metadata read (credentials.rs).
    listing: Option<listing::ListingBudget>,
}

impl<T: Transport> Session<T> {
    pub fn new(hid: CtapHid<T>) -> Self {
        Self {
            hid,
            info: None,
            timeout: DEFAULT_TIMEOUT,
            id: gate::next_session_id(),
            pin_unlock: PinUnlock::Locked,
            key_lock: None,
            listing: None,
        }
    }

    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Orders this session's PIN-bearing exchanges with other processes' on the same key.
    pub fn set_key_lock(&mut self, lock: crate::ctap2::key_lock::KeyLock) {
        self.key_lock = Some(lock);
    }

    // Raw access to the channel and to arbitrary commands would let a caller skip the PIN
    // rules or send reset and deletion (DESIGN §3.10): crate-private, public only behind the
    // `raw-access-unsafe-for-keys` feature, which the binary never enables.

    #[cfg(feature = "raw-access-unsafe-for-keys")]
    pub fn hid(&mut self) -> &mut CtapHid<T> {
        &mut self.hid
    }
    #[cfg(not(feature = "raw-access-unsafe-for-keys"))]
    pub(crate) fn hid(&mut self) -> &mut CtapHid<T> {
        &mut self.hid
    }

    #[cfg(feature = "raw-access-unsafe-for-keys")]
    pub fn into_hid(self) -> CtapHid<T> {
        self.hid
    }

    #[cfg(feature = "raw-access-unsafe-for-keys")]
    pub fn call<C: Command>(&mut self, command: &C) -> Result<C::Response, Ctap2Error> {
        self.send(command)
    }
    #[cfg(not(feature = "raw-access-unsafe-for-keys"))]
    pub(crate) fn call<C: Command>(&mut self, command: &C) -> Result<C::Response, Ctap2Error> {
        self.send(command)
    }

    /// What the key said in its CTAPHID INIT reply (capabilities, device version).
    pub fn init_info(&self) -> &crate::ctaphid::InitInfo {
        self.hid.info()
    }

    /// The transport this session was built on (a caller-owned seam; it carries reports, not
    /// commands).
    pub fn transport(&self) -> &T {
        self.hid.transport()
    }

    pub fn transport_mut(&mut self) -> &mut T {
        self.hid.transport_mut()
    }

    /// The largest request this key accepts, from its getInfo.
    pub fn max_message_size(&self) -> usize {
        self.hid.max_message_size()
    }

    /// The flag that cancels the current wait (Ctrl-C) and stops any request not yet sent.
    pub fn cancel_flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.hid.cancel_flag()
    }

    /// Called once per change of keepalive status, e.g. to print "Touch your key".
    pub fn set_keepalive_hook(
        &mut self,
        hook: Option<Box<dyn FnMut(crate::ctaphid::KeepaliveStatus) + Send>>,
    ) {
        self.hid.set_keepalive_hook(hook);
    }

    /// CTAPHID PING: echoes `data`.
    pub fn ping(&mut self, data: &[u8]) -> Result<(), Ctap2Error> {
        let deadline = self.deadline();
        Ok(self.hid.ping(data, deadline)?)
    }

    /// CTAPHID WINK: the key blinks.
    pub fn wink(&mut self) -> Result<(), Ctap2Error> {
        let deadline = self.deadline();
        Ok(self.hid.wink(deadline)?)
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    /// Sends one command and decodes its reply.
    fn send<C: Command>(&mut self, command: &C) -> Result<C::Response, Ctap2Error> {
        self.send_until(command, self.deadline())
    }

    /// Sends one command, waiting for its reply until `deadline` at the latest.
    fn send_until<C: Command>(
        &mut self,
        command: &C,
        deadline: Instant,
    ) -> Result<C::Response, Ctap2Error> {
        let mut payload = vec![command.code()];
        if let Some(params) = command.params() {
            payload.extend(encode(&params));
        }
        self.hid.set_presence_expected(command.needs_presence());
        // PIN material goes out at most once: no retry on BUSY (DESIGN §3.7).
        let reply = if command.is_sensitive() {
            self.hid
                .transact_once_redacted(cmd::CBOR, &payload, deadline)?
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
