//! Look-alikes written in capitals, and other disguises the skeleton alone misses (DESIGN §3.8): a Cyrillic or Greek capital renders like a
//! Latin capital ("В" U+0412 like "B", "М" U+041C like "M") although its lower case does not
//! ("в" renders like a small-capital B). RP IDs and UPNs are read without regard to case, so a
//! name in such capitals is a look-alike of the lower-case name it renders like: in a passkey's
//! RP ID or user name (audit), and in a UPN typed into the inventory. Names that differ in case
//! only, or are other real accounts, stay quiet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::bin::{
    dev, enroll_virtual, init_inventory, ok, p, pin_line, register, run, virtual_key, BG1, T0,
};
use serde_json::Value;

/// "СОМ": Cyrillic capitals Es, O, Em (U+0421 U+041E U+041C), one script within the label.
const CYRILLIC_COM: &str = "\u{421}\u{41e}\u{41c}";
/// A regional break-glass account whose local part can be spelt wholly in Cyrillic capitals.
const EMEA: &str = "emea-01@contoso.onmicrosoft.com";
/// "ЕМЕА-01": Cyrillic capitals Ie, Em, Ie, A (U+0415 U+041C U+0415 U+0410).
const EMEA_CYRILLIC: &str = "\u{415}\u{41c}\u{415}\u{410}-01@contoso.onmicrosoft.com";
/// "ВG-01": a Cyrillic capital Ve (U+0412) before a Latin G.
const BG1_CYRILLIC_VE: &str = "\u{412}G-01@contoso.onmicrosoft.com";

/// An inventory whose one account is `account`, with its key enrolled; the key also holds a
/// passkey for `user` at `rp`, and the policy allows other credentials (so only the look-alike
/// rules can speak about it). Returns the temp dir, the inventory and the device.
fn enrolled_with(account: &str, rp: &str, user: &str) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", account, "--min-keys", "1"]);
    let key = virtual_key(dir.path(), "k1.json")
        .serial(31_337_001)
        .create();
    register(&key, "login.microsoft.com", account);
    register(&key, rp, user);
    enroll_virtual(&inv, &key, "BG01-A", account, "Safe 1");
    let text = std::fs::read_to_string(&inv).unwrap().replace(
        "allow_other_credentials = false",
        "allow_other_credentials = true",
    );
    std::fs::write(&inv, text).unwrap();
    let device = dev(&key);
    (dir, inv, device)
}

fn audit(inv: &Path, device: &str) -> (Option<i32>, Value) {
    let out = run(
        &[
            "--device",
            device,
            "--now",
            T0,
            "--json",
            "audit",
            "--inventory",
            p(inv),
            "--pin-stdin",
        ],
        Some(&pin_line()),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no JSON: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

fn rules(v: &Value) -> BTreeSet<String> {
    common::bin::rules(v)
}

/// The look-alike, mixed-script and hidden-character rules (GK055–GK059) among a report's.
fn lookalike_rules(v: &Value) -> BTreeSet<String> {
    rules(v)
        .into_iter()
        .filter(|r| ("GK055".."GK060").contains(&r.as_str()))
        .collect()
}

#[test]
fn an_rp_id_in_cyrillic_capitals_is_a_look_alike_of_the_entra_rp_id() {
    for rp in [
        format!("login.microsoft.{CYRILLIC_COM}"),
        format!("LOGIN.MICROSOFT.{CYRILLIC_COM}"),
    ] {
        let (_dir, inv, device) = enrolled_with(BG1, &rp, "someone@example.com");
        let (code, v) = audit(&inv, &device);
        assert_eq!(code, Some(1), "{rp}: {v}");
        assert_eq!(rules(&v), BTreeSet::from(["GK055".to_owned()]), "{rp}: {v}");
        let message = v["findings"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("U+0421 U+041E U+041C") && message.contains("login.microsoft.com"),
            "{message}"
        );
    }
}

#[test]
fn a_user_name_in_cyrillic_capitals_is_a_look_alike_of_a_break_glass_upn() {
    for (account, user) in [
        (EMEA, EMEA_CYRILLIC),
        (BG1, BG1_CYRILLIC_VE),
        (BG1, &format!("bg-01@contoso.onmicrosoft.{CYRILLIC_COM}")),
    ] {
        let (_dir, inv, device) = enrolled_with(account, "login.microsoft.com", user);
        let (code, v) = audit(&inv, &device);
        assert_eq!(code, Some(1), "{user}: {v}");
        assert_eq!(
            rules(&v),
            BTreeSet::from(["GK056".to_owned()]),
            "{user}: {v}"
        );
        let message = v["findings"][0]["message"].as_str().unwrap();
        assert!(message.contains(account), "{message}");
    }
}

/// The stricter comparison leaves real names alone: the Entra RP ID itself in capitals, a user
/// name differing from the account in case only (a second passkey for the account, GK010, and
/// nothing else), and another real account.
#[test]
fn names_differing_in_case_only_or_really_different_are_not_look_alikes() {
    for (rp, user, found) in [
        ("LOGIN.MICROSOFT.COM", "someone@example.com", None),
        (
            "login.microsoft.com",
            "BG-01@Contoso.onmicrosoft.com",
            Some("GK010"),
        ),
        ("login.microsoft.com", "bg-02@contoso.onmicrosoft.com", None),
        ("login.microsoft.com", "BG-02@CONTOSO.ONMICROSOFT.COM", None),
    ] {
        let (_dir, inv, device) = enrolled_with(BG1, rp, user);
        let (code, v) = audit(&inv, &device);
        assert_eq!(lookalike_rules(&v), BTreeSet::new(), "{rp} {user}: {v}");
        assert_eq!(
            rules(&v),
            found.into_iter().map(str::to_owned).collect(),
            "{rp} {user}: {v}"
        );
        assert_eq!(code, Some(i32::from(found.is_some())), "{rp} {user}: {v}");
    }
}

#[test]
fn a_upn_in_cyrillic_capitals_is_refused_beside_the_account_it_renders_like() {
    let dir = tempfile::tempdir().unwrap();
    for (account, look_alike) in [
        (EMEA, EMEA_CYRILLIC),
        (BG1, BG1_CYRILLIC_VE),
        (BG1, &format!("bg-01@contoso.onmicrosoft.{CYRILLIC_COM}")),
    ] {
        // At init, beside an account given before it.
        let inv = dir.path().join("init.toml");
        let out = run(
            &[
                "inventory",
                "init",
                "--allow-software-keys",
                p(&inv),
                "--tenant",
                "contoso.onmicrosoft.com",
                "--account",
                account,
                "--account",
                look_alike,
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{look_alike}: {err}");
        assert!(err.contains("looks like") && err.contains(account), "{err}");
        assert!(!inv.exists(), "{look_alike}: nothing written");

        // At add-account, beside an account already listed.
        let inv = dir.path().join("add.toml");
        init_inventory(&inv, &["--account", account]);
        let before = std::fs::read(&inv).unwrap();
        let out = run(
            &["inventory", "add-account", p(&inv), "--upn", look_alike],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{look_alike}: {err}");
        assert!(err.contains("looks like") && err.contains(account), "{err}");
        assert_eq!(std::fs::read(&inv).unwrap(), before, "{look_alike}");
        std::fs::remove_file(&inv).unwrap();
    }
}

#[test]
fn real_accounts_and_case_variants_are_not_refused_as_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(
        &inv,
        &[
            "--account",
            BG1,
            "--account",
            "bg-02@contoso.onmicrosoft.com",
        ],
    );
    ok(
        &[
            "inventory",
            "add-account",
            p(&inv),
            "--upn",
            "BG-03@contoso.onmicrosoft.com",
        ],
        None,
    );
    ok(&["inventory", "add-account", p(&inv), "--upn", EMEA], None);
    // A case variant of a listed account is that account, said as such.
    let out = run(
        &[
            "inventory",
            "add-account",
            p(&inv),
            "--upn",
            "BG-01@CONTOSO.onmicrosoft.com",
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("already an account"), "{err}");
    // Keys are missing, so validate has findings; none says two accounts look alike.
    let out = run(&["--json", "inventory", "validate", p(&inv)], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !rules(&v).contains("GK059"),
        "{}",
        serde_json::to_string_pretty(&v).unwrap()
    );
}

/// HOSTILE-8 F1, F2, F10: the disguises the skeleton alone missed, on a key (audit) and at input
/// (add-account): an IDN in its ASCII form, a combining dot over an "i", Latin small capitals,
/// a trailing dot.
#[test]
fn punycode_combining_marks_and_small_capitals_are_look_alikes() {
    for rp in [
        "login.xn--micrsoft-qbh.com",
        "logi\u{307}n.microsoft.com",
        "\u{29f}\u{1d0f}\u{262}\u{26a}\u{274}.microsoft.com",
    ] {
        let (_dir, inv, device) = enrolled_with(BG1, rp, "someone@example.com");
        let (code, v) = audit(&inv, &device);
        assert_eq!(code, Some(1), "{rp}: {v}");
        assert!(rules(&v).contains("GK055"), "{rp}: {v}");
    }
    let (_dir, inv, device) =
        enrolled_with(BG1, "login.microsoft.com", "bg-01@contoso.onmicrosoft.com.");
    let (_, v) = audit(&inv, &device);
    assert!(rules(&v).contains("GK056"), "{v}");

    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("add.toml");
    init_inventory(&inv, &["--account", BG1]);
    let before = std::fs::read(&inv).unwrap();
    for look_alike in [
        "bg-01@xn--cntoso-wqf.onmicrosoft.com",
        "bg-01\u{307}@contoso.onmicrosoft.com",
        "BG-01@CONTOSO.ONM\u{130}CROSOFT.COM",
    ] {
        let out = run(
            &["inventory", "add-account", p(&inv), "--upn", look_alike],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{look_alike}: {err}");
        assert_eq!(std::fs::read(&inv).unwrap(), before, "{look_alike}");
    }
}
