//! glasskey's TEST attestation CA (data/test-ca): never a vendor's, trusted only on request.

pub const KEY: &str = include_str!("../../data/test-ca/attestation-key.hex");
pub const WRONG_AAGUID: &str = include_str!("../../data/test-ca/attestation-wrong-aaguid.pem");
pub const UNTRUSTED: &str = include_str!("../../data/test-ca/attestation-untrusted.pem");

pub fn for_profile(profile: &str) -> Option<&'static str> {
    Some(match profile {
        "yubikey-5.7" => include_str!("../../data/test-ca/attestation-yubikey-5.7.pem"),
        "yubikey-5.4" => include_str!("../../data/test-ca/attestation-yubikey-5.4.pem"),
        "ctap21-pre" => include_str!("../../data/test-ca/attestation-ctap21-pre.pem"),
        "ctap22" => include_str!("../../data/test-ca/attestation-ctap22.pem"),
        "no-rk" => include_str!("../../data/test-ca/attestation-no-rk.pem"),
        _ => return None,
    })
}

/// The TEST attestation for algorithms beyond ES256 (data/test-ca/algorithms): COSE algorithm,
/// signature over `message`, and the leaf certificate's DER. None when the key material in the
/// binary does not load (a build defect, reported to the caller as a device error).
pub fn sign_with(algorithm: Algorithm, message: &[u8]) -> Option<(i64, Vec<u8>, Vec<u8>)> {
    use sha2::Digest;
    let (pem, alg, signature) = match algorithm {
        Algorithm::Es384 => {
            use p384::ecdsa::signature::Signer;
            let key =
                hex::decode(include_str!("../../data/test-ca/algorithms/es384-key.hex").trim())
                    .ok()?;
            let key = p384::ecdsa::SigningKey::from_slice(&key).ok()?;
            let signature: p384::ecdsa::DerSignature = key.sign(message);
            (
                include_str!("../../data/test-ca/algorithms/es384.pem"),
                -35,
                signature.as_bytes().to_vec(),
            )
        }
        Algorithm::EdDsa => {
            use ed25519_dalek::Signer;
            let seed: [u8; 32] =
                hex::decode(include_str!("../../data/test-ca/algorithms/eddsa-key.hex").trim())
                    .ok()?
                    .try_into()
                    .ok()?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            (
                include_str!("../../data/test-ca/algorithms/eddsa.pem"),
                crate::ctap2::cose::ALG_EDDSA,
                key.sign(message).to_bytes().to_vec(),
            )
        }
        Algorithm::Rs256 => {
            let key = rsa_key(include_str!("../../data/test-ca/algorithms/rs256-key.hex"))?;
            let signature = key
                .sign(
                    rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    &sha2::Sha256::digest(message),
                )
                .ok()?;
            (
                include_str!("../../data/test-ca/algorithms/rs256.pem"),
                -257,
                signature,
            )
        }
        Algorithm::Es512 => {
            use p521::ecdsa::signature::Signer;
            let key =
                hex::decode(include_str!("../../data/test-ca/algorithms/es512-key.hex").trim())
                    .ok()?;
            let key = p521::ecdsa::SigningKey::from_slice(&key).ok()?;
            let signature: p521::ecdsa::Signature = key.sign(message);
            (
                include_str!("../../data/test-ca/algorithms/es512.pem"),
                -36,
                signature.to_der().as_bytes().to_vec(),
            )
        }
        Algorithm::Ps256 => {
            // RFC 8230: PS256 is RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
            let key = rsa_key(include_str!("../../data/test-ca/algorithms/ps256-key.hex"))?;
            let signature = key
                .sign_with_rng(
                    &mut rand::thread_rng(),
                    rsa::Pss::new_with_salt::<sha2::Sha256>(32),
                    &sha2::Sha256::digest(message),
                )
                .ok()?;
            (
                include_str!("../../data/test-ca/algorithms/ps256.pem"),
                -37,
                signature,
            )
        }
    };
    let certificate = crate::attestation::x509::Cert::from_pem(pem).ok()?;
    Some((alg, signature, certificate.der))
}

/// A PKCS#1 RSA private key given as hex DER.
fn rsa_key(hex_der: &str) -> Option<rsa::RsaPrivateKey> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    rsa::RsaPrivateKey::from_pkcs1_der(&hex::decode(hex_der.trim()).ok()?).ok()
}

/// Attestation algorithms beyond ES256 that a virtual key can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Es384,
    EdDsa,
    Rs256,
    Es512,
    Ps256,
}
