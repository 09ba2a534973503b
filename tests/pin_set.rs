//! `pin set` and `pin change` through the binary: policy, trivial PINs, confirmation, and the
//! retry safety rules for the current PIN.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::bin::{dev, glasskey, state};

fn key(dir: &Path, profile: &str, pin: Option<&str>) -> PathBuf {
    common::bin::virtual_key(dir, "k.json")
        .profile(profile)
        .pin(pin)
        .create()
}

fn run(k: &Path, args: &[&str], stdin: &str) -> (i32, String) {
    let out = glasskey()
        .args(["--device", &dev(k)])
        .args(args)
        .write_stdin(stdin.to_owned())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

#[test]
fn set_a_first_pin_then_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", None);
    let (code, out) = run(&k, &["pin", "set", "--pin-stdin", "--yes"], "Kq7!mZ2p\n");
    assert_eq!(code, 0, "{out}");
    assert!(state(&k)["pin_hash"].is_string());
    assert_eq!(
        run(&k, &["pin", "verify", "--pin-stdin"], "Kq7!mZ2p\n").0,
        0
    );
    let (code, out) = run(&k, &["pin", "set", "--pin-stdin", "--yes"], "Zz9#Zz9#\n");
    assert_eq!(code, 2);
    assert!(out.contains("already set"), "{out}");
}

#[test]
fn policy_and_trivial_pins_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", None);
    for (pin, why) in [
        ("4821", "at least 6 characters"),
        ("111111", "repeats one character"),
        ("123456", "sequence like 1234"),
        ("987654", "sequence like 1234"),
    ] {
        let (code, out) = run(
            &k,
            &["pin", "set", "--pin-stdin", "--yes"],
            &format!("{pin}\n"),
        );
        assert_eq!(code, 2, "{pin}: {out}");
        assert!(out.contains(why), "{pin}: {out}");
        assert!(state(&k)["pin_hash"].is_null(), "{pin} was written");
    }
    // A stricter inventory policy wins over the key's own minimum.
    let inv = dir.path().join("bg.toml");
    glasskey()
        .args(["inventory", "init", "--allow-software-keys"])
        .arg(&inv)
        .args(["--tenant", "t", "--min-pin-length", "10"])
        .assert()
        .success();
    let (code, out) = run(
        &k,
        &[
            "pin",
            "set",
            "--pin-stdin",
            "--yes",
            "--inventory",
            inv.to_str().unwrap(),
        ],
        "Kq7!mZ2p\n",
    );
    assert_eq!(code, 2);
    assert!(out.contains("at least 10 characters"), "{out}");
    // And the key's own minimum wins over a laxer policy.
    let k22 = dir.path().join("k22.json");
    glasskey()
        .args(["virtual", "create"])
        .arg(&k22)
        .args(["--profile", "ctap22"])
        .assert()
        .success();
    glasskey()
        .args(["inventory", "init", "--allow-software-keys"])
        .arg(dir.path().join("lax.toml"))
        .args(["--tenant", "t", "--min-pin-length", "4"])
        .assert()
        .success();
    let (code, out) = run(
        &k22,
        &[
            "pin",
            "set",
            "--pin-stdin",
            "--yes",
            "--inventory",
            dir.path().join("lax.toml").to_str().unwrap(),
        ],
        "73915\n",
    );
    assert_eq!(code, 2);
    assert!(out.contains("at least 6 characters"), "{out}");
}

#[test]
fn without_a_terminal_the_change_needs_yes() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", None);
    let (code, out) = run(&k, &["pin", "set", "--pin-stdin"], "Kq7!mZ2p\n");
    assert_eq!(code, 2);
    assert!(out.contains("--yes"), "{out}");
    assert!(state(&k)["pin_hash"].is_null());
}

#[test]
fn change_with_the_right_and_the_wrong_current_pin() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", Some("Kq7!mZ2p"));
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "wrong-pin\nNw8$pQ3x\n",
    );
    assert_eq!(code, 2);
    assert!(out.contains("wrong PIN: 7 attempts left"), "{out}");
    assert_eq!(
        state(&k)["pin_retries"],
        7,
        "exactly one retry spent, never resent"
    );
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\nNw8$pQ3x\n",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        run(&k, &["pin", "verify", "--pin-stdin"], "Nw8$pQ3x\n").0,
        0
    );
    assert_eq!(state(&k)["pin_retries"], 8);
}

#[test]
fn change_at_three_retries_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", Some("Kq7!mZ2p"));
    let mut s = state(&k);
    s["pin_retries"] = 3.into();
    std::fs::write(&k, s.to_string()).unwrap();
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\nNw8$pQ3x\n",
    );
    assert_eq!(code, 2);
    assert!(out.contains("only 3 PIN attempts are left"), "{out}");
    assert_eq!(state(&k)["pin_retries"], 3);
    let (code, _) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes", "--force"],
        "Kq7!mZ2p\nNw8$pQ3x\n",
    );
    assert_eq!(code, 0);
}

#[test]
fn change_refuses_a_trivial_or_unchanged_new_pin() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", Some("Kq7!mZ2p"));
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\n222222\n",
    );
    assert_eq!(code, 2);
    assert!(out.contains("too easy to guess"), "{out}");
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\nKq7!mZ2p\n",
    );
    assert_eq!(code, 2);
    assert!(out.contains("same as the current"), "{out}");
    assert_eq!(state(&k)["pin_retries"], 8, "nothing was sent");
}

/// A confirmation line on stdin must repeat the new PIN: a typo in it refuses the change with
/// nothing sent, instead of setting the PIN on the line before (HOSTILE-4 finding 5).
#[test]
fn a_confirmation_line_that_differs_refuses_the_new_pin() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", Some("Kq7!mZ2p"));
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\n58213948\n58213947\n",
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("does not repeat the new PIN"), "{out}");
    assert_eq!(state(&k)["pin_retries"], 8, "nothing was sent");
    assert_eq!(
        run(&k, &["pin", "verify", "--pin-stdin"], "Kq7!mZ2p\n").0,
        0,
        "the PIN is unchanged"
    );
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\n58213948\n58213948\n",
    );
    assert_eq!(code, 0, "a matching confirmation is taken: {out}");
    let fresh = tempfile::tempdir().unwrap();
    let k = key(fresh.path(), "yubikey-5.7", None);
    let (code, out) = run(
        &k,
        &["pin", "set", "--pin-stdin", "--yes"],
        "58213948\n58213947\n",
    );
    assert_eq!(code, 2, "{out}");
    assert!(state(&k)["pin_hash"].is_null(), "no PIN was set");
    let (code, out) = run(
        &k,
        &["pin", "set", "--pin-stdin", "--yes"],
        "58213948\n58213948\nextra\n",
    );
    assert_eq!(
        code, 2,
        "a line beyond the confirmation is refused too: {out}"
    );
}

/// HOSTILE-6 N2: with one key, stdin that holds a second PIN line (two unnamed lines, or the
/// key named twice) is refused before any PIN is sent: the first line may be another key's.
#[test]
fn a_second_pin_line_for_the_one_key_spends_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "yubikey-5.7", Some("Kq7!mZ2p"));
    let serial = state(&k)["serial"].as_u64().unwrap().to_string();
    for input in [
        "wrong-pin\nKq7!mZ2p\n".to_owned(),
        format!("{serial}=wrong-pin\n{serial}=Kq7!mZ2p\n"),
    ] {
        let (code, out) = run(&k, &["pin", "verify", "--pin-stdin"], &input);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("no PIN was sent"), "{out}");
        assert_eq!(state(&k)["pin_retries"], 8, "{out}");
    }
    // One line, and a change's three lines, still work.
    let (code, out) = run(&k, &["pin", "verify", "--pin-stdin"], "Kq7!mZ2p\n");
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(
        &k,
        &["pin", "change", "--pin-stdin", "--yes"],
        "Kq7!mZ2p\nNw8$pQ3x\nNw8$pQ3x\n",
    );
    assert_eq!(code, 0, "{out}");
}
