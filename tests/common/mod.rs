#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
    s
}
