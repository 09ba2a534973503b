//! Credential management answers are cross-checked (hostile F17), through the binary against a
//! scripted key on UDP: an RP listed with the rpIDHash of another site is a protocol error
//! (exit 3: nothing the key lists can be trusted), and a key that counts discoverable
//! credentials but lists none is a finding (GK050 in an audit, a warning and exit 1 in `creds`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use glasskey::ctap2::cbor::{bytes, int, text, Value};
use scripted::{
    audit, authenticator, glasskey, inventory_enrolling, ok_reply, passkey, Action, ScriptedKey,
    PIN,
};
use sha2::{Digest, Sha256};

const ENUMERATE_RPS_BEGIN: i64 = 0x02;

fn creds(device: &str) -> std::process::Output {
    glasskey()
        .args(["--device", device, "creds", "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap()
}

#[test]
fn an_rp_listed_with_another_sites_hash_is_a_protocol_error() {
    let mut auth = authenticator("yubikey-5.7", 4711);
    auth.state_mut()
        .credentials
        .push(passkey("evil.com", "someone@evil.com", 3));
    // The key names login.microsoft.com but gives evil.com's hash (and so evil.com's passkey).
    let key = ScriptedKey::serve(
        auth,
        Box::new(|request, _| {
            if request.cred_mgmt_sub() != Some(ENUMERATE_RPS_BEGIN) {
                return Action::Forward;
            }
            Action::Reply(ok_reply(&Value::Map(vec![
                (
                    int(3),
                    Value::Map(vec![(text("id"), text("login.microsoft.com"))]),
                ),
                (int(4), bytes(&Sha256::digest(b"evil.com"))),
                (int(5), int(1)),
            ])))
        }),
    );
    let out = creds(&key.device);
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{err}");
    assert!(err.contains("rpIDHash"), "{err}");
    assert!(!stdout.contains("someone@evil.com"), "{stdout}");
}

#[test]
fn credentials_counted_but_none_listed_are_a_finding() {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    for i in 0..5 {
        auth.state_mut().credentials.push(passkey(
            "example.com",
            &format!("u{i}@example.com"),
            i + 10,
        ));
    }
    let key = ScriptedKey::serve(
        auth,
        Box::new(|request, _| {
            if request.cred_mgmt_sub() != Some(ENUMERATE_RPS_BEGIN) {
                return Action::Forward;
            }
            Action::Reply(ok_reply(&Value::Map(vec![(int(5), int(0))])))
        }),
    );
    let out = creds(&key.device);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(
        (stdout.to_string() + &err).contains("counts 5 passkeys but listed none"),
        "{stdout}{err}"
    );

    // In an audit: GK050, as for any key whose passkeys cannot be confirmed.
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory_enrolling(dir.path(), &key.device, &["--yes"]);
    let out = audit(&inv, &key.device, &["--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{v}");
    let gk050 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "GK050")
        .unwrap_or_else(|| panic!("no GK050: {v}"));
    assert!(
        gk050["message"].as_str().unwrap().contains("listed none"),
        "{gk050}"
    );
}

/// `creds` lists every site, so a key that lists fewer passkeys than it counts (HOSTILE-4
/// finding 11: counts 4, lists 1) is warned about, not only one that lists none.
#[test]
fn credentials_counted_but_fewer_listed_are_warned_about_in_creds() {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    for i in 0..4 {
        auth.state_mut().credentials.push(passkey(
            &format!("example{i}.com"),
            &format!("u{i}@example.com"),
            i + 10,
        ));
    }
    let key = ScriptedKey::serve(
        auth,
        Box::new(|request, _| {
            if request.cred_mgmt_sub() != Some(ENUMERATE_RPS_BEGIN) {
                return Action::Forward;
            }
            // Only the first site is admitted to.
            Action::Reply(ok_reply(&Value::Map(vec![
                (int(3), Value::Map(vec![(text("id"), text("example0.com"))])),
                (int(4), bytes(&Sha256::digest(b"example0.com"))),
                (int(5), int(1)),
            ])))
        }),
    );
    let out = creds(&key.device);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(
        (stdout.to_string() + &err).contains("counts 4 passkeys but listed 1"),
        "{stdout}{err}"
    );
}
