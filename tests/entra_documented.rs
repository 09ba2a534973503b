//! An export assembled from the response examples in Microsoft's Graph documentation (List
//! fido2Methods (beta), List methods, List temporaryAccessPassMethods, Get
//! fido2AuthenticationMethodConfiguration, signInActivity), reconciled with an inventory whose
//! keys hold the documented "Red key" and "Blue key" credential IDs.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use glasskey::entra;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/entra")
        .join(name)
}

#[test]
fn documented_responses_reconcile_by_credential_id() {
    let (_, inv) = glasskey::inventory::store::Store::load(&fixture("documented.toml")).unwrap();
    let export = entra::load(&fixture("documented-export.json")).unwrap();
    let now = time::macros::datetime!(2022-06-07 09:00 UTC);
    let r = entra::reconcile(&inv, &export, now).unwrap();

    // Both documented passkeys are matched to the keys holding their credential IDs; the Red
    // key's registration date is read from either spelling.
    let red = r.keys[0].entra.as_ref().unwrap();
    assert_eq!(red.display_name.as_deref(), Some("Red key"));
    assert_eq!(red.created.as_deref(), Some("2020-08-10T06:44:09Z"));
    assert_eq!(
        r.keys[1].entra.as_ref().unwrap().display_name.as_deref(),
        Some("Blue key")
    );
    assert_eq!(
        r.accounts[0].last_sign_in.as_ref().unwrap().source,
        "signInActivity.lastSuccessfulSignInDateTime"
    );

    let found: BTreeSet<(&str, String)> = r
        .findings
        .iter()
        .map(|f| (f.rule, f.severity.to_string()))
        .collect();
    let want: BTreeSet<(&str, String)> = [
        // The documented TAP is NotYetValid: it will work, so it is high.
        ("GK033", "high".to_owned()),
        // Windows Hello for Business lives on Jordan's Surface Book; and the example predates
        // passkeyType, so it does not say the two passkeys are device-bound.
        ("GK034", "high".to_owned()),
        // The documented policy has state "disabled".
        ("GK037", "critical".to_owned()),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, want, "{:#?}", r.findings);
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("Jordan's Surface Book")));
    let unstated = r
        .findings
        .iter()
        .filter(|f| f.message.contains("does not say it is device-bound"))
        .count();
    assert_eq!(unstated, 2, "{:#?}", r.findings);
    // The export names the tenant by its verified domains as well as its default domain.
    assert_eq!(r.export.tenant_domain, "contoso.com");
}

#[test]
fn the_format_docs_example_is_the_fixture_and_parses() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/entra-export.md"))
            .unwrap();
    let start = doc.find("```json\n").unwrap() + 8;
    let end = start + doc[start..].find("```").unwrap();
    let example = &doc[start..end];
    assert_eq!(
        example,
        std::fs::read_to_string(fixture("documented-export.json")).unwrap()
    );
    let export = entra::parse(example.as_bytes()).unwrap();
    assert_eq!(export.bundle.accounts.len(), 1);
}
