//! Secrets that must never reach logs, Debug output or argv (DESIGN §3.3).

use zeroize::Zeroizing;

/// A PIN as typed by the custodian. Zeroized on drop, redacted in Debug.
#[derive(Clone)]
pub struct Pin(Zeroizing<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinFormatError {
    #[error("a PIN needs at least 4 characters")]
    TooShort,
    #[error("a PIN may be at most 63 bytes long")]
    TooLong,
    #[error("no PIN was given")]
    Empty,
}

impl Pin {
    /// Accepts a PIN as CTAP allows it: at least 4 Unicode code points, at most 63 UTF-8 bytes.
    pub fn new(pin: Zeroizing<String>) -> Result<Self, PinFormatError> {
        let count = pin.chars().count();
        if count == 0 {
            Err(PinFormatError::Empty)
        } else if count < 4 {
            Err(PinFormatError::TooShort)
        } else if pin.len() > 63 {
            Err(PinFormatError::TooLong)
        } else {
            Ok(Self(pin))
        }
    }

    /// Reads a PIN from the first line of a reader (for `--pin-stdin`), dropping the newline.
    pub fn from_reader(mut reader: impl std::io::BufRead) -> Result<Self, PinFormatError> {
        let mut line = Zeroizing::new(String::new());
        if reader.read_line(&mut line).is_err() {
            return Err(PinFormatError::Empty);
        }
        let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        Self::new(trimmed)
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a PIN is too easy to guess, if it is: one character repeated ("111111"), or a run of
/// consecutive characters up or down ("123456", "987654", "abcdef").
pub fn trivial_reason(pin: &Pin) -> Option<&'static str> {
    let chars: Vec<u32> = pin.expose().chars().map(u32::from).collect();
    if chars.windows(2).all(|w| w[0] == w[1]) {
        return Some("it repeats one character");
    }
    if chars.windows(2).all(|w| w[1] == w[0] + 1) || chars.windows(2).all(|w| w[0] == w[1] + 1) {
        return Some("it is a sequence like 1234");
    }
    None
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivial_pins_are_recognised() {
        let p = |s: &str| Pin::new(Zeroizing::new(s.into())).unwrap();
        assert!(trivial_reason(&p("111111")).is_some());
        assert!(trivial_reason(&p("123456")).is_some());
        assert!(trivial_reason(&p("987654")).is_some());
        assert!(trivial_reason(&p("abcdef")).is_some());
        assert_eq!(trivial_reason(&p("135790")), None);
        assert_eq!(trivial_reason(&p("112233")), None);
        assert_eq!(trivial_reason(&p("Kq7!mZ2p")), None);
    }

    #[test]
    fn debug_never_shows_the_pin() {
        let pin = Pin::new(Zeroizing::new("493817".into())).unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
    }

    #[test]
    fn length_rules_follow_ctap() {
        assert_eq!(
            Pin::new(Zeroizing::new("123".into())).unwrap_err(),
            PinFormatError::TooShort
        );
        assert!(Pin::new(Zeroizing::new("1234".into())).is_ok());
        assert!(Pin::new(Zeroizing::new("a".repeat(63))).is_ok());
        assert_eq!(
            Pin::new(Zeroizing::new("a".repeat(64))).unwrap_err(),
            PinFormatError::TooLong
        );
        // Four code points, but eight bytes: allowed.
        assert!(Pin::new(Zeroizing::new("éééé".into())).is_ok());
        let from_stdin = Pin::from_reader("246810\n".as_bytes()).unwrap();
        assert_eq!(from_stdin.as_bytes(), b"246810");
    }
}
