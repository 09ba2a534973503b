//! The tenant's FIDO2 (passkey) method policy as it applies to one account: is the method
//! enabled, is the account targeted, which passkey profiles and key restrictions apply.

use super::aaguid::Aaguid;
use super::export::{EnforcementType, Fido2Configuration, KeyRestrictions, PasskeyProfile};

/// The id Graph gives the "all users" target.
pub const ALL_USERS: &str = "all_users";

/// Whether a target names this user: everyone, the user itself, or one of its groups.
fn target_applies(target_id: &str, user_id: &str, groups: &[String]) -> bool {
    target_id.eq_ignore_ascii_case(ALL_USERS)
        || target_id.eq_ignore_ascii_case(user_id)
        || groups.iter().any(|g| g.eq_ignore_ascii_case(target_id))
}

/// How the policy applies to one account.
#[derive(Debug, Clone, Default)]
pub struct Applied<'a> {
    pub included: bool,
    /// The exclude target that removes the account, if any.
    pub excluded_by: Option<&'a str>,
    pub profiles: Vec<&'a PasskeyProfile>,
    /// Profile ids a target names that the policy does not define.
    pub missing_profiles: Vec<&'a str>,
}

pub fn applied<'a>(
    config: &'a Fido2Configuration,
    user_id: &str,
    groups: &[String],
) -> Applied<'a> {
    let mut out = Applied::default();
    for t in &config.include_targets {
        if !target_applies(&t.id, user_id, groups) {
            continue;
        }
        out.included = true;
        let mut names: Vec<&str> = t
            .allowed_passkey_profiles
            .iter()
            .map(String::as_str)
            .collect();
        if names.is_empty() && !config.passkey_profiles.is_empty() {
            names.extend(config.default_passkey_profile.as_deref());
        }
        for name in names {
            match config
                .passkey_profiles
                .iter()
                .find(|p| p.id.eq_ignore_ascii_case(name))
            {
                Some(p) if !out.profiles.iter().any(|q| q.id == p.id) => out.profiles.push(p),
                Some(_) => {}
                None => out.missing_profiles.push(name),
            }
        }
    }
    out.excluded_by = config
        .exclude_targets
        .iter()
        .find(|t| target_applies(&t.id, user_id, groups))
        .map(|t| t.id.as_str());
    out
}

/// Whether enforced key restrictions refuse this AAGUID (the inventory's spelling; one that is
/// not an AAGUID is on no list, so an allow list refuses it).
pub fn blocks(restrictions: &KeyRestrictions, aaguid: &str) -> bool {
    if !restrictions.is_enforced {
        return false;
    }
    let listed = Aaguid::parse(aaguid).is_ok_and(|a| restrictions.aa_guids.contains(&a));
    match restrictions.enforcement_type {
        EnforcementType::Allow => !listed,
        EnforcementType::Block => listed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A policy with Graph's defaults for what the test does not set.
    fn config(json: &str) -> Fido2Configuration {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        let defaults = serde_json::json!({
            "excludeTargets": [],
            "keyRestrictions": {"isEnforced": false, "enforcementType": "block", "aaGuids": []}
        });
        for (k, d) in defaults.as_object().unwrap() {
            v.as_object_mut()
                .unwrap()
                .entry(k.clone())
                .or_insert(d.clone());
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn all_users_group_and_exclusions() {
        let c = config(
            r#"{"state":"enabled","includeTargets":[{"targetType":"group","id":"all_users"}],
                "excludeTargets":[{"targetType":"group","id":"g-excluded"}]}"#,
        );
        let a = applied(&c, "u1", &[]);
        assert!(a.included && a.excluded_by.is_none());
        let b = applied(&c, "u1", &["G-EXCLUDED".into()]);
        assert_eq!(b.excluded_by, Some("g-excluded"));
    }

    #[test]
    fn group_targets_need_membership() {
        let c =
            config(r#"{"state":"enabled","includeTargets":[{"targetType":"group","id":"g1"}]}"#);
        assert!(!applied(&c, "u1", &["g2".into()]).included);
        assert!(applied(&c, "u1", &["g1".into()]).included);
    }

    #[test]
    fn profiles_come_from_the_target_or_the_default() {
        let none =
            r#""keyRestrictions":{"isEnforced":false,"enforcementType":"block","aaGuids":[]}"#;
        let c = config(
            &r#"{"state":"enabled","defaultPasskeyProfile":"p0",
                "includeTargets":[{"id":"all_users"},{"id":"g1","allowedPasskeyProfiles":["p1","p9"]}],
                "passkeyProfiles":[{"id":"p0","passkeyTypes":"deviceBound,synced",{NONE}},{"id":"p1","passkeyTypes":"synced",{NONE}}]}"#
                .replace("{NONE}", none),
        );
        let a = applied(&c, "u1", &["g1".into()]);
        let ids: Vec<&str> = a.profiles.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["p0", "p1"]);
        assert_eq!(a.missing_profiles, ["p9"]);
        assert!(a.profiles[0].allows_device_bound());
        assert!(!a.profiles[1].allows_device_bound());
    }

    #[test]
    fn allow_and_block_lists() {
        let r = |json: &str| -> KeyRestrictions { serde_json::from_str(json).unwrap() };
        let aaguid = "A25342C0-3cdc-4414-8e46-f4807fca511c";
        let listed = r#""aaGuids":["a25342c0-3cdc-4414-8e46-f4807fca511c"]"#;
        assert!(!blocks(
            &r(&format!(
                r#"{{"isEnforced":true,"enforcementType":"allow",{listed}}}"#
            )),
            aaguid
        ));
        assert!(blocks(
            &r(r#"{"isEnforced":true,"enforcementType":"allow","aaGuids":[]}"#),
            aaguid
        ));
        assert!(blocks(
            &r(&format!(
                r#"{{"isEnforced":true,"enforcementType":"block",{listed}}}"#
            )),
            aaguid
        ));
        assert!(!blocks(
            &r(&format!(
                r#"{{"isEnforced":false,"enforcementType":"block",{listed}}}"#
            )),
            aaguid
        ));
        // The spelling some tooling uses.
        assert!(blocks(
            &r(&format!(
                r#"{{"isEnforcementEnabled":true,"enforcementType":"block",{listed}}}"#
            )),
            aaguid
        ));
    }
}
