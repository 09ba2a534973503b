//! How an audit heads a device that claimed an inventoried key without proving it (a garbage
//! signature, GK002; a counter behind, GK003; a copied serial and no identity credential,
//! GK001): in the same words as `identify`, in every rendering, and in JSON only as a claim.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use std::path::{Path, PathBuf};

use scripted::lookalike::{echo_identity, Answer};
use scripted::{authenticator, enrolled_inventory, glasskey, p, ScriptedKey, BG1, BG2, PIN, T0};
use serde_json::Value as Json;

fn inventory(dir: &Path) -> PathBuf {
    enrolled_inventory(dir, &[("BG01-A", BG1, PIN), ("BG02-A", BG2, PIN)])
}

/// `audit` of `device`: `global` options before the command, `extra` after it.
fn audit(inv: &Path, device: &str, global: &[&str], extra: &[&str]) -> (Option<i32>, String) {
    let out = glasskey()
        .args(["--device", device, "--now", T0, "--timeout", "5"])
        .args(global)
        .args(["audit", "--inventory", p(inv), "--pin-stdin"])
        .args(extra)
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// What `identify` says of `device`, after the device name: "identity NOT proved: it claims
/// to be BG01-A but …" or "not in the inventory: it reports the serial of BG01-A …".
fn identify_words(inv: &Path, device: &str) -> String {
    let out = glasskey()
        .args(["--device", device, "identify", "--inventory", p(inv)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let headline = text.lines().next().unwrap_or_default();
    headline
        .strip_prefix(&format!("{device}: "))
        .or_else(|| headline.strip_prefix(&format!("{device} is ")))
        .unwrap_or_else(|| panic!("identify headline {headline:?}"))
        .to_owned()
}

/// The device is headed "DEVICE — <identify's words>" in the text, Markdown and HTML reports,
/// never as a bare "not in the inventory"; its JSON names the claimed key only under
/// `claimed_label` with `claimed_by` and `proof_failure`, and none of that key's record as its
/// own.
fn assert_headed_as_a_claim(inv: &Path, device: &str, claimed_by: &str, reason: &str) {
    let words = identify_words(inv, device);
    assert!(
        words.contains("BG01-A") && words.contains(reason),
        "{words}"
    );
    let heading = format!("{device} — {words}");
    for (what, extra) in [
        ("text", vec![]),
        ("markdown", vec!["--report", "md"]),
        ("html", vec!["--report", "html"]),
    ] {
        let (code, shown) = audit(inv, device, &[], &extra);
        assert_eq!(code, Some(1), "{what}: {shown}");
        assert!(
            masked(&shown).contains(&masked(&heading)),
            "{what}: no {heading:?} in {shown}"
        );
        // Its PIN was never read: the report says so, not that no PIN is set (HOSTILE-8 F12).
        assert!(!shown.contains("NOT SET"), "{what}: {shown}");
    }
    let (code, shown) = audit(inv, device, &["--json"], &[]);
    assert_eq!(code, Some(1), "{shown}");
    let v: Json = serde_json::from_str(&shown).unwrap();
    let k = &v["keys_checked"][0];
    for own in ["label", "account", "identity_fingerprint", "proved_twice"] {
        assert_eq!(k[own], Json::Null, "{own}: {k}");
    }
    assert_eq!(k["identity_verified"], false, "{k}");
    assert_eq!(k["claimed_label"], "BG01-A", "{k}");
    assert_eq!(k["claimed_by"], claimed_by, "{k}");
    let why = k["proof_failure"].as_str().unwrap_or_default();
    assert!(
        masked(&words).contains(&masked(why)),
        "{why:?} vs {words:?}"
    );
    assert!(why.contains(reason), "{why:?}");
    // The check entry names it by the claim too, never as the claimed key itself.
    let inv: glasskey::inventory::Inventory =
        toml::from_str(&std::fs::read_to_string(inv).unwrap()).unwrap();
    let last = inv.checks.last().unwrap();
    assert_eq!(
        last.keys,
        [format!("BG01-A claimed, not proved, at {device}")],
        "{:?}",
        last.keys
    );
}

/// A stale copy's counter moves with every run, so its words are compared with digits masked.
fn masked(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

#[test]
fn a_device_failing_its_signature_is_headed_as_claiming_the_key_not_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_001),
        echo_identity(Answer::Echo),
    );
    assert_headed_as_a_claim(
        &inv,
        &key.device,
        "identity-credential",
        "signature did NOT verify",
    );
}

#[test]
fn a_stale_copy_is_headed_as_claiming_the_key_not_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let genuine = dir.path().join("BG01-A.json");
    let stale = dir.path().join("stale.json");
    std::fs::copy(&genuine, &stale).unwrap();
    // The genuine key's recorded counter moves past every one the copy gives below (one
    // identify and four audits).
    for _ in 0..6 {
        let (code, out) = audit(&inv, &format!("virtual:{}", genuine.display()), &[], &[]);
        assert_eq!(code, Some(0), "{out}");
    }
    assert_headed_as_a_claim(
        &inv,
        &format!("virtual:{}", stale.display()),
        "identity-credential",
        "possible clone",
    );
}

#[test]
fn a_device_with_a_copied_serial_is_headed_as_claiming_the_key_by_serial() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let twin = common::bin::virtual_key(dir.path(), "twin.json")
        .serial(31_337_001)
        .create();
    assert_headed_as_a_claim(
        &inv,
        &common::bin::dev(&twin),
        "serial",
        "holds none of the inventoried identity credentials",
    );
}
