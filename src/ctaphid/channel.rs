//! The client side of one CTAPHID channel: INIT with a checked nonce, request/response with
//! keepalive handling, busy retry with backoff, cancellation, and a deadline on every wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngCore;

use super::error::{CtapHidError, HidErrorCode};
use super::packet::{cmd, fragment, Packet, Reassembler, BROADCAST_CID, MAX_MESSAGE_LEN};
use crate::transport::{Report, Transport, REPORT_LEN};

/// Capability flags of the INIT reply.
pub const CAPABILITY_WINK: u8 = 0x01;
pub const CAPABILITY_CBOR: u8 = 0x04;
pub const CAPABILITY_NMSG: u8 = 0x08;

/// The smallest maxMsgSize a conforming key may have (CTAP 2.1 §6.4).
pub const MIN_MAX_MSG_SIZE: usize = 1024;

/// How often a blocked read wakes to look at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);
/// After CTAPHID_CANCEL, how long to wait for the key to confirm (CTAP2_ERR_KEEPALIVE_CANCEL)
/// before giving up on it: Ctrl-C must end the wait promptly even when the key stays silent.
const CANCEL_GRACE: Duration = Duration::from_millis(500);
const BUSY_BACKOFF_START: Duration = Duration::from_millis(10);
const BUSY_BACKOFF_MAX: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DeviceVersion {
    pub major: u8,
    pub minor: u8,
    pub build: u8,
}

impl std::fmt::Display for DeviceVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

/// What the key said about itself in its INIT reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct InitInfo {
    pub cid: u32,
    pub protocol_version: u8,
    /// Vendor-defined; YubiKeys put their firmware version here.
    pub device_version: DeviceVersion,
    pub capabilities: u8,
}

impl InitInfo {
    pub fn supports_wink(&self) -> bool {
        self.capabilities & CAPABILITY_WINK != 0
    }
    pub fn supports_cbor(&self) -> bool {
        self.capabilities & CAPABILITY_CBOR != 0
    }
    /// NMSG set means the key does *not* implement CTAPHID_MSG (CTAP1/U2F).
    pub fn supports_msg(&self) -> bool {
        self.capabilities & CAPABILITY_NMSG == 0
    }

    /// Parses the 17-byte INIT response payload (after the 8-byte nonce has been matched).
    pub fn parse(payload: &[u8]) -> Result<Self, CtapHidError> {
        if payload.len() < 17 {
            return Err(CtapHidError::ShortInit(payload.len()));
        }
        Ok(Self {
            cid: u32::from_be_bytes([payload[8], payload[9], payload[10], payload[11]]),
            protocol_version: payload[12],
            device_version: DeviceVersion {
                major: payload[13],
                minor: payload[14],
                build: payload[15],
            },
            capabilities: payload[16],
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveStatus {
    Processing,
    UserPresenceNeeded,
    Other(u8),
}

impl KeepaliveStatus {
    pub fn from_byte(b: u8) -> Self {
        match b {
            1 => Self::Processing,
            2 => Self::UserPresenceNeeded,
            other => Self::Other(other),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceDirection {
    Sent,
    Received,
}

type KeepaliveHook = Box<dyn FnMut(KeepaliveStatus) + Send>;
/// Receives every report; `redacted` is true for messages that carry PIN material, whose
/// payload must not be shown.
type TraceHook = Box<dyn FnMut(TraceDirection, &Report, bool) + Send>;

pub struct CtapHid<T: Transport> {
    transport: T,
    info: InitInfo,
    max_send_len: usize,
    on_keepalive: Option<KeepaliveHook>,
    trace: Option<TraceHook>,
    cancel: Arc<AtomicBool>,
    redact: bool,
    /// Whether the current request waits for a touch; UPNEEDED is reported only then.
    presence_expected: bool,
}

impl<T: Transport> CtapHid<T> {
    /// Allocates a channel with CTAPHID_INIT on the broadcast channel.
    pub fn open(transport: T, deadline: Instant) -> Result<Self, CtapHidError> {
        Self::open_with_trace(transport, deadline, None)
    }

    pub fn open_with_trace(
        transport: T,
        deadline: Instant,
        trace: Option<TraceHook>,
    ) -> Result<Self, CtapHidError> {
        let mut this = Self {
            transport,
            info: InitInfo {
                cid: BROADCAST_CID,
                protocol_version: 0,
                device_version: DeviceVersion {
                    major: 0,
                    minor: 0,
                    build: 0,
                },
                capabilities: 0,
            },
            max_send_len: MAX_MESSAGE_LEN,
            on_keepalive: None,
            trace,
            cancel: Arc::new(AtomicBool::new(false)),
            redact: false,
            presence_expected: false,
        };
        this.info = this.init(deadline)?;
        Ok(this)
    }

    fn init(&mut self, deadline: Instant) -> Result<InitInfo, CtapHidError> {
        let mut nonce = [0u8; 8];
        rand::thread_rng().fill_bytes(&mut nonce);
        self.send(BROADCAST_CID, cmd::INIT, &nonce)?;
        loop {
            let (command, payload) = self.receive(BROADCAST_CID, cmd::INIT, deadline)?;
            if command != cmd::INIT {
                return Err(CtapHidError::UnexpectedCommand {
                    sent: cmd::INIT,
                    got: command,
                });
            }
            // A reply to another application's INIT carries its nonce: keep waiting for ours.
            if payload.len() >= 8 && payload[..8] == nonce {
                let info = InitInfo::parse(&payload)?;
                if info.cid == BROADCAST_CID || info.cid == 0 {
                    return Err(CtapHidError::Device(HidErrorCode::InvalidChannel));
                }
                return Ok(info);
            }
        }
    }

    pub fn info(&self) -> &InitInfo {
        &self.info
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    pub fn into_transport(self) -> T {
        self.transport
    }

    /// Applies the key's maxMsgSize from getInfo to what we send. CTAP 2.1 §6.4 requires every
    /// key to accept 1024 bytes, so a smaller (or zero) advertised size is read as 1024.
    pub fn set_max_message_size(&mut self, len: usize) {
        self.max_send_len = len.clamp(MIN_MAX_MSG_SIZE, MAX_MESSAGE_LEN);
    }

    pub fn max_message_size(&self) -> usize {
        self.max_send_len
    }

    /// Called once per change of keepalive status, e.g. to print "Touch your key".
    pub fn set_keepalive_hook(&mut self, hook: Option<KeepaliveHook>) {
        self.on_keepalive = hook;
    }

    /// Says whether the next request needs a touch. Keys that send KEEPALIVE UPNEEDED for
    /// requests that do not (some firmware always does) then cause no "touch your key" prompt.
    pub fn set_presence_expected(&mut self, expected: bool) {
        self.presence_expected = expected;
    }

    pub fn set_trace_hook(&mut self, hook: Option<TraceHook>) {
        self.trace = hook;
    }

    /// A flag that, once set (e.g. by a Ctrl-C handler), makes the current wait send
    /// CTAPHID_CANCEL and return `Cancelled`.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }

    pub fn set_cancel_flag(&mut self, flag: Arc<AtomicBool>) {
        self.cancel = flag;
    }

    /// Sends one request and returns the reply payload. Vendor commands (0x40-0x7F) pass
    /// through. Any command at all, reset included: public only behind the
    /// `raw-access-unsafe-for-keys` feature, which the binary never enables (DESIGN §3.10).
    #[cfg(feature = "raw-access-unsafe-for-keys")]
    pub fn transact(
        &mut self,
        command: u8,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<Vec<u8>, CtapHidError> {
        self.transact_inner(command, payload, deadline, false)
    }
    #[cfg(not(feature = "raw-access-unsafe-for-keys"))]
    pub(crate) fn transact(
        &mut self,
        command: u8,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<Vec<u8>, CtapHidError> {
        self.transact_inner(command, payload, deadline, false)
    }

    /// Sends a request that carries PIN material: exactly once. CHANNEL_BUSY ends the call with
    /// `BusyNotResent` instead of a retry (DESIGN §3.7), and payloads stay out of the trace.
    pub(crate) fn transact_once_redacted(
        &mut self,
        command: u8,
        payload: &[u8],
        deadline: Instant,
    ) -> Result<Vec<u8>, CtapHidError> {
        self.redact = true;
        let result = self.exchange(command, payload, deadline, false);
        self.redact = false;
        result
    }

    fn transact_inner(
        &mut self,
        command: u8,
        payload: &[u8],
        deadline: Instant,
        redact: bool,
    ) -> Result<Vec<u8>, CtapHidError> {
        self.redact = redact;
        let result = self.exchange(command, payload, deadline, true);
        self.redact = false;
        result
    }

    fn exchange(
        &mut self,
        command: u8,
        payload: &[u8],
        deadline: Instant,
        retry_busy: bool,
    ) -> Result<Vec<u8>, CtapHidError> {
        let cid = self.info.cid;
        let mut backoff = BUSY_BACKOFF_START;
        loop {
            // Ctrl-C pressed while nothing was on the wire (e.g. at a PIN prompt): send nothing.
            if self.cancel.load(Ordering::SeqCst) {
                return Err(CtapHidError::Cancelled);
            }
            self.send(cid, command, payload)?;
            match self.receive(cid, command, deadline) {
                Ok((got, reply)) if got == command => return Ok(reply),
                Ok((got, _)) => return Err(CtapHidError::UnexpectedCommand { sent: command, got }),
                Err(CtapHidError::Device(HidErrorCode::ChannelBusy)) if !retry_busy => {
                    return Err(CtapHidError::BusyNotResent);
                }
                // The PIN request is out: the key may have counted the attempt.
                Err(CtapHidError::Cancelled) if !retry_busy => {
                    return Err(CtapHidError::CancelledAfterPinSent);
                }
                Err(CtapHidError::Device(HidErrorCode::ChannelBusy)) => {
                    if Instant::now() + backoff >= deadline {
                        return Err(CtapHidError::Busy);
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(BUSY_BACKOFF_MAX);
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub fn ping(&mut self, data: &[u8], deadline: Instant) -> Result<(), CtapHidError> {
        let echo = self.transact(cmd::PING, data, deadline)?;
        if echo != data {
            return Err(CtapHidError::PingMismatch);
        }
        Ok(())
    }

    pub fn wink(&mut self, deadline: Instant) -> Result<(), CtapHidError> {
        self.transact(cmd::WINK, &[], deadline).map(|_| ())
    }

    fn send(&mut self, cid: u32, command: u8, payload: &[u8]) -> Result<(), CtapHidError> {
        let max = if command == cmd::INIT {
            MAX_MESSAGE_LEN
        } else {
            self.max_send_len
        };
        for report in fragment(cid, command, payload, max)? {
            self.write(&report)?;
        }
        Ok(())
    }

    fn write(&mut self, report: &Report) -> Result<(), CtapHidError> {
        if let Some(trace) = self.trace.as_mut() {
            trace(TraceDirection::Sent, report, self.redact);
        }
        self.transport.write_report(report)?;
        Ok(())
    }

    fn send_cancel(&mut self, cid: u32) -> Result<(), CtapHidError> {
        let mut report = [0u8; REPORT_LEN];
        report[..4].copy_from_slice(&cid.to_be_bytes());
        report[4] = cmd::CANCEL | 0x80;
        self.write(&report)
    }

    /// Reads one report, waking regularly to honour the cancel flag. Once CANCEL is sent, the
    /// key has `CANCEL_GRACE` to answer; then the wait ends as cancelled.
    fn read(
        &mut self,
        cid: u32,
        deadline: Instant,
        cancel_sent: &mut Option<Instant>,
    ) -> Result<Report, CtapHidError> {
        loop {
            if cancel_sent.is_none() && self.cancel.load(Ordering::SeqCst) {
                self.send_cancel(cid)?;
                *cancel_sent = Some(Instant::now());
            }
            let deadline = match cancel_sent {
                Some(at) => deadline.min(*at + CANCEL_GRACE),
                None => deadline,
            };
            let now = Instant::now();
            if now >= deadline {
                if cancel_sent.is_some() {
                    return Err(CtapHidError::Cancelled);
                }
                if cid != BROADCAST_CID {
                    // Stop the key from waiting for a touch that no one will act on.
                    let _ = self.send_cancel(cid);
                }
                return Err(crate::transport::TransportError::Timeout.into());
            }
            let wake = deadline.min(now + CANCEL_POLL);
            match self.transport.read_report(wake) {
                Ok(report) => {
                    if let Some(trace) = self.trace.as_mut() {
                        trace(TraceDirection::Received, &report, self.redact);
                    }
                    return Ok(report);
                }
                Err(crate::transport::TransportError::Timeout) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits for the reply to `sent` on `cid`, skipping other channels and keepalives.
    fn receive(
        &mut self,
        cid: u32,
        sent: u8,
        deadline: Instant,
    ) -> Result<(u8, Vec<u8>), CtapHidError> {
        let mut cancel_sent = None;
        let mut last_status = None;
        let result = loop {
            let report = self.read(cid, deadline, &mut cancel_sent)?;
            let packet = Packet::parse(&report);
            if packet.cid() != cid {
                continue;
            }
            let Packet::Init {
                cmd: command, data, ..
            } = packet
            else {
                // A stray continuation of an earlier, abandoned message.
                continue;
            };
            match command {
                cmd::KEEPALIVE => {
                    let status = KeepaliveStatus::from_byte(data[0]);
                    let noise =
                        status == KeepaliveStatus::UserPresenceNeeded && !self.presence_expected;
                    if last_status != Some(status) && !noise {
                        last_status = Some(status);
                        if let Some(hook) = self.on_keepalive.as_mut() {
                            hook(status);
                        }
                    }
                }
                cmd::ERROR => break Err(CtapHidError::Device(HidErrorCode::from_byte(data[0]))),
                _ if command == sent => break self.reassemble(&packet, deadline, &mut cancel_sent),
                other => break Err(CtapHidError::UnexpectedCommand { sent, got: other }),
            }
        };
        if cancel_sent.is_some() {
            return Err(CtapHidError::Cancelled);
        }
        result
    }

    fn reassemble(
        &mut self,
        first: &Packet<'_>,
        deadline: Instant,
        cancel_sent: &mut Option<Instant>,
    ) -> Result<(u8, Vec<u8>), CtapHidError> {
        let mut message = Reassembler::start(first, MAX_MESSAGE_LEN)?;
        while !message.is_complete() {
            let report = self.read(message.cid(), deadline, cancel_sent)?;
            let packet = Packet::parse(&report);
            if packet.cid() != message.cid() {
                continue;
            }
            message.push(&packet)?;
        }
        Ok(message.into_message())
    }
}
