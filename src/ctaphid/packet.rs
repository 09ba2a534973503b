//! Pure CTAPHID packet codec (CTAP 2.1 §11.2.4): a message becomes one initialization packet and
//! up to 128 continuation packets, and back.

use crate::transport::{Report, REPORT_LEN};

pub const BROADCAST_CID: u32 = 0xFFFF_FFFF;
/// Payload bytes in an initialization packet: CID 4, CMD 1, BCNT 2.
pub const INIT_DATA_LEN: usize = REPORT_LEN - 7;
/// Payload bytes in a continuation packet: CID 4, SEQ 1.
pub const CONT_DATA_LEN: usize = REPORT_LEN - 5;
/// Sequence numbers run 0..=0x7F, so at most 128 continuation packets follow.
pub const MAX_SEQ: u8 = 0x7F;
/// 57 + 128 * 59 = 7609 bytes.
pub const MAX_MESSAGE_LEN: usize = INIT_DATA_LEN + (MAX_SEQ as usize + 1) * CONT_DATA_LEN;

pub mod cmd {
    pub const PING: u8 = 0x01;
    pub const MSG: u8 = 0x03;
    pub const LOCK: u8 = 0x04;
    pub const INIT: u8 = 0x06;
    pub const WINK: u8 = 0x08;
    pub const CBOR: u8 = 0x10;
    pub const CANCEL: u8 = 0x11;
    pub const KEEPALIVE: u8 = 0x3B;
    pub const ERROR: u8 = 0x3F;
    pub const VENDOR_FIRST: u8 = 0x40;
    pub const VENDOR_LAST: u8 = 0x7F;
}

const INIT_BIT: u8 = 0x80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    TooLong { len: usize, max: usize },
    #[error("command byte {0:#04x} is outside the CTAPHID range 0x00-0x7F")]
    BadCommand(u8),
    #[error("continuation packet out of order: expected sequence {expected}, got {got}")]
    BadSequence { expected: u8, got: u8 },
    #[error("continuation packet where an initialization packet was expected")]
    UnexpectedContinuation,
    #[error("initialization packet in the middle of a message")]
    UnexpectedInit,
}

/// A decoded 64-byte report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<'a> {
    Init {
        cid: u32,
        cmd: u8,
        len: u16,
        data: &'a [u8],
    },
    Cont {
        cid: u32,
        seq: u8,
        data: &'a [u8],
    },
}

impl<'a> Packet<'a> {
    pub fn parse(report: &'a Report) -> Packet<'a> {
        let cid = u32::from_be_bytes([report[0], report[1], report[2], report[3]]);
        if report[4] & INIT_BIT != 0 {
            Packet::Init {
                cid,
                cmd: report[4] & !INIT_BIT,
                len: u16::from_be_bytes([report[5], report[6]]),
                data: &report[7..],
            }
        } else {
            Packet::Cont {
                cid,
                seq: report[4],
                data: &report[5..],
            }
        }
    }

    pub fn cid(&self) -> u32 {
        match self {
            Packet::Init { cid, .. } | Packet::Cont { cid, .. } => *cid,
        }
    }
}

/// Splits a message into reports. `max_len` lets a caller apply a key's smaller limit.
pub fn fragment(
    cid: u32,
    command: u8,
    payload: &[u8],
    max_len: usize,
) -> Result<Vec<Report>, FrameError> {
    if command & INIT_BIT != 0 {
        return Err(FrameError::BadCommand(command));
    }
    let max = max_len.min(MAX_MESSAGE_LEN);
    if payload.len() > max {
        return Err(FrameError::TooLong {
            len: payload.len(),
            max,
        });
    }
    let cid_bytes = cid.to_be_bytes();
    let mut reports = Vec::with_capacity(
        1 + payload
            .len()
            .saturating_sub(INIT_DATA_LEN)
            .div_ceil(CONT_DATA_LEN),
    );
    let mut init = [0u8; REPORT_LEN];
    init[..4].copy_from_slice(&cid_bytes);
    init[4] = command | INIT_BIT;
    // payload.len() <= 7609 fits in u16.
    init[5..7].copy_from_slice(&(payload.len() as u16).to_be_bytes());
    let first = payload.len().min(INIT_DATA_LEN);
    init[7..7 + first].copy_from_slice(&payload[..first]);
    reports.push(init);
    for (seq, chunk) in payload[first..].chunks(CONT_DATA_LEN).enumerate() {
        let mut cont = [0u8; REPORT_LEN];
        cont[..4].copy_from_slice(&cid_bytes);
        cont[4] = seq as u8;
        cont[5..5 + chunk.len()].copy_from_slice(chunk);
        reports.push(cont);
    }
    Ok(reports)
}

/// Number of reports a message of `len` bytes needs: the protocol minimum that benchmarks use.
pub fn reports_for(len: usize) -> usize {
    1 + len.saturating_sub(INIT_DATA_LEN).div_ceil(CONT_DATA_LEN)
}

/// Rebuilds one message from its packets, checking channel and sequence as it goes.
#[derive(Debug)]
pub struct Reassembler {
    cid: u32,
    cmd: u8,
    expected: usize,
    data: Vec<u8>,
    next_seq: u8,
}

impl Reassembler {
    /// Starts from an initialization packet. `max_len` bounds the announced length.
    pub fn start(packet: &Packet<'_>, max_len: usize) -> Result<Self, FrameError> {
        let Packet::Init {
            cid,
            cmd,
            len,
            data,
        } = packet
        else {
            return Err(FrameError::UnexpectedContinuation);
        };
        let expected = usize::from(*len);
        let max = max_len.min(MAX_MESSAGE_LEN);
        if expected > max {
            return Err(FrameError::TooLong { len: expected, max });
        }
        let mut buf = Vec::with_capacity(expected);
        buf.extend_from_slice(&data[..expected.min(INIT_DATA_LEN)]);
        Ok(Self {
            cid: *cid,
            cmd: *cmd,
            expected,
            data: buf,
            next_seq: 0,
        })
    }

    pub fn cid(&self) -> u32 {
        self.cid
    }

    pub fn command(&self) -> u8 {
        self.cmd
    }

    pub fn is_complete(&self) -> bool {
        self.data.len() >= self.expected
    }

    /// Adds a continuation packet of this message's channel.
    pub fn push(&mut self, packet: &Packet<'_>) -> Result<(), FrameError> {
        let Packet::Cont { seq, data, .. } = packet else {
            return Err(FrameError::UnexpectedInit);
        };
        if *seq != self.next_seq || self.next_seq > MAX_SEQ {
            return Err(FrameError::BadSequence {
                expected: self.next_seq,
                got: *seq,
            });
        }
        self.next_seq = self.next_seq.wrapping_add(1);
        let take = (self.expected - self.data.len()).min(CONT_DATA_LEN);
        self.data.extend_from_slice(&data[..take]);
        Ok(())
    }

    pub fn into_message(self) -> (u8, Vec<u8>) {
        (self.cmd, self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reassemble(reports: &[Report]) -> Result<(u8, Vec<u8>), FrameError> {
        let mut r = Reassembler::start(&Packet::parse(&reports[0]), MAX_MESSAGE_LEN)?;
        for report in &reports[1..] {
            r.push(&Packet::parse(report))?;
        }
        assert!(r.is_complete());
        Ok(r.into_message())
    }

    #[test]
    fn round_trip_every_length() {
        let payload: Vec<u8> = (0..MAX_MESSAGE_LEN).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..=MAX_MESSAGE_LEN {
            let reports =
                fragment(0x0102_0304, cmd::CBOR, &payload[..len], MAX_MESSAGE_LEN).unwrap();
            assert_eq!(reports.len(), reports_for(len), "report count for {len}");
            let (command, message) = reassemble(&reports).unwrap();
            assert_eq!(command, cmd::CBOR);
            assert_eq!(message, &payload[..len], "length {len}");
        }
    }

    #[test]
    fn max_length_is_7609_and_uses_129_reports() {
        assert_eq!(MAX_MESSAGE_LEN, 7609);
        let reports = fragment(1, cmd::MSG, &[0u8; 7609], MAX_MESSAGE_LEN).unwrap();
        assert_eq!(reports.len(), 129);
        assert_eq!(reports[128][4], 0x7F);
    }

    #[test]
    fn over_maximum_is_rejected_both_ways() {
        assert_eq!(
            fragment(1, cmd::MSG, &[0u8; 7610], MAX_MESSAGE_LEN),
            Err(FrameError::TooLong {
                len: 7610,
                max: 7609
            })
        );
        assert_eq!(
            fragment(1, cmd::MSG, &[0u8; 1300], 1200),
            Err(FrameError::TooLong {
                len: 1300,
                max: 1200
            })
        );
        let mut init = [0u8; REPORT_LEN];
        init[4] = 0x90;
        init[5..7].copy_from_slice(&7610u16.to_be_bytes());
        assert_eq!(
            Reassembler::start(&Packet::parse(&init), MAX_MESSAGE_LEN).unwrap_err(),
            FrameError::TooLong {
                len: 7610,
                max: 7609
            }
        );
    }

    #[test]
    fn bad_sequence_is_rejected() {
        let mut reports = fragment(9, cmd::CBOR, &[1u8; 200], MAX_MESSAGE_LEN).unwrap();
        reports[2][4] = 5;
        assert_eq!(
            reassemble(&reports).unwrap_err(),
            FrameError::BadSequence {
                expected: 1,
                got: 5
            }
        );
    }

    #[test]
    fn continuation_first_and_init_in_middle_are_rejected() {
        let reports = fragment(9, cmd::CBOR, &[1u8; 200], MAX_MESSAGE_LEN).unwrap();
        assert_eq!(
            Reassembler::start(&Packet::parse(&reports[1]), MAX_MESSAGE_LEN).unwrap_err(),
            FrameError::UnexpectedContinuation
        );
        let mut r = Reassembler::start(&Packet::parse(&reports[0]), MAX_MESSAGE_LEN).unwrap();
        assert_eq!(
            r.push(&Packet::parse(&reports[0])).unwrap_err(),
            FrameError::UnexpectedInit
        );
    }

    #[test]
    fn truncated_message_is_incomplete() {
        let reports = fragment(9, cmd::CBOR, &[1u8; 200], MAX_MESSAGE_LEN).unwrap();
        let mut r = Reassembler::start(&Packet::parse(&reports[0]), MAX_MESSAGE_LEN).unwrap();
        r.push(&Packet::parse(&reports[1])).unwrap();
        assert!(!r.is_complete());
    }

    #[test]
    fn command_with_init_bit_is_rejected() {
        assert_eq!(
            fragment(1, 0x90, &[], 100),
            Err(FrameError::BadCommand(0x90))
        );
    }
}
