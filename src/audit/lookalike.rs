//! Look-alike sites and accounts (DESIGN §3.8): an RP ID or user name that is not the real one
//! but renders like it — `login.micrоsoft.com` with a Cyrillic "о", a UPN with "l" for "1" —
//! or that mixes scripts or hides characters. Confusability is the UTS 39 skeleton
//! (`unicode-security`), compared in any case (see [`looks_alike`]); mixed scripts are judged per domain label
//! and per local part, as browsers judge IDNs, so a name written wholly in one script passes.

use unicode_security::{skeleton, MixedScript};

use super::finding::Finding;
use super::rules;
use crate::inventory::model::{Inventory, KeyEntry, Observation, DEFAULT_RP_ID};
use crate::untrusted::{has_hidden, is_hidden, visible};

/// How `s` looks, as one string to compare: its UTS 39 skeleton (taken on the NFD string, as
/// `skeleton` does), case-folded, then the skeleton again, without hidden characters (which
/// render as nothing). The skeleton comes first because it maps a capital to what it renders
/// like: Cyrillic "В" (U+0412) is "B" and so folds to "b", while its lower case "в" renders
/// like a small capital and is no "b". The second skeleton lets the fold's letters meet their
/// own look-alikes (Cyrillic "М" → "M" → "m" → "rn", as Latin "m" is).
fn look(s: &str) -> String {
    let shown: String = s.chars().filter(|&c| !is_hidden(c)).collect();
    let shape: String = skeleton(&shown).collect();
    skeleton(&caseless::default_case_fold_str(&shape)).collect()
}

/// How `s` looks as written, in lower case and in capitals: a name read without regard to case
/// may be shown in any of them ("LOGIN.MICROSOFT.COM" has "I" where "login" has "i", and "I"
/// renders like "l").
fn looks(s: &str) -> [String; 3] {
    [look(s), look(&s.to_lowercase()), look(&s.to_uppercase())]
}

/// Whether `a` and `b` render alike, written in some case: equal strings and case variants
/// included. RP IDs, UPNs and key labels are all compared with it.
pub fn looks_alike(a: &str, b: &str) -> bool {
    let theirs = looks(b);
    looks(a).iter().any(|l| theirs.contains(l))
}

/// Two different names that render alike. Names equal but for ASCII case are the same name
/// (RP IDs and UPNs ignore case); any other case mapping, such as the Kelvin sign "K" (U+212A)
/// for "k", is a disguise.
pub fn confusable(a: &str, b: &str) -> bool {
    !a.eq_ignore_ascii_case(b) && looks_alike(a, b)
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

/// As [`rp_id_warning`], for a listing filtered to the RP `asked` for: a look-alike of that RP
/// is named as one, whichever RP it is.
pub fn rp_id_warning_against(rp: &str, asked: Option<&str>) -> Option<String> {
    match asked {
        Some(asked) if confusable(rp, asked) => Some(format!(
            "LOOK-ALIKE of {}{}",
            crate::untrusted::Shown(asked),
            non_ascii(rp)
        )),
        _ => rp_id_warning(rp),
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

    /// A Cyrillic or Greek capital renders like a Latin capital although its lower case does
    /// not (Cyrillic "в" renders like a small capital B): the skeleton comes before the fold.
    #[test]
    fn capitals_that_render_like_latin_capitals_are_look_alikes() {
        // "СОМ", "ЕМЕА", "ВG", Greek "ΒΗ": single-script labels and local parts.
        assert!(confusable(
            "login.microsoft.\u{421}\u{41e}\u{41c}",
            "login.microsoft.com"
        ));
        assert!(confusable(
            "LOGIN.MICROSOFT.\u{421}\u{41e}\u{41c}",
            "login.microsoft.com"
        ));
        assert!(confusable(
            "\u{415}\u{41c}\u{415}\u{410}-01@contoso.com",
            "emea-01@contoso.com"
        ));
        assert!(confusable("\u{412}G-01@contoso.com", "bg-01@contoso.com"));
        assert!(confusable(
            "\u{392}\u{397}-01@contoso.com",
            "bh-01@contoso.com"
        ));
        // Lower case in a name read without regard to case: "вg" is "ВG" in capitals.
        assert!(confusable("\u{432}g-01@contoso.com", "bg-01@contoso.com"));
        // The Kelvin sign lower-cases to "k" but is no ASCII "K".
        assert!(confusable("\u{212a}b-01@contoso.com", "kb-01@contoso.com"));
    }

    #[test]
    fn case_variants_and_other_real_names_are_not_look_alikes() {
        for (a, b) in [
            ("LOGIN.MICROSOFT.COM", "login.microsoft.com"),
            ("login.microsoftonline.com", "login.microsoft.com"),
            (
                "BG-01@Contoso.onmicrosoft.com",
                "bg-01@contoso.onmicrosoft.com",
            ),
            (
                "bg-02@contoso.onmicrosoft.com",
                "bg-01@contoso.onmicrosoft.com",
            ),
            (
                "BG-02@contoso.onmicrosoft.com",
                "bg-01@contoso.onmicrosoft.com",
            ),
            ("emea-01@contoso.com", "emea-02@contoso.com"),
            ("alice@contoso.com", "alicia@contoso.com"),
        ] {
            assert!(!confusable(a, b), "{a} {b}");
            assert!(!confusable(b, a), "{b} {a}");
        }
        // The same name in any case looks like itself (labels are refused on this).
        assert!(looks_alike("BG01-A", "bg01-a"));
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
