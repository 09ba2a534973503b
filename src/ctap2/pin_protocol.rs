//! PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6, §6.5.7): one trait, two implementations.
//! The same code serves the client and glasskey's virtual key.

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::cose::{CoseKey, ALG_ECDH_ES_HKDF_256};
use super::wiped_hash::{hkdf_zeroizing, sha256_zeroizing};
use super::Ctap2Error;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

pub trait PinUvAuthProtocol: Send + Sync {
    /// 1 or 2, as sent in pinUvAuthProtocol.
    fn version(&self) -> u8;

    /// Derives the shared secret from the ECDH x-coordinate Z.
    fn kdf(&self, z: &[u8; 32]) -> Zeroizing<Vec<u8>>;

    /// Encrypts a multiple of 16 bytes. Protocol 2 draws a random IV unless `iv` is given
    /// (tests pin it); protocol 1 always uses a zero IV.
    fn encrypt_with_iv(
        &self,
        key: &[u8],
        plaintext: &[u8],
        iv: Option<[u8; 16]>,
    ) -> Result<Vec<u8>, Ctap2Error>;

    fn decrypt(&self, key: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Ctap2Error>;

    /// HMAC-SHA-256, truncated to 16 bytes in protocol 1.
    fn authenticate(&self, key: &[u8], message: &[u8]) -> Vec<u8>;

    fn encrypt(&self, key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Ctap2Error> {
        self.encrypt_with_iv(key, plaintext, None)
    }

    /// Checks a pinUvAuthParam in constant time.
    fn verify(&self, key: &[u8], message: &[u8], param: &[u8]) -> bool {
        use subtle_eq::ct_eq;
        ct_eq(&self.authenticate(key, message), param)
    }
}

mod subtle_eq {
    /// Constant-time comparison; lengths are public.
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

pub fn protocol(version: u8) -> Option<Box<dyn PinUvAuthProtocol>> {
    match version {
        1 => Some(Box::new(ProtocolOne)),
        2 => Some(Box::new(ProtocolTwo)),
        _ => None,
    }
}

pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; 32],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub(crate) fn cbc_encrypt(
    key: &[u8],
    iv: &[u8; 16],
    plaintext: &[u8],
) -> Result<Vec<u8>, Ctap2Error> {
    if plaintext.len() % 16 != 0 {
        return Err(Ctap2Error::Crypto(
            "plaintext is not a multiple of the AES block size".into(),
        ));
    }
    let cipher = Aes256CbcEnc::new_from_slices(key, iv)
        .map_err(|_| Ctap2Error::Crypto("AES key must be 32 bytes".into()))?;
    Ok(cipher.encrypt_padded_vec_mut::<NoPadding>(plaintext))
}

pub(crate) fn cbc_decrypt(
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Ctap2Error> {
    if ciphertext.len() % 16 != 0 {
        return Err(Ctap2Error::Crypto(
            "ciphertext is not a multiple of the AES block size".into(),
        ));
    }
    let cipher = Aes256CbcDec::new_from_slices(key, iv)
        .map_err(|_| Ctap2Error::Crypto("AES key must be 32 bytes".into()))?;
    cipher
        .decrypt_padded_vec_mut::<NoPadding>(ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| Ctap2Error::Crypto("AES-CBC decryption failed".into()))
}

pub struct ProtocolOne;

impl PinUvAuthProtocol for ProtocolOne {
    fn version(&self) -> u8 {
        1
    }

    fn kdf(&self, z: &[u8; 32]) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(sha256_zeroizing(z).to_vec())
    }

    fn encrypt_with_iv(
        &self,
        key: &[u8],
        plaintext: &[u8],
        _iv: Option<[u8; 16]>,
    ) -> Result<Vec<u8>, Ctap2Error> {
        cbc_encrypt(key, &[0u8; 16], plaintext)
    }

    fn decrypt(&self, key: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Ctap2Error> {
        cbc_decrypt(key, &[0u8; 16], ciphertext)
    }

    fn authenticate(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
        hmac_sha256(key, message)[..16].to_vec()
    }
}

pub struct ProtocolTwo;

impl ProtocolTwo {
    /// The shared secret is HMAC key (32) followed by AES key (32).
    fn aes_key(key: &[u8]) -> &[u8] {
        if key.len() == 64 {
            &key[32..]
        } else {
            key
        }
    }
}

impl PinUvAuthProtocol for ProtocolTwo {
    fn version(&self) -> u8 {
        2
    }

    fn kdf(&self, z: &[u8; 32]) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(vec![0u8; 64]);
        let (hmac_key, aes_key) = out.split_at_mut(32);
        hkdf_zeroizing(
            z,
            &mut [(b"CTAP2 HMAC key", hmac_key), (b"CTAP2 AES key", aes_key)],
        );
        out
    }

    fn encrypt_with_iv(
        &self,
        key: &[u8],
        plaintext: &[u8],
        iv: Option<[u8; 16]>,
    ) -> Result<Vec<u8>, Ctap2Error> {
        let iv = iv.unwrap_or_else(|| {
            let mut iv = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut iv);
            iv
        });
        let mut out = iv.to_vec();
        out.extend(cbc_encrypt(Self::aes_key(key), &iv, plaintext)?);
        Ok(out)
    }

    fn decrypt(&self, key: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Ctap2Error> {
        if ciphertext.len() < 16 {
            return Err(Ctap2Error::Crypto("ciphertext shorter than its IV".into()));
        }
        let (iv, body) = ciphertext.split_at(16);
        cbc_decrypt(Self::aes_key(key), iv, body)
    }

    fn authenticate(&self, key: &[u8], message: &[u8]) -> Vec<u8> {
        // For the shared secret this selects its HMAC half; a token is exactly 32 bytes.
        let key = &key[..key.len().min(32)];
        hmac_sha256(key, message).to_vec()
    }
}

/// Result of the platform's half of the key agreement.
pub struct Encapsulation {
    /// Our ephemeral public key, sent as keyAgreement.
    pub platform_key: CoseKey,
    pub shared_secret: Zeroizing<Vec<u8>>,
}

/// ECDH with the key's key-agreement key and an ephemeral key of ours.
pub fn encapsulate(
    protocol: &dyn PinUvAuthProtocol,
    peer: &CoseKey,
) -> Result<Encapsulation, Ctap2Error> {
    let ephemeral = p256::SecretKey::random(&mut rand::thread_rng());
    encapsulate_with(protocol, peer, &ephemeral)
}

/// `encapsulate` with a given ephemeral key, for deterministic tests.
pub fn encapsulate_with(
    protocol: &dyn PinUvAuthProtocol,
    peer: &CoseKey,
    ephemeral: &p256::SecretKey,
) -> Result<Encapsulation, Ctap2Error> {
    let z = ecdh_x(ephemeral, peer)?;
    Ok(Encapsulation {
        platform_key: CoseKey::from_p256(&ephemeral.public_key(), ALG_ECDH_ES_HKDF_256),
        shared_secret: protocol.kdf(&z),
    })
}

/// The x-coordinate of the ECDH shared point.
pub fn ecdh_x(secret: &p256::SecretKey, peer: &CoseKey) -> Result<Zeroizing<[u8; 32]>, Ctap2Error> {
    let point = peer.p256_point()?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), point.as_affine());
    let mut z = Zeroizing::new([0u8; 32]);
    z.copy_from_slice(shared.raw_secret_bytes().as_slice());
    Ok(z)
}

/// LEFT(SHA-256(PIN), 16), as setPIN, changePIN and getPinToken send it encrypted.
pub fn pin_hash_left16(pin: &[u8]) -> Zeroizing<[u8; 16]> {
    let digest = sha256_zeroizing(pin);
    let mut out = Zeroizing::new([0u8; 16]);
    out.copy_from_slice(&digest[..16]);
    out
}

/// The new PIN padded with zeros to 64 bytes, as setPIN and changePIN encrypt it.
pub fn pad_pin(pin: &[u8]) -> Result<Zeroizing<Vec<u8>>, Ctap2Error> {
    if pin.len() > 63 {
        return Err(Ctap2Error::PinLength);
    }
    let mut padded = Zeroizing::new(vec![0u8; 64]);
    padded[..pin.len()].copy_from_slice(pin);
    Ok(padded)
}
