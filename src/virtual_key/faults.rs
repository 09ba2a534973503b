//! Fault knobs: ways a buggy or hostile key misbehaves, for tests of glasskey's defences.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay before each report reaches the host, in milliseconds.
    pub latency_ms: u64,
    /// Answer this many requests with CTAPHID ERROR CHANNEL_BUSY first.
    pub busy_replies: u32,
    /// Never answer anything after INIT.
    pub no_answer: bool,
    /// Send replies on a channel the host did not allocate.
    pub wrong_channel: bool,
    /// Number continuation packets wrongly.
    pub bad_sequence: bool,
    /// Cut the CBOR body of every reply in half.
    pub truncated: bool,
    /// Announce a reply longer than CTAPHID allows.
    pub oversized: bool,
    /// Replace every CBOR body with bytes that are not CBOR.
    pub malformed_cbor: bool,
    /// Replace every CBOR body with deeply nested arrays.
    pub deep_cbor: bool,
    /// Replace every CBOR body with a map that repeats a key.
    pub duplicate_keys: bool,
    /// Replace every CBOR body with a map whose fields have the wrong types.
    pub wrong_types: bool,
    /// Keep sending KEEPALIVE instead of replying to commands that need a touch.
    pub endless_keepalive: bool,
    /// Vanish (as if unplugged) after this many CBOR replies.
    pub vanish_after: Option<u32>,
    /// Claim this many RPs/credentials in credential management replies.
    pub claim_total: Option<u64>,
    /// Flip a bit of every attestation statement's signature, whatever the attestation mode.
    pub tamper_attestation_signature: bool,
}

impl Faults {
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}
