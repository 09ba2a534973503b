//! When are two storage locations the same place? "Safe 1, HQ", "safe 1,  HQ" and "Ｓａｆｅ 1, HQ"
//! are one safe: locations compare after Unicode compatibility normalisation (NFKC), full case
//! folding, removal of invisible format characters, and collapse of whitespace runs.

use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing (zero-width spaces and joiners, soft hyphen, BOM).
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// The form in which two locations are compared (NFKC_Casefold order: NFKD, fold, NFKC).
pub fn comparable(location: &str) -> String {
    let decomposed: String = location.nfkd().filter(|c| !invisible(*c)).collect();
    let folded = caseless::default_case_fold_str(&decomposed);
    let composed: String = folded.nfkc().collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::comparable;

    #[test]
    fn spacing_case_width_and_composition_do_not_make_another_place() {
        let base = comparable("Safe 1, HQ");
        for same in [
            "Safe 1,  HQ",
            " safe 1, hq ",
            "SAFE 1,\tHQ",
            "Ｓａｆｅ １, HQ",
            "Safe\u{00A0}1, HQ",
            "Safe 1,\u{200B} HQ",
        ] {
            assert_eq!(comparable(same), base, "{same:?}");
        }
        assert_eq!(comparable("Tresor Straße"), comparable("TRESOR STRASSE"));
        assert_eq!(comparable("Caf\u{00E9}"), comparable("Cafe\u{0301}"));
        assert_ne!(comparable("Safe 1, HQ"), comparable("Safe 2, HQ"));
    }
}
