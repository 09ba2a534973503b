//! Whether the tenant's FIDO2 method policy reaches one break-glass account (GK037) and admits
//! its keys (GK038): include and exclude targets against the account and its groups, and the
//! passkey profiles that target it.

use super::export::{AccountExport, Fido2Configuration};
use super::policy;
use super::reconcile::finding;
use super::rules::{FIDO2_POLICY_EXCLUDES, KEY_RESTRICTION_BLOCKS};
use crate::audit::Finding;
use crate::inventory::model::KeyEntry;

/// Appends the account's policy findings; whether the policy targets the account.
pub fn findings(
    config: &Fido2Configuration,
    enabled: bool,
    a: &AccountExport,
    upn: &str,
    own_keys: &[&KeyEntry],
    findings: &mut Vec<Finding>,
) -> bool {
    let groups: Vec<String> = a
        .transitive_member_of
        .value
        .iter()
        .map(|g| g.id.clone())
        .collect();
    let applied = policy::applied(config, &a.user.id, &groups);
    let targeted = applied.included && applied.excluded_by.is_none();
    if enabled {
        if !applied.included {
            findings.push(finding(
                &FIDO2_POLICY_EXCLUDES,
                None,
                upn,
                "the FIDO2 policy targets neither the account nor any of its groups".into(),
            ));
        }
        if let Some(g) = applied.excluded_by {
            findings.push(finding(
                &FIDO2_POLICY_EXCLUDES,
                None,
                upn,
                format!("the FIDO2 policy excludes the account (exclude target {g})"),
            ));
        }
    }
    for p in applied.profiles.iter().filter(|p| !p.allows_device_bound()) {
        findings.push(finding(
            &FIDO2_POLICY_EXCLUDES,
            None,
            upn,
            format!(
                "passkey profile {} targeting the account allows only {} passkeys, not device-bound ones",
                p.name.as_deref().unwrap_or(&p.id),
                p.passkey_types
            ),
        ));
    }
    for missing in &applied.missing_profiles {
        findings.push(finding(&FIDO2_POLICY_EXCLUDES, None, upn, format!("the FIDO2 policy names passkey profile {missing}, which the export does not define")));
    }
    for key in own_keys.iter().filter(|_| !applied.profiles.is_empty()) {
        for p in &applied.profiles {
            let r = &p.key_restrictions;
            if policy::blocks(r, &key.aaguid) {
                findings.push(finding(
                    &KEY_RESTRICTION_BLOCKS,
                    Some(&key.label),
                    upn,
                    format!(
                        "passkey profile {}'s key restrictions ({:?} list) refuse AAGUID {}",
                        p.name.as_deref().unwrap_or(&p.id),
                        r.enforcement_type,
                        key.aaguid
                    ),
                ));
            }
        }
    }
    targeted
}
