//! Key identity (DESIGN §4): glasskey binds each inventoried key to a non-discoverable ES256
//! credential it creates itself for `glasskey.invalid`. Proof = a silent (`up=false`) assertion
//! over a fresh random challenge, verified against the recorded public key. Serial strings can
//! be copied; this cannot.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use crate::ctap2::cose::{algorithm_label, CoseKey, ALG_ES256};
use crate::ctap2::credential_management::UserEntity;
use crate::ctap2::get_assertion::GetAssertion;
use crate::ctap2::make_credential::MakeCredential;
use crate::ctap2::session::{PinToken, ProvenIdentity};
use crate::ctap2::{Ctap2Error, Session, StatusCode};
use crate::inventory::model::{Identity, Inventory, KeyEntry, IDENTITY_RP_ID};
use crate::inventory::roster;
use crate::transport::Transport;
use crate::util::key_fingerprint;

/// Creates the identity credential (one touch) and proves it once before it is returned: it
/// must be the ES256 (P-256) key glasskey asked for, and the key must sign a fresh challenge
/// with it (the proof every later check makes), so no record is ever made of an identity the key
/// cannot prove. `token` is needed only on keys that demand user verification for every
/// credential.
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
    // A credential key the strict COSE parser refuses (off its curve, weak, no alg) fails the
    // reply itself; say what was asked for, as for a well-formed key of the wrong kind.
    let attestation = session
        .make_credential(MakeCredential::new(challenge, IDENTITY_RP_ID, user), token)
        .map_err(|e| match e {
            Ctap2Error::Protocol(why) => Ctap2Error::Protocol(format!(
                "asked for an ES256 (P-256) identity credential, the key's reply is malformed ({why}): treat this key as faulty or hostile"
            )),
            other => other,
        })?;
    let credential = attestation
        .auth_data
        .attested
        .ok_or_else(|| Ctap2Error::Protocol("makeCredential returned no credential".into()))?;
    // MakeCredential asks for ES256 alone; a key answering with anything else (another
    // algorithm, a key-agreement key) is not doing what it was asked. P-256 points are checked
    // on the curve when parsed.
    if !matches!(credential.public_key, CoseKey::P256 { alg: ALG_ES256, .. }) {
        return Err(Ctap2Error::Protocol(format!(
            "asked for an ES256 (P-256) identity credential, the key returned {}: treat this key as faulty or hostile",
            credential
                .public_key
                .algorithm()
                .map_or_else(|| "a key without an algorithm".to_owned(), algorithm_label)
        )));
    }
    if attestation.auth_data.rp_id_hash != identity_rp_hash() {
        return Err(Ctap2Error::Protocol(format!(
            "the identity credential's authenticator data does not name {IDENTITY_RP_ID}: treat this key as faulty or hostile"
        )));
    }
    let claim = Claim {
        label: "the new identity",
        id: credential.credential_id.clone(),
        key: credential.public_key.clone(),
        recorded: attestation.auth_data.sign_count,
    };
    let sign_count = match prove(session, std::slice::from_ref(&claim))? {
        Answer::Proved { sign_count, .. } => sign_count,
        other => {
            return Err(Ctap2Error::Protocol(format!(
                "the identity credential it just made did not prove itself ({}): treat this key as faulty or hostile",
                other.failure_words()
            )))
        }
    };
    let key_bytes = credential.public_key.to_bytes();
    Ok(Identity {
        rp_id: IDENTITY_RP_ID.into(),
        credential_id: URL_SAFE_NO_PAD.encode(&credential.credential_id),
        fingerprint: key_fingerprint(&key_bytes),
        public_key: URL_SAFE_NO_PAD.encode(&key_bytes),
        // The proof's counter: the next proof must pass it.
        sign_count,
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
    /// The key signed with the recorded identity, but that record changed since the history
    /// last vouched for it, with no `inventory acknowledge` entry (GK064): the history keeps
    /// only a digest of the previous identity, so this key cannot be proved against it.
    RecordUnacknowledged,
}

impl std::fmt::Display for ProofFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProofFailure::SignatureInvalid => {
                f.write_str("the identity signature did NOT verify: possible look-alike")
            }
            ProofFailure::CounterBehind {
                sign_count,
                recorded,
            } => write!(
                f,
                "its signature counter ({sign_count}) did not advance past the recorded {recorded}: possible clone"
            ),
            ProofFailure::RecordUnacknowledged => f.write_str(
                "the inventory's identity for this key was changed without acknowledgement (GK064): it signs with the edited record, not with the identity the check history vouches for",
            ),
        }
    }
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

/// A credential a key is asked to prove: its ID, its public key and the counter it must pass.
struct Claim<'a> {
    label: &'a str,
    id: Vec<u8>,
    key: CoseKey,
    recorded: u32,
}

/// What a key answered to one identity request.
enum Answer {
    /// It holds none of the credentials asked for.
    Absent,
    /// Its answer was malformed, or did not say which credential answered.
    Invalid(String),
    /// It answered with a credential that was not asked for.
    NotAskedFor,
    /// It answered for `claims[index]`, and the proof failed as said.
    Failed { index: usize, failure: ProofFailure },
    /// It answered for `claims[index]`: signature verified, counter past the recorded one.
    Proved { index: usize, sign_count: u32 },
}

impl Answer {
    fn failure_words(&self) -> String {
        match self {
            Answer::Absent => "the key says it holds no such credential".into(),
            Answer::Invalid(why) => why.clone(),
            Answer::NotAskedFor => "it answered with a credential that was not asked for".into(),
            Answer::Failed { failure, .. } => failure.to_string(),
            Answer::Proved { .. } => "proved".into(),
        }
    }
}

/// The identity proof, the one every command makes: a silent (`up=false`) getAssertion for
/// `claims` over a fresh random challenge. Only a signature that verifies against the claimed
/// public key, over authData naming glasskey.invalid, for a credential ID that was asked for,
/// with a counter past the recorded one, is `Proved`.
fn prove<T: Transport>(
    session: &mut Session<T>,
    claims: &[Claim<'_>],
) -> Result<Answer, Ctap2Error> {
    let mut challenge = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut challenge);
    let mut request = GetAssertion::new(IDENTITY_RP_ID, challenge);
    request.allow_list = claims.iter().map(|c| c.id.clone()).collect();
    request.user_presence = false;
    let assertion = match session.get_assertion(request, None) {
        Ok(a) => a,
        Err(Ctap2Error::Status(StatusCode::NO_CREDENTIALS)) => return Ok(Answer::Absent),
        // A reply that does not say which credential answered (CTAP lets a key omit it only
        // for a one-entry allow list) or is otherwise malformed proves nothing.
        Err(e @ (Ctap2Error::Cbor(_) | Ctap2Error::Protocol(_))) => {
            return Ok(Answer::Invalid(format!(
                "its answer to the identity request is invalid ({e})"
            )))
        }
        Err(e) => return Err(e),
    };
    let Some(index) = claims.iter().position(|c| c.id == assertion.credential_id) else {
        return Ok(Answer::NotAskedFor);
    };
    let claim = &claims[index];
    let sign_count = assertion.auth_data.sign_count;
    // The signature covers authData, whose first 32 bytes must name glasskey.invalid.
    let signature_valid = assertion.verify(&claim.key, &challenge)
        && assertion.auth_data.rp_id_hash == identity_rp_hash();
    // A key without a counter reports zero every time; that proves nothing either way.
    let counter_behind = (sign_count != 0 || claim.recorded != 0) && sign_count <= claim.recorded;
    Ok(if !signature_valid {
        Answer::Failed {
            index,
            failure: ProofFailure::SignatureInvalid,
        }
    } else if counter_behind {
        Answer::Failed {
            index,
            failure: ProofFailure::CounterBehind {
                sign_count,
                recorded: claim.recorded,
            },
        }
    } else {
        Answer::Proved { index, sign_count }
    })
}

/// Finds which inventoried key (if any) is plugged in. Needs no touch and no PIN. Only a key
/// whose signature verifies against the recorded public key, for a credential ID that was asked
/// for, with a counter past the recorded one, comes back `Proven`; and only for an identity
/// record the inventory's history vouches for: a record changed by hand without an `inventory
/// acknowledge` entry ([`roster::unacknowledged_identities`]) is `Failed` even when the key
/// signs with it, since whoever edited the file chose that key (hostile-8 F6).
pub fn identify<T: Transport>(
    session: &mut Session<T>,
    inv: &Inventory,
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
    let candidates: Vec<Claim<'_>> = inv
        .keys
        .iter()
        .filter(|k| k.identity.rp_id == IDENTITY_RP_ID)
        .filter_map(|k| {
            decode(k).map(|(id, key)| Claim {
                label: &k.label,
                id,
                key,
                recorded: k.identity.sign_count,
            })
        })
        .filter(|c| c.id.len() <= max_id_len)
        .collect();
    let unacknowledged = roster::unacknowledged_identities(inv);
    for chunk in candidates.chunks(batch) {
        let answer = prove(session, chunk)?;
        let (index, outcome) =
            match answer {
                Answer::Absent => continue,
                Answer::Invalid(note) => return Ok(IdentityCheck::Unknown { note: Some(note) }),
                Answer::NotAskedFor => return Ok(IdentityCheck::Unknown {
                    note: Some(
                        "it answered the identity request with a credential that was not asked for"
                            .into(),
                    ),
                }),
                Answer::Failed { index, failure } => (index, Err(failure)),
                Answer::Proved { index, sign_count } => (index, Ok(sign_count)),
            };
        let label = chunk[index].label.to_owned();
        return Ok(match outcome {
            Err(failure) => IdentityCheck::Failed { label, failure },
            Ok(_) if unacknowledged.contains(&label) => IdentityCheck::Failed {
                label,
                failure: ProofFailure::RecordUnacknowledged,
            },
            Ok(sign_count) => {
                IdentityCheck::Proven(ProvenIdentity::new(session.id(), label, sign_count))
            }
        });
    }
    Ok(IdentityCheck::Unknown { note: None })
}
