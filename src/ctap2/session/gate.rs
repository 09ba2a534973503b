//! Identity before PIN (DESIGN §3.6): a session starts with its PIN operations locked. They are
//! unlocked either by a `ProvenIdentity` — which only a verified identity proof on this very
//! session produces — or, for commands that have no inventory, by an explicit call that names
//! what it gives up. No PIN material is computed or sent while the session is locked.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Session;
use crate::ctap2::Ctap2Error;
use crate::transport::Transport;

static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);

pub(super) fn next_session_id() -> u64 {
    NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed)
}

/// Why PIN operations are (or are not) allowed on a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinUnlock {
    Locked,
    /// The caller has no inventory: the key's identity is not checked.
    WithoutIdentityCheck,
    /// The key proved the inventoried identity in this session.
    IdentityProven,
}

/// The result of a successful identity proof on one session: the signature verified against
/// the recorded key, the credential answered was one asked for, and the counter advanced.
/// Only `identity::identify` creates one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenIdentity {
    session_id: u64,
    pub label: String,
    pub sign_count: u32,
}

impl ProvenIdentity {
    pub(crate) fn new(session_id: u64, label: String, sign_count: u32) -> Self {
        Self {
            session_id,
            label,
            sign_count,
        }
    }
}

impl<T: Transport> Session<T> {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Allows PIN operations because this key proved `identity` in this session.
    pub fn unlock_pin(&mut self, identity: &ProvenIdentity) -> Result<(), Ctap2Error> {
        if identity.session_id != self.id {
            return Err(Ctap2Error::IdentityNotProven);
        }
        self.pin_unlock = PinUnlock::IdentityProven;
        Ok(())
    }

    /// Allows PIN operations without any identity proof. Only for callers that have no
    /// inventory, which should tell the user that the key's identity is not being checked.
    pub fn allow_pin_without_identity_check(&mut self) {
        if self.pin_unlock == PinUnlock::Locked {
            self.pin_unlock = PinUnlock::WithoutIdentityCheck;
        }
    }

    pub fn pin_unlock(&self) -> PinUnlock {
        self.pin_unlock
    }

    pub(super) fn require_pin_unlocked(&self) -> Result<(), Ctap2Error> {
        match self.pin_unlock {
            PinUnlock::Locked => Err(Ctap2Error::IdentityNotProven),
            _ => Ok(()),
        }
    }
}
