//! Waiting for another glasskey that writes the same file (the inventory's writers' lock, the
//! MDS store's import lock), as the per-key locks wait (tests/key_lock.rs): the wait is said
//! once on stderr naming the file, Ctrl-C ends it at once (exit 3, nothing written), and the
//! wait limit ends it with a clear message and its documented exit code (4).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/mds_blob.rs"]
mod mds_blob;
#[path = "support/mds_env.rs"]
mod mds_env;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::bin::{ctrl_c_after, init_inventory, p, std_command};

/// How long Ctrl-C may take to end a wait (the lock is polled every 20 ms).
const PROMPTLY: Duration = Duration::from_secs(3);
/// Long enough for the child to start and find the lock taken.
const PRESS_AFTER: Duration = Duration::from_millis(1500);

/// The lines of `stderr` that say glasskey waits for another glasskey using `what`, for at
/// most `limit` seconds.
fn waiting_lines(stderr: &str, what: &str, limit: u64) -> usize {
    let line = format!(
        "Waiting for another glasskey process to finish with {what} (up to {limit} s; Ctrl-C stops)..."
    );
    stderr.lines().filter(|l| *l == line).count()
}

/// Every file in `dir` with its bytes, to show a run changed nothing there.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

/// An inventory whose writers' lock the test process holds, playing the other glasskey.
struct HeldInventory {
    dir: tempfile::TempDir,
    inv: PathBuf,
    held: glasskey::inventory::Store,
    /// The directory's files once the lock was taken.
    before: Vec<(PathBuf, Vec<u8>)>,
}

fn held_inventory() -> HeldInventory {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    init_inventory(&inv, &["--account", common::bin::BG1]);
    let (held, _) = glasskey::inventory::Store::load_for_update(&inv, Duration::ZERO).unwrap();
    let before = snapshot(dir.path());
    HeldInventory {
        dir,
        inv,
        held,
        before,
    }
}

impl HeldInventory {
    fn what(&self) -> String {
        format!("inventory {}", self.inv.display())
    }

    fn add_account(&self, lock_wait: &str) -> std::process::Command {
        let mut c = std_command();
        c.args(["inventory", "add-account", p(&self.inv)])
            .args(["--upn", common::bin::BG2, "--lock-wait", lock_wait])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    /// Releases the lock and asserts that the inventory, its backup and its lock are as they
    /// were.
    fn release_unchanged(self) {
        drop(self.held);
        assert_eq!(snapshot(self.dir.path()), self.before, "nothing written");
    }
}

/// Ctrl-C, pressed while `child` waits for `what`, ended it at once with exit 3, saying it
/// had waited (once, for up to `limit` seconds) and had written nothing.
fn assert_cancelled_promptly(child: std::process::Child, what: &str, limit: u64) {
    let (out, took) = ctrl_c_after(child, PRESS_AFTER);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(took < PROMPTLY, "took {took:?}: {err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "cancelled while waiting for another glasskey process to finish with {what}; nothing was written"
        )),
        "{err}"
    );
    assert_eq!(waiting_lines(&err, what, limit), 1, "{err}");
}

#[test]
fn ctrl_c_ends_the_wait_for_the_inventory_another_glasskey_writes() {
    let held = held_inventory();
    let child = held.add_account("30").spawn().unwrap();
    assert_cancelled_promptly(child, &held.what(), 30);
    held.release_unchanged();
}

#[test]
fn the_inventory_wait_limit_is_announced_once_then_exit_4() {
    let held = held_inventory();
    let out = held.add_account("1").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("another glasskey is writing") && err.contains("wrote nothing"),
        "{err}"
    );
    assert_eq!(waiting_lines(&err, &held.what(), 1), 1, "{err}");
    held.release_unchanged();
}

#[test]
fn ctrl_c_ends_the_wait_for_the_mds_store_another_import_holds() {
    let env = mds_env::Env::new();
    assert_eq!(
        env.import(&env.blob("first.jwt", &mds_env::fresh(500, vec![])))
            .0,
        0
    );
    let newer = env.blob("newer.jwt", &mds_env::fresh(501, vec![]));
    let before = snapshot(&env.data());
    // The test process plays the other import.
    let store = glasskey::mds::store::Store::new(env.data());
    let held = store.lock().unwrap();
    let child = std_command()
        .env("GLASSKEY_DATA_DIR", env.data())
        .args(["--now", mds_env::TODAY, "mds", "import", "--trust-root"])
        .arg(mds_blob::fixture_path("root.pem"))
        .arg(&newer)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let what = format!("the MDS store {}", store.path().display());
    assert_cancelled_promptly(child, &what, 60);
    drop(held);
    assert_eq!(snapshot(&env.data()), before, "the store is unchanged");
    assert_eq!(env.status()["no"], 500);
}
