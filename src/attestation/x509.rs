//! Just enough X.509 for FIDO attestation: parse a certificate, read its names and the FIDO
//! AAGUID extension, and check one signature with the algorithms of algorithms.rs. Path
//! validation is rustls-webpki's (path.rs). The signed bytes are taken from the certificate as
//! received, never re-encoded.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rustls_pki_types::SignatureVerificationAlgorithm as Algorithm;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

/// id-fido-gen-ce-aaguid.
pub const OID_FIDO_AAGUID: &str = "1.3.6.1.4.1.45724.1.1.4";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509Error {
    #[error("not a DER certificate: {0}")]
    Parse(String),
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignature(String),
    #[error("unsupported public key {0}")]
    UnsupportedKey(String),
    #[error("signature does not verify")]
    BadSignature,
}

#[derive(Clone)]
pub struct Cert {
    pub der: Vec<u8>,
    pub parsed: Certificate,
    tbs: Vec<u8>,
}

impl std::fmt::Debug for Cert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cert({})", self.subject())
    }
}

/// The bytes of the first element inside the outer SEQUENCE: the TBSCertificate as signed.
fn first_element(der: &[u8]) -> Option<&[u8]> {
    fn header(b: &[u8]) -> Option<(usize, usize)> {
        let first = *b.get(1)?;
        if first < 0x80 {
            return Some((2, usize::from(first)));
        }
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, x| acc << 8 | usize::from(*x));
        Some((2 + n, len))
    }
    let (outer_header, _) = header(der)?;
    let inner = der.get(outer_header..)?;
    let (h, len) = header(inner)?;
    inner.get(..h.checked_add(len)?)
}

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        let parsed = Certificate::from_der(der).map_err(|e| X509Error::Parse(e.to_string()))?;
        let tbs = first_element(der)
            .ok_or_else(|| X509Error::Parse("truncated TBSCertificate".into()))?
            .to_vec();
        Ok(Self {
            der: der.to_vec(),
            parsed,
            tbs,
        })
    }

    /// The first PEM certificate in `text`; lines outside BEGIN/END (comments) are ignored.
    pub fn from_pem(text: &str) -> Result<Self, X509Error> {
        use base64::Engine;
        let body: String = text
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END CERTIFICATE-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.trim())
            .map_err(|e| X509Error::Parse(e.to_string()))?;
        Self::from_der(&der)
    }

    pub fn subject(&self) -> String {
        self.parsed.tbs_certificate.subject.to_string()
    }

    pub fn issuer_der(&self) -> Vec<u8> {
        self.parsed
            .tbs_certificate
            .issuer
            .to_der()
            .unwrap_or_default()
    }

    pub fn subject_der(&self) -> Vec<u8> {
        self.parsed
            .tbs_certificate
            .subject
            .to_der()
            .unwrap_or_default()
    }

    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    /// The AAGUID in the id-fido-gen-ce-aaguid extension, if present and well formed.
    pub fn fido_aaguid(&self) -> Option<[u8; 16]> {
        let oid = ObjectIdentifier::new(OID_FIDO_AAGUID).ok()?;
        let ext = self
            .parsed
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == oid)?;
        // The extension value is itself a DER OCTET STRING holding the 16 bytes.
        let inner = OctetString::from_der(ext.extn_value.as_bytes()).ok()?;
        inner.as_bytes().try_into().ok()
    }

    /// Whether this certificate's public key made `signature` over `message` with `alg`
    /// (which must match the key's type, as webpki matches it).
    pub fn verify_with(&self, alg: &dyn Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let spki = &self.parsed.tbs_certificate.subject_public_key_info;
        algorithm_id(&spki.algorithm).as_deref() == Some(alg.public_key_alg_id().as_ref())
            && alg
                .verify_signature(spki.subject_public_key.raw_bytes(), message, signature)
                .is_ok()
    }

    /// Checks that `issuer`'s key made this certificate's signature, with any algorithm glasskey
    /// accepts (algorithms.rs). Path validation does this itself; this serves the bundled-root
    /// checks, which look at one link at a time.
    pub fn verify_signed_by(&self, issuer: &Cert) -> Result<(), X509Error> {
        let signature_alg = algorithm_id(&self.parsed.signature_algorithm).unwrap_or_default();
        let candidates: Vec<_> = super::algorithms::ALL
            .iter()
            .filter(|a| a.signature_alg_id().as_ref() == signature_alg.as_slice())
            .collect();
        if candidates.is_empty() {
            return Err(X509Error::UnsupportedSignature(
                self.parsed.signature_algorithm.oid.to_string(),
            ));
        }
        let signature = self.parsed.signature.raw_bytes();
        if candidates
            .iter()
            .any(|a| issuer.verify_with(**a, &self.tbs, signature))
        {
            Ok(())
        } else {
            Err(X509Error::BadSignature)
        }
    }
}

/// An AlgorithmIdentifier's contents (OID and parameters, without the outer SEQUENCE), the
/// form rustls-pki-types compares.
fn algorithm_id(alg: &x509_cert::spki::AlgorithmIdentifierOwned) -> Option<Vec<u8>> {
    let mut id = alg.oid.to_der().ok()?;
    if let Some(parameters) = &alg.parameters {
        id.extend(parameters.to_der().ok()?);
    }
    Some(id)
}
