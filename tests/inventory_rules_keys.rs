//! Whole-inventory rules on the keys' records: a software key under a policy that no longer
//! admits software keys (GK075), and two keys that report one serial (GK076) — hostile test
//! findings F10 and F9, which `inventory validate` used to pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bin::{dev, enrollment, glasskey, init_inventory, p, rules, virtual_key, BG1, BG2, T0};
use std::path::Path;

fn enroll(inv: &Path, key: &Path, label: &str, account: &str) {
    enrollment(inv, &dev(key), label, account, label)
        .custodian("A")
        .pin(None)
        .args(&["--yes", "--allow-duplicate-serial"])
        .ok();
}

fn validate(inv: &Path) -> serde_json::Value {
    let out = glasskey()
        .args(["--now", T0, "inventory", "validate", p(inv), "--json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_software_key_under_a_policy_that_does_not_admit_them_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", BG1, "--min-keys", "1"]);
    let key = virtual_key(dir.path(), "k.json").create();
    enroll(&inv, &key, "K1", BG1);
    assert!(!rules(&validate(&inv)).contains("GK075"));

    let text = std::fs::read_to_string(&inv).unwrap();
    assert!(text.contains("allow_software_keys = true"));
    std::fs::write(
        &inv,
        text.replace("allow_software_keys = true", "allow_software_keys = false"),
    )
    .unwrap();
    let v = validate(&inv);
    assert!(rules(&v).contains("GK075"), "{v}");
    // Also when the transport was rewritten by hand: the virtual AAGUID still tells.
    let text = std::fs::read_to_string(&inv).unwrap();
    std::fs::write(
        &inv,
        text.replace("transport = \"virtual\"", "transport = \"hid\""),
    )
    .unwrap();
    let v = validate(&inv);
    assert!(rules(&v).contains("GK075"), "{v}");
}

#[test]
fn two_keys_reporting_one_serial_are_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(
        &inv,
        &["--account", BG1, "--account", BG2, "--min-keys", "1"],
    );
    let a = virtual_key(dir.path(), "a.json").serial(4242).create();
    let b = virtual_key(dir.path(), "b.json").serial(4243).create();
    enroll(&inv, &a, "A1", BG1);
    enroll(&inv, &b, "B1", BG2);
    assert!(!rules(&validate(&inv)).contains("GK076"));

    let look_alike = virtual_key(dir.path(), "c.json").serial(4242).create();
    enroll(&inv, &look_alike, "C1", BG2);
    let v = validate(&inv);
    assert!(rules(&v).contains("GK076"), "{v}");
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "GK076")
        .unwrap();
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("A1") && message.contains("C1") && message.contains("4242"),
        "{message}"
    );
}
