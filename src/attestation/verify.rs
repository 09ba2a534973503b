//! Verifying an attestation statement (WebAuthn §8.2 packed, §8.6 fido-u2f): the signature over
//! authData ‖ clientDataHash, the certificate chain to a trusted anchor, and the AAGUID the
//! certificate vouches for. Self attestation and `none` prove nothing about the maker.

use p256::ecdsa::signature::Verifier;
use serde::Serialize;

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
    pub signature_valid: bool,
    /// The trust anchor the chain reached.
    pub anchor: Option<String>,
    pub chain_error: Option<String>,
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
            signature_valid: false,
            anchor: None,
            chain_error: None,
            certificate_aaguid: None,
            aaguid_matches: None,
            leaf_subject: None,
            certificate_problems: Vec::new(),
        }
    }

    /// Genuineness established: a valid signature by a certificate that chains to a trusted
    /// anchor and (where it says) vouches for this AAGUID.
    pub fn genuine(&self) -> bool {
        self.kind == AttestationKind::Basic
            && self.signature_valid
            && self.anchor.is_some()
            && self.aaguid_matches != Some(false)
    }
}

fn x5c(statement: &Fields<'_>) -> Option<Vec<Vec<u8>>> {
    match statement.get_text_key("x5c")? {
        Value::Array(items) => items.iter().map(|i| i.as_bytes().cloned()).collect(),
        _ => None,
    }
}

/// Walks from the leaf through the given intermediates to an anchor; returns the anchor's name.
fn build_chain(leaf: &Cert, intermediates: &[Cert], anchors: &[Root]) -> Result<String, String> {
    let mut current = leaf.clone();
    for _ in 0..8 {
        if let Some(a) = anchors.iter().find(|a| a.cert.der == current.der) {
            return Ok(a.name.clone());
        }
        if let Some(a) = anchors.iter().find(|a| {
            a.cert.subject_der() == current.issuer_der()
                && current.verify_signed_by(&a.cert).is_ok()
        }) {
            return Ok(a.name.clone());
        }
        match intermediates.iter().find(|i| {
            i.subject_der() == current.issuer_der() && current.verify_signed_by(i).is_ok()
        }) {
            Some(next) => current = next.clone(),
            None => {
                return Err(format!(
                    "no path from {} to a trusted root (next issuer: {})",
                    leaf.subject(),
                    current.parsed.tbs_certificate.issuer
                ))
            }
        }
    }
    Err("certificate chain longer than 8".into())
}

fn ecdsa_p256_valid(cert: &Cert, message: &[u8], der_signature: &[u8]) -> bool {
    let (Ok(key), Ok(sig)) = (
        cert.p256_key(),
        p256::ecdsa::DerSignature::try_from(der_signature),
    ) else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}

fn check_certificates(
    check: &mut AttestationCheck,
    certs: &[Vec<u8>],
    attestation: &Attestation,
    anchors: &[Root],
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
    match build_chain(&leaf, &parsed[1..], anchors) {
        Ok(anchor) => check.anchor = Some(anchor),
        Err(e) => check.chain_error = Some(e),
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

pub fn verify(
    attestation: &Attestation,
    client_data_hash: &[u8; 32],
    anchors: &[Root],
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
        "packed" => match x5c(&statement) {
            Some(certs) => {
                let mut check = AttestationCheck::new("packed", AttestationKind::Basic);
                let alg = statement.get_text_key("alg").and_then(as_i64);
                if let Some(leaf) = check_certificates(&mut check, &certs, attestation, anchors) {
                    check.signature_valid = alg == Some(crate::ctap2::cose::ALG_ES256)
                        && ecdsa_p256_valid(&leaf, &signed, &signature);
                }
                check
            }
            None => {
                let mut check = AttestationCheck::new("packed", AttestationKind::SelfAttestation);
                check.signature_valid = attestation
                    .auth_data
                    .attested
                    .as_ref()
                    .is_some_and(|a| a.public_key.verify(&signed, &signature));
                check
            }
        },
        "fido-u2f" => {
            let mut check = AttestationCheck::new("fido-u2f", AttestationKind::Basic);
            let certs = x5c(&statement).unwrap_or_default();
            if let (Some(leaf), Some(cred)) = (
                check_certificates(&mut check, &certs, attestation, anchors),
                attestation.auth_data.attested.as_ref(),
            ) {
                if let CoseKey::P256 { x, y, .. } = &cred.public_key {
                    let mut message = vec![0u8];
                    message.extend_from_slice(&attestation.auth_data.rp_id_hash);
                    message.extend_from_slice(client_data_hash);
                    message.extend_from_slice(&cred.credential_id);
                    message.push(0x04);
                    message.extend_from_slice(x);
                    message.extend_from_slice(y);
                    check.signature_valid = ecdsa_p256_valid(&leaf, &message, &signature);
                }
            }
            check
        }
        other => AttestationCheck::new(other, AttestationKind::Unsupported),
    }
}
