//! Raw CTAPHID reports over loopback UDP (DESIGN §7): one 64-byte report per datagram, no
//! report-ID byte. Used for external simulators and `glasskey virtual serve`.

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Instant;

use super::{Report, Transport, TransportError, REPORT_LEN};

pub struct UdpTransport {
    socket: UdpSocket,
    peer: SocketAddr,
}

impl UdpTransport {
    /// Connects to a simulator at `addr` ("HOST:PORT"). Only loopback addresses are accepted:
    /// reports carry PIN material and must not leave the machine.
    pub fn connect(addr: &str) -> Result<Self, TransportError> {
        let open_err = |reason: String| TransportError::Open {
            what: format!("udp:{addr}"),
            reason,
        };
        let peer = addr
            .to_socket_addrs()
            .map_err(|e| open_err(format!("not a HOST:PORT address ({e})")))?
            .next()
            .ok_or_else(|| open_err("the address resolved to nothing".into()))?;
        if !peer.ip().is_loopback() {
            return Err(open_err(
                "only loopback addresses are allowed (127.0.0.1 or [::1])".into(),
            ));
        }
        let local: SocketAddr = if peer.is_ipv4() {
            "127.0.0.1:0"
                .parse()
                .map_err(|_| open_err("bad bind address".into()))?
        } else {
            "[::1]:0"
                .parse()
                .map_err(|_| open_err("bad bind address".into()))?
        };
        let socket = UdpSocket::bind(local).map_err(|e| open_err(e.to_string()))?;
        Ok(Self { socket, peer })
    }
}

impl Transport for UdpTransport {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        self.socket
            .send_to(report, self.peer)
            .map_err(|e| TransportError::Io(e.to_string()))?;
        Ok(())
    }

    fn read_report(&mut self, deadline: Instant) -> Result<Report, TransportError> {
        let mut buf = [0u8; 2 * REPORT_LEN];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(TransportError::Timeout);
            }
            self.socket
                .set_read_timeout(Some(deadline - now))
                .map_err(|e| TransportError::Io(e.to_string()))?;
            match self.socket.recv_from(&mut buf) {
                Ok((len, from)) => {
                    // Datagrams from anyone but the simulator, or of the wrong size, are noise.
                    if from != self.peer || len != REPORT_LEN {
                        continue;
                    }
                    let mut report = [0u8; REPORT_LEN];
                    report.copy_from_slice(&buf[..REPORT_LEN]);
                    return Ok(report);
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut
                        || e.kind() == std::io::ErrorKind::Interrupted =>
                {
                    continue
                }
                // Linux reports ICMP port-unreachable from an earlier send as ConnectionRefused.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(TransportError::Disconnected)
                }
                Err(e) => return Err(TransportError::Io(e.to_string())),
            }
        }
    }

    fn describe(&self) -> String {
        format!("udp:{}", self.peer)
    }
}
