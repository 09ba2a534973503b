//! Values inside an export that must never read as the safe one (hostile report 5: H5-4, H5-5,
//! H5-6, H5-9, H5-10): Graph's enums outside their documented values, a missing AAGUID, the two
//! method lists contradicting each other, duplicate accounts, profiles and domains, dates after
//! the export's own date, AAGUIDs spelled without dashes, and an export just under 8 days old.
//! Each through the binary, against the export Entra would give for two enrolled virtual keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod entra_support;

use entra_support::*;
use serde_json::{json, Value};

/// Sets `field` on BG1's passkey in both lists (`None` removes it).
fn set_passkey_field(c: &Case, field: &str, value: Option<Value>) {
    c.edit(|v| {
        edit_passkeys(v, BG1, |m| match &value {
            Some(x) => m[field] = x.clone(),
            None => {
                m.as_object_mut().unwrap().remove(field);
            }
        })
    });
}

fn messages(findings: &[Value], rule: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_unstated_attestation_level_is_reported_as_not_attested() {
    // Graph may leave it null, and writes unknownFutureValue for a level it added later: neither
    // says the key was attested.
    for value in [None, Some(Value::Null), Some(json!("unknownFutureValue"))] {
        let c = case();
        set_passkey_field(&c, "attestationLevel", value.clone());
        let f = c.expect(&["GK036"]);
        assert_eq!(f[0]["key"], "BG01-A", "{value:?}");
        let m = &messages(&f, "GK036")[0];
        assert!(m.contains("does not say"), "{value:?}: {m}");
    }
}

#[test]
fn an_attestation_level_graph_does_not_write_is_malformed() {
    for value in ["NotAttested", "weird", "ATTESTED"] {
        let c = case();
        set_passkey_field(&c, "attestationLevel", Some(json!(value)));
        let err = c.fail();
        assert!(
            err.contains("accounts[0].")
                && err.contains(".attestationLevel")
                && err.contains("attested, notAttested"),
            "{value}: {err}"
        );
    }
}

#[test]
fn an_unstated_passkey_type_is_reported() {
    for value in [None, Some(Value::Null), Some(json!("unknownFutureValue"))] {
        let c = case();
        c.edit(|v| {
            let m = &mut Case::account(v, BG1)["fido2Methods"]["value"][0];
            match &value {
                Some(x) => m["passkeyType"] = x.clone(),
                None => {
                    m.as_object_mut().unwrap().remove("passkeyType");
                }
            }
        });
        let f = c.expect(&["GK034"]);
        let m = &messages(&f, "GK034")[0];
        assert!(
            m.contains("does not say it is device-bound"),
            "{value:?}: {m}"
        );
    }
}

#[test]
fn a_passkey_type_graph_does_not_write_is_malformed() {
    for value in ["Synced", "cloud", "DeviceBound"] {
        let c = case();
        c.edit(|v| Case::account(v, BG1)["fido2Methods"]["value"][0]["passkeyType"] = json!(value));
        let err = c.fail();
        assert!(
            err.contains("accounts[0].fido2Methods.value[0].passkeyType")
                && err.contains("deviceBound, synced"),
            "{value}: {err}"
        );
    }
}

#[test]
fn a_matched_passkey_without_an_aaguid_cannot_be_confirmed() {
    for value in [None, Some(Value::Null)] {
        let c = case();
        set_passkey_field(&c, "aaGuid", value.clone());
        let f = c.expect(&["GK035"]);
        let m = &messages(&f, "GK035")[0];
        assert!(m.contains("records no AAGUID"), "{value:?}: {m}");
    }
}

#[test]
fn an_aaguid_that_is_not_one_is_malformed() {
    for value in [
        "bd9fcb83",
        "not-an-aaguid",
        "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9x",
    ] {
        let c = case();
        set_passkey_field(&c, "aaGuid", Some(json!(value)));
        let err = c.fail();
        assert!(
            err.contains(".aaGuid") && err.contains("not an AAGUID"),
            "{value}: {err}"
        );
    }
    // Another spelling of the same AAGUID is the same AAGUID.
    let c = case();
    set_passkey_field(
        &c,
        "aaGuid",
        Some(json!("{BD9FCB83C61349C5BB7CA9F7F7DC3BE9}")),
    );
    assert_eq!(c.check().1, 0);
}

#[test]
fn the_two_method_lists_contradicting_each_other_is_malformed() {
    // Both lists document aaGuid and attestationLevel: one of them null or missing while the
    // other gives a value is a contradiction too.
    for (field, value) in [
        (
            "aaGuid",
            Some(json!("00000000-0000-0000-0000-000000000000")),
        ),
        ("aaGuid", Some(Value::Null)),
        ("aaGuid", None),
        ("attestationLevel", Some(json!("notAttested"))),
        ("attestationLevel", Some(Value::Null)),
        ("attestationLevel", None),
        ("creationDateTime", Some(json!("2026-01-01T00:00:00Z"))),
    ] {
        let c = case();
        c.edit(|v| {
            let methods = Case::account(v, BG1)["methods"]["value"]
                .as_array_mut()
                .unwrap();
            let m = methods
                .iter_mut()
                .find(|m| m["@odata.type"] == FIDO2)
                .unwrap();
            match &value {
                Some(x) => m[field] = x.clone(),
                None => {
                    m.as_object_mut().unwrap().remove(field);
                }
            }
        });
        let err = c.fail();
        assert!(
            err.contains("accounts[0].methods.value[1]")
                && err.contains("accounts[0].fido2Methods.value[0]")
                && err.contains("contradict"),
            "{field} {value:?}: {err}"
        );
    }
}

#[test]
fn two_accounts_with_one_user_id_are_malformed() {
    let c = case();
    c.edit(|v| {
        let id = Case::account(v, BG1)["user"]["id"].clone();
        Case::account(v, BG2)["user"]["id"] = id;
    });
    let err = c.fail();
    assert!(
        err.contains("accounts[1].user.id") && err.contains(BG1),
        "{err}"
    );
}

#[test]
fn two_passkey_profiles_with_one_id_are_malformed() {
    let c = case();
    c.edit(|v| {
        let p = |types: &str| json!({"id": "00000000-0000-0000-0000-000000000001", "name": types, "passkeyTypes": types, "attestationEnforcement": "disabled", "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}});
        v["fido2Configuration"]["passkeyProfiles"] = json!([p("deviceBound"), p("synced")]);
        v["fido2Configuration"]["defaultPasskeyProfile"] =
            json!("00000000-0000-0000-0000-000000000001");
    });
    let err = c.fail();
    assert!(
        err.contains("fido2Configuration.passkeyProfiles[1].id") && err.contains("twice"),
        "{err}"
    );
}

#[test]
fn duplicate_verified_domains_are_malformed_and_duplicate_groups_harmless() {
    let c = case();
    c.edit(|v| {
        v["tenant"]["verifiedDomains"] =
            json!(["contoso.onmicrosoft.com", "Contoso.onmicrosoft.com"]);
    });
    let err = c.fail();
    assert!(
        err.contains("tenant.verifiedDomains[1]") && err.contains("twice"),
        "{err}"
    );
    // A group listed twice changes nothing: membership is a set and nothing counts groups.
    let c = case();
    c.edit(|v| {
        v["fido2Configuration"]["excludeTargets"] =
            json!([{"targetType": "group", "id": "0f7c2f8c-1c2b-4f55-9a0e-4b1c3a2d1e0f"}]);
        let g = json!({"@odata.type": "#microsoft.graph.group", "id": "0f7c2f8c-1c2b-4f55-9a0e-4b1c3a2d1e0f"});
        Case::account(v, BG1)["transitiveMemberOf"]["value"] = json!([g.clone(), g]);
    });
    let f = c.expect(&["GK037"]);
    assert!(messages(&f, "GK037")[0].contains("excludes"), "{f:?}");
}

#[test]
fn a_date_after_the_export_is_malformed() {
    let later = "2026-11-25T11:01:00Z"; // 61 minutes after the export (T0)
    for (path, edit) in [
        (
            "accounts[0].user.signInActivity.lastSuccessfulSignInDateTime",
            Box::new(|v: &mut Value| {
                Case::account(v, BG1)["user"]["signInActivity"] =
                    json!({"lastSuccessfulSignInDateTime": "9999-12-31T23:59:59Z"});
            }) as Box<dyn Fn(&mut Value)>,
        ),
        (
            "accounts[0].user.signInActivity.lastSignInDateTime",
            Box::new(|v: &mut Value| {
                Case::account(v, BG1)["user"]["signInActivity"] =
                    json!({"lastSignInDateTime": later});
            }),
        ),
        (
            "accounts[0].fido2Methods.value[0].lastUsedDateTime",
            Box::new(|v: &mut Value| {
                Case::account(v, BG1)["fido2Methods"]["value"][0]["lastUsedDateTime"] =
                    json!("2099-01-01T00:00:00Z");
            }),
        ),
        (
            "accounts[1].fido2Methods.value[0].createdDateTime",
            Box::new(|v: &mut Value| {
                Case::account(v, BG2)["fido2Methods"]["value"][0]["createdDateTime"] = json!(later);
            }),
        ),
        (
            "accounts[1].methods.value[1].creationDateTime",
            Box::new(|v: &mut Value| {
                Case::account(v, BG2)["methods"]["value"][1]["creationDateTime"] = json!(later);
            }),
        ),
    ] {
        let c = case();
        c.edit(|v| edit(v));
        let err = c.fail();
        assert!(
            err.contains(path) && err.contains("after the export"),
            "{path}: {err}"
        );
    }
    // Within the hour's slack (clocks drift), and a Temporary Access Pass may start later.
    let c = case();
    c.edit(|v| {
        Case::account(v, BG1)["user"]["signInActivity"] =
            json!({"lastSuccessfulSignInDateTime": "2026-11-25T10:59:00Z"});
    });
    assert_eq!(c.check().1, 0);
}

#[test]
fn block_lists_match_any_spelling_of_an_aaguid() {
    let c = case();
    let inv: toml::Value = toml::from_str(&std::fs::read_to_string(&c.inv).unwrap()).unwrap();
    let aaguid = inv["key"][0]["aaguid"].as_str().unwrap().to_owned();
    let bare = aaguid.replace('-', "");
    for spelling in [bare.clone(), format!("{{{aaguid}}}"), bare.to_uppercase()] {
        let c = case();
        c.edit(|v| {
            v["fido2Configuration"]["keyRestrictions"] =
                json!({"isEnforced": true, "enforcementType": "block", "aaGuids": [spelling]});
        });
        assert_eq!(c.expect(&["GK038"]).len(), 2, "{spelling}");
    }
    let c = case();
    c.edit(|v| {
        v["fido2Configuration"]["keyRestrictions"] =
            json!({"isEnforced": true, "enforcementType": "block", "aaGuids": ["bd9fcb83-nope"]});
    });
    let err = c.fail();
    assert!(
        err.contains("fido2Configuration.keyRestrictions.aaGuids[0]")
            && err.contains("not an AAGUID"),
        "{err}"
    );
}

#[test]
fn missing_key_restrictions_or_exclude_targets_are_malformed() {
    // Graph returns both on every GET of the policy (an empty list as []): without them an
    // export could not say whether a block list or an exclusion reaches the keys.
    for (field, null) in [
        ("keyRestrictions", false),
        ("keyRestrictions", true),
        ("excludeTargets", false),
        ("excludeTargets", true),
    ] {
        let c = case();
        c.edit(|v| {
            let config = v["fido2Configuration"].as_object_mut().unwrap();
            if null {
                config.insert(field.into(), Value::Null);
            } else {
                config.remove(field);
            }
        });
        let err = c.fail();
        assert!(
            err.contains("fido2Configuration") && err.contains(field),
            "{field} null={null}: {err}"
        );
    }
}

#[test]
fn an_export_just_under_eight_days_old_is_stale() {
    let c = case();
    // T0 + 7 days 23 hours 54 minutes.
    let (v, code, _) = c.check_at("2026-12-03T09:54:00Z");
    assert_eq!(code, 1, "{v}");
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f[0]["rule"], "GK041");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("7 days 23 hours old"),
        "{f:?}"
    );
    // Exactly 7 days is not yet stale.
    let (v, code, _) = c.check_at("2026-12-02T10:00:00Z");
    assert_eq!(code, 0, "{v}");
}
