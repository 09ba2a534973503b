//! A UPN typed into the inventory that mixes scripts within its local part or a domain label
//! (Latin with one Cyrillic or Greek letter) is refused at input, as `inventory validate` would
//! flag it (GK059), even when it renders like no listed account; a UPN written wholly in one
//! script (with ASCII digits and punctuation, as UTS 39 allows) is a real account and is
//! accepted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::bin::{init_inventory, ok, p, run, BG1, TENANT};
use serde_json::Value;

/// Each mixes two scripts in one part, and renders like no account the tests list.
const MIXED: [(&str, &str); 3] = [
    // "opsс-01": a Cyrillic es (U+0441) after Latin letters.
    ("ops\u{441}-01@contoso.onmicrosoft.com", "U+0441"),
    // A Cyrillic o (U+043E) in the domain label "cоntoso".
    ("ops-02@c\u{43e}ntoso.onmicrosoft.com", "U+043E"),
    // A Greek mu (U+03BC) in "adμin".
    ("ad\u{3bc}in-03@contoso.onmicrosoft.com", "U+03BC"),
];

/// Wholly in one script per part: Cyrillic, Latin with a diacritic, Greek, Japanese.
const SINGLE: [&str; 4] = [
    "\u{430}\u{434}\u{43c}\u{438}\u{43d}-01@contoso.onmicrosoft.com",
    "m\u{fc}ller.ops@contoso.onmicrosoft.com",
    "\u{3b4}\u{3bf}\u{3ba}\u{3b9}\u{3bc}\u{3ae}-2@contoso.onmicrosoft.com",
    "\u{7ba1}\u{7406}\u{8005}1@\u{4f8b}\u{3048}.jp",
];

#[test]
fn a_upn_mixing_scripts_is_refused_at_init_and_add_account() {
    let dir = tempfile::tempdir().unwrap();
    for (upn, point) in MIXED {
        let inv = dir.path().join("init.toml");
        let out = run(
            &[
                "inventory",
                "init",
                p(&inv),
                "--tenant",
                TENANT,
                "--account",
                BG1,
                "--account",
                upn,
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{upn}: {err}");
        assert!(
            err.contains("mixes scripts") && err.contains(point),
            "{upn}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(!inv.exists(), "{upn}: nothing written");

        let inv = dir.path().join("add.toml");
        init_inventory(&inv, &["--account", BG1]);
        let before = std::fs::read(&inv).unwrap();
        let out = run(&["inventory", "add-account", p(&inv), "--upn", upn], None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{upn}: {err}");
        assert!(
            err.contains("mixes scripts") && err.contains(point),
            "{upn}: {err}"
        );
        assert_eq!(
            std::fs::read(&inv).unwrap(),
            before,
            "{upn}: nothing written"
        );
        std::fs::remove_file(&inv).unwrap();
    }
}

#[test]
fn a_upn_wholly_in_one_script_is_accepted_and_passes_validate() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", BG1, "--account", SINGLE[0]]);
    for upn in &SINGLE[1..] {
        ok(&["inventory", "add-account", p(&inv), "--upn", upn], None);
    }
    let out = run(&["--json", "inventory", "validate", p(&inv)], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&inv).unwrap();
    for upn in SINGLE {
        assert!(text.contains(upn), "{upn} is listed: {text}");
    }
    let gk059: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "GK059")
        .collect();
    assert!(gk059.is_empty(), "{gk059:?}");
}

/// HOSTILE-9 N4: a UPN typed decomposed ("u" + U+0308 for "ü") is refused for what it is, with
/// nothing written; the same UPN precomposed is accepted.
#[test]
fn a_decomposed_upn_is_refused_as_decomposed() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", BG1]);
    let before = std::fs::read(&inv).unwrap();
    let out = run(
        &[
            "inventory",
            "add-account",
            p(&inv),
            "--upn",
            "mu\u{308}ller.ops@contoso.onmicrosoft.com",
        ],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("decomposed"), "{err}");
    assert!(!err.contains("compatibility"), "{err}");
    assert_eq!(std::fs::read(&inv).unwrap(), before);
    ok(
        &[
            "inventory",
            "add-account",
            p(&inv),
            "--upn",
            "m\u{fc}ller.ops@contoso.onmicrosoft.com",
        ],
        None,
    );
}
