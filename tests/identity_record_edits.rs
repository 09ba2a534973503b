//! A hand edit that swaps a look-alike's identity into an inventoried key's record (hostile-8
//! F6) unlocks nothing: until `inventory acknowledge` vouches for the change, `identify` says
//! the record was changed without acknowledgement (exit 1), and `audit` and `enroll` send the
//! key no PIN material and record nothing for the key it claims.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use std::path::Path;

use scripted::{
    audit, authenticator, empty_inventory, enroll, enrolled_inventory, identify, last_observation,
    p, Action, Received, ScriptedKey, BG1, BG2, PIN,
};
use serde_json::Value as Json;

/// The identity fields of `label`'s entry in `inv`: credential ID, public key, fingerprint.
fn identity_of(inv: &Path, label: &str) -> [String; 3] {
    let v: toml::Value = toml::from_str(&std::fs::read_to_string(inv).unwrap()).unwrap();
    let key = v["key"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"].as_str() == Some(label))
        .unwrap();
    ["credential_id", "public_key", "fingerprint"]
        .map(|f| key["identity"][f].as_str().unwrap().to_owned())
}

/// A look-alike (a genuine authenticator of its own, BG01-A's model) enrolled in an inventory of
/// its own, so that it holds an identity credential; and that identity.
fn look_alike(dir: &Path) -> (ScriptedKey, [String; 3]) {
    let key = ScriptedKey::serve(
        authenticator("yubikey-5.7", 31_337_009),
        Box::new(|_, _| Action::Forward),
    );
    let own = dir.join("look-alike");
    std::fs::create_dir(&own).unwrap();
    let inv = empty_inventory(&own);
    let out = enroll(&inv, &key.device, "L", BG2, PIN, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let identity = identity_of(&inv, "L");
    // Used more than BG01-A: its counter is past BG01-A's recorded one.
    key.with_authenticator(|a| a.state_mut().sign_count += 100);
    (key, identity)
}

#[test]
fn a_swapped_identity_without_acknowledgement_gets_no_pin_and_is_not_identified() {
    let dir = tempfile::tempdir().unwrap();
    let inv = enrolled_inventory(dir.path(), &[("BG01-A", BG1, PIN)]);
    let genuine = format!("virtual:{}", dir.path().join("BG01-A.json").display());
    // A check records the roster the edit is then measured against.
    let out = audit(&inv, &genuine, &["--json"]);
    let first: Json = serde_json::from_slice(&out.stdout).unwrap_or(Json::Null);
    assert!(
        first["check_hash"].is_string() && first["keys_checked"][0]["identity_verified"] == true,
        "{first} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (key, stolen) = look_alike(dir.path());

    // The tester's edit: the look-alike's credential ID, public key and fingerprint in place
    // of BG01-A's.
    let mut text = std::fs::read_to_string(&inv).unwrap();
    for (old, new) in identity_of(&inv, "BG01-A").iter().zip(&stolen) {
        assert_eq!(text.matches(old.as_str()).count(), 1, "{old}");
        text = text.replace(old.as_str(), new);
    }
    std::fs::write(&inv, &text).unwrap();
    let observed = last_observation(&inv, "BG01-A");

    let (code, shown, v) = identify(&inv, &key.device);
    assert_eq!(code, Some(1), "{shown}");
    assert!(!shown.contains("is BG01-A"), "{shown}");
    assert!(
        shown.contains("claims to be BG01-A") && shown.contains("changed without acknowledgement"),
        "{shown}"
    );
    assert_eq!(v["identity_proved"], false, "{v}");
    assert_eq!(v["label"], Json::Null, "{v}");
    assert_eq!(v["claimed_label"], "BG01-A", "{v}");
    assert!(
        v["proof_failure"]
            .as_str()
            .unwrap_or_default()
            .contains("changed without acknowledgement"),
        "{v}"
    );

    let out = audit(&inv, &key.device, &["--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(key.pin_material_requests(), 0, "PIN material sent: {err}");
    assert!(
        !key.received().iter().any(Received::is_get_retries),
        "no PIN step at all: {err}"
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let unproved = report["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "GK064"
            && f["key"] == "BG01-A"
            && f["message"]
                .as_str()
                .unwrap_or_default()
                .contains("not proved")
    });
    assert!(unproved, "{report}");
    assert_eq!(
        last_observation(&inv, "BG01-A"),
        observed,
        "nothing recorded for BG01-A"
    );

    // enroll meets the same key before any PIN: refused, nothing written.
    let before = std::fs::read(&inv).unwrap();
    let out = enroll(&inv, &key.device, "BG01-B", BG1, PIN, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("GK064") && err.contains("no PIN was sent"),
        "{err}"
    );
    assert_eq!(std::fs::read(&inv).unwrap(), before);
    assert_eq!(key.pin_material_requests(), 0, "{err}");

    // Once the admin records why, the record is the inventory's word again.
    scripted::ok(
        &[
            "inventory",
            "acknowledge",
            p(&inv),
            "--note",
            "BG01-A replaced; ticket 4711",
        ],
        "",
    );
    let (code, shown, _) = identify(&inv, &key.device);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("is BG01-A"), "{shown}");
}
