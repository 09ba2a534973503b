//! Just enough X.509 for FIDO attestation: parse a certificate, check that one certificate
//! signed another (ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5; SHA-256/384/512), and read the FIDO
//! AAGUID extension. The signed bytes are taken from the certificate as received, never
//! re-encoded.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::Certificate;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
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

    /// Problems with a packed attestation leaf against WebAuthn §8.2.1: version 3, subject OU
    /// "Authenticator Attestation", not a CA; and `now` inside its validity period.
    pub fn packed_leaf_problems(&self, now_unix: u64) -> Vec<String> {
        let tbs = &self.parsed.tbs_certificate;
        let mut problems = Vec::new();
        if tbs.version != x509_cert::certificate::Version::V3 {
            problems.push("the attestation certificate is not X.509 version 3".to_owned());
        }
        if !tbs
            .subject
            .to_string()
            .contains("OU=Authenticator Attestation")
        {
            problems.push(
                "the attestation certificate's subject lacks OU=Authenticator Attestation"
                    .to_owned(),
            );
        }
        let is_ca = tbs
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == "2.5.29.19")
            .and_then(|e| {
                x509_cert::ext::pkix::BasicConstraints::from_der(e.extn_value.as_bytes()).ok()
            })
            .is_some_and(|b| b.ca);
        if is_ca {
            problems.push("the attestation certificate is a CA certificate".to_owned());
        }
        let not_before = tbs.validity.not_before.to_unix_duration().as_secs();
        let not_after = tbs.validity.not_after.to_unix_duration().as_secs();
        if now_unix < not_before || now_unix > not_after {
            problems.push(format!(
                "the attestation certificate is outside its validity period ({} to {})",
                tbs.validity.not_before, tbs.validity.not_after
            ));
        }
        problems
    }

    /// The subject's public key as a P-256 point, for attestation signatures.
    pub fn p256_key(&self) -> Result<p256::ecdsa::VerifyingKey, X509Error> {
        let spki = &self.parsed.tbs_certificate.subject_public_key_info;
        p256::ecdsa::VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
            .map_err(|_| X509Error::UnsupportedKey("not a P-256 key".into()))
    }

    /// Checks that `issuer`'s key made this certificate's signature.
    pub fn verify_signed_by(&self, issuer: &Cert) -> Result<(), X509Error> {
        let alg = self.parsed.signature_algorithm.oid.to_string();
        let signature = self.parsed.signature.raw_bytes();
        let spki = &issuer.parsed.tbs_certificate.subject_public_key_info;
        let key_alg = spki.algorithm.oid.to_string();
        let key = spki.subject_public_key.raw_bytes();
        let digest: Vec<u8> = match alg.as_str() {
            "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Sha256::digest(&self.tbs).to_vec(),
            "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Sha384::digest(&self.tbs).to_vec(),
            "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Sha512::digest(&self.tbs).to_vec(),
            other => return Err(X509Error::UnsupportedSignature(other.into())),
        };
        match key_alg.as_str() {
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                    .map(|o| o.to_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    OID_P256 => {
                        let k = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                            .map_err(|_| X509Error::UnsupportedKey("bad P-256 point".into()))?;
                        let s = p256::ecdsa::Signature::from_der(signature)
                            .map_err(|_| X509Error::BadSignature)?;
                        k.verify_prehash(&digest, &s)
                            .map_err(|_| X509Error::BadSignature)
                    }
                    OID_P384 => {
                        let k = p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                            .map_err(|_| X509Error::UnsupportedKey("bad P-384 point".into()))?;
                        let s = p384::ecdsa::Signature::from_der(signature)
                            .map_err(|_| X509Error::BadSignature)?;
                        k.verify_prehash(&digest, &s)
                            .map_err(|_| X509Error::BadSignature)
                    }
                    OID_P521 => {
                        let k = p521::ecdsa::VerifyingKey::from_sec1_bytes(key)
                            .map_err(|_| X509Error::UnsupportedKey("bad P-521 point".into()))?;
                        let s = p521::ecdsa::Signature::from_der(signature)
                            .map_err(|_| X509Error::BadSignature)?;
                        k.verify_prehash(&digest, &s)
                            .map_err(|_| X509Error::BadSignature)
                    }
                    other => Err(X509Error::UnsupportedKey(format!("EC curve {other}"))),
                }
            }
            OID_RSA => {
                use rsa::pkcs1::DecodeRsaPublicKey;
                let k = rsa::RsaPublicKey::from_pkcs1_der(key)
                    .map_err(|e| X509Error::UnsupportedKey(e.to_string()))?;
                let scheme = match digest.len() {
                    32 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    48 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                    _ => rsa::Pkcs1v15Sign::new::<Sha512>(),
                };
                k.verify(scheme, &digest, signature)
                    .map_err(|_| X509Error::BadSignature)
            }
            other => Err(X509Error::UnsupportedKey(other.into())),
        }
    }
}
