//! Hostile and broken keys through the real binary, over the in-process virtual transport and
//! over UDP: every fault ends in one clear line on stderr, exit code 3, within the deadline, with
//! no panic, and the inventory byte-for-byte unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::bin::{glasskey, init_inventory, register, serve, set_faults, virtual_key, PIN};
use serde_json::{json, Value};

const TIMEOUT_S: u64 = 2;

/// A virtual key with the PIN set, `credentials` passkeys for login.microsoft.com, then
/// `faults` switched on.
fn key_with(dir: &Path, name: &str, faults: Value, credentials: usize) -> PathBuf {
    let key = virtual_key(dir, name).create();
    for i in 0..credentials {
        register(
            &key,
            "login.microsoft.com",
            &format!("u{i}@contoso.onmicrosoft.com"),
        );
    }
    set_faults(&key, faults);
    key
}

/// Runs glasskey against `device` and checks the failure is clean; returns stderr.
fn fails_cleanly(device: &str, args: &[&str], stdin: Option<&str>) -> String {
    let started = Instant::now();
    let mut c = glasskey();
    c.args(["--device", device, "--timeout", &TIMEOUT_S.to_string()])
        .args(args);
    if let Some(s) = stdin {
        c.write_stdin(s.to_owned());
    }
    let out = c.output().unwrap();
    let elapsed = started.elapsed();
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("Touch your key") && !l.starts_with("glasskey: note:"))
        .collect();
    assert_eq!(out.status.code(), Some(3), "{args:?} on {device}: {err}");
    assert_eq!(lines.len(), 1, "one line of error, got: {err}");
    assert!(lines[0].starts_with("glasskey: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        elapsed < Duration::from_secs(TIMEOUT_S * 2 + 3),
        "{args:?} took {elapsed:?}"
    );
    err
}

/// The same fault, in-process and over UDP.
fn both(dir: &Path, name: &str, faults: Value, args: &[&str], stdin: Option<&str>, expect: &str) {
    let key = key_with(dir, name, faults, 0);
    let err = fails_cleanly(&format!("virtual:{}", key.display()), args, stdin);
    assert!(err.contains(expect), "virtual {name}: {err}");
    let server = serve(&key);
    let err = fails_cleanly(&server.device, args, stdin);
    // Over UDP some faults surface as silence: a timeout is the right answer there too.
    assert!(
        err.contains(expect) || err.contains("did not answer in time"),
        "udp {name}: {err}"
    );
}

#[test]
fn framing_faults() {
    let dir = tempfile::tempdir().unwrap();
    both(
        dir.path(),
        "wrong-channel.json",
        json!({ "wrong_channel": true }),
        &["info"],
        None,
        "did not answer in time",
    );
    both(
        dir.path(),
        "bad-seq.json",
        json!({ "bad_sequence": true }),
        &["info"],
        None,
        "malformed CTAPHID reply",
    );
    both(
        dir.path(),
        "oversized.json",
        json!({ "oversized": true }),
        &["info"],
        None,
        "malformed CTAPHID reply",
    );
    both(
        dir.path(),
        "silent.json",
        json!({ "no_answer": true }),
        &["info"],
        None,
        "did not answer in time",
    );
    both(
        dir.path(),
        "busy.json",
        json!({ "busy_replies": 1_000_000 }),
        &["info"],
        None,
        "stayed busy",
    );
}

#[test]
fn cbor_faults() {
    let dir = tempfile::tempdir().unwrap();
    for (name, faults) in [
        ("truncated.json", json!({ "truncated": true })),
        ("malformed.json", json!({ "malformed_cbor": true })),
        ("deep.json", json!({ "deep_cbor": true })),
        ("duplicate.json", json!({ "duplicate_keys": true })),
        ("types.json", json!({ "wrong_types": true })),
    ] {
        both(dir.path(), name, faults, &["info"], None, "malformed reply");
    }
}

#[test]
fn endless_keepalive_ends_at_the_deadline_and_the_inventory_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", "a@t.onmicrosoft.com"]);
    let before = std::fs::read(&inv).unwrap();
    let key = key_with(
        dir.path(),
        "k.json",
        json!({ "endless_keepalive": true }),
        0,
    );
    let args = [
        "enroll",
        "--inventory",
        inv.to_str().unwrap(),
        "--label",
        "K",
        "--account",
        "a@t.onmicrosoft.com",
        "--custodian",
        "C",
        "--location",
        "L",
    ];
    let err = fails_cleanly(&format!("virtual:{}", key.display()), &args, None);
    assert!(err.contains("did not answer in time"), "{err}");
    let server = serve(&key);
    fails_cleanly(&server.device, &args, None);
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}

#[test]
fn vanishing_mid_enumeration_and_absurd_counts() {
    let dir = tempfile::tempdir().unwrap();
    // CBOR replies before the fault: getInfo, retries (shown), retries (re-read right before the
    // PIN), key agreement, token, metadata; the first RP never comes.
    let key = key_with(dir.path(), "vanish.json", json!({}), 2);
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&key).unwrap()).unwrap();
    state["faults"] = json!({ "vanish_after": 6 });
    std::fs::write(&key, state.to_string()).unwrap();
    let err = fails_cleanly(
        &format!("virtual:{}", key.display()),
        &["creds", "--pin-stdin"],
        Some(&format!("{PIN}\n")),
    );
    assert!(err.contains("unplugged"), "{err}");

    let key = key_with(dir.path(), "claims.json", json!({}), 1);
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&key).unwrap()).unwrap();
    state["faults"] = json!({ "claim_total": 10_000 });
    std::fs::write(&key, state.to_string()).unwrap();
    let err = fails_cleanly(
        &format!("virtual:{}", key.display()),
        &["creds", "--pin-stdin"],
        Some(&format!("{PIN}\n")),
    );
    assert!(err.contains("claims 10000"), "{err}");
    let server = serve(&key);
    let err = fails_cleanly(
        &server.device,
        &["creds", "--pin-stdin"],
        Some(&format!("{PIN}\n")),
    );
    assert!(err.contains("claims 10000"), "{err}");
}

#[test]
fn a_broken_reply_during_audit_leaves_the_inventory_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    glasskey()
        .args(["inventory", "init", "--allow-software-keys"])
        .arg(&inv)
        .args([
            "--tenant",
            "t",
            "--account",
            "u0@contoso.onmicrosoft.com",
            "--min-keys",
            "1",
        ])
        .assert()
        .success();
    let key = key_with(dir.path(), "k.json", json!({}), 1);
    let dev = format!("virtual:{}", key.display());
    glasskey()
        .args(["--device", &dev, "enroll", "--inventory"])
        .arg(&inv)
        .args([
            "--label",
            "K",
            "--account",
            "u0@contoso.onmicrosoft.com",
            "--custodian",
            "C",
            "--location",
            "L",
        ])
        .assert()
        .success();
    let before = std::fs::read(&inv).unwrap();
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&key).unwrap()).unwrap();
    state["faults"] = json!({ "truncated": true });
    std::fs::write(&key, state.to_string()).unwrap();
    fails_cleanly(
        &dev,
        &["audit", "--inventory", inv.to_str().unwrap(), "--pin-stdin"],
        Some(&format!("{PIN}\n")),
    );
    assert_eq!(
        std::fs::read(&inv).unwrap(),
        before,
        "byte-for-byte unchanged"
    );
}

#[test]
fn ctrl_c_while_waiting_for_a_touch_cancels_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", "a@t.onmicrosoft.com"]);
    let before = std::fs::read(&inv).unwrap();
    let key = key_with(
        dir.path(),
        "k.json",
        json!({ "endless_keepalive": true }),
        0,
    );
    let started = Instant::now();
    let child = common::bin::std_command()
        .args([
            "--device",
            &format!("virtual:{}", key.display()),
            "--timeout",
            "30",
            "enroll",
            "--inventory",
        ])
        .arg(&inv)
        .args([
            "--label",
            "K",
            "--account",
            "a@t.onmicrosoft.com",
            "--custodian",
            "C",
            "--location",
            "L",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let _ = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "Ctrl-C must not wait for the 30 s timeout"
    );
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("cancelled; the key was told to stop waiting"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}
