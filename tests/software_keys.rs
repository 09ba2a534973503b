//! Software keys never pass as hardware (DESIGN §3.9): virtual and UDP keys are admitted into an
//! inventory only where its policy says so, recorded with their transport, flagged in every
//! report, and carry AAGUIDs of glasskey's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

const PIN: &str = "Kq7!mZ2p";
const BG1: &str = "bg-01@contoso.onmicrosoft.com";
const T0: &str = "2026-11-25T10:00:00Z";
/// Yubico's AAGUIDs for the models the YubiKey-like profiles imitate (src/models.rs).
const YUBICO_AAGUIDS: &[&str] = &[
    "a25342c0-3cdc-4414-8e46-f4807fca511c",
    "2fc0579f-8113-47ea-b116-bb5a8db9202a",
    "cb69481e-8ff7-4039-93ec-0a2729a154a8",
    "ee882879-721c-4913-9775-3dfcce97072a",
    "fa2b99dc-9e39-4257-8f92-4a30d23c4118",
    "19083c3d-8383-4b18-bc03-8f1c9ab2fd1b",
];

mod binary;

use binary::{glasskey, p};

fn run(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    binary::run(args, stdin.unwrap_or_default())
}

fn ok(args: &[&str], stdin: Option<&str>) -> String {
    binary::ok(args, stdin.unwrap_or_default())
}

struct Setup {
    _dir: tempfile::TempDir,
    inv: PathBuf,
    key: PathBuf,
}

/// An inventory (software keys allowed or not) and a virtual key holding BG1's passkey.
fn setup(allow_software_keys: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("bg.toml");
    let mut init = vec![
        "inventory",
        "init",
        p(&inv),
        "--tenant",
        "contoso.onmicrosoft.com",
        "--account",
        BG1,
        "--min-keys",
        "1",
    ];
    if allow_software_keys {
        init.push("--allow-software-keys");
    }
    ok(&init, None);
    let key = dir.path().join("k1.json");
    ok(
        &[
            "virtual",
            "create",
            p(&key),
            "--serial",
            "31337001",
            "--pin-stdin",
        ],
        Some(&format!("{PIN}\n")),
    );
    ok(
        &["virtual", "register", p(&key), "--user", BG1, "--pin-stdin"],
        Some(&format!("{PIN}\n")),
    );
    Setup {
        _dir: dir,
        inv,
        key,
    }
}

fn enroll_args<'a>(s: &'a Setup, device: &'a str) -> Vec<&'a str> {
    vec![
        "--device",
        device,
        "--now",
        T0,
        "enroll",
        "--inventory",
        p(&s.inv),
        "--label",
        "BG01-A",
        "--account",
        BG1,
        "--custodian",
        "C",
        "--location",
        "Safe 1",
        "--pin-stdin",
    ]
}

/// `audit` of the key at `device`, with `extra` arguments before the subcommand's own.
fn audit(s: &Setup, device: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--device", device, "--now", T0];
    args.extend(extra);
    args.extend(["audit", "--inventory", p(&s.inv), "--pin-stdin"]);
    run(&args, Some(&format!("{PIN}\n")))
}

/// The refusal of a software key: exit 2, a message that names the policy field.
fn assert_refused(out: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("software key"), "{stderr}");
    assert!(stderr.contains("allow_software_keys"), "{stderr}");
}

fn enrolled(allow_software_keys: bool) -> (Setup, String) {
    let s = setup(allow_software_keys);
    let dev = format!("virtual:{}", s.key.display());
    ok(&enroll_args(&s, &dev), Some(&format!("{PIN}\n")));
    (s, dev)
}

#[test]
fn enrolling_a_virtual_key_is_refused_unless_the_policy_allows_software_keys() {
    let s = setup(false);
    let before = std::fs::read(&s.inv).unwrap();
    let dev = format!("virtual:{}", s.key.display());
    assert_refused(&run(&enroll_args(&s, &dev), Some(&format!("{PIN}\n"))));
    assert_eq!(
        std::fs::read(&s.inv).unwrap(),
        before,
        "inventory untouched"
    );
}

#[test]
fn enrolling_a_udp_key_is_refused_before_anything_is_sent() {
    let s = setup(false);
    let before = std::fs::read(&s.inv).unwrap();
    // Nothing listens there: the refusal must come before any attempt to talk to the key.
    let out = run(
        &enroll_args(&s, "udp:127.0.0.1:9"),
        Some(&format!("{PIN}\n")),
    );
    assert_refused(&out);
    assert_eq!(std::fs::read(&s.inv).unwrap(), before);
}

#[test]
fn an_allowed_software_key_is_recorded_with_its_transport_and_flagged_in_every_report() {
    let (s, dev) = enrolled(true);
    let text = std::fs::read_to_string(&s.inv).unwrap();
    assert!(text.contains("allow_software_keys = true"), "{text}");
    assert!(text.contains("transport = \"virtual\""), "{text}");

    let screen = String::from_utf8(audit(&s, &dev, &[]).stdout).unwrap();
    assert!(screen.contains("SOFTWARE KEY (virtual)"), "{screen}");
    let v: Value = serde_json::from_slice(&audit(&s, &dev, &["--json"]).stdout).unwrap();
    assert_eq!(v["keys_checked"][0]["transport"], "virtual", "{v}");
    assert_eq!(v["keys_checked"][0]["software_key"], true, "{v}");

    let sheet = |format: &str| {
        ok(
            &[
                "--now",
                T0,
                "sheet",
                "--inventory",
                p(&s.inv),
                "--format",
                format,
            ],
            None,
        )
    };
    for format in ["html", "md"] {
        let args = [
            "--device",
            &dev,
            "--now",
            T0,
            "audit",
            "--inventory",
            p(&s.inv),
            "--pin-stdin",
            "--report",
            format,
        ];
        let report = String::from_utf8(run(&args, Some(&format!("{PIN}\n"))).stdout).unwrap();
        assert!(report.contains("SOFTWARE KEY"), "audit {format}: {report}");
        let rendered = sheet(format);
        assert!(rendered.contains("SOFTWARE KEY"), "{format}: {rendered}");
    }
    let csv = sheet("csv");
    let mut lines = csv.lines();
    assert!(
        lines.next().unwrap().contains(",aaguid,transport,"),
        "{csv}"
    );
    assert!(
        lines.next().unwrap().contains(",virtual (SOFTWARE KEY),"),
        "{csv}"
    );
    let json = ok(
        &["--now", T0, "--json", "sheet", "--inventory", p(&s.inv)],
        None,
    );
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["keys"][0]["transport"], "virtual");
    assert_eq!(v["keys"][0]["software_key"], true);
    let show = ok(&["inventory", "show", p(&s.inv)], None);
    assert!(show.contains("SOFTWARE KEY"), "{show}");
}

#[test]
fn auditing_a_software_key_is_refused_once_the_policy_stops_allowing_it() {
    let (s, dev) = enrolled(true);
    let text = std::fs::read_to_string(&s.inv)
        .unwrap()
        .replace("allow_software_keys = true", "allow_software_keys = false");
    std::fs::write(&s.inv, &text).unwrap();
    assert_refused(&audit(&s, &dev, &[]));
    assert_eq!(
        std::fs::read_to_string(&s.inv).unwrap(),
        text,
        "no check recorded"
    );
}

#[test]
fn an_inventory_without_transport_fields_still_loads_as_usb_keys() {
    let (s, _) = enrolled(true);
    // What glasskey wrote before keys had a transport.
    let old = std::fs::read_to_string(&s.inv)
        .unwrap()
        .replace("transport = \"virtual\"\n", "")
        .replace("allow_software_keys = true\n", "");
    std::fs::write(&s.inv, &old).unwrap();
    let v: Value =
        serde_json::from_str(&ok(&["--json", "inventory", "show", p(&s.inv)], None)).unwrap();
    assert_eq!(v["key"][0]["transport"], "hid", "{v}");
    assert_eq!(v["policy"]["allow_software_keys"], false, "{v}");
}

#[test]
fn virtual_profiles_carry_glasskeys_own_aaguids() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = ok(&["--json", "virtual", "profiles"], None);
    let profiles: Value = serde_json::from_str(&profiles).unwrap();
    let mut seen = Vec::new();
    for profile in profiles.as_array().unwrap() {
        let name = profile["name"].as_str().unwrap();
        let key = dir.path().join(format!("{name}.json"));
        ok(&["virtual", "create", p(&key), "--profile", name], None);
        let dev = format!("virtual:{}", key.display());
        let list: Value =
            serde_json::from_str(&ok(&["--device", &dev, "--json", "list"], None)).unwrap();
        let aaguid = list[0]["aaguid"].as_str().unwrap().to_owned();
        assert!(
            !YUBICO_AAGUIDS.contains(&aaguid.as_str()),
            "{name}: {aaguid}"
        );
        assert_eq!(list[0]["software_key"], true, "{name}: {list}");
        let model = list[0]["model"].as_str().unwrap_or_default();
        assert!(model.starts_with("glasskey virtual key"), "{name}: {model}");
        seen.push(aaguid);
    }
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/testing.md"))
            .unwrap();
    for a in &seen {
        assert!(docs.contains(a.as_str()), "docs/testing.md lists {a}");
    }
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        profiles.as_array().unwrap().len(),
        "one AAGUID per profile"
    );
}

#[test]
fn the_virtual_keys_test_hook_says_so_when_used() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.json");
    ok(&["virtual", "create", p(&key)], None);
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &key)
        .args(["list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SOFTWARE KEY"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("GLASSKEY_VIRTUAL_KEYS"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("test hook"), "{stderr}");
    assert!(stderr.contains("software"), "{stderr}");
    // Not set: not a word.
    let out = glasskey().args(["list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("GLASSKEY_VIRTUAL_KEYS"));
}
