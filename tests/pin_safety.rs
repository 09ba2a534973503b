//! A PIN-bearing request goes out at most once, right after a fresh retries read, and never
//! after Ctrl-C (DESIGN §3.7). Through the binary, against a scripted key on UDP; the
//! assertions are on what the key received.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod scripted;

use std::io::Write;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use glasskey::virtual_key::Authenticator;
use scripted::{authenticator, glasskey, Action, ScriptedKey, PIN};

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
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("glasskey"))
        .env_remove("GLASSKEY_VIRTUAL_KEYS")
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
