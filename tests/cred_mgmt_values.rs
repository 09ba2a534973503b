//! Implausible credential management values (issue 11 deliverable 8), through the binary
//! against a scripted key on UDP: a passkey whose COSE public key is malformed, and counts beyond
//! the spec's range, are protocol errors (exit 3) with one line naming the field, never a
//! listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use glasskey::ctap2::cbor::{self, int, Value};
use glasskey::virtual_key::state::StoredCredential;
use scripted::{authenticator, glasskey, ok_reply, Action, Received, ScriptedKey, PIN};

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
    let mut auth = authenticator("yubikey-5.7", 4711);
    auth.state_mut().credentials.push(passkey());
    ScriptedKey::serve(
        auth,
        Box::new(move |request, auth| {
            if cred_mgmt_sub(request) != Some(sub) {
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
