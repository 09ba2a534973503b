//! Verifying an attestation statement (WebAuthn §8.2 packed, §8.6 fido-u2f): the signature over
//! authData ‖ clientDataHash, the certificate path to a trusted anchor (path.rs, by
//! rustls-webpki), the WebAuthn leaf requirements (leaf.rs), and the AAGUID the certificate
//! vouches for. Self attestation and `none` prove nothing about the maker.

use serde::Serialize;

use super::algorithms;
use super::leaf::{packed_leaf_problems, LeafProblem};
use super::path::{self, Broken, ChainError};
use super::roots::Root;
use super::x509::Cert;
use crate::ctap2::cbor::{as_i64, Fields, Value};
use crate::ctap2::cose::CoseKey;
use crate::ctap2::make_credential::Attestation;

/// What kind of evidence an attestation statement carries (WebAuthn §6.5.3 attestation types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationKind {
    /// A certificate chain (x5c) that may lead to the maker's root: the only kind that can
    /// show a key is genuine.
    Basic,
    /// Signed with the credential's own key: proves nothing about the maker.
    #[serde(rename = "self")]
    SelfAttestation,
    /// Format `none`: no statement at all.
    None,
    /// A format or statement glasskey cannot read.
    Unsupported,
}

impl std::fmt::Display for AttestationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Basic => "basic",
            Self::SelfAttestation => "self",
            Self::None => "none",
            Self::Unsupported => "unsupported",
        })
    }
}

/// What an attestation showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestationCheck {
    pub format: String,
    pub kind: AttestationKind,
    /// The statement's signature algorithm (COSE name), when it names one.
    pub algorithm: Option<String>,
    pub signature_valid: bool,
    /// The trust anchor the chain reached.
    pub anchor: Option<String>,
    pub chain_error: Option<String>,
    /// True when the chain reached an anchor but broke an X.509 rule on the way (CA flag,
    /// keyUsage, path length, validity, ...); false when it reached no anchor at all.
    pub chain_invalid: bool,
    /// The AAGUID in the attestation certificate (id-fido-gen-ce-aaguid), if any.
    pub certificate_aaguid: Option<String>,
    /// Whether that AAGUID equals the one in authData; None when the certificate has none.
    pub aaguid_matches: Option<bool>,
    pub leaf_subject: Option<String>,
    /// WebAuthn §8.2.1 requirements the packed leaf certificate does not meet.
    pub certificate_problems: Vec<String>,
}

impl AttestationCheck {
    pub fn new(format: &str, kind: AttestationKind) -> Self {
        Self {
            format: format.into(),
            kind,
            algorithm: None,
            signature_valid: false,
            anchor: None,
            chain_error: None,
            chain_invalid: false,
            certificate_aaguid: None,
            aaguid_matches: None,
            leaf_subject: None,
            certificate_problems: Vec::new(),
        }
    }

    /// Genuineness established: a valid signature by a certificate that meets WebAuthn's
    /// requirements, chains to a trusted anchor and (where it says) vouches for this AAGUID.
    pub fn genuine(&self) -> bool {
        self.kind == AttestationKind::Basic
            && self.signature_valid
            && self.anchor.is_some()
            && self.chain_error.is_none()
            && self.certificate_problems.is_empty()
            && self.aaguid_matches != Some(false)
    }

    fn chain_failed(&mut self, error: &ChainError) {
        self.chain_invalid = matches!(error, ChainError::Invalid { .. });
        self.chain_error = Some(error.to_string());
    }
}

fn x5c(statement: &Fields<'_>) -> Option<Vec<Vec<u8>>> {
    match statement.get_text_key("x5c")? {
        Value::Array(items) => items.iter().map(|i| i.as_bytes().cloned()).collect(),
        _ => None,
    }
}

/// A chain error that only restates a leaf problem already reported (webpki refuses such a
/// leaf before it looks for a path), so each defect is reported once.
fn restates(error: &ChainError, problems: &[LeafProblem]) -> bool {
    let ChainError::Invalid { kind, .. } = error else {
        return false;
    };
    let same = match kind {
        Broken::LeafIsCa => LeafProblem::IsCa,
        Broken::CriticalExtension => LeafProblem::CriticalAaguidExtension,
        Broken::Version => LeafProblem::NotVersion3,
        _ => return false,
    };
    problems.contains(&same)
}

/// Parses x5c, validates the path at `now` and reads the AAGUID; returns the leaf.
fn check_certificates(
    check: &mut AttestationCheck,
    certs: &[Vec<u8>],
    attestation: &Attestation,
    anchors: &[Root],
    now_unix: u64,
    leaf_rules: bool,
) -> Option<Cert> {
    let parsed: Result<Vec<Cert>, _> = certs.iter().map(|c| Cert::from_der(c)).collect();
    let parsed = match parsed {
        Ok(p) if !p.is_empty() => p,
        Ok(_) => {
            check.chain_error = Some("x5c is empty".into());
            return None;
        }
        Err(e) => {
            check.chain_error = Some(format!("x5c: {e}"));
            return None;
        }
    };
    let leaf = parsed[0].clone();
    check.leaf_subject = Some(leaf.subject());
    let problems = if leaf_rules {
        packed_leaf_problems(&leaf)
    } else {
        Vec::new()
    };
    check.certificate_problems = problems.iter().map(ToString::to_string).collect();
    match path::validate(&leaf, &parsed[1..], anchors, path::unix_time(now_unix)) {
        Ok(anchor) => check.anchor = Some(anchor),
        Err(e) if restates(&e, &problems) => {}
        Err(e) => check.chain_failed(&e),
    }
    if let Some(cert_aaguid) = leaf.fido_aaguid() {
        check.certificate_aaguid = Some(crate::util::format_uuid(&cert_aaguid));
        check.aaguid_matches = attestation
            .auth_data
            .attested
            .as_ref()
            .map(|a| a.aaguid == cert_aaguid);
    }
    Some(leaf)
}

/// Whether `leaf`'s key made `signature` over `message` with COSE algorithm `alg`.
fn leaf_signed(leaf: &Cert, alg: i64, message: &[u8], signature: &[u8]) -> bool {
    algorithms::for_cose(alg)
        .iter()
        .any(|a| leaf.verify_with(*a, message, signature))
}

pub fn verify(
    attestation: &Attestation,
    client_data_hash: &[u8; 32],
    anchors: &[Root],
    now_unix: u64,
) -> AttestationCheck {
    let Ok(statement) = Fields::new(&attestation.statement, "attStmt") else {
        return AttestationCheck::new(&attestation.format, AttestationKind::Unsupported);
    };
    let signature = statement
        .get_text_key("sig")
        .and_then(Value::as_bytes)
        .cloned()
        .unwrap_or_default();
    let mut signed = attestation.auth_data.raw.clone();
    signed.extend_from_slice(client_data_hash);
    match attestation.format.as_str() {
        "none" => AttestationCheck::new("none", AttestationKind::None),
        "packed" => {
            let alg = statement.get_text_key("alg").and_then(as_i64);
            match x5c(&statement) {
                Some(certs) => {
                    let mut check = AttestationCheck::new("packed", AttestationKind::Basic);
                    check.algorithm = alg.map(algorithms::cose_name);
                    if let Some(leaf) =
                        check_certificates(&mut check, &certs, attestation, anchors, now_unix, true)
                    {
                        check.signature_valid =
                            alg.is_some_and(|alg| leaf_signed(&leaf, alg, &signed, &signature));
                    }
                    check
                }
                None => {
                    let mut check =
                        AttestationCheck::new("packed", AttestationKind::SelfAttestation);
                    check.algorithm = alg.map(algorithms::cose_name);
                    check.signature_valid =
                        attestation.auth_data.attested.as_ref().is_some_and(|a| {
                            a.public_key.algorithm() == alg
                                && a.public_key.verify(&signed, &signature)
                        });
                    check
                }
            }
        }
        "fido-u2f" => {
            let mut check = AttestationCheck::new("fido-u2f", AttestationKind::Basic);
            check.algorithm = Some(algorithms::cose_name(crate::ctap2::cose::ALG_ES256));
            let certs = x5c(&statement).unwrap_or_default();
            let leaf =
                check_certificates(&mut check, &certs, attestation, anchors, now_unix, false);
            // FIDO U2F §8.6: exactly one certificate, the attestation certificate itself.
            if certs.len() != 1 && check.chain_error.is_none() {
                check.anchor = None;
                check.chain_failed(&ChainError::Invalid {
                    kind: Broken::Malformed,
                    message: format!(
                        "fido-u2f attestation must carry exactly one certificate, not {}",
                        certs.len()
                    ),
                });
            }
            if let (Some(leaf), Some(cred)) = (leaf, attestation.auth_data.attested.as_ref()) {
                if let CoseKey::P256 { x, y, .. } = &cred.public_key {
                    let mut message = vec![0u8];
                    message.extend_from_slice(&attestation.auth_data.rp_id_hash);
                    message.extend_from_slice(client_data_hash);
                    message.extend_from_slice(&cred.credential_id);
                    message.push(0x04);
                    message.extend_from_slice(x);
                    message.extend_from_slice(y);
                    // The attestation key must be P-256 (§8.6 step 2).
                    check.signature_valid =
                        leaf.verify_with(algorithms::ES256_P256, &message, &signature);
                }
            }
            check
        }
        other => AttestationCheck::new(other, AttestationKind::Unsupported),
    }
}
