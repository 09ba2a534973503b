//! Identity before PIN (DESIGN §3.6), through the binary against a scripted look-alike on UDP:
//! a key that cannot prove the inventoried identity it claims never receives PIN material, is
//! reported, and its observation is never stored under the genuine key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use std::path::{Path, PathBuf};

use scripted::lookalike::{echo_identity, Answer};
use scripted::{
    authenticator, enroll, enrolled_inventory, glasskey, identify, last_observation, ok, p,
    Received, ScriptedKey, BG1, BG2, PIN, T0,
};
use serde_json::Value as Json;

/// An inventory with one enrolled virtual key per account (serials 31337001, 31337002).
fn inventory(dir: &Path) -> PathBuf {
    enrolled_inventory(dir, &[("BG01-A", BG1, PIN), ("BG02-A", BG2, PIN)])
}

fn audit(inv: &Path, device: &str) -> (std::process::Output, Json) {
    let out = glasskey()
        .args([
            "--device",
            device,
            "--now",
            T0,
            "--timeout",
            "5",
            "--json",
            "audit",
            "--inventory",
            p(inv),
            "--pin-stdin",
        ])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Json::Null);
    (out, json)
}

fn rules(v: &Json) -> Vec<String> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["rule"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_look_alike_echoing_the_identity_credential_gets_no_pin_material() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    for answer in [Answer::Echo, Answer::Omit] {
        let key = ScriptedKey::serve(
            // A key of its own, with BG01-A's model, serial and PIN.
            authenticator("yubikey-5.7", 31_337_001),
            echo_identity(answer),
        );
        let (out, v) = audit(&inv, &key.device);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            key.pin_material_requests(),
            0,
            "{answer:?}: the look-alike got PIN material: {err}"
        );
        assert!(
            !key.received().iter().any(Received::is_get_retries),
            "no PIN step at all for an unproved key"
        );
        assert_eq!(out.status.code(), Some(1), "{err}");
        let found = rules(&v);
        assert!(
            found.contains(&"GK002".to_owned()) || found.contains(&"GK001".to_owned()),
            "{answer:?}: {v}"
        );
        assert_eq!(
            last_observation(&inv, "BG01-A"),
            None,
            "the look-alike's observation must not be stored under BG01-A"
        );
    }
}

#[test]
fn a_key_whose_passkeys_cannot_be_read_is_a_finding_and_enroll_asks_first() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    ok(
        &[
            "inventory",
            "init",
            "--allow-software-keys",
            p(&inv),
            "--tenant",
            "t",
            "--account",
            BG1,
            "--min-keys",
            "1",
        ],
        "",
    );
    let key = dir.path().join("no-rk.json");
    ok(
        &[
            "virtual",
            "create",
            p(&key),
            "--profile",
            "no-rk",
            "--pin-stdin",
        ],
        &format!("{PIN}\n"),
    );
    let dev = format!("virtual:{}", key.display());
    let refused = enroll(&inv, &dev, "BG01-A", BG1, PIN, &[]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("no credential management"), "{err}");
    assert!(err.contains("--yes"), "{err}");
    let enrolled = enroll(&inv, &dev, "BG01-A", BG1, PIN, &["--yes"]);
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );

    let (out, v) = audit(&inv, &dev);
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert!(rules(&v).contains(&"GK050".to_owned()), "{v}");
    let text = glasskey()
        .args([
            "--device",
            &dev,
            "--now",
            T0,
            "audit",
            "--inventory",
            p(&inv),
            "--pin-stdin",
        ])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("GK050"), "{stdout}");
    assert!(!stdout.contains("result: pass"), "{stdout}");
}

/// `identify` of a look-alike that answers as BG01-A with a garbage signature never headlines
/// "… is BG01-A": it says the key claims that identity and did not prove it, and the JSON
/// names no proved label.
#[test]
fn identify_never_headlines_an_identity_that_failed_proof() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        echo_identity(Answer::Echo),
    );
    let out = glasskey()
        .args(["--device", &key.device, "identify", "--inventory", p(&inv)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let headline = text.lines().next().unwrap_or_default();
    assert!(!headline.contains(" is BG01-A"), "{text}");
    assert!(headline.contains("NOT proved"), "{text}");
    assert!(headline.contains("BG01-A"), "the claim is named: {text}");

    let out = glasskey()
        .args([
            "--device",
            &key.device,
            "--json",
            "identify",
            "--inventory",
            p(&inv),
        ])
        .output()
        .unwrap();
    let v: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["identity_proved"], false, "{v}");
    assert_eq!(v["label"], Json::Null, "{v}");
    assert_eq!(v["claimed_label"], "BG01-A", "{v}");
}

/// The genuine key's recorded fingerprint, account and location are never shown as a
/// look-alike's own: on the terminal only as what the claimed key's record says, and in JSON
/// only under `claimed_*` names; `identity_fingerprint` is null.
#[test]
fn identify_shows_a_claimed_fingerprint_only_as_the_claimed_keys() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        echo_identity(Answer::Echo),
    );
    let out = glasskey()
        .args(["--device", &key.device, "identify", "--inventory", p(&inv)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("identity fingerprint"), "{text}");
    assert!(
        text.contains("claims to be BG01-A, whose recorded fingerprint is "),
        "{text}"
    );
    assert!(text.contains("this key's identity is NOT proved"), "{text}");

    let out = glasskey()
        .args([
            "--device",
            &key.device,
            "--json",
            "identify",
            "--inventory",
            p(&inv),
        ])
        .output()
        .unwrap();
    let v: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["identity_fingerprint"], Json::Null, "{v}");
    assert_eq!(v["account"], Json::Null, "{v}");
    assert_eq!(v["location"], Json::Null, "{v}");
    assert_eq!(v["claimed_account"], BG1, "{v}");
    let claimed = v["claimed_fingerprint"].as_str().unwrap_or_default();
    assert!(claimed.len() >= 16, "{v}");
    assert!(text.contains(&claimed[..4]), "{text}");
}

/// Nothing of the claimed key's record is shown as this key's: no account or location on the
/// terminal at all, and in JSON only under `claimed_*` names, `in_inventory` false; the reason
/// the proof failed is said plainly.
fn assert_claimed_only(code: Option<i32>, text: &str, v: &Json, claimed_by: &str) {
    assert_eq!(code, Some(1), "{text}");
    assert!(
        !text.contains(BG1) && !text.contains("stored at"),
        "the claimed key's account and location are not this key's: {text}"
    );
    for own in ["label", "account", "location", "identity_fingerprint"] {
        assert_eq!(v[own], Json::Null, "{own}: {v}");
    }
    assert_eq!(v["in_inventory"], false, "{v}");
    assert_eq!(v["identity_proved"], false, "{v}");
    assert_eq!(v["claimed_label"], "BG01-A", "{v}");
    assert_eq!(v["claimed_account"], BG1, "{v}");
    assert_eq!(v["claimed_by"], claimed_by, "{v}");
}

#[test]
fn identify_of_a_key_failing_its_signature_shows_the_claim_only_as_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        echo_identity(Answer::Echo),
    );
    let (code, text, v) = identify(&inv, &key.device);
    assert_claimed_only(code, &text, &v, "identity-credential");
    let headline = text.lines().next().unwrap_or_default();
    assert!(
        headline.contains("identity NOT proved")
            && headline.contains("claims to be BG01-A")
            && headline.contains("signature did NOT verify"),
        "{text}"
    );
    let why = v["proof_failure"].as_str().unwrap_or_default();
    assert!(why.contains("signature did NOT verify"), "{v}");
}

#[test]
fn identify_of_a_stale_copy_shows_the_claim_only_as_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let genuine = dir.path().join("BG01-A.json");
    let stale = dir.path().join("stale.json");
    std::fs::copy(&genuine, &stale).unwrap();
    // The genuine key is audited after the copy was taken, more often than the copy is asked
    // below: its counter is recorded past every one the copy will give.
    for _ in 0..3 {
        let (out, v) = audit(&inv, &format!("virtual:{}", genuine.display()));
        assert!(
            v["keys_checked"][0]["identity_verified"] == true,
            "{v} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, text, v) = identify(&inv, &format!("virtual:{}", stale.display()));
    assert_claimed_only(code, &text, &v, "identity-credential");
    assert_eq!(v["sign_count_regressed"], true, "{v}");
    let headline = text.lines().next().unwrap_or_default();
    assert!(
        headline.contains("identity NOT proved") && headline.contains("possible clone"),
        "{text}"
    );
    let why = v["proof_failure"].as_str().unwrap_or_default();
    assert!(why.contains("counter"), "{v}");
}

/// A key answering with a credential that was not asked for is an unknown key, and identify
/// says why.
#[test]
fn identify_of_a_key_answering_for_a_credential_not_asked_for_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_009),
        echo_identity(Answer::Stranger),
    );
    let (code, text, v) = identify(&inv, &key.device);
    assert_eq!(code, Some(1), "{text}");
    let headline = text.lines().next().unwrap_or_default();
    assert!(
        headline.contains("is not in the inventory") && headline.contains("not asked for"),
        "{text}"
    );
    assert_eq!(v["in_inventory"], false, "{v}");
    let why = v["proof_failure"].as_str().unwrap_or_default();
    assert!(why.contains("not asked for"), "{v}");
}

/// A key that proves no identity but reports BG01-A's serial claims BG01-A by serial: identify
/// says so, and shows nothing of BG01-A's record as its own.
#[test]
fn identify_of_an_unknown_key_with_a_copied_serial_shows_the_claim_only_as_a_claim() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let twin = common::bin::virtual_key(dir.path(), "twin.json")
        .serial(31_337_001)
        .create();
    let (code, text, v) = identify(&inv, &common::bin::dev(&twin));
    assert_claimed_only(code, &text, &v, "serial");
    assert_eq!(
        v["claimed_fingerprint"],
        Json::Null,
        "no fingerprint was claimed: {v}"
    );
    let headline = text.lines().next().unwrap_or_default();
    assert!(
        headline.contains("is not in the inventory")
            && headline.contains("serial of BG01-A")
            && headline.contains("holds none of the inventoried identity credentials"),
        "{text}"
    );
    let why = v["proof_failure"].as_str().unwrap_or_default();
    assert!(why.contains("holds none"), "{v}");
}
