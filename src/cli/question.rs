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

/// Asks `prompt` on stderr and reads one line typed at the terminal, without its line end.
pub fn ask_line(prompt: &str, cancel: &AtomicBool) -> Result<String, CliError> {
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    let mut line = Vec::new();
    let mut chunk = [0u8; 256];
    loop {
        if !wait_readable(cancel, || {})? {
            eprintln!();
            return Err(CliError::device("cancelled; nothing was changed"));
        }
        let n = match rustix::io::read(rustix::stdio::stdin(), &mut chunk) {
            Ok(n) => n,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(e) => return Err(CliError::usage(format!("could not read the answer: {e}"))),
        };
        if n == 0 {
            eprintln!();
            return Err(CliError::usage(
                "no answer (end of input); nothing was changed",
            ));
        }
        line.extend_from_slice(&chunk[..n]);
        if let Some(end) = line.iter().position(|&b| b == b'\n') {
            line.truncate(end);
            break;
        }
        if line.len() > MAX_ANSWER {
            return Err(CliError::usage(format!(
                "the answer is longer than {MAX_ANSWER} bytes; nothing was changed"
            )));
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| CliError::usage("the answer is not valid UTF-8"))
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
