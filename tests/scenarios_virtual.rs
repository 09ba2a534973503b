//! The shared scenario suite against glasskey's virtual key, for every profile it applies to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "scenarios/mod.rs"]
mod scenarios;

use std::time::{Duration, Instant};

use glasskey::ctap2::Session;
use glasskey::ctaphid::CtapHid;
use glasskey::virtual_key::{Authenticator, VirtualDevice, VirtualTransport};

/// Profiles with a PIN, resident keys and credential management (every scenario's premise).
const PROFILES: &[&str] = &["yubikey-5.7", "yubikey-5.4", "ctap21-pre", "ctap22"];

fn run(scenario: impl Fn(&mut Session<VirtualTransport>)) {
    for profile in PROFILES {
        let auth = Authenticator::create(None, profile, None, None).unwrap();
        let transport =
            VirtualTransport::new(VirtualDevice::new(auth), format!("virtual:{profile}"));
        let mut session = Session::new(
            CtapHid::open(transport, Instant::now() + Duration::from_secs(5)).unwrap(),
        );
        session.set_timeout(Duration::from_secs(10));
        session.allow_pin_without_identity_check();
        scenario(&mut session);
    }
}

scenario_tests!(run);
