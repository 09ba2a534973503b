//! PINs bound to the key they are for (DESIGN §3.7).
//!
//! With `--pin-stdin` each line holds one PIN. When several keys need a PIN in one run, each
//! line names its key: `NAME=PIN` or `NAME<TAB>PIN`, where NAME is the key's inventory label or
//! its serial number (as `glasskey list` shows it). A line is read as named only when the text
//! before the first `=` or tab is the label or serial of a key in this run; a line whose name
//! part names no key is refused (nothing is sent), and a line that starts with `=` is an unnamed
//! PIN that may itself hold `=`. A line without a separator is an unnamed PIN. An unnamed line is accepted only when exactly one key needs a PIN. A PIN is
//! never offered to a key other than the one its line names.

use zeroize::Zeroizing;

use super::error::CliError;
use crate::device::{Key, KeyFacts};
use crate::secret::{read_line_bounded, Pin, MAX_PIN_LINE};

/// No run needs more PIN lines than this (two per key for a change, a few dozen keys at most);
/// reading stops there, so stdin cannot make glasskey hold unbounded input.
pub const MAX_PIN_LINES: usize = 64;

/// One key that may be given a PIN: how a person and a stdin line can name it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PinTarget {
    pub label: Option<String>,
    pub serials: Vec<String>,
    /// How glasskey reached the key (`--device` form): its name when it has no label or serial.
    pub device: Option<String>,
}

impl PinTarget {
    pub fn from_facts(facts: &KeyFacts, label: Option<&str>) -> Self {
        let mut serials = Vec::new();
        if let Some(s) = facts.vendor_serial {
            serials.push(s.to_string());
        }
        if let Some(s) = &facts.usb_serial {
            serials.push(s.clone());
        }
        Self {
            label: label.map(str::to_owned),
            serials,
            device: Some(facts.device.clone()),
        }
    }

    /// The key at hand, read from its facts.
    pub fn of(key: &mut Key, label: Option<&str>) -> Result<Self, CliError> {
        Ok(Self::from_facts(&key.facts()?, label))
    }

    fn is_named(&self, name: &str) -> bool {
        self.label.as_deref() == Some(name)
            || self.serials.iter().any(|s| s.eq_ignore_ascii_case(name))
    }

    /// `error` from a PIN step on this key, naming the key: with several keys (or a look-alike
    /// beside the genuine one) the admin must know which key refused or was refused a PIN.
    pub fn name_in(&self, error: impl Into<CliError>) -> CliError {
        error.into().about(&self.describe())
    }

    /// "BG01-A (serial 31337001)", "the key with serial 31337001", its device path (a key
    /// without a serial, e.g. "udp:127.0.0.1:9701"), or "the key" when even that is unknown.
    /// The label comes from the inventory and the serial from the key: both are shown with
    /// hidden characters escaped, since the prompt goes straight to the terminal (DESIGN §3.8).
    pub fn describe(&self) -> String {
        use crate::untrusted::Shown;
        let serial = self.serials.first();
        match (&self.label, serial) {
            (Some(l), Some(s)) => format!("{} (serial {})", Shown(l), Shown(s)),
            (Some(l), None) => Shown(l).to_string(),
            (None, Some(s)) => format!("the key with serial {}", Shown(s)),
            (None, None) => self
                .device
                .as_deref()
                .map_or_else(|| "the key".into(), |d| Shown(d).to_string()),
        }
    }
}

/// The keys of one run that PIN lines may name, and how many of them need a PIN.
#[derive(Debug, Clone, Default)]
pub struct PinRun {
    targets: Vec<PinTarget>,
    keys: usize,
    pub keys_needing_pin: usize,
}

impl PinRun {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a PinTarget>, keys_needing_pin: usize) -> Self {
        let targets: Vec<PinTarget> = keys.into_iter().cloned().collect();
        Self {
            keys: targets.len(),
            targets,
            keys_needing_pin,
        }
    }

    /// A run with this one key.
    pub fn single(target: &PinTarget) -> Self {
        Self::new([target], 1)
    }

    /// Splits `NAME=PIN` / `NAME<TAB>PIN`. A line with a separator must name a key of this
    /// run (or start with the separator, for an unnamed PIN that itself holds `=` or a tab):
    /// read as a PIN, `P1=111111` for a key labelled otherwise would spend a retry.
    fn split(
        &self,
        number: usize,
        line: Zeroizing<String>,
    ) -> Result<(Option<String>, Zeroizing<String>), CliError> {
        let Some(at) = line.find(['\t', '=']) else {
            return Ok((None, line));
        };
        let rest = Zeroizing::new(line[at + 1..].to_owned());
        let name = line[..at].trim();
        if name.is_empty() {
            return Ok((None, rest));
        }
        // The same test `take` uses, so a line read as named is one some key will take.
        if self.targets.iter().any(|t| t.is_named(name)) {
            return Ok((Some(name.to_owned()), rest));
        }
        Err(CliError::usage(format!(
            "line {number} on stdin names {}, which is no key of this run (name a key by its inventory label or serial; for a PIN that holds '=' or a tab, start the line with '='); no PIN was sent",
            crate::untrusted::visible(name)
        )))
    }
}

struct PinLine {
    number: usize,
    name: Option<String>,
    pin: Pin,
}

/// PIN lines read so far from a reader, handed out to the keys they name.
pub struct PinLines {
    reader: Box<dyn std::io::BufRead>,
    read: usize,
    /// Named lines read while looking for another key's line.
    waiting: Vec<PinLine>,
}

impl PinLines {
    pub fn new(reader: Box<dyn std::io::BufRead>) -> Self {
        Self {
            reader,
            read: 0,
            waiting: Vec::new(),
        }
    }

    fn next_line(&mut self, run: &PinRun) -> Result<Option<PinLine>, CliError> {
        if self.read >= MAX_PIN_LINES {
            return Err(CliError::usage(format!(
                "more than {MAX_PIN_LINES} lines on stdin: give one PIN line per key"
            )));
        }
        let line = read_line_bounded(&mut self.reader, MAX_PIN_LINE)
            .map_err(|e| CliError::usage(format!("cannot read a PIN from stdin: {e}")))?;
        let Some(line) = line else {
            return Ok(None);
        };
        self.read += 1;
        let number = self.read;
        let (name, text) = run.split(number, line)?;
        let pin =
            Pin::new(text).map_err(|e| CliError::usage(format!("line {number} on stdin: {e}")))?;
        Ok(Some(PinLine { number, name, pin }))
    }

    /// The PIN for `target`: the next line naming it, or the next unnamed line when it is the
    /// only key of the run that needs a PIN.
    pub fn take(&mut self, target: &PinTarget, run: &PinRun) -> Result<Pin, CliError> {
        if let Some(i) = self
            .waiting
            .iter()
            .position(|l| l.name.as_deref().is_some_and(|n| target.is_named(n)))
        {
            return Ok(self.waiting.remove(i).pin);
        }
        let who = target.describe();
        loop {
            let Some(line) = self.next_line(run)? else {
                return Err(CliError::usage(format!(
                    "no PIN for {who} on stdin: give one line per key as LABEL=PIN or SERIAL=PIN (a single unnamed line only when one key needs a PIN)"
                )));
            };
            match &line.name {
                Some(n) if target.is_named(n) => return Ok(line.pin),
                Some(_) => self.waiting.push(line),
                None if run.keys_needing_pin > 1 => {
                    return Err(CliError::usage(format!(
                        "{} keys need a PIN but line {} on stdin does not name its key: write each as LABEL=PIN or SERIAL=PIN; no PIN was sent",
                        run.keys_needing_pin, line.number
                    )))
                }
                // With several keys plugged in, an unnamed line is unambiguous only if it is
                // the only one: a second would have been meant for another key.
                None if run.keys > 1 => {
                    while let Some(more) = self.next_line(run)? {
                        if more.name.is_none() {
                            return Err(CliError::usage(format!(
                                "{} keys are plugged in and stdin holds more than one unnamed PIN line, but only {who} needs a PIN: name the key on each line as LABEL=PIN or SERIAL=PIN; no PIN was sent",
                                run.keys
                            )));
                        }
                        self.waiting.push(more);
                    }
                    return Ok(line.pin);
                }
                None => return Ok(line.pin),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(label: &str, serial: &str) -> PinTarget {
        PinTarget {
            label: Some(label.into()),
            serials: vec![serial.into()],
            device: None,
        }
    }

    fn lines(text: &'static str) -> PinLines {
        PinLines::new(Box::new(text.as_bytes()))
    }

    #[test]
    fn the_prompt_shows_a_hostile_serial_escaped() {
        let t = target("BG01-A", "4A3F\n\u{1b}[2JPIN for BG02-A");
        assert_eq!(
            t.describe(),
            "BG01-A (serial 4A3F\\n\\u{1b}[2JPIN for BG02-A)"
        );
    }

    #[test]
    fn a_key_without_label_or_serial_is_named_by_its_device_escaped() {
        let t = PinTarget {
            device: Some("udp:127.0.0.1:9701".into()),
            ..PinTarget::default()
        };
        assert_eq!(t.describe(), "udp:127.0.0.1:9701");
        let t = PinTarget {
            device: Some("virtual:/tmp/k\u{1b}[2J.json".into()),
            ..PinTarget::default()
        };
        assert_eq!(t.describe(), "virtual:/tmp/k\\u{1b}[2J.json");
        assert_eq!(PinTarget::default().describe(), "the key");
    }

    #[test]
    fn named_lines_go_to_their_key_in_any_order() {
        let (a, b) = (target("BG01-A", "31337001"), target("BG02-A", "31337002"));
        let run = PinRun::new([&a, &b], 2);
        let mut input = lines("31337002=246813579\nBG01-A\t135792468\n");
        assert_eq!(input.take(&a, &run).unwrap().expose(), "135792468");
        assert_eq!(input.take(&b, &run).unwrap().expose(), "246813579");
    }

    #[test]
    fn an_unnamed_line_serves_only_a_single_key() {
        let (a, b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        let one = PinRun::new([&a, &b], 1);
        assert_eq!(
            lines("13579246\n").take(&a, &one).unwrap().expose(),
            "13579246"
        );
        let two = PinRun::new([&a, &b], 2);
        let err = lines("13579246\n13579246\n").take(&a, &two).unwrap_err();
        assert!(
            err.message.contains("does not name its key"),
            "{}",
            err.message
        );
        // One key needs a PIN, but a second unnamed line shows the input was meant for two.
        let err = lines("13579246\n24681357\n").take(&a, &one).unwrap_err();
        assert!(
            err.message.contains("more than one unnamed"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_line_naming_another_key_is_never_offered() {
        let (a, b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        let run = PinRun::new([&a, &b], 2);
        let err = lines("BG02-A=13579246\n").take(&a, &run).unwrap_err();
        assert!(err.message.contains("no PIN for BG01-A"), "{}", err.message);
    }

    #[test]
    fn a_separator_that_names_no_key_is_refused_not_sent_as_the_pin() {
        let a = target("BG01-A", "1");
        let run = PinRun::single(&a);
        for text in [
            "ab=cd1234\n",
            "P1=111111\n",
            "P1\t111111\n",
            "bg01-a=13579246\n",
        ] {
            let err = lines(text).take(&a, &run).unwrap_err();
            assert!(
                err.message.contains("no key of this run"),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn a_leading_separator_gives_an_unnamed_pin_that_holds_one() {
        let a = target("BG01-A", "1");
        let run = PinRun::single(&a);
        assert_eq!(
            lines("=ab=cd1234\n").take(&a, &run).unwrap().expose(),
            "ab=cd1234"
        );
    }

    #[test]
    fn blanks_around_a_name_still_name_the_key_and_a_blank_pin_is_refused() {
        let a = target("BG01-A", "1");
        let run = PinRun::single(&a);
        let err = lines("BG01-A = 13579246\n").take(&a, &run).unwrap_err();
        assert!(err.message.contains("line 1"), "{}", err.message);
        assert_eq!(
            lines("BG01-A =13579246\n").take(&a, &run).unwrap().expose(),
            "13579246"
        );
    }
}
