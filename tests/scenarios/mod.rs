//! One scenario suite, run against glasskey's virtual key (tests/scenarios_virtual.rs) and
//! against the Trussed fido-authenticator (tests/conformance). Every scenario starts from a
//! fresh key without a PIN. Behaviour that may legitimately differ between authenticators is
//! accepted in both forms, with the spec section that allows it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use glasskey::ctap2::credential_management::UserEntity;
use glasskey::ctap2::get_assertion::GetAssertion;
use glasskey::ctap2::make_credential::MakeCredential;
use glasskey::ctap2::session::TokenPurpose;
use glasskey::ctap2::{Ctap2Error, Session};
use glasskey::secret::Pin;
use glasskey::transport::Transport;

pub const PIN: &str = "734951";
pub const ENTRA_RP: &str = "login.microsoft.com";
pub const UPN: &str = "bg-01@contoso.onmicrosoft.com";

pub fn pin(s: &str) -> Pin {
    Pin::new(zeroize::Zeroizing::new(s.to_owned())).unwrap()
}

fn with_pin<T: Transport>(s: &mut Session<T>) {
    s.set_pin(&pin(PIN)).unwrap();
}

pub fn fresh_key_info<T: Transport>(s: &mut Session<T>) {
    let info = s.info().unwrap().clone();
    assert!(
        info.versions.iter().any(|v| v.starts_with("FIDO_2_")),
        "{:?}",
        info.versions
    );
    assert_eq!(
        info.pin_set(),
        Some(false),
        "a fresh key has PIN support but no PIN"
    );
    assert_eq!(info.option("rk"), Some(true));
    assert!(!info.pin_protocols().is_empty());
    assert!(info.cred_mgmt().is_some());
}

pub fn set_pin_then_retries_at_maximum<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    assert_eq!(s.info().unwrap().pin_set(), Some(true));
    assert_eq!(s.pin_retries().unwrap().retries, 8);
}

pub fn wrong_pin_costs_one_retry_and_is_not_resent<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    let e = s
        .pin_token(&pin("000000"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Ctap2Error::PinInvalid {
                retries: 7,
                power_cycle_required: false
            }
        ),
        "{e:?}"
    );
    // Read twice: if glasskey had retried the PIN behind our back, the count would have dropped.
    assert_eq!(s.pin_retries().unwrap().retries, 7);
    assert_eq!(s.pin_retries().unwrap().retries, 7);
}

pub fn correct_pin_restores_retries<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    let _ = s
        .pin_token(&pin("000000"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    s.pin_token(&pin(PIN), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    assert_eq!(s.pin_retries().unwrap().retries, 8);
}

pub fn three_wrong_pins_need_power_cycle<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    for _ in 0..2 {
        let e = s
            .pin_token(&pin("000000"), TokenPurpose::ReadCredentials, None, false)
            .unwrap_err();
        assert!(matches!(e, Ctap2Error::PinInvalid { .. }), "{e:?}");
    }
    let e = s
        .pin_token(&pin("000000"), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(matches!(e, Ctap2Error::PinAuthBlocked), "{e:?}");
    let retries = s.pin_retries().unwrap();
    assert_eq!(retries.retries, 5);
    // powerCycleState is optional in CTAP 2.1 §6.5.5.2 (keys before 2.1 do not send it).
    assert_ne!(retries.power_cycle_required, Some(false));
}

pub fn token_with_cm_reads_metadata<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    let token = s
        .pin_token(&pin(PIN), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    let meta = s.creds_metadata(&token).unwrap();
    assert_eq!(meta.existing, 0);
    assert!(meta.remaining > 0);
    assert!(
        s.resident_credentials(&token).unwrap().is_empty(),
        "NO_CREDENTIALS is an empty list"
    );
}

pub fn entra_passkey_is_listed<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    let token = s
        .pin_token(
            &pin(PIN),
            TokenPurpose::MakeCredential,
            Some(ENTRA_RP),
            false,
        )
        .unwrap();
    let user = UserEntity {
        id: b"entra-user-object-id-0001".to_vec(),
        name: Some(UPN.into()),
        display_name: Some("Break Glass 01".into()),
    };
    let mut request = MakeCredential::new([0x42; 32], ENTRA_RP, user);
    request.resident_key = true;
    let attestation = s.make_credential(request, Some(&token)).unwrap();
    let created = attestation.auth_data.attested.clone().unwrap();
    let token = s
        .pin_token(&pin(PIN), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    let creds = s.resident_credentials(&token).unwrap();
    assert_eq!(creds.len(), 1, "{creds:?}");
    assert_eq!(creds[0].rp.id, ENTRA_RP);
    assert_eq!(creds[0].user.name.as_deref(), Some(UPN));
    assert_eq!(
        creds[0].user.display_name.as_deref(),
        Some("Break Glass 01")
    );
    assert_eq!(creds[0].credential_id, created.credential_id);
    assert_eq!(creds[0].public_key.as_ref(), Some(&created.public_key));
    assert_eq!(s.creds_metadata(&token).unwrap().existing, 1);
}

pub fn silent_assertion_by_non_resident_credential_verifies<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    let token = s
        .pin_token(
            &pin(PIN),
            TokenPurpose::MakeCredential,
            Some("glasskey.invalid"),
            false,
        )
        .unwrap();
    let user = UserEntity {
        id: vec![0x67; 16],
        name: Some("glasskey identity".into()),
        display_name: None,
    };
    let attestation = s
        .make_credential(
            MakeCredential::new([1; 32], "glasskey.invalid", user),
            Some(&token),
        )
        .unwrap();
    let credential = attestation.auth_data.attested.clone().unwrap();
    let challenge = [0x5A; 32];
    let mut request = GetAssertion::new("glasskey.invalid", challenge);
    request.allow_list = vec![credential.credential_id.clone()];
    request.user_presence = false;
    let assertion = s.get_assertion(request, None).unwrap();
    assert!(
        !assertion.auth_data.user_present(),
        "up=false must not report presence"
    );
    assert_eq!(assertion.credential_id, credential.credential_id);
    assert!(assertion.verify(&credential.public_key, &challenge));
    assert!(!assertion.verify(&credential.public_key, &[0x5B; 32]));
}

pub fn changed_pin_replaces_the_old_one<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    s.change_pin(&pin(PIN), &pin("582046"), false).unwrap();
    let e = s
        .pin_token(&pin(PIN), TokenPurpose::ReadCredentials, None, false)
        .unwrap_err();
    assert!(
        matches!(e, Ctap2Error::PinInvalid { retries: 7, .. }),
        "the old PIN no longer works: {e:?}"
    );
    s.pin_token(&pin("582046"), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    assert_eq!(s.pin_retries().unwrap().retries, 8);
}

pub fn passkeys_across_relying_parties_are_all_listed<T: Transport>(s: &mut Session<T>) {
    with_pin(s);
    let wanted = [
        (ENTRA_RP, "bg-01@contoso.onmicrosoft.com"),
        (ENTRA_RP, "bg-02@contoso.onmicrosoft.com"),
        ("example.org", "alice"),
    ];
    for (i, (rp, name)) in wanted.iter().enumerate() {
        let token = s
            .pin_token(&pin(PIN), TokenPurpose::MakeCredential, Some(rp), false)
            .unwrap();
        let user = UserEntity {
            id: vec![i as u8 + 1; 8],
            name: Some((*name).into()),
            display_name: Some((*name).into()),
        };
        let mut request = MakeCredential::new([i as u8; 32], rp, user);
        request.resident_key = true;
        s.make_credential(request, Some(&token)).unwrap();
    }
    let token = s
        .pin_token(&pin(PIN), TokenPurpose::ReadCredentials, None, false)
        .unwrap();
    let mut listed: Vec<(String, String)> = s
        .resident_credentials(&token)
        .unwrap()
        .into_iter()
        .map(|c| (c.rp.id, c.user.name.unwrap_or_default()))
        .collect();
    listed.sort();
    let mut expected: Vec<(String, String)> = wanted
        .iter()
        .map(|(r, n)| ((*r).to_owned(), (*n).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(s.creds_metadata(&token).unwrap().existing, 3);
}

pub fn ping_echoes<T: Transport>(s: &mut Session<T>) {
    let data: Vec<u8> = (0..200u8).collect();
    s.ping(&data).unwrap();
}

/// Expands to one #[test] per scenario, each calling `$run(|session| scenario(session))`.
#[macro_export]
macro_rules! scenario_tests {
    ($run:path) => {
        #[test]
        fn fresh_key_info() {
            $run(|s| scenarios::fresh_key_info(s))
        }
        #[test]
        fn set_pin_then_retries_at_maximum() {
            $run(|s| scenarios::set_pin_then_retries_at_maximum(s))
        }
        #[test]
        fn wrong_pin_costs_one_retry_and_is_not_resent() {
            $run(|s| scenarios::wrong_pin_costs_one_retry_and_is_not_resent(s))
        }
        #[test]
        fn correct_pin_restores_retries() {
            $run(|s| scenarios::correct_pin_restores_retries(s))
        }
        #[test]
        fn three_wrong_pins_need_power_cycle() {
            $run(|s| scenarios::three_wrong_pins_need_power_cycle(s))
        }
        #[test]
        fn token_with_cm_reads_metadata() {
            $run(|s| scenarios::token_with_cm_reads_metadata(s))
        }
        #[test]
        fn entra_passkey_is_listed() {
            $run(|s| scenarios::entra_passkey_is_listed(s))
        }
        #[test]
        fn silent_assertion_by_non_resident_credential_verifies() {
            $run(|s| scenarios::silent_assertion_by_non_resident_credential_verifies(s))
        }
        #[test]
        fn changed_pin_replaces_the_old_one() {
            $run(|s| scenarios::changed_pin_replaces_the_old_one(s))
        }
        #[test]
        fn passkeys_across_relying_parties_are_all_listed() {
            $run(|s| scenarios::passkeys_across_relying_parties_are_all_listed(s))
        }
        #[test]
        fn ping_echoes() {
            $run(|s| scenarios::ping_echoes(s))
        }
    };
}
