//! Signature algorithms for rustls-webpki, implemented with the RustCrypto crates glasskey
//! already uses. webpki's own backends (ring, aws-lc-rs) need a C toolchain, and ring cannot
//! verify P-521, which a bundled Feitian root uses; these keep the build pure Rust.
//!
//! Each algorithm is a (public key type, signature algorithm) pair, as webpki matches them
//! against a certificate's subjectPublicKeyInfo and signatureAlgorithm.

use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature};
use rustls_pki_types::{
    SignatureVerificationAlgorithm as Algorithm, SignatureVerificationAlgorithm,
};
use sha2::{Sha256, Sha384, Sha512};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
    P521,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug)]
struct Ecdsa(Curve, Hash);

fn digest(hash: Hash, message: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    match hash {
        Hash::Sha256 => Sha256::digest(message).to_vec(),
        Hash::Sha384 => Sha384::digest(message).to_vec(),
        Hash::Sha512 => Sha512::digest(message).to_vec(),
    }
}

/// ECDSA over a prehash, so that a curve can be paired with any hash (CAs mix them).
macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $message:expr, $signature:expr, $hash:expr) => {{
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        match (
            $curve::ecdsa::VerifyingKey::from_sec1_bytes($key),
            $curve::ecdsa::Signature::from_der($signature),
        ) {
            (Ok(key), Ok(signature)) => key
                .verify_prehash(&digest($hash, $message), &signature)
                .is_ok(),
            _ => false,
        }
    }};
}

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let ok = match self.0 {
            Curve::P256 => ecdsa_verify!(p256, public_key, message, signature, self.1),
            Curve::P384 => ecdsa_verify!(p384, public_key, message, signature, self.1),
            Curve::P521 => ecdsa_verify!(p521, public_key, message, signature, self.1),
        };
        ok.then_some(()).ok_or(InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.0 {
            Curve::P256 => alg_id::ECDSA_P256,
            Curve::P384 => alg_id::ECDSA_P384,
            Curve::P521 => alg_id::ECDSA_P521,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match self.1 {
            Hash::Sha256 => alg_id::ECDSA_SHA256,
            Hash::Sha384 => alg_id::ECDSA_SHA384,
            Hash::Sha512 => alg_id::ECDSA_SHA512,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Padding {
    Pkcs1,
    Pkcs1Bare,
    Pss,
}

/// RSA; `Pkcs1Bare` is PKCS#1 v1.5 under an identifier that omits the NULL parameters, as some
/// vendor certificates (a bundled Yubico intermediate) encode it.
#[derive(Debug)]
struct Rsa(Padding, Hash);

/// sha{256,384,512}WithRSAEncryption without NULL parameters (OID only).
const RSA_PKCS1_SHA256_BARE: AlgorithmIdentifier =
    AlgorithmIdentifier::from_slice(&[6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 11]);
const RSA_PKCS1_SHA384_BARE: AlgorithmIdentifier =
    AlgorithmIdentifier::from_slice(&[6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 12]);
const RSA_PKCS1_SHA512_BARE: AlgorithmIdentifier =
    AlgorithmIdentifier::from_slice(&[6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 13]);

/// Keys below this size are refused, as webpki's own backends do.
const RSA_MIN_BITS: usize = 2048;

impl SignatureVerificationAlgorithm for Rsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPublicKey::from_pkcs1_der(public_key).map_err(|_| InvalidSignature)?;
        if key.n().bits() < RSA_MIN_BITS {
            return Err(InvalidSignature);
        }
        let digest = digest(self.1, message);
        // The PSS identifiers webpki matches fix the salt length to the hash length.
        let result = match (self.0, self.1) {
            (Padding::Pkcs1 | Padding::Pkcs1Bare, Hash::Sha256) => {
                key.verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
            }
            (Padding::Pkcs1 | Padding::Pkcs1Bare, Hash::Sha384) => {
                key.verify(rsa::Pkcs1v15Sign::new::<Sha384>(), &digest, signature)
            }
            (Padding::Pkcs1 | Padding::Pkcs1Bare, Hash::Sha512) => {
                key.verify(rsa::Pkcs1v15Sign::new::<Sha512>(), &digest, signature)
            }
            (Padding::Pss, Hash::Sha256) => {
                key.verify(rsa::Pss::new_with_salt::<Sha256>(32), &digest, signature)
            }
            (Padding::Pss, Hash::Sha384) => {
                key.verify(rsa::Pss::new_with_salt::<Sha384>(48), &digest, signature)
            }
            (Padding::Pss, Hash::Sha512) => {
                key.verify(rsa::Pss::new_with_salt::<Sha512>(64), &digest, signature)
            }
        };
        result.map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        match (self.0, self.1) {
            (Padding::Pkcs1, Hash::Sha256) => alg_id::RSA_PKCS1_SHA256,
            (Padding::Pkcs1, Hash::Sha384) => alg_id::RSA_PKCS1_SHA384,
            (Padding::Pkcs1, Hash::Sha512) => alg_id::RSA_PKCS1_SHA512,
            (Padding::Pss, Hash::Sha256) => alg_id::RSA_PSS_SHA256,
            (Padding::Pss, Hash::Sha384) => alg_id::RSA_PSS_SHA384,
            (Padding::Pss, Hash::Sha512) => alg_id::RSA_PSS_SHA512,
            (Padding::Pkcs1Bare, Hash::Sha256) => RSA_PKCS1_SHA256_BARE,
            (Padding::Pkcs1Bare, Hash::Sha384) => RSA_PKCS1_SHA384_BARE,
            (Padding::Pkcs1Bare, Hash::Sha512) => RSA_PKCS1_SHA512_BARE,
        }
    }
}

#[derive(Debug)]
struct Ed25519;

impl SignatureVerificationAlgorithm for Ed25519 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key: [u8; 32] = public_key.try_into().map_err(|_| InvalidSignature)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| InvalidSignature)?;
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| InvalidSignature)?;
        key.verify_strict(message, &signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ED25519
    }
}

/// ECDSA on P-256 with SHA-256: the only algorithm FIDO U2F attestation allows.
pub static ES256_P256: &dyn Algorithm = &Ecdsa(Curve::P256, Hash::Sha256);

/// Every algorithm glasskey accepts in a certificate chain.
pub static ALL: &[&dyn Algorithm] = &[
    &Ecdsa(Curve::P256, Hash::Sha256),
    &Ecdsa(Curve::P256, Hash::Sha384),
    &Ecdsa(Curve::P256, Hash::Sha512),
    &Ecdsa(Curve::P384, Hash::Sha256),
    &Ecdsa(Curve::P384, Hash::Sha384),
    &Ecdsa(Curve::P384, Hash::Sha512),
    &Ecdsa(Curve::P521, Hash::Sha256),
    &Ecdsa(Curve::P521, Hash::Sha384),
    &Ecdsa(Curve::P521, Hash::Sha512),
    &Rsa(Padding::Pkcs1, Hash::Sha256),
    &Rsa(Padding::Pkcs1, Hash::Sha384),
    &Rsa(Padding::Pkcs1, Hash::Sha512),
    &Rsa(Padding::Pkcs1Bare, Hash::Sha256),
    &Rsa(Padding::Pkcs1Bare, Hash::Sha384),
    &Rsa(Padding::Pkcs1Bare, Hash::Sha512),
    &Rsa(Padding::Pss, Hash::Sha256),
    &Rsa(Padding::Pss, Hash::Sha384),
    &Rsa(Padding::Pss, Hash::Sha512),
    &Ed25519,
];

/// The algorithms a COSE algorithm number names (an attestation statement's `alg`); ECDSA
/// lists every curve because the key, not `alg`, fixes it (ES256 is P-256 in practice, but
/// WebAuthn only binds the hash).
pub fn for_cose(alg: i64) -> &'static [&'static dyn Algorithm] {
    match alg {
        -7 => &[
            &Ecdsa(Curve::P256, Hash::Sha256),
            &Ecdsa(Curve::P384, Hash::Sha256),
            &Ecdsa(Curve::P521, Hash::Sha256),
        ],
        -35 => &[
            &Ecdsa(Curve::P384, Hash::Sha384),
            &Ecdsa(Curve::P256, Hash::Sha384),
            &Ecdsa(Curve::P521, Hash::Sha384),
        ],
        -36 => &[
            &Ecdsa(Curve::P521, Hash::Sha512),
            &Ecdsa(Curve::P256, Hash::Sha512),
            &Ecdsa(Curve::P384, Hash::Sha512),
        ],
        -8 => &[&Ed25519],
        -257 => &[&Rsa(Padding::Pkcs1, Hash::Sha256)],
        -258 => &[&Rsa(Padding::Pkcs1, Hash::Sha384)],
        -259 => &[&Rsa(Padding::Pkcs1, Hash::Sha512)],
        -37 => &[&Rsa(Padding::Pss, Hash::Sha256)],
        -38 => &[&Rsa(Padding::Pss, Hash::Sha384)],
        -39 => &[&Rsa(Padding::Pss, Hash::Sha512)],
        _ => &[],
    }
}

/// The COSE name of an algorithm number, for messages.
pub fn cose_name(alg: i64) -> String {
    match alg {
        -7 => "ES256".into(),
        -35 => "ES384".into(),
        -36 => "ES512".into(),
        -8 => "EdDSA".into(),
        -257 => "RS256".into(),
        -258 => "RS384".into(),
        -259 => "RS512".into(),
        -37 => "PS256".into(),
        -38 => "PS384".into(),
        -39 => "PS512".into(),
        other => format!("COSE algorithm {other}"),
    }
}
