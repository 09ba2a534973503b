//! Text from outside is data (DESIGN §3.8): user names, RP IDs, USB and getInfo strings from a
//! key, and every string in an inventory or an export are shown with their control, escape,
//! bidi and invisible characters made visible (`\n`, `\u{1b}`, `\u{202e}`), so that no such
//! string can move the cursor, clear the screen, set the clipboard (OSC 52), reorder a line or
//! hide a character — on a terminal, in a log line or in a sheet.
//!
//! Backslashes are left as they are, so escaping twice changes nothing; a literal `\u{202e}`
//! typed into a name can only look more suspicious than it is, never less.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

/// Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt, Unicode 15): bidi
/// controls, zero-width characters, fillers, variation selectors and tags, which render as
/// nothing or change how other characters render; plus the Egyptian hieroglyph format controls
/// (U+13430-U+1343F, format characters that render as nothing) and U+2800 BRAILLE PATTERN
/// BLANK, which renders as a blank but is no space.
const INVISIBLE: &[(char, char)] = &[
    ('\u{ad}', '\u{ad}'),
    ('\u{34f}', '\u{34f}'),
    ('\u{61c}', '\u{61c}'),
    ('\u{115f}', '\u{1160}'),
    ('\u{17b4}', '\u{17b5}'),
    ('\u{180b}', '\u{180f}'),
    ('\u{200b}', '\u{200f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2060}', '\u{206f}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{feff}', '\u{feff}'),
    ('\u{ffa0}', '\u{ffa0}'),
    ('\u{fff0}', '\u{fff8}'),
    ('\u{13430}', '\u{1343f}'),
    ('\u{1bca0}', '\u{1bca3}'),
    ('\u{1d173}', '\u{1d17a}'),
    ('\u{e0000}', '\u{e0fff}'),
];

/// Whether `c` must never reach an output as itself: C0 and C1 controls (ESC starts every
/// terminal escape sequence; U+009B is a one-character CSI), DEL, the line and paragraph
/// separators, interlinear annotation marks, and the invisible characters above.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fff9}'..='\u{fffb}')
        || INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            use fmt::Write as _;
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// `s` with every hidden character written as a visible escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hidden(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The first hidden character of `s`, if any.
pub fn first_hidden(s: &str) -> Option<char> {
    s.chars().find(|&c| is_hidden(c))
}

/// Whether `s` holds any hidden character.
pub fn has_hidden(s: &str) -> bool {
    s.chars().any(is_hidden)
}

/// Displays outside text with hidden characters escaped; honours width and alignment
/// (`{:<14}`), so it drops into any text renderer's `format!`.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&visible(self.0))
    }
}

/// `.shown()` on any outside string, for text renderers.
pub trait ShowOutside {
    fn shown(&self) -> Shown<'_>;
}

impl ShowOutside for str {
    fn shown(&self) -> Shown<'_> {
        Shown(self)
    }
}

impl ShowOutside for String {
    fn shown(&self) -> Shown<'_> {
        Shown(self)
    }
}

/// A file path for a text renderer: a path is outside text too (a directory name can hold a
/// newline or an escape sequence), so its hidden characters are escaped like any other.
pub fn shown_path(path: &std::path::Path) -> String {
    visible(&path.to_string_lossy()).into_owned()
}

/// An optional outside string, or `default` (glasskey's own words) when absent.
pub fn shown_or<'a>(s: Option<&'a str>, default: &'a str) -> Shown<'a> {
    Shown(s.unwrap_or(default))
}

/// How a [`VisibleWriter`] writes a hidden character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Human text: `\u{1b}`; newlines pass, because the renderer writes its own lines and
    /// escapes every outside string it interpolates with [`Shown`].
    Text,
    /// JSON: `\u001b`, a JSON string escape with the same value (serde_json leaves DEL, C1
    /// controls, bidi and invisible characters raw). Such characters only ever occur inside
    /// JSON strings, so the document stays valid and decodes to the same data.
    Json,
}

/// A writer that escapes every hidden character on its way out: the last line of defence for
/// everything a command prints, whichever renderer produced it.
pub struct VisibleWriter<W: Write> {
    inner: W,
    mode: Escape,
    /// The start of a UTF-8 sequence split across two writes.
    pending: Vec<u8>,
}

impl<W: Write> VisibleWriter<W> {
    pub fn new(inner: W, mode: Escape) -> Self {
        Self {
            inner,
            mode,
            pending: Vec::new(),
        }
    }

    fn escape_into(&self, text: &str, out: &mut String) {
        escape_into(self.mode, text, out);
    }
}

fn escape_into(mode: Escape, text: &str, out: &mut String) {
    for c in text.chars() {
        // JSON: C0 controls inside strings are escaped by serde_json already, so any left are
        // the document's own whitespace.
        let passes = match mode {
            Escape::Text => c == '\n',
            Escape::Json => c < ' ',
        };
        if !is_hidden(c) || passes {
            out.push(c);
            continue;
        }
        match mode {
            Escape::Text => push_escape(out, c),
            Escape::Json => {
                use fmt::Write as _;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
}

/// `value` as pretty JSON with every hidden character JSON-escaped, ending in a newline.
pub fn json_pretty<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let raw = serde_json::to_string_pretty(value)?;
    let mut out = String::with_capacity(raw.len() + 1);
    escape_into(Escape::Json, &raw, &mut out);
    out.push('\n');
    Ok(out)
}

impl<W: Write> Write for VisibleWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        let mut out = String::with_capacity(bytes.len());
        let mut rest: &[u8] = &bytes;
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.escape_into(text, &mut out);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    self.escape_into(&String::from_utf8_lossy(valid), &mut out);
                    match e.error_len() {
                        // An incomplete sequence at the end: wait for the next write.
                        None => {
                            rest = after;
                            break;
                        }
                        Some(n) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = after.get(n..).unwrap_or_default();
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.inner
                .write_all(String::from_utf8_lossy(&pending).as_bytes())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for VisibleWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_escape_sequences_bidi_and_zero_width() {
        assert_eq!(visible("plain ünïcødé 🚨"), "plain ünïcødé 🚨");
        assert_eq!(
            visible("a\nb\r\t\u{1b}[2J\u{1b}]52;c;eA==\u{7}\u{9b}"),
            "a\\nb\\r\\t\\u{1b}[2J\\u{1b}]52;c;eA==\\u{7}\\u{9b}"
        );
        assert_eq!(
            visible("x\u{202e}y\u{200b}z\u{2066}\u{feff}\u{e0041}"),
            "x\\u{202e}y\\u{200b}z\\u{2066}\\u{feff}\\u{e0041}"
        );
        // Idempotent: an escaped string has nothing left to escape.
        let once = visible("\u{1b}[31m\u{202e}").into_owned();
        assert_eq!(visible(&once), once);
        assert_eq!(format!("[{:<6}]", Shown("a\nb")), "[a\\nb  ]");
    }

    #[test]
    fn the_writer_escapes_across_split_writes_and_keeps_json_valid() {
        let mut out = Vec::new();
        {
            let mut w = VisibleWriter::new(&mut out, Escape::Text);
            let bytes = "line one\n\u{202e}end\u{1b}".as_bytes();
            // Split inside the three bytes of U+202E.
            w.write_all(&bytes[..10]).unwrap();
            w.write_all(&bytes[10..]).unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "line one\n\\u{202e}end\\u{1b}"
        );

        let value = serde_json::json!({ "user": "a\u{202e}b\u{7f}\u{9b}\u{e0041}" });
        let mut out = Vec::new();
        {
            let mut w = VisibleWriter::new(&mut out, Escape::Json);
            serde_json::to_writer_pretty(&mut w, &value).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| c >= ' ' && is_hidden(c)), "{text}");
        assert!(text.contains("\\u202e"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
