//! `glasskey virtual serve`: a virtual key on loopback UDP (DESIGN §7), so that other clients
//! (or glasskey's own `udp:` transport) can talk to it.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::hid::VirtualDevice;
use crate::transport::REPORT_LEN;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0} is not a loopback address; the virtual key only serves 127.0.0.1 or [::1]")]
    NotLoopback(String),
    #[error("UDP error: {0}")]
    Io(#[from] std::io::Error),
}

pub fn bind(addr: &str) -> Result<UdpSocket, ServeError> {
    let socket = UdpSocket::bind(addr).map_err(|source| ServeError::Bind {
        addr: addr.into(),
        source,
    })?;
    let local = socket.local_addr()?;
    if !local.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr.into()));
    }
    Ok(socket)
}

/// Where a reply goes: like a USB key serving several host applications, each reply goes to the
/// client that owns its channel; replies on the broadcast channel (INIT) go to the client that
/// sent the nonce they echo. Without this, concurrent clients would get each other's replies.
#[derive(Default)]
struct Routes {
    by_channel: HashMap<u32, SocketAddr>,
    by_nonce: HashMap<[u8; 8], SocketAddr>,
    last: Option<SocketAddr>,
}

const BROADCAST: u32 = 0xffff_ffff;

fn channel(report: &[u8; REPORT_LEN]) -> u32 {
    u32::from_be_bytes([report[0], report[1], report[2], report[3]])
}

/// The 8-byte nonce of an INIT request or reply (an initialisation packet's first payload bytes).
fn nonce(report: &[u8; REPORT_LEN]) -> [u8; 8] {
    let mut n = [0u8; 8];
    n.copy_from_slice(&report[7..15]);
    n
}

impl Routes {
    fn learn(&mut self, report: &[u8; REPORT_LEN], from: SocketAddr) {
        let cid = channel(report);
        if cid == BROADCAST {
            if report[4] & 0x80 != 0 {
                self.by_nonce.insert(nonce(report), from);
            }
        } else {
            self.by_channel.insert(cid, from);
        }
        self.last = Some(from);
    }

    fn peer_for(&mut self, reply: &[u8; REPORT_LEN]) -> Option<SocketAddr> {
        let cid = channel(reply);
        let routed = if cid == BROADCAST {
            self.by_nonce.remove(&nonce(reply))
        } else {
            self.by_channel.get(&cid).copied()
        };
        routed.or(self.last)
    }
}

/// Serves until `stop` is set.
pub fn serve(
    socket: &UdpSocket,
    device: &mut VirtualDevice,
    stop: &Arc<AtomicBool>,
) -> Result<(), ServeError> {
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut routes = Routes::default();
    let mut buf = [0u8; 2 * REPORT_LEN];
    while !stop.load(Ordering::SeqCst) {
        match socket.recv_from(&mut buf) {
            Ok((len, from)) if len == REPORT_LEN => {
                let mut report = [0u8; REPORT_LEN];
                report.copy_from_slice(&buf[..REPORT_LEN]);
                routes.learn(&report, from);
                device.receive(&report);
            }
            Ok(_) => continue,
            // A signal (Ctrl-C) interrupts the wait: loop round to look at the stop flag.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e.into()),
        }
        while let Some(report) = device.poll() {
            if let Some(to) = routes.peer_for(&report) {
                socket.send_to(&report, to)?;
            }
            if device.is_waiting_for_touch() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    Ok(())
}
