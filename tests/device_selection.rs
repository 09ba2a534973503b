//! `--device SERIAL` must name exactly one key: serials can be copied, so two keys reporting the
//! same serial are an error listing both, and nothing is sent to either (HOSTILE-1 F15).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use assert_cmd::Command;

fn glasskey() -> Command {
    common::bin::glasskey()
}

fn create(dir: &Path, name: &str, serial: &str) {
    glasskey()
        .current_dir(dir)
        .args(["virtual", "create", name, "--serial", serial, "--pin-stdin"])
        .write_stdin("428193\n")
        .assert()
        .success();
}

fn retries(dir: &Path, name: &str) -> u64 {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap();
    state["pin_retries"].as_u64().unwrap()
}

#[test]
fn a_serial_two_keys_report_is_refused_listing_both_and_no_pin_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    create(dir.path(), "a.json", "31337001");
    create(dir.path(), "b.json", "31337001");
    create(dir.path(), "c.json", "42");
    let keys =
        std::env::join_paths(["b.json", "a.json", "c.json"].map(|n| dir.path().join(n))).unwrap();
    for args in [
        &["pin", "verify", "--device", "31337001", "--pin-stdin"][..],
        &["info", "--device", "31337001"][..],
    ] {
        let out = glasskey()
            .current_dir(dir.path())
            .env("GLASSKEY_VIRTUAL_KEYS", &keys)
            .args(args)
            .write_stdin("000000\n")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("a.json") && stderr.contains("b.json") && !stderr.contains("c.json"),
            "{args:?}: both candidates named: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing reported");
    }
    assert_eq!(retries(dir.path(), "a.json"), 8);
    assert_eq!(
        retries(dir.path(), "b.json"),
        8,
        "no PIN went to the look-alike"
    );
    // A serial only one key reports still selects it.
    glasskey()
        .current_dir(dir.path())
        .env("GLASSKEY_VIRTUAL_KEYS", &keys)
        .args(["pin", "verify", "--device", "42", "--pin-stdin"])
        .write_stdin("428193\n")
        .assert()
        .success();
}
