//! Key identity (DESIGN §4): glasskey binds each inventoried key to a non-discoverable ES256
//! credential it creates itself for `glasskey.invalid`. Proof = a silent (`up=false`) assertion
//! over a fresh random challenge, verified against the recorded public key. Serial strings can
//! be copied; this cannot.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use crate::ctap2::cose::CoseKey;
use crate::ctap2::credential_management::UserEntity;
use crate::ctap2::get_assertion::GetAssertion;
use crate::ctap2::make_credential::MakeCredential;
use crate::ctap2::session::{PinToken, ProvenIdentity};
use crate::ctap2::{Ctap2Error, Session, StatusCode};
use crate::inventory::model::{Identity, KeyEntry, IDENTITY_RP_ID};
use crate::transport::Transport;
use crate::util::key_fingerprint;

/// Creates the identity credential (one touch). `token` is needed only on keys that demand
/// user verification for every credential.
pub fn create<T: Transport>(
    session: &mut Session<T>,
    token: Option<&PinToken>,
) -> Result<Identity, Ctap2Error> {
    let mut user_id = vec![0u8; 16];
    rand::thread_rng().fill_bytes(&mut user_id);
    let user = UserEntity {
        id: user_id,
        name: Some("glasskey identity".into()),
        display_name: Some("glasskey identity".into()),
    };
    let mut challenge = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut challenge);
    let attestation =
        session.make_credential(MakeCredential::new(challenge, IDENTITY_RP_ID, user), token)?;
    let credential = attestation
        .auth_data
        .attested
        .ok_or_else(|| Ctap2Error::Protocol("makeCredential returned no credential".into()))?;
    let key_bytes = credential.public_key.to_bytes();
    Ok(Identity {
        rp_id: IDENTITY_RP_ID.into(),
        credential_id: URL_SAFE_NO_PAD.encode(&credential.credential_id),
        fingerprint: key_fingerprint(&key_bytes),
        public_key: URL_SAFE_NO_PAD.encode(&key_bytes),
        sign_count: attestation.auth_data.sign_count,
    })
}

fn identity_rp_hash() -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(IDENTITY_RP_ID.as_bytes()).into()
}

/// What the silent assertion showed about the key in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityCheck {
    /// The key proved an inventoried identity: PIN operations may be unlocked with it.
    Proven(ProvenIdentity),
    /// The key answered for `label` but did not prove it.
    Failed {
        label: String,
        failure: ProofFailure,
    },
    /// The key holds none of the inventoried identities (or would not say which): `note` says
    /// why, when its answer was wrong rather than absent.
    Unknown { note: Option<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofFailure {
    /// The signature did not verify against the recorded public key (GK002).
    SignatureInvalid,
    /// The counter did not move past the recorded one: possibly a clone (GK003).
    CounterBehind { sign_count: u32, recorded: u32 },
}

impl IdentityCheck {
    pub fn label(&self) -> Option<&str> {
        match self {
            IdentityCheck::Proven(p) => Some(&p.label),
            IdentityCheck::Failed { label, .. } => Some(label),
            IdentityCheck::Unknown { .. } => None,
        }
    }
}

fn decode(entry: &KeyEntry) -> Option<(Vec<u8>, CoseKey)> {
    let id = URL_SAFE_NO_PAD.decode(&entry.identity.credential_id).ok()?;
    let key =
        CoseKey::from_bytes(&URL_SAFE_NO_PAD.decode(&entry.identity.public_key).ok()?).ok()?;
    Some((id, key))
}

/// Finds which inventoried key (if any) is plugged in. Needs no touch and no PIN. Only a key
/// whose signature verifies against the recorded public key, for a credential ID that was asked
/// for, with a counter past the recorded one, comes back `Proven`.
pub fn identify<T: Transport>(
    session: &mut Session<T>,
    keys: &[KeyEntry],
) -> Result<IdentityCheck, Ctap2Error> {
    let info = session.info()?;
    // The allow list follows the key's stated limits (CTAP 2.1 §6.4): at most
    // maxCredentialCountInList IDs per request (one where unstated), and no ID longer than
    // maxCredentialIdLength, which cannot be one this key made.
    let batch = info
        .max_credential_count_in_list
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let max_id_len = info
        .max_credential_id_length
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(usize::MAX);
    let candidates: Vec<(&KeyEntry, Vec<u8>, CoseKey)> = keys
        .iter()
        .filter(|k| k.identity.rp_id == IDENTITY_RP_ID)
        .filter_map(|k| decode(k).map(|(id, key)| (k, id, key)))
        .filter(|(_, id, _)| id.len() <= max_id_len)
        .collect();
    for chunk in candidates.chunks(batch) {
        let mut challenge = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut challenge);
        let mut request = GetAssertion::new(IDENTITY_RP_ID, challenge);
        request.allow_list = chunk.iter().map(|(_, id, _)| id.clone()).collect();
        request.user_presence = false;
        let assertion = match session.get_assertion(request, None) {
            Ok(a) => a,
            Err(Ctap2Error::Status(StatusCode::NO_CREDENTIALS)) => continue,
            // A reply that does not say which credential answered (CTAP lets a key omit it
            // only for a one-entry allow list) or is otherwise malformed proves nothing.
            Err(e @ (Ctap2Error::Cbor(_) | Ctap2Error::Protocol(_))) => {
                return Ok(IdentityCheck::Unknown {
                    note: Some(format!(
                        "its answer to the identity request is invalid ({e})"
                    )),
                })
            }
            Err(e) => return Err(e),
        };
        let Some((entry, _, key)) = chunk
            .iter()
            .find(|(_, id, _)| *id == assertion.credential_id)
        else {
            return Ok(IdentityCheck::Unknown {
                note: Some(
                    "it answered the identity request with a credential that was not asked for"
                        .into(),
                ),
            });
        };
        let sign_count = assertion.auth_data.sign_count;
        let recorded = entry.identity.sign_count;
        // The signature covers authData, whose first 32 bytes must name glasskey.invalid.
        let signature_valid = assertion.verify(key, &challenge)
            && assertion.auth_data.rp_id_hash == identity_rp_hash();
        // A key without a counter reports zero every time; that proves nothing either way.
        let counter_behind = (sign_count != 0 || recorded != 0) && sign_count <= recorded;
        let label = entry.label.clone();
        return Ok(if !signature_valid {
            IdentityCheck::Failed {
                label,
                failure: ProofFailure::SignatureInvalid,
            }
        } else if counter_behind {
            IdentityCheck::Failed {
                label,
                failure: ProofFailure::CounterBehind {
                    sign_count,
                    recorded,
                },
            }
        } else {
            IdentityCheck::Proven(ProvenIdentity::new(session.id(), label, sign_count))
        });
    }
    Ok(IdentityCheck::Unknown { note: None })
}
