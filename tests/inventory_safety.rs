//! Never lose the inventory (DESIGN §3.4): crashes at every step of a save, concurrent edits,
//! hand-edited history, malformed files, and failed audits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::bin::{dev, glasskey, init_inventory, pin_line, set_faults, virtual_key, BG1};
use glasskey::inventory::store::ABORT_AT_ENV;
use glasskey::inventory::{Inventory, InventoryError, Store};

fn init(dir: &Path) -> std::path::PathBuf {
    let inv = dir.join("bg.toml");
    init_inventory(&inv, &["--account", BG1]);
    inv
}

#[test]
fn a_crash_at_any_step_of_a_save_leaves_old_or_new_never_a_mix() {
    for step in ["backup-written", "temp-written", "renamed"] {
        let dir = tempfile::tempdir().unwrap();
        let inv = init(dir.path());
        let before = std::fs::read(&inv).unwrap();
        let out = glasskey()
            .env(ABORT_AT_ENV, step)
            // An aborted process may leave a core file where it runs.
            .current_dir(dir.path())
            .args(["inventory", "add-account"])
            .arg(&inv)
            .args(["--upn", "bg-02@contoso.onmicrosoft.com"])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{step}: the process should have been killed"
        );
        let after = std::fs::read(&inv).unwrap();
        let (_, parsed) =
            Store::load(&inv).unwrap_or_else(|e| panic!("{step}: unreadable after crash: {e}"));
        match step {
            "renamed" => assert_eq!(
                parsed.accounts.len(),
                2,
                "{step}: the new version is in place"
            ),
            _ => assert_eq!(after, before, "{step}: the old version is untouched"),
        }
        // The backup always holds the previous version once it has been written.
        let backup = std::fs::read(dir.path().join("bg.toml.bak")).unwrap();
        assert_eq!(backup, before, "{step}");
    }
}

#[test]
fn a_file_changed_on_disk_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let (mut store, mut inventory) = Store::load(&inv).unwrap();
    let edited_by_someone_else = std::fs::read_to_string(&inv).unwrap().replace(
        "contoso.onmicrosoft.com\"\n",
        "contoso.onmicrosoft.com\" # edited\n",
    );
    std::fs::write(&inv, &edited_by_someone_else).unwrap();
    inventory.tenant = "fabrikam.onmicrosoft.com".into();
    let e = store.save(&inventory).unwrap_err();
    assert!(matches!(e, InventoryError::ChangedOnDisk(_)), "{e}");
    assert_eq!(
        std::fs::read_to_string(&inv).unwrap(),
        edited_by_someone_else,
        "nothing written"
    );
}

#[test]
fn saving_keeps_the_previous_version_as_backup() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let v1 = std::fs::read(&inv).unwrap();
    glasskey()
        .args(["inventory", "add-account"])
        .arg(&inv)
        .args(["--upn", "bg-02@contoso.onmicrosoft.com"])
        .assert()
        .success();
    assert_eq!(std::fs::read(dir.path().join("bg.toml.bak")).unwrap(), v1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn init_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let before = std::fs::read(&inv).unwrap();
    let out = glasskey()
        .args(["inventory", "init", "--allow-software-keys"])
        .arg(&inv)
        .args(["--tenant", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}

#[test]
fn parse_errors_give_line_and_column_and_unknown_fields_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let text = std::fs::read_to_string(&inv).unwrap();
    let broken = text
        .replace("[policy]\n", "[policy]\nmin_keys_per_account = \"two\"\n")
        .replacen("min_keys_per_account = 2\n", "", 1);
    std::fs::write(&inv, &broken).unwrap();
    let out = glasskey()
        .args(["inventory", "validate"])
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let line = broken.lines().position(|l| l.contains("\"two\"")).unwrap() + 1;
    assert!(
        err.contains(&format!("bg.toml:{line}:")),
        "expected line {line} in: {err}"
    );

    let typo = text.replace("[policy]\n", "[policy]\nmin_keys_per_acount = 3\n");
    std::fs::write(&inv, &typo).unwrap();
    let out = glasskey()
        .args(["inventory", "validate"])
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("min_keys_per_acount"),
        "the unknown field is named: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(&inv).unwrap(),
        typo,
        "a failed read writes nothing"
    );
}

#[test]
fn a_hand_edited_history_entry_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let (mut store, mut inventory) = Store::load(&inv).unwrap();
    for i in 0..4 {
        let e = glasskey::inventory::history::next_entry(
            &inventory.checks,
            &format!("2026-0{}-01T00:00:00Z", i + 1),
            vec!["BG01-A".into()],
            "pass",
            vec![],
        );
        inventory.checks.push(e);
    }
    store.save(&inventory).unwrap();
    // Intact (the file has no keys yet, which verify reports as GK065 on its own).
    let out = glasskey()
        .args(["inventory", "verify", "--json"])
        .arg(&inv)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true, "{v}");

    let text = std::fs::read_to_string(&inv).unwrap();
    let pos = text.match_indices(r#""result":"pass""#).nth(2).unwrap().0;
    let edited = format!(
        r#"{}"result":"findings"{}"#,
        &text[..pos],
        &text[pos + r#""result":"pass""#.len()..]
    );
    std::fs::write(&inv, edited).unwrap();
    let out = glasskey()
        .args(["--json", "inventory", "verify"])
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert!(
        v["problem"]
            .as_str()
            .unwrap()
            .contains("#3 (seq 3) was edited"),
        "{v}"
    );
}

#[test]
fn a_failed_audit_leaves_the_inventory_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let key = virtual_key(dir.path(), "k.json").create();
    glasskey()
        .args(["--device", &dev(&key), "enroll", "--inventory"])
        .arg(&inv)
        .args([
            "--label",
            "BG01-A",
            "--account",
            "bg-01@contoso.onmicrosoft.com",
            "--custodian",
            "C",
            "--location",
            "L",
        ])
        .assert()
        .success();
    let before = std::fs::read(&inv).unwrap();
    set_faults(&key, serde_json::json!({ "vanish_after": 3 }));
    let out = glasskey()
        .args(["--device", &dev(&key), "audit", "--inventory"])
        .arg(&inv)
        .arg("--pin-stdin")
        .write_stdin(pin_line())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unplugged"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}

#[test]
fn round_trip_preserves_every_field() {
    let mut inv = Inventory::new("contoso.onmicrosoft.com");
    inv.policy.allowed_aaguids = vec!["a25342c0-3cdc-4414-8e46-f4807fca511c".into()];
    // Text that could end a TOML literal string must survive inside the history.
    let hostile = vec!["GK011 O'Brien's key: a passkey for ''' x \\ \" y".to_owned()];
    let entry = glasskey::inventory::history::next_entry(
        &[],
        "2026-11-25T10:00:00Z",
        vec!["K'1".into()],
        "findings",
        hostile,
    );
    inv.checks.push(entry);
    let text = glasskey::inventory::store::render(&inv).unwrap();
    assert_eq!(
        glasskey::inventory::store::parse(Path::new("x.toml"), &text).unwrap(),
        inv
    );
}
