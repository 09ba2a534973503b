//! The inventory under contention and hostile file systems: concurrent writers, planted
//! symlinks, mode and owner, a full disk, and a crash or an I/O error at every step of a save.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inventory_support;

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use inventory_support::*;

use glasskey::inventory::store::SAVE_STEPS as STEPS;

fn init(dir: &Path) -> PathBuf {
    init_inventory(dir, &["--account", &upn(1)])
}

fn add_account(inv: &Path, n: usize) -> std::process::Output {
    run(
        &["inventory", "add-account", p(inv), "--upn", &upn(n)],
        None,
    )
}

fn accounts(inv: &Path) -> usize {
    std::fs::read_to_string(inv)
        .unwrap()
        .matches("[[account]]")
        .count()
}

#[test]
fn concurrent_audits_through_the_binary_all_land_in_the_file() {
    let fleet = fleet(2, 2);
    let mut printed = Vec::new();
    for _round in 0..3 {
        let outputs: Vec<(serde_json::Value, i32)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..fleet.keys.len())
                .map(|i| {
                    let fleet = &fleet;
                    s.spawn(move || fleet.audit(i, T0))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (v, code) in outputs {
            assert!(code == 0 || code == 1, "every audit completes: {code} {v}");
            printed.push(v["check_hash"].as_str().unwrap().to_owned());
        }
    }
    let entries = history(&fleet.text());
    assert_eq!(entries.len(), printed.len(), "exactly one entry per audit");
    let hashes: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["hash"].as_str().unwrap())
        .collect();
    for h in &printed {
        assert!(
            hashes.contains(h.as_str()),
            "printed hash {h} is in the file"
        );
    }
    ok(&["inventory", "verify", p(&fleet.inv)], None);
}

#[test]
fn concurrent_writers_in_threads_each_land_once() {
    use glasskey::inventory::{history, Store};
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    std::thread::scope(|s| {
        for t in 0..4 {
            let inv = &inv;
            s.spawn(move || {
                for i in 0..5 {
                    let wait = std::time::Duration::from_secs(60);
                    let (mut store, mut inventory) = Store::load_for_update(inv, wait).unwrap();
                    let e = history::next_entry(
                        &inventory.checks,
                        T0,
                        vec![format!("T{t}-{i}")],
                        "pass",
                        vec![],
                    );
                    inventory.checks.push(e);
                    store.save(&inventory).unwrap();
                }
            });
        }
    });
    let (_, inventory) = Store::load(&inv).unwrap();
    assert_eq!(inventory.checks.len(), 20);
    assert_eq!(history::verify(&inventory.checks), Ok(()));
}

#[test]
fn a_second_writer_waits_a_bounded_time_then_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let before = std::fs::read(&inv).unwrap();
    let wait = std::time::Duration::from_secs(5);
    let held = glasskey::inventory::Store::load_for_update(&inv, wait).unwrap();
    let start = std::time::Instant::now();
    let out = run(
        &[
            "inventory",
            "add-account",
            p(&inv),
            "--upn",
            &upn(2),
            "--lock-wait",
            "1",
        ],
        None,
    );
    let waited = start.elapsed();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("another glasskey is writing"),
        "{}",
        stderr(&out)
    );
    assert!(
        waited >= std::time::Duration::from_secs(1),
        "it waited first"
    );
    assert_eq!(std::fs::read(&inv).unwrap(), before, "nothing written");
    drop(held);
    assert!(add_account(&inv, 2).status.success(), "free again");
    assert_eq!(accounts(&inv), 2);
}

/// The next process IDs, where the old predictable temporary names would be.
fn next_pids() -> std::ops::Range<u32> {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1000);
    last + 1..last + 3000
}

#[test]
fn planted_symlinks_at_temporary_names_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let victims = tempfile::tempdir().unwrap();
    let victim = victims.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    for pid in next_pids() {
        for name in [
            format!(".bg.toml.tmp-{pid}"),
            format!(".bg.toml.bak.tmp-{pid}"),
        ] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
    }
    let out = add_account(&inv, 2);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(accounts(&inv), 2);
    assert!(!std::fs::symlink_metadata(&inv)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_planted_symlink_at_the_lock_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    let before = std::fs::read(&inv).unwrap();
    let victim = dir.path().join("elsewhere");
    std::os::unix::fs::symlink(&victim, dir.path().join(".bg.toml.lock")).unwrap();
    let out = add_account(&inv, 2);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains(".bg.toml.lock"), "{}", stderr(&out));
    assert!(!victim.exists(), "the link was not followed");
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}

#[test]
fn a_symlinked_inventory_is_updated_at_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("vault");
    std::fs::create_dir(&real).unwrap();
    let target = init(&real);
    let v1 = std::fs::read(&target).unwrap();
    let link = dir.path().join("bg-link.toml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = add_account(&link, 2);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is still a link"
    );
    assert_eq!(accounts(&target), 2, "the target holds the new version");
    assert_eq!(std::fs::read(real.join("bg.toml.bak")).unwrap(), v1);
    assert!(temp_files(dir.path()).is_empty() && temp_files(&real).is_empty());
}

#[test]
fn mode_and_owner_survive_a_write_for_the_file_and_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init(dir.path());
    std::fs::set_permissions(&inv, std::fs::Permissions::from_mode(0o600)).unwrap();
    let as_root = rustix_is_root();
    if as_root {
        std::os::unix::fs::chown(&inv, Some(4321), Some(4322)).unwrap();
    } else {
        eprintln!("not root: the owner part of this test is skipped");
    }
    assert!(add_account(&inv, 2).status.success());
    assert!(add_account(&inv, 3).status.success(), "a .bak exists now");
    for f in [inv.clone(), dir.path().join("bg.toml.bak")] {
        let m = std::fs::metadata(&f).unwrap();
        assert_eq!(m.mode() & 0o7777, 0o600, "{}", f.display());
        if as_root {
            assert_eq!((m.uid(), m.gid()), (4321, 4322), "{}", f.display());
        }
    }
}

fn rustix_is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn a_full_disk_leaves_the_inventory_and_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a 64 KiB tmpfs here (needs root and mount rights)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&mount);
    // A history big enough that the backup plus the new version cannot both fit.
    let mut inventory = glasskey::inventory::Inventory::new("contoso.onmicrosoft.com");
    inventory.accounts.push(glasskey::inventory::Account {
        upn: upn(1),
        display_name: None,
    });
    while glasskey::inventory::store::render(&inventory)
        .unwrap()
        .len()
        < 30_000
    {
        let e = glasskey::inventory::history::next_entry(
            &inventory.checks,
            T0,
            vec!["BG01-A".into()],
            "pass",
            vec![],
        );
        inventory.checks.push(e);
    }
    let inv = mount.join("bg.toml");
    glasskey::inventory::Store::create(&inv, &inventory).unwrap();
    let before = std::fs::read(&inv).unwrap();
    let out = add_account(&inv, 2);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&inv).unwrap(),
        before,
        "the inventory is as it was"
    );
    assert!(temp_files(&mount).is_empty(), "{:?}", temp_files(&mount));
    let out = run(&["inventory", "verify", p(&inv), "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], true, "{v}");
}

#[test]
fn a_crash_at_every_step_leaves_a_file_that_parses_and_verifies() {
    for step in STEPS {
        let fleet = fleet(1, 1);
        let (v, code) = fleet.audit(0, T0);
        assert!(code <= 1, "{v}");
        let before = fleet.text();
        let out = glasskey()
            .env(ABORT_AT_ENV, step)
            .current_dir(fleet.dir.path())
            .args([
                "--device",
                &fleet.device(0),
                "--now",
                T0,
                "audit",
                "--inventory",
            ])
            .arg(&fleet.inv)
            .arg("--pin-stdin")
            .write_stdin(format!("{PIN}\n"))
            .output()
            .unwrap();
        assert!(
            out.status.code().is_none(),
            "{step}: the process was killed"
        );
        let after = fleet.text();
        match *step {
            "renamed" => assert_eq!(history(&after).len(), 2, "{step}: the new version"),
            _ => assert_eq!(after, before, "{step}: the old version, byte for byte"),
        }
        ok(&["inventory", "verify", p(&fleet.inv)], None);
        // The next write cleans up what the crash left.
        let (_, code) = fleet.audit(0, T0);
        assert!(code <= 1, "{step}: the next audit works");
        assert!(
            temp_files(fleet.dir.path()).is_empty(),
            "{step}: {:?}",
            temp_files(fleet.dir.path())
        );
    }
}

#[test]
fn an_error_at_every_step_removes_the_temporary_files_and_exits_4() {
    for step in STEPS {
        let dir = tempfile::tempdir().unwrap();
        let inv = init(dir.path());
        let before = std::fs::read(&inv).unwrap();
        let out = glasskey()
            .env(FAIL_AT_ENV, step)
            .args(["inventory", "add-account"])
            .arg(&inv)
            .args(["--upn", &upn(2)])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{step}: {}", stderr(&out));
        assert!(
            temp_files(dir.path()).is_empty(),
            "{step}: {:?}",
            temp_files(dir.path())
        );
        if *step == "renamed" {
            // The directory sync failed after the rename: the new file is in place, and said so.
            assert!(
                stderr(&out).contains("could not be synced"),
                "{}",
                stderr(&out)
            );
            assert_eq!(accounts(&inv), 2);
        } else {
            assert!(
                stderr(&out).contains("left as it was"),
                "{step}: {}",
                stderr(&out)
            );
            assert_eq!(std::fs::read(&inv).unwrap(), before, "{step}");
        }
    }
}
