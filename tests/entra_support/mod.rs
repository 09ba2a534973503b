//! Shared by the Entra end-to-end tests: two accounts with one enrolled virtual key each and
//! the export Entra would give for them, built once and copied by each test. Needs the test
//! crate's `mod common;` (the binary is spawned through tests/common/bin.rs).
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

pub use crate::common::bin::{glasskey, p, run, BG1, BG2, PIN, T0};
pub const T1: &str = "2026-11-26T10:00:00Z";
pub const FIDO2: &str = "#microsoft.graph.fido2AuthenticationMethod";

/// Runs and asserts success (tests/common's `ok`, its stdout not wanted here).
pub fn ok(args: &[&str], stdin: Option<&str>) {
    crate::common::bin::ok(args, stdin);
}

/// Two accounts, one virtual key each, enrolled and audited at T0, and the export Entra would
/// give for them: built once, copied by each test.
pub fn base() -> &'static Path {
    static BASE: OnceLock<tempfile::TempDir> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let inv = dir.path().join("bg.toml");
        ok(
            &[
                "inventory",
                "init",
                p(&inv),
                "--tenant",
                "contoso.onmicrosoft.com",
                "--account",
                BG1,
                "--account",
                BG2,
                "--min-keys",
                "1",
                "--allow-software-keys",
            ],
            None,
        );
        for (i, (upn, label)) in [(BG1, "BG01-A"), (BG2, "BG02-A")].iter().enumerate() {
            let k = crate::common::bin::virtual_key(dir.path(), &format!("k{}.json", i + 1))
                .profile("yubikey-5.7")
                .serial(31_337_001 + u32::try_from(i).unwrap())
                .create();
            crate::common::bin::register(&k, "login.microsoft.com", upn);
            crate::common::bin::enroll_virtual(&inv, &k, label, upn, &format!("Safe {i}"));
        }
        for k in ["k1.json", "k2.json"] {
            let dev = format!("virtual:{}", dir.path().join(k).display());
            run(
                &[
                    "--device",
                    &dev,
                    "--now",
                    T0,
                    "audit",
                    "--inventory",
                    p(&inv),
                    "--pin-stdin",
                ],
                Some(&format!("{PIN}\n")),
            );
        }
        ok(&["--now", T0, "inventory", "validate", p(&inv)], None);
        let k1 = dir.path().join("k1.json");
        let k2 = dir.path().join("k2.json");
        ok(
            &[
                "--now",
                T0,
                "entra",
                "export-virtual",
                "--inventory",
                p(&inv),
                "--key",
                p(&k1),
                "--key",
                p(&k2),
                "-o",
                p(&dir.path().join("export.json")),
            ],
            None,
        );
        dir
    })
    .path()
}

pub struct Case {
    pub _dir: tempfile::TempDir,
    pub inv: PathBuf,
    pub export: PathBuf,
}

pub fn case() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    let export = dir.path().join("export.json");
    std::fs::copy(base().join("bg.toml"), &inv).unwrap();
    std::fs::copy(base().join("export.json"), &export).unwrap();
    Case {
        _dir: dir,
        inv,
        export,
    }
}

impl Case {
    pub fn edit(&self, f: impl FnOnce(&mut Value)) {
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(&self.export).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&self.export, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }

    pub fn account<'a>(v: &'a mut Value, upn: &str) -> &'a mut Value {
        v["accounts"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a["upn"] == upn)
            .unwrap()
    }

    pub fn check_at(&self, now: &str) -> (Value, i32, String) {
        let out = run(
            &[
                "--now",
                now,
                "--json",
                "entra",
                "check",
                "--inventory",
                p(&self.inv),
                "--export",
                p(&self.export),
            ],
            None,
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (v, out.status.code().unwrap(), stderr)
    }

    pub fn check(&self) -> (Value, i32) {
        let (v, code, stderr) = self.check_at(T1);
        assert!(v != Value::Null, "no JSON: {stderr}");
        (v, code)
    }

    /// Runs the check, expects exit 1 and exactly these rules among the findings.
    pub fn expect(&self, rules: &[&str]) -> Vec<Value> {
        let (v, code) = self.check();
        let found: BTreeSet<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(
            found,
            rules.iter().copied().collect(),
            "{}",
            serde_json::to_string_pretty(&v["findings"]).unwrap()
        );
        assert_eq!(code, 1);
        v["findings"].as_array().unwrap().clone()
    }

    pub fn fail(&self) -> String {
        let (v, code, stderr) = self.check_at(T1);
        assert_eq!(code, 2, "{v} {stderr}");
        assert_eq!(v, Value::Null, "nothing on stdout on an input error");
        stderr
    }
}

pub fn first_passkey(v: &mut Value, upn: &str) -> Value {
    Case::account(v, upn)["fido2Methods"]["value"][0].clone()
}

pub fn edit_passkeys(v: &mut Value, upn: &str, f: impl Fn(&mut Value)) {
    let a = Case::account(v, upn);
    for list in ["fido2Methods", "methods"] {
        for m in a[list]["value"].as_array_mut().unwrap() {
            if m["@odata.type"] == FIDO2 {
                f(m);
            }
        }
    }
}
