//! Every binary a test spawns through tests/common gets a data directory of its own test, so a
//! BLOB the user imported (or another test's) never changes a result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[path = "support/mds_blob.rs"]
mod mds_blob;

use common::bin::{dev, glasskey, virtual_key, PIN};
use serde_json::Value;

fn json(out: std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn a_blob_in_the_users_data_directory_is_never_consulted_by_a_test() {
    let dir = tempfile::tempdir().unwrap();
    let key = virtual_key(dir.path(), "k.json")
        .attestation("test-ca")
        .create();
    let aaguid = json(
        glasskey()
            .args(["info", "--json", "--device", &dev(&key)])
            .output()
            .unwrap(),
    )["facts"]["aaguid"]
        .as_str()
        .unwrap()
        .to_owned();
    // A real-looking HOME whose data directory holds a BLOB that revokes the key's model.
    let home = dir.path().join("home");
    let users_data = home.join(".local/share/glasskey");
    let revoked = mds_blob::entry(&aaguid, "Revoked Model", "REVOKED", "2026-10-01");
    let blob = dir.path().join("blob.jwt");
    std::fs::write(
        &blob,
        mds_blob::sign(
            &mds_blob::payload(300, "2026-12-15", vec![revoked]),
            mds_blob::Signer::Es256,
        ),
    )
    .unwrap();
    glasskey()
        .env("GLASSKEY_DATA_DIR", &users_data)
        .args([
            "--now",
            "2026-11-26T10:00:00Z",
            "mds",
            "import",
            "--trust-root",
        ])
        .arg(mds_blob::fixture_path("root.pem"))
        .arg(&blob)
        .assert()
        .success();
    assert!(users_data.join("mds.index").is_file());

    let status = json(
        glasskey()
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .args(["mds", "status", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(status["imported"], false, "{status}");
    assert_eq!(
        status["path"].as_str().unwrap(),
        common::bin::data_dir().join("mds.index").to_str().unwrap()
    );
    let vet = json(
        glasskey()
            .env("HOME", &home)
            .env_remove("XDG_DATA_HOME")
            .args([
                "--now",
                "2026-11-26T10:00:00Z",
                "vet",
                "--json",
                "--pin-stdin",
            ])
            .args(["--device", &dev(&key), "--trust-root"])
            .arg(format!(
                "{}/data/test-ca/test-root.pem",
                env!("CARGO_MANIFEST_DIR")
            ))
            .write_stdin(format!("{PIN}\n"))
            .output()
            .unwrap(),
    );
    assert_eq!(vet["mds"]["consulted"], false, "{vet}");
    assert_eq!(vet["verdict"], "pass", "{vet}");
}

#[test]
fn each_test_has_its_own_data_directory() {
    let mine = common::bin::data_dir();
    let other = std::thread::spawn(common::bin::data_dir).join().unwrap();
    assert_ne!(mine, other);
    assert_eq!(mine, common::bin::data_dir(), "stable within a test");
}

/// The binary is located in one place, tests/common/bin.rs, so no test can spawn it without
/// its own data directory: no other test file names it directly.
#[test]
fn only_tests_common_spawns_the_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut offenders = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // The conformance package is its own crate and never spawns glasskey.
                if !path.ends_with("conformance") {
                    dirs.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("common/bin.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Written split so that this file does not name them either.
            for needle in [concat!("cargo", "_bin("), concat!("CARGO_BIN", "_EXE")] {
                if text.contains(needle) {
                    offenders.push(format!("{}: {needle}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "spawn glasskey through tests/common/bin.rs: {offenders:?}"
    );
}
