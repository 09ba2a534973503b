//! The environment `glasskey mds` tests run in: a temporary data directory, a fixed date, the
//! TEST MDS root trusted on import, and a virtual key to vet.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::common;
use crate::mds_blob::{self, payload, sign, Signer};

pub const YUBIKEY_5_NFC: &str = "2fc0579f-8113-47ea-b116-bb5a8db9202a";
pub const TODAY: &str = "2026-11-26T10:00:00Z";
pub const PIN: &str = "Kq7!mZ2p";

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn glasskey(&self) -> Command {
        let mut c = common::bin::glasskey();
        c.env("GLASSKEY_DATA_DIR", self.data())
            .args(["--now", TODAY]);
        c
    }

    pub fn blob(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `mds import` with the TEST MDS root trusted; (exit code, stdout JSON or stderr).
    pub fn import(&self, blob: &Path) -> (i32, String) {
        let out = self
            .glasskey()
            .args(["mds", "import", "--json", "--trust-root"])
            .arg(mds_blob::fixture_path("root.pem"))
            .arg(blob)
            .output()
            .unwrap();
        let text = if out.status.success() {
            String::from_utf8(out.stdout).unwrap()
        } else {
            String::from_utf8(out.stderr).unwrap()
        };
        (out.status.code().unwrap(), text)
    }

    pub fn status(&self) -> Value {
        let out = self
            .glasskey()
            .args(["mds", "status", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

pub fn fresh(no: u64, extra: Vec<Value>) -> String {
    sign(&payload(no, "2026-12-15", extra), Signer::Es256)
}

pub fn virtual_key(env: &Env, attestation: &str) -> (PathBuf, String) {
    let k = env.dir.path().join("k.json");
    env.glasskey()
        .args(["virtual", "create"])
        .arg(&k)
        .args([
            "--profile",
            "yubikey-5.7",
            "--attestation",
            attestation,
            "--pin-stdin",
        ])
        .write_stdin(format!("{PIN}\n"))
        .assert()
        .success();
    let out = env
        .glasskey()
        .args([
            "info",
            "--json",
            "--device",
            &format!("virtual:{}", k.display()),
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (k, v["facts"]["aaguid"].as_str().unwrap().to_owned())
}

/// `vet` of the virtual key `k` with its PIN on stdin and the TEST attestation root trusted.
pub fn vet_command(env: &Env, k: &Path) -> Command {
    let mut c = env.glasskey();
    c.args([
        "vet",
        "--pin-stdin",
        "--device",
        &format!("virtual:{}", k.display()),
    ])
    .arg("--trust-root")
    .arg(format!(
        "{}/data/test-ca/test-root.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .write_stdin(format!("{PIN}\n"));
    c
}

pub fn vet(env: &Env, k: &Path) -> Value {
    let out = vet_command(env, k).arg("--json").output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The rule IDs of a JSON report's findings, in order and with repeats (a rule reported twice
/// for one report is a defect these tests look for).
pub fn rules(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}
