//! AAGUIDs as the export and the inventory spell them. Graph writes them dashed and lower case,
//! but policies are edited by people and tools: a block list holding `{BD9F…}` or the 32 bare
//! digits must block the same model an allow list admits. Every spelling is read into the 16
//! bytes, and anything that is not 32 hex digits is refused (with the JSON path) rather than
//! compared as text and silently never matching.

use std::fmt;

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aaguid(pub [u8; 16]);

impl Aaguid {
    /// Dashed or not, in braces or not, any case, surrounding blanks ignored.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let inner = trimmed
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(trimmed);
        let digits: String = inner.chars().filter(|&c| c != '-').collect();
        let mut bytes = [0u8; 16];
        match hex::decode_to_slice(&digits, &mut bytes) {
            Ok(()) => Ok(Self(bytes)),
            Err(_) => Err(format!("{text:?} is not an AAGUID (32 hex digits)")),
        }
    }
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

impl<'de> Deserialize<'de> for Aaguid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::method::read_str(d, Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_as_the_same_bytes() {
        let want = Aaguid::parse("bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9").unwrap();
        for s in [
            "bd9fcb83c61349c5bb7ca9f7f7dc3be9",
            "{BD9FCB83-C613-49C5-BB7C-A9F7F7DC3BE9}",
            "  BD9FCB83C61349C5BB7CA9F7F7DC3BE9 ",
        ] {
            assert_eq!(Aaguid::parse(s), Ok(want), "{s}");
        }
        assert_eq!(want.to_string(), "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9");
        for bad in [
            "",
            "bd9fcb83",
            "{bd9fcb83c61349c5bb7ca9f7f7dc3be9",
            "zz9fcb83c61349c5bb7ca9f7f7dc3be9",
            "bd9fcb83c61349c5bb7ca9f7f7dc3be900",
        ] {
            assert!(Aaguid::parse(bad).is_err(), "{bad}");
        }
    }
}
