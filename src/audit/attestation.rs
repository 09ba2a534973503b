//! Findings from an attestation check: what `vet` concludes about genuineness.

use super::rules;
use super::Finding;
use crate::attestation::verify::AttestationCheck;

/// Each defect of the attestation gets its own finding (an untrusted chain is not a broken one,
/// and a bad signature hides nothing else).
pub fn attestation_findings(
    check: &AttestationCheck,
    label: Option<&str>,
    key_aaguid: &str,
) -> Vec<Finding> {
    let f = |rule, message: String| Finding::new(rule, label, None, message);
    let mut out = Vec::new();
    match check.kind.as_str() {
        "basic" if !check.signature_valid => {
            return vec![f(
                &rules::ATTESTATION_SIGNATURE_INVALID,
                format!(
                    "the {} attestation signature ({}) does not verify",
                    check.format,
                    check.algorithm.as_deref().unwrap_or("no algorithm")
                ),
            )]
        }
        "basic" => {}
        kind => {
            return vec![f(
                &rules::ATTESTATION_UNVERIFIABLE,
                format!(
                    "{} attestation ({kind}): genuineness cannot be established",
                    check.format
                ),
            )]
        }
    }
    for problem in &check.certificate_problems {
        out.push(f(&rules::ATTESTATION_LEAF_INVALID, problem.clone()));
    }
    if let Some(e) = &check.chain_error {
        let rule = if check.chain_invalid {
            &rules::ATTESTATION_CHAIN_INVALID
        } else {
            &rules::ATTESTATION_UNTRUSTED
        };
        out.push(f(rule, e.clone()));
    }
    if check.aaguid_matches == Some(false) {
        out.push(f(
            &rules::ATTESTATION_AAGUID_MISMATCH,
            format!(
                "the certificate vouches for {} but the key reports {key_aaguid}",
                check.certificate_aaguid.as_deref().unwrap_or("?"),
            ),
        ));
    }
    out
}
