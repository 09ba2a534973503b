//! A credential listing is bounded by what the key itself declared (HOSTILE-8 F5), through the
//! binary against a scripted key on UDP: more relying parties or passkeys than the metadata
//! counts, or one credential ID twice, is a protocol error (exit 3, nothing recorded), found
//! before glasskey asks for more than the key counted; and the whole listing ends within
//! `--timeout`, not only each reply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use glasskey::ctap2::cbor::{self, bytes, int, text, Value};
use scripted::{
    audit, authenticator, creds, inventory_enrolling, ok_reply, passkey, Action, Received,
    ScriptedKey,
};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

const ENUMERATE_RPS_BEGIN: i64 = 0x02;
const ENUMERATE_RPS_NEXT: i64 = 0x03;
const ENUMERATE_CREDENTIALS_BEGIN: i64 = 0x04;
const ENUMERATE_CREDENTIALS_NEXT: i64 = 0x05;

const BREAK_GLASS_RP: &str = "login.microsoft.com";
const ACCOUNT: &str = "bg-01@contoso.onmicrosoft.com";

type ReplyMap = Vec<(Value, Value)>;

/// The map of a real reply to `request`, which must succeed.
fn real_reply(
    request: &Received,
    auth: &mut glasskey::virtual_key::Authenticator,
) -> Vec<(Value, Value)> {
    let reply = auth.handle_cbor(&request.payload).reply;
    assert_eq!(reply[0], 0, "the real key refused the request");
    match cbor::decode(&reply[1..]) {
        Ok(Value::Map(entries)) => entries,
        _ => panic!("no map in the real reply"),
    }
}

fn set(entries: &mut Vec<(Value, Value)>, field: i64, value: Value) {
    entries.retain(|(k, _)| cbor::as_i64(k) != Some(field));
    entries.push((int(field), value));
    entries.sort_by_key(|(k, _)| cbor::as_i64(k));
}

/// A fabricated credential reply: credential `n` of a user at the break-glass RP.
fn fabricated_credential(n: u64, total: Option<u64>) -> Value {
    let id = Sha256::digest(n.to_be_bytes()).to_vec();
    let mut entries = vec![
        (
            int(6),
            Value::Map(vec![
                (text("id"), bytes(&id[..16])),
                (text("name"), text(ACCOUNT)),
            ]),
        ),
        (
            int(7),
            Value::Map(vec![
                (text("id"), bytes(&id)),
                (text("type"), text("public-key")),
            ]),
        ),
    ];
    if let Some(total) = total {
        entries.push((int(9), int(total as i64)));
    }
    Value::Map(entries)
}

fn enumeration_requests(key: &ScriptedKey) -> usize {
    key.received()
        .iter()
        .filter(|r| matches!(r.cred_mgmt_sub(), Some(2..=5)))
        .count()
}

/// The tester's attack: one passkey counted, then 40 relying parties of 40 passkeys each.
#[test]
fn more_relying_parties_than_passkeys_counted_is_a_protocol_error_before_any_is_asked_for() {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    auth.state_mut()
        .credentials
        .push(passkey(BREAK_GLASS_RP, ACCOUNT, 7));
    let made_up = Arc::new(AtomicU64::new(0));
    let key = ScriptedKey::serve(
        auth,
        Box::new(move |request, auth| match request.cred_mgmt_sub() {
            Some(ENUMERATE_RPS_BEGIN) => {
                let mut entries = real_reply(request, auth);
                set(&mut entries, 5, int(40));
                Action::Reply(ok_reply(&Value::Map(entries)))
            }
            Some(ENUMERATE_RPS_NEXT) => {
                let rp = format!("site{}.example", made_up.fetch_add(1, Ordering::SeqCst));
                Action::Reply(ok_reply(&Value::Map(vec![
                    (int(3), Value::Map(vec![(text("id"), text(&rp))])),
                    (int(4), bytes(&Sha256::digest(rp.as_bytes()))),
                ])))
            }
            _ => Action::Forward,
        }),
    );
    let (code, stdout, stderr) = creds(&key.device, &[], &[]);
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("counts 1 passkey"), "{stderr}");
    assert!(stderr.contains("40 relying parties"), "{stderr}");
    assert!(!stdout.contains("site0.example"), "{stdout}");
    // Only the first RP request was sent: glasskey stops at the claim, not after 40.
    assert_eq!(enumeration_requests(&key), 1, "{:?}", key.received());
}

/// A key that counts one passkey, then lists `total` at the break-glass RP (the first real).
fn key_listing_more_credentials_than_counted(total: u64, tamper: Arc<AtomicBool>) -> ScriptedKey {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    auth.state_mut()
        .credentials
        .push(passkey(BREAK_GLASS_RP, ACCOUNT, 7));
    let made_up = Arc::new(AtomicU64::new(0));
    ScriptedKey::serve(
        auth,
        Box::new(move |request, auth| {
            if !tamper.load(Ordering::SeqCst) {
                return Action::Forward;
            }
            match request.cred_mgmt_sub() {
                Some(ENUMERATE_CREDENTIALS_BEGIN) => {
                    let mut entries = real_reply(request, auth);
                    set(&mut entries, 9, int(total as i64));
                    Action::Reply(ok_reply(&Value::Map(entries)))
                }
                Some(ENUMERATE_CREDENTIALS_NEXT) => Action::Reply(ok_reply(
                    &fabricated_credential(made_up.fetch_add(1, Ordering::SeqCst), None),
                )),
                _ => Action::Forward,
            }
        }),
    )
}

#[test]
fn more_passkeys_at_one_site_than_counted_is_a_protocol_error_in_creds_and_audit() {
    let key = key_listing_more_credentials_than_counted(5, Arc::new(AtomicBool::new(true)));
    let (code, stdout, stderr) = creds(&key.device, &[], &[]);
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("counts 1 passkey"), "{stderr}");
    assert!(stderr.contains("5"), "{stderr}");
    assert!(!stdout.contains(ACCOUNT), "{stdout}");
    // metadata is not an enumeration request: RPs begin, credentials begin, and no more.
    assert_eq!(enumeration_requests(&key), 2, "{:?}", key.received());

    // In an audit: five copies at the break-glass RP end the audit, nothing recorded.
    let tamper = Arc::new(AtomicBool::new(false));
    let key = key_listing_more_credentials_than_counted(5, tamper.clone());
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory_enrolling(dir.path(), &key.device, &[]);
    let before = std::fs::read_to_string(&inv).unwrap();
    tamper.store(true, Ordering::SeqCst);
    let out = audit(&inv, &key.device, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("counts 1 passkey"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&inv).unwrap(), before);
}

#[test]
fn the_same_credential_id_listed_twice_is_a_protocol_error() {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    auth.state_mut()
        .credentials
        .push(passkey(BREAK_GLASS_RP, ACCOUNT, 7));
    auth.state_mut()
        .credentials
        .push(passkey(BREAK_GLASS_RP, "bg-02@contoso.onmicrosoft.com", 8));
    let first: Arc<std::sync::Mutex<Option<ReplyMap>>> = Arc::default();
    let key = ScriptedKey::serve(
        auth,
        Box::new(move |request, auth| match request.cred_mgmt_sub() {
            Some(ENUMERATE_CREDENTIALS_BEGIN) => {
                let entries = real_reply(request, auth);
                *first.lock().unwrap() = Some(entries.clone());
                Action::Reply(ok_reply(&Value::Map(entries)))
            }
            // The second passkey answered with the first again.
            Some(ENUMERATE_CREDENTIALS_NEXT) => {
                let mut entries = first.lock().unwrap().clone().unwrap();
                entries.retain(|(k, _)| cbor::as_i64(k) != Some(9));
                Action::Reply(ok_reply(&Value::Map(entries)))
            }
            _ => Action::Forward,
        }),
    );
    let (code, stdout, stderr) = creds(&key.device, &[], &[]);
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("twice"), "{stderr}");
    assert!(stderr.contains(&hex::encode([7u8; 4])), "{stderr}");
}

/// Each reply comes within `--timeout`, but the listing as a whole does not: it ends at the
/// timeout with a message saying so, instead of running for as long as the key likes.
#[test]
fn the_whole_listing_ends_within_the_timeout() {
    let mut auth = authenticator("yubikey-5.7", 31_337_001);
    for i in 0..8 {
        auth.state_mut().credentials.push(passkey(
            BREAK_GLASS_RP,
            &format!("bg-{i:02}@contoso.onmicrosoft.com"),
            i + 10,
        ));
    }
    let key = ScriptedKey::serve(
        auth,
        Box::new(|request, _| {
            if matches!(request.cred_mgmt_sub(), Some(2..=5)) {
                std::thread::sleep(std::time::Duration::from_millis(400));
            }
            Action::Forward
        }),
    );
    let (code, stdout, stderr) = creds(&key.device, &["--timeout", "1"], &[]);
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("--timeout"), "{stderr}");
    assert!(stderr.contains("whole listing"), "{stderr}");
    // 1 RP and 8 passkeys need 9 requests; at 0.4 s each the 1 s budget allows about 3.
    assert!(enumeration_requests(&key) < 9, "{:?}", key.received().len());
}
