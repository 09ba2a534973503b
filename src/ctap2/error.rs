use super::cbor::CborError;
use super::status::StatusCode;
use crate::ctaphid::CtapHidError;

#[derive(Debug, thiserror::Error)]
pub enum Ctap2Error {
    #[error(transparent)]
    Hid(#[from] CtapHidError),
    #[error("the key answered: {0}")]
    Status(StatusCode),
    #[error("the key sent a malformed reply: {0}")]
    Cbor(#[from] CborError),
    #[error("the key sent an invalid reply: {0}")]
    Protocol(String),
    #[error("the key does not support {0}")]
    Unsupported(&'static str),
    #[error("no PIN is set on this key")]
    PinNotSet,
    #[error("only {retries} PIN attempts are left; refusing to risk locking the key (use --force only if you are certain of the PIN)")]
    RetriesTooLow { retries: u8 },
    #[error("wrong PIN: {retries} attempts left{}", if *power_cycle_required { "; unplug and replug the key before trying again" } else { "" })]
    PinInvalid {
        retries: u8,
        power_cycle_required: bool,
    },
    #[error("three wrong PINs in a row: unplug and replug the key before trying again")]
    PinAuthBlocked,
    #[error("the PIN is blocked: the key can only be reset, which erases every credential on it")]
    PinBlocked,
    #[error("the PIN does not meet the key's policy (minimum length {min_length})")]
    PinPolicy { min_length: u8 },
    #[error(
        "the key demands a new PIN before it can be used (forcePINChange): change the PIN first"
    )]
    PinChangeRequired,
    #[error("the new PIN must be 4 to 63 characters and 63 bytes at most")]
    PinLength,
    #[error("the key did not accept the request: {0}")]
    Crypto(String),
    #[error("this key has not proved the inventoried identity it claims in this session; no PIN was sent")]
    IdentityNotProven,
    #[error("the key did not answer the PIN request ({0}); glasskey never resends a PIN: check the retries left with `glasskey pin status`, close other programs using the key, and rerun")]
    PinRequestUnanswered(String),
    #[error("cancelled while the key was checking the PIN; the key was told to stop, and the PIN was sent once and will not be resent, but the key may have counted the attempt (or, for a PIN set or change, made the change): check the retries left and whether a PIN is set with `glasskey pin status` before trying again")]
    PinRequestCancelled,
    #[error(transparent)]
    KeyLock(#[from] crate::ctap2::key_lock::KeyLockError),
}

impl Ctap2Error {
    /// Names the field a malformed value was found in ("the passkey's publicKey (0x08): x (-2)
    /// is 3 bytes; …"), so the one-line message says where the key went wrong.
    pub fn in_field(self, field: &str) -> Self {
        match self {
            Ctap2Error::Protocol(why) => Ctap2Error::Protocol(format!("{field}: {why}")),
            Ctap2Error::Cbor(why) => Ctap2Error::Protocol(format!("{field}: {why}")),
            other => other,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Ctap2Error::Status(s) => Some(*s),
            _ => None,
        }
    }
}
