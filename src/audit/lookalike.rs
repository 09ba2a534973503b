//! Look-alike sites and accounts (DESIGN §3.8): an RP ID or user name that is not the real one
//! but renders like it — `login.micrоsoft.com` with a Cyrillic "о", a UPN with "l" for "1" —
//! or that mixes scripts or hides characters. Confusability is the UTS 39 skeleton
//! (`unicode-security`), compared case-insensitively; mixed scripts are judged per domain label
//! and per local part, as browsers judge IDNs, so a name written wholly in one script passes.

use unicode_security::{skeleton, MixedScript};

use super::finding::Finding;
use super::rules;
use crate::inventory::model::{Inventory, KeyEntry, Observation, DEFAULT_RP_ID};
use crate::untrusted::{has_hidden, is_hidden, visible};

/// The UTS 39 skeleton of `s`, lower-cased first (RP IDs and UPNs ignore case), without hidden
/// characters (which render as nothing).
fn skeleton_of(s: &str) -> String {
    let folded: String = s
        .to_lowercase()
        .chars()
        .filter(|&c| !is_hidden(c))
        .collect();
    skeleton(&folded).collect()
}

/// Two different strings that render alike.
pub fn confusable(a: &str, b: &str) -> bool {
    a.to_lowercase() != b.to_lowercase() && skeleton_of(a) == skeleton_of(b)
}

/// Whether some label of a domain or UPN (split at '.' and '@') mixes scripts.
pub fn mixes_scripts(s: &str) -> bool {
    s.split(['.', '@'])
        .any(|label| !label.is_empty() && !label.is_single_script())
}

/// The non-ASCII characters of `s` by code point, so a report says what the eye cannot see.
fn non_ascii(s: &str) -> String {
    let mut points: Vec<String> = s
        .chars()
        .filter(|c| !c.is_ascii())
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect();
    points.dedup();
    if points.is_empty() {
        String::new()
    } else {
        format!(" (non-ASCII: {})", points.join(" "))
    }
}

/// The RP IDs a passkey is meant for: the policy's and, when the policy names another, the
/// Entra ID default.
fn real_rp_ids(inv: &Inventory) -> Vec<&str> {
    let mut ids = vec![inv.passkey_rp_id.as_str()];
    if !inv.passkey_rp_id.eq_ignore_ascii_case(DEFAULT_RP_ID) {
        ids.push(DEFAULT_RP_ID);
    }
    ids
}

/// Why an RP ID seen on a key needs a second look, without an inventory (for `creds`): it
/// renders like login.microsoft.com, mixes scripts, or hides characters.
pub fn rp_id_warning(rp: &str) -> Option<String> {
    if confusable(rp, DEFAULT_RP_ID) {
        Some(format!("LOOK-ALIKE of {DEFAULT_RP_ID}{}", non_ascii(rp)))
    } else if mixes_scripts(rp) {
        Some(format!("MIXES SCRIPTS{}", non_ascii(rp)))
    } else if has_hidden(rp) {
        Some("HIDDEN CHARACTERS".into())
    } else {
        None
    }
}

/// Findings about the RP IDs and user names one key holds.
pub fn observation_findings(inv: &Inventory, key: &KeyEntry, obs: &Observation) -> Vec<Finding> {
    let f = |rule, msg: String| Finding::new(rule, Some(&key.label), Some(&key.account), msg);
    let mut out = Vec::new();
    for rp in &obs.other_rp_ids {
        if has_hidden(rp) {
            out.push(f(
                &rules::HIDDEN_CHARACTERS,
                format!(
                    "a credential's RP ID holds control, escape, bidi or invisible characters: {}",
                    visible(rp)
                ),
            ));
        }
        if let Some(real) = real_rp_ids(inv).into_iter().find(|r| confusable(rp, r)) {
            out.push(f(
                &rules::LOOKALIKE_RP_ID,
                format!(
                    "a credential for {rp}, a look-alike of {real}{}",
                    non_ascii(rp)
                ),
            ));
        } else if mixes_scripts(rp) {
            out.push(f(
                &rules::MIXED_SCRIPT,
                format!(
                    "a credential for {rp}, which mixes scripts{}",
                    non_ascii(rp)
                ),
            ));
        }
    }
    for p in obs.passkeys.iter().flatten() {
        let name = &p.user_name;
        if has_hidden(name) {
            out.push(f(
                &rules::HIDDEN_CHARACTERS,
                format!(
                    "a passkey's user name holds control, escape, bidi or invisible characters: {}",
                    visible(name)
                ),
            ));
        }
        if inv.is_break_glass(name) {
            continue;
        }
        if let Some(real) = inv.accounts.iter().find(|a| confusable(name, &a.upn)) {
            out.push(f(
                &rules::LOOKALIKE_ACCOUNT,
                format!(
                    "a passkey at {} for {name}, a look-alike of break-glass account {}{}",
                    inv.passkey_rp_id,
                    real.upn,
                    non_ascii(name)
                ),
            ));
        } else if mixes_scripts(name) {
            out.push(f(
                &rules::MIXED_SCRIPT,
                format!(
                    "a passkey at {} for {name}, which mixes scripts{}",
                    inv.passkey_rp_id,
                    non_ascii(name)
                ),
            ));
        }
    }
    out
}

/// Findings about the inventory's own RP ID and account names.
pub fn inventory_findings(inv: &Inventory) -> Vec<Finding> {
    let f = |account: Option<&str>, msg: String| {
        Finding::new(&rules::LOOKALIKE_INVENTORY_TEXT, None, account, msg)
    };
    let mut out = Vec::new();
    let rp = &inv.passkey_rp_id;
    if confusable(rp, DEFAULT_RP_ID) {
        out.push(f(
            None,
            format!(
                "passkey_rp_id {} is a look-alike of {DEFAULT_RP_ID}{}",
                visible(rp),
                non_ascii(rp)
            ),
        ));
    } else if has_hidden(rp) || mixes_scripts(rp) {
        out.push(f(
            None,
            format!(
                "passkey_rp_id {} hides characters or mixes scripts{}",
                visible(rp),
                non_ascii(rp)
            ),
        ));
    }
    for (i, a) in inv.accounts.iter().enumerate() {
        if has_hidden(&a.upn) || mixes_scripts(&a.upn) {
            out.push(f(
                Some(&a.upn),
                format!(
                    "account {} hides characters or mixes scripts{}",
                    visible(&a.upn),
                    non_ascii(&a.upn)
                ),
            ));
        }
        for b in inv.accounts.iter().skip(i + 1) {
            if confusable(&a.upn, &b.upn) {
                out.push(f(
                    Some(&b.upn),
                    format!(
                        "accounts {} and {} look alike{}",
                        visible(&a.upn),
                        visible(&b.upn),
                        non_ascii(&b.upn)
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_o_and_digit_one_are_look_alikes() {
        assert!(confusable(
            "login.micr\u{43e}soft.com",
            "login.microsoft.com"
        ));
        assert!(confusable(
            "LOGIN.microsoft.com\u{200b}",
            "login.microsoft.com"
        ));
        assert!(confusable(
            "bg-0l@contoso.onmicrosoft.com",
            "bg-01@contoso.onmicrosoft.com"
        ));
        assert!(!confusable("Login.Microsoft.com", "login.microsoft.com"));
        assert!(!confusable("example.com", "login.microsoft.com"));
    }

    #[test]
    fn mixed_scripts_are_judged_per_label() {
        assert!(mixes_scripts("login.micr\u{43e}soft.com"));
        assert!(!mixes_scripts("login.microsoft.com"));
        // A local part wholly in Cyrillic under a Latin domain is not mixed.
        assert!(!mixes_scripts(
            "\u{43f}\u{43e}\u{43b}\u{44c}\u{437}\u{43e}\u{432}\u{430}\u{442}\u{435}\u{43b}\u{44c}@contoso.com"
        ));
    }
}
