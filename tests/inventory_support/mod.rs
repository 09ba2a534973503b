//! A small break-glass fleet of virtual keys for the inventory tests, built through the binary.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use serde_json::Value;

pub const ABORT_AT_ENV: &str = "GLASSKEY_TEST_ABORT_AT";
pub const FAIL_AT_ENV: &str = "GLASSKEY_TEST_FAIL_AT";

/// The binary and its runners live once, in tests/common (no test hook set, this test's own
/// data directory).
pub use crate::common::bin::{glasskey, ok, p, run, PIN, T0};

pub fn upn(n: usize) -> String {
    format!("bg-{n:02}@contoso.onmicrosoft.com")
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub inv: PathBuf,
    /// (label, account, virtual key file)
    pub keys: Vec<(String, String, PathBuf)>,
}

impl Fleet {
    pub fn device(&self, i: usize) -> String {
        format!("virtual:{}", self.keys[i].2.display())
    }

    /// One audit of key `i` at `now`, as the process ended.
    pub fn audit_output(&self, i: usize, now: &str) -> std::process::Output {
        let dev = self.device(i);
        run(
            &[
                "--device",
                &dev,
                "--now",
                now,
                "--json",
                "audit",
                "--inventory",
                p(&self.inv),
                "--pin-stdin",
            ],
            Some(&format!("{PIN}\n")),
        )
    }

    /// One audit of key `i` at `now`: the JSON report and the exit code.
    pub fn audit(&self, i: usize, now: &str) -> (Value, i32) {
        let out = self.audit_output(i, now);
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (v, out.status.code().unwrap_or(-1))
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.inv).unwrap()
    }
}

/// A new inventory `dir/bg.toml` for contoso, with `extra` arguments to `inventory init`.
pub fn init_inventory(dir: &Path, extra: &[&str]) -> PathBuf {
    let inv = dir.join("bg.toml");
    let mut args = vec![
        "inventory",
        "init",
        p(&inv),
        "--tenant",
        "contoso.onmicrosoft.com",
    ];
    args.extend_from_slice(extra);
    ok(&args, None);
    inv
}

/// `accounts` accounts with `per_account` keys each (passkeys registered, enrolled at T0, keys
/// of one account in one safe); no audit yet.
pub fn fleet(accounts: usize, per_account: usize) -> Fleet {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    let mut init = vec![
        "inventory".to_owned(),
        "init".into(),
        p(&inv).into(),
        "--tenant".into(),
        "contoso.onmicrosoft.com".into(),
        "--allow-software-keys".into(),
        "--min-keys".into(),
        per_account.to_string(),
    ];
    for a in 1..=accounts {
        init.extend(["--account".into(), upn(a)]);
    }
    ok(&init.iter().map(String::as_str).collect::<Vec<_>>(), None);
    let mut keys = Vec::new();
    for a in 1..=accounts {
        for k in 0..per_account {
            let label = format!("BG{a:02}-{}", (b'A' + k as u8) as char);
            let file = crate::common::bin::virtual_key(dir.path(), &format!("{label}.json"))
                .serial(u32::try_from(31_337_000 + a * 10 + k).unwrap())
                .create();
            crate::common::bin::register(&file, "login.microsoft.com", &upn(a));
            crate::common::bin::enroll_virtual(&inv, &file, &label, &upn(a), &format!("Safe {a}"));
            keys.push((label, upn(a), file));
        }
    }
    Fleet { dir, inv, keys }
}

/// Names of the files in `dir` that look like temporary files.
pub fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp") || n.ends_with(".gk-tmp"))
        .collect()
}

/// The JSON check entries of an inventory's history.
pub fn history(text: &str) -> Vec<Value> {
    let Some(start) = text.find("history = ") else {
        return Vec::new();
    };
    let quote = &text[start + "history = ".len()..][..3];
    let body = &text[start + "history = ".len() + 3..];
    let end = body.find(quote).unwrap();
    body[..end]
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Edits the inventory as a person with a text editor could (re-serialised by the toml crate).
pub fn edit_toml(path: &Path, f: impl FnOnce(&mut toml::Table)) {
    let mut t: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    f(&mut t);
    std::fs::write(path, toml::to_string(&t).unwrap()).unwrap();
}

/// The `[[key]]` table labelled `label`.
pub fn key_table<'a>(t: &'a mut toml::Table, label: &str) -> &'a mut toml::Table {
    t["key"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .map(|k| k.as_table_mut().unwrap())
        .find(|k| k["label"].as_str() == Some(label))
        .unwrap()
}

/// `inventory validate --json` (or another read-only inventory command) at `now`.
pub fn check(command: &str, inv: &Path, now: &str) -> (Value, i32) {
    let out = run(
        &["inventory", command, p(inv), "--now", now, "--json"],
        None,
    );
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (v, out.status.code().unwrap_or(-1))
}

/// The rule IDs of a report's findings.
pub fn rules(v: &Value) -> std::collections::BTreeSet<String> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["rule"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A fleet whose every key has been audited once at T0.
pub fn audited_fleet(accounts: usize, per_account: usize) -> Fleet {
    let fleet = fleet(accounts, per_account);
    for i in 0..fleet.keys.len() {
        let (v, code) = fleet.audit(i, T0);
        assert!(code <= 1, "{v}");
    }
    fleet
}
