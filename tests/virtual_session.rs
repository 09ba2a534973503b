//! The client core against glasskey's virtual key, through real CTAPHID framing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{pin, session};
use glasskey::ctap2::credential_management::UserEntity;
use glasskey::ctap2::get_assertion::GetAssertion;
use glasskey::ctap2::make_credential::MakeCredential;
use glasskey::ctap2::session::TokenPurpose;
use glasskey::ctap2::{Ctap2Error, StatusCode};

#[test]
fn get_info_reports_profile() {
    let mut s = session("yubikey-5.7", Some("2468"));
    let info = s.info().unwrap().clone();
    assert!(info.has_version("FIDO_2_1"));
    assert_eq!(info.pin_set(), Some(true));
    assert_eq!(info.aaguid_string(), "bd9fcb83-c613-49c5-bb7c-a9f7f7dc3be9");
    assert_eq!(info.pin_protocols(), vec![2, 1]);
    assert_eq!(s.init_info().device_version.to_string(), "5.7.4");
}

#[test]
fn wrong_pin_costs_one_retry_and_right_pin_restores() {
    let mut s = session("yubikey-5.7", Some("2468"));
    assert_eq!(s.pin_retries().unwrap().retries, 8);
    match s.pin_token(&pin("9999"), TokenPurpose::ReadCredentials, None, false) {
        Err(Ctap2Error::PinInvalid {
            retries: 7,
            power_cycle_required: false,
        }) => {}
        other => panic!("expected PinInvalid with 7 left, got {other:?}"),
    }
    assert_eq!(s.pin_retries().unwrap().retries, 7);
    s.pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    assert_eq!(s.pin_retries().unwrap().retries, 8);
}

#[test]
fn three_wrong_pins_need_power_cycle() {
    let mut s = session("yubikey-5.7", Some("2468"));
    for left in [7, 6] {
        let e = s
            .pin_token(&pin("0000"), TokenPurpose::ReadCredentials, None, false)
            .unwrap_err();
        assert!(
            matches!(e, Ctap2Error::PinInvalid { retries, .. } if retries == left),
            "{e:?}"
        );
    }
    let e = s
        .pin_token(&pin("0000"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(matches!(e, Ctap2Error::PinAuthBlocked), "{e:?}");
    let r = s.pin_retries().unwrap();
    assert_eq!(r.retries, 5);
    assert_eq!(r.power_cycle_required, Some(true));
    // Even the right PIN is not sent now: the session refuses before touching the key.
    let e = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(matches!(e, Ctap2Error::PinAuthBlocked), "{e:?}");
    assert_eq!(s.pin_retries().unwrap().retries, 5);
}

#[test]
fn low_retries_refuse_without_force() {
    let mut auth =
        glasskey::virtual_key::Authenticator::create(None, "yubikey-5.7", None, Some(&pin("2468")))
            .unwrap();
    auth.state_mut().pin_retries = 3;
    let mut s = common::session_for(auth);
    let e = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(
        matches!(e, Ctap2Error::RetriesTooLow { retries: 3 }),
        "{e:?}"
    );
    assert_eq!(s.pin_retries().unwrap().retries, 3, "no PIN was sent");
    s.pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, true)
        .unwrap();
    assert_eq!(s.pin_retries().unwrap().retries, 8);
}

fn register(
    s: &mut glasskey::ctap2::Session<glasskey::virtual_key::VirtualTransport>,
    pin_text: &str,
    rp: &str,
    upn: &str,
) {
    let token = s
        .pin_token(
            &pin(pin_text),
            TokenPurpose::MakeCredential,
            Some(rp),
            false,
        )
        .unwrap();
    let user = UserEntity {
        id: upn.as_bytes().to_vec(),
        name: Some(upn.into()),
        display_name: Some("Break glass".into()),
    };
    let mut req = MakeCredential::new([7u8; 32], rp, user);
    req.resident_key = true;
    req.cred_protect = Some(2);
    let att = s.make_credential(req, Some(&token)).unwrap();
    assert!(att.auth_data.user_verified());
}

#[test]
fn resident_credentials_are_listed_for_both_cred_mgmt_flavours() {
    for profile in ["yubikey-5.7", "yubikey-5.4", "ctap21-pre", "ctap22"] {
        let mut s = session(profile, Some("246810"));
        register(
            &mut s,
            "246810",
            "login.microsoft.com",
            "bg-01@contoso.onmicrosoft.com",
        );
        register(&mut s, "246810", "example.org", "alice");
        let token = s
            .pin_token(&pin("246810"), TokenPurpose::ReadCredentials, None, false)
            .unwrap();
        let meta = s.creds_metadata(&token).unwrap();
        assert_eq!(meta.existing, 2, "{profile}");
        let creds = s.resident_credentials(&token).unwrap();
        let mut listed: Vec<(String, Option<String>)> = creds
            .iter()
            .map(|c| (c.rp.id.clone(), c.user.name.clone()))
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            vec![
                ("example.org".into(), Some("alice".into())),
                (
                    "login.microsoft.com".into(),
                    Some("bg-01@contoso.onmicrosoft.com".into())
                ),
            ],
            "{profile}"
        );
        assert!(creds.iter().all(|c| c.cred_protect == Some(2)));
    }
}

#[test]
fn empty_key_lists_no_credentials() {
    let mut s = session("yubikey-5.7", Some("2468"));
    let token = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    assert!(s.resident_credentials(&token).unwrap().is_empty());
}

#[test]
fn silent_assertion_by_non_resident_credential_verifies() {
    let mut s = session("yubikey-5.7", Some("2468"));
    let user = UserEntity {
        id: vec![1, 2, 3],
        name: Some("glasskey".into()),
        display_name: None,
    };
    let att = s
        .make_credential(
            MakeCredential::new([1u8; 32], "glasskey.invalid", user),
            None,
        )
        .unwrap();
    let cred = att.auth_data.attested.clone().unwrap();
    let mut req = GetAssertion::new("glasskey.invalid", [9u8; 32]);
    req.allow_list = vec![cred.credential_id.clone()];
    req.user_presence = false;
    let a = s.get_assertion(req.clone(), None).unwrap();
    assert!(!a.auth_data.user_present());
    assert!(a.verify(&cred.public_key, &[9u8; 32]));
    assert!(
        !a.verify(&cred.public_key, &[8u8; 32]),
        "signature must bind the challenge"
    );
    assert!(a.auth_data.sign_count > att.auth_data.sign_count);
    // The same credential ID under another RP is not this key's credential.
    let mut other = req.clone();
    other.rp_id = "evil.example".into();
    assert_eq!(
        s.get_assertion(other, None).unwrap_err().status(),
        Some(StatusCode::NO_CREDENTIALS)
    );
}

#[test]
fn set_and_change_pin() {
    let mut s = session("yubikey-5.7", None);
    assert_eq!(s.info().unwrap().pin_set(), Some(false));
    s.set_pin(&pin("13579")).unwrap();
    assert_eq!(s.info().unwrap().pin_set(), Some(true));
    let e = s
        .change_pin(&pin("00000"), &pin("97531"), false)
        .unwrap_err();
    assert!(
        matches!(e, Ctap2Error::PinInvalid { retries: 7, .. }),
        "{e:?}"
    );
    s.change_pin(&pin("13579"), &pin("97531"), false).unwrap();
    s.pin_token(&pin("97531"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
}

#[test]
fn ping_wink_and_selection() {
    let mut s = session("yubikey-5.7", None);
    s.ping(b"hello glasskey").unwrap();
    s.wink().unwrap();
    s.selection().unwrap();
    assert_eq!(s.transport().device().authenticator().winks, 1);
}

#[test]
fn yubikey_serial_over_fido_hid() {
    let mut s = session("yubikey-5.7", None);
    let cfg = glasskey::vendor::yubico::read_config_of(&mut s, common::deadline())
        .unwrap()
        .unwrap();
    assert_eq!(cfg.serial, Some(12_345_678));
    assert_eq!(cfg.firmware.as_deref(), Some("5.7.4"));
    let mut other = session("ctap21-pre", None);
    assert_eq!(
        glasskey::vendor::yubico::read_config_of(&mut other, common::deadline()).unwrap(),
        None
    );
}

#[test]
fn forced_pin_change_is_reported_and_cleared_by_a_change() {
    let mut auth =
        glasskey::virtual_key::Authenticator::create(None, "yubikey-5.7", None, Some(&pin("2468")))
            .unwrap();
    auth.state_mut().force_pin_change = true;
    let mut s = common::session_for(auth);
    assert_eq!(s.info().unwrap().force_pin_change, Some(true));
    let e = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(matches!(e, Ctap2Error::PinChangeRequired), "{e:?}");
    assert_eq!(
        s.pin_retries().unwrap().retries,
        8,
        "the PIN itself was right"
    );
    s.change_pin(&pin("2468"), &pin("8642"), false).unwrap();
    assert_eq!(s.info().unwrap().force_pin_change, Some(false));
    s.pin_token(&pin("8642"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
}

#[test]
fn min_pin_length_is_enforced() {
    let mut s = session("ctap22", None);
    assert_eq!(s.info().unwrap().min_pin_length, Some(6));
    let e = s.set_pin(&pin("12345")).unwrap_err();
    assert!(
        matches!(e, Ctap2Error::PinPolicy { min_length: 6 }),
        "{e:?}"
    );
    assert_eq!(s.info().unwrap().pin_set(), Some(false));
    s.set_pin(&pin("123456")).unwrap();
}

#[test]
fn key_without_resident_keys_refuses_rk_and_has_no_cred_mgmt() {
    let mut s = session("no-rk", Some("2468"));
    let info = s.info().unwrap().clone();
    assert_eq!(info.option("rk"), Some(false));
    assert_eq!(info.cred_mgmt(), None);
    let token = s
        .pin_token(
            &pin("2468"),
            TokenPurpose::MakeCredential,
            Some("example.org"),
            false,
        )
        .unwrap();
    let user = UserEntity {
        id: vec![1],
        name: Some("u".into()),
        display_name: None,
    };
    let mut req = MakeCredential::new([0; 32], "example.org", user.clone());
    req.resident_key = true;
    assert_eq!(
        s.make_credential(req, Some(&token)).unwrap_err().status(),
        Some(StatusCode::UNSUPPORTED_OPTION)
    );
    // Non-resident credentials still work (with the PIN, as a CTAP 2.0 key requires).
    let token = s
        .pin_token(
            &pin("2468"),
            TokenPurpose::MakeCredential,
            Some("example.org"),
            false,
        )
        .unwrap();
    s.make_credential(
        MakeCredential::new([0; 32], "example.org", user),
        Some(&token),
    )
    .unwrap();
    let token = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    assert!(matches!(
        s.resident_credentials(&token).unwrap_err(),
        Ctap2Error::Unsupported(_)
    ));
}

#[test]
fn token_is_bound_to_its_rp_and_permission() {
    let mut s = session("yubikey-5.7", Some("2468"));
    let token = s
        .pin_token(
            &pin("2468"),
            TokenPurpose::MakeCredential,
            Some("login.microsoft.com"),
            false,
        )
        .unwrap();
    let user = UserEntity {
        id: vec![1],
        name: Some("u".into()),
        display_name: None,
    };
    let other_rp = MakeCredential::new([0; 32], "evil.example", user);
    assert_eq!(
        s.make_credential(other_rp, Some(&token))
            .unwrap_err()
            .status(),
        Some(StatusCode::UNAUTHORIZED_PERMISSION)
    );
    // An mc token cannot read credentials.
    let e = s.creds_metadata(&token).unwrap_err();
    assert_eq!(e.status(), Some(StatusCode::UNAUTHORIZED_PERMISSION));
}

#[test]
fn state_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.json");
    let auth = glasskey::virtual_key::Authenticator::create(
        Some(&path),
        "yubikey-5.7",
        Some(42),
        Some(&pin("2468")),
    )
    .unwrap();
    let mut s = common::session_for(auth);
    let _ = s
        .pin_token(&pin("0000"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    register(
        &mut s,
        "2468",
        "login.microsoft.com",
        "bg-01@contoso.onmicrosoft.com",
    );
    drop(s);
    let reopened = glasskey::virtual_key::Authenticator::open(&path).unwrap();
    assert_eq!(reopened.state().serial, 42);
    assert_eq!(reopened.state().credentials.len(), 1);
    let mut s = common::session_for(reopened);
    assert_eq!(
        s.pin_retries().unwrap().retries,
        8,
        "the correct PIN in register restored retries"
    );
    let token = s
        .pin_token(&pin("2468"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    assert_eq!(
        s.resident_credentials(&token).unwrap()[0]
            .user
            .name
            .as_deref(),
        Some("bg-01@contoso.onmicrosoft.com")
    );
}
