//! Look-alike sites and accounts (DESIGN §3.8): an RP ID or user name that is not the real one
//! but renders like it — `login.micrоsoft.com` with a Cyrillic "о", a UPN with "l" for "1" —
//! or that mixes scripts or hides characters. Confusability is the UTS 39 skeleton
//! (`unicode-security`) of the name as seen (IDN labels decoded, combining marks and hidden
//! characters dropped, small capitals folded), compared in any case (see [`looks_alike`]); mixed scripts are judged per domain label
//! and per local part, as browsers judge IDNs, so a name written wholly in one script passes.

use std::borrow::Cow;

use unicode_normalization::char::is_combining_mark;
use unicode_security::{skeleton, MixedScript};

use super::finding::Finding;
use super::rules;
use crate::inventory::model::{Inventory, KeyEntry, Observation, DEFAULT_RP_ID};
use crate::untrusted::{has_hidden, is_hidden, visible};

/// An IDN label in its ASCII form (`xn--…`, as browsers store RP IDs) decoded to what it
/// shows; a label that does not decode is kept as written.
fn decode_label(label: &str) -> Cow<'_, str> {
    match label.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("xn--") => {
            idna::punycode::decode_to_string(&label[4..])
                .filter(|decoded| !decoded.is_empty())
                .map_or(Cow::Borrowed(label), Cow::Owned)
        }
        _ => Cow::Borrowed(label),
    }
}

/// `s` with each IDN label of its domains (split at '.' and '@') decoded.
fn decode_idn(s: &str) -> String {
    s.split('@')
        .map(|part| {
            part.split('.')
                .map(decode_label)
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect::<Vec<_>>()
        .join("@")
}

/// Phonetic letters (IPA and phonetic extensions, where the Latin small capitals live) that
/// the UTS 39 skeleton leaves alone, such as "ʟ" U+029F and "ᴏ" U+1D0F, folded to the Latin
/// letter they render like.
fn fold_phonetic(c: char) -> Cow<'static, str> {
    let phonetic = matches!(u32::from(c), 0x0250..=0x02AF | 0x1D00..=0x1DBF);
    match deunicode::deunicode_char(c) {
        Some(latin)
            if phonetic && !latin.is_empty() && latin.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            Cow::Borrowed(latin)
        }
        _ => Cow::Owned(c.to_string()),
    }
}

/// `s` as a reader sees it: IDN labels decoded, hidden characters dropped (they render as
/// nothing), blanks and a closing dot trimmed (unseen, or read as the same domain), phonetic
/// letters folded.
fn as_seen(s: &str) -> String {
    let decoded = decode_idn(s);
    let shown: String = decoded.chars().filter(|&c| !is_hidden(c)).collect();
    let trimmed = shown.trim().trim_end_matches('.').trim_end();
    trimmed.chars().map(fold_phonetic).collect()
}

/// The UTS 39 skeleton (taken on the NFD string, as `skeleton` does) without combining marks:
/// "i" + U+0307 and overlay marks render like the bare letter.
fn shape(s: &str) -> String {
    skeleton(s).filter(|&c| !is_combining_mark(c)).collect()
}

/// How `s` looks as written, in lower case and in capitals: a name read without regard to case
/// may be shown in any of them ("LOGIN.MICROSOFT.COM" has "I" where "login" has "i", and "I"
/// renders like "l"; Cyrillic "в" renders like no "b", but its capital "В" is a "B").
fn looks(s: &str) -> [String; 3] {
    let seen = as_seen(s);
    [
        shape(&seen),
        shape(&seen.to_lowercase()),
        shape(&seen.to_uppercase()),
    ]
}

/// Whether `a` and `b` render alike: equal strings and case variants included. Each as written
/// is compared with the other in any case, and both in lower case and both in capitals; a
/// match only between one in capitals and the other in lower case ("KAI" and "kal": "I" and
/// "l") is none. RP IDs, UPNs and key labels are all compared with it.
pub fn looks_alike(a: &str, b: &str) -> bool {
    let (a, b) = (looks(a), looks(b));
    b.contains(&a[0]) || a.contains(&b[0]) || a[1] == b[1] || a[2] == b[2]
}

/// Two different names that render alike. Names equal but for ASCII case are the same name
/// (RP IDs and UPNs ignore case); any other case mapping, such as the Kelvin sign "K" (U+212A)
/// for "k", is a disguise.
pub fn confusable(a: &str, b: &str) -> bool {
    !a.eq_ignore_ascii_case(b) && looks_alike(a, b)
}

/// Whether some label of a domain or UPN (split at '.' and '@') mixes scripts.
pub fn mixes_scripts(s: &str) -> bool {
    decode_idn(s)
        .split(['.', '@'])
        .any(|label| !label.is_empty() && !label.is_single_script())
}

/// The non-ASCII characters of `s` by code point, so a report says what the eye cannot see;
/// for an IDN in its ASCII form, what it decodes to first.
pub fn non_ascii(s: &str) -> String {
    let decoded = decode_idn(s);
    let reads_as = if decoded == s {
        String::new()
    } else {
        format!(" (reads as {})", visible(&decoded))
    };
    let s = decoded.as_str();
    let mut points: Vec<String> = s
        .chars()
        .filter(|c| !c.is_ascii())
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect();
    points.dedup();
    if points.is_empty() {
        reads_as
    } else {
        format!("{reads_as} (non-ASCII: {})", points.join(" "))
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

    const REAL: &str = "login.microsoft.com";

    /// HOSTILE-8 F1: IDNs arrive in their ASCII form; `xn--micrsoft-qbh` is "micrоsoft" with
    /// a Cyrillic "о", and is judged as what it decodes to.
    #[test]
    fn punycode_labels_are_judged_as_what_they_decode_to() {
        assert!(confusable("login.xn--micrsoft-qbh.com", REAL));
        assert!(confusable("LOGIN.XN--MICRSOFT-QBH.COM", REAL));
        assert!(mixes_scripts("login.xn--micrsoft-qbh.com"));
        assert!(confusable(
            &format!("bg-01@{}.onmicrosoft.com", to_ascii_label("c\u{43e}ntoso")),
            "bg-01@contoso.onmicrosoft.com"
        ));
        // A label that only starts like punycode, or does not decode, is kept as written.
        assert!(!confusable("xn--.example.com", REAL));
        // A real IDN in one script ("münchen") is neither.
        assert!(!mixes_scripts("login.xn--mnchen-3ya.de"));
        assert!(!confusable("login.xn--mnchen-3ya.de", REAL));
    }

    fn to_ascii_label(label: &str) -> String {
        format!("xn--{}", idna::punycode::encode_str(label).unwrap())
    }

    /// HOSTILE-8 F2: a combining mark over a letter (UTS 39's own example, "i" + U+0307, and
    /// Turkish "İ", which lower-cases to it) or an overlay mark renders like the bare letter.
    #[test]
    fn combining_marks_do_not_hide_a_look_alike() {
        for rp in [
            "logi\u{307}n.microsoft.com",
            "LOG\u{130}N.microsoft.com",
            "login.micro\u{335}soft.com",
            "login.microsoft.co\u{332}m",
        ] {
            assert!(confusable(rp, REAL), "{rp:?}");
        }
        assert!(confusable("admi\u{307}n@contoso.com", "admin@contoso.com"));
    }

    /// HOSTILE-8 F10: Latin small capitals (phonetic letters the skeleton leaves alone) and a
    /// trailing blank or dot, which the eye does not see.
    #[test]
    fn small_capitals_and_trailing_blanks_or_dots_are_look_alikes() {
        for rp in [
            "\u{29f}\u{1d0f}\u{262}\u{26a}\u{274}.microsoft.com",
            "login.microsoft.c\u{1d0f}\u{1d0d}",
            "login.microsoft.com.",
            "login.microsoft.com ",
        ] {
            assert!(confusable(rp, REAL), "{rp:?}");
        }
        for user in [
            "\u{299}\u{262}-02@contoso.com",
            "bg-02@contoso.com ",
            "bg-02@contoso.com.",
        ] {
            assert!(confusable(user, "bg-02@contoso.com"), "{user:?}");
        }
    }

    /// HOSTILE-8 F11: "I" renders like "l" only when the other name shows an "l" where this
    /// one, in capitals, shows an "I": names that match only by putting one in capitals and
    /// the other in lower case are not alike.
    #[test]
    fn names_alike_only_across_cases_are_not_look_alikes() {
        for (a, b) in [
            ("kai@contoso.com", "kal@contoso.com"),
            ("ali@contoso.com", "all@contoso.com"),
            ("mia@contoso.com", "mla@contoso.com"),
            ("emil@contoso.com", "emii@contoso.com"),
            ("nils@contoso.com", "nlls@contoso.com"),
            ("li.wei@contoso.com", "ii.wei@contoso.com"),
        ] {
            assert!(!confusable(a, b), "{a} {b}");
            assert!(!confusable(b, a), "{b} {a}");
        }
        // Written in capitals against the real name: "I" shown where "l" is, and the reverse.
        assert!(confusable("LOGlN.MICROSOFT.COM", REAL));
        assert!(confusable("bg-0I@contoso.com", "bg-01@contoso.com"));
    }
}
