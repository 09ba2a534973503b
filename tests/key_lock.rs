//! One PIN-bearing exchange per key at a time, across processes (hostile F18): several glasskey
//! runs sending a wrong PIN to one key at 4 retries must leave it at 3, never lower, without
//! `--force`: each run holds the key's lock from its fresh retries read to the key's reply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::Stdio;

use common::bin::{edit_json, glasskey, serve, virtual_key};
use serde_json::Value;

const PARALLEL: usize = 8;
const TRIALS: usize = 4;

fn retries(device: &str) -> u64 {
    let out = glasskey()
        .args(["--json", "pin", "status", "--device", device])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["retries"].as_u64().unwrap()
}

/// Starts `PARALLEL` `pin verify` runs with a wrong PIN at once; returns their stderr texts.
fn wrong_pins_at_once(device: &str, runtime_dir: &std::path::Path) -> Vec<String> {
    let children: Vec<_> = (0..PARALLEL)
        .map(|_| {
            let mut child = common::bin::std_command()
                .args(["pin", "verify", "--device", device, "--pin-stdin"])
                .env("XDG_RUNTIME_DIR", runtime_dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(b"000000\n").unwrap();
            child
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            String::from_utf8_lossy(&out.stderr).into_owned()
        })
        .collect()
}

#[test]
fn parallel_wrong_pins_never_take_a_key_below_three_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    for trial in 0..TRIALS {
        let key = virtual_key(dir.path(), &format!("k{trial}.json")).create();
        edit_json(&key, |s| s["pin_retries"] = 4.into());
        let server = serve(&key);
        let errors = wrong_pins_at_once(&server.device, runtime.path());
        let left = retries(&server.device);
        let wrong = errors.iter().filter(|e| e.contains("wrong PIN")).count();
        assert_eq!(
            (left, wrong),
            (3, 1),
            "trial {trial}: {PARALLEL} parallel wrong PINs at 4 retries left the key at {left}, {wrong} reached it:\n{}",
            errors.join("")
        );
        // Every other run read 3 under the lock and refused without sending.
        let refused = errors
            .iter()
            .filter(|e| e.contains("only 3 PIN attempts are left"))
            .count();
        assert_eq!(refused, PARALLEL - 1, "{}", errors.join(""));
    }
}

/// A key another glasskey holds: after the bounded wait (`--timeout`), exit 3 with a message
/// naming the key and the lock, and no PIN sent (the retries are untouched). The lock lives in
/// a private directory under $XDG_RUNTIME_DIR.
#[test]
fn a_key_held_by_another_glasskey_gets_no_pin_and_a_clear_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "held.json").create();
    let server = serve(&key);
    // The test process plays the other glasskey: same endpoint, same runtime directory.
    std::env::set_var("XDG_RUNTIME_DIR", runtime.path());
    let endpoint = server.device.clone();
    let held = glasskey::ctap2::key_lock::KeyLock::for_endpoint(endpoint)
        .hold(std::time::Duration::ZERO, None)
        .unwrap();
    let out = glasskey()
        .args(["pin", "verify", "--device", &server.device, "--pin-stdin"])
        .args(["--timeout", "1"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .write_stdin("000000\n")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("another glasskey process is sending a PIN to udp:127.0.0.1:")
            && err.contains("sent nothing"),
        "{err}"
    );
    drop(held);
    assert_eq!(retries(&server.device), 8);
    let lock_dir = runtime.path().join("glasskey");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::symlink_metadata(&lock_dir).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o700);
    assert_eq!(std::fs::read_dir(&lock_dir).unwrap().count(), 1);
}
