//! Retiring and reassigning keys on the record: the entry stays, the history says why, the
//! roster moves with it, and every sheet format shows a retired key as retired.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inventory_support;

use inventory_support::*;
use serde_json::Value;

fn audited(accounts: usize, per_account: usize) -> Fleet {
    audited_fleet(accounts, per_account)
}

fn json_ok(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args, None)).unwrap()
}

#[test]
fn a_retired_key_keeps_its_record_and_the_history_says_why() {
    let fleet = audited(1, 3);
    let inv = p(&fleet.inv);
    let v = json_ok(&[
        "inventory",
        "retire",
        inv,
        "--key",
        "BG01-C",
        "--reason",
        "lost",
        "--note",
        "Lost in transit to the DR site; ticket 4711",
        "--now",
        T0,
        "--json",
    ]);
    assert_eq!(v["event"]["kind"], "retire", "{v}");
    assert_eq!(v["event"]["reason"], "lost");
    assert_eq!(v["keys_in_service"][0]["in_service"], 2);
    assert_eq!(v["keys_in_service"][0]["policy_minimum"], 3);

    // The record stays, marked; the history entry carries the reason and is in the chain.
    let text = fleet.text();
    assert!(
        text.contains("label = \"BG01-C\""),
        "the key's record is kept"
    );
    let entries = history(&text);
    let last = entries.last().unwrap();
    assert_eq!(last["hash"], v["hash"]);
    assert_eq!(
        last["event"]["note"],
        "Lost in transit to the DR site; ticket 4711"
    );
    // Not tampering: no roster finding; the account is now short of keys (GK014).
    let (v, code) = check("validate", &fleet.inv, T0);
    assert_eq!(code, 1);
    assert_eq!(rules(&v), ["GK014".to_owned()].into(), "{v}");
    let (v, code) = check("verify", &fleet.inv, T0);
    assert_eq!(code, 0, "{v}");

    // Retired on every sheet format.
    for format in ["md", "csv", "json", "html"] {
        let sheet = ok(&["sheet", "--inventory", inv, "--format", format], None);
        assert!(
            sheet.contains("RETIRED (lost, 2026-11-25)") || sheet.contains("\"retired\""),
            "{format}: {sheet}"
        );
    }
    let v = json_ok(&["sheet", "--inventory", inv, "--format", "json"]);
    let k = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"] == "BG01-C")
        .unwrap();
    assert_eq!(k["retired"]["reason"], "lost");
    assert_eq!(
        k["last_result"], "pass",
        "the retire entry is no check: {k}"
    );

    // A retired key brought to a check is reported and its record left alone.
    let before = fleet.text();
    let (v, code) = fleet.audit(2, "2026-11-26T10:00:00Z");
    assert_eq!(code, 1);
    assert!(rules(&v).contains("GK066"), "{v}");
    let (_, inventory) = glasskey::inventory::Store::load(&fleet.inv).unwrap();
    let c = inventory.key("BG01-C").unwrap();
    assert_eq!(c.last_observation.as_ref().unwrap().date, T0, "not updated");
    assert_ne!(fleet.text(), before, "the check itself is recorded");
}

#[test]
fn retire_refuses_what_it_cannot_record() {
    let fleet = audited(1, 2);
    let inv = p(&fleet.inv);
    let before = fleet.text();
    for (args, says) in [
        (
            vec!["--key", "NOPE", "--reason", "lost", "--note", "x"],
            "no key NOPE",
        ),
        (
            vec!["--key", "BG01-A", "--reason", "lost", "--note", "  "],
            "--note",
        ),
        (
            vec!["--key", "BG01-A", "--reason", "stolen", "--note", "x"],
            "stolen",
        ),
    ] {
        let mut all = vec!["inventory", "retire", inv];
        all.extend(args);
        let out = run(&all, None);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert_eq!(fleet.text(), before, "nothing written");
    }
    ok(
        &[
            "inventory",
            "retire",
            inv,
            "--key",
            "BG01-A",
            "--reason",
            "damaged",
            "--note",
            "cracked",
        ],
        None,
    );
    let out = run(
        &[
            "inventory",
            "retire",
            inv,
            "--key",
            "BG01-A",
            "--reason",
            "lost",
            "--note",
            "again",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already retired"), "{}", stderr(&out));
}

#[test]
fn a_reassigned_key_moves_on_the_record() {
    let fleet = audited(2, 2);
    let inv = p(&fleet.inv);
    let v = json_ok(&[
        "inventory",
        "reassign",
        inv,
        "--key",
        "BG01-B",
        "--account",
        &upn(2),
        "--note",
        "bg-02 needs a third key; ticket 4712",
        "--now",
        T0,
        "--json",
    ]);
    assert_eq!(v["event"]["kind"], "reassign", "{v}");
    assert_eq!(v["event"]["from"], upn(1));
    assert_eq!(v["event"]["to"], upn(2));
    let (_, inventory) = glasskey::inventory::Store::load(&fleet.inv).unwrap();
    assert_eq!(inventory.key("BG01-B").unwrap().account, upn(2));
    // No roster finding: the move is on the record. What remains is real: bg-01 is short of
    // keys, and the key still holds bg-01's passkey until it is registered for bg-02.
    let (v, _) = check("validate", &fleet.inv, T0);
    let found = rules(&v);
    assert!(!found.contains("GK063") && !found.contains("GK064"), "{v}");
    assert!(found.contains("GK014") && found.contains("GK009"), "{v}");
    ok(&["inventory", "verify", inv, "--now", T0], None);
    let history_text = ok(&["inventory", "history", inv], None);
    assert!(
        history_text.contains(&format!("{} -> {}", upn(1), upn(2))),
        "{history_text}"
    );
    // The same change by hand is tampering.
    let fleet = audited(2, 2);
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-B")["account"] = toml::Value::String(upn(2));
    });
    let (v, _) = check("validate", &fleet.inv, T0);
    assert!(rules(&v).contains("GK064"), "{v}");
}
