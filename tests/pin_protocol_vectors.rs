//! PIN/UV auth protocols 1 and 2 with a fixed ephemeral key against the key-agreement key of a
//! real authenticator (shared/vectors/clientpin_keyagreement.hex). Expected values were computed
//! independently with Python's `cryptography` package (OpenSSL), not with glasskey's code.
#![allow(clippy::unwrap_used)]

use glasskey::ctap2::cose::{CoseKey, ALG_ECDH_ES_HKDF_256};
use glasskey::ctap2::pin_protocol::{
    encapsulate_with, pin_hash_left16, PinUvAuthProtocol, ProtocolOne, ProtocolTwo,
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn peer() -> CoseKey {
    CoseKey::P256 {
        alg: ALG_ECDH_ES_HKDF_256,
        x: h("2ab82d3669ab309de35e9bfb94fc1d9295af0147fe4b87e5cf3f050b39da1749")
            .try_into()
            .unwrap(),
        y: h("151bbe0878604d3c3ff160a6d8f8edce4a305d1aaf80c40ad26f77381297aabd")
            .try_into()
            .unwrap(),
    }
}

fn ephemeral() -> p256::SecretKey {
    p256::SecretKey::from_slice(&(1..=32).collect::<Vec<u8>>()).unwrap()
}

#[test]
fn platform_key_is_the_fixed_ephemeral_public_key() {
    let e = encapsulate_with(&ProtocolOne, &peer(), &ephemeral()).unwrap();
    let CoseKey::P256 { alg, x, y } = e.platform_key else {
        unreachable!()
    };
    assert_eq!(alg, ALG_ECDH_ES_HKDF_256);
    assert_eq!(
        x.to_vec(),
        h("515c3d6eb9e396b904d3feca7f54fdcd0cc1e997bf375dca515ad0a6c3b4035f")
    );
    assert_eq!(
        y.to_vec(),
        h("4536be3a50f318fbf9a5475902a221502bef0d57e08c53b2cc0a56f17d9f9354")
    );
}

#[test]
fn protocol_one_vectors() {
    let e = encapsulate_with(&ProtocolOne, &peer(), &ephemeral()).unwrap();
    assert_eq!(
        e.shared_secret.to_vec(),
        h("d02c666995d0a9418e74d2c4148f7ad1f1af37eea679b6fe2b2cbeba9c9f4d29")
    );
    let enc = ProtocolOne
        .encrypt(&e.shared_secret, pin_hash_left16(b"123456").as_slice())
        .unwrap();
    assert_eq!(enc, h("f66431542f7c18d19515aa087f62f8d6"));
    assert_eq!(
        ProtocolOne.authenticate(&e.shared_secret, &enc),
        h("06dfb5e08c1389a3a581cb6b4a0ec2fa")
    );
    assert_eq!(
        ProtocolOne
            .decrypt(&e.shared_secret, &enc)
            .unwrap()
            .to_vec(),
        pin_hash_left16(b"123456").to_vec()
    );
}

#[test]
fn protocol_two_vectors() {
    let e = encapsulate_with(&ProtocolTwo, &peer(), &ephemeral()).unwrap();
    assert_eq!(
        e.shared_secret.to_vec(),
        h("459ce0d707c97ad978290d161f84e61b7a9f93331b50ede87016b7c2246ee13cf82f7d396b7fa03d697bdadf1d2d26a3fde565285f7935bce1bd96615b37b272")
    );
    let iv: [u8; 16] = (16..32).collect::<Vec<u8>>().try_into().unwrap();
    let enc = ProtocolTwo
        .encrypt_with_iv(
            &e.shared_secret,
            pin_hash_left16(b"123456").as_slice(),
            Some(iv),
        )
        .unwrap();
    assert_eq!(
        enc,
        h("101112131415161718191a1b1c1d1e1f0c6bcf79625c5e3912a471cc7b07b595")
    );
    assert_eq!(
        ProtocolTwo.authenticate(&e.shared_secret, &enc),
        h("ba77612080bbbbe186d9104b08e3fb1d809bfeac90914a26524ca64e764ba4e6")
    );
    assert_eq!(
        ProtocolTwo
            .decrypt(&e.shared_secret, &enc)
            .unwrap()
            .to_vec(),
        pin_hash_left16(b"123456").to_vec()
    );
}

#[test]
fn protocol_two_draws_a_fresh_iv() {
    let e = encapsulate_with(&ProtocolTwo, &peer(), &ephemeral()).unwrap();
    let a = ProtocolTwo.encrypt(&e.shared_secret, &[0u8; 16]).unwrap();
    let b = ProtocolTwo.encrypt(&e.shared_secret, &[0u8; 16]).unwrap();
    assert_ne!(a[..16], b[..16]);
}
