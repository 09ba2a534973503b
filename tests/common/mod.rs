#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bin;

use std::time::{Duration, Instant};

use glasskey::ctap2::Session;
use glasskey::ctaphid::CtapHid;
use glasskey::secret::Pin;
use glasskey::virtual_key::{Authenticator, VirtualDevice, VirtualTransport};
use zeroize::Zeroizing;

pub fn pin(s: &str) -> Pin {
    Pin::new(Zeroizing::new(s.to_owned())).unwrap()
}

pub fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

/// An in-memory virtual key of `profile`, optionally with a PIN, behind a full session.
pub fn session(profile: &str, with_pin: Option<&str>) -> Session<VirtualTransport> {
    let auth =
        Authenticator::create(None, profile, Some(12_345_678), with_pin.map(pin).as_ref()).unwrap();
    session_for(auth)
}

pub fn session_for(auth: Authenticator) -> Session<VirtualTransport> {
    let transport = VirtualTransport::new(VirtualDevice::new(auth), "virtual:test");
    let mut s = Session::new(CtapHid::open(transport, deadline()).unwrap());
    s.set_timeout(Duration::from_secs(5));
    // Protocol tests have no inventory: PIN operations are allowed without an identity proof.
    s.allow_pin_without_identity_check();
    s
}

/// A scripted key: answers INIT itself (echoing the nonce, assigning `cid`), then hands out
/// the queued reports in order, and records every report glasskey writes.
pub struct Replay {
    pub cid: u32,
    pub replies: std::collections::VecDeque<glasskey::transport::Report>,
    pub written: Vec<glasskey::transport::Report>,
}

impl Replay {
    pub fn new(cid: u32) -> Self {
        Self {
            cid,
            replies: Default::default(),
            written: Vec::new(),
        }
    }

    pub fn queue_hex_file(&mut self, name: &str) {
        self.replies.extend(load_vector(name));
    }
}

impl glasskey::transport::Transport for Replay {
    fn write_report(
        &mut self,
        report: &glasskey::transport::Report,
    ) -> Result<(), glasskey::transport::TransportError> {
        self.written.push(*report);
        if report[..4] == [0xFF; 4] && report[4] == 0x86 {
            let mut reply = [0u8; 64];
            reply[..4].copy_from_slice(&[0xFF; 4]);
            reply[4] = 0x86;
            reply[6] = 17;
            reply[7..15].copy_from_slice(&report[7..15]);
            reply[15..19].copy_from_slice(&self.cid.to_be_bytes());
            reply[19..24].copy_from_slice(&[2, 5, 2, 1, 0x05]);
            self.replies.push_front(reply);
        }
        Ok(())
    }

    fn read_report(
        &mut self,
        _deadline: Instant,
    ) -> Result<glasskey::transport::Report, glasskey::transport::TransportError> {
        self.replies
            .pop_front()
            .ok_or(glasskey::transport::TransportError::Timeout)
    }

    fn describe(&self) -> String {
        "replay".into()
    }
}

/// Reads a capture from tests/vectors (copied from shared/vectors): one 64-byte report per line, hex.
pub fn load_vector(name: &str) -> Vec<glasskey::transport::Report> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| hex::decode(l.trim()).unwrap().try_into().unwrap())
        .collect()
}
