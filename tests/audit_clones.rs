//! Copies of a key's identity at an audit: two devices proving one identity in one run are a
//! finding and get nothing (GK068); a stale copy failing its proof (GK003) does not end the audit
//! of the other keys when the PIN lines name the key it answered for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inventory_support;

use glasskey::inventory::Inventory;
use inventory_support::*;

const LATER: &str = "2026-11-26T10:00:00Z";

/// Audits the devices `files` (virtual key files) in one run, PIN lines from `stdin`.
fn audit_devices(
    fleet: &Fleet,
    files: &[&std::path::Path],
    stdin: &str,
) -> (serde_json::Value, i32, String) {
    let keys = files
        .iter()
        .map(|f| f.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(":");
    let out = glasskey()
        .env("GLASSKEY_VIRTUAL_KEYS", &keys)
        .args([
            "--now",
            LATER,
            "--json",
            "audit",
            "--inventory",
            p(&fleet.inv),
            "--pin-stdin",
        ])
        .write_stdin(stdin.to_owned())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (v, out.status.code().unwrap_or(-1), stderr(&out))
}

#[test]
fn two_devices_proving_one_identity_in_one_audit_are_a_finding_and_get_no_pin() {
    let fleet = audited_fleet(1, 1);
    let genuine = fleet.keys[0].2.clone();
    let copy = fleet.dir.path().join("copy.json");
    std::fs::copy(&genuine, &copy).unwrap();
    let before = fleet.text();
    let (v, code, err) = audit_devices(&fleet, &[&genuine, &copy], &format!("BG01-A={PIN}\n"));
    assert_eq!(code, 1, "{v} {err}");
    let twice: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "GK068")
        .collect();
    assert!(!twice.is_empty(), "{v}");
    assert_eq!(twice[0]["key"], "BG01-A", "{v}");
    // Neither device was recorded as the key: its observation is as it was.
    let obs = |text: &str| {
        let inv: Inventory = toml::from_str(text).unwrap();
        inv.keys[0].last_observation.clone()
    };
    assert_eq!(obs(&fleet.text()), obs(&before));
}

/// Both devices of a GK068 run are headed by the identity they proved, saying it was proved
/// twice, in every rendering and in the check entry: never "not in the inventory".
#[test]
fn devices_proving_one_identity_twice_are_headed_by_that_identity() {
    let fleet = audited_fleet(1, 1);
    let genuine = fleet.keys[0].2.clone();
    let copy = fleet.dir.path().join("copy.json");
    std::fs::copy(&genuine, &copy).unwrap();
    let keys = format!("{}:{}", p(&genuine), p(&copy));
    let run = |extra: &[&str]| {
        let out = glasskey()
            .env("GLASSKEY_VIRTUAL_KEYS", &keys)
            .args(["--now", LATER])
            .args(extra.iter().take_while(|a| **a != "audit"))
            .args(["audit", "--inventory", p(&fleet.inv), "--pin-stdin"])
            .args(extra.iter().skip_while(|a| **a != "audit").skip(1))
            .write_stdin(format!("BG01-A={PIN}\n"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for (what, extra) in [
        ("text", vec![]),
        ("markdown", vec!["audit", "--report", "md"]),
        ("html", vec!["audit", "--report", "html"]),
    ] {
        let shown = run(&extra);
        assert!(!shown.contains("not in inventory"), "{what}: {shown}");
        assert!(!shown.contains("not in the inventory"), "{what}: {shown}");
        for device in [&genuine, &copy] {
            let heading = format!(
                "BG01-A — identity proved twice in this run, here by virtual:{}",
                device.display()
            );
            assert!(
                shown.contains(&heading),
                "{what}: no {heading:?} in {shown}"
            );
        }
    }
    let v: serde_json::Value = serde_json::from_str(&run(&["--json"])).unwrap();
    let twice: Vec<&serde_json::Value> = v["keys_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["proved_twice"])
        .collect();
    assert_eq!(twice, [&serde_json::json!("BG01-A"); 2], "{v}");
    // The check entry names them by that identity too.
    let inv: Inventory = toml::from_str(&fleet.text()).unwrap();
    let last = inv.checks.last().unwrap();
    assert!(
        last.keys
            .iter()
            .all(|k| k.starts_with("BG01-A proved twice, at virtual:")),
        "{:?}",
        last.keys
    );
}

#[test]
fn a_pin_line_for_a_key_whose_device_failed_its_proof_does_not_end_the_audit() {
    let fleet = audited_fleet(1, 2);
    // A stale copy of BG01-A: taken now, then the genuine key is audited again.
    let stale = fleet.dir.path().join("stale.json");
    std::fs::copy(&fleet.keys[0].2, &stale).unwrap();
    let (v, code) = fleet.audit(0, LATER);
    assert_eq!(code, 0, "{v}");
    let other = fleet.keys[1].2.clone();
    let (v, code, err) = audit_devices(
        &fleet,
        &[&stale, &other],
        &format!("BG01-A={PIN}\nBG01-B={PIN}\n"),
    );
    assert_eq!(code, 1, "{v} {err}");
    assert!(rules(&v).contains("GK003"), "{v}");
    let checked: Vec<&str> = v["keys_checked"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["label"].as_str())
        .collect();
    assert!(checked.contains(&"BG01-B"), "BG01-B was still checked: {v}");
}

/// With several keys, lines are read until every key has one and then only what the input
/// already holds: an input left open (a script that never closes it) does not hold the audit
/// (HOSTILE-6 N5).
#[test]
fn an_input_left_open_does_not_hold_an_audit_of_several_keys() {
    use std::io::Write;
    let fleet = audited_fleet(1, 2);
    let keys = fleet
        .keys
        .iter()
        .map(|k| k.2.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(":");
    let mut child = common::bin::std_command()
        .env("GLASSKEY_VIRTUAL_KEYS", &keys)
        .args([
            "--now",
            LATER,
            "--json",
            "audit",
            "--inventory",
            p(&fleet.inv),
            "--pin-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("BG01-A={PIN}\nBG01-B={PIN}\n").as_bytes())
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    if status.is_none() {
        let _ = child.kill();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
