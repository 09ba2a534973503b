//! glasskey's client against the Trussed fido-authenticator: the shared scenario suite, plus
//! checks of what only an independent implementation can tell us.

#[path = "../../scenarios/mod.rs"]
mod scenarios;

use std::time::{Duration, Instant};

use glasskey::ctap2::Session;
use glasskey::ctaphid::CtapHid;
use glasskey_conformance::{with_trussed_key, Presence, TrussedTransport};

fn run(scenario: impl FnOnce(&mut Session<&mut TrussedTransport<'_>>) + Send) {
    with_trussed_key(Presence::Touch, |transport| {
        let hid = CtapHid::open(transport, Instant::now() + Duration::from_secs(10))
            .expect("CTAPHID INIT");
        let mut session = Session::new(hid);
        session.set_timeout(Duration::from_secs(60));
        session.allow_pin_without_identity_check();
        scenario(&mut session);
    });
}

scenario_tests!(run);
