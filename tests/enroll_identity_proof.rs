//! `enroll` records only an identity credential that is the ES256 key it asked for and that the
//! key has proved once (hostile-8 F4): a key answering with another algorithm, an impossible key
//! or a key it cannot sign with is refused (exit 3) with the inventory unchanged byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use std::path::Path;

use glasskey::ctap2::cbor::{self, bytes, int, Value};
use scripted::{
    authenticator, cose_ec2, cose_okp, empty_inventory, enroll, ok_reply, Action, Received,
    ScriptedKey,
};

const IDENTITY_RP: &str = "glasskey.invalid";

/// The RP ID a makeCredential or getAssertion request names.
fn rp_of(request: &Received) -> Option<String> {
    match request.ctap_command()? {
        0x01 => match request.field(0x02)? {
            Value::Map(entries) => entries.iter().find_map(|(k, v)| {
                (k.as_text() == Some("id"))
                    .then(|| v.as_text().map(str::to_owned))
                    .flatten()
            }),
            _ => None,
        },
        0x02 => request.field(0x01)?.as_text().map(str::to_owned),
        _ => None,
    }
}

fn is_identity(request: &Received, command: u8) -> bool {
    request.ctap_command() == Some(command) && rp_of(request).as_deref() == Some(IDENTITY_RP)
}

/// Replaces the credential public key in a makeCredential reply's authData with `cose`,
/// keeping everything else (credential ID, extensions) as the genuine key sent it.
fn with_public_key(reply: &[u8], cose: &Value) -> Vec<u8> {
    assert_eq!(reply[0], 0, "the genuine key made the credential");
    let Value::Map(mut fields) = cbor::decode(&reply[1..]).unwrap() else {
        panic!("makeCredential reply is no map")
    };
    let auth = fields
        .iter_mut()
        .find(|(k, _)| cbor::as_i64(k) == Some(2))
        .map(|(_, v)| v)
        .unwrap();
    let raw = auth.as_bytes().unwrap().clone();
    let id_len = usize::from(u16::from_be_bytes([raw[53], raw[54]]));
    let key_at = 55 + id_len;
    let mut rest = &raw[key_at..];
    cbor::decode_prefix(&mut rest).unwrap();
    let mut edited = raw[..key_at].to_vec();
    edited.extend(cbor::encode(cose));
    edited.extend_from_slice(rest);
    *auth = bytes(&edited);
    ok_reply(&Value::Map(fields))
}

/// A key that makes its identity credential genuinely but reports `cose` as its public key.
fn reporting_key(cose: Value) -> ScriptedKey {
    ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        Box::new(move |request, auth| {
            if !is_identity(request, 0x01) {
                return Action::Forward;
            }
            let reply = auth.handle_cbor(&request.payload).reply;
            Action::Reply(with_public_key(&reply, &cose))
        }),
    )
}

/// A valid P-256 point that the key does not hold the private key of.
fn foreign_p256() -> ([u8; 32], [u8; 32]) {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let secret = p256::SecretKey::random(&mut rand::thread_rng());
    let point = secret.public_key().to_encoded_point(false);
    (
        point.x().unwrap().as_slice().try_into().unwrap(),
        point.y().unwrap().as_slice().try_into().unwrap(),
    )
}

/// Enrolls `key` into `inv` and insists it is refused as a protocol error, the inventory
/// unchanged byte for byte; returns stderr.
fn refused(inv: &Path, key: &ScriptedKey, what: &str) -> String {
    let before = std::fs::read(inv).unwrap();
    let out = enroll(
        inv,
        &key.device,
        "BG01-A",
        scripted::BG1,
        scripted::PIN,
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{what}: {err}");
    assert_eq!(
        std::fs::read(inv).unwrap(),
        before,
        "{what}: the inventory must be unchanged: {err}"
    );
    assert!(err.contains("nothing was written"), "{what}: {err}");
    err
}

#[test]
fn enroll_refuses_an_identity_credential_that_is_not_the_es256_key_it_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let inv = empty_inventory(dir.path());
    let (x, y) = foreign_p256();
    let mut small_order = [0xff; 32];
    small_order[0] = 0xec;
    small_order[31] = 0x7f;
    let mut ed_identity = [0; 32];
    ed_identity[0] = 1;
    let mut modulus = vec![0xc5; 256];
    modulus[255] = 0x01;
    let cases = [
        ("ES256K at (0,0)", cose_ec2(-47, 8, &[0; 32], &[0; 32])),
        ("the Ed25519 neutral element", cose_okp(-8, &ed_identity)),
        ("a small-order Ed25519 point", cose_okp(-8, &small_order)),
        (
            "RS256",
            Value::Map(vec![
                (int(1), int(3)),
                (int(3), int(-257)),
                (int(-1), bytes(&modulus)),
                (int(-2), bytes(&[1, 0, 1])),
            ]),
        ),
        (
            "an unknown algorithm on an unknown curve",
            Value::Map(vec![
                (int(1), int(2)),
                (int(3), int(-65537)),
                (int(-1), int(99)),
                (int(-2), bytes(&[7])),
            ]),
        ),
        ("a P-256 key-agreement key", cose_ec2(-25, 1, &x, &y)),
        ("ES384", {
            let mut v = cose_ec2(-35, 2, &[0; 48], &[0; 48]);
            // A real P-384 point: the generator.
            if let Value::Map(entries) = &mut v {
                entries[3].1 = bytes(&hex::decode("aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7").unwrap());
                entries[4].1 = bytes(&hex::decode("3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f").unwrap());
            }
            v
        }),
    ];
    for (what, cose) in cases {
        let key = reporting_key(cose);
        let err = refused(&inv, &key, what);
        assert!(
            err.contains("ES256"),
            "{what}: names what was asked for: {err}"
        );
    }
}

/// The new credential is proved once before anything is written: a getAssertion for exactly
/// the new credential ID, over a fresh challenge, verified against the returned key.
#[test]
fn enroll_proves_the_new_identity_once_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let inv = empty_inventory(dir.path());

    // A valid ES256 key the authenticator cannot sign with: the proof fails.
    let (x, y) = foreign_p256();
    let key = reporting_key(cose_ec2(-7, 1, &x, &y));
    let err = refused(&inv, &key, "a foreign P-256 key");
    assert!(err.contains("did not prove"), "{err}");

    // A key that forgets the credential it just made.
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        Box::new(|request, _| {
            if is_identity(request, 0x02) {
                Action::Reply(vec![0x2e])
            } else {
                Action::Forward
            }
        }),
    );
    let err = refused(&inv, &key, "no credentials at the proof");
    assert!(err.contains("did not prove"), "{err}");

    // The genuine key: enrolled after exactly one proof naming the new credential alone.
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        Box::new(|_, _| Action::Forward),
    );
    let out = enroll(
        &inv,
        &key.device,
        "BG01-A",
        scripted::BG1,
        scripted::PIN,
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let received = key.received();
    let proofs: Vec<&Received> = received.iter().filter(|r| is_identity(r, 0x02)).collect();
    assert_eq!(proofs.len(), 1, "one proof of the new identity");
    let recorded: toml::Value = toml::from_str(&std::fs::read_to_string(&inv).unwrap()).unwrap();
    let id = recorded["key"][0]["identity"]["credential_id"]
        .as_str()
        .unwrap()
        .to_owned();
    use base64::Engine;
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .unwrap();
    assert_eq!(proofs[0].allow_list(), vec![id]);
}
