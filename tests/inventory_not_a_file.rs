//! Files the admin names (the inventory, an Entra export, a virtual key) must be regular files:
//! a FIFO or a device is refused at once instead of blocking or being read without end (hostile
//! test F13).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bin::glasskey;

fn refused_at_once(path: &str) {
    for args in [
        vec!["inventory", "validate", path],
        vec!["inventory", "verify", path],
    ] {
        let out = glasskey()
            .timeout(std::time::Duration::from_secs(20))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
}

#[test]
fn a_device_is_not_read_without_end() {
    refused_at_once("/dev/zero");
}

#[test]
fn a_fifo_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("inv.toml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    refused_at_once(fifo.to_str().unwrap());
}

#[test]
fn an_entra_export_that_is_a_fifo_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    common::bin::init_inventory(&inv, &["--account", common::bin::BG1]);
    let fifo = dir.path().join("export.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = glasskey()
        .timeout(std::time::Duration::from_secs(20))
        .args(["entra", "check", "--inventory", common::bin::p(&inv)])
        .args(["--export", fifo.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

/// A virtual key file is read like the inventory: a device or a FIFO named as one is refused at
/// once, whether named with --device or listed in the discovery hook.
#[test]
fn a_virtual_key_file_that_is_a_device_or_fifo_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("key.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let fifo = fifo.to_str().unwrap();
    for path in ["/dev/zero", fifo] {
        let device = format!("virtual:{path}");
        let out = glasskey()
            .timeout(std::time::Duration::from_secs(20))
            .args(["info", "--device", &device])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {err}");
        assert!(err.contains("not a regular file"), "{path}: {err}");
        let out = glasskey()
            .timeout(std::time::Duration::from_secs(20))
            .env("GLASSKEY_VIRTUAL_KEYS", path)
            .args(["list"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("not a regular file"), "{path}: {text}");
    }
}
