//! Runs the Trussed `fido-authenticator` (the FIDO app of Nitrokey 3 and Solo 2 firmware) on
//! Trussed's virtual platform, in-process, and exposes it to glasskey as a `Transport`.
//!
//! The host side is glasskey's real CTAPHID and CTAP2 code. The device side's CTAPHID framing
//! is written here, independently of glasskey's codec, so that a framing mistake in glasskey
//! cannot be mirrored by its test partner. The CTAP2 logic is entirely Trussed's.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ctaphid_dispatch::app::{Command, Error as AppError};
use ctaphid_dispatch::{Channel, Dispatch, Requester, DEFAULT_MESSAGE_SIZE};
use fido_authenticator::{Authenticator, Config, Conforming};
use glasskey::ctap2::cbor::{self, Value};
use glasskey::transport::{Report, Transport, TransportError};
use heapless_bytes::Bytes;
use trussed::backend::BackendId;
use trussed::platform::{Platform as _, UserInterface};
use trussed::types::ui::Status;
use trussed::virt::{self, StoreConfig};
use trussed_core::types::consent::Level;
use trussed_core::types::reboot::To;
use trussed_staging::virt::{BackendIds, Dispatcher};

const BROADCAST: u32 = 0xFFFF_FFFF;
const KEEPALIVE_EVERY: Duration = Duration::from_millis(50);

/// How the virtual platform answers "is the user there?".
#[derive(Clone, Copy, Debug)]
pub enum Presence {
    Touch,
    NoTouch,
    /// The user touches the key this long after it starts waiting (Trussed gives up after
    /// `UP_TIMEOUT_FOR_DELAYED_TOUCH`), so the host sees keepalives and may cancel.
    TouchAfter(Duration),
}

/// Trussed's wait for a touch, when the touch comes late (or never).
pub const UP_TIMEOUT_FOR_DELAYED_TOUCH: Duration = Duration::from_secs(3);

/// How the harness presents Trussed's getInfo to glasskey. Trussed implements PIN protocols
/// 1 and 2 and getPinToken (0x05); these views make glasskey choose them, so that they run
/// end to end against Trussed's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoView {
    /// getInfo as Trussed sends it.
    AsIs,
    /// pinUvAuthProtocols reordered to [1, 2]: protocol 1 is the key's preference.
    PrefersProtocol1,
    /// A CTAP 2.0 key: versions U2F_V2 and FIDO_2_0, PIN protocol 1 only, no CTAP 2.1
    /// options (so PIN tokens come from getPinToken, 0x05, and getPINRetries carries the
    /// protocol).
    Ctap20,
}

struct TestUi {
    presence: Presence,
    started: Instant,
    waiting_since: Option<Instant>,
    /// Shared with the transport: keepalives say UPNEEDED while this is set.
    waiting_for_touch: Arc<AtomicBool>,
}

impl UserInterface for TestUi {
    fn check_user_presence(&mut self) -> Level {
        match self.presence {
            Presence::Touch => Level::Normal,
            Presence::NoTouch => Level::None,
            Presence::TouchAfter(delay) => {
                if self.waiting_since.is_some_and(|t| t.elapsed() >= delay) {
                    Level::Normal
                } else {
                    Level::None
                }
            }
        }
    }
    fn set_status(&mut self, status: Status) {
        let waiting = matches!(status, Status::WaitingForUserPresence);
        self.waiting_since = waiting.then(Instant::now);
        self.waiting_for_touch.store(waiting, Ordering::SeqCst);
    }
    fn refresh(&mut self) {}
    fn uptime(&mut self) -> Duration {
        self.started.elapsed()
    }
    fn reboot(&mut self, _to: To) -> ! {
        // The FIDO app never reboots the platform in the flows glasskey drives.
        panic!("fido-authenticator asked the virtual platform to reboot")
    }
    fn wink(&mut self, _duration: Duration) {}
}

struct Incoming {
    cid: u32,
    cmd: u8,
    len: usize,
    data: Vec<u8>,
    next_seq: u8,
}

/// Device-side CTAPHID between glasskey's reports and Trussed's ctaphid dispatch.
pub struct TrussedTransport<'a> {
    requester: Requester<'a, DEFAULT_MESSAGE_SIZE>,
    outbox: VecDeque<Report>,
    incoming: Option<Incoming>,
    waiting: Option<(u32, u8)>,
    next_cid: u32,
    last_keepalive: Instant,
    waiting_for_touch: Arc<AtomicBool>,
    view: InfoView,
    /// The request in progress is getInfo (its reply is shown through `view`).
    get_info_pending: bool,
    /// Reports seen in each direction, for checks that count them.
    pub reports_in: u64,
    pub reports_out: u64,
    /// CTAPHID CANCEL reports received.
    pub cancels: u64,
    /// CTAP2 command bytes received in CBOR requests, in order.
    pub ctap_commands: Vec<u8>,
    /// clientPIN subcommands received, in order.
    pub client_pin_subcommands: Vec<u8>,
}

impl<'a> TrussedTransport<'a> {
    fn new(
        requester: Requester<'a, DEFAULT_MESSAGE_SIZE>,
        waiting_for_touch: Arc<AtomicBool>,
        view: InfoView,
    ) -> Self {
        Self {
            requester,
            outbox: VecDeque::new(),
            incoming: None,
            waiting: None,
            next_cid: 1,
            last_keepalive: Instant::now(),
            waiting_for_touch,
            view,
            get_info_pending: false,
            reports_in: 0,
            reports_out: 0,
            cancels: 0,
            ctap_commands: Vec::new(),
            client_pin_subcommands: Vec::new(),
        }
    }

    /// Records what a CBOR request asks for (command byte; clientPIN subcommand).
    fn note_request(&mut self, cmd: u8, data: &[u8]) {
        if cmd != 0x10 {
            return;
        }
        let Some((&ctap, params)) = data.split_first() else {
            return;
        };
        self.ctap_commands.push(ctap);
        self.get_info_pending = ctap == 0x04;
        if ctap == 0x06 {
            if let Ok(Value::Map(entries)) = cbor::decode(params) {
                let sub = entries
                    .iter()
                    .find(|(k, _)| cbor::as_i64(k) == Some(2))
                    .and_then(|(_, v)| cbor::as_i64(v))
                    .and_then(|v| u8::try_from(v).ok());
                if let Some(sub) = sub {
                    self.client_pin_subcommands.push(sub);
                }
            }
        }
    }

    /// Trussed's getInfo reply as `view` presents it.
    fn present_info(&self, message: Vec<u8>) -> Vec<u8> {
        if self.view == InfoView::AsIs || message.first() != Some(&0) {
            return message;
        }
        let Ok(Value::Map(mut entries)) = cbor::decode(&message[1..]) else {
            return message;
        };
        let protocols = |list: &[i64]| Value::Array(list.iter().map(|p| cbor::int(*p)).collect());
        for (key, value) in entries.iter_mut() {
            match (cbor::as_i64(key), self.view) {
                (Some(6), InfoView::PrefersProtocol1) => *value = protocols(&[1, 2]),
                (Some(6), InfoView::Ctap20) => *value = protocols(&[1]),
                (Some(1), InfoView::Ctap20) => {
                    *value = Value::Array(vec![cbor::text("U2F_V2"), cbor::text("FIDO_2_0")])
                }
                (Some(4), InfoView::Ctap20) => {
                    if let Value::Map(options) = value {
                        // CTAP 2.0 defines only these options.
                        options.retain(|(k, _)| {
                            matches!(k.as_text(), Some("rk" | "up" | "uv" | "plat" | "clientPin"))
                        });
                    }
                }
                _ => {}
            }
        }
        if self.view == InfoView::Ctap20 {
            entries.retain(|(k, _)| cbor::as_i64(k).is_some_and(|k| k <= 6));
        }
        let mut out = vec![0];
        out.extend(cbor::encode(&Value::Map(entries)));
        out
    }

    fn queue(&mut self, cid: u32, cmd: u8, payload: &[u8]) {
        let mut first = [0u8; 64];
        first[..4].copy_from_slice(&cid.to_be_bytes());
        first[4] = cmd | 0x80;
        first[5..7].copy_from_slice(&(payload.len() as u16).to_be_bytes());
        let head = payload.len().min(57);
        first[7..7 + head].copy_from_slice(&payload[..head]);
        self.outbox.push_back(first);
        let mut offset = head;
        let mut seq = 0u8;
        while offset < payload.len() {
            let mut cont = [0u8; 64];
            cont[..4].copy_from_slice(&cid.to_be_bytes());
            cont[4] = seq;
            let n = (payload.len() - offset).min(59);
            cont[5..5 + n].copy_from_slice(&payload[offset..offset + n]);
            self.outbox.push_back(cont);
            offset += n;
            seq += 1;
        }
    }

    fn error(&mut self, cid: u32, code: u8) {
        self.queue(cid, 0x3F, &[code]);
    }

    fn dispatch(&mut self, cid: u32, cmd: u8, data: Vec<u8>) {
        self.note_request(cmd, &data);
        match cmd {
            0x01 => self.queue(cid, 0x01, &data),
            0x08 => self.queue(cid, 0x08, &[]),
            _ => {
                let Ok(command) = Command::try_from(cmd) else {
                    return self.error(cid, 0x01);
                };
                let Ok(bytes) = Bytes::try_from(data.as_slice()) else {
                    return self.error(cid, 0x03);
                };
                if self.requester.request((command, bytes)).is_err() {
                    return self.error(cid, 0x06);
                }
                self.waiting = Some((cid, cmd));
                self.last_keepalive = Instant::now();
            }
        }
    }

    fn poll_app(&mut self) {
        let Some((cid, cmd)) = self.waiting else {
            return;
        };
        if let Some(response) = self.requester.take_response() {
            self.waiting = None;
            match response.0 {
                Ok(message) => {
                    let message = if std::mem::take(&mut self.get_info_pending) {
                        self.present_info(message.to_vec())
                    } else {
                        message.to_vec()
                    };
                    self.queue(cid, cmd, &message)
                }
                Err(AppError::InvalidCommand) => self.error(cid, 0x01),
                Err(AppError::InvalidLength) => self.error(cid, 0x03),
                Err(AppError::NoResponse) => {}
            }
        } else if self.last_keepalive.elapsed() >= KEEPALIVE_EVERY {
            self.last_keepalive = Instant::now();
            let mut keepalive = [0u8; 64];
            keepalive[..4].copy_from_slice(&cid.to_be_bytes());
            keepalive[4] = 0x3B | 0x80;
            keepalive[6] = 1;
            // UPNEEDED while Trussed waits for a touch, PROCESSING otherwise.
            keepalive[7] = if self.waiting_for_touch.load(Ordering::SeqCst) {
                2
            } else {
                1
            };
            self.outbox.push_back(keepalive);
        }
    }
}

impl Transport for TrussedTransport<'_> {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        self.reports_in += 1;
        let cid = u32::from_be_bytes([report[0], report[1], report[2], report[3]]);
        if report[4] & 0x80 != 0 {
            let cmd = report[4] & 0x7F;
            let len = usize::from(u16::from_be_bytes([report[5], report[6]]));
            if cmd == 0x06 {
                // INIT: nonce, new channel, protocol 2, version 0.4.0, WINK | CBOR.
                let mut reply = report[7..15].to_vec();
                let new_cid = if cid == BROADCAST {
                    self.next_cid += 1;
                    self.next_cid
                } else {
                    cid
                };
                reply.extend(new_cid.to_be_bytes());
                reply.extend([2, 0, 4, 0, 0x05]);
                self.queue(cid, 0x06, &reply);
                return Ok(());
            }
            if cmd == 0x11 {
                self.cancels += 1;
                if self.waiting.is_some_and(|(c, _)| c == cid) {
                    let _ = self.requester.cancel();
                    self.waiting = None;
                    self.queue(cid, 0x10, &[0x2D]);
                }
                return Ok(());
            }
            if self.waiting.is_some() {
                self.error(cid, 0x06);
                return Ok(());
            }
            if len > DEFAULT_MESSAGE_SIZE {
                self.error(cid, 0x03);
                return Ok(());
            }
            let head = len.min(57);
            let incoming = Incoming {
                cid,
                cmd,
                len,
                data: report[7..7 + head].to_vec(),
                next_seq: 0,
            };
            if incoming.data.len() == len {
                self.dispatch(cid, cmd, incoming.data);
            } else {
                self.incoming = Some(incoming);
            }
        } else if let Some(mut incoming) = self.incoming.take() {
            if incoming.cid != cid {
                self.incoming = Some(incoming);
                self.error(cid, 0x06);
                return Ok(());
            }
            if report[4] != incoming.next_seq {
                self.error(cid, 0x04);
                return Ok(());
            }
            incoming.next_seq += 1;
            let n = (incoming.len - incoming.data.len()).min(59);
            incoming.data.extend_from_slice(&report[5..5 + n]);
            if incoming.data.len() == incoming.len {
                self.dispatch(incoming.cid, incoming.cmd, incoming.data);
            } else {
                self.incoming = Some(incoming);
            }
        }
        Ok(())
    }

    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError> {
        loop {
            self.poll_app();
            if let Some(report) = self.outbox.pop_front() {
                self.reports_out += 1;
                return Ok(report);
            }
            if Instant::now() >= deadline {
                return Err(TransportError::Timeout);
            }
            thread::sleep(Duration::from_micros(200));
        }
    }

    fn describe(&self) -> String {
        "trussed:fido-authenticator".into()
    }
}

/// Boots a fresh Trussed FIDO authenticator and runs `f` against it.
pub fn with_trussed_key<F, T>(presence: Presence, f: F) -> T
where
    F: FnOnce(&mut TrussedTransport<'_>) -> T + Send,
    T: Send,
{
    with_trussed_key_as(presence, InfoView::AsIs, f)
}

/// Like `with_trussed_key`, with Trussed's getInfo presented through `view`.
pub fn with_trussed_key_as<F, T>(presence: Presence, view: InfoView, f: F) -> T
where
    F: FnOnce(&mut TrussedTransport<'_>) -> T + Send,
    T: Send,
{
    let waiting_for_touch = Arc::new(AtomicBool::new(false));
    let ui_flag = Arc::clone(&waiting_for_touch);
    virt::with_platform(StoreConfig::ram(), |mut platform| {
        platform.user_interface().set_inner(Box::new(TestUi {
            presence,
            started: Instant::now(),
            waiting_since: None,
            waiting_for_touch: ui_flag,
        }));
        platform.run_client_with_backends(
            "fido",
            Dispatcher::default(),
            &[
                BackendId::Custom(BackendIds::StagingBackend),
                BackendId::Core,
            ],
            |client| {
                let config = Config {
                    // What Nitrokey 3 firmware configures (usbd-ctaphid's message buffer).
                    max_msg_size: 3072,
                    skip_up_timeout: None,
                    max_resident_credential_count: Some(10),
                    large_blobs: None,
                    nfc_transport: false,
                    ccid_transport: false,
                    firmware_version: None,
                    credential_id_version: None,
                    long_touch_for_reset: false,
                    fido2_up_timeout: Some(match presence {
                        Presence::TouchAfter(_) => UP_TIMEOUT_FOR_DELAYED_TOUCH.as_millis() as u32,
                        _ => 100,
                    }),
                };
                let mut authenticator = Authenticator::new(client, Conforming {}, config);
                let channel = Channel::new();
                let Some((requester, responder)) = channel.split() else {
                    panic!("a fresh ctaphid channel always splits");
                };
                thread::scope(|s| {
                    let stop = Arc::new(AtomicBool::new(false));
                    let poller_stop = Arc::clone(&stop);
                    let poller = s.spawn(move || {
                        let mut dispatch: Dispatch<'_, 'static, DEFAULT_MESSAGE_SIZE> =
                            Dispatch::new(responder);
                        while !poller_stop.load(Ordering::Relaxed) {
                            dispatch.poll(&mut [&mut authenticator]);
                            thread::sleep(Duration::from_micros(200));
                        }
                    });
                    let runner = s.spawn(move || {
                        let mut transport =
                            TrussedTransport::new(requester, waiting_for_touch, view);
                        f(&mut transport)
                    });
                    let result = runner.join();
                    stop.store(true, Ordering::Relaxed);
                    let _ = poller.join();
                    match result {
                        Ok(r) => r,
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                })
            },
        )
    })
}
