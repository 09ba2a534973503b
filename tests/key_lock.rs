//! One PIN-bearing exchange per key at a time, across processes (hostile F18): several glasskey
//! runs sending a wrong PIN to one key at 4 retries must leave it at 3, never lower, without
//! `--force`: each run holds the key's lock from its fresh retries read to the key's reply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bin::{ctrl_c_after, edit_json, glasskey, serve, spawn_pin_verify, virtual_key};
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

/// Starts `PARALLEL` `pin verify` runs with a wrong PIN at once, each with the environment
/// `env(i)` sets; returns their stderr texts.
fn wrong_pins_at_once(
    device: &str,
    env: impl Fn(usize, &mut std::process::Command),
) -> Vec<String> {
    let children: Vec<_> = (0..PARALLEL)
        .map(|i| {
            let mut command = common::bin::std_command();
            env(i, &mut command);
            spawn_pin_verify(command, device, &[], "000000")
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
    let tmp = tempfile::tempdir().unwrap();
    for trial in 0..TRIALS {
        let key = virtual_key(dir.path(), &format!("k{trial}.json")).create();
        edit_json(&key, |s| s["pin_retries"] = 4.into());
        let server = serve(&key);
        // Runs from different environments (a desktop session, cron, `env -i`, another
        // TMPDIR) must still take one lock (HOSTILE-4 finding 1).
        let errors = wrong_pins_at_once(&server.device, |i, c| {
            match i % 3 {
                0 => c.env("XDG_RUNTIME_DIR", runtime.path()),
                1 => c.env_remove("XDG_RUNTIME_DIR").env("TMPDIR", tmp.path()),
                _ => c.env_remove("XDG_RUNTIME_DIR").env_remove("TMPDIR"),
            };
        });
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
/// the user's private directory /tmp/glasskey-UID, whatever the environment says.
#[test]
fn a_key_held_by_another_glasskey_gets_no_pin_and_a_clear_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "held.json").create();
    let server = serve(&key);
    // The test process plays the other glasskey, with another environment than the child.
    let endpoint = server.device.clone();
    let lock = glasskey::ctap2::key_lock::KeyLock::for_endpoint(endpoint);
    let held = lock.hold(std::time::Duration::ZERO, None).unwrap();
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
    // It said once, naming the key, that it was waiting, and for how long at most.
    assert_eq!(waiting_lines(&err, &server.device, 1), 1, "{err}");
    drop(held);
    assert_eq!(retries(&server.device), 8);
    let path = lock.path().unwrap();
    let lock_dir = path.parent().unwrap();
    let uid = rustix::process::geteuid().as_raw();
    assert_eq!(
        lock_dir,
        std::path::Path::new(&format!("/tmp/glasskey-{uid}"))
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::symlink_metadata(lock_dir).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o700);
    assert!(path.is_file());
    assert_eq!(
        std::fs::read_dir(runtime.path()).unwrap().count(),
        0,
        "nothing under XDG_RUNTIME_DIR"
    );
}

/// How many lines of `stderr` say that glasskey waits for another glasskey process using
/// `device`, for at most `timeout` seconds.
fn waiting_lines(stderr: &str, device: &str, timeout: u64) -> usize {
    stderr
        .lines()
        .filter(|l| {
            l.starts_with(&format!(
                "Waiting for another glasskey process to finish with key {device} (up to {timeout} s; Ctrl-C stops)"
            ))
        })
        .count()
}

/// Ctrl-C while waiting for a key another glasskey holds ends the wait at once: exit 3,
/// "cancelled", nothing sent; the wait was announced once, naming the key.
#[test]
fn ctrl_c_ends_the_wait_for_a_key_another_glasskey_holds() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "held.json").create();
    let server = serve(&key);
    let lock = glasskey::ctap2::key_lock::KeyLock::for_endpoint(server.device.clone());
    let held = lock.hold(std::time::Duration::ZERO, None).unwrap();
    let child = spawn_pin_verify(
        common::bin::std_command(),
        &server.device,
        &["--timeout", "30"],
        "000000",
    );
    let (out, took) = ctrl_c_after(child, std::time::Duration::from_millis(1500));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(took < std::time::Duration::from_secs(3), "{err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "cancelled while waiting for another glasskey process to finish with key {}; nothing was sent",
            server.device
        )),
        "{err}"
    );
    assert_eq!(waiting_lines(&err, &server.device, 30), 1, "{err}");
    drop(held);
    assert_eq!(retries(&server.device), 8);
}
