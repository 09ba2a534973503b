//! A key that answers INIT properly and then sends arbitrary reports: the channel must end in
//! a typed result (reply, error, timeout), never panic or hang.
#![no_main]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use glasskey::ctaphid::CtapHid;
use glasskey::transport::{Report, Transport, TransportError};
use libfuzzer_sys::fuzz_target;

struct Scripted {
    replies: VecDeque<Report>,
}

impl Transport for Scripted {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        if report[..5] == [0xFF, 0xFF, 0xFF, 0xFF, 0x86] {
            let mut init = [0u8; 64];
            init[..5].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x86]);
            init[6] = 17;
            init[7..15].copy_from_slice(&report[7..15]);
            init[15..19].copy_from_slice(&[0, 0x22, 0, 2]);
            init[19..24].copy_from_slice(&[2, 5, 7, 4, 5]);
            self.replies.push_front(init);
        }
        Ok(())
    }
    fn read_report(&mut self, _deadline: Instant) -> Result<Report, TransportError> {
        // An exhausted script is an unplugged key: ending at once keeps each run fast (a
        // timeout would make the channel wait out its deadline, ~5,000 times slower).
        self.replies.pop_front().ok_or(TransportError::Disconnected)
    }
    fn describe(&self) -> String {
        "fuzz".into()
    }
}

fuzz_target!(|data: &[u8]| {
    let replies = data
        .chunks(64)
        .map(|c| {
            let mut r = [0u8; 64];
            r[..c.len()].copy_from_slice(c);
            // Most reports should be on our channel, or the target only tests "ignore".
            if c.len() >= 4 && c[0] & 1 == 0 {
                r[..4].copy_from_slice(&[0, 0x22, 0, 2]);
            }
            r
        })
        .collect();
    // Short: inputs that answer CHANNEL_BUSY make the channel back off in real time until then.
    let deadline = Instant::now() + Duration::from_millis(20);
    if let Ok(mut hid) = CtapHid::open(Scripted { replies }, deadline) {
        let _ = hid.transact(0x10, &[0x04], deadline);
    }
});
