//! The export is untrusted input (hostile report N7): another tenant's export is refused even
//! when it lists our domain among its verified domains, nothing may follow the bundle, a method
//! id appears once per list and a passkey on one account only, and lists have a size bound.
//! Each through the binary, against the export Entra would give for two enrolled virtual keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod entra_support;

use entra_support::*;
use serde_json::{json, Value};

#[test]
fn another_tenant_listing_our_domain_as_verified_is_refused() {
    let c = case();
    c.edit(|v| {
        v["tenant"] = json!({
            "id": "b371deac-4dd6-3047-d119-865294b5d0aa",
            "defaultDomain": "fabrikam.onmicrosoft.com",
            "verifiedDomains": ["fabrikam.onmicrosoft.com", "contoso.onmicrosoft.com"]
        });
    });
    let err = c.fail();
    assert!(
        err.contains("GK041") && err.contains("fabrikam.onmicrosoft.com"),
        "{err}"
    );
}

#[test]
fn our_tenant_with_a_custom_default_domain_is_matched_by_its_initial_domain() {
    // Most real tenants make a custom domain the default; the *.onmicrosoft.com domain Entra
    // created with the tenant (isInitial) stays theirs for good.
    let c = case();
    c.edit(|v| {
        v["tenant"]["defaultDomain"] = json!("contoso.com");
        v["tenant"]["initialDomain"] = json!("contoso.onmicrosoft.com");
        v["tenant"]["verifiedDomains"] = json!(["contoso.com", "contoso.onmicrosoft.com"]);
    });
    let (v, code) = c.check();
    assert_eq!(code, 0, "{v}");
    // Without the initial domain, a verified domain alone does not make the tenant ours.
    c.edit(|v| {
        v["tenant"].as_object_mut().unwrap().remove("initialDomain");
    });
    assert!(c.fail().contains("GK041"));
}

#[test]
fn anything_after_the_bundle_is_refused() {
    let c = case();
    let clean = std::fs::read_to_string(&c.export).unwrap();
    std::fs::write(&c.export, format!("{clean}\n\n  \t\n")).unwrap();
    assert_eq!(c.check().1, 0, "trailing whitespace is fine");
    for tail in ["\n{\"x\":1}", "]", "\u{0}", " x"] {
        std::fs::write(&c.export, format!("{clean}{tail}")).unwrap();
        let err = c.fail();
        assert!(
            err.contains("malformed at the end of the export") && err.contains("trailing"),
            "{tail:?}: {err}"
        );
    }
}

#[test]
fn a_method_listed_twice_in_one_list_is_malformed() {
    for (list, upn, index) in [
        ("fido2Methods", BG1, 0),
        ("methods", BG2, 1),
        ("methods", BG2, 0),
    ] {
        let c = case();
        let mut expected = String::new();
        c.edit(|v| {
            let l = Case::account(v, upn)["methods"]["value"]
                .as_array()
                .unwrap()
                .len();
            let a = Case::account(v, upn);
            let values = a[list]["value"].as_array_mut().unwrap();
            let copy = values[index].clone();
            values.push(copy);
            let account = if upn == BG1 { 0 } else { 1 };
            let at = if list == "methods" {
                l
            } else {
                values.len() - 1
            };
            expected = format!("accounts[{account}].{list}.value[{at}].id");
        });
        let err = c.fail();
        assert!(
            err.contains(&expected) && err.contains("listed twice"),
            "{expected}: {err}"
        );
    }
}

#[test]
fn two_hundred_thousand_copies_of_one_passkey_are_refused_by_the_list_bound() {
    let c = case();
    c.edit(|v| {
        let a = Case::account(v, BG1);
        let pk = a["fido2Methods"]["value"][0].clone();
        a["fido2Methods"]["value"] = Value::Array(vec![pk; 200_001]);
    });
    let err = c.fail();
    assert!(
        err.contains("accounts[0].fido2Methods.value") && err.contains("more than 1000"),
        "{err}"
    );
}

#[test]
fn one_passkey_registered_on_two_accounts_is_malformed() {
    let c = case();
    c.edit(|v| {
        let pk = first_passkey(v, BG1);
        Case::account(v, BG2)["fido2Methods"]["value"]
            .as_array_mut()
            .unwrap()
            .push(pk);
    });
    let err = c.fail();
    assert!(
        err.contains("accounts[1].fido2Methods.value[1].id")
            && err.contains("also registered for bg-01@contoso.onmicrosoft.com"),
        "{err}"
    );
}

#[test]
fn a_list_longer_than_any_account_holds_is_refused() {
    let c = case();
    c.edit(|v| {
        let a = Case::account(v, BG1);
        let values = a["methods"]["value"].as_array_mut().unwrap();
        for n in 0..1_001 {
            values.push(json!({
                "@odata.type": "#microsoft.graph.emailAuthenticationMethod",
                "id": format!("3ddfcfc8-9383-446f-83cc-{n:012}"),
                "emailAddress": "someone@example.com"
            }));
        }
    });
    let err = c.fail();
    assert!(
        err.contains("accounts[0].methods.value") && err.contains("more than 1000"),
        "{err}"
    );
}

#[test]
fn a_passkey_on_a_key_of_another_account_is_named() {
    // BG01-A's passkey (for bg-01) listed on bg-02 instead: the key in bg-01's safe signs in
    // as bg-02, and bg-01 has lost it.
    let c = case();
    c.edit(|v| {
        let pk = first_passkey(v, BG1);
        for list in ["fido2Methods", "methods"] {
            Case::account(v, BG1)[list]["value"]
                .as_array_mut()
                .unwrap()
                .retain(|m| m["id"] != pk["id"]);
        }
        Case::account(v, BG2)["fido2Methods"]["value"]
            .as_array_mut()
            .unwrap()
            .push(pk);
    });
    let findings = c.expect(&["GK030", "GK031", "GK032"]);
    let gk030: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "GK030").collect();
    assert_eq!(gk030.len(), 1, "{findings:?}");
    assert_eq!(gk030[0]["account"], BG2);
    assert_eq!(gk030[0]["key"], "BG01-A");
    let m = gk030[0]["message"].as_str().unwrap();
    assert!(m.contains("bg-01@contoso.onmicrosoft.com"), "{m}");
}

#[test]
fn a_byte_order_mark_is_named_with_what_to_do() {
    // Windows PowerShell 5's Out-File writes UTF-16 with a BOM, Set-Content -Encoding utf8 a
    // UTF-8 BOM: say so, rather than "expected value at line 1 column 1".
    let c = case();
    let clean = std::fs::read(&c.export).unwrap();
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            String::from_utf8(clean.clone())
                .unwrap()
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    for (bytes, encoding) in [
        ([&[0xEF, 0xBB, 0xBF][..], &clean].concat(), "UTF-8"),
        (utf16, "UTF-16"),
    ] {
        std::fs::write(&c.export, bytes).unwrap();
        let err = c.fail();
        assert!(
            err.contains("byte-order mark")
                && err.contains(encoding)
                && err.contains("UTF-8 without"),
            "{err}"
        );
    }
}
