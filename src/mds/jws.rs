//! The MDS BLOB's envelope: a JWS in compact serialization (RFC 7515) whose protected header
//! names the algorithm (RS256 or ES256, as MDS3 §3.1.7 allows) and carries the signing chain in
//! `x5c`. The signature is checked with the first certificate's key, and that certificate's path
//! to a trusted root by attestation::path (rustls-webpki), at the import's date.

use base64::Engine;

use super::MdsError;
use crate::attestation::algorithms;
use crate::attestation::path;
use crate::attestation::roots::Root;
use crate::attestation::x509::Cert;

/// A verified BLOB: its payload bytes and who signed it.
#[derive(Debug)]
pub struct Verified {
    pub payload: Vec<u8>,
    pub algorithm: String,
    pub signer: String,
    pub anchor: String,
}

#[derive(serde::Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
    /// Extensions the signer says must be understood (RFC 7515 §4.1.11): glasskey implements
    /// none, so any is refused.
    #[serde(default)]
    crit: Option<serde_json::Value>,
    /// RFC 7797's unencoded payload: it changes what was signed, and the MDS never uses it.
    #[serde(default)]
    b64: Option<serde_json::Value>,
}

/// Refuses header parameters that would change how the BLOB must be read.
fn check_extensions(header: &Header) -> Result<(), MdsError> {
    if let Some(b64) = &header.b64 {
        return Err(MdsError::Header(format!(
            "header parameter \"b64\" ({b64}, RFC 7797) is not used by the FIDO MDS"
        )));
    }
    if let Some(crit) = &header.crit {
        return Err(MdsError::Header(format!(
            "header parameter \"crit\" names extensions glasskey does not implement ({crit}); RFC 7515 §4.1.11 requires refusing it"
        )));
    }
    Ok(())
}

fn b64url(part: &str, what: &str) -> Result<Vec<u8>, MdsError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| MdsError::Format(format!("{what} is not base64url ({e})")))
}

/// Verifies `text` (the BLOB as downloaded) against `anchors` at `now_unix`.
pub fn verify(text: &str, anchors: &[Root], now_unix: u64) -> Result<Verified, MdsError> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
        return Err(MdsError::Format(format!(
            "{} dot-separated parts instead of 3",
            parts.len()
        )));
    };
    let header: Header = serde_json::from_slice(&b64url(header_b64, "the header")?)
        .map_err(|e| MdsError::Format(format!("the header is not JSON ({e})")))?;
    check_extensions(&header)?;
    // A signature cut short often stops being valid base64 too: both mean the same to the admin.
    let signature =
        b64url(signature_b64, "the signature").map_err(|e| MdsError::Signature(e.to_string()))?;
    let certs: Vec<Cert> = header
        .x5c
        .iter()
        .map(|c| {
            let der = base64::engine::general_purpose::STANDARD
                .decode(c)
                .map_err(|e| MdsError::Format(format!("x5c is not base64 ({e})")))?;
            Cert::from_der(&der).map_err(|e| MdsError::Format(format!("x5c: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let Some((leaf, intermediates)) = certs.split_first() else {
        return Err(MdsError::Format("the header has no x5c certificate".into()));
    };
    let signed = format!("{header_b64}.{payload_b64}");
    let valid = match header.alg.as_str() {
        "RS256" => algorithms::for_cose(-257)
            .iter()
            .any(|a| leaf.verify_with(*a, signed.as_bytes(), &signature)),
        // JWS carries ECDSA signatures as r ‖ s (RFC 7518 §3.4), not DER.
        "ES256" => p256::ecdsa::Signature::from_slice(&signature)
            .map(|s| s.to_der())
            .is_ok_and(|der| {
                leaf.verify_with(algorithms::ES256_P256, signed.as_bytes(), der.as_bytes())
            }),
        other => {
            return Err(MdsError::Format(format!(
                "algorithm {other:?}; MDS BLOBs are signed with RS256 or ES256"
            )))
        }
    };
    if !valid {
        return Err(MdsError::Signature(format!(
            "{} by {}",
            header.alg,
            leaf.subject()
        )));
    }
    let anchor = path::validate(leaf, intermediates, anchors, path::unix_time(now_unix))
        .map_err(|e| MdsError::Untrusted(e.to_string()))?;
    Ok(Verified {
        payload: b64url(payload_b64, "the payload")?,
        algorithm: header.alg,
        signer: leaf.subject(),
        anchor,
    })
}
