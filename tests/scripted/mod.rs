//! A scripted hostile key on loopback UDP, for tests through the real binary.
//!
//! It speaks CTAPHID itself (INIT, PING, WINK, CBOR, CANCEL), records every message the host
//! sends, and hands each CBOR request to a script that may forward it to a real in-process
//! virtual authenticator, answer with bytes of its own, answer CTAPHID BUSY, or stay silent.
//! Tests then assert on what the key received (e.g. that no PIN material ever reached it).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use glasskey::ctap2::cbor::{self, Value};
use glasskey::ctaphid::packet::{cmd, fragment, Packet, Reassembler, BROADCAST_CID};
use glasskey::virtual_key::Authenticator;

pub mod lookalike;

pub const CHANNEL: u32 = 0x0102_0304;
/// The custodian's PIN in these tests.
pub const PIN: &str = "Kq7!mZ2p";

pub const BG1: &str = "bg-01@contoso.onmicrosoft.com";
pub const BG2: &str = "bg-02@contoso.onmicrosoft.com";
pub const T0: &str = "2026-11-25T10:00:00Z";

/// The binary, with no virtual keys "plugged in" unless a test says so.
/// tests/common's binary (no test hook set, this test's own data directory).
pub fn glasskey() -> assert_cmd::Command {
    crate::common::bin::glasskey()
}

/// Runs glasskey and insists on success.
pub fn ok(args: &[&str], stdin: &str) -> std::process::Output {
    let out = glasskey().args(args).write_stdin(stdin).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn p(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// `enroll` of `device` as `label` for `account`, stored at `label`, the PIN on stdin.
pub fn enroll(
    inv: &std::path::Path,
    device: &str,
    label: &str,
    account: &str,
    pin: &str,
    extra: &[&str],
) -> std::process::Output {
    crate::common::bin::enrollment(inv, device, label, account, label)
        .pin(Some(pin))
        .args(extra)
        .output()
}

/// `dir/bg.toml`: an inventory admitting software keys, for BG1 and BG2, one key each.
pub fn empty_inventory(dir: &std::path::Path) -> std::path::PathBuf {
    let inv = dir.join("bg.toml");
    ok(
        &[
            "inventory",
            "init",
            "--allow-software-keys",
            p(&inv),
            "--tenant",
            "contoso.onmicrosoft.com",
            "--account",
            BG1,
            "--account",
            BG2,
            "--min-keys",
            "1",
        ],
        "",
    );
    inv
}

/// An inventory (as `empty_inventory`) with `device` enrolled as BG01-A for BG1; `extra` goes
/// to `enroll` (e.g. `--yes`).
pub fn inventory_enrolling(
    dir: &std::path::Path,
    device: &str,
    extra: &[&str],
) -> std::path::PathBuf {
    let inv = empty_inventory(dir);
    let out = enroll(&inv, device, "BG01-A", BG1, PIN, extra);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    inv
}

/// `audit` of `device` against `inv` at T0, the test PIN on stdin, with `global` options
/// (e.g. `--json`) before the command.
pub fn audit(inv: &std::path::Path, device: &str, global: &[&str]) -> std::process::Output {
    glasskey()
        .args(["--device", device, "--now", T0])
        .args(global)
        .args(["audit", "--inventory", p(inv), "--pin-stdin"])
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap()
}

/// An inventory admitting software keys, with one enrolled virtual key per `(label, account,
/// PIN)`, serials 31337001, 31337002, …, each holding its account's passkey.
pub fn enrolled_inventory(
    dir: &std::path::Path,
    keys: &[(&str, &str, &str)],
) -> std::path::PathBuf {
    let inv = empty_inventory(dir);
    for (i, &(label, upn, pin)) in keys.iter().enumerate() {
        let key = dir.join(format!("{label}.json"));
        let serial = (31_337_001 + i).to_string();
        ok(
            &[
                "virtual",
                "create",
                p(&key),
                "--serial",
                &serial,
                "--pin-stdin",
            ],
            &format!("{pin}\n"),
        );
        ok(
            &["virtual", "register", p(&key), "--user", upn, "--pin-stdin"],
            &format!("{pin}\n"),
        );
        let dev = format!("virtual:{}", key.display());
        let out = enroll(&inv, &dev, label, upn, pin, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    inv
}

/// `identify --inventory` of `device`, as text and as JSON (both must exit alike).
pub fn identify(inv: &std::path::Path, device: &str) -> (Option<i32>, String, serde_json::Value) {
    let text = glasskey()
        .args(["--device", device, "identify", "--inventory", p(inv)])
        .output()
        .unwrap();
    let json = glasskey()
        .args([
            "--device",
            device,
            "--json",
            "identify",
            "--inventory",
            p(inv),
        ])
        .output()
        .unwrap();
    assert_eq!(text.status.code(), json.status.code());
    (
        text.status.code(),
        String::from_utf8_lossy(&text.stdout).into_owned(),
        serde_json::from_slice(&json.stdout).unwrap(),
    )
}

/// `label`'s recorded last observation in `inv`, if any.
pub fn last_observation(inv: &std::path::Path, label: &str) -> Option<toml::Value> {
    let v: toml::Value = toml::from_str(&std::fs::read_to_string(inv).unwrap()).unwrap();
    v["key"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"].as_str() == Some(label))
        .and_then(|k| k.get("last_observation").cloned())
}

/// An in-memory key of `profile` with the test PIN set.
pub fn authenticator(profile: &str, serial: u32) -> Authenticator {
    let pin = glasskey::secret::Pin::new(zeroize::Zeroizing::new(PIN.to_owned())).unwrap();
    Authenticator::create(None, profile, Some(serial), Some(&pin)).unwrap()
}

/// `creds` on `device` with the test PIN: exit code, stdout, stderr. `global` options go
/// before the command, `args` after it.
pub fn creds(device: &str, global: &[&str], args: &[&str]) -> (Option<i32>, String, String) {
    let out = glasskey()
        .args(["--device", device])
        .args(global)
        .args(["creds", "--pin-stdin"])
        .args(args)
        .write_stdin(format!("{PIN}\n"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An ES256 discoverable credential at `rp` for `user`, its IDs and secret made of `id`.
pub fn passkey(rp: &str, user: &str, id: u8) -> glasskey::virtual_key::state::StoredCredential {
    glasskey::virtual_key::state::StoredCredential {
        rp_id: rp.into(),
        rp_name: None,
        user_id: vec![id; 16],
        user_name: Some(user.into()),
        user_display_name: None,
        credential_id: vec![id; 32],
        private_key: vec![id; 32],
        cred_protect: 1,
        created: 0,
        algorithm: -7,
    }
}

/// What the key does with one CBOR request.
pub enum Action {
    /// Let the real authenticator answer.
    Forward,
    /// Answer with this status byte and CBOR body.
    Reply(Vec<u8>),
    /// Answer CTAPHID ERROR CHANNEL_BUSY.
    Busy,
    /// Say nothing (the host times out).
    Silence,
}

/// One message the host sent: the CTAPHID command and its payload.
#[derive(Debug, Clone)]
pub struct Received {
    pub hid_command: u8,
    pub payload: Vec<u8>,
}

impl Received {
    /// The CTAP2 command byte of a CBOR message.
    pub fn ctap_command(&self) -> Option<u8> {
        (self.hid_command == cmd::CBOR)
            .then(|| self.payload.first().copied())
            .flatten()
    }

    /// The decoded CBOR request map, if any.
    pub fn params(&self) -> Option<Value> {
        self.payload
            .get(1..)
            .filter(|p| !p.is_empty())
            .and_then(|p| cbor::decode(p).ok())
    }

    pub fn field(&self, key: i64) -> Option<Value> {
        match self.params()? {
            Value::Map(entries) => entries
                .into_iter()
                .find(|(k, _)| cbor::as_i64(k) == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The clientPIN subcommand, for clientPIN requests.
    pub fn client_pin_sub(&self) -> Option<i64> {
        (self.ctap_command() == Some(0x06))
            .then(|| self.field(0x02).and_then(|v| cbor::as_i64(&v)))
            .flatten()
    }

    /// True when the request carries PIN material: setPIN, changePIN or a token request
    /// (newPinEnc or pinHashEnc).
    pub fn carries_pin_material(&self) -> bool {
        matches!(self.client_pin_sub(), Some(3 | 4 | 5 | 9))
    }

    /// The credential management subcommand (0x0A, or 0x41 on 2.1-PRE keys).
    pub fn cred_mgmt_sub(&self) -> Option<i64> {
        matches!(self.ctap_command(), Some(0x0A | 0x41))
            .then(|| self.field(0x01).and_then(|v| cbor::as_i64(&v)))
            .flatten()
    }

    pub fn is_get_retries(&self) -> bool {
        self.client_pin_sub() == Some(1)
    }

    /// The credential IDs of a getAssertion request's allow list.
    pub fn allow_list(&self) -> Vec<Vec<u8>> {
        let Some(Value::Array(list)) = self.field(0x03) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|d| match d {
                Value::Map(entries) => entries.iter().find_map(|(k, v)| {
                    (k.as_text() == Some("id"))
                        .then(|| v.as_bytes().cloned())
                        .flatten()
                }),
                _ => None,
            })
            .collect()
    }
}

pub type Script = Box<dyn FnMut(&Received, &mut Authenticator) -> Action + Send>;

pub struct ScriptedKey {
    pub device: String,
    received: Arc<Mutex<Vec<Received>>>,
    auth: Arc<Mutex<Authenticator>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedKey {
    /// Serves `auth` on a fresh loopback port, with `script` deciding each CBOR answer.
    pub fn serve(auth: Authenticator, script: Script) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let device = format!("udp:{}", socket.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let auth = Arc::new(Mutex::new(auth));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (received, auth, stop) = (received.clone(), auth.clone(), stop.clone());
            std::thread::spawn(move || run(socket, script, &received, &auth, &stop))
        };
        Self {
            device,
            received,
            auth,
            stop,
            thread: Some(thread),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn pin_material_requests(&self) -> usize {
        self.received()
            .iter()
            .filter(|r| r.carries_pin_material())
            .count()
    }

    pub fn with_authenticator<R>(&self, f: impl FnOnce(&mut Authenticator) -> R) -> R {
        f(&mut self.auth.lock().unwrap())
    }
}

impl Drop for ScriptedKey {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    socket: UdpSocket,
    mut script: Script,
    received: &Mutex<Vec<Received>>,
    auth: &Mutex<Authenticator>,
    stop: &AtomicBool,
) {
    let mut buf = [0u8; 128];
    let mut assembling: Option<Reassembler> = None;
    while !stop.load(Ordering::SeqCst) {
        let Ok((len, peer)) = socket.recv_from(&mut buf) else {
            continue;
        };
        if len != 64 {
            continue;
        }
        let report: [u8; 64] = buf[..64].try_into().unwrap();
        let packet = Packet::parse(&report);
        let message = match &packet {
            Packet::Init {
                cid: BROADCAST_CID,
                cmd: c,
                data,
                ..
            } if *c == cmd::INIT => {
                let mut reply = data[..8].to_vec();
                reply.extend(CHANNEL.to_be_bytes());
                reply.extend([2, 5, 7, 4, 0x01 | 0x04 | 0x08]);
                send(&socket, peer, BROADCAST_CID, cmd::INIT, &reply);
                continue;
            }
            Packet::Init { .. } => match Reassembler::start(&packet, 7609) {
                Ok(m) if m.is_complete() => m,
                Ok(m) => {
                    assembling = Some(m);
                    continue;
                }
                Err(_) => continue,
            },
            Packet::Cont { .. } => {
                let Some(mut m) = assembling.take() else {
                    continue;
                };
                if m.push(&packet).is_err() {
                    continue;
                }
                if !m.is_complete() {
                    assembling = Some(m);
                    continue;
                }
                m
            }
        };
        let (command, payload) = message.into_message();
        let request = Received {
            hid_command: command,
            payload,
        };
        received.lock().unwrap().push(request.clone());
        match command {
            cmd::PING => send(&socket, peer, CHANNEL, cmd::PING, &request.payload),
            cmd::WINK => send(&socket, peer, CHANNEL, cmd::WINK, &[]),
            cmd::CANCEL => {}
            cmd::CBOR => {
                let mut a = auth.lock().unwrap();
                match script(&request, &mut a) {
                    Action::Forward => {
                        let reply = a.handle_cbor(&request.payload).reply;
                        send(&socket, peer, CHANNEL, cmd::CBOR, &reply);
                    }
                    Action::Reply(bytes) => send(&socket, peer, CHANNEL, cmd::CBOR, &bytes),
                    Action::Busy => send(&socket, peer, CHANNEL, cmd::ERROR, &[0x06]),
                    Action::Silence => {}
                }
            }
            _ => send(&socket, peer, CHANNEL, cmd::ERROR, &[0x01]),
        }
    }
}

fn send(socket: &UdpSocket, peer: SocketAddr, cid: u32, command: u8, payload: &[u8]) {
    for report in fragment(cid, command, payload, 7609).unwrap() {
        let _ = socket.send_to(&report, peer);
    }
}

/// A COSE EC2 public key of algorithm `alg` on curve `crv`, as a key may send it.
pub fn cose_ec2(alg: i64, crv: i64, x: &[u8], y: &[u8]) -> Value {
    Value::Map(vec![
        (cbor::int(1), cbor::int(2)),
        (cbor::int(3), cbor::int(alg)),
        (cbor::int(-1), cbor::int(crv)),
        (cbor::int(-2), cbor::bytes(x)),
        (cbor::int(-3), cbor::bytes(y)),
    ])
}

/// A COSE OKP (Ed25519 curve) public key of algorithm `alg`.
pub fn cose_okp(alg: i64, x: &[u8]) -> Value {
    cose_okp_on(alg, 6, x)
}

/// A COSE OKP public key of algorithm `alg` on curve `crv` (6 Ed25519, 7 Ed448, 4 X25519).
pub fn cose_okp_on(alg: i64, crv: i64, x: &[u8]) -> Value {
    Value::Map(vec![
        (cbor::int(1), cbor::int(1)),
        (cbor::int(3), cbor::int(alg)),
        (cbor::int(-1), cbor::int(crv)),
        (cbor::int(-2), cbor::bytes(x)),
    ])
}

/// Encodes a CBOR reply: status 0 and `body`.
pub fn ok_reply(body: &Value) -> Vec<u8> {
    let mut out = vec![0];
    out.extend(cbor::encode(body));
    out
}
