//! Reading PINs without leaving copies behind (deliverable 7): a no-echo terminal prompt and a
//! buffered stdin reader whose buffers are ours and zeroized. Standard library and prompt crates
//! keep their own buffers (std's `Stdin` holds an 8 KiB one for the life of the process), so PIN
//! input goes straight to file descriptor 0 and never through them.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use zeroize::Zeroizing;

use super::echo_off::EchoOff;
use super::error::CliError;
use super::terminal_line::{read_line, NoLine};
use crate::secret::MAX_PIN_LINE;

/// How often a waiting prompt looks at the Ctrl-C flag and the terminal's echo.
const CANCEL_POLL: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 100_000_000,
};

/// Waits until stdin has input, looking at `cancel` in between and calling `each_round` (the
/// PIN prompt turns echo off again there if something turned it on). True when input is
/// ready, false after Ctrl-C.
pub fn wait_readable(cancel: &AtomicBool, each_round: impl Fn()) -> Result<bool, CliError> {
    loop {
        each_round();
        if cancel.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let fd = rustix::stdio::stdin();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, Some(&CANCEL_POLL)) {
            Ok(0) | Err(Errno::INTR) => continue,
            Ok(_) => return Ok(true),
            Err(e) => {
                return Err(CliError::usage(format!(
                    "could not wait for input at the terminal ({e}); nothing was sent or changed"
                )))
            }
        }
    }
}

/// Prompts on stderr and reads one line from the terminal without echo, into zeroizing memory.
/// At most `MAX_PIN_LINE` bytes are kept; a longer line is refused. Ctrl-C (`cancel`) ends the
/// prompt at once with nothing sent.
pub fn read_hidden(prompt: &str, cancel: &AtomicBool) -> Result<Zeroizing<String>, CliError> {
    let mut echo_off = EchoOff::new()?;
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    // The limit and one byte: a line that fills it without its end is too long.
    let mut line = Zeroizing::new([0u8; MAX_PIN_LINE + 1]);
    let len = match read_line(&mut line[..], MAX_PIN_LINE, cancel, || echo_off.reassert()) {
        Ok(len) => len,
        Err(NoLine::Cancelled) => {
            eprintln!();
            return Err(CliError::device(
                "cancelled at the PIN prompt; nothing was sent",
            ));
        }
        Err(NoLine::EndOfInput) => {
            eprintln!();
            return Err(CliError::usage(
                "no PIN was typed (end of input); nothing was sent",
            ));
        }
        Err(NoLine::TooLong) => {
            echo_off.discard_input = true;
            eprintln!();
            return Err(CliError::usage(format!(
                "the PIN line is longer than {MAX_PIN_LINE} bytes: that is not a PIN; nothing was sent"
            )));
        }
        Err(NoLine::ReadFailed(e)) => {
            return Err(CliError::usage(format!(
                "could not read the PIN from the terminal ({e}); nothing was sent"
            )))
        }
        Err(NoLine::WaitFailed(e)) => return Err(e),
    };
    drop(echo_off);
    let text = std::str::from_utf8(&line[..len])
        .map_err(|_| CliError::usage("the PIN is not valid UTF-8; nothing was sent"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Reads a new PIN twice without echo; the entries must match.
pub fn read_hidden_confirmed(
    prompt: &str,
    cancel: &AtomicBool,
) -> Result<Zeroizing<String>, CliError> {
    let first = read_hidden(prompt, cancel)?;
    let second = read_hidden("Repeat the new PIN", cancel)?;
    if *first != *second {
        return Err(CliError::usage(
            "the two entries differ; nothing was changed",
        ));
    }
    Ok(first)
}

/// Buffered reading of file descriptor 0 for `--pin-stdin`, through a buffer of ours that is
/// zeroized when dropped (std's `Stdin` buffer is never cleared).
pub struct SecretStdin {
    buffer: Zeroizing<Vec<u8>>,
    start: usize,
    end: usize,
}

impl SecretStdin {
    pub fn new() -> Self {
        Self {
            buffer: Zeroizing::new(vec![0u8; 4 * (MAX_PIN_LINE + 1)]),
            start: 0,
            end: 0,
        }
    }
}

impl Default for SecretStdin {
    fn default() -> Self {
        Self::new()
    }
}

impl std::io::Read for SecretStdin {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for SecretStdin {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.start == self.end {
            // Bytes already handed out are cleared before the buffer is reused.
            zeroize::Zeroize::zeroize(&mut self.buffer[..self.end]);
            self.start = 0;
            self.end = loop {
                match rustix::io::read(rustix::stdio::stdin(), &mut self.buffer[..]) {
                    Ok(n) => break n,
                    Err(Errno::INTR) => continue,
                    // A stdin left non-blocking (O_NONBLOCK, set by whoever started glasskey):
                    // wait for input as a blocking read would (HOSTILE-7 F11).
                    Err(Errno::AGAIN) => wait_for_stdin()?,
                    Err(e) => return Err(unreadable_stdin(e)),
                }
            };
        }
        Ok(&self.buffer[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.end);
    }
}

/// Waits until fd 0 has input or its end, however long that takes (as a blocking read does).
fn wait_for_stdin() -> std::io::Result<()> {
    let fd = rustix::stdio::stdin();
    loop {
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, None) {
            Ok(_) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(unreadable_stdin(e)),
        }
    }
}

/// Why stdin cannot be read, as a sentence that says what to do; the system's words alone
/// ("Is a directory (os error 21)") say neither.
fn unreadable_stdin(e: Errno) -> std::io::Error {
    let why = match e {
        Errno::ISDIR => "stdin is a directory".to_owned(),
        Errno::BADF | Errno::INVAL => "stdin is closed or cannot be read from".to_owned(),
        Errno::IO => "the terminal or device on stdin is gone".to_owned(),
        other => format!("the system refused to read stdin ({other})"),
    };
    std::io::Error::other(format!(
        "{why}; give the PIN through a pipe, a file or a terminal"
    ))
}

impl super::pin_input::PinInput for SecretStdin {
    /// Bytes already buffered, or fd 0 readable (data or end of input) without waiting.
    fn input_ready(&mut self) -> bool {
        if self.start < self.end {
            return true;
        }
        let fd = rustix::stdio::stdin();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let no_wait = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        matches!(poll(&mut fds, Some(&no_wait)), Ok(n) if n > 0)
    }
}
