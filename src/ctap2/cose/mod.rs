//! COSE public keys (RFC 9053) as CTAP2 uses them, and signature verification with them.

use p256::ecdsa::signature::Verifier;

mod registry;

use registry::*;
pub use registry::{algorithm_label, algorithm_name, known_algorithm_name};

use super::cbor::{bytes, int, Fields, Value};
use super::Ctap2Error;

pub const ALG_ES256: i64 = -7;
pub const ALG_EDDSA: i64 = -8;
/// ECDH-ES + HKDF-256: the algorithm id keys put on their key-agreement key.
pub const ALG_ECDH_ES_HKDF_256: i64 = -25;
pub const ALG_ES384: i64 = -35;
pub const ALG_ES512: i64 = -36;
pub const ALG_PS256: i64 = -37;
pub const ALG_RS256: i64 = -257;

/// RSA moduli outside this range (in bytes) are not keys any authenticator makes.
const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 128..=1024;

#[derive(Clone, PartialEq, Eq)]
pub enum CoseKey {
    /// P-256 point; `alg` is -7 for signatures or -25 for key agreement.
    P256 { alg: i64, x: [u8; 32], y: [u8; 32] },
    /// ES384 or ESP384. Every key keeps the algorithm number it came with, so that it is shown
    /// (and fingerprinted) as the key sent it.
    P384 { alg: i64, x: [u8; 48], y: [u8; 48] },
    /// ES512 or ESP512.
    P521 { alg: i64, x: [u8; 66], y: [u8; 66] },
    /// ES256K.
    Secp256k1 { alg: i64, x: [u8; 32], y: [u8; 32] },
    /// EdDSA (-8) or Ed25519 (-19).
    Ed25519 { alg: i64, x: [u8; 32] },
    /// EdDSA (-8) or Ed448 (-53): listed, but only its length is checked (no maintained crate
    /// glasskey uses decodes Ed448 points), and it verifies nothing.
    Ed448 { alg: i64, x: Vec<u8> },
    /// RS256 or PS256 (`alg` says which padding).
    Rsa { alg: i64, n: Vec<u8>, e: Vec<u8> },
    /// A key type, curve or algorithm glasskey does not parse, kept exactly as the key sent it
    /// (canonically re-encoded), so it can still be listed and fingerprinted.
    Unknown {
        kty: i64,
        alg: Option<i64>,
        encoded: Vec<u8>,
    },
}

impl std::fmt::Debug for CoseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoseKey::P256 { alg, x, .. } => write!(f, "P256(alg {alg}, x {})", hex::encode(x)),
            CoseKey::P384 { alg, x, .. } => write!(f, "P384(alg {alg}, x {})", hex::encode(x)),
            CoseKey::P521 { alg, x, .. } => write!(f, "P521(alg {alg}, x {})", hex::encode(x)),
            CoseKey::Secp256k1 { alg, x, .. } => {
                write!(f, "Secp256k1(alg {alg}, x {})", hex::encode(x))
            }
            CoseKey::Ed25519 { alg, x } => write!(f, "Ed25519(alg {alg}, {})", hex::encode(x)),
            CoseKey::Ed448 { alg, x } => write!(f, "Ed448(alg {alg}, {})", hex::encode(x)),
            CoseKey::Rsa { alg, n, .. } => write!(f, "Rsa(alg {alg}, {} bits)", n.len() * 8),
            CoseKey::Unknown { kty, alg, .. } => write!(f, "Unknown(kty {kty}, alg {alg:?})"),
        }
    }
}

/// Coordinate `key` (-2 x, -3 y) of a point on `curve`, which must be exactly `N` bytes.
fn coord<const N: usize>(f: &Fields<'_>, key: i64, curve: &str) -> Result<[u8; N], Ctap2Error> {
    coord_bytes(f, key, curve, N)?
        .try_into()
        .map_err(|_| Ctap2Error::Protocol(format!("a {curve} coordinate must be {N} bytes")))
}

/// Coordinate `key` of a point on `curve`, which must be exactly `len` bytes.
fn coord_bytes<'a>(
    f: &Fields<'a>,
    key: i64,
    curve: &str,
    len: usize,
) -> Result<&'a [u8], Ctap2Error> {
    let name = if key == -2 { "x" } else { "y" };
    let b = f
        .bytes(key)?
        .ok_or_else(|| Ctap2Error::Protocol(format!("{name} ({key}) is missing")))?;
    (b.len() == len).then_some(b).ok_or_else(|| {
        Ctap2Error::Protocol(format!(
            "{name} ({key}) is {} bytes; {curve} needs {len}",
            b.len()
        ))
    })
}

fn sec1<const N: usize>(x: &[u8; N], y: &[u8; N]) -> Vec<u8> {
    let mut point = Vec::with_capacity(1 + 2 * N);
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    point
}

fn off_curve(curve: &str) -> Ctap2Error {
    let coordinates = if curve.starts_with("Ed") {
        "x (-2) is"
    } else {
        "x (-2) and y (-3) are"
    };
    Ctap2Error::Protocol(format!("{coordinates} not a point on {curve}"))
}

impl CoseKey {
    /// Parses a credential's COSE public key. A key of a type, curve or algorithm glasskey does
    /// not know is kept as `Unknown`; a key glasskey knows that is malformed (a coordinate of
    /// the wrong length, a point off the curve or weak, no curve, an algorithm its type cannot
    /// have) is an error naming the field, as for any malformed reply: it cannot be anyone's
    /// real key. So is a key without `alg` (CTAP 2.1 §6.5.6 requires it) and a key carrying a
    /// private part.
    pub fn parse(value: &Value) -> Result<Self, Ctap2Error> {
        Self::parse_as(value, true)
    }

    /// Parses a clientPIN key-agreement key, whose `alg` (-25) names no algorithm actually
    /// used, so a key that leaves it out is still usable.
    pub fn parse_key_agreement(value: &Value) -> Result<Self, Ctap2Error> {
        Self::parse_as(value, false)
    }

    fn parse_as(value: &Value, alg_required: bool) -> Result<Self, Ctap2Error> {
        let f = Fields::new(value, "COSE key")?;
        let kty = f
            .int(1)?
            .ok_or_else(|| Ctap2Error::Protocol("kty (1) is missing".into()))?;
        let alg = match f.int(3)? {
            Some(alg) => Some(alg),
            None if alg_required => {
                return Err(Ctap2Error::Protocol(
                    "alg (3) is missing: a credential's public key must name its algorithm".into(),
                ))
            }
            None => None,
        };
        check_no_private_part(&f, kty)?;
        // EC2 and OKP keys must name their curve (RFC 9053 §7.1, §7.2); for RSA, -1 is n.
        let crv = match kty {
            KTY_EC2 | KTY_OKP => Some(f.int(-1)?.ok_or_else(|| {
                Ctap2Error::Protocol(format!("crv (-1) is missing from a kty {kty} key"))
            })?),
            _ => None,
        };
        if let Some(alg) = alg {
            check_shape(alg, kty, crv)?;
        }
        let key = match (kty, crv) {
            (KTY_EC2, Some(CRV_P256)) => CoseKey::P256 {
                alg: alg.unwrap_or(ALG_ECDH_ES_HKDF_256),
                x: coord(&f, -2, "P-256")?,
                y: coord(&f, -3, "P-256")?,
            },
            (KTY_EC2, Some(CRV_P384)) => CoseKey::P384 {
                alg: alg.unwrap_or(ALG_ES384),
                x: coord(&f, -2, "P-384")?,
                y: coord(&f, -3, "P-384")?,
            },
            (KTY_EC2, Some(CRV_P521)) => CoseKey::P521 {
                alg: alg.unwrap_or(ALG_ES512),
                x: coord(&f, -2, "P-521")?,
                y: coord(&f, -3, "P-521")?,
            },
            (KTY_EC2, Some(CRV_SECP256K1)) => CoseKey::Secp256k1 {
                alg: alg.unwrap_or(ALG_ES256K),
                x: coord(&f, -2, "secp256k1")?,
                y: coord(&f, -3, "secp256k1")?,
            },
            (KTY_OKP, Some(CRV_ED25519)) => CoseKey::Ed25519 {
                alg: alg.unwrap_or(ALG_EDDSA),
                x: coord(&f, -2, "Ed25519")?,
            },
            (KTY_OKP, Some(CRV_ED448)) => CoseKey::Ed448 {
                alg: alg.unwrap_or(ALG_EDDSA),
                x: coord_bytes(&f, -2, "Ed448", ED448_KEY_BYTES)?.to_vec(),
            },
            (KTY_RSA, _) if matches!(alg, None | Some(ALG_RS256) | Some(ALG_PS256)) => {
                let n = f
                    .bytes(-1)?
                    .ok_or_else(|| Ctap2Error::Protocol("n (-1) is missing".into()))?;
                let e = f
                    .bytes(-2)?
                    .ok_or_else(|| Ctap2Error::Protocol("e (-2) is missing".into()))?;
                CoseKey::Rsa {
                    alg: alg.unwrap_or(ALG_RS256),
                    n: n.to_vec(),
                    e: e.to_vec(),
                }
            }
            _ => CoseKey::Unknown {
                kty,
                alg,
                encoded: super::cbor::encode(value),
            },
        };
        // Reject keys that cannot be used now, not at first use.
        key.check()?;
        Ok(key)
    }

    fn check(&self) -> Result<(), Ctap2Error> {
        match self {
            CoseKey::P256 { .. } => self.p256_point().map(|_| ()),
            CoseKey::P384 { x, y, .. } => p384::PublicKey::from_sec1_bytes(&sec1(x, y))
                .map(|_| ())
                .map_err(|_| off_curve("P-384")),
            CoseKey::P521 { x, y, .. } => p521::PublicKey::from_sec1_bytes(&sec1(x, y))
                .map(|_| ())
                .map_err(|_| off_curve("P-521")),
            CoseKey::Secp256k1 { x, y, .. } => k256::PublicKey::from_sec1_bytes(&sec1(x, y))
                .map(|_| ())
                .map_err(|_| off_curve("secp256k1")),
            CoseKey::Rsa { .. } => self.rsa_key().map(|_| ()),
            CoseKey::Ed25519 { x, .. } => ed25519_key(x).map(|_| ()),
            // Length checked at parse; no maintained crate glasskey uses decodes Ed448 points.
            CoseKey::Ed448 { .. } | CoseKey::Unknown { .. } => Ok(()),
        }
    }

    fn rsa_key(&self) -> Result<rsa::RsaPublicKey, Ctap2Error> {
        let CoseKey::Rsa { n, e, .. } = self else {
            return Err(Ctap2Error::Protocol("expected an RSA key".into()));
        };
        let modulus = rsa::BigUint::from_bytes_be(n);
        let bytes = modulus.bits().div_ceil(8);
        if !RSA_MODULUS_BYTES.contains(&bytes) {
            return Err(Ctap2Error::Protocol(format!(
                "RSA modulus of {bytes} bytes; expected {} to {}",
                RSA_MODULUS_BYTES.start(),
                RSA_MODULUS_BYTES.end()
            )));
        }
        rsa::RsaPublicKey::new(modulus, rsa::BigUint::from_bytes_be(e))
            .map_err(|e| Ctap2Error::Protocol(format!("unusable RSA key: {e}")))
    }

    pub fn to_value(&self) -> Value {
        let ec2 = |alg: i64, crv: i64, x: &[u8], y: &[u8]| {
            Value::Map(vec![
                (int(1), int(KTY_EC2)),
                (int(3), int(alg)),
                (int(-1), int(crv)),
                (int(-2), bytes(x)),
                (int(-3), bytes(y)),
            ])
        };
        let okp = |alg: i64, crv: i64, x: &[u8]| {
            Value::Map(vec![
                (int(1), int(KTY_OKP)),
                (int(3), int(alg)),
                (int(-1), int(crv)),
                (int(-2), bytes(x)),
            ])
        };
        match self {
            CoseKey::P256 { alg, x, y } => ec2(*alg, CRV_P256, x, y),
            CoseKey::P384 { alg, x, y } => ec2(*alg, CRV_P384, x, y),
            CoseKey::P521 { alg, x, y } => ec2(*alg, CRV_P521, x, y),
            CoseKey::Secp256k1 { alg, x, y } => ec2(*alg, CRV_SECP256K1, x, y),
            CoseKey::Ed25519 { alg, x } => okp(*alg, CRV_ED25519, x),
            CoseKey::Ed448 { alg, x } => okp(*alg, CRV_ED448, x),
            CoseKey::Rsa { alg, n, e } => Value::Map(vec![
                (int(1), int(KTY_RSA)),
                (int(3), int(*alg)),
                (int(-1), bytes(n)),
                (int(-2), bytes(e)),
            ]),
            CoseKey::Unknown { encoded, .. } => {
                super::cbor::decode(encoded).unwrap_or(Value::Map(Vec::new()))
            }
        }
    }

    pub fn from_p256(key: &p256::PublicKey, alg: i64) -> Self {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let point = key.to_encoded_point(false);
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        if let (Some(px), Some(py)) = (point.x(), point.y()) {
            x.copy_from_slice(px);
            y.copy_from_slice(py);
        }
        CoseKey::P256 { alg, x, y }
    }

    pub fn p256_point(&self) -> Result<p256::PublicKey, Ctap2Error> {
        let CoseKey::P256 { x, y, .. } = self else {
            return Err(Ctap2Error::Protocol("expected a P-256 key".into()));
        };
        p256::PublicKey::from_sec1_bytes(&sec1(x, y)).map_err(|_| off_curve("P-256"))
    }

    /// The COSE algorithm number the key sent (every credential key names one).
    pub fn algorithm(&self) -> Option<i64> {
        match self {
            CoseKey::P256 { alg, .. }
            | CoseKey::P384 { alg, .. }
            | CoseKey::P521 { alg, .. }
            | CoseKey::Secp256k1 { alg, .. }
            | CoseKey::Ed25519 { alg, .. }
            | CoseKey::Ed448 { alg, .. }
            | CoseKey::Rsa { alg, .. } => Some(*alg),
            CoseKey::Unknown { alg, .. } => *alg,
        }
    }

    /// The algorithm's name for this key: EdDSA (-8) names no curve, so an Ed448 key says so.
    pub fn algorithm_name(&self) -> Option<String> {
        match self {
            CoseKey::Ed448 { alg, .. } if *alg == ALG_EDDSA => Some(ED448_EDDSA_NAME.into()),
            _ => self.algorithm().map(algorithm_name),
        }
    }

    /// Canonical CBOR bytes, used for fingerprints and storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            CoseKey::Unknown { encoded, .. } => encoded.clone(),
            _ => super::cbor::encode(&self.to_value()),
        }
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, Ctap2Error> {
        Self::parse(&super::cbor::decode(b)?)
    }

    /// Verifies a WebAuthn signature: ECDSA signatures are DER-encoded, EdDSA is raw, RSA is
    /// PKCS#1 v1.5 (RS256) or PSS (PS256) over SHA-256. A key whose algorithm glasskey does not
    /// know (or does not check, as Ed448) verifies nothing.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        if !self.algorithm().is_some_and(|alg| VERIFIED.contains(&alg)) {
            return false;
        }
        match self {
            CoseKey::P256 { .. } => {
                let Ok(point) = self.p256_point() else {
                    return false;
                };
                let Ok(sig) = p256::ecdsa::DerSignature::try_from(signature) else {
                    return false;
                };
                p256::ecdsa::VerifyingKey::from(point)
                    .verify(message, &sig)
                    .is_ok()
            }
            CoseKey::P384 { x, y, .. } => {
                let (Ok(key), Ok(sig)) = (
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&sec1(x, y)),
                    p384::ecdsa::DerSignature::try_from(signature),
                ) else {
                    return false;
                };
                key.verify(message, &sig).is_ok()
            }
            CoseKey::P521 { x, y, .. } => {
                let (Ok(key), Ok(sig)) = (
                    p521::ecdsa::VerifyingKey::from_sec1_bytes(&sec1(x, y)),
                    p521::ecdsa::Signature::from_der(signature),
                ) else {
                    return false;
                };
                key.verify(message, &sig).is_ok()
            }
            CoseKey::Secp256k1 { x, y, .. } => {
                let (Ok(key), Ok(sig)) = (
                    k256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1(x, y)),
                    k256::ecdsa::Signature::from_der(signature),
                ) else {
                    return false;
                };
                key.verify(message, &sig).is_ok()
            }
            CoseKey::Ed25519 { x, .. } => {
                let Ok(key) = ed25519_key(x) else {
                    return false;
                };
                let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
                    return false;
                };
                key.verify_strict(message, &sig).is_ok()
            }
            CoseKey::Rsa { alg, .. } => {
                let Ok(key) = self.rsa_key() else {
                    return false;
                };
                let digest = Sha256::digest(message);
                let result = if *alg == ALG_PS256 {
                    key.verify(rsa::Pss::new::<Sha256>(), &digest, signature)
                } else {
                    key.verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
                };
                result.is_ok()
            }
            CoseKey::Ed448 { .. } | CoseKey::Unknown { .. } => false,
        }
    }
}

/// The signature algorithms `verify` checks; any other number on a known curve verifies
/// nothing (-25, for one, is a key-agreement key).
const VERIFIED: [i64; 11] = [
    ALG_ES256,
    ALG_ESP256,
    ALG_ES384,
    ALG_ESP384,
    ALG_ES512,
    ALG_ESP512,
    ALG_ES256K,
    ALG_EDDSA,
    ALG_ED25519,
    ALG_RS256,
    ALG_PS256,
];

/// An Ed25519 public key that is a point of large order in its one canonical encoding: the
/// neutral element and other small-order points verify forged signatures, and a y at or above
/// p has no valid encoding (RFC 8032 §5.1.3).
fn ed25519_key(x: &[u8; 32]) -> Result<ed25519_dalek::VerifyingKey, Ctap2Error> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(x).map_err(|_| off_curve("Ed25519"))?;
    if key.is_weak() {
        return Err(Ctap2Error::Protocol(
            "x (-2) is a weak Ed25519 point (of small order), which verifies forged signatures"
                .into(),
        ));
    }
    if key.to_edwards().compress().to_bytes() != *x {
        return Err(Ctap2Error::Protocol(
            "x (-2) is a non-canonical Ed25519 encoding (RFC 8032 §5.1.3 rejects it)".into(),
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    #[test]
    fn eddsa_signatures_verify_and_tampering_fails() {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let key = CoseKey::Ed25519 {
            alg: ALG_EDDSA,
            x: signing.verifying_key().to_bytes(),
        };
        let sig = signing.sign(b"authData||clientDataHash").to_bytes();
        assert!(key.verify(b"authData||clientDataHash", &sig));
        assert!(!key.verify(b"authData||clientDataHasH", &sig));
        let round_trip = CoseKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(round_trip, key);
        assert_eq!(round_trip.algorithm(), Some(ALG_EDDSA));
    }

    #[test]
    fn es256_der_signatures_verify() {
        use p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
        let secret = p256::SecretKey::from_slice(&[3u8; 32]).unwrap();
        let key = CoseKey::from_p256(&secret.public_key(), ALG_ES256);
        let sig: DerSignature = SigningKey::from(&secret).sign(b"message");
        assert!(key.verify(b"message", sig.as_bytes()));
        assert!(!key.verify(b"massage", sig.as_bytes()));
        assert!(!key.verify(b"message", &[0x30, 0x00]));
    }

    #[test]
    fn es384_signatures_verify_and_round_trip() {
        use p384::ecdsa::{signature::Signer, DerSignature, SigningKey};
        use p384::elliptic_curve::sec1::ToEncodedPoint;
        let secret = p384::SecretKey::from_slice(&[5u8; 48]).unwrap();
        let point = secret.public_key().to_encoded_point(false);
        let key = CoseKey::P384 {
            alg: ALG_ES384,
            x: point.x().unwrap().as_slice().try_into().unwrap(),
            y: point.y().unwrap().as_slice().try_into().unwrap(),
        };
        let back = CoseKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(back, key);
        assert_eq!(back.algorithm(), Some(ALG_ES384));
        let sig: DerSignature = SigningKey::from(&secret).sign(b"message");
        assert!(key.verify(b"message", sig.as_bytes()));
        assert!(!key.verify(b"massage", sig.as_bytes()));
    }

    #[test]
    fn unknown_keys_are_kept_and_broken_known_keys_refused() {
        let akp = Value::Map(vec![
            (int(1), int(7)),
            (int(3), int(-48)),
            (int(-1), bytes(&[9u8; 40])),
        ]);
        let key = CoseKey::parse(&akp).unwrap();
        assert_eq!(key.algorithm(), Some(-48));
        assert_eq!(key.to_bytes(), super::super::cbor::encode(&akp));
        assert!(!key.verify(b"m", b"s"));
        // A secp256k1 key is checked as any other curve's (HOSTILE-8 F3).
        let k1 = Value::Map(vec![
            (int(1), int(KTY_EC2)),
            (int(3), int(ALG_ES256K)),
            (int(-1), int(CRV_SECP256K1)),
            (int(-2), bytes(&[1; 32])),
            (int(-3), bytes(&[2; 32])),
        ]);
        let err = CoseKey::parse(&k1).unwrap_err().to_string();
        assert!(err.contains("not a point on secp256k1"), "{err}");
        // A tiny RSA modulus is no key an authenticator makes.
        let rsa = Value::Map(vec![
            (int(1), int(3)),
            (int(3), int(ALG_RS256)),
            (int(-1), bytes(&[0xC3; 16])),
            (int(-2), bytes(&[1, 0, 1])),
        ]);
        assert!(CoseKey::parse(&rsa).is_err());
    }

    #[test]
    fn a_known_algorithm_on_another_key_type_is_refused() {
        // ES256K named on a P-256 point: not shown as ES256K, not kept.
        let secret = p256::SecretKey::from_slice(&[3u8; 32]).unwrap();
        let CoseKey::P256 { x, y, .. } = CoseKey::from_p256(&secret.public_key(), ALG_ES256) else {
            unreachable!()
        };
        let wrong = CoseKey::P256 {
            alg: ALG_ES256K,
            x,
            y,
        };
        let err = CoseKey::parse(&wrong.to_value()).unwrap_err().to_string();
        assert!(err.contains("alg (3) is ES256K"), "{err}");
        // The key-agreement algorithm on P-256 is what clientPIN uses.
        let agreement = CoseKey::P256 {
            alg: ALG_ECDH_ES_HKDF_256,
            x,
            y,
        };
        assert_eq!(CoseKey::parse(&agreement.to_value()).unwrap(), agreement);
    }

    #[test]
    fn points_off_the_curve_are_rejected() {
        let bad = CoseKey::P256 {
            alg: ALG_ES256,
            x: [1u8; 32],
            y: [2u8; 32],
        };
        assert!(CoseKey::parse(&bad.to_value()).is_err());
    }

    #[test]
    fn es256k_signatures_verify_and_round_trip() {
        use k256::ecdsa::{signature::Signer, DerSignature, SigningKey};
        use k256::elliptic_curve::sec1::ToEncodedPoint;
        let secret = k256::SecretKey::from_slice(&[6u8; 32]).unwrap();
        let point = secret.public_key().to_encoded_point(false);
        let key = CoseKey::Secp256k1 {
            alg: ALG_ES256K,
            x: point.x().unwrap().as_slice().try_into().unwrap(),
            y: point.y().unwrap().as_slice().try_into().unwrap(),
        };
        let back = CoseKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(back, key);
        let sig: DerSignature = SigningKey::from(&secret).sign(b"message");
        assert!(key.verify(b"message", sig.as_bytes()));
        assert!(!key.verify(b"massage", sig.as_bytes()));
    }

    #[test]
    fn the_algorithm_number_sent_is_kept_and_only_signature_algorithms_verify() {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let x = signing.verifying_key().to_bytes();
        let sig = signing.sign(b"m").to_bytes();
        for alg in [ALG_EDDSA, ALG_ED25519] {
            let key = CoseKey::from_bytes(&CoseKey::Ed25519 { alg, x }.to_bytes()).unwrap();
            assert_eq!(key.algorithm(), Some(alg));
            assert!(key.verify(b"m", &sig));
        }
        // A number glasskey does not know, on a curve it does: kept, verifies nothing.
        let odd = CoseKey::from_bytes(&CoseKey::Ed25519 { alg: -12345, x }.to_bytes()).unwrap();
        assert_eq!(odd.algorithm(), Some(-12345));
        assert!(!odd.verify(b"m", &sig));
    }

    #[test]
    fn a_key_agreement_key_may_leave_out_alg_but_a_credential_key_may_not() {
        let secret = p256::SecretKey::from_slice(&[3u8; 32]).unwrap();
        let Value::Map(entries) = CoseKey::from_p256(&secret.public_key(), ALG_ES256).to_value()
        else {
            unreachable!()
        };
        let no_alg = Value::Map(entries.into_iter().filter(|(k, _)| *k != int(3)).collect());
        assert!(CoseKey::parse_key_agreement(&no_alg).is_ok());
        let err = CoseKey::parse(&no_alg).unwrap_err().to_string();
        assert!(err.contains("alg (3) is missing"), "{err}");
    }
}
