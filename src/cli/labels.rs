//! A key's label is how the admin names it in `LABEL=PIN` lines, on sheets and in the history:
//! it must be typeable and unmistakable (HOSTILE-4 finding 8). Hidden characters are refused by
//! `inventory_cmd::typed_text` before this runs.

use super::error::CliError;
use crate::audit::location::comparable;
use crate::audit::lookalike::looks_alike;
use crate::inventory::Inventory;
use crate::untrusted::Shown;

/// Longer labels stop fitting a sheet's column and a person's memory.
const MAX_LABEL_CHARS: usize = 64;

/// Refuses a label that is empty, padded with blanks, too long, holds `=` (a PIN line would
/// split there), is digits only in any script or width (it reads as a serial), equals an
/// enrolled key's serial, or looks like an enrolled key's label (case, width, spacing or
/// look-alike letters aside).
pub fn check_new_label(label: &str, inv: &Inventory) -> Result<(), CliError> {
    let refuse = |why: String| {
        Err(CliError::usage(format!(
            "--label {} {why}; nothing was written",
            Shown(label)
        )))
    };
    if label.trim().is_empty() {
        return refuse("is empty: give the key a name (e.g. BG01-A)".into());
    }
    if label.trim() != label {
        return refuse("has leading or trailing blanks: type it without them".into());
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return refuse(format!("is longer than {MAX_LABEL_CHARS} characters"));
    }
    if label.contains('=') {
        return refuse("contains '=', which PIN lines (LABEL=PIN) split at: choose another".into());
    }
    // Compared as a person reads them: case, width and compatibility forms folded (NFKC), and
    // for labels also spacing and look-alike letters (see `compact`).
    let wanted = comparable(label);
    if wanted.chars().all(char::is_numeric) {
        return refuse(
            "is digits only: a PIN line would read it as a serial number; add a letter (e.g. BG-2002)"
                .into(),
        );
    }
    let compact_label = compact(label);
    for k in &inv.keys {
        if looks_alike(&compact(&k.label), &compact_label) {
            return refuse(format!(
                "looks like {}, already in the inventory: choose a label that differs in more than case, width or spacing",
                Shown(&k.label)
            ));
        }
        let serials = [k.vendor_serial.map(|s| s.to_string()), k.usb_serial.clone()];
        if serials.iter().flatten().any(|s| comparable(s) == wanted) {
            return refuse(format!(
                "is the serial number of {}: a PIN line naming it would be ambiguous",
                Shown(&k.label)
            ));
        }
    }
    Ok(())
}

/// A label as it is compared: compatibility forms folded (NFKC) and spacing removed; then
/// `lookalike::looks_alike` compares two as RP IDs and UPNs are (UTS 39 skeleton, case fold,
/// skeleton, in any case), so "ВG01-А" in Cyrillic capitals looks like "bg01-a".
fn compact(label: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    label.nfkc().filter(|c| !c.is_whitespace()).collect()
}
