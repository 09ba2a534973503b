//! Every report of `vet`, `enroll` and `audit`, as text and as JSON, says which FIDO MDS BLOB it
//! consulted (number, nextUpdate, date imported, digest), or that none was, or that the BLOB is
//! stale; and where the key's model name came from: the MDS entry, else glasskey's fallback
//! table. End to end through the binary, one test per case.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/mds_blob.rs"]
mod mds_blob;

use std::path::{Path, PathBuf};

use common::bin::{dev, glasskey, init_inventory, p, pin_line, BG1};
use serde_json::Value;

/// The instant every command runs at.
const NOW: &str = "2026-11-26T10:00:00Z";
const MDS_MODEL: &str = "Glasskey MDS Test Model";
/// glasskey's fallback table's name for the yubikey-5.7 virtual profile (src/models.rs).
const TABLE_MODEL: &str = "glasskey virtual key (imitates a YubiKey 5 NFC, firmware 5.7)";

#[derive(Clone, Copy, PartialEq)]
enum Blob {
    None,
    Fresh,
    Stale,
}

struct Case {
    dir: tempfile::TempDir,
    key: PathBuf,
    blob: Blob,
    /// SHA-256 of the imported BLOB file.
    sha256: Option<String>,
}

fn next_update(blob: Blob) -> &'static str {
    if blob == Blob::Stale {
        "2026-11-20"
    } else {
        "2026-12-15"
    }
}

fn case(blob: Blob) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let key = common::bin::virtual_key(dir.path(), "k.json")
        .profile("yubikey-5.7")
        .attestation("test-ca")
        .create();
    let aaguid = "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9";
    let sha256 = (blob != Blob::None).then(|| {
        use sha2::Digest;
        let text = mds_blob::sign(
            &mds_blob::payload(
                300,
                next_update(blob),
                vec![mds_blob::entry(
                    aaguid,
                    MDS_MODEL,
                    "FIDO_CERTIFIED_L1",
                    "2026-01-01",
                )],
            ),
            mds_blob::Signer::Es256,
        );
        let file = dir.path().join("blob.jwt");
        std::fs::write(&file, &text).unwrap();
        glasskey()
            .args(["--now", NOW, "mds", "import", "--trust-root"])
            .arg(mds_blob::fixture_path("root.pem"))
            .arg(&file)
            .assert()
            .success();
        hex::encode(sha2::Sha256::digest(text.trim().as_bytes()))
    });
    Case {
        dir,
        key,
        blob,
        sha256,
    }
}

fn stdout(args: &[&str]) -> String {
    let out = glasskey()
        .args(args)
        .write_stdin(pin_line())
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let text = stdout(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The JSON provenance object of a report.
fn assert_provenance_json(c: &Case, mds: &Value) {
    match c.blob {
        Blob::None => {
            assert_eq!(mds["consulted"], false, "{mds}");
            assert!(mds.get("blob_no").is_none(), "{mds}");
        }
        Blob::Fresh | Blob::Stale => {
            assert_eq!(mds["consulted"], true, "{mds}");
            assert_eq!(mds["blob_no"], 300, "{mds}");
            assert_eq!(mds["next_update"], next_update(c.blob), "{mds}");
            assert_eq!(mds["imported_at"], NOW, "{mds}");
            assert_eq!(mds["blob_sha256"].as_str(), c.sha256.as_deref(), "{mds}");
            assert_eq!(mds["stale"], c.blob == Blob::Stale, "{mds}");
        }
    }
}

/// The one-line provenance of a text report.
fn assert_provenance_text(c: &Case, text: &str) {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("MDS"))
        .unwrap_or_else(|| panic!("no MDS line: {text}"));
    match c.blob {
        Blob::None => assert!(line.contains("none consulted (no BLOB imported"), "{line}"),
        Blob::Fresh | Blob::Stale => {
            let sha = c.sha256.as_deref().unwrap();
            for words in [
                "BLOB no. 300".to_owned(),
                format!("next update {}", next_update(c.blob)),
                format!("imported {NOW}"),
                format!("sha256 {}", &sha[..16]),
            ] {
                assert!(line.contains(&words), "{words}: {line}");
            }
            assert_eq!(line.contains("STALE"), c.blob == Blob::Stale, "{line}");
        }
    }
}

/// (model, model_source) expected for the case.
fn expected_model(c: &Case) -> (&'static str, &'static str, &'static str) {
    match c.blob {
        Blob::None => (
            TABLE_MODEL,
            "glasskey-table",
            "from glasskey's fallback table",
        ),
        Blob::Fresh | Blob::Stale => (MDS_MODEL, "fido-mds", "from the FIDO MDS"),
    }
}

fn vet_args<'a>(device: &'a str, root: &'a str, json: bool) -> Vec<&'a str> {
    let mut a = vec!["--now", NOW, "vet", "--pin-stdin", "--device", device];
    a.extend(["--trust-root", root]);
    if json {
        a.push("--json");
    }
    a
}

fn check_vet(blob: Blob) {
    let c = case(blob);
    let device = dev(&c.key);
    let root = format!("{}/data/test-ca/test-root.pem", env!("CARGO_MANIFEST_DIR"));
    let (model, source, words) = expected_model(&c);
    let v = json(&vet_args(&device, &root, true));
    assert_provenance_json(&c, &v["mds"]);
    assert_eq!(v["facts"]["model"], model, "{v}");
    assert_eq!(v["facts"]["model_source"], source, "{v}");
    let text = stdout(&vet_args(&device, &root, false));
    assert_provenance_text(&c, &text);
    assert!(
        text.contains(&format!("model         {model} ({words})")),
        "{text}"
    );
}

fn inventory(c: &Case, name: &str) -> PathBuf {
    let inv = c.dir.path().join(name);
    init_inventory(&inv, &["--account", BG1]);
    inv
}

fn enroll_args<'a>(device: &'a str, inv: &'a Path, json: bool) -> Vec<&'a str> {
    let mut a = vec![
        "--now",
        NOW,
        "--device",
        device,
        "enroll",
        "--inventory",
        p(inv),
    ];
    a.extend(["--label", "K1", "--account", BG1, "--custodian", "C"]);
    a.extend(["--location", "L", "--pin-stdin"]);
    if json {
        a.push("--json");
    }
    a
}

fn check_enroll(blob: Blob) {
    let c = case(blob);
    let device = dev(&c.key);
    let (model, source, words) = expected_model(&c);
    let v = json(&enroll_args(&device, &inventory(&c, "a.toml"), true));
    assert_provenance_json(&c, &v["mds"]);
    assert_eq!(
        (v["model"].as_str(), v["model_source"].as_str()),
        (Some(model), Some(source))
    );
    let text = stdout(&enroll_args(&device, &inventory(&c, "b.toml"), false));
    assert_provenance_text(&c, &text);
    assert!(text.contains(&format!("({model}, {words})")), "{text}");
}

fn audit_args<'a>(device: &'a str, inv: &'a Path, json: bool) -> Vec<&'a str> {
    let mut a = vec!["--now", NOW, "--device", device, "audit", "--pin-stdin"];
    a.extend(["--inventory", p(inv)]);
    if json {
        a.push("--json");
    }
    a
}

fn check_audit(blob: Blob) {
    let c = case(blob);
    let device = dev(&c.key);
    let inv = inventory(&c, "a.toml");
    stdout(&enroll_args(&device, &inv, false));
    let (model, source, words) = expected_model(&c);
    let v = json(&audit_args(&device, &inv, true));
    assert_provenance_json(&c, &v["mds"]);
    let k = &v["keys_checked"][0];
    assert_eq!(
        (k["model"].as_str(), k["model_source"].as_str()),
        (Some(model), Some(source)),
        "{k}"
    );
    let text = stdout(&audit_args(&device, &inv, false));
    assert_provenance_text(&c, &text);
    assert!(
        text.contains(&format!("    model      {model} ({words})")),
        "{text}"
    );
    // The HTML and Markdown renderings say it too.
    for (format, prefix) in [("md", "MDS: "), ("html", "<p class=\"meta\">MDS: ")] {
        let mut args = audit_args(&device, &inv, false);
        args.extend(["--report", format]);
        let rendered = stdout(&args);
        let line = rendered
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{format}: no MDS line: {rendered}"));
        let expected = match c.blob {
            Blob::None => "none consulted".to_owned(),
            Blob::Fresh | Blob::Stale => {
                format!("BLOB no. 300 (next update {}", next_update(c.blob))
            }
        };
        assert!(line.contains(&expected), "{format}: {line}");
    }
    // The check entry in the inventory records the BLOB the audit consulted, under its hash.
    let toml: toml::Table = std::fs::read_to_string(&inv).unwrap().parse().unwrap();
    let history = toml["history"].as_str().unwrap();
    let last: Value = serde_json::from_str(history.trim().lines().last().unwrap()).unwrap();
    let recorded = &last["mds"];
    match c.blob {
        Blob::None => assert_eq!(recorded["consulted"].as_bool(), Some(false), "{last}"),
        Blob::Fresh | Blob::Stale => {
            assert_eq!(recorded["consulted"].as_bool(), Some(true), "{last}");
            assert_eq!(recorded["no"].as_u64(), Some(300), "{last}");
            assert_eq!(recorded["sha256"].as_str(), c.sha256.as_deref(), "{last}");
            assert_eq!(
                recorded["stale"].as_bool(),
                Some(c.blob == Blob::Stale),
                "{last}"
            );
        }
    }
    // ... and the chain still verifies with it.
    glasskey()
        .args(["inventory", "verify", p(&inv)])
        .assert()
        .success();
    // `inventory history` shows it under the check.
    let history = stdout(&["inventory", "history", p(&inv)]);
    let expected = match c.blob {
        Blob::None => "no FIDO MDS consulted".to_owned(),
        Blob::Fresh => format!(
            "FIDO MDS BLOB no. 300 ({})",
            &c.sha256.as_deref().unwrap()[..16]
        ),
        Blob::Stale => format!(
            "FIDO MDS BLOB no. 300 ({}), stale",
            &c.sha256.as_deref().unwrap()[..16]
        ),
    };
    assert!(history.contains(&expected), "{expected}: {history}");
}

#[test]
fn vet_without_a_blob_says_none_consulted_and_names_the_model_from_the_table() {
    check_vet(Blob::None);
}

#[test]
fn vet_with_a_fresh_blob_names_it_and_the_model_from_the_mds() {
    check_vet(Blob::Fresh);
}

#[test]
fn vet_with_a_stale_blob_says_stale() {
    check_vet(Blob::Stale);
}

#[test]
fn enroll_without_a_blob_says_none_consulted() {
    check_enroll(Blob::None);
}

#[test]
fn enroll_with_a_fresh_blob_names_it() {
    check_enroll(Blob::Fresh);
}

#[test]
fn enroll_with_a_stale_blob_says_stale() {
    check_enroll(Blob::Stale);
}

#[test]
fn audit_without_a_blob_says_none_consulted_and_records_it() {
    check_audit(Blob::None);
}

#[test]
fn audit_with_a_fresh_blob_names_it_and_records_it() {
    check_audit(Blob::Fresh);
}

#[test]
fn audit_with_a_stale_blob_says_stale_and_records_it() {
    check_audit(Blob::Stale);
}
