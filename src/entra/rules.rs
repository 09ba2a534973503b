//! The account-side rules, GK030-GK041 (docs/policy-rules.md). Their IDs are stable.

use crate::audit::{Rule, Severity};

pub const UNKNOWN_PASSKEY: Rule = Rule {
    id: "GK030",
    name: "unknown-entra-passkey",
    severity: Severity::Critical,
    remedy: "A passkey registered for the break-glass account is on no inventoried key: someone else's authenticator can sign in as the account. Find out who registered it (Entra sign-in and audit logs), delete it from the account's authentication methods, and rotate anything it may have reached.",
};
pub const PASSKEY_NOT_REGISTERED: Rule = Rule {
    id: "GK031",
    name: "passkey-not-registered",
    severity: Severity::Critical,
    remedy: "The key in the safe holds a passkey that Entra no longer lists for its account, so the key will not sign in. Register the key again (Temporary Access Pass, My Security Info), delete the TAP, audit the key and run `glasskey entra check` on a fresh export.",
};
pub const TOO_FEW_REGISTERED: Rule = Rule {
    id: "GK032",
    name: "too-few-registered-keys",
    severity: Severity::Critical,
    remedy: "The account has fewer registered passkeys on inventoried keys than the policy's keys per account. Register and enroll more keys for it before the next emergency.",
};
pub const TEMPORARY_ACCESS_PASS: Rule = Rule {
    id: "GK033",
    name: "temporary-access-pass",
    severity: Severity::High,
    remedy: "Delete the Temporary Access Pass from the account's authentication methods: a TAP used to register the key must not outlive the registration.",
};
pub const WEAK_METHOD: Rule = Rule {
    id: "GK034",
    name: "weak-or-personal-method",
    severity: Severity::High,
    remedy: "Remove the method from the break-glass account: it is not phishing-resistant or lives on a person's device. Break-glass accounts sign in with the keys in the safe only.",
};
pub const AAGUID_MISMATCH: Rule = Rule {
    id: "GK035",
    name: "entra-aaguid-mismatch",
    severity: Severity::High,
    remedy: "Entra recorded a different authenticator model for the passkey than the inventory holds for the key. Check that the passkey was registered with this key; if in doubt, delete it in Entra and register the key again.",
};
pub const NOT_ATTESTED: Rule = Rule {
    id: "GK036",
    name: "passkey-not-attested",
    severity: Severity::Medium,
    remedy: "The passkey was registered without attestation, so Entra never verified the key's model. Enforce attestation in the FIDO2 (passkey) policy and register the key again.",
};
pub const FIDO2_POLICY_EXCLUDES: Rule = Rule {
    id: "GK037",
    name: "fido2-policy-excludes-account",
    severity: Severity::Critical,
    remedy: "The tenant's FIDO2 (passkey) method policy would refuse the break-glass key: enable the method, target the account (directly or through a group) without excluding it, and let its passkey profiles allow device-bound passkeys.",
};
pub const KEY_RESTRICTION_BLOCKS: Rule = Rule {
    id: "GK038",
    name: "key-restriction-blocks-key",
    severity: Severity::Critical,
    remedy: "The FIDO2 policy's key restrictions block the key's model (AAGUID), so it will not sign in. Add the AAGUID to the allow-list (or remove it from the block-list) in the policy or passkey profile.",
};
pub const NO_RECENT_DRILL: Rule = Rule {
    id: "GK039",
    name: "no-recent-sign-in-drill",
    severity: Severity::Medium,
    remedy: "No successful sign-in with the account within the policy's check interval: run a sign-in drill with a key from the safe and alert on it as your monitoring expects.",
};
pub const ACCOUNT_STATE: Rule = Rule {
    id: "GK040",
    name: "account-synced-or-disabled",
    severity: Severity::High,
    remedy: "Break-glass accounts must be cloud-only and enabled: an on-premises outage or a sync change must not take them down. Use a cloud-only account, enabled.",
};
pub const STALE_EXPORT: Rule = Rule {
    id: "GK041",
    name: "stale-entra-export",
    severity: Severity::Medium,
    remedy: "The Entra export is more than 7 days old: run the script from `glasskey entra script` again and check the fresh export.",
};

/// The export's age past which GK041 applies.
pub const MAX_EXPORT_AGE_DAYS: i64 = 7;

/// Every account-side rule, in ID order.
pub const ALL: &[Rule] = &[
    UNKNOWN_PASSKEY,
    PASSKEY_NOT_REGISTERED,
    TOO_FEW_REGISTERED,
    TEMPORARY_ACCESS_PASS,
    WEAK_METHOD,
    AAGUID_MISMATCH,
    NOT_ATTESTED,
    FIDO2_POLICY_EXCLUDES,
    KEY_RESTRICTION_BLOCKS,
    NO_RECENT_DRILL,
    ACCOUNT_STATE,
    STALE_EXPORT,
];
