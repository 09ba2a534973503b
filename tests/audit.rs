//! The quarterly audit through the binary, one test per rule: a passing setup, then a setup
//! that breaks exactly that rule, and the finding and only that finding is reported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::bin::{
    dev, edit_json, glasskey, init_inventory, ok, only, p, pin_line, register, rules, run, BG1,
    BG2, PIN, T0,
};
use serde_json::Value;

struct Setup {
    dir: tempfile::TempDir,
    inv: PathBuf,
    k1: PathBuf,
    k2: PathBuf,
}

fn new_key(dir: &Path, name: &str, profile: &str, serial: u32) -> PathBuf {
    common::bin::virtual_key(dir, name)
        .profile(profile)
        .serial(serial)
        .create()
}

fn enroll(s: &Setup, key: &Path, label: &str, account: &str, location: &str) {
    common::bin::enroll_virtual(&s.inv, key, label, account, location);
}

/// Two accounts, one key each, passkeys registered, enrolled, and a passing audit of both at T0.
fn setup_with(k1_profile: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(
        &inv,
        &[
            "--account",
            &format!("{BG1}=Break Glass 01"),
            "--account",
            BG2,
            "--min-keys",
            "1",
        ],
    );
    let k1 = new_key(dir.path(), "k1.json", k1_profile, 31_337_001);
    let k2 = new_key(dir.path(), "k2.json", "yubikey-5.7", 31_337_002);
    register(&k1, "login.microsoft.com", BG1);
    register(&k2, "login.microsoft.com", BG2);
    let s = Setup { dir, inv, k1, k2 };
    enroll(&s, &s.k1, "BG01-A", BG1, "Safe 1, HQ");
    enroll(&s, &s.k2, "BG02-A", BG2, "Safe 2, DR site");
    s
}

fn setup() -> Setup {
    let s = setup_with("yubikey-5.7");
    let (v, code) = audit(&s, &[&s.k1, &s.k2], T0);
    assert_eq!(code, 0, "baseline must pass: {v}");
    assert_eq!(v["result"], "pass");
    s
}

/// Audits the given keys one after another (each a separate run, as in different safes).
fn audit(s: &Setup, keys: &[&Path], now: &str) -> (Value, i32) {
    let mut last = (Value::Null, 0);
    for k in keys {
        let dev = dev(k);
        let out = run(
            &[
                "--device",
                &dev,
                "--now",
                now,
                "--json",
                "audit",
                "--inventory",
                p(&s.inv),
                "--pin-stdin",
            ],
            Some(&pin_line()),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "audit output is not JSON ({e}): {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        last = (v, out.status.code().unwrap());
    }
    last
}

fn edit_inventory(s: &Setup, f: impl FnOnce(&mut toml::Value)) {
    let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&s.inv).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&s.inv, toml::to_string(&v).unwrap()).unwrap();
}

/// A policy change as an admin makes it: edited by hand, then acknowledged on the record (a
/// policy change is otherwise GK064 until acknowledged).
fn edit_policy(s: &Setup, f: impl FnOnce(&mut toml::Value)) {
    edit_inventory(s, |v| f(&mut v["policy"]));
    let out = run(
        &[
            "--now",
            T0,
            "inventory",
            "acknowledge",
            p(&s.inv),
            "--note",
            "policy changed for this test",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
}

fn key_table<'a>(v: &'a mut toml::Value, label: &str) -> &'a mut toml::Table {
    v["key"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|k| k["label"].as_str() == Some(label))
        .unwrap()
        .as_table_mut()
        .unwrap()
}

#[test]
fn passing_setup_records_a_check_per_audit() {
    let s = setup();
    let (v, code) = audit(&s, &[&s.k1], T0);
    assert_eq!(code, 0);
    assert_eq!(v["keys_checked"][0]["label"], "BG01-A");
    assert_eq!(v["keys_checked"][0]["identity_verified"], true);
    assert_eq!(v["keys_checked"][0]["pin_retries"], 8);
    assert_eq!(v["keys_checked"][0]["passkeys"], serde_json::json!([BG1]));
    assert_eq!(v["check_seq"], 3);
    ok(&["inventory", "verify", p(&s.inv)], None);
}

#[test]
fn gk001_look_alike_with_copied_serial() {
    let s = setup();
    let fake = new_key(s.dir.path(), "fake.json", "yubikey-5.7", 31_337_001);
    register(&fake, "login.microsoft.com", BG1);
    let (v, code) = audit(&s, &[&fake], T0);
    assert_eq!(code, 1);
    only(&v, "GK001");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("serial of inventory key BG01-A"),
        "{v}"
    );
}

#[test]
fn gk002_identity_signature_invalid() {
    let s = setup();
    let other = p256::SecretKey::from_slice(&[9u8; 32])
        .unwrap()
        .public_key();
    let cose = glasskey::ctap2::cose::CoseKey::from_p256(&other, -7).to_bytes();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cose);
    edit_inventory(&s, |v| {
        key_table(v, "BG01-A")["identity"]["public_key"] = b64.into();
    });
    let (v, code) = audit(&s, &[&s.k1], T0);
    assert_eq!(code, 1);
    // The hand edit that sets the scene is itself reported (GK064, roster changed).
    assert_eq!(
        rules(&v),
        BTreeSet::from(["GK002".to_owned(), "GK064".to_owned()]),
        "{v}"
    );
}

#[test]
fn gk003_sign_counter_behind() {
    let s = setup();
    edit_inventory(&s, |v| {
        key_table(v, "BG01-A")["identity"]["sign_count"] = 100_000.into();
    });
    let (v, _) = audit(&s, &[&s.k1], T0);
    // The hand edit that sets the scene is itself reported (GK064, roster changed).
    assert_eq!(
        rules(&v),
        BTreeSet::from(["GK003".to_owned(), "GK064".to_owned()]),
        "{v}"
    );
}

#[test]
fn gk004_pin_unset() {
    let s = setup();
    edit_json(&s.k1, |v| v["pin_hash"] = Value::Null);
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK004");
}

#[test]
fn gk005_retries_dropped() {
    let s = setup();
    edit_json(&s.k1, |v| v["pin_retries"] = 6.into());
    let (v, code) = audit(&s, &[&s.k1], T0);
    assert_eq!(code, 1);
    only(&v, "GK005");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 wrong PIN(s)"),
        "{v}"
    );
}

#[test]
fn gk006_pin_shorter_than_policy() {
    let s = setup();
    edit_policy(&s, |v| v["min_pin_length"] = 12.into());
    let (v, _) = audit(&s, &[&s.k1, &s.k2], T0);
    assert_eq!(rules(&v), BTreeSet::from(["GK006".to_owned()]));
}

#[test]
fn gk007_forced_pin_change() {
    let s = setup();
    edit_json(&s.k1, |v| v["force_pin_change"] = true.into());
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK007");
}

#[test]
fn gk008_passkey_erased() {
    let s = setup();
    edit_json(&s.k1, |v| v["credentials"] = serde_json::json!([]));
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK008");
}

#[test]
fn gk009_shared_key_holds_two_accounts() {
    let s = setup();
    register(&s.k1, "login.microsoft.com", BG2);
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK009");
}

#[test]
fn gk010_extra_passkey_for_the_same_account() {
    let s = setup();
    register(&s.k1, "login.microsoft.com", BG1);
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK010");
}

#[test]
fn gk011_unexpected_credential() {
    let s = setup();
    register(&s.k1, "github.com", "someone");
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK011");
    // Allowed by policy: no finding.
    edit_policy(&s, |v| v["allow_other_credentials"] = true.into());
    let (v, code) = audit(&s, &[&s.k1], T0);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn gk012_firmware_under_advisory() {
    let s = setup_with("yubikey-5.4");
    let (v, code) = audit(&s, &[&s.k1, &s.k2], T0);
    assert_eq!(code, 1);
    only(&v, "GK012");
    let f = &v["findings"][0];
    assert_eq!(f["key"], "BG01-A");
    assert!(
        f["message"].as_str().unwrap().contains("YSA-2024-03"),
        "{f}"
    );
}

#[test]
fn gk013_passkey_re_registered_is_drift() {
    let s = setup();
    edit_json(&s.k1, |v| v["credentials"] = serde_json::json!([]));
    register(&s.k1, "login.microsoft.com", BG1);
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK013");
}

#[test]
fn gk014_too_few_keys() {
    let s = setup();
    edit_policy(&s, |v| v["min_keys_per_account"] = 2.into());
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK014");
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        2,
        "one per account"
    );
}

#[test]
fn gk015_duplicate_entry() {
    let s = setup();
    edit_inventory(&s, |v| {
        let mut copy = key_table(v, "BG01-A").clone();
        copy.insert("label".into(), "BG01-B".into());
        v["key"]
            .as_array_mut()
            .unwrap()
            .push(toml::Value::Table(copy));
    });
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK015");
}

#[test]
fn gk016_same_storage_location() {
    let s = setup();
    edit_inventory(&s, |v| {
        key_table(v, "BG02-A")["location"] = "Safe 1, HQ".into();
    });
    let (v, _) = audit(&s, &[&s.k1], T0);
    only(&v, "GK016");
}

#[test]
fn gk017_overdue_key_and_keys_checked_on_different_days() {
    let s = setup();
    // Fifty days later B alone: A's check from T0 still covers it.
    let (v, code) = audit(&s, &[&s.k2], "2027-01-14T10:00:00Z");
    assert_eq!(code, 0, "{v}");
    // Ninety-five days after T0, B alone again: A is overdue, B is not.
    let (v, _) = audit(&s, &[&s.k2], "2027-02-28T10:00:00Z");
    only(&v, "GK017");
    assert_eq!(v["findings"][0]["key"], "BG01-A");
}

#[test]
fn gk019_model_not_on_allow_list() {
    let s = setup();
    edit_policy(&s, |v| {
        v["allowed_aaguids"] =
            toml::Value::Array(vec!["ee882879-721c-4913-9775-3dfcce97072a".into()])
    });
    let out = run(
        &["--now", T0, "--json", "inventory", "validate", p(&s.inv)],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    only(&v, "GK019");
}

#[test]
fn gk018_unknown_account_is_reported() {
    let s = setup();
    edit_inventory(&s, |v| {
        key_table(v, "BG02-A")["account"] = "ghost@contoso.onmicrosoft.com".into();
    });
    let out = run(
        &["--now", T0, "--json", "inventory", "validate", p(&s.inv)],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules(&v).contains("GK018"), "{v}");
}

#[test]
fn validate_without_keys_uses_recorded_observations() {
    let s = setup();
    let out = run(&["--now", T0, "inventory", "validate", p(&s.inv)], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(
        &[
            "--now",
            "2027-06-01T00:00:00Z",
            "--json",
            "inventory",
            "validate",
            p(&s.inv),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    only(&v, "GK017");
}

#[test]
fn identify_names_the_key_without_pin_or_touch() {
    let s = setup();
    let out = run(
        &[
            "--device",
            &dev(&s.k2),
            "--json",
            "identify",
            "--inventory",
            p(&s.inv),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["label"], "BG02-A");
    assert_eq!(v["signature_valid"], true);
    let stranger = new_key(s.dir.path(), "x.json", "yubikey-5.7", 5);
    let out = run(
        &[
            "--device",
            &dev(&stranger),
            "identify",
            "--inventory",
            p(&s.inv),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not in the inventory"));
}

#[test]
fn enroll_refuses_a_key_already_enrolled_even_under_another_label() {
    let s = setup();
    let out = run(
        &[
            "--device",
            &dev(&s.k1),
            "enroll",
            "--inventory",
            p(&s.inv),
            "--label",
            "NEW",
            "--account",
            BG2,
            "--custodian",
            "C",
            "--location",
            "L",
            "--pin-stdin",
        ],
        Some(&pin_line()),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in the inventory as BG01-A"));
}

#[test]
fn one_audit_of_several_plugged_keys_reads_one_pin_per_key() {
    let s = setup_with("yubikey-5.7");
    let keys = std::env::join_paths([&s.k1, &s.k2]).unwrap();
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &keys)
        .args([
            "--now",
            T0,
            "--json",
            "audit",
            "--inventory",
            p(&s.inv),
            "--pin-stdin",
        ])
        .write_stdin(format!("BG01-A={PIN}\nBG02-A={PIN}\n"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels: Vec<&str> = v["keys_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["BG01-A", "BG02-A"]);
    assert_eq!(v["check_seq"], 1, "one check entry for the whole run");
    // One PIN short: the second key's PIN is missing, nothing is recorded.
    let before = std::fs::read(&s.inv).unwrap();
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &keys)
        .args([
            "--now",
            T0,
            "audit",
            "--inventory",
            p(&s.inv),
            "--pin-stdin",
        ])
        .write_stdin(format!("BG01-A={PIN}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no PIN for BG02-A (serial 31337002)"));
    assert_eq!(std::fs::read(&s.inv).unwrap(), before);
}

/// A new key reporting an enrolled key's serial is refused at enroll (exit 1, GK001, the
/// inventory untouched, no PIN asked), unless `--allow-duplicate-serial` says it was checked.
#[test]
fn enroll_refuses_a_key_reporting_an_enrolled_serial_unless_told() {
    let s = setup();
    let twin = new_key(s.dir.path(), "twin.json", "yubikey-5.7", 31_337_001);
    let before = std::fs::read(&s.inv).unwrap();
    let args = |extra: &'static [&'static str]| {
        let mut a = vec![
            "--device".to_owned(),
            dev(&twin),
            "--now".into(),
            T0.into(),
            "enroll".into(),
            "--inventory".into(),
            p(&s.inv).into(),
            "--label".into(),
            "BG01-B".into(),
            "--account".into(),
            BG1.into(),
            "--custodian".into(),
            "C".into(),
            "--location".into(),
            "Safe 3".into(),
            "--pin-stdin".into(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let refused = args(&[]);
    let refused: Vec<&str> = refused.iter().map(String::as_str).collect();
    let out = run(&refused, Some(&pin_line()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("GK001") && err.contains("BG01-A"), "{err}");
    assert!(err.contains("--allow-duplicate-serial"), "{err}");
    assert_eq!(std::fs::read(&s.inv).unwrap(), before, "nothing written");
    assert_eq!(common::bin::state(&twin)["pin_retries"], 8);

    let allowed = args(&["--allow-duplicate-serial"]);
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    let out = run(&allowed, Some(&pin_line()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("warning: GK001"), "{err}");
}
