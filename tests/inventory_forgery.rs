//! Someone who can edit the inventory file, and who has read how entries are hashed, still
//! cannot make a key, an account or the policy change without a trace: every roster an entry
//! records must follow from the one before it by what that entry says it did; an audit never
//! adopts a change it could not explain; and policy values outside their sane ranges are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod inventory_support;

use glasskey::inventory::model::Event;
use glasskey::inventory::{history, Inventory};
use inventory_support::*;

const LATER: &str = "2026-11-26T10:00:00Z";

/// Appends an entry to the history the way a forger who read docs/inventory-format.md would:
/// a well-formed, correctly hashed entry whose roster omits `drop` (or changes it), then
/// deletes that key from the file.
fn forge(fleet: &Fleet, event: Option<Event>, drop: &str) {
    let text = fleet.text();
    let mut inv: Inventory = toml::from_str(&text).unwrap();
    let last = inv.checks.last().unwrap().clone();
    let mut roster = last.roster.clone().unwrap();
    roster.items.remove(&format!("key:{drop}"));
    let kept: Vec<String> = inv
        .keys
        .iter()
        .map(|k| k.label.clone())
        .filter(|l| l != drop)
        .collect();
    let entry = history::append(
        &inv.checks,
        history::Draft {
            date: LATER.into(),
            keys: if event.is_some() {
                vec![drop.to_owned()]
            } else {
                kept
            },
            result: "pass".into(),
            event,
            roster: Some(roster),
            ..history::Draft::default()
        },
    );
    inv.checks.push(entry);
    inv.keys.retain(|k| k.label != drop);
    std::fs::write(&fleet.inv, toml::to_string(&inv).unwrap()).unwrap();
    let (v, _) = check("verify", &fleet.inv, LATER);
    assert_eq!(v["intact"], true, "the forged chain hashes correctly: {v}");
}

fn roster_findings(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "GK063" || f["rule"] == "GK064")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `inventory acknowledge` at LATER, as the process ended.
fn acknowledge(fleet: &Fleet, note: &str, json: bool) -> std::process::Output {
    let mut args = vec!["--now", LATER];
    if json {
        args.push("--json");
    }
    args.extend(["inventory", "acknowledge", p(&fleet.inv), "--note", note]);
    run(&args, None)
}

/// Whether the report has a `rule` finding whose message names `item`.
fn reported(v: &serde_json::Value, rule: &str, item: &str) -> bool {
    roster_findings(v)
        .iter()
        .any(|(r, m)| r == rule && m.contains(item))
}

#[test]
fn a_forged_check_entry_that_drops_a_key_is_named() {
    let fleet = audited_fleet(1, 2);
    forge(&fleet, None, "BG01-B");
    for command in ["validate", "verify"] {
        let (v, code) = check(command, &fleet.inv, LATER);
        assert_eq!(code, 1, "{command}: {v}");
        let found = roster_findings(&v);
        assert!(
            found
                .iter()
                .any(|(rule, m)| rule == "GK063" && m.contains("key:BG01-B") && m.contains("#3")),
            "{command}: {found:?}"
        );
    }
}

/// A retire entry for BG01-B, as a forger would write it.
fn retire_b() -> Event {
    Event::Retire {
        key: "BG01-B".into(),
        reason: glasskey::inventory::model::RetireReason::Lost,
        note: "forged".into(),
    }
}

#[test]
fn a_forged_retire_entry_cannot_drop_a_key_either() {
    let fleet = audited_fleet(1, 2);
    forge(&fleet, Some(retire_b()), "BG01-B");
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(reported(&v, "GK063", "key:BG01-B"), "{v}");
}

#[test]
fn an_audit_does_not_adopt_a_hand_edit_until_it_is_acknowledged() {
    let fleet = audited_fleet(1, 2);
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-B").insert("casing_serial".into(), toml::Value::String("X-999".into()));
    });
    let changed = |v: &serde_json::Value| reported(v, "GK064", "key:BG01-B");
    let (v, _) = check("validate", &fleet.inv, LATER);
    assert!(changed(&v), "the edit is reported: {v}");
    // Auditing the edited key and the other one: the change is reported, not laundered.
    for i in [1, 0, 1] {
        let (v, code) = fleet.audit(i, LATER);
        assert_eq!(code, 1, "{v}");
        assert!(changed(&v), "audit of key {i}: {v}");
        let (v, code) = check("validate", &fleet.inv, LATER);
        assert_eq!(code, 1);
        assert!(
            changed(&v),
            "still reported after the audit of key {i}: {v}"
        );
    }
    // The admin records why; from then on the roster is the acknowledged one.
    let out = acknowledge(
        &fleet,
        "casing serial typed wrong at enrolment, ticket 4711",
        true,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ack: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ack["items"], serde_json::json!(["key:BG01-B"]), "{ack}");
    let (v, _) = check("validate", &fleet.inv, LATER);
    assert!(roster_findings(&v).is_empty(), "{v}");
    let last = history(&fleet.text()).pop().unwrap();
    assert_eq!(last["event"]["kind"], "acknowledge", "{last}");
    assert_eq!(last["event"]["items"], serde_json::json!(["key:BG01-B"]));
    // Nothing left to acknowledge: said plainly, nothing written.
    let before = fleet.text();
    let out = acknowledge(&fleet, "again", false);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing to acknowledge"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(fleet.text(), before);
}

#[test]
fn a_weakened_policy_is_reported_until_acknowledged() {
    let fleet = audited_fleet(1, 1);
    edit_toml(&fleet.inv, |t| {
        t["policy"]["check_interval_days"] = toml::Value::Integer(400);
    });
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(reported(&v, "GK064", "policy"), "{v}");
    let (v, code) = fleet.audit(0, LATER);
    assert_eq!(code, 1, "the audit reports it too: {v}");
    let out = acknowledge(&fleet, "yearly checks agreed with the CISO", false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 0, "{v}");
    let text = ok(&["inventory", "history", p(&fleet.inv)], None);
    assert!(
        text.contains("acknowledged policy: yearly checks agreed with the CISO"),
        "{text}"
    );
}

#[test]
fn policy_values_outside_their_range_are_refused_with_the_field_named() {
    let fleet = audited_fleet(1, 1);
    let original = fleet.text();
    for (field, value, says) in [
        (
            "check_interval_days",
            4_294_967_295_i64,
            "check_interval_days",
        ),
        ("check_interval_days", 0, "check_interval_days"),
        ("retry_threshold", 0, "retry_threshold"),
        ("retry_threshold", 255, "retry_threshold"),
        ("min_pin_length", 0, "min_pin_length"),
        ("min_keys_per_account", 0, "min_keys_per_account"),
    ] {
        std::fs::write(&fleet.inv, &original).unwrap();
        edit_toml(&fleet.inv, |t| {
            t["policy"][field] = toml::Value::Integer(value);
        });
        let out = run(&["inventory", "validate", p(&fleet.inv)], None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{field}={value}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains(says) && err.lines().count() == 1,
            "{field}={value}: {err}"
        );
    }
    std::fs::write(&fleet.inv, &original).unwrap();
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-A").insert("usb_vendor_id".into(), toml::Value::String("zzzz".into()));
    });
    let out = run(&["inventory", "validate", p(&fleet.inv)], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("usb_vendor_id"), "{}", stderr(&out));
}

#[test]
fn a_proven_key_reporting_another_serial_than_recorded_is_a_finding() {
    let fleet = audited_fleet(1, 1);
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-A").insert("vendor_serial".into(), toml::Value::Integer(31_337_999));
    });
    // Even once the edit is acknowledged, the key itself contradicts the record.
    let out = acknowledge(&fleet, "serial corrected (wrongly)", false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (v, code) = fleet.audit(0, LATER);
    assert_eq!(code, 1, "{v}");
    let mismatch: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "GK067")
        .collect();
    assert_eq!(mismatch.len(), 1, "{v}");
    let m = mismatch[0]["message"].as_str().unwrap();
    assert!(m.contains("31337010") && m.contains("31337999"), "{m}");
    let (v, _) = check("validate", &fleet.inv, LATER);
    assert!(rules(&v).contains("GK067"), "validate keeps it: {v}");
}

/// Appends a correctly hashed entry of `kind` for `key` that records, honestly computed, the
/// roster of the inventory after `edit`, and writes that inventory: what a forger with the
/// library (or with `inventory acknowledge` on a scratch copy) can produce.
fn forge_edit(fleet: &Fleet, key: &str, event: Option<Event>, edit: impl FnOnce(&mut Inventory)) {
    let mut inv: Inventory = toml::from_str(&fleet.text()).unwrap();
    edit(&mut inv);
    let roster = glasskey::inventory::roster::record(&inv);
    let entry = history::append(
        &inv.checks,
        history::Draft {
            date: LATER.into(),
            keys: vec![key.to_owned()],
            result: "pass".into(),
            event,
            roster: Some(roster),
            ..history::Draft::default()
        },
    );
    inv.checks.push(entry);
    std::fs::write(&fleet.inv, toml::to_string(&inv).unwrap()).unwrap();
}

#[test]
fn a_forged_check_entry_cannot_rewrite_what_a_check_never_changes() {
    type Edit = fn(&mut glasskey::inventory::KeyEntry, &glasskey::inventory::KeyEntry);
    let edits: [(&str, Edit); 7] = [
        ("identity", |k, other| k.identity = other.identity.clone()),
        ("vendor serial", |k, _| k.vendor_serial = Some(31_337_999)),
        ("usb vendor id", |k, _| k.usb_vendor_id = None),
        ("enrolled", |k, _| k.enrolled = LATER.into()),
        ("account", |k, _| {
            k.account = "bg-09@contoso.onmicrosoft.com".into()
        }),
        ("transport", |k, _| {
            k.transport = glasskey::inventory::KeyTransport::Hid
        }),
        ("aaguid", |k, _| {
            k.aaguid = "ee882879-721c-4913-9775-3dfcce97072a".into()
        }),
    ];
    for (what, edit) in edits {
        let fleet = audited_fleet(1, 2);
        forge_edit(&fleet, "BG01-B", None, |inv| {
            let other = inv.keys[0].clone();
            edit(&mut inv.keys[1], &other);
        });
        let (v, code) = check("validate", &fleet.inv, LATER);
        assert_eq!(code, 1, "{what}: {v}");
        assert!(
            roster_findings(&v)
                .iter()
                .any(|(r, m)| r == "GK064" && m.contains("BG01-B") && m.contains("#3")),
            "{what}: {v}"
        );
    }
}

/// A forged check that records BG01-B's identity in BG01-A's record (an unexplained
/// transition, not a pending change) unlocks nothing: BG01-B's key, signing with the record
/// now in BG01-A's entry, is not identified as BG01-A and gets no PIN (hostile-8 F6).
#[test]
fn an_identity_swapped_in_by_a_forged_entry_proves_nothing() {
    let fleet = audited_fleet(1, 2);
    forge_edit(&fleet, "BG01-A", None, |inv| {
        inv.keys[0].identity = inv.keys[1].identity.clone();
    });
    let before = fleet.text();
    let out = run(
        &[
            "--device",
            &fleet.device(1),
            "identify",
            "--inventory",
            p(&fleet.inv),
        ],
        None,
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("claims to be BG01-A") && shown.contains("changed without acknowledgement"),
        "{shown}"
    );
    let (v, code) = fleet.audit(1, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(
        roster_findings(&v)
            .iter()
            .any(|(r, m)| r == "GK064" && m.contains("BG01-A") && m.contains("not proved")),
        "{v}"
    );
    assert_eq!(v["keys_checked"][0]["identity_verified"], false, "{v}");
    let after: Inventory = toml::from_str(&fleet.text()).unwrap();
    let earlier: Inventory = toml::from_str(&before).unwrap();
    for (now, then) in after.keys.iter().zip(&earlier.keys) {
        assert_eq!(now.last_observation, then.last_observation, "{}", now.label);
    }
}

#[test]
fn a_forged_retire_or_reassign_entry_changes_only_what_it_says() {
    let fleet = audited_fleet(1, 2);
    forge_edit(
        &fleet,
        "BG01-A",
        Some(Event::Reassign {
            key: "BG01-A".into(),
            from: upn(1),
            to: upn(1),
            note: "forged".into(),
        }),
        |inv| inv.keys[0].vendor_serial = Some(31_337_999),
    );
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(reported(&v, "GK064", "BG01-A"), "{v}");
}

/// A forged entry is named by its kind ("acknowledge entry #3", "retire entry #3"), as the
/// history shows it, never "check entry" for what was no check.
#[test]
fn a_forged_entry_is_named_by_its_kind() {
    let acknowledge = Event::Acknowledge {
        items: vec!["key:BG01-A".into()],
        note: "forged".into(),
    };
    let fleet = audited_fleet(1, 2);
    forge_edit(&fleet, "BG01-B", Some(acknowledge), |inv| {
        inv.keys[1].vendor_serial = Some(31_337_999);
    });
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    let found = roster_findings(&v);
    assert!(
        found
            .iter()
            .any(|(r, m)| r == "GK064" && m.contains("acknowledge entry #3 recorded a changed")),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, m)| m.contains("check entry")),
        "{found:?}"
    );

    let fleet = audited_fleet(1, 2);
    forge(&fleet, Some(retire_b()), "BG01-B");
    let (v, _) = check("validate", &fleet.inv, LATER);
    assert!(
        reported(&v, "GK063", "retire entry #3 dropped key:BG01-B"),
        "{v}"
    );

    // A check is still a check.
    let fleet = audited_fleet(1, 2);
    forge(&fleet, None, "BG01-B");
    let (v, _) = check("validate", &fleet.inv, LATER);
    assert!(
        reported(&v, "GK063", "check entry #3 dropped key:BG01-B"),
        "{v}"
    );
}

#[test]
fn a_fingerprint_that_is_not_its_public_keys_is_a_finding() {
    let fleet = audited_fleet(1, 1);
    edit_toml(&fleet.inv, |t| {
        let identity = key_table(t, "BG01-A")["identity"].as_table_mut().unwrap();
        identity.insert("fingerprint".into(), toml::Value::String("0".repeat(64)));
    });
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("fingerprint")),
        "{v}"
    );
}

#[test]
fn an_unreadable_observation_date_is_a_finding() {
    let fleet = audited_fleet(1, 1);
    edit_toml(&fleet.inv, |t| {
        let obs = key_table(t, "BG01-A")["last_observation"]
            .as_table_mut()
            .unwrap();
        obs.insert("date".into(), toml::Value::String("garbage".into()));
    });
    let out = acknowledge(&fleet, "test", false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (v, code) = check("validate", &fleet.inv, LATER);
    assert_eq!(code, 1, "{v}");
    assert!(rules(&v).contains("GK061"), "{v}");
}

#[test]
fn the_end_of_time_is_no_panic() {
    let fleet = audited_fleet(1, 1);
    let (v, code) = check("validate", &fleet.inv, "9999-12-31T23:59:59Z");
    assert_eq!(code, 1, "overdue, not a panic: {v}");
    let (v, code) = check("verify", &fleet.inv, "9999-12-31T23:59:59Z");
    assert_eq!(code, 0, "intact, not a panic: {v}");
    let (v, code) = fleet.audit(0, "9999-12-31T23:59:59Z");
    assert_eq!((code, v["result"].as_str()), (0, Some("pass")), "{v}");
}

/// A copy of tests/fixtures/legacy-roster (rosters of the older, one-item-per-key form).
fn legacy_fleet() -> Fleet {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-roster");
    for name in ["bg.toml", "BG01-A.json"] {
        std::fs::copy(src.join(name), dir.path().join(name)).unwrap();
    }
    let inv = dir.path().join("bg.toml");
    let key = dir.path().join("BG01-A.json");
    Fleet {
        dir,
        inv,
        keys: vec![("BG01-A".into(), upn(1), key)],
    }
}

#[test]
fn an_inventory_with_rosters_of_the_older_form_still_validates_and_audits() {
    let fleet = legacy_fleet();
    let (v, code) = check("validate", &fleet.inv, "2026-11-23T10:00:00Z");
    assert_eq!(code, 0, "{v}");
    let (v, code) = fleet.audit(0, "2026-11-24T10:00:00Z");
    assert_eq!(code, 0, "{v}");
    let (v, code) = check("validate", &fleet.inv, "2026-11-24T10:00:00Z");
    assert_eq!(code, 0, "{v}");
    let (v, code) = fleet.audit(0, "2026-11-25T10:00:00Z");
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_hand_edit_of_an_older_form_roster_is_reported_until_acknowledged() {
    let fleet = legacy_fleet();
    edit_toml(&fleet.inv, |t| {
        key_table(t, "BG01-A").insert("casing_serial".into(), toml::Value::String("X-1".into()));
    });
    let (v, _) = check("validate", &fleet.inv, "2026-11-23T10:00:00Z");
    assert!(reported(&v, "GK064", "key:BG01-A"), "{v}");
    // The first audit with this glasskey writes the current form; the change stays reported.
    let (v, code) = fleet.audit(0, "2026-11-24T10:00:00Z");
    assert_eq!(code, 1, "{v}");
    assert!(reported(&v, "GK064", "key:BG01-A"), "{v}");
    let (v, _) = check("validate", &fleet.inv, "2026-11-24T10:00:00Z");
    assert!(reported(&v, "GK064", "key:BG01-A"), "{v}");
    let out = acknowledge(&fleet, "casing serial added", false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (v, code) = check("validate", &fleet.inv, "2026-11-26T10:00:00Z");
    assert_eq!(code, 0, "{v}");
}

/// Appends a correctly hashed `event` entry dated `date`, keeping the roster as it was.
fn append_event(fleet: &Fleet, event: Event, date: &str) {
    let mut inv: Inventory = toml::from_str(&fleet.text()).unwrap();
    let roster = inv.checks.last().unwrap().roster.clone();
    let entry = history::append(
        &inv.checks,
        history::Draft {
            date: date.into(),
            keys: vec!["BG01-B".into()],
            result: "pass".into(),
            event: Some(event),
            roster,
            ..history::Draft::default()
        },
    );
    inv.checks.push(entry);
    std::fs::write(&fleet.inv, toml::to_string(&inv).unwrap()).unwrap();
}

/// A broken link or an impossible date names the entry by its kind, as GK063/GK064 do: an
/// acknowledge or retire entry is no "check entry".
#[test]
fn chain_and_date_problems_name_the_entry_by_its_kind() {
    let acknowledge = Event::Acknowledge {
        items: vec!["key:BG01-B".into()],
        note: "vouched".into(),
    };
    let messages = |v: &serde_json::Value| -> Vec<String> {
        let mut m: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect();
        m.extend(v["problem"].as_str().map(str::to_owned));
        m
    };
    for (date, rule, said) in [
        (
            "not a date",
            "GK061",
            "acknowledge entry #3 (seq 3) has no readable",
        ),
        (
            "2099-01-01T00:00:00Z",
            "GK062",
            "acknowledge entry #3 (seq 3) is dated 2099",
        ),
        (
            "2026-01-01T00:00:00Z",
            "GK061",
            "acknowledge entry #3 (seq 3) is dated 2026-01-01",
        ),
    ] {
        let fleet = audited_fleet(1, 2);
        append_event(&fleet, acknowledge.clone(), date);
        let (v, code) = check("verify", &fleet.inv, LATER);
        assert_eq!(code, 1, "{v}");
        assert!(rules(&v).contains(rule), "{v}");
        let m = messages(&v);
        assert!(m.iter().any(|m| m.contains(said)), "{said:?} in {m:?}");
        assert!(!m.iter().any(|m| m.contains("check entry")), "{m:?}");
    }

    // An edited retire entry, and the entry after an entry removed.
    let fleet = audited_fleet(1, 2);
    append_event(&fleet, retire_b(), LATER);
    let edited = fleet.text().replacen("\"forged\"", "\"destroyed\"", 1);
    assert_ne!(edited, fleet.text());
    std::fs::write(&fleet.inv, &edited).unwrap();
    let (v, _) = check("verify", &fleet.inv, LATER);
    assert_eq!(v["intact"], false, "{v}");
    let problem = v["problem"].as_str().unwrap_or_default();
    assert!(
        problem.starts_with("retire entry #3 (seq 3) was edited"),
        "{v}"
    );

    let fleet = audited_fleet(1, 2);
    append_event(&fleet, retire_b(), LATER);
    append_event(&fleet, acknowledge, LATER);
    let mut inv: Inventory = toml::from_str(&fleet.text()).unwrap();
    inv.checks.remove(2);
    std::fs::write(&fleet.inv, toml::to_string(&inv).unwrap()).unwrap();
    let (v, _) = check("verify", &fleet.inv, LATER);
    let problem = v["problem"].as_str().unwrap_or_default();
    assert!(
        problem.starts_with("acknowledge entry #3 (seq 4) does not follow"),
        "{v}"
    );
}

/// `inventory verify` says which entry recorded the roster it compared, by its kind.
#[test]
fn verify_names_the_entry_that_recorded_the_roster_by_its_kind() {
    let fleet = audited_fleet(1, 2);
    let out = run(
        &["inventory", "verify", p(&fleet.inv), "--now", LATER],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("recorded at check entry #2"), "{text}");
    append_event(
        &fleet,
        Event::Acknowledge {
            items: vec!["key:BG01-B".into()],
            note: "vouched".into(),
        },
        LATER,
    );
    let out = run(
        &["inventory", "verify", p(&fleet.inv), "--now", LATER],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("recorded at acknowledge entry #3"), "{text}");
}
