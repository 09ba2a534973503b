//! A hand-edited, truncated or post-dated inventory is noticed: writers refuse a broken history,
//! dates must move forward and not run ahead of the clock, and the roster recorded by every check
//! names keys and accounts that vanished or changed without a recorded reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inventory_support;

use inventory_support::*;

const LATER: &str = "2026-12-01T10:00:00Z";

fn audited(accounts: usize, per_account: usize) -> Fleet {
    let fleet = audited_fleet(accounts, per_account);
    let (v, code) = check("validate", &fleet.inv, T0);
    assert_eq!(code, 0, "baseline passes: {v}");
    fleet
}

#[test]
fn writers_refuse_to_append_to_a_broken_chain() {
    let fleet = audited(1, 1);
    let text = fleet.text();
    let edited = text.replacen(r#""result":"pass""#, r#""result":"findings""#, 1);
    assert_ne!(edited, text);
    std::fs::write(&fleet.inv, &edited).unwrap();

    let audit = fleet.audit_output(0, T0);
    let add = run(
        &["inventory", "add-account", p(&fleet.inv), "--upn", &upn(9)],
        None,
    );
    for (what, out) in [("audit", audit), ("add-account", add)] {
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("#1 (seq 1) was edited")
                && stderr(&out).contains("nothing was written"),
            "{what}: {}",
            stderr(&out)
        );
        assert_eq!(fleet.text(), edited, "{what}: nothing written");
    }
    let (v, code) = check("validate", &fleet.inv, T0);
    assert_eq!(code, 1);
    assert!(rules(&v).contains("GK060"), "{v}");
}

#[test]
fn a_post_dated_check_is_a_finding_and_does_not_hide_an_overdue_key() {
    let fleet = fleet(1, 1);
    let (v, _) = fleet.audit(0, "2027-09-01T10:00:00Z");
    assert!(v["check_hash"].is_string(), "{v}");
    // Checked "in 2027" according to a wrong clock; today it is long overdue since enrollment.
    let now = "2027-03-01T10:00:00Z";
    for command in ["validate", "verify"] {
        let (v, code) = check(command, &fleet.inv, now);
        assert_eq!(code, 1, "{command}: {v}");
        assert!(rules(&v).contains("GK062"), "{command}: {v}");
    }
    let (v, _) = check("validate", &fleet.inv, now);
    assert!(rules(&v).contains("GK017"), "overdue: {v}");
    // The audit itself reports it too.
    let (v, code) = fleet.audit(0, now);
    assert_eq!(code, 1);
    assert!(rules(&v).contains("GK062"), "{v}");
}

#[test]
fn dates_that_go_backwards_are_a_finding() {
    let fleet = fleet(1, 1);
    fleet.audit(0, LATER);
    fleet.audit(0, T0);
    let (v, code) = check("verify", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(rules(&v).contains("GK061"), "{v}");
    assert_eq!(v["intact"], true, "the chain itself is intact: {v}");
}

#[test]
fn every_truncation_at_a_line_boundary_is_detected() {
    let fleet = audited(2, 2);
    let full = fleet.text();
    let cut = fleet.dir.path().join("cut.toml");
    let mut passed = Vec::new();
    let boundaries: Vec<usize> = std::iter::once(0)
        .chain(full.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < full.len())
        .collect();
    assert!(boundaries.len() > 50, "a realistic file");
    for &at in &boundaries {
        std::fs::write(&cut, &full[..at]).unwrap();
        let out = run(&["inventory", "validate", p(&cut), "--now", T0], None);
        match out.status.code() {
            Some(1) | Some(2) => {}
            other => passed.push((at, other)),
        }
    }
    assert!(
        passed.is_empty(),
        "{} of {} cuts were not detected: {passed:?}",
        passed.len(),
        boundaries.len()
    );
}

#[test]
fn a_vanished_or_changed_key_or_account_is_named() {
    let fleet = audited(2, 2);
    edit_toml(&fleet.inv, |t| {
        let keys = t["key"].as_array_mut().unwrap();
        keys.retain(|k| k["label"].as_str() != Some("BG02-B"));
        key_table(t, "BG01-A")["identity"]["sign_count"] = toml::Value::Integer(0);
        key_table(t, "BG01-B")["account"] = toml::Value::String(upn(2));
    });
    for command in ["validate", "verify"] {
        let (v, code) = check(command, &fleet.inv, T0);
        assert_eq!(code, 1, "{command}: {v}");
        let mut named: Vec<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "GK063" || f["rule"] == "GK064")
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().into(),
                    f["key"].as_str().unwrap_or("").into(),
                )
            })
            .collect();
        named.sort();
        assert_eq!(
            named,
            vec![
                ("GK063".to_owned(), "BG02-B".to_owned()),
                ("GK064".into(), "BG01-A".into()),
                ("GK064".into(), "BG01-B".into()),
            ],
            "{command}: {v}"
        );
    }
    // Custodians and locations are the admin's to edit: no roster finding.
    let fleet = audited(1, 1);
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-A")["custodian"] = toml::Value::String("B. Admin".into());
    });
    assert_eq!(check("validate", &fleet.inv, T0).1, 0);
}

#[test]
fn an_inventory_without_accounts_or_keys_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let inv = init_inventory(dir.path(), &[]);
    let (v, code) = check("validate", &inv, T0);
    assert_eq!(code, 1, "{v}");
    assert!(rules(&v).contains("GK065"), "{v}");
    let msgs: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("no break-glass account")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("no key in service")),
        "{msgs:?}"
    );
}

#[test]
fn an_inventory_from_before_roster_digests_still_loads_and_gets_one_at_the_next_audit() {
    let fleet = audited(1, 1);
    // Strip the roster from the history, as an older glasskey wrote it, and re-chain.
    let (mut store, mut inventory) = glasskey::inventory::Store::load(&fleet.inv).unwrap();
    let old: Vec<_> = inventory.checks.drain(..).collect();
    for e in old {
        let entry = glasskey::inventory::history::next_entry(
            &inventory.checks,
            &e.date,
            e.keys,
            &e.result,
            e.findings,
        );
        inventory.checks.push(entry);
    }
    store.save(&inventory).unwrap();
    assert!(!fleet.text().contains("\"roster\""));
    let (v, code) = check("verify", &fleet.inv, T0);
    assert_eq!(code, 0, "{v}");
    assert!(v["roster_recorded_at"].is_null(), "{v}");
    let out = fleet.audit_output(0, T0);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (v, _) = check("verify", &fleet.inv, T0);
    assert_eq!(v["roster_recorded_at"], 2, "{v}");
}

#[test]
fn locations_that_differ_only_in_spacing_case_or_width_are_one_place() {
    let fleet = audited(2, 1);
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-A")["location"] = toml::Value::String("Safe 1, HQ".into());
        key_table(t, "BG02-A")["location"] = toml::Value::String("ｓａｆｅ 1,  hq".into());
    });
    let (v, code) = check("validate", &fleet.inv, T0);
    assert_eq!(code, 1, "{v}");
    assert_eq!(rules(&v), ["GK016".to_owned()].into(), "{v}");
}
