//! Questions at the terminal (yes/no, a line of text), read in the terminal's own mode: echo
//! and line editing stay as the user has them, so a signal that ends glasskey at a question
//! leaves nothing to put back. (dialoguer, used before, switched to raw mode and hid the
//! cursor; a SIGTERM at its prompt left the shell without echo.) Ctrl-C ends the question.

use std::io::Write;
use std::sync::atomic::AtomicBool;

use rustix::io::Errno;

use super::error::CliError;
use super::secret_input::wait_readable;

/// No answer is longer than this (a UPN is at most 113 bytes; a tenant name less).
const MAX_ANSWER: usize = 1024;
/// Room for the longest answer and its line end (CR LF): a read never takes more, so the
/// limit holds exactly however the terminal splits the line.
const ANSWER_ROOM: usize = MAX_ANSWER + 2;

/// Asks `prompt` on stderr and reads one line typed at the terminal, without its line end.
pub fn ask_line(prompt: &str, cancel: &AtomicBool) -> Result<String, CliError> {
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    let mut buffer = [0u8; ANSWER_ROOM];
    let mut filled = 0;
    let line = loop {
        if !wait_readable(cancel, || {})? {
            eprintln!();
            return Err(CliError::device("cancelled; nothing was changed"));
        }
        let n = match rustix::io::read(rustix::stdio::stdin(), &mut buffer[filled..]) {
            Ok(n) => n,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(e) => {
                return Err(CliError::usage(format!(
                    "could not read the answer from the terminal ({e}); nothing was changed"
                )))
            }
        };
        if n == 0 {
            eprintln!();
            return Err(CliError::usage(
                "no answer (end of input); nothing was changed",
            ));
        }
        filled += n;
        match gathered(&buffer[..filled]) {
            Gathered::Line(line) => break line.to_vec(),
            Gathered::NeedMore => {}
            Gathered::TooLong => {
                discard_pending_input();
                return Err(CliError::usage(format!(
                    "the answer is longer than {MAX_ANSWER} bytes; nothing was changed"
                )));
            }
        }
    };
    String::from_utf8(line).map_err(|_| CliError::usage("the answer is not valid UTF-8"))
}

/// What the bytes read so far hold.
#[derive(Debug, PartialEq, Eq)]
enum Gathered<'a> {
    /// A whole answer, without its line end.
    Line(&'a [u8]),
    NeedMore,
    /// More than `MAX_ANSWER` bytes before the line end.
    TooLong,
}

fn gathered(read: &[u8]) -> Gathered<'_> {
    match read.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = read[..end].strip_suffix(b"\r").unwrap_or(&read[..end]);
            if line.len() > MAX_ANSWER {
                Gathered::TooLong
            } else {
                Gathered::Line(line)
            }
        }
        None if read.len() >= ANSWER_ROOM => Gathered::TooLong,
        None => Gathered::NeedMore,
    }
}

/// Drops what the terminal holds unread: the rest of an over-long answer must not reach the
/// shell, which would run it as a command (HOSTILE-7 F4). In canonical mode the whole line is
/// in the terminal's queue once any of it could be read, so all of it goes.
fn discard_pending_input() {
    let _ = rustix::termios::tcflush(
        rustix::stdio::stdin(),
        rustix::termios::QueueSelector::IFlush,
    );
}

/// Asks a yes/no question whose default is no: only "y" or "yes" (any case) is yes.
pub fn ask_yes_no(question: &str, cancel: &AtomicBool) -> Result<bool, CliError> {
    let answer = ask_line(&format!("{question} [y/N]"), cancel)?;
    Ok(is_yes(&answer))
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::{gathered, is_yes, Gathered, ANSWER_ROOM, MAX_ANSWER};

    /// Feeds `input` in chunks of `chunk` bytes as `ask_line` does (never more than the room
    /// left), until `gathered` decides.
    fn gather(input: &[u8], chunk: usize) -> Result<Vec<u8>, &'static str> {
        let mut filled = 0;
        loop {
            let room = ANSWER_ROOM - filled;
            let n = chunk.min(room).min(input.len() - filled);
            if n == 0 {
                return Err("input ended");
            }
            filled += n;
            match gathered(&input[..filled]) {
                Gathered::Line(line) => return Ok(line.to_vec()),
                Gathered::NeedMore => {}
                Gathered::TooLong => return Err("too long"),
            }
        }
    }

    #[test]
    fn the_answer_limit_is_exact_however_the_line_arrives() {
        for chunk in [1, 7, 256, 4096] {
            let longest = [vec![b'a'; MAX_ANSWER], b"\n".to_vec()].concat();
            assert_eq!(
                gather(&longest, chunk),
                Ok(vec![b'a'; MAX_ANSWER]),
                "{chunk}"
            );
            let crlf = [vec![b'a'; MAX_ANSWER], b"\r\n".to_vec()].concat();
            assert_eq!(gather(&crlf, chunk), Ok(vec![b'a'; MAX_ANSWER]), "{chunk}");
            for length in [MAX_ANSWER + 1, 1100, 1250, 5000] {
                let long = [vec![b'a'; length], b"\n".to_vec()].concat();
                assert_eq!(gather(&long, chunk), Err("too long"), "{chunk} {length}");
            }
        }
        assert_eq!(gather(b"yes\r\n", 256), Ok(b"yes".to_vec()));
    }

    #[test]
    fn only_y_or_yes_is_yes() {
        for yes in ["y", "Y", "yes", " YES ", "Yes"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "n", "no", "yess", "ja", "y y", "1"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }
}
