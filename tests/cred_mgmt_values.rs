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
    audit, authenticator, cose_ec2, cose_okp, glasskey, inventory_enrolling, ok_reply, Action,
    Received, ScriptedKey, PIN,
};

const GET_CREDS_METADATA: i64 = 0x01;
const ENUMERATE_RPS_BEGIN: i64 = 0x02;
const ENUMERATE_CREDENTIALS_BEGIN: i64 = 0x04;

fn cred_mgmt_sub(r: &Received) -> Option<i64> {
    if !matches!(r.ctap_command(), Some(0x0A | 0x41)) {
        return None;
    }
    r.field(0x01).and_then(|v| cbor::as_i64(&v))
}

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
            if cred_mgmt_sub(request) != Some(sub) || !tamper.load(Ordering::SeqCst) {
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
