//! `glasskey virtual serve`: a virtual key on loopback UDP (DESIGN §7), so that other clients
//! (or glasskey's own `udp:` transport) can talk to it.

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

/// Serves until `stop` is set. Replies go to whoever sent the last request.
pub fn serve(
    socket: &UdpSocket,
    device: &mut VirtualDevice,
    stop: &Arc<AtomicBool>,
) -> Result<(), ServeError> {
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut peer: Option<SocketAddr> = None;
    let mut buf = [0u8; 2 * REPORT_LEN];
    while !stop.load(Ordering::SeqCst) {
        match socket.recv_from(&mut buf) {
            Ok((len, from)) if len == REPORT_LEN => {
                let mut report = [0u8; REPORT_LEN];
                report.copy_from_slice(&buf[..REPORT_LEN]);
                peer = Some(from);
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
        if let Some(to) = peer {
            while let Some(report) = device.poll() {
                socket.send_to(&report, to)?;
                if device.is_waiting_for_touch() {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    Ok(())
}
