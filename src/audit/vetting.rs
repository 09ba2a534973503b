//! The vetting rules for a new key (`glasskey vet`): data in, findings out. `cli/vet.rs` reads
//! the key and hands over what it saw; nothing here talks to a key, so every rule is tested
//! without one.

use serde::Serialize;

use super::rules;
use super::Finding;
use crate::attestation::verify::{AttestationCheck, AttestationKind};
use crate::ctap2::get_info::AuthenticatorInfo;
use crate::device::KeyFacts;
use crate::inventory::model::Policy;

/// A feature break-glass use relies on, and whether the key has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capability {
    pub name: &'static str,
    pub present: bool,
}

/// The passkeys found on the key (it should hold none when new).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasskeysFound {
    pub count: u64,
    /// The relying parties they are for.
    pub sites: Vec<String>,
}

/// What the inventory says about this key, when one was given.
pub struct InventoryView<'a> {
    pub policy: &'a Policy,
    /// The label of the inventoried key this key proved to be, if any.
    pub enrolled_as: Option<&'a str>,
}

/// Everything `vet` observed about one key.
pub struct VetEvidence<'a> {
    /// How the key is named in findings (its device string).
    pub label: Option<&'a str>,
    pub facts: &'a KeyFacts,
    pub info: &'a AuthenticatorInfo,
    pub attestation: &'a AttestationCheck,
    /// None when the passkeys could not be listed (no PIN yet, or no credential management).
    pub passkeys: Option<&'a PasskeysFound>,
    pub inventory: Option<InventoryView<'a>>,
}

/// All findings for one key, in the order an admin reads them: genuineness, firmware, factory
/// state, capabilities, then the inventory.
pub fn evaluate(e: &VetEvidence<'_>) -> Vec<Finding> {
    let mut findings = attestation_findings(e.attestation, &e.facts.aaguid, e.label);
    findings.extend(advisory_findings(e.facts, e.label));
    if let Some(p) = e.passkeys {
        findings.extend(factory_state_findings(p, e.label));
    }
    findings.extend(capability_findings(&capabilities(e.info), e.label));
    if let Some(inv) = &e.inventory {
        findings.extend(inventory_findings(inv, &e.facts.aaguid, e.label));
    }
    findings
}

/// Genuineness: only a basic attestation with a valid signature, a leaf that meets WebAuthn's
/// requirements, a sound path to a trusted anchor and a matching AAGUID establishes it. Each
/// defect gets its own finding (an untrusted chain is not a broken one); a bad signature hides
/// the rest.
pub fn attestation_findings(
    check: &AttestationCheck,
    key_aaguid: &str,
    label: Option<&str>,
) -> Vec<Finding> {
    let f = |rule, message: String| Finding::new(rule, label, None, message);
    if check.kind != AttestationKind::Basic {
        return vec![f(
            &rules::ATTESTATION_UNVERIFIABLE,
            format!(
                "{} attestation ({}): genuineness cannot be established",
                check.format, check.kind
            ),
        )];
    }
    if !check.signature_valid {
        return vec![f(
            &rules::ATTESTATION_SIGNATURE_INVALID,
            format!(
                "the {} attestation signature ({}) does not verify",
                check.format,
                check.algorithm.as_deref().unwrap_or("no algorithm")
            ),
        )];
    }
    let mut findings: Vec<Finding> = check
        .certificate_problems
        .iter()
        .map(|problem| f(&rules::ATTESTATION_LEAF_INVALID, problem.clone()))
        .collect();
    if let Some(e) = &check.chain_error {
        let rule = if check.chain_invalid {
            &rules::ATTESTATION_CHAIN_INVALID
        } else {
            &rules::ATTESTATION_UNTRUSTED
        };
        findings.push(f(rule, e.clone()));
    }
    if check.aaguid_matches == Some(false) {
        findings.push(f(
            &rules::ATTESTATION_AAGUID_MISMATCH,
            format!(
                "the certificate vouches for {} but the key reports {key_aaguid}",
                check.certificate_aaguid.as_deref().unwrap_or("?"),
            ),
        ));
    }
    findings
}

/// Firmware under a known advisory (data/advisories.toml).
pub fn advisory_findings(facts: &KeyFacts, label: Option<&str>) -> Vec<Finding> {
    crate::advisories::affecting(
        &facts.aaguid,
        facts.vendor_id.as_deref(),
        facts.firmware.as_deref(),
    )
    .into_iter()
    .map(|(advisory, clause)| {
        Finding::new(
            &rules::FIRMWARE_ADVISORY,
            label,
            None,
            format!(
                "firmware {} is affected by {} ({}): {}",
                facts.firmware.as_deref().unwrap_or("?"),
                advisory.id,
                clause.description,
                advisory.source
            ),
        )
    })
    .collect()
}

/// A new key holds no passkeys.
pub fn factory_state_findings(found: &PasskeysFound, label: Option<&str>) -> Vec<Finding> {
    if found.count == 0 {
        return Vec::new();
    }
    vec![Finding::new(
        &rules::NOT_FACTORY_FRESH,
        label,
        None,
        format!(
            "{} passkey(s) already on the key, for {}",
            found.count,
            found.sites.join(", ")
        ),
    )]
}

/// What break-glass use relies on, read from getInfo.
pub fn capabilities(info: &AuthenticatorInfo) -> Vec<Capability> {
    vec![
        Capability {
            name: "CTAP 2.1 or later",
            present: info
                .versions
                .iter()
                .any(|v| v == "FIDO_2_1" || v == "FIDO_2_2" || v == "FIDO_2_3"),
        },
        Capability {
            name: "credential management",
            present: info.cred_mgmt().is_some(),
        },
        Capability {
            name: "credProtect",
            present: info.extensions.iter().any(|e| e == "credProtect"),
        },
        Capability {
            name: "resident keys",
            present: info.option("rk") == Some(true),
        },
        Capability {
            name: "PIN protocol 2",
            present: info.pin_uv_auth_protocols.contains(&2),
        },
        Capability {
            name: "minPINLength",
            present: info.min_pin_length.is_some(),
        },
    ]
}

pub fn capability_findings(capabilities: &[Capability], label: Option<&str>) -> Vec<Finding> {
    capabilities
        .iter()
        .filter(|c| !c.present)
        .map(|c| {
            Finding::new(
                &rules::CAPABILITY_MISSING,
                label,
                None,
                format!("no {}", c.name),
            )
        })
        .collect()
}

/// Against the inventory: an approved model, and not a key already enrolled.
pub fn inventory_findings(
    inv: &InventoryView<'_>,
    aaguid: &str,
    label: Option<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !inv.policy.allows_aaguid(aaguid) {
        findings.push(Finding::new(
            &rules::AAGUID_NOT_ALLOWED,
            label,
            None,
            format!("AAGUID {aaguid} is not on the inventory's allow-list"),
        ));
    }
    if let Some(enrolled) = inv.enrolled_as {
        findings.push(Finding::new(
            &rules::ALREADY_ENROLLED,
            label,
            None,
            format!("this key is {enrolled} in the inventory"),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const AAGUID: &str = "ee882879-721c-4913-9775-3dfcce97072a";

    fn facts(vendor_id: Option<&str>, firmware: Option<&str>) -> KeyFacts {
        KeyFacts {
            device: "virtual:k.json".into(),
            vendor_id: vendor_id.map(str::to_owned),
            product_id: None,
            manufacturer: None,
            product: None,
            usb_serial: None,
            vendor_serial: None,
            aaguid: AAGUID.into(),
            model: None,
            model_source: None,
            firmware: firmware.map(str::to_owned),
            form_factor: None,
            ctap_versions: Vec::new(),
            pin_set: Some(true),
            software_key: true,
        }
    }

    fn genuine() -> AttestationCheck {
        let mut c = AttestationCheck::new("packed", AttestationKind::Basic);
        c.signature_valid = true;
        c.anchor = Some("Yubico".into());
        c.aaguid_matches = Some(true);
        c
    }

    fn full_info() -> AuthenticatorInfo {
        let mut info = AuthenticatorInfo {
            versions: vec!["FIDO_2_0".into(), "FIDO_2_1".into()],
            extensions: vec!["credProtect".into()],
            pin_uv_auth_protocols: vec![2, 1],
            min_pin_length: Some(4),
            ..AuthenticatorInfo::default()
        };
        info.options.insert("rk".into(), true);
        info.options.insert("credMgmt".into(), true);
        info
    }

    fn rules_of(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn a_genuine_attestation_gives_no_finding() {
        assert!(attestation_findings(&genuine(), AAGUID, None).is_empty());
    }

    #[test]
    fn self_none_and_unsupported_attestation_cannot_show_genuineness() {
        for kind in [
            AttestationKind::SelfAttestation,
            AttestationKind::None,
            AttestationKind::Unsupported,
        ] {
            let mut check = AttestationCheck::new("packed", kind);
            check.signature_valid = true;
            let f = attestation_findings(&check, AAGUID, Some("k"));
            assert_eq!(rules_of(&f), [rules::ATTESTATION_UNVERIFIABLE.id], "{kind}");
            assert_eq!(
                f[0].message,
                format!("packed attestation ({kind}): genuineness cannot be established")
            );
        }
    }

    #[test]
    fn a_bad_signature_is_the_only_finding_even_with_a_broken_chain() {
        let mut check = genuine();
        check.signature_valid = false;
        check.chain_error = Some("no path".into());
        check.aaguid_matches = Some(false);
        let f = attestation_findings(&check, AAGUID, None);
        assert_eq!(rules_of(&f), [rules::ATTESTATION_SIGNATURE_INVALID.id]);
    }

    #[test]
    fn an_untrusted_chain_and_a_wrong_aaguid_are_both_reported() {
        let mut check = genuine();
        check.anchor = None;
        check.chain_error = Some("no path from CN=x to a trusted root".into());
        check.aaguid_matches = Some(false);
        check.certificate_aaguid = Some("00000000-0000-0000-0000-000000000001".into());
        let f = attestation_findings(&check, AAGUID, None);
        assert_eq!(
            rules_of(&f),
            [
                rules::ATTESTATION_UNTRUSTED.id,
                rules::ATTESTATION_AAGUID_MISMATCH.id
            ]
        );
        assert_eq!(f[0].message, "no path from CN=x to a trusted root");
        assert_eq!(
            f[1].message,
            format!("the certificate vouches for 00000000-0000-0000-0000-000000000001 but the key reports {AAGUID}")
        );
    }

    #[test]
    fn firmware_under_an_advisory_is_reported_and_fixed_firmware_is_not() {
        let old = advisory_findings(&facts(Some("1050"), Some("5.4.3")), None);
        assert_eq!(rules_of(&old), [rules::FIRMWARE_ADVISORY.id]);
        assert!(old[0].message.contains("YSA-2024-03"), "{}", old[0].message);
        assert!(advisory_findings(&facts(Some("1050"), Some("5.7.1")), None).is_empty());
        assert!(advisory_findings(&facts(Some("1050"), None), None).is_empty());
    }

    #[test]
    fn a_used_key_is_not_factory_fresh() {
        let empty = PasskeysFound::default();
        assert!(factory_state_findings(&empty, None).is_empty());
        let used = PasskeysFound {
            count: 2,
            sites: vec!["github.com".into(), "login.microsoft.com".into()],
        };
        let f = factory_state_findings(&used, None);
        assert_eq!(rules_of(&f), [rules::NOT_FACTORY_FRESH.id]);
        assert_eq!(
            f[0].message,
            "2 passkey(s) already on the key, for github.com, login.microsoft.com"
        );
    }

    #[test]
    fn each_missing_capability_is_one_finding() {
        assert!(capability_findings(&capabilities(&full_info()), None).is_empty());
        let mut info = full_info();
        info.pin_uv_auth_protocols = vec![1];
        info.options.remove("credMgmt");
        let f = capability_findings(&capabilities(&info), None);
        let messages: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages, ["no credential management", "no PIN protocol 2"]);
        let bare = capabilities(&AuthenticatorInfo::default());
        assert_eq!(capability_findings(&bare, None).len(), 6);
    }

    #[test]
    fn the_inventory_allow_list_and_an_enrolled_key_are_findings() {
        let open = Policy::default();
        let view = InventoryView {
            policy: &open,
            enrolled_as: None,
        };
        assert!(inventory_findings(&view, AAGUID, None).is_empty());
        let strict = Policy {
            allowed_aaguids: vec!["cb69481e-8ff7-4039-93ec-0a2729a154a8".into()],
            ..Policy::default()
        };
        let view = InventoryView {
            policy: &strict,
            enrolled_as: Some("BG01-A"),
        };
        let f = inventory_findings(&view, AAGUID, None);
        assert_eq!(
            rules_of(&f),
            [rules::AAGUID_NOT_ALLOWED.id, rules::ALREADY_ENROLLED.id]
        );
        assert_eq!(f[1].message, "this key is BG01-A in the inventory");
    }

    #[test]
    fn evaluate_reports_in_reading_order() {
        let mut check = genuine();
        check.signature_valid = false;
        let used = PasskeysFound {
            count: 1,
            sites: vec!["example.com".into()],
        };
        let policy = Policy::default();
        let f = evaluate(&VetEvidence {
            label: Some("virtual:k.json"),
            facts: &facts(Some("1050"), Some("5.2.7")),
            info: &AuthenticatorInfo::default(),
            attestation: &check,
            passkeys: Some(&used),
            inventory: Some(InventoryView {
                policy: &policy,
                enrolled_as: Some("BG02-B"),
            }),
        });
        let order = rules_of(&f);
        assert_eq!(order[0], rules::ATTESTATION_SIGNATURE_INVALID.id);
        assert_eq!(order[1], rules::FIRMWARE_ADVISORY.id);
        assert_eq!(order[2], rules::NOT_FACTORY_FRESH.id);
        assert!(order[3..9]
            .iter()
            .all(|r| *r == rules::CAPABILITY_MISSING.id));
        assert_eq!(order[9..], [rules::ALREADY_ENROLLED.id]);
        assert!(f.iter().all(|x| x.key.as_deref() == Some("virtual:k.json")));
    }
}
