//! PINs bound to the key they are for (DESIGN §3.7).
//!
//! With `--pin-stdin` each line holds one PIN. When several keys need a PIN in one run, each
//! line names its key: `NAME=PIN` or `NAME<TAB>PIN`, where NAME is the key's inventory label or
//! its serial number (as `glasskey list` shows it). A line is read as named only when the text
//! before the first `=` or tab is the label or serial of a key in this run; a line whose name
//! part names no key is refused (nothing is sent), and a line that starts with `=` is an unnamed
//! PIN that may itself hold `=`. A line without a separator is an unnamed PIN. An unnamed line
//! is accepted only when exactly one key needs a PIN. Lines are read until every key has one and
//! then whatever the input already holds, before any PIN is handed out (only a PIN change, whose
//! new PIN and confirmation follow the current one, reads its lines in turn), so
//! that two lines for one key, or a name that two keys needing a PIN answer to, are refused
//! before anything is sent. A PIN is never offered to a key other
//! than the one its line names.

use zeroize::Zeroizing;

use super::error::CliError;
use crate::device::{Key, KeyFacts};
use crate::inventory::model::KeyEntry;
use crate::secret::{read_line_bounded, Pin, MAX_PIN_LINE};

/// No run needs more PIN lines than this (two per key for a change, a few dozen keys at most);
/// reading stops there, so stdin cannot make glasskey hold unbounded input.
pub const MAX_PIN_LINES: usize = 64;

/// Where PIN lines come from: a reader that can also tell whether input is there now.
pub trait PinInput: std::io::BufRead {
    /// Whether a read now would return at once (a line, or the end of input) instead of
    /// waiting for a writer. In-memory input always can.
    fn input_ready(&mut self) -> bool {
        true
    }
}

impl PinInput for &[u8] {}
impl<T: AsRef<[u8]>> PinInput for std::io::Cursor<T> {}

/// One key that may be given a PIN: how a person and a stdin line can name it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PinTarget {
    pub label: Option<String>,
    pub serials: Vec<String>,
    /// How glasskey reached the key (`--device` form): its name when it has no label or serial.
    pub device: Option<String>,
    /// Whether this key will be given a PIN in this run. A line may name a key that gets none
    /// (one that failed its proof, answering to the genuine key's label): that is no error,
    /// and no ambiguity, since nothing is sent to it.
    pub needs_pin: bool,
}

/// The serial numbers a key answers to in a PIN line: the vendor's, then the USB one.
fn serials(vendor: Option<u32>, usb: Option<&str>) -> Vec<String> {
    vendor
        .map(|s| s.to_string())
        .into_iter()
        .chain(usb.map(str::to_owned))
        .collect()
}

impl PinTarget {
    pub fn from_facts(facts: &KeyFacts, label: Option<&str>) -> Self {
        Self {
            label: label.map(str::to_owned),
            serials: serials(facts.vendor_serial, facts.usb_serial.as_deref()),
            device: Some(facts.device.clone()),
            needs_pin: true,
        }
    }

    /// An inventoried key that is not in this run, by its recorded label and serials; it is
    /// given no PIN.
    pub fn inventoried_absent(entry: &KeyEntry) -> Self {
        Self {
            label: Some(entry.label.clone()),
            serials: serials(entry.vendor_serial, entry.usb_serial.as_deref()),
            device: None,
            needs_pin: false,
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

/// The keys of one run that PIN lines may name (each says whether it needs a PIN).
#[derive(Debug, Clone, Default)]
pub struct PinRun {
    targets: Vec<PinTarget>,
    /// Keys of the inventory that are not in this run (see [`PinRun::with_absent`]).
    absent: Vec<PinTarget>,
    /// This key's PIN is followed by lines read later (a change): its input is read in turn,
    /// not all before the PIN is given.
    more_lines_follow: bool,
}

impl PinRun {
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a PinTarget>) -> Self {
        Self {
            targets: keys.into_iter().cloned().collect(),
            absent: Vec::new(),
            more_lines_follow: false,
        }
    }

    /// A run with this one key, which needs a PIN (also one that has no name yet, such as the
    /// key `virtual create` makes).
    pub fn single(target: &PinTarget) -> Self {
        let target = PinTarget {
            needs_pin: true,
            ..target.clone()
        };
        Self::new([&target])
    }

    /// Keys of the inventory that are not in this run: lines may name them (a PIN file for
    /// every key, the keys checked one at a time).
    /// A line naming one of them by a name no key of the run answers to is set aside, never
    /// sent; a name that both a key of the run and one of them answer to (a shared serial) is
    /// refused, since the line may be meant for the key that is not here.
    pub fn with_absent<'a>(mut self, absent: impl IntoIterator<Item = &'a PinTarget>) -> Self {
        self.absent = absent.into_iter().cloned().collect();
        self
    }

    /// A run with this one key whose stdin holds more lines after this PIN (a PIN change:
    /// the current PIN, then the new one and its confirmation).
    pub fn single_then_more(target: &PinTarget) -> Self {
        Self {
            more_lines_follow: true,
            ..Self::single(target)
        }
    }

    /// Splits `NAME=PIN` / `NAME<TAB>PIN`. A line with a separator must name a key of this
    /// run (or start with the separator, for an unnamed PIN that itself holds `=` or a tab):
    /// read as a PIN, `P1=111111` for a key labelled otherwise would spend a retry.
    /// `None` for a line meant for a key of the inventory that is not in this run.
    fn split(&self, number: usize, line: Zeroizing<String>) -> Result<Option<SplitLine>, CliError> {
        let Some(at) = line.find(['\t', '=']) else {
            return Ok(Some((None, line)));
        };
        let rest = Zeroizing::new(line[at + 1..].to_owned());
        let name = line[..at].trim();
        if name.is_empty() {
            return Ok(Some((None, rest)));
        }
        let here: Vec<&PinTarget> = self.targets.iter().filter(|t| t.is_named(name)).collect();
        let not_here: Vec<&PinTarget> = self.absent.iter().filter(|t| t.is_named(name)).collect();
        if let (Some(key), Some(other)) = (here.first(), not_here.first()) {
            return Err(CliError::usage(format!(
                "line {number} on stdin names {}, which {} answers to, and so does {} of the inventory, not in this run: name the key by its inventory label; no PIN was sent",
                crate::untrusted::Shown(name),
                key.describe(),
                other.describe()
            )));
        }
        if here.is_empty() && !not_here.is_empty() {
            return Ok(None);
        }
        // The same test `take` uses, so a line read as named is one some key will take.
        let needing: Vec<&PinTarget> = self
            .targets
            .iter()
            .filter(|t| t.needs_pin && t.is_named(name))
            .collect();
        if needing.len() > 1 {
            let keys: Vec<String> = needing.iter().map(|t| t.describe()).collect();
            return Err(CliError::usage(format!(
                "line {number} on stdin names {}, which {} keys of this run answer to ({}): name each key by its inventory label instead; no PIN was sent",
                crate::untrusted::Shown(name),
                needing.len(),
                keys.join(", ")
            )));
        }
        if !here.is_empty() {
            return Ok(Some((Some(name.to_owned()), rest)));
        }
        Err(CliError::usage(format!(
            "line {number} on stdin names {}, which is no key of this run (name a key by its inventory label or serial; for a PIN that holds '=' or a tab, start the line with '='); no PIN was sent",
            crate::untrusted::visible(name)
        )))
    }
}

/// A line's key name (none when unnamed) and its PIN text.
type SplitLine = (Option<String>, Zeroizing<String>);

struct PinLine {
    number: usize,
    name: Option<String>,
    pin: Pin,
}

/// PIN lines read so far from a reader, handed out to the keys they name.
pub struct PinLines {
    reader: Box<dyn PinInput>,
    read: usize,
    /// Named lines read while looking for another key's line.
    waiting: Vec<PinLine>,
    /// Every line has been read (runs of several keys read all before giving any PIN).
    drained: bool,
    /// Blank lines are skipped rather than read as an empty PIN.
    skip_blank: bool,
    /// Numbers of the lines set aside for inventoried keys not in this run.
    set_aside: Vec<usize>,
}

impl PinLines {
    pub fn new(reader: Box<dyn PinInput>) -> Self {
        Self {
            reader,
            read: 0,
            waiting: Vec::new(),
            drained: false,
            skip_blank: false,
            set_aside: Vec::new(),
        }
    }

    /// With several keys, lines are read before any PIN is handed out: until every key that
    /// needs a PIN has a line, and then every further line the input already holds (never
    /// waiting for more, so an input that stays open cannot hold the run). Two lines for one
    /// key, or unnamed lines that could be meant for more than one key, are refused before
    /// anything is sent. Blank lines are skipped.
    fn drain(&mut self, run: &PinRun) -> Result<(), CliError> {
        if self.drained {
            return Ok(());
        }
        loop {
            let covered = run.targets.iter().filter(|t| t.needs_pin).all(|t| {
                self.waiting.iter().any(|l| match &l.name {
                    Some(n) => t.is_named(n),
                    None => run.targets.len() == 1,
                })
            });
            if covered && !self.reader.input_ready() {
                break;
            }
            match self.next_line_skipping_blanks(run)? {
                Some(line) => self.waiting.push(line),
                None => break,
            }
        }
        self.drained = true;
        let unnamed: Vec<usize> = self
            .waiting
            .iter()
            .filter(|l| l.name.is_none())
            .map(|l| l.number)
            .collect();
        for target in run.targets.iter().filter(|t| t.needs_pin) {
            // With one key in the run, a single unnamed line is its line too (several unnamed
            // lines get their own message below).
            let numbers: Vec<usize> = self
                .waiting
                .iter()
                .filter(|l| match &l.name {
                    Some(n) => target.is_named(n),
                    None => run.targets.len() == 1 && unnamed.len() == 1,
                })
                .map(|l| l.number)
                .collect();
            if let [first, second, ..] = numbers.as_slice() {
                return Err(CliError::usage(format!(
                    "lines {first} and {second} on stdin both give a PIN for {}: give one line per key; no PIN was sent",
                    target.describe()
                )));
            }
        }
        match unnamed.first() {
            // Which key needs a PIN depends on what the user cannot see (retries, a failed
            // proof), so with several keys an unnamed line is never taken as any one's.
            Some(number) if run.targets.len() > 1 => {
                return Err(CliError::usage(format!(
                    "{} keys are in this run but line {number} on stdin does not name its key: write each as LABEL=PIN or SERIAL=PIN; no PIN was sent",
                    run.targets.len()
                )))
            }
            // Input that names other keys is input for several keys: an unnamed line in it
            // may be any of theirs (HOSTILE-9 N1).
            Some(number) if !self.set_aside.is_empty() => {
                return Err(CliError::usage(format!(
                    "line {} on stdin names a key that is not in this run and line {number} names none: when stdin holds lines for several keys, name the key on each line as LABEL=PIN or SERIAL=PIN; no PIN was sent",
                    self.set_aside[0]
                )))
            }
            Some(_) if unnamed.len() > 1 => {
                return Err(CliError::usage(format!(
                    "stdin holds {} unnamed PIN lines, but one key is in this run: give only its PIN; no PIN was sent",
                    unnamed.len()
                )))
            }
            _ => {}
        }
        // Every key that needs a PIN has its line before any PIN is given.
        for target in run.targets.iter().filter(|t| t.needs_pin) {
            let has_line = self.waiting.iter().any(|l| match &l.name {
                Some(n) => target.is_named(n),
                None => run.targets.len() == 1,
            });
            if !has_line {
                return Err(CliError::usage(format!(
                    "no PIN for {} on stdin: give one line per key as LABEL=PIN or SERIAL=PIN; no PIN was sent",
                    target.describe()
                )));
            }
        }
        Ok(())
    }

    /// The next line that is not blank (a trailing empty line in a PIN file is no PIN).
    fn next_line_skipping_blanks(&mut self, run: &PinRun) -> Result<Option<PinLine>, CliError> {
        self.skip_blank = true;
        let line = self.next_line(run);
        self.skip_blank = false;
        line
    }

    fn next_line(&mut self, run: &PinRun) -> Result<Option<PinLine>, CliError> {
        let (number, name, text) = loop {
            // Blank and set-aside lines count too, so endless input ends.
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
            if self.skip_blank && line.trim().is_empty() {
                continue;
            }
            match run.split(self.read, line)? {
                Some((name, text)) => break (self.read, name, text),
                None => self.set_aside.push(self.read),
            }
        };
        let pin =
            Pin::new(text).map_err(|e| CliError::usage(format!("line {number} on stdin: {e}")))?;
        Ok(Some(PinLine { number, name, pin }))
    }

    /// After a new PIN was taken from stdin: the rest of the input may hold one line that
    /// repeats it (a confirmation, as at the prompt) and nothing else. A confirmation that
    /// differs, or any further line, refuses the new PIN before anything is sent.
    pub fn confirm_new(&mut self, new: &Pin, run: &PinRun) -> Result<(), CliError> {
        let taken = self.read;
        let mut rest = std::mem::take(&mut self.waiting);
        // Only what the input already holds: an input that stays open must not hold the run.
        while self.reader.input_ready() {
            match self.next_line_skipping_blanks(run)? {
                Some(line) => rest.push(line),
                None => break,
            }
        }
        match rest.as_slice() {
            [] => Ok(()),
            [confirm] if confirm.name.is_none() && confirm.pin.expose() == new.expose() => Ok(()),
            [confirm] if confirm.name.is_none() => Err(CliError::usage(format!(
                "line {} on stdin does not repeat the new PIN on line {taken}: give the new PIN once, or twice the same; nothing was changed",
                confirm.number
            ))),
            _ => Err(CliError::usage(format!(
                "stdin holds {} more lines after the new PIN on line {taken}: give the new PIN once, or twice the same; nothing was changed",
                rest.len()
            ))),
        }
    }

    /// The PIN for `target`: the line naming it, or the unnamed line when it is the only key of
    /// the run that needs a PIN. Every line the input holds is read first (see
    /// [`PinLines::drain`]), except in a PIN change, whose lines are read in turn.
    pub fn take(&mut self, target: &PinTarget, run: &PinRun) -> Result<Pin, CliError> {
        let who = target.describe();
        let missing = || {
            CliError::usage(format!(
                "no PIN for {who} on stdin: give one line per key as LABEL=PIN or SERIAL=PIN (a single unnamed line only when one key needs a PIN)"
            ))
        };
        if run.targets.len() > 1 || !run.more_lines_follow {
            self.drain(run)?;
            let named = self
                .waiting
                .iter()
                .position(|l| l.name.as_deref().is_some_and(|n| target.is_named(n)));
            let unnamed = || {
                (run.targets.len() == 1)
                    .then(|| self.waiting.iter().position(|l| l.name.is_none()))
                    .flatten()
            };
            let i = named.or_else(unnamed).ok_or_else(missing)?;
            return Ok(self.waiting.remove(i).pin);
        }
        if let Some(i) = self
            .waiting
            .iter()
            .position(|l| l.name.as_deref().is_some_and(|n| target.is_named(n)))
        {
            return Ok(self.waiting.remove(i).pin);
        }
        loop {
            let Some(line) = self.next_line(run)? else {
                return Err(missing());
            };
            match &line.name {
                Some(n) if target.is_named(n) => return Ok(line.pin),
                Some(_) => self.waiting.push(line),
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
            needs_pin: true,
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
        let run = PinRun::new([&a, &b]);
        let mut input = lines("31337002=246813579\nBG01-A\t135792468\n");
        assert_eq!(input.take(&a, &run).unwrap().expose(), "135792468");
        assert_eq!(input.take(&b, &run).unwrap().expose(), "246813579");
    }

    #[test]
    fn an_unnamed_line_serves_only_a_single_key() {
        let a = target("BG01-A", "1");
        assert_eq!(
            lines("13579246\n")
                .take(&a, &PinRun::single(&a))
                .unwrap()
                .expose(),
            "13579246"
        );
        let b = target("BG02-A", "2");
        let two = PinRun::new([&a, &b]);
        let err = lines("13579246\n13579246\n").take(&a, &two).unwrap_err();
        assert!(
            err.message.contains("does not name its key"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_line_naming_another_key_is_never_offered() {
        let (a, b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        let run = PinRun::new([&a, &b]);
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
    fn a_name_that_two_keys_needing_a_pin_answer_to_is_refused() {
        // Two keys reporting one serial; a label that is another key's serial.
        for (a, b, line) in [
            (
                target("KA", "2001"),
                target("KB", "2001"),
                "2001=44444444\n",
            ),
            (target("2002", "1"), target("Y", "2002"), "2002=44444444\n"),
        ] {
            let run = PinRun::new([&a, &b]);
            let err = lines(line).take(&a, &run).unwrap_err();
            assert!(
                err.message.contains("2 keys of this run"),
                "{}",
                err.message
            );
            assert!(err.message.contains("no PIN was sent"), "{}", err.message);
        }
        // A key that needs no PIN (a look-alike answering to the label) makes no ambiguity.
        let (a, mut b) = (target("KA", "2001"), target("KA", "9"));
        b.needs_pin = false;
        let run = PinRun::new([&a, &b]);
        assert_eq!(
            lines("KA=44444444\n").take(&a, &run).unwrap().expose(),
            "44444444"
        );
    }

    #[test]
    fn two_lines_for_one_key_are_refused_before_any_pin_is_given() {
        let (a, b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        let run = PinRun::new([&a, &b]);
        let err = lines("BG01-A=11111111\nBG02-A=22222222\nBG01-A=33333333\n")
            .take(&a, &run)
            .unwrap_err();
        assert!(
            err.message.contains("lines 1 and 3") && err.message.contains("BG01-A"),
            "{}",
            err.message
        );
        // Also when the key is named once by label and once by serial.
        let err = lines("BG02-A=22222222\n1=11111111\nBG01-A=33333333\n")
            .take(&a, &run)
            .unwrap_err();
        assert!(err.message.contains("lines 2 and 3"), "{}", err.message);
    }

    #[test]
    fn a_trailing_blank_line_is_no_pin_with_several_keys() {
        let (a, b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        let run = PinRun::new([&a, &b]);
        let mut input = lines("BG01-A=11111111\nBG02-A=22222222\n\n");
        assert_eq!(input.take(&a, &run).unwrap().expose(), "11111111");
        assert_eq!(input.take(&b, &run).unwrap().expose(), "22222222");
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

    /// HOSTILE-6 N2: with one key, a second PIN line (unnamed, or naming the same key) shows
    /// the input was meant for more than this key; it is refused before any PIN is given, as
    /// it is with several keys.
    #[test]
    fn a_second_pin_line_for_a_single_key_is_refused() {
        let a = target("BG01-A", "1");
        let run = PinRun::single(&a);
        for (text, says) in [
            ("13579246\n24681357\n", "2 unnamed PIN lines"),
            ("BG01-A=13579246\nBG01-A=24681357\n", "lines 1 and 2"),
            ("BG01-A=13579246\n1=24681357\n", "lines 1 and 2"),
            ("13579246\nBG01-A=24681357\n", "lines 1 and 2"),
            ("BG01-A=13579246\n24681357\n", "lines 1 and 2"),
        ] {
            let err = lines(text).take(&a, &run).unwrap_err();
            assert!(err.message.contains(says), "{text:?}: {}", err.message);
            assert!(err.message.contains("no PIN was sent"), "{}", err.message);
        }
        // One line, with or without a trailing blank, is the PIN.
        for text in ["13579246\n", "BG01-A=13579246\n\n", "13579246"] {
            assert_eq!(lines(text).take(&a, &run).unwrap().expose(), "13579246");
        }
    }

    /// A PIN change reads the current PIN, then the new one and its confirmation: those later
    /// lines are not a second PIN for the key.
    #[test]
    fn a_change_reads_its_lines_in_turn() {
        let a = target("BG01-A", "1");
        let run = PinRun::single_then_more(&a);
        let mut input = lines("13579246\n24681357\n24681357\n");
        assert_eq!(input.take(&a, &run).unwrap().expose(), "13579246");
        let new = input.take(&a, &run).unwrap();
        assert_eq!(new.expose(), "24681357");
        input.confirm_new(&new, &run).unwrap();
    }

    /// A pipe whose writer has not written yet: nothing is ready, but a read waits for the line.
    struct NotYetWritten(&'static [u8]);

    impl std::io::Read for NotYetWritten {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl std::io::BufRead for NotYetWritten {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            Ok(self.0)
        }
        fn consume(&mut self, amount: usize) {
            self.0.consume(amount);
        }
    }

    impl PinInput for NotYetWritten {
        fn input_ready(&mut self) -> bool {
            false
        }
    }

    /// The key of `virtual create` has no name and was marked as needing no PIN: its line is
    /// still waited for, not skipped because the input was not there yet.
    #[test]
    fn the_one_key_of_a_run_waits_for_its_line() {
        for target in [PinTarget::default(), target("BG01-A", "1")] {
            let run = PinRun::single(&target);
            let mut input = PinLines::new(Box::new(NotYetWritten(b"13579246\n")));
            assert_eq!(input.take(&target, &run).unwrap().expose(), "13579246");
        }
    }

    /// HOSTILE-7 F2: which key needs a PIN depends on state the user cannot see (retries, a
    /// failed proof): with two keys in the run, an unnamed line is refused even when only one
    /// of them needs a PIN.
    #[test]
    fn an_unnamed_line_is_refused_whenever_several_keys_are_in_the_run() {
        let (a, mut b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        b.needs_pin = false;
        let run = PinRun::new([&a, &b]);
        let err = lines("13579246\n").take(&a, &run).unwrap_err();
        assert!(
            err.message.contains("does not name its key"),
            "{}",
            err.message
        );
        assert!(err.message.contains("no PIN was sent"), "{}", err.message);
    }

    /// HOSTILE-7 F3: every key that needs a PIN must have its line before any PIN is given.
    #[test]
    fn a_key_without_a_line_stops_the_run_before_any_pin_is_given() {
        let (a, b) = (target("BG01-A", "1"), target("BG02-A", "2"));
        let run = PinRun::new([&a, &b]);
        let err = lines("BG01-A=13579246\n").take(&a, &run).unwrap_err();
        assert!(err.message.contains("no PIN for BG02-A"), "{}", err.message);
        assert!(err.message.contains("no PIN was sent"), "{}", err.message);
    }

    /// HOSTILE-7 F5, F10: keys of the inventory that are not in this run. A line naming one of
    /// them by label is for a key that is not here: it is set aside, never sent. A serial that
    /// a key of the run shares with one that is not here names neither for sure.
    #[test]
    fn lines_for_inventoried_keys_not_in_the_run() {
        let a = target("BG01-A", "1001");
        let run = PinRun::single(&a).with_absent([&target("BG02-A", "1002")]);
        let mut input = lines("BG01-A=13579246\nBG02-A=24681357\n");
        assert_eq!(input.take(&a, &run).unwrap().expose(), "13579246");

        let b = target("BG02-B", "2002");
        let run = PinRun::single(&b).with_absent([&target("BG02-A", "2002")]);
        let err = lines("2002=13579246\n").take(&b, &run).unwrap_err();
        assert!(
            err.message.contains("BG02-A") && err.message.contains("not in this run"),
            "{}",
            err.message
        );
        assert!(err.message.contains("no PIN was sent"), "{}", err.message);
        // An unnamed line beside a line for a key that is not here may be that key's.
        let a_run = PinRun::single(&a).with_absent([&target("BG02-A", "1002")]);
        for text in ["BG02-A=24681357\n13579246\n", "13579246\nBG02-A=24681357\n"] {
            let err = lines(text).take(&a, &a_run).unwrap_err();
            assert!(err.message.contains("names none"), "{}", err.message);
            assert!(err.message.contains("no PIN was sent"), "{}", err.message);
        }
        // By label it is sure.
        assert_eq!(
            lines("BG02-B=13579246\n").take(&b, &run).unwrap().expose(),
            "13579246"
        );
    }

    impl<R: std::io::Read> PinInput for std::io::BufReader<R> {}

    /// HOSTILE-7 F7: blank lines count toward the limit, so endless blank input ends.
    #[test]
    fn endless_blank_lines_end_at_the_line_limit() {
        let a = target("BG01-A", "1");
        let run = PinRun::single(&a);
        let mut input = PinLines::new(Box::new(std::io::BufReader::new(std::io::Read::chain(
            &b"13579246\n"[..],
            std::io::repeat(b'\n'),
        ))));
        let err = input.take(&a, &run).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
    }
}
