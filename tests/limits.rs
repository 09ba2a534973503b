//! Bounds on what glasskey accepts: `--timeout` has an upper bound (no panic on huge values),
//! and a key claiming impossible PIN retry values is a protocol error with a clear message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod scripted;

use glasskey::ctap2::cbor::{int, Value};
use scripted::{authenticator, glasskey, ok_reply, Action, ScriptedKey};

#[test]
fn a_huge_timeout_is_a_usage_error_not_a_panic() {
    for value in ["18446744073709551615", "3601", "0"] {
        let out = glasskey()
            .args([
                "info",
                "--device",
                "virtual:/nonexistent.json",
                "--timeout",
                value,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--timeout {value}: {err}");
        assert!(err.contains("1..=3600"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A key whose getPINRetries answer is `retries` and `power_cycle`.
fn claiming(retries: i64, power_cycle: bool) -> ScriptedKey {
    ScriptedKey::serve(
        authenticator("yubikey-5.7", 9),
        Box::new(move |request, _| {
            if request.is_get_retries() {
                Action::Reply(ok_reply(&Value::Map(vec![
                    (int(3), int(retries)),
                    (int(4), Value::Bool(power_cycle)),
                ])))
            } else {
                Action::Forward
            }
        }),
    )
}

#[test]
fn impossible_retry_values_are_protocol_errors() {
    for (retries, power_cycle, expect) in [
        (9, false, "claims 9 PIN retries; CTAP allows at most 8"),
        (200, false, "claims 200 PIN retries"),
        (8, true, "power cycle with 8 PIN retries left"),
    ] {
        let key = claiming(retries, power_cycle);
        for args in [
            &["pin", "status"][..],
            &["pin", "verify", "--pin-stdin"][..],
        ] {
            let out = glasskey()
                .args(["--device", &key.device])
                .args(args)
                .write_stdin(format!("{}\n", scripted::PIN))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{args:?} {retries}: {err}");
            assert!(err.contains(expect), "{args:?}: {err}");
        }
        assert_eq!(key.pin_material_requests(), 0);
    }
}

/// DESIGN §3.10: raw command access (any CTAP command, reset and deletion included) is public
/// only behind the `raw-access-unsafe-for-keys` feature, which is off by default.
#[test]
fn raw_command_access_is_public_only_behind_the_unsafe_feature() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, raw) in [
        ("src/ctap2/session/mod.rs", "pub fn call<"),
        ("src/ctap2/session/mod.rs", "pub fn hid("),
        ("src/ctap2/session/mod.rs", "pub fn into_hid("),
        ("src/ctaphid/channel.rs", "pub fn transact("),
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with(raw) {
                assert_eq!(
                    lines[i - 1].trim(),
                    "#[cfg(feature = \"raw-access-unsafe-for-keys\")]",
                    "{file}:{}: `{raw}` is public without the unsafe feature",
                    i + 1
                );
            }
        }
    }
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap()).unwrap();
    let default = manifest["features"].get("default");
    assert!(
        default.is_none_or(|d| !d.to_string().contains("raw-access")),
        "the unsafe feature must not be a default"
    );
}
