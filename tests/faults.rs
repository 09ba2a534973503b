//! The virtual key's fault knobs against glasskey's client: every misbehaviour ends in a typed
//! error within the deadline; nothing panics or hangs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::pin;
use glasskey::ctap2::session::TokenPurpose;
use glasskey::ctap2::{Ctap2Error, Session};
use glasskey::ctaphid::{CtapHid, CtapHidError, HidErrorCode};
use glasskey::transport::TransportError;
use glasskey::virtual_key::{Authenticator, Faults, VirtualDevice, VirtualTransport};

const TIMEOUT: Duration = Duration::from_millis(1500);

fn faulty(faults: Faults) -> Session<VirtualTransport> {
    let mut auth = Authenticator::create(None, "yubikey-5.7", Some(1), Some(&pin("2468"))).unwrap();
    auth.state_mut().faults = faults;
    let transport = VirtualTransport::new(VirtualDevice::new(auth), "virtual:faulty");
    let mut s = Session::new(CtapHid::open(transport, Instant::now() + TIMEOUT).unwrap());
    s.set_timeout(TIMEOUT);
    s.allow_pin_without_identity_check();
    s
}

fn is_timeout(e: &Ctap2Error) -> bool {
    matches!(
        e,
        Ctap2Error::Hid(CtapHidError::Transport(TransportError::Timeout))
    )
}

/// Runs getInfo against a faulty key; checks it fails the expected way and in time.
fn get_info_error(faults: Faults) -> Ctap2Error {
    let mut s = faulty(faults);
    let started = Instant::now();
    let e = s.info().map(|_| ()).unwrap_err();
    assert!(
        started.elapsed() < TIMEOUT + Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
    e
}

#[test]
fn no_answer_times_out() {
    let e = get_info_error(Faults {
        no_answer: true,
        ..Default::default()
    });
    assert!(is_timeout(&e), "{e:?}");
}

#[test]
fn replies_on_a_foreign_channel_are_ignored() {
    let e = get_info_error(Faults {
        wrong_channel: true,
        ..Default::default()
    });
    assert!(is_timeout(&e), "{e:?}");
}

#[test]
fn bad_sequence_is_a_frame_error() {
    let e = get_info_error(Faults {
        bad_sequence: true,
        ..Default::default()
    });
    assert!(
        matches!(e, Ctap2Error::Hid(CtapHidError::Frame(_))),
        "{e:?}"
    );
}

#[test]
fn oversized_length_is_a_frame_error() {
    let e = get_info_error(Faults {
        oversized: true,
        ..Default::default()
    });
    assert!(
        matches!(e, Ctap2Error::Hid(CtapHidError::Frame(_))),
        "{e:?}"
    );
}

#[test]
fn truncated_malformed_deep_and_duplicate_cbor_are_rejected() {
    for faults in [
        Faults {
            truncated: true,
            ..Default::default()
        },
        Faults {
            malformed_cbor: true,
            ..Default::default()
        },
        Faults {
            deep_cbor: true,
            ..Default::default()
        },
        Faults {
            duplicate_keys: true,
            ..Default::default()
        },
    ] {
        let e = get_info_error(faults.clone());
        assert!(matches!(e, Ctap2Error::Cbor(_)), "{faults:?}: {e:?}");
    }
}

#[test]
fn busy_channel_is_retried_then_succeeds() {
    let mut s = faulty(Faults {
        busy_replies: 3,
        ..Default::default()
    });
    assert!(s.info().is_ok());
}

#[test]
fn endless_busy_gives_up_at_the_deadline() {
    let e = get_info_error(Faults {
        busy_replies: u32::MAX,
        ..Default::default()
    });
    assert!(matches!(e, Ctap2Error::Hid(CtapHidError::Busy)), "{e:?}");
}

#[test]
fn endless_keepalive_ends_at_the_deadline_and_cancels() {
    let mut s = faulty(Faults {
        endless_keepalive: true,
        ..Default::default()
    });
    let started = Instant::now();
    let e = s.selection().unwrap_err();
    assert!(is_timeout(&e), "{e:?}");
    assert!(started.elapsed() < TIMEOUT + Duration::from_millis(500));
}

#[test]
fn caller_cancel_sends_ctaphid_cancel() {
    let mut s = faulty(Faults {
        endless_keepalive: true,
        ..Default::default()
    });
    let flag = s.cancel_flag();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let e = s.selection().unwrap_err();
    setter.join().unwrap();
    assert!(
        matches!(e, Ctap2Error::Hid(CtapHidError::Cancelled)),
        "{e:?}"
    );
}

#[test]
fn latency_slows_but_does_not_break() {
    let mut s = faulty(Faults {
        latency_ms: 2,
        ..Default::default()
    });
    let started = Instant::now();
    s.info().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(2 * 2),
        "getInfo spans several reports"
    );
}

fn make_resident(s: &mut Session<VirtualTransport>, rp: &str) {
    let token = s
        .pin_token(&pin("2468"), TokenPurpose::MakeCredential, Some(rp), false)
        .unwrap();
    let user = glasskey::ctap2::credential_management::UserEntity {
        id: vec![1],
        name: Some("u".into()),
        display_name: None,
    };
    let mut mc = glasskey::ctap2::make_credential::MakeCredential::new([0; 32], rp, user);
    mc.resident_key = true;
    s.make_credential(mc, Some(&token)).unwrap();
}

#[test]
fn key_vanishing_mid_enumeration_is_disconnected() {
    let mut s = faulty(Faults::default());
    make_resident(&mut s, "example.org");
    make_resident(&mut s, "login.microsoft.com");
    let device = s.transport_mut().device_mut();
    // Four more replies get through (retries, key agreement, token, first RP); then it is gone.
    let vanish = device.cbor_replies() + 4;
    device.authenticator_mut().state_mut().faults.vanish_after = Some(vanish);
    let token = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    let e = s.resident_credentials(&token).unwrap_err();
    assert!(
        matches!(
            e,
            Ctap2Error::Hid(CtapHidError::Transport(TransportError::Disconnected))
        ),
        "{e:?}"
    );
}

#[test]
fn a_key_claiming_ten_thousand_credentials_is_refused() {
    let mut auth = Authenticator::create(None, "yubikey-5.7", Some(1), Some(&pin("2468"))).unwrap();
    auth.state_mut().faults = Faults {
        claim_total: Some(10_000),
        ..Default::default()
    };
    let mut s = common::session_for(auth);
    // One real credential so that enumeration starts.
    make_resident(&mut s, "example.org");
    let token = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    let e = s.resident_credentials(&token).unwrap_err();
    assert!(
        matches!(&e, Ctap2Error::Protocol(m) if m.contains("10000")),
        "{e:?}"
    );
}

#[test]
fn unknown_ctaphid_error_codes_are_kept() {
    assert_eq!(HidErrorCode::from_byte(0x42), HidErrorCode::Unknown(0x42));
    assert_eq!(HidErrorCode::from_byte(0x06), HidErrorCode::ChannelBusy);
}
