//! The WebAuthn §8.2.1 requirements on a packed attestation certificate, which no general
//! X.509 validator knows: version 3, subject OU "Authenticator Attestation", not a CA, and an
//! id-fido-gen-ce-aaguid extension (when present) that is not critical and names the AAGUID in
//! authData. Everything else about the chain is path.rs's job.

use der::asn1::ObjectIdentifier;
use der::Decode;
use serde::Serialize;

use super::x509::{Cert, OID_FIDO_AAGUID};

/// One requirement the leaf does not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeafProblem {
    NotVersion3,
    MissingAttestationOu,
    IsCa,
    CriticalAaguidExtension,
}

impl std::fmt::Display for LeafProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotVersion3 => "the attestation certificate is not X.509 version 3",
            Self::MissingAttestationOu => {
                "the attestation certificate's subject lacks OU=Authenticator Attestation"
            }
            Self::IsCa => "the attestation certificate is a CA certificate",
            Self::CriticalAaguidExtension => {
                "the attestation certificate marks its AAGUID extension critical"
            }
        })
    }
}

const OID_ORGANIZATIONAL_UNIT: &str = "2.5.4.11";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";

fn has_attestation_ou(cert: &Cert) -> bool {
    let Ok(ou) = ObjectIdentifier::new(OID_ORGANIZATIONAL_UNIT) else {
        return false;
    };
    cert.parsed
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == ou)
        .any(|atv| {
            // DirectoryString: the value's own content bytes, whichever string type holds them.
            atv.value.value() == b"Authenticator Attestation"
        })
}

/// The requirements a packed attestation leaf does not meet (empty when it meets them all).
pub fn packed_leaf_problems(cert: &Cert) -> Vec<LeafProblem> {
    let tbs = &cert.parsed.tbs_certificate;
    let mut problems = Vec::new();
    if tbs.version != x509_cert::certificate::Version::V3 {
        problems.push(LeafProblem::NotVersion3);
    }
    if !has_attestation_ou(cert) {
        problems.push(LeafProblem::MissingAttestationOu);
    }
    let extension = |oid: &str| {
        let oid = ObjectIdentifier::new(oid).ok()?;
        tbs.extensions.iter().flatten().find(|e| e.extn_id == oid)
    };
    let is_ca = extension(OID_BASIC_CONSTRAINTS)
        .and_then(|e| {
            x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
        })
        .is_some_and(|b| b.ca);
    if is_ca {
        problems.push(LeafProblem::IsCa);
    }
    if extension(OID_FIDO_AAGUID).is_some_and(|e| e.critical) {
        problems.push(LeafProblem::CriticalAaguidExtension);
    }
    problems
}
