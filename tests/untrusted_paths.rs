//! A file path is outside text too: one holding a newline or an escape sequence is shown
//! escaped, never as its own line or as a terminal command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inventory_support;

use std::path::{Path, PathBuf};

use common::bin::{dev, glasskey, p, run, virtual_key};
use inventory_support::stderr;

/// A directory whose name would forge a line of its own, with an ESC for good measure.
const FORGED: &str = "inv\nFORGED is BG01-A (bg-01, stored at the safe)\u{1b}[2J";

/// A new inventory `bg.toml` inside a directory named [`FORGED`].
fn inventory(dir: &Path) -> PathBuf {
    let forged = dir.join(FORGED);
    std::fs::create_dir(&forged).unwrap();
    inventory_support::init_inventory(&forged, &[])
}

/// No line starts with the forged text, and the path appears as `visible` writes it.
fn assert_escaped(what: &str, text: &str, inv: &Path) {
    assert!(
        !text.lines().any(|l| l.starts_with("FORGED")),
        "{what}: {text}"
    );
    assert!(!text.contains('\u{1b}'), "{what}: {text:?}");
    let shown = glasskey::untrusted::visible(p(inv)).into_owned();
    assert!(
        shown.contains("\\n") && text.contains(&shown),
        "{what}: {text}"
    );
}

#[test]
fn identify_shows_the_inventory_path_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let key = virtual_key(dir.path(), "stranger.json").create();
    let out = glasskey()
        .args(["--device", &dev(&key), "identify", "--inventory", p(&inv)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("is not in the inventory"), "{text}");
    assert_escaped("identify", &text, &inv);
}

/// `inventory init`, `verify` and `digest` print the inventory's path on stdout: escaped too.
#[test]
fn inventory_commands_show_the_inventory_path_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let forged = dir.path().join(FORGED);
    std::fs::create_dir(&forged).unwrap();
    let inv = forged.join("bg.toml");
    let init = run(
        &[
            "inventory",
            "init",
            p(&inv),
            "--tenant",
            "contoso.onmicrosoft.com",
        ],
        None,
    );
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    assert_escaped("init", &String::from_utf8_lossy(&init.stdout), &inv);
    for command in ["verify", "digest"] {
        let out = run(&["inventory", command, p(&inv)], None);
        assert_escaped(command, &String::from_utf8_lossy(&out.stdout), &inv);
    }
}
