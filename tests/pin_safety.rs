//! A PIN-bearing request goes out at most once, right after a fresh retries read, and never
//! after Ctrl-C (DESIGN §3.7). Through the binary, against a scripted key on UDP; the
//! assertions are on what the key received.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use std::io::Write;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use glasskey::virtual_key::Authenticator;
use scripted::{
    authenticator, enrolled_inventory, glasskey, p, Action, ScriptedKey, BG1, BG2, PIN, T0,
};

fn key_with_pin() -> Authenticator {
    authenticator("yubikey-5.7", 31_337_001)
}

fn verify(device: &str, timeout: &str) -> std::process::Output {
    glasskey()
        .args([
            "--device",
            device,
            "--timeout",
            timeout,
            "pin",
            "verify",
            "--pin-stdin",
        ])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap()
}

#[test]
fn retries_spent_by_another_client_during_the_prompt_stop_the_pin() {
    // After glasskey's first retries read, another application spends five attempts.
    let mut first_read_done = false;
    let mut spent = false;
    let key = ScriptedKey::serve(
        key_with_pin(),
        Box::new(move |request, auth| {
            if request.is_get_retries() && !first_read_done {
                first_read_done = true;
            } else if first_read_done && !spent && request.client_pin_sub().is_some() {
                spent = true;
                auth.state_mut().pin_retries = 3;
            }
            Action::Forward
        }),
    );
    let out = verify(&key.device, "5");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        key.pin_material_requests(),
        0,
        "the PIN went out at 3 retries: {err}"
    );
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("only 3 PIN attempts are left"), "{err}");
}

/// A key that answers every PIN-bearing request with `answer`, and what glasskey said.
fn pin_request_answered_with(
    answer: fn() -> Action,
    timeout: &str,
) -> (usize, Option<i32>, String) {
    let key = ScriptedKey::serve(
        key_with_pin(),
        Box::new(move |request, _| {
            if request.carries_pin_material() {
                answer()
            } else {
                Action::Forward
            }
        }),
    );
    let out = verify(&key.device, timeout);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (key.pin_material_requests(), out.status.code(), err)
}

#[test]
fn a_busy_key_gets_the_pin_request_once_and_the_operation_ends() {
    let (sent, code, err) = pin_request_answered_with(|| Action::Busy, "3");
    assert_eq!(sent, 1, "PIN request resent on BUSY: {err}");
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("busy with another application"), "{err}");
    assert!(err.contains("never resends a PIN"), "{err}");
}

#[test]
fn a_silent_key_gets_the_pin_request_once() {
    let (sent, code, err) = pin_request_answered_with(|| Action::Silence, "2");
    assert_eq!(sent, 1, "{err}");
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("no answer before the timeout"), "{err}");
    assert!(err.contains("never resends a PIN"), "{err}");
}

#[test]
fn ctrl_c_at_the_pin_prompt_sends_nothing_more() {
    let key = ScriptedKey::serve(key_with_pin(), Box::new(|_, _| Action::Forward));
    let mut child = common::bin::std_command()
        .args(["--device", &key.device, "pin", "verify", "--pin-stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until glasskey has read the retries and is waiting for the PIN.
    let started = Instant::now();
    while !key.received().iter().any(|r| r.is_get_retries()) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no retries read"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = key.received().len();
    let _ = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(200));
    // The custodian finishes typing after pressing Ctrl-C.
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{PIN}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        key.received().len(),
        before,
        "nothing may be sent after Ctrl-C: {err}"
    );
    assert_eq!(key.pin_material_requests(), 0);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("cancelled"), "{err}");
}

const PIN1: &str = "Kq7!mZ2p";
const PIN2: &str = "Zt4#wR8v";

fn retries_of(key: &std::path::Path) -> u64 {
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key).unwrap()).unwrap();
    state["pin_retries"].as_u64().unwrap()
}

fn audit_plugged(
    inv: &std::path::Path,
    keys: &[std::path::PathBuf],
    stdin: &str,
) -> std::process::Output {
    glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", std::env::join_paths(keys).unwrap())
        .args([
            "--now",
            T0,
            "--json",
            "audit",
            "--inventory",
            p(inv),
            "--pin-stdin",
        ])
        .write_stdin(stdin.to_owned())
        .output()
        .unwrap()
}

#[test]
fn with_two_keys_each_pin_goes_to_the_key_its_line_names() {
    let dir = tempfile::tempdir().unwrap();
    let inv = enrolled_inventory(dir.path(), &[("BG01-A", BG1, PIN1), ("BG02-A", BG2, PIN2)]);
    let keys = [
        dir.path().join("BG01-A.json"),
        dir.path().join("BG02-A.json"),
    ];
    // Named by label and by serial, in the opposite order to discovery.
    let out = audit_plugged(&inv, &keys, &format!("BG02-A={PIN2}\n31337001\t{PIN1}\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["keys_checked"][0]["passkeys"],
        serde_json::json!([BG1]),
        "{v}"
    );
    assert_eq!(
        v["keys_checked"][1]["passkeys"],
        serde_json::json!([BG2]),
        "{v}"
    );
    assert_eq!((retries_of(&keys[0]), retries_of(&keys[1])), (8, 8));

    // Unnamed lines with two keys plugged in are refused before any PIN is sent, even when
    // only one key needs a PIN (BG01-A is at 3 retries): the lines were meant for two keys.
    // So is a single unnamed line (HOSTILE-7 F2): the user cannot see that BG01-A needs none,
    // and the line may be BG01-A's PIN.
    edit_retries(&keys[0], 3);
    let before = std::fs::read(&inv).unwrap();
    for stdin in [format!("{PIN1}\n{PIN2}\n"), format!("{PIN1}\n")] {
        let out = audit_plugged(&inv, &keys, &stdin);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("does not name its key"), "{err}");
        assert_eq!(retries_of(&keys[1]), 8, "no PIN may reach BG02-A: {err}");
        assert_eq!(std::fs::read(&inv).unwrap(), before);
    }
    // The one needed PIN, named, is fine.
    let out = audit_plugged(&inv, &keys, &format!("BG02-A={PIN2}\n"));
    assert_eq!(
        out.status.code(),
        Some(1),
        "GK005 for BG01-A: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(retries_of(&keys[1]), 8);
}

/// HOSTILE-7 F3: with two keys needing a PIN and a line for only one, nothing is sent.
#[test]
fn a_missing_line_for_one_key_stops_the_audit_before_any_pin_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let inv = enrolled_inventory(dir.path(), &[("BG01-A", BG1, PIN1), ("BG02-A", BG2, PIN2)]);
    let keys = [
        dir.path().join("BG01-A.json"),
        dir.path().join("BG02-A.json"),
    ];
    let before = std::fs::read(&inv).unwrap();
    let out = audit_plugged(&inv, &keys, "BG01-A=wrong-pin\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no PIN for BG02-A"), "{err}");
    assert!(err.contains("no PIN was sent"), "{err}");
    assert_eq!((retries_of(&keys[0]), retries_of(&keys[1])), (8, 8));
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}

/// HOSTILE-7 F10: a PIN file with a line for every key of the inventory, used with one key
/// plugged in: the other key's line is set aside, never sent.
#[test]
fn a_pin_file_for_every_key_serves_one_key_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let inv = enrolled_inventory(dir.path(), &[("BG01-A", BG1, PIN1), ("BG02-A", BG2, PIN2)]);
    let key = dir.path().join("BG02-A.json");
    let out = audit_plugged(
        &inv,
        std::slice::from_ref(&key),
        &format!("BG01-A={PIN1}\nBG02-A={PIN2}\n"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["keys_checked"][0]["passkeys"],
        serde_json::json!([BG2]),
        "{err} {v}"
    );
    assert_eq!(retries_of(&key), 8);
}

/// HOSTILE-7 F1: CR line ends leave a carriage return inside the line; such a PIN is refused
/// before anything is sent (it would be set, or tried, as "PIN\rPIN").
#[test]
fn cr_line_ends_are_refused_before_anything_is_sent() {
    let key = ScriptedKey::serve(key_with_pin(), Box::new(|_, _| Action::Forward));
    let verify = |stdin: String| {
        glasskey()
            .args(["--device", &key.device, "pin", "verify", "--pin-stdin"])
            .write_stdin(stdin)
            .output()
            .unwrap()
    };
    let out = verify(format!("{PIN}\r{PIN}\r"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("control or invisible character"), "{err}");
    assert_eq!(key.pin_material_requests(), 0);
    // One line ended by CR alone (or CRLF) is that PIN.
    let out = verify(format!("{PIN}\r"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn edit_retries(key: &std::path::Path, retries: u8) {
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key).unwrap()).unwrap();
    state["pin_retries"] = retries.into();
    std::fs::write(key, state.to_string()).unwrap();
}

#[test]
fn a_pin_typed_decomposed_is_the_same_pin_and_a_mistyped_one_is_refused_before_sending() {
    // Set as "Café-1234" precomposed (NFC); typed with e + combining acute (NFD).
    let pin = glasskey::secret::Pin::new(zeroize::Zeroizing::new("Caf\u{e9}-1234".into())).unwrap();
    let auth = Authenticator::create(None, "yubikey-5.7", Some(7), Some(&pin)).unwrap();
    let key = ScriptedKey::serve(auth, Box::new(|_, _| Action::Forward));
    let run = |stdin: &str| {
        glasskey()
            .args(["--device", &key.device, "pin", "verify", "--pin-stdin"])
            .write_stdin(stdin.to_owned())
            .output()
            .unwrap()
    };
    let out = run("Cafe\u{301}-1234\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("8 of 8 attempts left"));
    let sent = key.pin_material_requests();
    for (typed, why) in [
        ("Caf\u{e9}-1234 \n", "starts or ends with a space"),
        ("\u{feff}Caf\u{e9}-1234\n", "byte-order mark"),
        ("Caf\u{e9}\u{0}1234\n", "NUL"),
        ("123\n", "at least 4 characters"),
    ] {
        let out = run(typed);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{typed:?}: {err}");
        assert!(err.contains(why), "{typed:?}: {err}");
    }
    assert_eq!(
        key.pin_material_requests(),
        sent,
        "a refused PIN must never reach the key"
    );
    assert_eq!(key.with_authenticator(|a| a.state().pin_retries), 8);
}

#[test]
fn a_line_naming_no_key_of_the_run_is_refused_and_spends_no_retry() {
    // Without an inventory the key has no label: "P1=..." names nothing, and read as a PIN it
    // would have spent a retry (hostile test F-N4).
    let dir = tempfile::tempdir().unwrap();
    let inv = enrolled_inventory(dir.path(), &[("BG01-A", BG1, PIN1)]);
    let key = dir.path().join("BG01-A.json");
    let device = format!("virtual:{}", p(&key));
    for line in [format!("P1={PIN1}\n"), format!("nokey\t{PIN1}\n")] {
        let out = glasskey()
            .args(["pin", "verify", "--device", &device, "--pin-stdin"])
            .write_stdin(line)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("no key of this run"), "{err}");
        assert_eq!(retries_of(&key), 8, "{err}");
    }
    // The key's serial names it, and a leading '=' gives an unnamed PIN.
    for line in [format!("31337001={PIN1}\n"), format!("={PIN1}\n")] {
        let out = glasskey()
            .args(["pin", "verify", "--device", &device, "--pin-stdin"])
            .write_stdin(line)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // With the inventory, the label names it.
    let out = audit_plugged(
        &inv,
        std::slice::from_ref(&key),
        &format!("BG01-A={PIN1}\n"),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["keys_checked"][0]["passkeys"],
        serde_json::json!([BG1]),
        "{v}"
    );
    assert_eq!(retries_of(&key), 8);
}

/// Every PIN message names its key (label and serial): with two keys, a wrong PIN on one line
/// says which key refused it; so do `pin verify` and the retries refusal.
#[test]
fn pin_messages_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let inv = enrolled_inventory(dir.path(), &[("BG01-A", BG1, PIN1), ("BG02-A", BG2, PIN2)]);
    let keys = [
        dir.path().join("BG01-A.json"),
        dir.path().join("BG02-A.json"),
    ];
    // BG01-A's line holds BG02-A's PIN.
    let out = audit_plugged(&inv, &keys, &format!("BG01-A={PIN2}\nBG02-A={PIN2}\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("BG01-A (serial 31337001): wrong PIN: 7 attempts left"),
        "{err}"
    );

    let device = format!("virtual:{}", keys[1].display());
    let out = glasskey()
        .args(["--device", &device, "pin", "verify", "--pin-stdin"])
        .write_stdin(format!("{PIN1}\n"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the key with serial 31337002: wrong PIN: 7 attempts left"),
        "{err}"
    );

    edit_retries(&keys[1], 3);
    let out = glasskey()
        .args(["--device", &device, "pin", "verify", "--pin-stdin"])
        .write_stdin(format!("{PIN2}\n"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the key with serial 31337002: only 3 PIN attempts are left"),
        "{err}"
    );
}
