//! `glasskey mds` end to end through the binary: import, show, status, staleness, rollback
//! refusal, bad BLOBs (each a clear error, the previous import kept), and the findings vet,
//! enroll and audit draw from the imported BLOB.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/mds_blob.rs"]
mod mds_blob;
#[path = "support/mds_env.rs"]
mod mds_env;

use std::path::Path;

use mds_blob::{entry, payload, sign, Signer};
use mds_env::{fresh, rules, vet, vet_command, virtual_key, Env, PIN, YUBIKEY_5_NFC};
use serde_json::Value;

#[test]
fn an_imported_blob_is_shown_by_aaguid() {
    let env = Env::new();
    let (code, out) = env.import(&env.blob("blob.jwt", &fresh(300, vec![])));
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["no"], 300);
    assert_eq!(v["stale"], false);
    // The subset's U2F entry has no AAGUID and is not stored.
    assert_eq!(
        (v["models"].as_u64(), v["skipped"].as_u64()),
        (Some(3), Some(1))
    );
    assert!(v["signer"].as_str().unwrap().contains("mds signer ES256"));

    let out = env
        .glasskey()
        .args(["mds", "show", YUBIKEY_5_NFC])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("YubiKey 5 Series with NFC\n"), "{text}");
    assert!(text.contains("certification  FIDO_CERTIFIED_L1"), "{text}");
    assert!(
        text.contains("CN=Yubico U2F Root CA Serial 457200631"),
        "{text}"
    );
    assert!(
        text.contains("authenticatorGetInfo (as published)"),
        "{text}"
    );
    let out = env
        .glasskey()
        .args(["mds", "show", "--json", &YUBIKEY_5_NFC.to_uppercase()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entry"]["aaguid"], YUBIKEY_5_NFC);
    assert!(v["entry"]["metadataStatement"].get("icon").is_none());
    assert_eq!(
        v["entry"]["metadataStatement"]["authenticatorGetInfo"]["aaguid"],
        "2fc0579f811347eab116bb5a8db9202a"
    );

    // An AAGUID the BLOB does not list is a clear error.
    env.glasskey()
        .args(["mds", "show", "00000000-0000-0000-0000-000000000001"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "not in the imported MDS BLOB no. 300",
        ));
}

#[test]
fn an_rs256_blob_imports_too() {
    let env = Env::new();
    let blob = sign(&payload(301, "2026-12-15", vec![]), Signer::Rs256);
    let (code, out) = env.import(&env.blob("blob.jwt", &blob));
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.status()["algorithm"], "RS256");
}

#[test]
fn an_older_blob_is_refused_and_the_newer_one_kept() {
    let env = Env::new();
    assert_eq!(env.import(&env.blob("new.jwt", &fresh(300, vec![]))).0, 0);
    let before = env.status();
    let (code, err) = env.import(&env.blob("old.jwt", &fresh(299, vec![])));
    assert_eq!(code, 2);
    assert!(
        err.contains("BLOB no. 299 is older than the imported no. 300"),
        "{err}"
    );
    assert_eq!(env.status(), before);
    // The same number again (a re-download) is accepted.
    assert_eq!(env.import(&env.blob("again.jwt", &fresh(300, vec![]))).0, 0);
}

#[test]
fn each_bad_blob_is_a_clear_error_and_keeps_the_previous_import() {
    let env = Env::new();
    assert_eq!(env.import(&env.blob("good.jwt", &fresh(300, vec![]))).0, 0);
    let before = env.status();
    let good = fresh(301, vec![]);
    let parts: Vec<&str> = good.split('.').collect();
    // Flip one character of the payload: still base64url, no longer what was signed.
    let mut payload_chars: Vec<char> = parts[1].chars().collect();
    payload_chars[100] = if payload_chars[100] == 'A' { 'B' } else { 'A' };
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        payload_chars.into_iter().collect::<String>(),
        parts[2]
    );
    let malformed = sign(
        &serde_json::to_vec(&serde_json::json!({
            "no": 302, "nextUpdate": "2026-12-15",
            "entries": [{"aaguid": YUBIKEY_5_NFC}]
        }))
        .unwrap(),
        Signer::Es256,
    );
    let cases: Vec<(&str, String, &str)> = vec![
        ("truncated", good[..good.len() / 2].to_owned(), "is not"),
        (
            "truncated-signature",
            good[..good.len() - 20].to_owned(),
            "signature does not verify",
        ),
        ("tampered", tampered, "signature does not verify"),
        (
            "expired",
            sign(&payload(303, "2026-12-15", vec![]), Signer::Expired),
            "expired on 2021-01-01",
        ),
        (
            "malformed-entry",
            malformed,
            "entry 0: missing field `statusReports`",
        ),
        ("not-a-jws", "hello".into(), "not a compact JWS"),
    ];
    for (name, text, words) in cases {
        let (code, err) = env.import(&env.blob(&format!("{name}.jwt"), &text));
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(words), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line: {err}");
        assert_eq!(env.status(), before, "{name}");
    }
    // Without the TEST root, only GlobalSign's are trusted.
    let out = env
        .glasskey()
        .args(["mds", "import"])
        .arg(env.blob("unrooted.jwt", &good))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("certificate chain is not trusted"), "{err}");
    assert_eq!(env.status(), before);
}

#[test]
fn without_a_blob_vet_says_no_mds_was_consulted() {
    let env = Env::new();
    let (k, _) = virtual_key(&env, "test-ca");
    let v = vet(&env, &k);
    assert_eq!(v["mds"]["consulted"], false);
    assert_eq!(v["verdict"], "pass", "{v}");
    let out = vet_command(&env, &k).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("MDS           none consulted (no BLOB imported"));
}

#[test]
fn each_status_report_gives_its_finding_in_vet() {
    for (status, rule) in [
        ("REVOKED", "GK082"),
        ("ATTESTATION_KEY_COMPROMISE", "GK082"),
        ("USER_VERIFICATION_BYPASS", "GK082"),
        ("USER_KEY_REMOTE_COMPROMISE", "GK082"),
        ("USER_KEY_PHYSICAL_COMPROMISE", "GK082"),
        ("UPDATE_AVAILABLE", "GK083"),
        ("NOT_FIDO_CERTIFIED", "GK084"),
    ] {
        let env = Env::new();
        let (k, aaguid) = virtual_key(&env, "test-ca");
        let blob = fresh(
            300,
            vec![entry(&aaguid, "Glasskey Test Model", status, "2026-10-01")],
        );
        assert_eq!(env.import(&env.blob("b.jwt", &blob)).0, 0);
        let v = vet(&env, &k);
        assert_eq!(rules(&v), vec![rule.to_owned()], "{status}: {v}");
        let message = v["findings"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "{status} since 2026-10-01: https://example.invalid/{status}"
            )),
            "{message}"
        );
        // The model name comes from the MDS.
        assert_eq!(v["facts"]["model"], "Glasskey Test Model");
        assert_eq!(v["mds"]["blob_no"], 300);
    }
}

#[test]
fn a_stale_blob_and_an_unlisted_model_are_reported() {
    let env = Env::new();
    let (k, aaguid) = virtual_key(&env, "test-ca");
    let blob = sign(
        &payload(
            300,
            "2026-11-20",
            vec![entry(&aaguid, "M", "FIDO_CERTIFIED_L1", "2026-01-01")],
        ),
        Signer::Es256,
    );
    let out = env
        .glasskey()
        .args(["mds", "import", "--trust-root"])
        .arg(mds_blob::fixture_path("root.pem"))
        .arg(env.blob("b.jwt", &blob))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("due for replacement on 2026-11-20"));
    let v = vet(&env, &k);
    assert_eq!(rules(&v), vec!["GK085".to_owned()], "{v}");
    assert_eq!(v["mds"]["stale"], true);
    assert_eq!(v["mds"]["certification_level"], "FIDO_CERTIFIED_L1");

    let env = Env::new();
    let (k, _) = virtual_key(&env, "test-ca");
    assert_eq!(env.import(&env.blob("b.jwt", &fresh(300, vec![]))).0, 0);
    assert_eq!(rules(&vet(&env, &k)), vec!["GK086".to_owned()]);
}

#[test]
fn enroll_and_audit_consult_the_mds() {
    let env = Env::new();
    let inv = env.dir.path().join("bg.toml");
    env.glasskey()
        .args(["inventory", "init", "--allow-software-keys"])
        .arg(&inv)
        .args(["--tenant", "t", "--account", "a@t.onmicrosoft.com"])
        .assert()
        .success();
    let (k, aaguid) = virtual_key(&env, "test-ca");
    let enroll = |k: &Path, label: &str| {
        env.glasskey()
            .args([
                "--device",
                &format!("virtual:{}", k.display()),
                "enroll",
                "--inventory",
            ])
            .arg(&inv)
            .args(["--label", label, "--account", "a@t.onmicrosoft.com"])
            .args(["--custodian", "C", "--location", "L"])
            .output()
            .unwrap()
    };
    let update = entry(
        &aaguid,
        "Glasskey Test Model",
        "UPDATE_AVAILABLE",
        "2026-09-01",
    );
    assert_eq!(
        env.import(&env.blob("a.jwt", &fresh(300, vec![update]))).0,
        0
    );
    let out = enroll(&k, "K1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("UPDATE_AVAILABLE since 2026-09-01") && err.contains("(GK083)"),
        "{err}"
    );
    assert!(std::fs::read_to_string(&inv)
        .unwrap()
        .contains("model = \"Glasskey Test Model\""));

    // The model is revoked later: audit reports it for the enrolled key, enroll refuses another.
    let revoked = entry(&aaguid, "Glasskey Test Model", "REVOKED", "2026-11-02");
    assert_eq!(
        env.import(&env.blob("b.jwt", &fresh(301, vec![revoked]))).0,
        0
    );
    let out = env
        .glasskey()
        .args([
            "--device",
            &format!("virtual:{}", k.display()),
            "audit",
            "--json",
            "--pin-stdin",
            "--inventory",
        ])
        .arg(&inv)
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let gk082: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "GK082")
        .collect();
    assert_eq!(gk082.len(), 1, "{v}");
    assert_eq!(gk082[0]["key"], "K1");
    assert!(gk082[0]["message"]
        .as_str()
        .unwrap()
        .contains("REVOKED since 2026-11-02: https://example.invalid/REVOKED"));
    assert_eq!(out.status.code(), Some(1));

    let k2 = env.dir.path().join("k2.json");
    env.glasskey()
        .args(["virtual", "create"])
        .arg(&k2)
        .args(["--profile", "yubikey-5.7", "--attestation", "test-ca"])
        .assert()
        .success();
    let out = enroll(&k2, "K2");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not enrolled: the FIDO MDS reports Glasskey Test Model: REVOKED"),
        "{err}"
    );
}
