//! One line typed at the terminal, read by glasskey itself into a buffer its caller owns (the
//! PIN prompt's is zeroizing): polled so Ctrl-C ends the wait, bounded exactly however the
//! terminal splits the line. The PIN prompt and the questions differ only in their buffer,
//! their words and how they drop the rest of an over-long line.

use std::sync::atomic::AtomicBool;

use rustix::io::Errno;

use super::error::CliError;
use super::secret_input::wait_readable;

/// Why no line was read.
#[derive(Debug)]
pub enum NoLine {
    /// Ctrl-C while waiting.
    Cancelled,
    /// The terminal (or stdin) was closed.
    EndOfInput,
    /// More than the limit before the line end; the rest is still unread.
    TooLong,
    /// The read itself failed.
    ReadFailed(Errno),
    /// Waiting for input failed (the message says so).
    WaitFailed(CliError),
}

/// Reads one line into `buffer`, calling `each_round` while waiting, and returns the length of
/// the line without its end (LF or CR LF). A line of more than `limit` bytes, or one that does
/// not fit `buffer` with its end, is [`NoLine::TooLong`]; no read takes more than `buffer` holds.
pub fn read_line(
    buffer: &mut [u8],
    limit: usize,
    cancel: &AtomicBool,
    each_round: impl Fn(),
) -> Result<usize, NoLine> {
    let mut filled = 0;
    loop {
        match wait_readable(cancel, &each_round) {
            Ok(true) => {}
            Ok(false) => return Err(NoLine::Cancelled),
            Err(e) => return Err(NoLine::WaitFailed(e)),
        }
        let n = match rustix::io::read(rustix::stdio::stdin(), &mut buffer[filled..]) {
            Ok(n) => n,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(e) => return Err(NoLine::ReadFailed(e)),
        };
        if n == 0 {
            return Err(NoLine::EndOfInput);
        }
        filled += n;
        match gathered(&buffer[..filled], limit, buffer.len()) {
            Gathered::Line(length) => return Ok(length),
            Gathered::NeedMore => {}
            Gathered::TooLong => return Err(NoLine::TooLong),
        }
    }
}

/// What the bytes read so far hold.
#[derive(Debug, PartialEq, Eq)]
enum Gathered {
    /// A whole line of this length, without its end.
    Line(usize),
    NeedMore,
    /// More than the limit before the line end, or a full buffer without one.
    TooLong,
}

fn gathered(read: &[u8], limit: usize, room: usize) -> Gathered {
    match read.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = read[..end].strip_suffix(b"\r").unwrap_or(&read[..end]);
            if line.len() > limit {
                Gathered::TooLong
            } else {
                Gathered::Line(line.len())
            }
        }
        None if read.len() >= room => Gathered::TooLong,
        None => Gathered::NeedMore,
    }
}

#[cfg(test)]
mod tests {
    use super::{gathered, Gathered};

    const LIMIT: usize = 1024;
    const ROOM: usize = LIMIT + 2;

    /// Feeds `input` in chunks of `chunk` bytes as `read_line` does (never more than the room
    /// left), until `gathered` decides.
    fn gather(input: &[u8], chunk: usize) -> Result<Vec<u8>, &'static str> {
        let mut filled = 0;
        loop {
            let room = ROOM - filled;
            let n = chunk.min(room).min(input.len() - filled);
            if n == 0 {
                return Err("input ended");
            }
            filled += n;
            match gathered(&input[..filled], LIMIT, ROOM) {
                Gathered::Line(length) => return Ok(input[..length].to_vec()),
                Gathered::NeedMore => {}
                Gathered::TooLong => return Err("too long"),
            }
        }
    }

    #[test]
    fn the_limit_is_exact_however_the_line_arrives() {
        for chunk in [1, 7, 256, 4096] {
            let longest = [vec![b'a'; LIMIT], b"\n".to_vec()].concat();
            assert_eq!(gather(&longest, chunk), Ok(vec![b'a'; LIMIT]), "{chunk}");
            let crlf = [vec![b'a'; LIMIT], b"\r\n".to_vec()].concat();
            assert_eq!(gather(&crlf, chunk), Ok(vec![b'a'; LIMIT]), "{chunk}");
            for length in [LIMIT + 1, 1100, 1250, 5000] {
                let long = [vec![b'a'; length], b"\n".to_vec()].concat();
                assert_eq!(gather(&long, chunk), Err("too long"), "{chunk} {length}");
            }
        }
        assert_eq!(gather(b"yes\r\n", 256), Ok(b"yes".to_vec()));
    }

    /// The PIN prompt's buffer holds its limit and one byte: a line that fills it without its
    /// end is too long, as before.
    #[test]
    fn a_full_buffer_without_a_line_end_is_too_long() {
        assert_eq!(gathered(&[b'7'; 257], 256, 257), Gathered::TooLong);
        assert_eq!(gathered(b"123456\n", 256, 257), Gathered::Line(6));
    }
}
