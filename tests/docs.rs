//! The documentation lists every rule with its remediation, as the code defines them.
#![allow(clippy::unwrap_used, clippy::panic)]

#[test]
fn policy_rules_doc_lists_every_rule() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/policy-rules.md"))
        .unwrap();
    for rule in glasskey::audit::rules::ALL
        .iter()
        .chain(glasskey::entra::rules::ALL)
    {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", rule.id)))
            .unwrap_or_else(|| panic!("{} missing from docs/policy-rules.md", rule.id));
        assert!(
            row.contains(rule.name) && row.contains(rule.remedy),
            "{} is out of date in docs/policy-rules.md",
            rule.id
        );
    }
}

#[test]
fn inventory_format_example_parses() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/inventory-format.md"
    ))
    .unwrap();
    let start = doc.find("```toml\n").unwrap() + 8;
    let end = start + doc[start..].find("```").unwrap();
    let inv =
        glasskey::inventory::store::parse(std::path::Path::new("example.toml"), &doc[start..end])
            .unwrap();
    assert_eq!(inv.keys[0].label, "BG01-A");
    assert_eq!(inv.accounts.len(), 2);
    assert_eq!(inv.checks.len(), 1);
    // The example's hash was computed with Python's json and hashlib, independently of glasskey.
    assert_eq!(glasskey::inventory::history::verify(&inv.checks), Ok(()));
}
