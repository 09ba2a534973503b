//! The virtual key's state file is written like the inventory (hostile F12 and the temp-file
//! finding): one process at a time holds the key, writes go through a fresh temporary file
//! (random name, never a followed link) that keeps the file's mode, and a symlinked key file is
//! written at its target.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use common::bin::{dev, edit_json, glasskey, state, virtual_key};

fn wrong_pin(device: &str) -> std::process::Output {
    glasskey()
        .args(["pin", "verify", "--device", device, "--pin-stdin"])
        .write_stdin("000000\n")
        .output()
        .unwrap()
}

#[test]
fn a_save_keeps_the_mode_and_writes_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json").create();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    wrong_pin(&dev(&key));
    assert_eq!(state(&key)["pin_retries"], 7);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file's mode was not kept");

    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    wrong_pin(&dev(&link));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(state(&key)["pin_retries"], 6, "the target was not written");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Several processes using one `virtual:` key file at once never lose an update: 8 parallel
/// wrong PINs at 4 retries leave it at 3 (one sent, the others read 3 and refuse).
#[test]
fn parallel_users_of_one_virtual_key_file_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    for trial in 0..3 {
        let key = virtual_key(dir.path(), &format!("p{trial}.json")).create();
        edit_json(&key, |s| s["pin_retries"] = 4.into());
        let device = dev(&key);
        let children: Vec<_> = (0..8)
            .map(|_| {
                let mut c = common::bin::std_command()
                    .args(["pin", "verify", "--device", &device, "--pin-stdin"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                c.stdin.take().unwrap().write_all(b"000000\n").unwrap();
                c
            })
            .collect();
        let errors: Vec<String> = children
            .into_iter()
            .map(|c| String::from_utf8_lossy(&c.wait_with_output().unwrap().stderr).into_owned())
            .collect();
        let sent = errors.iter().filter(|e| e.contains("wrong PIN")).count();
        assert_eq!(
            (state(&key)["pin_retries"].as_u64(), sent),
            (Some(3), 1),
            "trial {trial}: retries left, wrong PINs that reached the key:\n{}",
            errors.join("")
        );
    }
}

/// A virtual key file another glasskey has open (here `virtual serve`) is not opened a second
/// time: after the bounded wait, exit 3 naming the holder, and the file is unchanged.
#[test]
fn a_virtual_key_held_by_another_glasskey_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "held.json").create();
    let before = std::fs::read(&key).unwrap();
    let _server = common::bin::serve(&key);
    let out = glasskey()
        .args(["pin", "verify", "--device", &dev(&key), "--pin-stdin"])
        .args(["--timeout", "1"])
        .write_stdin("000000\n")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("another glasskey process is using virtual key")
            && err.contains("virtual serve"),
        "{err}"
    );
    assert_eq!(std::fs::read(&key).unwrap(), before);
}
