//! Implausible credential management values (issue 11 deliverable 8), through the binary
//! against a scripted key on UDP: a passkey whose COSE public key is malformed, and counts beyond
//! the spec's range, are protocol errors (exit 3) with one line naming the field, never a
//! listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use glasskey::ctap2::cbor::{self, bytes, int, Value};
use glasskey::virtual_key::state::StoredCredential;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use scripted::{
    audit, authenticator, cose_ec2, cose_okp, cose_okp_on, glasskey, inventory_enrolling, ok_reply,
    Action, ScriptedKey, PIN,
};

const GET_CREDS_METADATA: i64 = 0x01;
const ENUMERATE_RPS_BEGIN: i64 = 0x02;
const ENUMERATE_CREDENTIALS_BEGIN: i64 = 0x04;

fn passkey() -> StoredCredential {
    StoredCredential {
        rp_id: "login.microsoft.com".into(),
        rp_name: None,
        user_id: vec![7; 16],
        user_name: Some("bg-01@contoso.onmicrosoft.com".into()),
        user_display_name: None,
        credential_id: vec![7; 32],
        private_key: vec![7; 32],
        cred_protect: 1,
        created: 0,
        algorithm: -7,
    }
}

/// A key holding one passkey whose answer to `sub` has `field` set to `value` (the rest of the
/// answer is the real authenticator's).
fn key_answering(sub: i64, field: i64, value: Value) -> ScriptedKey {
    key_answering_when(sub, field, value, Arc::new(AtomicBool::new(true)))
}

/// As `key_answering`, but only while `tamper` is set (so the key can first be enrolled).
fn key_answering_when(sub: i64, field: i64, value: Value, tamper: Arc<AtomicBool>) -> ScriptedKey {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    auth.state_mut().credentials.push(passkey());
    ScriptedKey::serve(
        auth,
        Box::new(move |request, auth| {
            if request.cred_mgmt_sub() != Some(sub) || !tamper.load(Ordering::SeqCst) {
                return Action::Forward;
            }
            let reply = auth.handle_cbor(&request.payload).reply;
            assert_eq!(reply[0], 0, "the real key refused {sub}");
            let Ok(Value::Map(mut entries)) = cbor::decode(&reply[1..]) else {
                panic!("no map in the real reply");
            };
            entries.retain(|(k, _)| cbor::as_i64(k) != Some(field));
            entries.push((int(field), value.clone()));
            entries.sort_by_key(|(k, _)| cbor::as_i64(k));
            Action::Reply(ok_reply(&Value::Map(entries)))
        }),
    )
}

/// `creds` on `device`: exit code, stdout, and stderr without the note that no inventory
/// checks the key's identity.
fn creds(device: &str) -> (Option<i32>, String, String) {
    let out = glasskey()
        .args(["--device", device, "creds", "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.contains("identity is not checked"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// A valid P-384 point, to give it the wrong algorithm.
fn p384_point() -> (Vec<u8>, Vec<u8>) {
    use p384::elliptic_curve::sec1::ToEncodedPoint;
    let secret = p384::SecretKey::from_slice(&[5u8; 48]).unwrap();
    let point = secret.public_key().to_encoded_point(false);
    (point.x().unwrap().to_vec(), point.y().unwrap().to_vec())
}

/// 32 bytes that do not decode to a point on Ed25519.
fn not_an_ed25519_point() -> [u8; 32] {
    (0u8..=255)
        .map(|b| {
            let mut x = [0u8; 32];
            x[0] = b;
            x[31] = 0x11;
            x
        })
        .find(|x| ed25519_dalek::VerifyingKey::from_bytes(x).is_err())
        .unwrap()
}

#[test]
fn a_passkey_with_a_malformed_public_key_is_a_protocol_error_naming_the_field() {
    let (p384_x, p384_y) = p384_point();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "EC2 with a 3-byte x and an empty y",
            cose_ec2(-7, 1, &[0; 3], &[]),
            "x (-2) is 3 bytes",
        ),
        (
            "P-256 coordinates of P-384's length",
            cose_ec2(-7, 1, &[1; 48], &[2; 48]),
            "x (-2) is 48 bytes",
        ),
        (
            "a P-256 point off the curve",
            cose_ec2(-7, 1, &[1; 32], &[2; 32]),
            "not a point on",
        ),
        (
            "an Ed25519 key of 31 bytes",
            cose_okp(-8, &[9; 31]),
            "x (-2) is 31 bytes",
        ),
        (
            "an Ed25519 key that is not a point",
            cose_okp(-8, &not_an_ed25519_point()),
            "not a point on",
        ),
        (
            "ES256 named on a P-384 point",
            cose_ec2(-7, 2, &p384_x, &p384_y),
            "alg (3)",
        ),
        (
            "ES256 named on an RSA key",
            Value::Map(vec![
                (int(1), int(3)),
                (int(3), int(-7)),
                (int(-1), bytes(&[0xC3; 256])),
                (int(-2), bytes(&[1, 0, 1])),
            ]),
            "alg (3)",
        ),
        (
            "an EC2 key without a curve",
            Value::Map(vec![
                (int(1), int(2)),
                (int(3), int(-7)),
                (int(-2), bytes(&[1; 32])),
                (int(-3), bytes(&[2; 32])),
            ]),
            "crv (-1)",
        ),
    ];
    assert_each_refused_naming_the_field(cases);
}

/// `creds` against a key listing each public key: exit 3, one line naming the field and the
/// detail, nothing listed.
fn assert_each_refused_naming_the_field(cases: Vec<(&str, Value, &str)>) {
    for (what, public_key, detail) in cases {
        let key = key_answering(ENUMERATE_CREDENTIALS_BEGIN, 0x08, public_key);
        let (code, stdout, stderr) = creds(&key.device);
        assert_eq!(code, Some(3), "{what}: {stdout}{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.contains("publicKey (0x08)"), "{what}: {stderr}");
        assert!(stderr.contains(detail), "{what}: {stderr}");
        assert!(!stdout.contains("ES256"), "{what}: {stdout}");
        assert!(!stdout.contains("key SHA-256"), "{what}: {stdout}");
    }
}

/// In an audit the same reply ends the audit as a protocol error, and nothing is recorded.
#[test]
fn an_audit_of_a_key_listing_a_malformed_public_key_stops_and_records_nothing() {
    let tamper = Arc::new(AtomicBool::new(false));
    let key = key_answering_when(
        ENUMERATE_CREDENTIALS_BEGIN,
        0x08,
        cose_ec2(-7, 1, &[0; 3], &[]),
        tamper.clone(),
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory_enrolling(dir.path(), &key.device, &[]);
    let before = std::fs::read_to_string(&inv).unwrap();
    tamper.store(true, Ordering::SeqCst);
    let out = audit(&inv, &key.device, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stderr.contains("publicKey (0x08): x (-2) is 3 bytes"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&inv).unwrap(), before);
}

/// Algorithms glasskey does not know are still listed with their number and key hash (issue
/// 13): only keys glasskey can check and finds broken are refused.
#[test]
fn a_passkey_of_an_unknown_algorithm_is_still_listed() {
    let unknown = Value::Map(vec![
        (int(1), int(7)),
        (int(3), int(-48)),
        (int(-1), bytes(&[9u8; 40])),
    ]);
    let key = key_answering(ENUMERATE_CREDENTIALS_BEGIN, 0x08, unknown);
    let (code, stdout, stderr) = creds(&key.device);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("ML-DSA-44 [-48]"), "{stdout}");
}

#[test]
fn a_count_beyond_the_specs_range_is_a_protocol_error_with_the_value() {
    for (sub, field, what) in [
        (GET_CREDS_METADATA, 0x01, "discoverable credentials"),
        (ENUMERATE_RPS_BEGIN, 0x05, "relying parties"),
        (ENUMERATE_CREDENTIALS_BEGIN, 0x09, "credentials"),
    ] {
        let key = key_answering(sub, field, Value::Integer(u64::MAX.into()));
        let (code, stdout, stderr) = creds(&key.device);
        assert_eq!(code, Some(3), "{what}: {stdout}{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{what}: {stderr}");
        assert!(
            stderr.contains(&format!("{} {what}", u64::MAX)),
            "{what}: {stderr}"
        );
        assert!(!stderr.contains("should be"), "{what}: {stderr}");
    }
}

/// A valid secp256k1 point.
fn k256_point() -> (Vec<u8>, Vec<u8>) {
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    let secret = k256::SecretKey::from_slice(&[6u8; 32]).unwrap();
    let point = secret.public_key().to_encoded_point(false);
    (point.x().unwrap().to_vec(), point.y().unwrap().to_vec())
}

/// An Ed25519 point written with y + p (RFC 8032 §5.1.3: decoding fails), not a weak point.
fn non_canonical_ed25519() -> [u8; 32] {
    (2u8..19)
        .map(|k| {
            // p = 2^255 - 19; p + k, little-endian.
            let mut y = [0xFFu8; 32];
            y[31] = 0x7F;
            y[0] = 0xED + k;
            y
        })
        .find(|y| {
            ed25519_dalek::VerifyingKey::from_bytes(y)
                .is_ok_and(|key| !key.is_weak() && key.to_edwards().compress().to_bytes() != *y)
        })
        .unwrap()
}

/// RFC 8032 §7.4's first Ed448 public key.
const ED448_PUBLIC: &str = "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180";

fn with_field(mut key: Value, field: i64, value: Value) -> Value {
    if let Value::Map(entries) = &mut key {
        entries.retain(|(k, _)| cbor::as_i64(k) != Some(field));
        entries.push((int(field), value));
    }
    key
}

/// HOSTILE-8 F3, F8, F9: impossible public keys the strict parser let through.
#[test]
fn impossible_public_keys_hostile8_found_are_protocol_errors() {
    let (kx, ky) = k256_point();
    let mut off = ky.clone();
    off[0] ^= 1;
    let es256k = |x: &[u8], y: &[u8]| cose_ec2(-47, 8, x, y);
    let p256 = {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let secret = p256::SecretKey::from_slice(&[3u8; 32]).unwrap();
        let point = secret.public_key().to_encoded_point(false);
        cose_ec2(-7, 1, point.x().unwrap(), point.y().unwrap())
    };
    let ed_neutral = {
        let mut x = [0u8; 32];
        x[0] = 1;
        x
    };
    let ed_order_two = {
        let mut x = [0xFFu8; 32];
        x[0] = 0xEC;
        x[31] = 0x7F;
        x
    };
    let no_alg = match &p256 {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .filter(|(k, _)| cbor::as_i64(k) != Some(3))
                .cloned()
                .collect(),
        ),
        _ => unreachable!(),
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "ES256K with a 31-byte x",
            es256k(&kx[1..], &ky),
            "x (-2) is 31 bytes",
        ),
        (
            "ES256K at (0, 0)",
            es256k(&[0; 32], &[0; 32]),
            "not a point on secp256k1",
        ),
        (
            "ES256K off the curve",
            es256k(&kx, &off),
            "not a point on secp256k1",
        ),
        ("a P-256 key without alg", no_alg, "alg (3) is missing"),
        (
            "a P-256 key carrying d",
            with_field(p256, -4, bytes(&[3u8; 32])),
            "the key disclosed a private key",
        ),
        (
            "an Ed25519 key carrying d",
            with_field(cose_okp(-8, &ed_neutral), -4, bytes(&[3u8; 32])),
            "the key disclosed a private key",
        ),
        (
            "the Ed25519 neutral element",
            cose_okp(-8, &ed_neutral),
            "weak",
        ),
        (
            "an Ed25519 point of order 2",
            cose_okp(-8, &ed_order_two),
            "weak",
        ),
        (
            "an Ed25519 point written non-canonically",
            cose_okp(-8, &non_canonical_ed25519()),
            "non-canonical",
        ),
        ("EdDSA on X25519", cose_okp_on(-8, 4, &[9; 32]), "alg (3)"),
        (
            "an Ed448 key of 32 bytes",
            cose_okp_on(-8, 7, &[9; 32]),
            "x (-2) is 32 bytes",
        ),
    ];
    assert_each_refused_naming_the_field(cases);
}

/// `creds --json` for a key whose one passkey has `public_key`.
fn listed_algorithm(public_key: Value) -> serde_json::Value {
    let key = key_answering(ENUMERATE_CREDENTIALS_BEGIN, 0x08, public_key);
    let out = glasskey()
        .args(["--device", &key.device, "--json", "creds", "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{v}");
    v["credentials"][0].clone()
}

/// HOSTILE-8 F8 and F7: the number the key sent is the number shown (-19 is not -8, -51 is not
/// -35), and legitimate keys of other curves are listed, not refused.
#[test]
fn legitimate_keys_are_listed_with_the_algorithm_number_the_key_sent() {
    let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let ed = signing.verifying_key().to_bytes();
    let eddsa = listed_algorithm(cose_okp(-8, &ed));
    let ed25519 = listed_algorithm(cose_okp(-19, &ed));
    assert_eq!(eddsa["algorithm"], -8, "{eddsa}");
    assert_eq!(ed25519["algorithm"], -19, "{ed25519}");
    assert_ne!(eddsa["public_key_sha256"], ed25519["public_key_sha256"]);

    let (x, y) = p384_point();
    let esp384 = listed_algorithm(cose_ec2(-51, 2, &x, &y));
    assert_eq!(esp384["algorithm"], -51, "{esp384}");
    assert!(
        esp384["algorithm_name"]
            .as_str()
            .unwrap()
            .contains("ESP384"),
        "{esp384}"
    );
    // A number glasskey does not know on a curve it does: shown as sent, not as ES384.
    let other = listed_algorithm(cose_ec2(-12345, 2, &x, &y));
    assert_eq!(other["algorithm"], -12345, "{other}");

    let (kx, ky) = k256_point();
    let es256k = listed_algorithm(cose_ec2(-47, 8, &kx, &ky));
    assert_eq!(es256k["algorithm"], -47, "{es256k}");

    let ed448 = listed_algorithm(cose_okp_on(-8, 7, &hex::decode(ED448_PUBLIC).unwrap()));
    assert_eq!(ed448["algorithm"], -8, "{ed448}");
    let name = ed448["algorithm_name"].as_str().unwrap();
    assert!(name.contains("Ed448"), "{ed448}");
    assert!(!name.contains("Ed25519"), "{ed448}");
}

/// HOSTILE-8 F9: credProtect is 1-3 (CTAP 2.1 §12.1) and a largeBlobKey is 32 bytes (§6.10).
#[test]
fn impossible_cred_protect_and_large_blob_key_values_are_protocol_errors() {
    let cases: Vec<(&str, i64, Value, &str)> = vec![
        ("credProtect 0", 0x0A, int(0), "credProtect"),
        ("credProtect 9", 0x0A, int(9), "credProtect"),
        ("credProtect 255", 0x0A, int(255), "credProtect"),
        (
            "a 5-byte largeBlobKey",
            0x0B,
            bytes(&[1; 5]),
            "largeBlobKey",
        ),
    ];
    for (what, field, value, detail) in cases {
        let key = key_answering(ENUMERATE_CREDENTIALS_BEGIN, field, value);
        let (code, stdout, stderr) = creds(&key.device);
        assert_eq!(code, Some(3), "{what}: {stdout}{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.contains(detail), "{what}: {stderr}");
        assert!(!stdout.contains("credential "), "{what}: {stdout}");
    }
    // The values a key may send are still listed.
    for level in 1..=3 {
        let key = key_answering(ENUMERATE_CREDENTIALS_BEGIN, 0x0A, int(level));
        let (code, stdout, stderr) = creds(&key.device);
        assert_eq!(code, Some(0), "{level}: {stdout}{stderr}");
        assert!(stdout.contains(&format!("credProtect {level}")), "{stdout}");
    }
}
