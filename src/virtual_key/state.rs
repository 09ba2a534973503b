//! The virtual key's persistent state: one JSON file per key, saved atomically after every
//! change so that separate runs of the binary see the same key (burned PIN retries included).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::faults::Faults;

pub const STATE_VERSION: u32 = 1;
pub const MAX_PIN_RETRIES: u8 = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredential {
    pub rp_id: String,
    pub rp_name: Option<String>,
    #[serde(with = "hex_bytes")]
    pub user_id: Vec<u8>,
    pub user_name: Option<String>,
    pub user_display_name: Option<String>,
    #[serde(with = "hex_bytes")]
    pub credential_id: Vec<u8>,
    /// The P-256 private scalar. This is a test device: its secrets are not protected at rest.
    #[serde(with = "hex_bytes")]
    pub private_key: Vec<u8>,
    pub cred_protect: u8,
    pub created: u64,
    /// The COSE algorithm the key reports for this passkey. The virtual key signs with P-256
    /// whatever this says; other algorithms exist so that enumeration meets them.
    #[serde(default = "es256", skip_serializing_if = "is_es256")]
    pub algorithm: i64,
}

fn es256() -> i64 {
    crate::ctap2::cose::ALG_ES256
}

fn is_es256(alg: &i64) -> bool {
    *alg == es256()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyState {
    pub format: String,
    pub version: u32,
    pub profile: String,
    pub serial: u32,
    #[serde(with = "hex_bytes")]
    pub master_secret: Vec<u8>,
    /// LEFT(SHA-256(PIN), 16), hex; None while no PIN is set.
    #[serde(default, with = "opt_hex_bytes")]
    pub pin_hash: Option<Vec<u8>>,
    #[serde(default)]
    pub pin_length: u8,
    pub pin_retries: u8,
    /// Wrong PINs in a row since the key was last plugged in. Volatile on a real key; kept
    /// here because a virtual key stays "plugged in" between runs until `virtual replug`.
    #[serde(default)]
    pub consecutive_pin_failures: u8,
    #[serde(default)]
    pub force_pin_change: bool,
    pub min_pin_length: u8,
    pub sign_count: u32,
    #[serde(default)]
    pub credentials: Vec<StoredCredential>,
    /// How the key attests new credentials.
    #[serde(default)]
    pub attestation: AttestationMode,
    /// The CTAP 2.2 persistent token (pcmr), once one was issued; it survives power cycles.
    #[serde(
        default,
        with = "opt_hex_bytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub persistent_token: Option<Vec<u8>>,
    /// Test-only fault injection; absent in normal keys.
    #[serde(default, skip_serializing_if = "Faults::is_none")]
    pub faults: Faults,
}

/// Attestation a virtual key gives (glasskey's TEST CA in data/test-ca, never a vendor's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationMode {
    /// Packed self attestation: signed with the credential's own key.
    #[default]
    #[serde(rename = "self")]
    #[value(name = "self")]
    SelfSigned,
    /// Format `none`.
    None,
    /// Packed, with a certificate of the test CA for this profile's AAGUID.
    TestCa,
    /// Packed, but the certificate vouches for another AAGUID.
    TestCaWrongAaguid,
    /// Packed, with a certificate from a root nobody trusts.
    TestCaUntrusted,
    /// Packed, with the right certificate and a corrupted signature.
    TestCaBadSignature,
    /// Packed ES384 (P-384), certificate from data/test-ca/algorithms (no AAGUID extension).
    TestCaEs384,
    /// Packed EdDSA (Ed25519), certificate from data/test-ca/algorithms.
    TestCaEddsa,
    /// Packed RS256 (RSA-2048), certificate from data/test-ca/algorithms.
    TestCaRs256,
    /// Packed ES512 (P-521), certificate signed ecdsa-with-SHA512 by data/test-ca/algorithms/p521-root.pem.
    TestCaEs512,
    /// Packed PS256 (RSA-2048), certificate signed RSASSA-PSS by data/test-ca/algorithms/pss-root.pem.
    TestCaPs256,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read virtual key {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("virtual key file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot save virtual key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another glasskey process is using virtual key {path} (it holds {lock}); waited {waited} s. Stop it (e.g. a running `glasskey virtual serve`) or let it finish, then rerun")]
    InUse {
        path: PathBuf,
        lock: PathBuf,
        waited: u64,
    },
    #[error("cancelled while waiting for another glasskey process to finish with virtual key {0}; nothing was done")]
    Cancelled(PathBuf),
    #[error("virtual key file {0} already exists; choose another path")]
    Exists(PathBuf),
    #[error("unknown profile {0:?}; choose one of: {1}")]
    UnknownProfile(String, String),
}

/// A virtual key holds at most a few hundred credentials: a few hundred KiB of JSON.
const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;

impl KeyState {
    pub fn load(path: &Path) -> Result<Self, StateError> {
        let bytes = crate::util::regular_file::read_regular_at_most(
            path,
            MAX_STATE_BYTES,
            "a glasskey virtual key",
        )
        .map_err(|source| StateError::Read {
            path: path.into(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| StateError::Parse {
            path: path.into(),
            message: "not UTF-8 text".into(),
        })?;
        let state: KeyState = serde_json::from_str(&text).map_err(|e| StateError::Parse {
            path: path.into(),
            message: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        if state.format != "glasskey-virtual-key" || state.version != STATE_VERSION {
            return Err(StateError::Parse {
                path: path.into(),
                message: format!(
                    "format {:?} version {} is not a glasskey virtual key v{STATE_VERSION}",
                    state.format, state.version
                ),
            });
        }
        if super::profile::find(&state.profile).is_none() {
            return Err(StateError::UnknownProfile(
                state.profile.clone(),
                super::profile::names().join(", "),
            ));
        }
        Ok(state)
    }

    /// Written as the inventory is (`files::atomic::replace_file`): a fresh temporary file,
    /// the file's mode kept, a symlink written at its target; a crash leaves the old or the new
    /// file. `holding_lock`: the caller holds the key's lock (`lock`).
    pub fn save(&self, path: &Path, holding_lock: bool) -> Result<(), StateError> {
        let err = |source| StateError::Write {
            path: path.into(),
            source,
        };
        let mut json =
            serde_json::to_vec_pretty(self).map_err(|e| err(std::io::Error::other(e)))?;
        json.push(b'\n');
        crate::files::atomic::replace_file(path, &json, holding_lock).map_err(err)
    }
}

pub use super::file_lock::{lock, KeyFileLock, LockWait, LOCK_WAIT};

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

mod opt_hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| hex::decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
