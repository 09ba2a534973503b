//! Questions at the terminal (yes/no, a line of text), read in the terminal's own mode: echo
//! and line editing stay as the user has them, so a signal that ends glasskey at a question
//! leaves nothing to put back. (dialoguer, used before, switched to raw mode and hid the
//! cursor; a SIGTERM at its prompt left the shell without echo.) Ctrl-C ends the question.

use std::io::Write;
use std::sync::atomic::AtomicBool;

use super::error::CliError;
use super::terminal_line::{read_line, NoLine};

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
    let length = match read_line(&mut buffer, MAX_ANSWER, cancel, || {}) {
        Ok(length) => length,
        Err(NoLine::Cancelled) => {
            eprintln!();
            return Err(CliError::device("cancelled; nothing was changed"));
        }
        Err(NoLine::EndOfInput) => {
            eprintln!();
            return Err(CliError::usage(
                "no answer (end of input); nothing was changed",
            ));
        }
        Err(NoLine::TooLong) => {
            discard_pending_input();
            return Err(CliError::usage(format!(
                "the answer is longer than {MAX_ANSWER} bytes; nothing was changed"
            )));
        }
        Err(NoLine::ReadFailed(e)) => {
            return Err(CliError::usage(format!(
                "could not read the answer from the terminal ({e}); nothing was changed"
            )))
        }
        Err(NoLine::WaitFailed(e)) => return Err(e),
    };
    String::from_utf8(buffer[..length].to_vec())
        .map_err(|_| CliError::usage("the answer is not valid UTF-8"))
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
    use super::is_yes;

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
