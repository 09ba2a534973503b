//! `glasskey vet` against virtual keys with glasskey's TEST attestation CA: a genuine key
//! passes, and each defect gives its own finding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::bin::{dev, glasskey, init_inventory, only, pin_line, rules, PIN};
use serde_json::Value;

fn test_root() -> String {
    format!("{}/data/test-ca/test-root.pem", env!("CARGO_MANIFEST_DIR"))
}

fn key(dir: &Path, name: &str, profile: &str, attestation: &str, pin: bool) -> PathBuf {
    common::bin::virtual_key(dir, name)
        .profile(profile)
        .attestation(attestation)
        .pin(pin.then_some(common::bin::PIN))
        .create()
}

fn vet(k: &Path, extra: &[&str], trust_test_root: bool) -> (Value, i32) {
    let mut c = glasskey();
    c.args(["--json", "--device", &dev(k), "vet", "--pin-stdin"])
        .args(extra);
    if trust_test_root {
        c.args(["--trust-root", &test_root()]);
    }
    let out = c.write_stdin(pin_line()).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

#[test]
fn a_genuine_factory_fresh_key_passes() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "k.json", "yubikey-5.7", "test-ca", true);
    let (v, code) = vet(&k, &[], true);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["attestation"]["kind"], "basic");
    assert_eq!(v["attestation"]["signature_valid"], true);
    assert_eq!(v["attestation"]["aaguid_matches"], true);
    assert!(v["attestation"]["anchor"]
        .as_str()
        .unwrap()
        .ends_with("test-root.pem"));
    assert_eq!(v["credentials_present"], 0);
    assert!(v["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["present"] == true));
    // The throwaway attestation credential is non-discoverable: no slot used.
    assert_eq!(v["remaining_discoverable_credentials"], 100);
}

#[test]
fn without_trusting_the_test_root_the_chain_is_untrusted() {
    let dir = tempfile::tempdir().unwrap();
    let (v, code) = vet(
        &key(dir.path(), "k.json", "yubikey-5.7", "test-ca", true),
        &[],
        false,
    );
    assert_eq!(code, 1);
    only(&v, "GK022");
}

#[test]
fn each_attestation_defect_has_its_own_finding() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, rule) in [
        ("test-ca-untrusted", "GK022"),
        ("test-ca-wrong-aaguid", "GK023"),
        ("test-ca-bad-signature", "GK021"),
        ("self", "GK020"),
        ("none", "GK020"),
    ] {
        let (v, code) = vet(
            &key(
                dir.path(),
                &format!("{mode}.json"),
                "yubikey-5.7",
                mode,
                true,
            ),
            &[],
            true,
        );
        assert_eq!(code, 1, "{mode}");
        only(&v, rule);
    }
}

#[test]
fn a_used_key_is_not_factory_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "k.json", "yubikey-5.7", "test-ca", true);
    glasskey()
        .args(["virtual", "register"])
        .arg(&k)
        .args(["--user", "someone", "--rp", "example.org", "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .assert()
        .success();
    let (v, _) = vet(&k, &[], true);
    only(&v, "GK024");
    assert_eq!(v["credentials_present"], 1);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("for example.org"),
        "{v}"
    );
}

#[test]
fn an_old_key_lacks_capabilities_and_has_an_advisory() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = vet(
        &key(dir.path(), "k.json", "yubikey-5.4", "test-ca", true),
        &[],
        true,
    );
    assert_eq!(
        rules(&v),
        BTreeSet::from(["GK012".to_owned(), "GK025".to_owned()]),
        "{v}"
    );
    let missing: BTreeSet<&str> = v["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["present"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        BTreeSet::from(["CTAP 2.1 or later", "PIN protocol 2", "minPINLength"])
    );
}

#[test]
fn a_key_without_a_pin_is_vetted_before_its_pin_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let (v, code) = vet(
        &key(dir.path(), "k.json", "yubikey-5.7", "test-ca", false),
        &[],
        true,
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pin_set"], false);
    assert_eq!(v["credentials_present"], Value::Null);
}

#[test]
fn against_an_inventory_allow_list_and_enrollment() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", "a@t.onmicrosoft.com"]);
    let k = key(dir.path(), "k.json", "yubikey-5.7", "test-ca", true);
    let (v, code) = vet(&k, &["--inventory", inv.to_str().unwrap()], true);
    assert_eq!(code, 0, "{v}");
    glasskey()
        .args([
            "--device",
            &format!("virtual:{}", k.display()),
            "enroll",
            "--inventory",
        ])
        .arg(&inv)
        .args([
            "--label",
            "K1",
            "--account",
            "a@t.onmicrosoft.com",
            "--custodian",
            "C",
            "--location",
            "L",
        ])
        .assert()
        .success();
    let (v, _) = vet(&k, &["--inventory", inv.to_str().unwrap()], true);
    only(&v, "GK026");
    let text = std::fs::read_to_string(&inv).unwrap().replace(
        "allowed_aaguids = []",
        "allowed_aaguids = [\"ee882879-721c-4913-9775-3dfcce97072a\"]",
    );
    std::fs::write(&inv, text).unwrap();
    let fresh = key(dir.path(), "k2.json", "yubikey-5.7", "test-ca", true);
    let (v, _) = vet(&fresh, &["--inventory", inv.to_str().unwrap()], true);
    only(&v, "GK019");
}

/// Packed attestation with every algorithm beyond ES256 that deliverable 1 names: ES384, EdDSA
/// and RS256 under a P-256 root; ES512 and PS256 through chains signed with the same family
/// (ecdsa-with-SHA512 by a P-521 root; RSASSA-PSS SHA-256 by an RSA root). Each is genuine with
/// its root, untrusted (GK022) without, and with its signature tampered GK021 whatever the chain.
#[test]
fn packed_attestations_with_es384_eddsa_rs256_es512_and_ps256_verify() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, alg, root) in [
        ("test-ca-es384", "ES384", "root.pem"),
        ("test-ca-eddsa", "EdDSA", "root.pem"),
        ("test-ca-rs256", "RS256", "root.pem"),
        ("test-ca-es512", "ES512", "p521-root.pem"),
        ("test-ca-ps256", "PS256", "pss-root.pem"),
    ] {
        let root = format!(
            "{}/data/test-ca/algorithms/{root}",
            env!("CARGO_MANIFEST_DIR")
        );
        let k = key(
            dir.path(),
            &format!("{mode}.json"),
            "yubikey-5.7",
            mode,
            true,
        );
        let (v, code) = vet(&k, &["--trust-root", &root], false);
        assert_eq!(code, 0, "{mode}: {v}");
        let a = &v["attestation"];
        assert_eq!(a["algorithm"], alg, "{mode}");
        assert_eq!(a["signature_valid"], true, "{mode}: {a}");
        assert_eq!(a["chain_error"], Value::Null, "{mode}: {a}");
        assert_eq!(a["anchor"].as_str().unwrap(), format!("extra:{root}"));
        // Not trusted without its root.
        let (v, code) = vet(&k, &[], true);
        assert_eq!(code, 1, "{mode}");
        only(&v, "GK022");

        // The same key with its attestation signature tampered with.
        common::bin::set_faults(
            &k,
            serde_json::json!({"tamper_attestation_signature": true}),
        );
        let (v, code) = vet(&k, &["--trust-root", &root], false);
        assert_eq!(code, 1, "{mode}: {v}");
        assert_eq!(v["attestation"]["signature_valid"], false, "{mode}");
        assert_eq!(v["attestation"]["algorithm"], alg, "{mode}");
        only(&v, "GK021");
    }
}
