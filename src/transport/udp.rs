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
        // A connected socket gets the ICMP "port unreachable" of a simulator that is not
        // running as ECONNREFUSED on the next call, instead of waiting out a deadline; it also
        // receives datagrams from that peer only.
        socket.connect(peer).map_err(|e| open_err(e.to_string()))?;
        Ok(Self { socket, peer })
    }
}

impl UdpTransport {
    /// The simulator's resolved address: what the key lock is keyed by.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    fn refused(&self) -> TransportError {
        TransportError::Refused(format!("udp:{}", self.peer))
    }
}

impl Transport for UdpTransport {
    fn write_report(&mut self, report: &Report) -> Result<(), TransportError> {
        match self.socket.send(report) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(self.refused()),
            Err(e) => Err(TransportError::Io(e.to_string())),
        }
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
            match self.socket.recv(&mut buf) {
                Ok(len) => {
                    // Datagrams of the wrong size are noise.
                    if len != REPORT_LEN {
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
                // ICMP port-unreachable from an earlier send: nothing listens there.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(self.refused())
                }
                Err(e) => return Err(TransportError::Io(e.to_string())),
            }
        }
    }

    fn describe(&self) -> String {
        format!("udp:{}", self.peer)
    }
}
