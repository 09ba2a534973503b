//! `--pin-stdin` from a stdin left non-blocking (O_NONBLOCK, set on the pipe by the program
//! that started glasskey): glasskey waits for the line, as it does on any other pipe, instead
//! of failing with the system's "Resource temporarily unavailable (os error 11)" (HOSTILE-7
//! F11).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::Stdio;
use std::time::Duration;

use common::bin::{dev, pin_line, std_command, virtual_key};

#[test]
fn a_pin_arriving_late_on_a_non_blocking_stdin_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    let (reader, mut writer) = std::io::pipe().unwrap();
    // SAFETY: F_GETFL/F_SETFL on a descriptor this test owns.
    unsafe {
        let flags = libc::fcntl(reader.as_raw_fd(), libc::F_GETFL);
        assert!(flags >= 0);
        assert_eq!(
            libc::fcntl(reader.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK),
            0
        );
    }
    let child = std_command()
        .args(["pin", "verify", "--device", &dev(&key), "--pin-stdin"])
        .stdin(Stdio::from(reader))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    // A glasskey that gave up already has closed the pipe: its stderr says why.
    let _ = writer.write_all(pin_line().as_bytes());
    drop(writer);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("PIN correct"),
        "{stderr}"
    );
}

/// What cannot be read at all is said in a sentence that says what to do, not only in the
/// system's words.
#[test]
fn a_directory_on_stdin_is_refused_in_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    let out = std_command()
        .args(["pin", "verify", "--device", &dev(&key), "--pin-stdin"])
        .stdin(std::fs::File::open(dir.path()).unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdin is a directory"), "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
}
