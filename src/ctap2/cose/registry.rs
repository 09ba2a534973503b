//! The COSE registry numbers glasskey knows (IANA COSE Algorithms, Key Types and Elliptic
//! Curves), the key shape each algorithm requires, and the names shown for them.

use super::super::cbor::Fields;
use super::super::Ctap2Error;
use super::{
    ALG_ECDH_ES_HKDF_256, ALG_EDDSA, ALG_ES256, ALG_ES384, ALG_ES512, ALG_PS256, ALG_RS256,
};

pub(super) const ALG_ES256K: i64 = -47;
/// The fully-specified algorithms of RFC 9864: the curve is in the number.
pub(super) const ALG_ESP256: i64 = -9;
pub(super) const ALG_ESP384: i64 = -51;
pub(super) const ALG_ESP512: i64 = -52;
pub(super) const ALG_ED25519: i64 = -19;
pub(super) const ALG_ED448: i64 = -53;
pub(super) const ALG_ML_DSA_44: i64 = -48;
pub(super) const ALG_ML_DSA_65: i64 = -49;
pub(super) const ALG_ML_DSA_87: i64 = -50;
pub(super) const ALG_RS1: i64 = -65535;

pub(super) const KTY_OKP: i64 = 1;
pub(super) const KTY_EC2: i64 = 2;
pub(super) const KTY_RSA: i64 = 3;
/// Algorithm Key Pair (ML-DSA).
pub(super) const KTY_AKP: i64 = 7;
pub(super) const CRV_P256: i64 = 1;
pub(super) const CRV_P384: i64 = 2;
pub(super) const CRV_P521: i64 = 3;
pub(super) const CRV_ED25519: i64 = 6;
pub(super) const CRV_ED448: i64 = 7;
pub(super) const CRV_SECP256K1: i64 = 8;
/// An Ed448 public key is 57 bytes (RFC 8032 §5.2.5).
pub(super) const ED448_KEY_BYTES: usize = 57;

/// The key type (and curve) each algorithm glasskey names must come with (WebAuthn §5.8.5:
/// e.g. ES256 keys MUST be on P-256), so a key never shows under an algorithm it is not of.
pub(super) fn required_shape(alg: i64) -> Option<(i64, Option<i64>)> {
    Some(match alg {
        ALG_ES256 | ALG_ESP256 | ALG_ECDH_ES_HKDF_256 => (KTY_EC2, Some(CRV_P256)),
        ALG_ES384 | ALG_ESP384 => (KTY_EC2, Some(CRV_P384)),
        ALG_ES512 | ALG_ESP512 => (KTY_EC2, Some(CRV_P521)),
        ALG_ES256K => (KTY_EC2, Some(CRV_SECP256K1)),
        ALG_ED25519 => (KTY_OKP, Some(CRV_ED25519)),
        ALG_ED448 => (KTY_OKP, Some(CRV_ED448)),
        ALG_RS256 | ALG_PS256 | ALG_RS1 => (KTY_RSA, None),
        ALG_ML_DSA_44 | ALG_ML_DSA_65 | ALG_ML_DSA_87 => (KTY_AKP, None),
        _ => return None,
    })
}

pub(super) fn curve_name(crv: i64) -> &'static str {
    match crv {
        CRV_P256 => "P-256",
        CRV_P384 => "P-384",
        CRV_P521 => "P-521",
        CRV_ED25519 => "Ed25519",
        CRV_ED448 => "Ed448",
        CRV_SECP256K1 => "secp256k1",
        _ => "a curve glasskey does not know",
    }
}

pub(super) fn check_shape(alg: i64, kty: i64, crv: Option<i64>) -> Result<(), Ctap2Error> {
    // EdDSA (-8) names no curve: Ed25519 and Ed448 are both its (RFC 9053 §2.2).
    if alg == ALG_EDDSA && kty == KTY_OKP && matches!(crv, Some(CRV_ED25519 | CRV_ED448)) {
        return Ok(());
    }
    let Some((want_kty, want_crv)) =
        required_shape(alg).or_else(|| (alg == ALG_EDDSA).then_some((KTY_OKP, Some(CRV_ED25519))))
    else {
        return Ok(());
    };
    if kty == want_kty && (want_crv.is_none() || crv == want_crv) {
        return Ok(());
    }
    let shape = |kty: i64, crv: Option<i64>| {
        let kty_name = match kty {
            KTY_OKP => "an OKP key",
            KTY_EC2 => "an EC2 key",
            KTY_RSA => "an RSA key",
            KTY_AKP => "an AKP key",
            _ => "a key",
        };
        match crv {
            Some(crv) => format!("{kty_name} (kty {kty}) on {} (crv {crv})", curve_name(crv)),
            None => format!("{kty_name} (kty {kty})"),
        }
    };
    Err(Ctap2Error::Protocol(format!(
        "alg (3) is {}, which needs {}, but the key is {}",
        algorithm_label(alg),
        shape(want_kty, want_crv),
        shape(kty, crv)
    )))
}

/// The labels under which each key type keeps its private part (RFC 9053 §7.1-7.2, RFC 8230
/// §4, and AKP's `priv`): a public key carrying one is no genuine key's reply.
pub(super) fn check_no_private_part(f: &Fields<'_>, kty: i64) -> Result<(), Ctap2Error> {
    let private: &[i64] = match kty {
        KTY_EC2 | KTY_OKP => &[-4],
        KTY_RSA => &[-3, -4, -5, -6, -7, -8, -9, -10, -11, -12],
        KTY_AKP => &[-2],
        _ => &[],
    };
    match private.iter().find(|label| f.get(**label).is_some()) {
        Some(label) => Err(Ctap2Error::Protocol(format!(
            "the key disclosed a private key (label {label} of a kty {kty} key)"
        ))),
        None => Ok(()),
    }
}

pub(super) const ED448_EDDSA_NAME: &str = "EdDSA (Ed448; only the key's length is checked)";

/// The name of a COSE algorithm glasskey knows (IANA COSE Algorithms registry).
pub fn known_algorithm_name(alg: i64) -> Option<&'static str> {
    Some(match alg {
        ALG_ES256 => "ES256 (ECDSA P-256 SHA-256)",
        ALG_EDDSA => "EdDSA (Ed25519)",
        ALG_ES384 => "ES384 (ECDSA P-384 SHA-384)",
        ALG_ES512 => "ES512 (ECDSA P-521 SHA-512)",
        ALG_RS256 => "RS256 (RSA PKCS#1 v1.5 SHA-256)",
        ALG_PS256 => "PS256 (RSA PSS SHA-256)",
        ALG_ES256K => "ES256K (ECDSA secp256k1)",
        ALG_ED25519 => "Ed25519",
        ALG_ED448 => "Ed448",
        ALG_ESP256 => "ESP256 (ECDSA P-256 SHA-256)",
        ALG_ESP384 => "ESP384 (ECDSA P-384 SHA-384)",
        ALG_ESP512 => "ESP512 (ECDSA P-521 SHA-512)",
        ALG_ML_DSA_44 => "ML-DSA-44",
        ALG_ML_DSA_65 => "ML-DSA-65",
        ALG_ML_DSA_87 => "ML-DSA-87",
        ALG_RS1 => "RS1 (RSA PKCS#1 v1.5 SHA-1)",
        ALG_ECDH_ES_HKDF_256 => "ECDH-ES+HKDF-256",
        _ => return None,
    })
}

/// A COSE algorithm's name for display; an unknown one keeps the number the key sent, so an
/// admin can look it up in the IANA registry.
pub fn algorithm_name(alg: i64) -> String {
    known_algorithm_name(alg).map_or_else(
        || format!("COSE algorithm {alg} (unknown to glasskey)"),
        str::to_owned,
    )
}

/// Name and number together, e.g. "ES384 (ECDSA P-384 SHA-384) [-35]".
pub fn algorithm_label(alg: i64) -> String {
    match known_algorithm_name(alg) {
        Some(name) => format!("{name} [{alg}]"),
        None => algorithm_name(alg),
    }
}
