//! The wait for a PIN-bearing request's reply, through the binary against a scripted key on
//! UDP: Ctrl-C ends it promptly, and a key without a serial is named by its device path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use std::process::Stdio;
use std::time::{Duration, Instant};

use scripted::{authenticator, glasskey, Action, ScriptedKey, PIN};

/// Answers everything but the PIN-bearing request, which it swallows in silence.
fn silent_on_pin(profile: &str) -> ScriptedKey {
    ScriptedKey::serve(
        authenticator(profile, 31_337_009),
        Box::new(|r, _| {
            if r.carries_pin_material() {
                Action::Silence
            } else {
                Action::Forward
            }
        }),
    )
}

/// Ctrl-C while the key holds the PIN request unanswered: glasskey tells the key to stop
/// (CTAPHID CANCEL), stops waiting at once, says it was cancelled and that the key may have
/// counted the attempt, and exits 3. The PIN went out once and is not resent.
#[test]
fn ctrl_c_while_a_pin_reply_is_pending_cancels_promptly() {
    let key = silent_on_pin("yubikey-5.7");
    let mut child = common::bin::std_command()
        .args([
            "--device",
            &key.device,
            "--timeout",
            "30",
            "pin",
            "verify",
            "--pin-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{PIN}").unwrap();
    }
    let until = Instant::now() + Duration::from_secs(15);
    while key.pin_material_requests() == 0 {
        assert!(Instant::now() < until, "the PIN request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = i32::try_from(child.id()).unwrap();
    let sent = Instant::now();
    // SAFETY: signals our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        took < Duration::from_secs(5),
        "Ctrl-C took {took:?} to end the wait: {err}"
    );
    assert!(err.contains("cancelled"), "{err}");
    assert!(!err.contains("did not answer"), "{err}");
    assert!(err.contains("glasskey pin status"), "{err}");
    assert!(err.contains("may have counted"), "{err}");
    assert_eq!(key.pin_material_requests(), 1, "the PIN was resent");
    assert!(
        key.received()
            .iter()
            .any(|r| r.hid_command == glasskey::ctaphid::packet::cmd::CANCEL),
        "no CTAPHID CANCEL was sent"
    );
}

/// A key reporting no serial (a non-YubiKey over UDP has neither a USB serial string nor the
/// YubiKey vendor command) is named by its device path at the prompt and in errors, not
/// "the key".
#[test]
fn a_key_without_a_serial_is_named_by_its_device_path() {
    let key = ScriptedKey::serve(
        authenticator("ctap22", 31_337_010),
        Box::new(|_, _| Action::Forward),
    );
    let out = glasskey()
        .args(["--device", &key.device, "pin", "verify", "--pin-stdin"])
        .write_stdin("00000000\n")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("glasskey: {}: wrong PIN", key.device)),
        "{err}"
    );
    assert!(!err.contains("the key: "), "{err}");
}
