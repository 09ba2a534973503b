//! The virtual key's CTAPHID endpoint: reports in, reports out. It allocates channels, reassembles
//! requests, answers INIT/PING/WINK/CBOR/CANCEL and the YubiKey read-config vendor command, sends
//! KEEPALIVE while "waiting for a touch" (the virtual key touches itself), and misbehaves on
//! request through its fault knobs.

use std::collections::VecDeque;

use super::authenticator::Authenticator;
use crate::ctap2::cbor::{self, int, Value};
use crate::ctap2::StatusCode;
use crate::ctaphid::packet::{cmd, fragment, Packet, Reassembler, BROADCAST_CID, MAX_MESSAGE_LEN};
use crate::ctaphid::HidErrorCode;
use crate::transport::{Report, REPORT_LEN};
use crate::vendor::yubico;

/// Keepalives sent before the virtual key "is touched".
const TOUCH_KEEPALIVES: u32 = 2;
const KEEPALIVE_UP_NEEDED: u8 = 2;
const CAPABILITY_WINK: u8 = 0x01;
const CAPABILITIES: u8 = 0x04 | 0x08; // CBOR | NMSG (no U2F); WINK by profile

struct Pending {
    cid: u32,
    reply: Vec<u8>,
    /// None: keep sending keepalives forever (a fault).
    keepalives_left: Option<u32>,
}

pub struct VirtualDevice {
    auth: Authenticator,
    next_cid: u32,
    channels: Vec<u32>,
    assembling: Option<Reassembler>,
    outbox: VecDeque<Report>,
    pending: Option<Pending>,
    busy_left: u32,
    cbor_replies: u32,
    vanished: bool,
}

impl VirtualDevice {
    pub fn new(auth: Authenticator) -> Self {
        let busy_left = auth.state().faults.busy_replies;
        Self {
            auth,
            next_cid: 0x0100_0001,
            channels: Vec::new(),
            assembling: None,
            outbox: VecDeque::new(),
            pending: None,
            busy_left,
            cbor_replies: 0,
            vanished: false,
        }
    }

    pub fn authenticator(&self) -> &Authenticator {
        &self.auth
    }

    pub fn authenticator_mut(&mut self) -> &mut Authenticator {
        &mut self.auth
    }

    pub fn into_authenticator(self) -> Authenticator {
        self.auth
    }

    /// CBOR replies sent so far, for arming `vanish_after` mid-conversation.
    pub fn cbor_replies(&self) -> u32 {
        self.cbor_replies
    }

    pub fn is_vanished(&self) -> bool {
        self.vanished
    }

    /// True when the next report is a keepalive (the host pacing code sleeps on those).
    pub fn is_waiting_for_touch(&self) -> bool {
        self.outbox.is_empty() && self.pending.is_some()
    }

    /// Takes one report from the host.
    pub fn receive(&mut self, report: &Report) {
        if self.vanished {
            return;
        }
        let packet = Packet::parse(report);
        match packet {
            Packet::Init {
                cid,
                cmd: command,
                len,
                data,
            } => self.receive_init(&packet, cid, command, len, data),
            Packet::Cont { cid, .. } => {
                let Some(mut message) = self.assembling.take() else {
                    return;
                };
                if message.cid() != cid {
                    self.assembling = Some(message);
                    self.error(cid, HidErrorCode::ChannelBusy);
                    return;
                }
                match message.push(&packet) {
                    Ok(()) if message.is_complete() => {
                        let (command, payload) = message.into_message();
                        self.dispatch(cid, command, &payload);
                    }
                    Ok(()) => self.assembling = Some(message),
                    Err(_) => self.error(cid, HidErrorCode::InvalidSequence),
                }
            }
        }
    }

    fn receive_init(&mut self, packet: &Packet<'_>, cid: u32, command: u8, len: u16, data: &[u8]) {
        if command == cmd::INIT {
            if len != 8 {
                return self.error(cid, HidErrorCode::InvalidLength);
            }
            let new_cid = if cid == BROADCAST_CID {
                let c = self.next_cid;
                self.next_cid = self.next_cid.wrapping_add(1);
                self.channels.push(c);
                c
            } else if self.channels.contains(&cid) {
                // Resynchronise: abandon whatever this channel was doing.
                if self.assembling.as_ref().is_some_and(|a| a.cid() == cid) {
                    self.assembling = None;
                }
                cid
            } else {
                return self.error(cid, HidErrorCode::InvalidChannel);
            };
            let [major, minor, build] = self.auth.profile().firmware;
            let mut reply = data[..8].to_vec();
            reply.extend(new_cid.to_be_bytes());
            let wink = if self.auth.profile().wink {
                CAPABILITY_WINK
            } else {
                0
            };
            reply.extend([2, major, minor, build, CAPABILITIES | wink]);
            return self.send(cid, cmd::INIT, &reply);
        }
        if cid == BROADCAST_CID || !self.channels.contains(&cid) {
            return self.error(cid, HidErrorCode::InvalidChannel);
        }
        if command == cmd::CANCEL {
            if self.pending.as_ref().is_some_and(|p| p.cid == cid) {
                self.pending = None;
                self.send(cid, cmd::CBOR, &[StatusCode::KEEPALIVE_CANCEL.0]);
            }
            return;
        }
        if self.assembling.as_ref().is_some_and(|a| a.cid() != cid)
            || self.pending.as_ref().is_some_and(|p| p.cid != cid)
        {
            return self.error(cid, HidErrorCode::ChannelBusy);
        }
        match Reassembler::start(packet, MAX_MESSAGE_LEN) {
            Ok(message) if message.is_complete() => {
                let (command, payload) = message.into_message();
                self.dispatch(cid, command, &payload);
            }
            Ok(message) => self.assembling = Some(message),
            Err(_) => self.error(cid, HidErrorCode::InvalidLength),
        }
    }

    fn dispatch(&mut self, cid: u32, command: u8, payload: &[u8]) {
        if self.busy_left > 0 {
            self.busy_left -= 1;
            return self.error(cid, HidErrorCode::ChannelBusy);
        }
        if self.auth.faults().no_answer {
            return;
        }
        match command {
            cmd::PING => self.send(cid, cmd::PING, payload),
            cmd::WINK if !self.auth.profile().wink => self.error(cid, HidErrorCode::InvalidCommand),
            cmd::WINK => {
                self.auth.winks += 1;
                self.send(cid, cmd::WINK, &[]);
            }
            cmd::CBOR => {
                let outcome = self.auth.handle_cbor(payload);
                self.cbor_replies += 1;
                if self
                    .auth
                    .faults()
                    .vanish_after
                    .is_some_and(|n| self.cbor_replies > n)
                {
                    self.vanished = true;
                    return;
                }
                let reply = self.corrupt(outcome.reply);
                if outcome.needs_touch || self.auth.profile().quirks.always_up_needed {
                    let keepalives_left = if self.auth.faults().endless_keepalive {
                        None
                    } else {
                        Some(TOUCH_KEEPALIVES)
                    };
                    self.pending = Some(Pending {
                        cid,
                        reply,
                        keepalives_left,
                    });
                } else {
                    self.send(cid, cmd::CBOR, &reply);
                }
            }
            yubico::CMD_READ_CONFIG if self.auth.profile().yubikey_config => {
                let page = if payload.first().copied().unwrap_or(0) == 0 {
                    let [major, minor, patch] = self.auth.profile().firmware;
                    let config = yubico::YubiKeyConfig {
                        serial: Some(self.auth.state().serial),
                        firmware: Some(format!("{major}.{minor}.{patch}")),
                        form_factor: None,
                    };
                    yubico::encode_page(&config, self.auth.profile().form_factor)
                } else {
                    vec![0]
                };
                self.send(cid, command, &page);
            }
            _ => self.error(cid, HidErrorCode::InvalidCommand),
        }
    }

    /// Applies the body faults to a CBOR reply (status byte kept).
    fn corrupt(&self, mut reply: Vec<u8>) -> Vec<u8> {
        let faults = self.auth.faults();
        if reply.len() <= 1 {
            return reply;
        }
        if faults.truncated {
            reply.truncate(1 + (reply.len() - 1) / 2);
        }
        if faults.malformed_cbor {
            reply.truncate(1);
            reply.extend([0xFF, 0xFE, 0x1C, 0x00]);
        }
        if faults.deep_cbor {
            reply.truncate(1);
            reply.extend(std::iter::repeat_n(0x81, 200));
            reply.push(0x00);
        }
        if faults.wrong_types {
            reply.truncate(1);
            reply.extend(cbor::encode(&Value::Map(vec![
                (int(1), int(5)),
                (int(3), Value::Text("not an AAGUID".into())),
            ])));
        }
        if faults.duplicate_keys {
            reply.truncate(1);
            reply.extend(cbor::encode(&Value::Map(vec![
                (int(1), int(1)),
                (int(1), int(2)),
            ])));
        }
        reply
    }

    /// An error ends only the message of the channel it goes to: a CHANNEL_BUSY to one host
    /// application must not drop the message another is in the middle of sending.
    fn error(&mut self, cid: u32, code: HidErrorCode) {
        if self.assembling.as_ref().is_some_and(|a| a.cid() == cid) {
            self.assembling = None;
        }
        self.send(cid, cmd::ERROR, &[code.to_byte()]);
    }

    fn send(&mut self, cid: u32, command: u8, payload: &[u8]) {
        let faults = self.auth.faults().clone();
        let cid = if faults.wrong_channel && command != cmd::INIT {
            cid ^ 0x8000_0000
        } else {
            cid
        };
        let Ok(mut reports) = fragment(cid, command, payload, MAX_MESSAGE_LEN) else {
            return;
        };
        if faults.oversized && command == cmd::CBOR {
            reports[0][5] = 0xFF;
            reports[0][6] = 0xFF;
        }
        if faults.bad_sequence {
            for r in reports.iter_mut().skip(1) {
                r[4] = r[4].wrapping_add(1);
            }
        }
        self.outbox.extend(reports);
    }

    /// Gives the host its next report, if the key has one.
    pub fn poll(&mut self) -> Option<Report> {
        if self.vanished {
            return None;
        }
        if let Some(r) = self.outbox.pop_front() {
            return Some(r);
        }
        let pending = self.pending.as_mut()?;
        match pending.keepalives_left {
            Some(0) => {
                let p = self.pending.take()?;
                self.send(p.cid, cmd::CBOR, &p.reply);
                self.outbox.pop_front()
            }
            left => {
                pending.keepalives_left = left.map(|n| n - 1);
                let mut r = [0u8; REPORT_LEN];
                r[..4].copy_from_slice(&pending.cid.to_be_bytes());
                r[4] = cmd::KEEPALIVE | 0x80;
                r[6] = 1;
                r[7] = KEEPALIVE_UP_NEEDED;
                Some(r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init(device: &mut VirtualDevice) -> u32 {
        let mut nonce = [0u8; 8];
        nonce[0] = 7;
        for r in fragment(BROADCAST_CID, cmd::INIT, &nonce, MAX_MESSAGE_LEN).unwrap() {
            device.receive(&r);
        }
        let reply = device.poll().unwrap();
        while device.poll().is_some() {}
        u32::from_be_bytes([reply[15], reply[16], reply[17], reply[18]])
    }

    /// Two host applications: B's request arriving while A is between packets gets CHANNEL_BUSY,
    /// and A's message still completes and is answered (a lost request is a PIN request that
    /// silently never arrives).
    #[test]
    fn busy_for_one_channel_keeps_the_other_channels_message() {
        let auth = Authenticator::create(None, "yubikey-5.7", Some(1), None).unwrap();
        let mut device = VirtualDevice::new(auth);
        let a = init(&mut device);
        let b = init(&mut device);
        let long = vec![0x42u8; 150];
        let packets = fragment(a, cmd::PING, &long, MAX_MESSAGE_LEN).unwrap();
        device.receive(&packets[0]);
        for r in fragment(b, cmd::PING, b"b", MAX_MESSAGE_LEN).unwrap() {
            device.receive(&r);
        }
        let busy = device.poll().unwrap();
        assert_eq!(u32::from_be_bytes([busy[0], busy[1], busy[2], busy[3]]), b);
        assert_eq!(busy[4], cmd::ERROR | 0x80);
        for r in &packets[1..] {
            device.receive(r);
        }
        let echo = device.poll().expect("A's message was dropped");
        assert_eq!(u32::from_be_bytes([echo[0], echo[1], echo[2], echo[3]]), a);
        assert_eq!(echo[4], cmd::PING | 0x80);
    }
}
