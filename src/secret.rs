//! Secrets that must never reach logs, Debug output or argv (DESIGN §3.3).

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// The longest line glasskey reads as a PIN (a 63-byte PIN, a key name, a separator).
pub const MAX_PIN_LINE: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("a line is longer than {0} bytes")]
    TooLong(usize),
    #[error("a line is not UTF-8")]
    NotUtf8,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads one line of at most `max` bytes (newline and a CR before it dropped) into zeroizing
/// memory; `None` at end of input. Reading stops at `max + 1` bytes, so a hostile or mistaken
/// stdin cannot make glasskey hold more.
pub fn read_line_bounded(
    reader: impl std::io::BufRead,
    max: usize,
) -> Result<Option<Zeroizing<String>>, LineError> {
    let mut buf = Zeroizing::new(Vec::with_capacity(max + 1));
    let limit = u64::try_from(max + 1).unwrap_or(u64::MAX);
    let read = std::io::BufRead::read_until(&mut reader.take(limit), b'\n', &mut buf)?;
    if read == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() > max {
        return Err(LineError::TooLong(max));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    let text = std::str::from_utf8(&buf).map_err(|_| LineError::NotUtf8)?;
    Ok(Some(Zeroizing::new(text.to_owned())))
}

/// Makes the process non-dumpable (Linux): no core file and no same-user ptrace can read a
/// PIN out of its memory. Done once, when the first PIN enters memory, for the rest of the run.
fn protect_process() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes no pointers and only changes a flag of
            // this process.
            unsafe {
                libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
            }
        });
    }
}

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
    #[error("the PIN starts or ends with a space or other blank: type it without them")]
    SurroundingWhitespace,
    #[error("the PIN contains a NUL character")]
    Nul,
    #[error("the PIN contains a byte-order mark (U+FEFF), often left by an editor: remove it")]
    ByteOrderMark,
    #[error("the PIN contains a control or invisible character (a carriage return from CR line ends, an escape, a zero-width space...): give one PIN per line, ended by a newline")]
    Hidden,
}

/// Characters nobody types into a PIN: controls (a CR left by CR line ends, an escape), line
/// and paragraph separators, bidi controls and the zero-width space. Joiners and variation
/// selectors stay allowed: they are part of emoji and of some scripts' words (HOSTILE-9 N3).
fn never_in_a_pin(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

impl Pin {
    /// Accepts a PIN as CTAP requires it (CTAP 2.1 §6.5.1): Unicode NFC, at least 4 code points,
    /// at most 63 UTF-8 bytes. Refuses what is almost certainly a mistake rather than the PIN
    /// (surrounding blanks, NUL, a byte-order mark), before anything reaches a key.
    pub fn new(pin: Zeroizing<String>) -> Result<Self, PinFormatError> {
        if pin.is_empty() {
            return Err(PinFormatError::Empty);
        }
        if pin.starts_with(char::is_whitespace) || pin.ends_with(char::is_whitespace) {
            return Err(PinFormatError::SurroundingWhitespace);
        }
        if pin.contains('\0') {
            return Err(PinFormatError::Nul);
        }
        if pin.contains('\u{FEFF}') {
            return Err(PinFormatError::ByteOrderMark);
        }
        // Control, format and separator characters are never typed into a PIN: a CR left by
        // CR line ends would make the next line's PIN part of this one.
        if pin.chars().any(never_in_a_pin) {
            return Err(PinFormatError::Hidden);
        }
        // "é" typed as e + combining accent on one system and as one code point on another
        // must be the same PIN to the key.
        let mut normalized = Zeroizing::new(String::with_capacity(pin.len()));
        normalized.extend(pin.nfc());
        drop(pin);
        if normalized.chars().count() < 4 {
            Err(PinFormatError::TooShort)
        } else if normalized.len() > 63 {
            Err(PinFormatError::TooLong)
        } else {
            protect_process();
            Ok(Self(normalized))
        }
    }

    /// Reads a PIN from the first line of a reader, dropping the newline. At most 256 bytes are
    /// read, and the buffer that held them is zeroized.
    pub fn from_reader(reader: impl std::io::BufRead) -> Result<Self, PinFormatError> {
        match read_line_bounded(reader, MAX_PIN_LINE) {
            Ok(Some(line)) => Self::new(line),
            _ => Err(PinFormatError::Empty),
        }
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

    #[test]
    fn pins_are_nfc_and_mistakes_are_refused() {
        let p = |s: &str| Pin::new(Zeroizing::new(s.into()));
        // "café1" typed decomposed (e + U+0301) and precomposed is the same PIN.
        let nfd = p("cafe\u{301}1").unwrap();
        let nfc = p("caf\u{e9}1").unwrap();
        assert_eq!(nfd.as_bytes(), nfc.as_bytes());
        assert_eq!(nfd.as_bytes(), "caf\u{e9}1".as_bytes());
        assert_eq!(
            p(" 123456").unwrap_err(),
            PinFormatError::SurroundingWhitespace
        );
        assert_eq!(
            p("123456\t").unwrap_err(),
            PinFormatError::SurroundingWhitespace
        );
        assert_eq!(p("12\u{0}3456").unwrap_err(), PinFormatError::Nul);
        assert_eq!(
            p("\u{FEFF}123456").unwrap_err(),
            PinFormatError::ByteOrderMark
        );
        assert!(p("12 3456").is_ok(), "inner spaces are part of the PIN");
    }

    /// HOSTILE-7 F1, F6: a carriage return left inside a line (CR line ends), an escape, a
    /// vertical tab, a line separator or a zero-width space is no part of a PIN anyone typed.
    #[test]
    fn control_and_invisible_characters_are_refused() {
        let p = |s: &str| Pin::new(Zeroizing::new(s.into()));
        for pin in [
            "583920\r583920",
            "58\u{1b}3920",
            "58\u{b}3920",
            "58\u{2028}3920",
            "58\u{85}3920",
            "58\u{200b}3920",
            "58\u{202e}3920",
        ] {
            assert_eq!(
                p(pin).unwrap_err(),
                PinFormatError::Hidden,
                "{:?}",
                pin.escape_debug().to_string()
            );
        }
        assert!(p("caf\u{e9}-1 2").is_ok());
        // Emoji with a variation selector or a zero-width joiner are typed, and stay PINs.
        assert!(p("\u{2764}\u{fe0f}1234").is_ok());
        assert!(p("\u{1f469}\u{200d}\u{1f4bb}12").is_ok());
    }

    #[test]
    fn stdin_lines_are_bounded() {
        let long = "1".repeat(MAX_PIN_LINE + 10);
        assert!(matches!(
            read_line_bounded(long.as_bytes(), MAX_PIN_LINE),
            Err(LineError::TooLong(_))
        ));
        let line = read_line_bounded("135790\r\nrest".as_bytes(), MAX_PIN_LINE)
            .unwrap()
            .unwrap();
        assert_eq!(line.as_str(), "135790");
        assert!(read_line_bounded("".as_bytes(), MAX_PIN_LINE)
            .unwrap()
            .is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pin_in_memory_makes_the_process_non_dumpable() {
        let _pin = Pin::new(Zeroizing::new("493817".into())).unwrap();
        // SAFETY: PR_GET_DUMPABLE reads a flag of this process.
        let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
        assert_eq!(dumpable, 0);
    }
}
