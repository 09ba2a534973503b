//! The account side through the binary, one test per rule GK030-GK041: virtual keys are
//! enrolled and audited, `entra export-virtual` writes the export Entra would give for them,
//! the clean export passes, and each test breaks exactly one thing in a copy of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod entra_support;

use entra_support::*;
use serde_json::{json, Value};

#[test]
fn clean_export_passes_and_names_each_keys_entra_method() {
    let c = case();
    let (v, code) = c.check();
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["findings"], json!([]));
    for key in v["keys"].as_array().unwrap() {
        assert_eq!(
            key["entra"]["display_name"],
            if key["label"] == "BG01-A" { "k1" } else { "k2" }
        );
    }
    assert_eq!(v["export"]["sha256"].as_str().unwrap().len(), 64);
    // Text output too.
    let out = run(
        &[
            "--now",
            T1,
            "entra",
            "check",
            "--inventory",
            p(&c.inv),
            "--export",
            p(&c.export),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("key BG01-A (bg-01@contoso.onmicrosoft.com): registered as k1"),
        "{text}"
    );
    assert!(text.contains("result: pass"), "{text}");
}

#[test]
fn gk030_unknown_passkey_on_the_account() {
    let c = case();
    c.edit(|v| {
        let mut extra = first_passkey(v, BG1);
        extra["id"] = json!("AAECAwQFBgcICQoLDA0ODw2"); // 16 bytes no key holds
        extra["displayName"] = json!("Someone's phone");
        glasskey::entra::synth::add_method(v, BG1, extra);
    });
    let f = c.expect(&["GK030"]);
    assert_eq!(f[0]["severity"], "critical");
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains("Someone's phone"));
}

#[test]
fn gk031_passkey_on_the_key_deleted_in_entra() {
    let c = case();
    c.edit(|v| {
        let a = Case::account(v, BG1);
        for list in ["fido2Methods", "methods"] {
            a[list]["value"]
                .as_array_mut()
                .unwrap()
                .retain(|m| m["@odata.type"] != FIDO2);
        }
    });
    // Without its only passkey the account is also below the policy's one key (GK032).
    let f = c.expect(&["GK031", "GK032"]);
    assert!(f
        .iter()
        .any(|f| f["rule"] == "GK031" && f["key"] == "BG01-A"));
}

#[test]
fn gk032_fewer_registered_keys_than_the_policy_asks() {
    let c = case();
    let text = std::fs::read_to_string(&c.inv).unwrap();
    std::fs::write(
        &c.inv,
        text.replace("min_keys_per_account = 1", "min_keys_per_account = 2"),
    )
    .unwrap();
    let f = c.expect(&["GK032"]);
    assert_eq!(f.len(), 2, "one per account");
}

#[test]
fn gk033_lingering_temporary_access_pass() {
    let c = case();
    c.edit(|v| {
        let start = time::macros::datetime!(2026-11-25 09:00 UTC);
        let tap = glasskey::entra::synth::temporary_access_pass(
            "tap-1",
            start,
            480,
            true,
            "EnabledByPolicy",
        );
        glasskey::entra::synth::add_method(v, BG1, tap);
        let old =
            glasskey::entra::synth::temporary_access_pass("tap-2", start, 60, false, "Expired");
        glasskey::entra::synth::add_method(v, BG2, old);
    });
    let f = c.expect(&["GK033"]);
    let sev = |upn: &str| f.iter().find(|f| f["account"] == upn).unwrap()["severity"].clone();
    assert_eq!(sev(BG1), "high");
    assert_eq!(sev(BG2), "low");
}

#[test]
fn gk034_weak_personal_and_unknown_methods_are_each_named() {
    let c = case();
    c.edit(|v| {
        glasskey::entra::synth::add_method(v, BG1, json!({
            "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
            "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "notAllowedByPolicy"
        }));
        glasskey::entra::synth::add_method(v, BG1, json!({
            "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
            "id": "6d4b1d7d-1e5a-4bd4-9a8e-2c3d1b2f3e4a", "displayName": "Ana's iPhone", "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.2401.0119"
        }));
        glasskey::entra::synth::add_method(v, BG2, json!({
            "@odata.type": "#microsoft.graph.brainwaveAuthenticationMethod", "id": "b1"
        }));
        edit_passkeys(v, BG2, |m| m["passkeyType"] = json!("synced"));
    });
    let f = c.expect(&["GK034"]);
    let msgs: Vec<&str> = f.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("phone \"mobile +1 2065555555\"")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("Microsoft Authenticator \"Ana's iPhone\"")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("#microsoft.graph.brainwaveAuthenticationMethod")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("synced passkey")),
        "{msgs:?}"
    );
    assert_eq!(f.len(), 4);
}

#[test]
fn gk035_entra_aaguid_differs_from_the_inventory() {
    let c = case();
    c.edit(|v| {
        edit_passkeys(v, BG2, |m| {
            m["aaGuid"] = json!("cb69481e-8ff7-4039-93ec-0a2729a154a8")
        })
    });
    let f = c.expect(&["GK035"]);
    assert_eq!(f[0]["key"], "BG02-A");
}

#[test]
fn gk036_passkey_registered_without_attestation() {
    let c = case();
    c.edit(|v| edit_passkeys(v, BG1, |m| m["attestationLevel"] = json!("notAttested")));
    let f = c.expect(&["GK036"]);
    assert_eq!(f[0]["key"], "BG01-A");
}

#[test]
fn gk037_fido2_policy_disabled_excluding_or_synced_only() {
    let c = case();
    c.edit(|v| v["fido2Configuration"]["state"] = json!("disabled"));
    let f = c.expect(&["GK037"]);
    assert!(f[0]["message"].as_str().unwrap().contains("disabled"));

    let c = case();
    c.edit(|v| {
        Case::account(v, BG2)["transitiveMemberOf"]["value"] = json!([{"@odata.type": "#microsoft.graph.group", "id": "0f7c2f8c-1c2b-4f55-9a0e-4b1c3a2d1e0f"}]);
        v["fido2Configuration"]["excludeTargets"] = json!([{"targetType": "group", "id": "0f7c2f8c-1c2b-4f55-9a0e-4b1c3a2d1e0f"}]);
        v["fido2Configuration"]["passkeyProfiles"] = json!([{"id": "00000000-0000-0000-0000-000000000001", "name": "Phones only", "passkeyTypes": "synced", "attestationEnforcement": "disabled", "keyRestrictions": {"isEnforced": false, "enforcementType": "allow", "aaGuids": []}}]);
        v["fido2Configuration"]["includeTargets"][0]["allowedPasskeyProfiles"] = json!(["00000000-0000-0000-0000-000000000001"]);
    });
    let f = c.expect(&["GK037"]);
    let msgs: Vec<String> = f
        .iter()
        .map(|f| format!("{} {}", f["account"], f["message"]))
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains(BG2) && m.contains("excludes")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains(BG1) && m.contains("Phones only")),
        "{msgs:?}"
    );
}

#[test]
fn gk038_key_restrictions_block_the_keys_model() {
    let c = case();
    c.edit(|v| {
        v["fido2Configuration"]["keyRestrictions"] = json!({"isEnforced": true, "enforcementType": "allow", "aaGuids": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"]});
    });
    let f = c.expect(&["GK038"]);
    assert_eq!(f.len(), 2, "both keys");
    let c = case();
    let inv: toml::Value = toml::from_str(&std::fs::read_to_string(&c.inv).unwrap()).unwrap();
    let aaguid = inv["key"][0]["aaguid"].as_str().unwrap().to_uppercase();
    c.edit(|v| {
        v["fido2Configuration"]["keyRestrictions"] =
            json!({"isEnforced": true, "enforcementType": "block", "aaGuids": [aaguid]});
    });
    assert_eq!(c.expect(&["GK038"]).len(), 2);
}

#[test]
fn gk039_no_sign_in_drill_within_the_interval() {
    let c = case();
    c.edit(|v| {
        Case::account(v, BG1)["user"]["signInActivity"] = json!({"lastSignInDateTime": "2026-11-20T10:00:00Z", "lastSuccessfulSignInDateTime": "2026-05-01T10:00:00Z", "lastNonInteractiveSignInDateTime": null});
        edit_passkeys(v, BG2, |m| m["lastUsedDateTime"] = json!("2026-01-02T03:04:05.1234567Z"));
    });
    let f = c.expect(&["GK039"]);
    let msg = |upn: &str| {
        f.iter().find(|f| f["account"] == upn).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        msg(BG1).contains("signInActivity.lastSuccessfulSignInDateTime"),
        "{}",
        msg(BG1)
    );
    assert!(
        msg(BG2).contains("fido2 lastUsedDateTime of BG02-A"),
        "{}",
        msg(BG2)
    );
    // No evidence at all is not a finding, but is shown.
    let (v, code) = case().check();
    assert_eq!(code, 0);
    assert_eq!(v["accounts"][0]["last_sign_in"], Value::Null);
}

#[test]
fn gk040_synced_or_disabled_account() {
    let c = case();
    c.edit(|v| {
        Case::account(v, BG1)["user"]["onPremisesSyncEnabled"] = json!(true);
        Case::account(v, BG2)["user"]["accountEnabled"] = json!(false);
    });
    let f = c.expect(&["GK040"]);
    assert_eq!(f.len(), 2);
}

#[test]
fn gk041_stale_export_or_another_tenant() {
    let c = case();
    let (v, code, _) = c.check_at("2026-12-05T10:00:00Z");
    assert_eq!(code, 1);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule"], "GK041");
    assert_eq!(f[0]["severity"], "medium");
    assert!(f[0]["message"].as_str().unwrap().contains("10 days old"));

    let c = case();
    c.edit(|v| {
        v["tenant"] = json!({"id": "5f0e2f6c-0000-4000-8000-000000000001", "defaultDomain": "fabrikam.onmicrosoft.com", "verifiedDomains": ["fabrikam.onmicrosoft.com"]});
    });
    let err = c.fail();
    assert!(
        err.contains("GK041") && err.contains("fabrikam.onmicrosoft.com"),
        "{err}"
    );
}

#[test]
fn malformed_credential_id_is_an_input_error_naming_the_path() {
    for (id, reason) in [
        ("-2_GRUg2-HYz6_1YG4YRAQ0", "cannot carry 0 padding"),
        (
            "b5e01f81-1f81-b5e0-811f-e0b5811fe0b5",
            "not a padding count",
        ),
        ("-2_GRUg2+HYz6/1YG4YRAQ2", "not a base64url character"),
    ] {
        let c = case();
        c.edit(|v| Case::account(v, BG2)["fido2Methods"]["value"][0]["id"] = json!(id));
        let err = c.fail();
        assert!(
            err.contains("accounts[1].fido2Methods.value[0].id") && err.contains(reason),
            "{err}"
        );
    }
}

#[test]
fn an_export_with_a_next_page_is_incomplete() {
    let c = case();
    c.edit(|v| {
        Case::account(v, BG1)["methods"]["@odata.nextLink"] =
            json!("https://graph.microsoft.com/v1.0/users/x/authentication/methods?$skiptoken=abc");
    });
    let err = c.fail();
    assert!(
        err.contains("incomplete") && err.contains("accounts[0].methods.@odata.nextLink"),
        "{err}"
    );
}

#[test]
fn strict_parsing_names_the_json_path() {
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit); 5] = [
        ("accounts[0].user.accountEnabled", |v| {
            Case::account(v, BG1)["user"]["accountEnabled"] = json!("yes")
        }),
        ("accounts[1].methods.value[0].createdDateTime", |v| {
            Case::account(v, BG2)["methods"]["value"][0]["createdDateTime"] = json!("last Tuesday")
        }),
        ("fido2Configuration.keyRestrictions.enforcementType", |v| {
            v["fido2Configuration"]["keyRestrictions"]["enforcementType"] = json!("maybe")
        }),
        ("accounts[0].extra", |v| {
            Case::account(v, BG1)["extra"] = json!(1)
        }),
        ("missing field `includeTargets`", |v| {
            v["fido2Configuration"]
                .as_object_mut()
                .unwrap()
                .remove("includeTargets");
        }),
    ];
    for (path, f) in cases {
        let c = case();
        c.edit(f);
        let err = c.fail();
        assert!(err.contains(path), "{path}: {err}");
    }
    let c = case();
    std::fs::write(&c.export, "{\"glasskeyEntraExport\": 1, ").unwrap();
    assert!(c.fail().contains("malformed"));
    let c = case();
    c.edit(|v| v["accounts"].as_array_mut().unwrap().truncate(1));
    let err = c.fail();
    assert!(
        err.contains("no entry for bg-02@contoso.onmicrosoft.com"),
        "{err}"
    );
}

#[test]
fn an_oversized_export_is_refused_before_parsing() {
    let c = case();
    let f = std::fs::File::create(&c.export).unwrap();
    f.set_len(glasskey::entra::export::MAX_EXPORT_BYTES + 1)
        .unwrap();
    let err = c.fail();
    assert!(err.contains("larger than"), "{err}");
}

#[test]
fn both_spellings_of_the_registration_date_are_read() {
    // The methods list spells it creationDateTime, fido2Methods createdDateTime: with the
    // beta list empty, the date comes from the methods list (and, as only the beta list says
    // whether a passkey is device-bound, that goes unconfirmed: GK034).
    let c = case();
    c.edit(|v| Case::account(v, BG1)["fido2Methods"]["value"] = json!([]));
    c.expect(&["GK034"]);
    let (v, _) = c.check();
    let created = v["keys"][0]["entra"]["created"].as_str().unwrap();
    assert!(created.starts_with("2026-11-2"), "{created}");
    let c = case();
    c.edit(|v| {
        let a = Case::account(v, BG1);
        a["methods"]["value"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["@odata.type"] != FIDO2);
    });
    let (v, code) = c.check();
    assert_eq!(code, 0, "{v}");
    assert!(v["keys"][0]["entra"]["created"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-2"));
}

#[test]
fn inventory_validate_with_entra_reports_both_sides() {
    let c = case();
    let validate = |now: &str| {
        run(
            &[
                "--now",
                now,
                "inventory",
                "validate",
                p(&c.inv),
                "--entra",
                p(&c.export),
                "--json",
            ],
            None,
        )
    };
    let out = validate(T1);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entra_export"]["sha256"].as_str().unwrap().len(), 64);
    c.edit(|v| {
        let tap = glasskey::entra::synth::temporary_access_pass(
            "tap-1",
            time::macros::datetime!(2026-11-25 09:00 UTC),
            480,
            true,
            "EnabledByPolicy",
        );
        glasskey::entra::synth::add_method(v, BG1, tap);
    });
    let out = validate(T1);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["rule"], "GK033");
    // Text output neutralises what the export says.
    c.edit(|v| {
        Case::account(v, BG1)["methods"]["value"][0]["@odata.type"] = json!("#evil\u{1b}[31mType")
    });
    let out = run(
        &[
            "--now",
            T1,
            "inventory",
            "validate",
            p(&c.inv),
            "--entra",
            p(&c.export),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && text.contains("\\u{1b}"),
        "{text}"
    );
}

#[test]
fn sheets_show_each_keys_entra_method_and_the_export_digest() {
    let c = case();
    c.edit(|v| {
        edit_passkeys(v, BG1, |m| {
            m["displayName"] = json!("Red <key>, \"safe 1\"");
            m["lastUsedDateTime"] = json!("2026-11-20T08:00:00Z");
        });
        let a = Case::account(v, BG2);
        for list in ["fido2Methods", "methods"] {
            a[list]["value"]
                .as_array_mut()
                .unwrap()
                .retain(|m| m["@odata.type"] != FIDO2);
        }
    });
    let digest = glasskey::entra::load(&c.export).unwrap().sha256;
    let sheet = |format: &str| {
        let out = run(
            &[
                "--now",
                T1,
                "sheet",
                "--inventory",
                p(&c.inv),
                "--format",
                format,
                "--entra",
                p(&c.export),
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let html = sheet("html");
    assert!(html.contains(&digest), "summary shows the export digest");
    assert!(html.contains("exported 2026-11-25T10:00:00Z"));
    assert!(html.contains("<th>Entra method</th><td><bdi>&quot;Red &lt;key&gt;, &quot;safe 1&quot;&quot;, registered 2026-11-2"), "{html}");
    assert!(html.contains("last used 2026-11-20"));
    assert!(html.contains("<th>Entra method</th><td><bdi>NOT registered in Entra ID</bdi></td>"));
    let md = sheet("md");
    assert!(
        md.contains(&digest) && md.contains("| Entra method |") && md.contains("NOT registered")
    );
    let csv = sheet("csv");
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .ends_with("entra_export_sha256,entra_export_date"));
    assert!(csv.contains("\"Red <key>, \"\"safe 1\"\"\""), "{csv}");
    let json: Value = serde_json::from_str(&sheet("json")).unwrap();
    assert_eq!(json["entra_export"]["sha256"], digest.as_str());
    assert_eq!(json["keys"][1]["entra"]["registered"], false);
    // Without --entra the sheets are as before: no Entra column.
    let out = run(
        &[
            "--now",
            T1,
            "sheet",
            "--inventory",
            p(&c.inv),
            "--format",
            "md",
        ],
        None,
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Entra"));
}

#[test]
fn audit_with_entra_checks_both_sides_and_records_the_export() {
    let c = case();
    let key = c.inv.parent().unwrap().join("k1.json");
    std::fs::copy(base().join("k1.json"), &key).unwrap();
    let dev = format!("virtual:{}", key.display());
    let audit = |c: &Case| {
        run(
            &[
                "audit",
                "--device",
                &dev,
                "--now",
                T1,
                "--inventory",
                p(&c.inv),
                "--entra",
                p(&c.export),
                "--json",
                "--pin-stdin",
            ],
            Some(&format!("{PIN}\n")),
        )
    };
    let digest = glasskey::entra::load(&c.export).unwrap().sha256;
    let out = audit(&c);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entra_export"]["sha256"], digest.as_str());
    let (_, inv) = glasskey::inventory::store::Store::load(&c.inv).unwrap();
    let entry = inv.checks.last().unwrap();
    let recorded = entry.entra.as_ref().expect("the check records the export");
    assert_eq!(recorded.sha256, digest);
    assert_eq!(recorded.date, "2026-11-25T10:00:00Z");
    ok(&["inventory", "verify", p(&c.inv)], None);
    let history = run(&["inventory", "history", p(&c.inv)], None);
    let history = String::from_utf8_lossy(&history.stdout);
    assert!(
        history.contains(&format!(
            "Entra export of 2026-11-25T10:00:00Z ({})",
            &digest[..16]
        )),
        "{history}"
    );

    // Findings on the account side fail the quarterly check.
    c.edit(|v| {
        let tap = glasskey::entra::synth::temporary_access_pass(
            "tap-1",
            time::macros::datetime!(2026-11-25 09:00 UTC),
            480,
            true,
            "EnabledByPolicy",
        );
        glasskey::entra::synth::add_method(v, BG2, tap);
    });
    let out = audit(&c);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "GK033"));

    // A bad export is refused before any key is touched, and the inventory is not written.
    let c2 = Case {
        _dir: tempfile::tempdir().unwrap(),
        inv: c.inv.clone(),
        export: c.export.clone(),
    };
    let before = std::fs::read(&c.inv).unwrap();
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&c.export).unwrap()).unwrap();
    v["tenant"] =
        json!({"id": "x", "defaultDomain": "fabrikam.onmicrosoft.com", "verifiedDomains": []});
    std::fs::write(&c.export, v.to_string()).unwrap();
    let out = audit(&c2);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("GK041"));
    assert_eq!(std::fs::read(&c.inv).unwrap(), before, "nothing written");
}
