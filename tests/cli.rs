//! The glasskey binary against virtual keys: human and JSON output, exit codes, PIN safety.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::bin::{dev, glasskey, state, PIN};
use serde_json::Value;

fn make_key(dir: &Path, name: &str, profile: &str, serial: u32, pin: Option<&str>) -> PathBuf {
    common::bin::virtual_key(dir, name)
        .profile(profile)
        .serial(serial)
        .pin(pin)
        .create()
}

fn register(path: &Path, upn: &str) {
    glasskey()
        .args(["virtual", "register"])
        .arg(path)
        .args([
            "--rp",
            "login.microsoft.com",
            "--user",
            upn,
            "--display-name",
            "Break Glass",
            "--pin-stdin",
        ])
        .write_stdin(format!("{PIN}\n"))
        .assert()
        .success();
}

fn json(cmd: &mut Command) -> (Value, i32) {
    let out = cmd.arg("--json").output().unwrap();
    let code = out.status.code().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (v, code)
}

#[test]
fn list_and_info_report_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 31_337_001, Some(PIN));
    let (v, code) = json(glasskey().args(["--device", &dev(&key), "list"]));
    assert_eq!(code, 0);
    let k = &v[0];
    assert_eq!(k["device"], dev(&key));
    assert_eq!(k["vendor_id"], "1050");
    assert_eq!(k["product_id"], "0407");
    assert_eq!(k["vendor_serial"], 31_337_001);
    assert_eq!(k["aaguid"], "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9");
    assert_eq!(
        k["model"],
        "glasskey virtual key (imitates a YubiKey 5 NFC, firmware 5.7)"
    );
    assert_eq!(k["firmware"], "5.7.4");
    assert_eq!(k["pin_set"], true);
    assert_eq!(
        k["ctap_versions"],
        serde_json::json!(["U2F_V2", "FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"])
    );

    let (v, code) = json(glasskey().args(["--device", &dev(&key), "info"]));
    assert_eq!(code, 0);
    assert_eq!(v["get_info"]["options"]["credMgmt"], true);
    assert_eq!(
        v["get_info"]["pin_uv_auth_protocols"],
        serde_json::json!([2, 1])
    );
    assert_eq!(v["get_info"]["remaining_discoverable_credentials"], 100);
    assert_eq!(v["vendor"]["serial"], 31_337_001);

    let human = glasskey()
        .args(["--device", &dev(&key), "info"])
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains("credMgmt                 true  credential management"),
        "{text}"
    );
    assert!(text.contains("ES256 (ECDSA P-256 SHA-256)"), "{text}");
}

#[test]
fn generic_key_has_usb_serial_and_no_vendor_serial() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "ctap21-pre", 0xABCDEF, None);
    let (v, _) = json(glasskey().args(["--device", &dev(&key), "list"]));
    assert_eq!(v[0]["vendor_serial"], Value::Null);
    assert_eq!(v[0]["usb_serial"], "00ABCDEF");
    assert_eq!(v[0]["pin_set"], false);
    assert_eq!(v[0]["model"], "glasskey virtual key (CTAP 2.1-PRE)");
}

#[test]
fn pin_status_untouched_then_after_a_wrong_pin() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    let (v, code) = json(glasskey().args(["--device", &dev(&key), "pin", "status"]));
    assert_eq!(code, 0);
    assert_eq!(v["retries"], 8);
    assert_eq!(v["verdict"], "untouched");
    assert_eq!(v["power_cycle_required"], false);

    // A wrong PIN costs exactly one retry, is not resent, and the next run still sees it.
    let out = glasskey()
        .args(["--device", &dev(&key), "pin", "verify", "--pin-stdin"])
        .write_stdin("wrong-pin\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("wrong PIN: 7 attempts left"), "{err}");
    assert_eq!(state(&key)["pin_retries"], 7);

    let (v, code) = json(glasskey().args(["--device", &dev(&key), "pin", "status"]));
    assert_eq!(code, 1, "findings when retries are below maximum");
    assert_eq!(v["retries"], 7);
    assert_eq!(v["verdict"], "1 failed attempt since the last correct PIN");

    glasskey()
        .args(["--device", &dev(&key), "pin", "verify", "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .assert()
        .success();
    assert_eq!(state(&key)["pin_retries"], 8);
}

#[test]
fn low_retries_refuse_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    let mut s = state(&key);
    s["pin_retries"] = 3.into();
    std::fs::write(&key, serde_json::to_string(&s).unwrap()).unwrap();
    let out = glasskey()
        .args(["--device", &dev(&key), "pin", "verify", "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only 3 PIN attempts are left"));
    assert_eq!(state(&key)["pin_retries"], 3, "the PIN was not sent");
    glasskey()
        .args([
            "--device",
            &dev(&key),
            "pin",
            "verify",
            "--pin-stdin",
            "--force",
        ])
        .write_stdin(format!("{PIN}\n"))
        .assert()
        .success();
    assert_eq!(state(&key)["pin_retries"], 8);
}

#[test]
fn three_wrong_pins_need_a_power_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    let verify = |pin: &str| {
        glasskey()
            .args(["--device", &dev(&key), "pin", "verify", "--pin-stdin"])
            .write_stdin(format!("{pin}\n"))
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        assert_eq!(verify("nope-nope").status.code(), Some(2));
    }
    let third = verify("nope-nope");
    assert_eq!(third.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&third.stderr).contains("unplug and replug the key"),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    // Still blocked for the right PIN, and nothing is spent trying.
    let blocked = verify(PIN);
    assert!(String::from_utf8_lossy(&blocked.stderr).contains("unplug and replug"));
    assert_eq!(state(&key)["pin_retries"], 5);
    glasskey()
        .args(["virtual", "replug"])
        .arg(&key)
        .assert()
        .success();
    assert_eq!(verify(PIN).status.code(), Some(0));
}

#[test]
fn creds_lists_passkeys_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    register(&key, "bg-01@contoso.onmicrosoft.com");
    let (v, code) = json(
        glasskey()
            .args(["--device", &dev(&key), "creds", "--pin-stdin"])
            .write_stdin(format!("{PIN}\n")),
    );
    assert_eq!(code, 0);
    assert_eq!(v["slots_used"], 1);
    assert_eq!(v["slots_remaining"], 99);
    let c = &v["credentials"][0];
    assert_eq!(c["rp_id"], "login.microsoft.com");
    assert_eq!(c["user_name"], "bg-01@contoso.onmicrosoft.com");
    assert_eq!(c["display_name"], "Break Glass");
    assert_eq!(c["cred_protect"], 2);
    assert_eq!(c["credential_id"].as_str().unwrap().len(), 130);
    assert_eq!(c["public_key_sha256"].as_str().unwrap().len(), 64);
    let stored = state(&key);
    assert_eq!(
        c["credential_id"],
        stored["credentials"][0]["credential_id"]
    );

    let (v, _) = json(
        glasskey()
            .args([
                "--device",
                &dev(&key),
                "creds",
                "--rp",
                "example.org",
                "--pin-stdin",
            ])
            .write_stdin(format!("{PIN}\n")),
    );
    assert_eq!(v["credentials"], serde_json::json!([]));
}

#[test]
fn creds_work_on_a_ctap21_pre_key_through_the_prototype_command() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.4", 1, Some(PIN));
    register(&key, "bg-02@contoso.onmicrosoft.com");
    let (v, code) = json(
        glasskey()
            .args(["--device", &dev(&key), "creds", "--pin-stdin"])
            .write_stdin(format!("{PIN}\n")),
    );
    assert_eq!(code, 0);
    assert_eq!(
        v["credentials"][0]["user_name"],
        "bg-02@contoso.onmicrosoft.com"
    );
}

#[test]
fn pin_never_appears_in_output_trace_or_files() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    register(&key, "bg-01@contoso.onmicrosoft.com");
    for args in [
        vec!["-v", "creds", "--pin-stdin"],
        vec!["-v", "pin", "verify", "--pin-stdin"],
        vec!["-v", "--json", "creds", "--pin-stdin"],
    ] {
        let out = glasskey()
            .args(["--device", &dev(&key)])
            .args(&args)
            .write_stdin(format!("{PIN}\n"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(
            text.contains("[PIN material redacted]") || !args.contains(&"-v"),
            "trace should mark redactions"
        );
        assert!(!text.contains(PIN), "PIN leaked with {args:?}");
        assert!(
            !text.contains(&hex::encode(PIN)),
            "PIN leaked as hex with {args:?}"
        );
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(PIN));
    }
}

#[test]
fn several_keys_without_device_and_no_tty_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = make_key(dir.path(), "a.json", "yubikey-5.7", 1, None);
    let b = make_key(dir.path(), "b.json", "yubikey-5.7", 2, None);
    let joined = std::env::join_paths([&a, &b]).unwrap();
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &joined)
        .args(["pin", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 keys are plugged in"), "{err}");
    assert!(err.contains(&dev(&a)) && err.contains(&dev(&b)), "{err}");
    assert!(err.contains("--device"), "{err}");
    // `list` needs no choice: it shows both.
    let (v, code) = json(glasskey().env("GLASSKEY_VIRTUAL_KEYS", &joined).arg("list"));
    assert_eq!(code, 0);
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn serial_selects_among_plugged_keys() {
    let dir = tempfile::tempdir().unwrap();
    let a = make_key(dir.path(), "a.json", "yubikey-5.7", 11_111_111, None);
    let b = make_key(dir.path(), "b.json", "yubikey-5.7", 22_222_222, None);
    let joined = std::env::join_paths([&a, &b]).unwrap();
    let (v, code) = json(
        glasskey()
            .env("GLASSKEY_VIRTUAL_KEYS", &joined)
            .args(["--device", "22222222", "info"]),
    );
    assert_eq!(code, 0);
    assert_eq!(v["facts"]["device"], dev(&b));
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &joined)
        .args(["--device", "33333333", "info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn wink_and_missing_virtual_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, None);
    glasskey()
        .args(["--device", &dev(&key), "wink"])
        .assert()
        .success()
        .stdout(predicates::str::contains("is blinking"));
    let out = glasskey()
        .args(["--device", "virtual:/nonexistent/key.json", "info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read virtual key"));
}

#[test]
fn pin_commands_need_a_pin_source_without_a_tty() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    let out = glasskey()
        .args(["--device", &dev(&key), "pin", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pin-stdin"));
    assert_eq!(state(&key)["pin_retries"], 8);
}

#[test]
fn udp_serve_answers_a_client_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 31_337_009, None);
    let mut server = common::bin::std_command()
        .args(["virtual", "serve"])
        .arg(&key)
        .args(["--udp", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let addr = line
        .split("on udp:")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let result = json(glasskey().args([
        "--device",
        &format!("udp:{addr}"),
        "--timeout",
        "10",
        "list",
    ]));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status();
    let status = server.wait().unwrap();
    let (v, code) = result;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v[0]["vendor_serial"], 31_337_009);
    assert_eq!(v[0]["aaguid"], "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9");
    assert!(status.success(), "serve should stop cleanly on SIGINT");
}

#[test]
fn demo_runs_without_input_and_catches_the_look_alike() {
    let out = glasskey().arg("demo").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Enrolled BG01-A for bg-01@contoso.onmicrosoft.com",
        "Enrolled BG02-A for bg-02@contoso.onmicrosoft.com",
        "GK001 critical unknown-key",
        "reports the serial of inventory key BG01-A but cannot prove its identity: possible look-alike",
        "GK009 critical foreign-break-glass-passkey [BG01-B]",
        "4 check(s), chain intact",
        "glasskey audit --inventory breakglass.toml",
        "key BG01-A (bg-01@contoso.onmicrosoft.com): registered as bg01-a",
        "GK030 critical unknown-entra-passkey [bg-01@contoso.onmicrosoft.com]: passkey (FIDO2) \"iPhone\"",
        "GK033 high temporary-access-pass [bg-02@contoso.onmicrosoft.com]",
    ] {
        assert!(text.contains(needle), "demo output lacks {needle:?}:\n{text}");
    }
    // Two key audits and the clean Entra check pass; the look-alike and the two Entra
    // problems are findings.
    assert_eq!(text.matches("result: pass").count(), 3, "{text}");
    assert_eq!(text.matches("result: findings").count(), 4, "{text}");
}

fn human(cmd: &mut Command) -> (String, i32) {
    let out = cmd.output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn human_output_of_list_pin_status_and_creds() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 31_337_001, Some(PIN));
    register(&key, "bg-01@contoso.onmicrosoft.com");

    let (text, code) = human(glasskey().args(["--device", &dev(&key), "list"]));
    assert_eq!(code, 0);
    assert!(text.contains("  USB id        1050:0407"), "{text}");
    assert!(
        text.contains("  serial        31337001 (vendor), - (USB)"),
        "{text}"
    );
    assert!(text.contains("  firmware      5.7.4"), "{text}");
    assert!(text.contains("  PIN           set"), "{text}");

    let (text, code) = human(glasskey().args(["--device", &dev(&key), "pin", "status"]));
    assert_eq!(code, 0);
    assert!(text.contains("  retries left     8 of 8"), "{text}");
    assert!(text.contains("  verdict          untouched"), "{text}");

    let (text, code) = human(
        glasskey()
            .args(["--device", &dev(&key), "creds", "--pin-stdin"])
            .write_stdin(format!("{PIN}\n")),
    );
    assert_eq!(code, 0);
    assert!(text.contains("1 passkey slot(s) used, 99 free"), "{text}");
    assert!(
        text.contains("  login.microsoft.com\n    user          bg-01@contoso.onmicrosoft.com"),
        "{text}"
    );
    assert!(text.contains("      credProtect 2"), "{text}");
    let fp_line = text.lines().find(|l| l.contains("key SHA-256")).unwrap();
    assert_eq!(
        fp_line.split_whitespace().count(),
        10,
        "eight groups of four: {fp_line}"
    );
}

#[test]
fn blocked_pin_is_reported_without_sending_anything() {
    let dir = tempfile::tempdir().unwrap();
    let key = make_key(dir.path(), "k.json", "yubikey-5.7", 1, Some(PIN));
    let mut s = state(&key);
    s["pin_retries"] = 0.into();
    std::fs::write(&key, serde_json::to_string(&s).unwrap()).unwrap();
    let (v, code) = json(glasskey().args(["--device", &dev(&key), "pin", "status"]));
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "blocked");
    let out = glasskey()
        .args([
            "--device",
            &dev(&key),
            "pin",
            "verify",
            "--pin-stdin",
            "--force",
        ])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PIN is blocked"));
}

#[test]
fn completions_and_man_page() {
    let (text, code) = human(glasskey().args(["completions", "bash"]));
    assert_eq!(code, 0);
    assert!(
        text.contains("_glasskey()") && text.contains("creds"),
        "bash completion lists commands"
    );
    let (text, code) = human(glasskey().arg("man"));
    assert_eq!(code, 0);
    assert!(
        text.starts_with(".ie") || text.contains(".TH glasskey 1"),
        "{}",
        &text[..80.min(text.len())]
    );
    assert!(text.contains("Exit codes"));
}

#[test]
fn usage_errors_exit_2() {
    let out = glasskey().args(["pin", "frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = glasskey()
        .args(["--timeout", "soon", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_key_is_a_device_error_with_advice() {
    let (listed, _) = json(glasskey().arg("list"));
    if !listed.as_array().unwrap().is_empty() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: a real FIDO key is attached, so the no-key path cannot be exercised"
        );
        return;
    }
    let out = glasskey().args(["pin", "status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no FIDO security key found: plug one in"),
        "{err}"
    );
    let (text, code) = human(glasskey().arg("list"));
    assert_eq!(code, 0);
    assert!(text.contains("No FIDO security key found"), "{text}");
}

/// A UPN is one name, one '@' and a dotted domain: `a@contoso.com@evil.com` would put an
/// account no tenant holds into the inventory, its scripts and its sheets. The same check
/// serves `inventory init` and `inventory add-account`.
#[test]
fn inventory_refuses_a_upn_that_is_not_user_at_domain() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    for bad in [
        "a@contoso.com@evil.com",
        "@contoso.com",
        "a@",
        "a@contoso",
        "a@.contoso.com",
        "a@contoso..com",
        "a@contoso.com.",
        ".a@contoso.com",
        "a.@contoso.com",
        "a..b@contoso.com",
        "a@-contoso.com",
        "a@contoso-.com",
        &format!("{}@contoso.com", "a".repeat(65)),
    ] {
        let out = glasskey()
            .args(["inventory", "init"])
            .arg(&inv)
            .args(["--tenant", "contoso.onmicrosoft.com", "--account", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("is not a UPN"), "{bad}: {err}");
        assert!(!inv.exists(), "{bad}: nothing written");
    }
    glasskey()
        .args(["inventory", "init"])
        .arg(&inv)
        .args([
            "--tenant",
            "contoso.onmicrosoft.com",
            "--account",
            "bg-01@contoso.onmicrosoft.com",
        ])
        .assert()
        .success();
    for good in [
        "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "a+b@contoso.com",
    ] {
        glasskey()
            .args(["inventory", "add-account"])
            .arg(&inv)
            .args(["--upn", good])
            .assert()
            .success();
    }
    let out = glasskey()
        .args(["inventory", "add-account"])
        .arg(&inv)
        .args(["--upn", "b@contoso.com@evil.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a UPN"));
}

/// Two accounts that render alike cannot both be listed (HOSTILE-6 N6): the sheets and the
/// findings would name them the same.
#[test]
fn inventory_refuses_an_account_that_looks_like_another() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    let out = glasskey()
        .args(["inventory", "init"])
        .arg(&inv)
        .args(["--tenant", "contoso.onmicrosoft.com"])
        .args(["--account", "bg-01@contoso.onmicrosoft.com"])
        .args(["--account", "bg-01@c\u{43e}ntoso.onmicrosoft.com"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("looks like"), "{err}");
    assert!(!inv.exists());
    // A full-width letter is refused as such, even alone.
    let out = glasskey()
        .args(["inventory", "init"])
        .arg(&inv)
        .args(["--tenant", "contoso.onmicrosoft.com"])
        .args(["--account", "bg-01@\u{ff43}ontoso.onmicrosoft.com"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("full-width"), "{err}");
    assert!(!inv.exists());
}
