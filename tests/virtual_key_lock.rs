//! The virtual key file's lock (hostile-4 F9): waiting for another glasskey follows
//! `--timeout`, says so and ends on Ctrl-C; a held file exits 3 from every command; a hard link
//! is the same key; a file listed twice in GLASSKEY_VIRTUAL_KEYS is one key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::bin::{ctrl_c_after, dev, glasskey, serve, spawn_pin_verify, state, virtual_key, PIN};

fn wrong_pin_within(device: &str, timeout: &str) -> (std::process::Output, Duration) {
    wrong_pin_by(glasskey(), device, timeout)
}

/// A wrong PIN through `command` (e.g. with a test hook set) to `device`, within `timeout`.
fn wrong_pin_by(
    mut command: assert_cmd::Command,
    device: &str,
    timeout: &str,
) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = command
        .args(["pin", "verify", "--device", device, "--pin-stdin"])
        .args(["--timeout", timeout])
        .write_stdin("000000\n")
        .output()
        .unwrap();
    (out, started.elapsed())
}

#[test]
fn the_wait_for_a_held_virtual_key_follows_timeout_says_so_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    let _server = serve(&key);
    let (out, took) = wrong_pin_within(&dev(&key), "1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(took < Duration::from_secs(5), "waited {took:?}: {err}");
    assert!(
        err.contains("Waiting for another glasskey process"),
        "{err}"
    );
    assert!(
        err.contains("another glasskey process is using virtual key"),
        "{err}"
    );

    // The same refusal from `virtual replug` is exit 3 as well (README exit codes).
    let mut replug = common::bin::std_command()
        .args(["virtual", "replug"])
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: signals our own child.
    unsafe { libc::kill(i32::try_from(replug.id()).unwrap(), libc::SIGINT) };
    let started = Instant::now();
    let status = replug.wait().unwrap();
    assert_eq!(status.code(), Some(3));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(state(&key)["pin_retries"], 8);
}

#[test]
fn ctrl_c_ends_the_wait_for_a_held_virtual_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    let _server = serve(&key);
    let child = spawn_pin_verify(
        common::bin::std_command(),
        &dev(&key),
        &["--timeout", "30"],
        "000000",
    );
    let (out, took) = ctrl_c_after(child, Duration::from_millis(1000));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(took < Duration::from_secs(3), "{err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("cancelled"), "{err}");
    assert_eq!(state(&key)["pin_retries"], 8);
}

/// A hard link names the same key: it cannot be opened while the other name is served.
#[test]
fn a_hard_link_to_a_held_virtual_key_is_held_too() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    let link = dir.path().join("hard.json");
    std::fs::hard_link(&key, &link).unwrap();
    let _server = serve(&key);
    let (out, _) = wrong_pin_within(&dev(&link), "1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("another glasskey process is using virtual key"),
        "{err}"
    );
    assert_eq!(state(&link)["pin_retries"], 8);
}

/// One file named three ways in GLASSKEY_VIRTUAL_KEYS (path, `./`-path, hard link) is one key:
/// no touch-to-select between copies of itself, no wait on its own lock.
#[test]
fn a_virtual_key_listed_twice_is_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    let link = dir.path().join("hard.json");
    std::fs::hard_link(&key, &link).unwrap();
    let dotted = dir.path().join(".").join("k.json");
    let keys = std::env::join_paths([&key, &dotted, &link])
        .unwrap()
        .into_string()
        .unwrap();
    let started = Instant::now();
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &keys)
        .args(["pin", "verify", "--pin-stdin", "--timeout", "20"])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("PIN correct"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{err}");
}

/// A key chosen by serial while another glasskey holds it is not "not plugged in" (hostile-8
/// F13): the run says the key is held by another glasskey process, exit 3, and nothing is sent.
#[test]
fn a_held_virtual_key_chosen_by_serial_is_reported_as_held_not_absent() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json")
        .serial(51_000_001)
        .create();
    let _server = serve(&key);
    let mut hooked = glasskey();
    hooked.env("GLASSKEY_VIRTUAL_KEYS", &key);
    let (out, _) = wrong_pin_by(hooked, "51000001", "1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("is plugged in"), "{err}");
    assert!(
        err.contains("held by another glasskey process") && err.contains("51000001"),
        "{err}"
    );
    assert_eq!(state(&key)["pin_retries"], 8, "nothing was sent");
}
