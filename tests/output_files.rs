//! Output files (`-o`) never replace the inventory, its backup or its lock, whether named
//! directly, through a symlink or through a hard link, and are written by rename so a link
//! planted at the output path is replaced rather than followed (HOSTILE-1 F16).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn glasskey() -> Command {
    common::bin::glasskey()
}

fn init(dir: &Path) -> PathBuf {
    let inv = dir.join("bg.toml");
    glasskey()
        .args(["inventory", "init", "--allow-software-keys"])
        .arg(&inv)
        .args([
            "--tenant",
            "contoso.onmicrosoft.com",
            "--account",
            "bg-01@contoso.onmicrosoft.com",
        ])
        .assert()
        .success();
    inv
}

/// Runs `args` and checks it was refused with exit 2 naming the inventory, leaving it as it was.
fn assert_refused(dir: &Path, inv: &Path, args: &[&std::ffi::OsStr]) {
    let before = std::fs::read(inv).unwrap();
    let out = glasskey().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains("inventory"), "{args:?}: {stderr}");
    assert_eq!(
        std::fs::read(inv).unwrap(),
        before,
        "{args:?} changed the inventory"
    );
    assert_eq!(stderr.lines().count(), 1, "one-line error: {stderr}");
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn sheet_output_naming_the_inventory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("sheet"),
            os("--inventory"),
            os("bg.toml"),
            os("-o"),
            os("bg.toml"),
        ],
    );
    // The same file by another spelling.
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("sheet"),
            os("--inventory"),
            inv.as_os_str(),
            os("-o"),
            os("./bg.toml"),
        ],
    );
}

#[test]
fn sheet_output_through_a_symlink_or_hard_link_to_the_inventory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    std::os::unix::fs::symlink("bg.toml", dir.path().join("link.html")).unwrap();
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("sheet"),
            os("--inventory"),
            os("bg.toml"),
            os("-o"),
            os("link.html"),
        ],
    );
    std::fs::hard_link(&inv, dir.path().join("hard.html")).unwrap();
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("sheet"),
            os("--inventory"),
            os("bg.toml"),
            os("-o"),
            os("hard.html"),
        ],
    );
    // The inventory named through a symlink, the output the real file.
    std::os::unix::fs::symlink("bg.toml", dir.path().join("alias.toml")).unwrap();
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("sheet"),
            os("--inventory"),
            os("alias.toml"),
            os("-o"),
            os("bg.toml"),
        ],
    );
}

#[test]
fn output_naming_the_backup_or_lock_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    // A save makes the backup and the lock file.
    glasskey()
        .args(["inventory", "add-account"])
        .arg(&inv)
        .args(["--upn", "bg-02@contoso.onmicrosoft.com"])
        .assert()
        .success();
    let bak = std::fs::read(dir.path().join("bg.toml.bak")).unwrap();
    for name in ["bg.toml.bak", ".bg.toml.lock"] {
        assert_refused(
            dir.path(),
            &inv,
            &[
                os("sheet"),
                os("--inventory"),
                os("bg.toml"),
                os("-o"),
                os(name),
            ],
        );
    }
    assert_eq!(std::fs::read(dir.path().join("bg.toml.bak")).unwrap(), bak);
}

#[test]
fn audit_entra_script_and_export_refuse_the_inventory_as_output_before_doing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("audit"),
            os("--inventory"),
            os("bg.toml"),
            os("--device"),
            os("virtual:none.json"),
            os("--report"),
            os("md"),
            os("-o"),
            os("bg.toml"),
        ],
    );
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("entra"),
            os("script"),
            os("--inventory"),
            os("bg.toml"),
            os("-o"),
            os("bg.toml"),
        ],
    );
    glasskey()
        .current_dir(dir.path())
        .args(["virtual", "create", "k.json", "--serial", "5"])
        .assert()
        .success();
    assert_refused(
        dir.path(),
        &inv,
        &[
            os("entra"),
            os("export-virtual"),
            os("--inventory"),
            os("bg.toml"),
            os("--key"),
            os("k.json"),
            os("-o"),
            os("bg.toml"),
        ],
    );
    // Nor the virtual key it reads.
    let key = std::fs::read(dir.path().join("k.json")).unwrap();
    let out = glasskey()
        .current_dir(dir.path())
        .args([
            "entra",
            "export-virtual",
            "--inventory",
            "bg.toml",
            "--key",
            "k.json",
            "-o",
            "k.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(dir.path().join("k.json")).unwrap(), key);
}

#[test]
fn a_symlink_planted_at_the_output_path_is_replaced_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("sheets.html")).unwrap();
    glasskey()
        .current_dir(dir.path())
        .args(["sheet", "--inventory", "bg.toml", "-o", "sheets.html"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let meta = std::fs::symlink_metadata(dir.path().join("sheets.html")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by the report"
    );
    let html = std::fs::read_to_string(dir.path().join("sheets.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..40]);
    // No temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".sheets.html")),
        "{names:?}"
    );
}

#[test]
fn an_unwritable_output_is_exit_4_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let out = glasskey()
        .current_dir(dir.path())
        .args([
            "sheet",
            "--inventory",
            "bg.toml",
            "-o",
            "no/such/dir/s.html",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("no/such/dir/s.html"), "{stderr}");
}

/// Output that cannot be written is exit 4 with a one-line reason, for help text as for reports
/// (HOSTILE-2 N11: `--help > /dev/full` exited 0 and said nothing).
#[test]
fn help_and_reports_that_cannot_be_written_exit_4() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux: no /dev/full to write to
    };
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    for args in [
        vec![os("--help")],
        vec![os("inventory"), os("--help")],
        vec![os("--version")],
        vec![os("inventory"), os("show"), inv.as_os_str()],
    ] {
        let out = common::bin::std_command()
            .args(&args)
            .stdout(full.try_clone().unwrap())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write"), "{args:?}: {stderr}");
    }
}
