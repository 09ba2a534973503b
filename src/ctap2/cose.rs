//! COSE public keys (RFC 9053) as CTAP2 uses them, and signature verification with them.

use p256::ecdsa::signature::Verifier;

use super::cbor::{bytes, int, Fields, Value};
use super::Ctap2Error;

pub const ALG_ES256: i64 = -7;
pub const ALG_EDDSA: i64 = -8;
/// ECDH-ES + HKDF-256: the algorithm id keys put on their key-agreement key.
pub const ALG_ECDH_ES_HKDF_256: i64 = -25;

const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;

#[derive(Clone, PartialEq, Eq)]
pub enum CoseKey {
    /// P-256 point; `alg` is -7 for signatures or -25 for key agreement.
    P256 {
        alg: i64,
        x: [u8; 32],
        y: [u8; 32],
    },
    Ed25519 {
        x: [u8; 32],
    },
}

impl std::fmt::Debug for CoseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoseKey::P256 { alg, x, .. } => write!(f, "P256(alg {alg}, x {})", hex::encode(x)),
            CoseKey::Ed25519 { x } => write!(f, "Ed25519({})", hex::encode(x)),
        }
    }
}

fn coord(f: &Fields<'_>, key: i64) -> Result<[u8; 32], Ctap2Error> {
    let b = f.bytes(key)?.ok_or_else(|| f.missing(key))?;
    b.try_into().map_err(|_| {
        Ctap2Error::Protocol(format!(
            "COSE key coordinate {key} is {} bytes, expected 32",
            b.len()
        ))
    })
}

impl CoseKey {
    pub fn parse(value: &Value) -> Result<Self, Ctap2Error> {
        let f = Fields::new(value, "COSE key")?;
        let kty = f.int(1)?.ok_or_else(|| f.missing(1))?;
        let alg = f.int(3)?;
        let crv = f.int(-1)?;
        match (kty, crv) {
            (KTY_EC2, Some(CRV_P256)) => {
                let key = CoseKey::P256 {
                    alg: alg.unwrap_or(ALG_ES256),
                    x: coord(&f, -2)?,
                    y: coord(&f, -3)?,
                };
                // Reject points that are not on the curve now, not at first use.
                key.p256_point()?;
                Ok(key)
            }
            (KTY_OKP, Some(CRV_ED25519)) => Ok(CoseKey::Ed25519 { x: coord(&f, -2)? }),
            _ => Err(Ctap2Error::Protocol(format!(
                "unsupported COSE key type {kty} curve {}",
                crv.map_or("none".into(), |c| c.to_string())
            ))),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            CoseKey::P256 { alg, x, y } => Value::Map(vec![
                (int(1), int(KTY_EC2)),
                (int(3), int(*alg)),
                (int(-1), int(CRV_P256)),
                (int(-2), bytes(x)),
                (int(-3), bytes(y)),
            ]),
            CoseKey::Ed25519 { x } => Value::Map(vec![
                (int(1), int(KTY_OKP)),
                (int(3), int(ALG_EDDSA)),
                (int(-1), int(CRV_ED25519)),
                (int(-2), bytes(x)),
            ]),
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
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        p256::PublicKey::from_sec1_bytes(&sec1)
            .map_err(|_| Ctap2Error::Protocol("the key's P-256 point is not on the curve".into()))
    }

    pub fn algorithm(&self) -> i64 {
        match self {
            CoseKey::P256 { alg, .. } => *alg,
            CoseKey::Ed25519 { .. } => ALG_EDDSA,
        }
    }

    /// Canonical CBOR bytes, used for fingerprints and storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        super::cbor::encode(&self.to_value())
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, Ctap2Error> {
        Self::parse(&super::cbor::decode(b)?)
    }

    /// Verifies a WebAuthn signature: ES256 is DER-encoded ECDSA over SHA-256, EdDSA is raw.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
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
            CoseKey::Ed25519 { x } => {
                let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(x) else {
                    return false;
                };
                let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
                    return false;
                };
                key.verify_strict(message, &sig).is_ok()
            }
        }
    }
}

/// Parses a COSE algorithm number to a name for display.
pub fn algorithm_name(alg: i64) -> &'static str {
    match alg {
        ALG_ES256 => "ES256 (ECDSA P-256 SHA-256)",
        ALG_EDDSA => "EdDSA (Ed25519)",
        -35 => "ES384 (ECDSA P-384 SHA-384)",
        -36 => "ES512 (ECDSA P-521 SHA-512)",
        -257 => "RS256 (RSA PKCS#1 v1.5 SHA-256)",
        -47 => "ES256K (ECDSA secp256k1)",
        ALG_ECDH_ES_HKDF_256 => "ECDH-ES+HKDF-256",
        _ => "unknown algorithm",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    #[test]
    fn eddsa_signatures_verify_and_tampering_fails() {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let key = CoseKey::Ed25519 {
            x: signing.verifying_key().to_bytes(),
        };
        let sig = signing.sign(b"authData||clientDataHash").to_bytes();
        assert!(key.verify(b"authData||clientDataHash", &sig));
        assert!(!key.verify(b"authData||clientDataHasH", &sig));
        let round_trip = CoseKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(round_trip, key);
        assert_eq!(round_trip.algorithm(), ALG_EDDSA);
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
    fn points_off_the_curve_are_rejected() {
        let bad = CoseKey::P256 {
            alg: ALG_ES256,
            x: [1u8; 32],
            y: [2u8; 32],
        };
        assert!(CoseKey::parse(&bad.to_value()).is_err());
    }
}
