//! Paths beyond the shared scenarios, against the Trussed fido-authenticator: glasskey's
//! identity proof through the library, PIN protocol 1 and getPinToken (0x05) end to end, and
//! waiting for a touch (keepalive UPNEEDED, CANCEL).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use glasskey::ctap2::client_pin::sub;
use glasskey::ctap2::session::TokenPurpose;
use glasskey::ctap2::{Ctap2Error, Session};
use glasskey::ctaphid::{CtapHid, CtapHidError, KeepaliveStatus};
use glasskey::identity::{self, IdentityCheck};
use glasskey::inventory::model::{Inventory, KeyEntry};
use glasskey::secret::Pin;
use glasskey_conformance::{with_trussed_key_as, InfoView, Presence, TrussedTransport};
use zeroize::Zeroizing;

const PIN: &str = "428193";

fn pin() -> Pin {
    Pin::new(Zeroizing::new(PIN.to_owned())).expect("a valid PIN")
}

fn session<'t, 'a>(
    transport: &'t mut TrussedTransport<'a>,
) -> Session<&'t mut TrussedTransport<'a>> {
    let hid =
        CtapHid::open(transport, Instant::now() + Duration::from_secs(10)).expect("CTAPHID INIT");
    let mut s = Session::new(hid);
    s.set_timeout(Duration::from_secs(30));
    s
}

/// An inventory holding `keys` and no history.
fn inventory(keys: &[KeyEntry]) -> Inventory {
    let mut inv = Inventory::new("contoso.onmicrosoft.com");
    inv.keys = keys.to_vec();
    inv
}

fn entry(label: &str, identity: glasskey::inventory::model::Identity) -> KeyEntry {
    KeyEntry {
        label: label.into(),
        account: "bg-01@contoso.onmicrosoft.com".into(),
        custodian: "C".into(),
        location: "Safe 1".into(),
        aaguid: String::new(),
        transport: Default::default(),
        model: None,
        firmware: None,
        usb_vendor_id: None,
        vendor_serial: None,
        usb_serial: None,
        casing_serial: None,
        enrolled: "2026-11-25T10:00:00Z".into(),
        identity,
        last_observation: None,
        retired: None,
    }
}

#[test]
fn identity_proof_through_the_library() {
    with_trussed_key_as(Presence::Touch, InfoView::AsIs, |t| {
        let mut s = session(t);
        let made = identity::create(&mut s, None).expect("identity credential");
        // Another key's identity first in the inventory: only the genuine one answers.
        let mut other = made.clone();
        other.credential_id = "AAAA".into();
        let keys = vec![entry("BG01-X", other), entry("BG01-A", made)];
        match identity::identify(&mut s, &inventory(&keys)).expect("identify") {
            IdentityCheck::Proven(p) => assert_eq!(p.label, "BG01-A"),
            other => panic!("Trussed did not prove its identity: {other:?}"),
        }
        // A recorded counter ahead of the key's: a possible clone, not a proof.
        let mut keys = keys;
        keys[1].identity.sign_count = u32::MAX;
        assert!(matches!(
            identity::identify(&mut s, &inventory(&keys)).expect("identify"),
            IdentityCheck::Failed { ref label, .. } if label == "BG01-A"
        ));
        // With the genuine entry gone, the key is unknown.
        keys.pop();
        assert!(matches!(
            identity::identify(&mut s, &inventory(&keys)).expect("identify"),
            IdentityCheck::Unknown { .. }
        ));
    });
}

#[test]
fn pin_protocol_1_end_to_end() {
    let commands = with_trussed_key_as(Presence::Touch, InfoView::PrefersProtocol1, |t| {
        {
            let mut s = session(t);
            s.allow_pin_without_identity_check();
            s.set_pin(&pin()).expect("setPIN with protocol 1");
            s.invalidate_info();
            assert_eq!(s.pin_retries().expect("retries").retries, 8);
            let token = s
                .pin_token(&pin(), TokenPurpose::ReadCredentials, None, false)
                .expect("token with protocol 1");
            assert_eq!(token.protocol_version(), 1);
            let meta = s
                .creds_metadata(&token)
                .expect("metadata, authenticated with protocol 1");
            assert_eq!(meta.existing, 0);
        }
        t.client_pin_subcommands.clone()
    });
    // setPIN, then retries, key agreement and a token with permissions (CTAP 2.1 key).
    assert!(commands.contains(&sub::SET_PIN), "{commands:?}");
    assert!(
        commands.contains(&sub::GET_TOKEN_USING_PIN_WITH_PERMISSIONS),
        "{commands:?}"
    );
}

#[test]
fn get_pin_token_0x05_on_a_ctap20_key() {
    let commands = with_trussed_key_as(Presence::Touch, InfoView::Ctap20, |t| {
        {
            let mut s = session(t);
            s.allow_pin_without_identity_check();
            s.set_pin(&pin()).expect("setPIN");
            s.invalidate_info();
            // getPINRetries carries pinProtocol on a key without FIDO_2_1.
            assert_eq!(s.pin_retries().expect("retries").retries, 8);
            let token = s
                .pin_token(&pin(), TokenPurpose::MakeCredential, None, false)
                .expect("getPinToken");
            assert_eq!(token.protocol_version(), 1);
            // The token authorises a credential: Trussed checks the pinUvAuthParam.
            let made = identity::create(&mut s, Some(&token)).expect("makeCredential with token");
            assert!(!made.credential_id.is_empty());
        }
        t.client_pin_subcommands.clone()
    });
    assert!(commands.contains(&sub::GET_PIN_TOKEN), "{commands:?}");
    assert!(
        !commands.contains(&sub::GET_TOKEN_USING_PIN_WITH_PERMISSIONS),
        "{commands:?}"
    );
}

#[test]
fn keepalive_says_touch_while_trussed_waits_for_one() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    with_trussed_key_as(
        Presence::TouchAfter(Duration::from_millis(400)),
        InfoView::AsIs,
        |t| {
            let mut s = session(t);
            s.set_keepalive_hook(Some(Box::new(move |status| {
                if let Ok(mut v) = sink.lock() {
                    v.push(status);
                }
            })));
            identity::create(&mut s, None).expect("makeCredential after a late touch");
        },
    );
    let seen = seen.lock().expect("keepalive log").clone();
    assert!(
        seen.contains(&KeepaliveStatus::UserPresenceNeeded),
        "{seen:?}"
    );
}

#[test]
fn cancel_while_trussed_waits_for_a_touch() {
    let (result, cancels, recovered) = with_trussed_key_as(
        Presence::TouchAfter(Duration::from_secs(60)),
        InfoView::AsIs,
        |t| {
            let (result, recovered) = {
                let mut s = session(t);
                let flag = s.cancel_flag();
                let canceller = std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(300));
                    flag.store(true, Ordering::SeqCst);
                });
                let result = identity::create(&mut s, None);
                let _ = canceller.join();
                s.cancel_flag().store(false, Ordering::SeqCst);
                // The key answers again once Trussed has stopped waiting.
                s.invalidate_info();
                let recovered = s.info().is_ok();
                (result, recovered)
            };
            (result, t.cancels, recovered)
        },
    );
    assert!(
        matches!(result, Err(Ctap2Error::Hid(CtapHidError::Cancelled))),
        "{result:?}"
    );
    assert_eq!(cancels, 1, "one CTAPHID CANCEL reached the key");
    assert!(recovered, "the key answers after the cancelled request");
}

#[test]
fn audit_observation_through_the_library() {
    use glasskey::audit::observe::{observe_session, read_passkeys};
    use glasskey::ctap2::credential_management::UserEntity;
    use glasskey::ctap2::make_credential::MakeCredential;
    use glasskey::device::{DeviceError, KeyFacts};

    const UPN: &str = "bg-01@contoso.onmicrosoft.com";
    let observation = with_trussed_key_as(Presence::Touch, InfoView::AsIs, |t| {
        // Enrollment: glasskey's identity credential, a PIN, the account's passkey.
        let identity = {
            let mut s = session(t);
            let identity = identity::create(&mut s, None).expect("identity credential");
            s.allow_pin_without_identity_check();
            s.set_pin(&pin()).expect("setPIN");
            s.invalidate_info();
            let token = s
                .pin_token(
                    &pin(),
                    TokenPurpose::MakeCredential,
                    Some("login.microsoft.com"),
                    false,
                )
                .expect("token");
            let user = UserEntity {
                id: vec![7; 16],
                name: Some(UPN.into()),
                display_name: Some("Break Glass 01".into()),
            };
            let mut passkey = MakeCredential::new([9; 32], "login.microsoft.com", user);
            passkey.resident_key = true;
            s.make_credential(passkey, Some(&token)).expect("passkey");
            identity
        };
        let dir = std::env::temp_dir().join(format!("gk-conformance-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("bg.toml");
        let inventory_text = format!(
            "schema_version = 1\ntenant = \"contoso.onmicrosoft.com\"\n\n[policy]\nmin_keys_per_account = 1\nallow_software_keys = true\n\n[[account]]\nupn = \"{UPN}\"\n\n[[key]]\nlabel = \"BG01-A\"\naccount = \"{UPN}\"\ncustodian = \"C\"\nlocation = \"Safe 1\"\naaguid = \"\"\nenrolled = \"2026-11-25T10:00:00Z\"\n\n[key.identity]\nrp_id = \"{}\"\ncredential_id = \"{}\"\npublic_key = \"{}\"\nfingerprint = \"{}\"\nsign_count = {}\n",
            identity.rp_id,
            identity.credential_id,
            identity.public_key,
            identity.fingerprint,
            identity.sign_count
        );
        let inv = glasskey::inventory::store::parse(&path, &inventory_text).expect("inventory");
        let _ = std::fs::remove_dir_all(&dir);

        // The quarterly check, in a fresh session: identity first, then the PIN.
        let mut s = session(t);
        let info = s.info().expect("getInfo").clone();
        let facts = KeyFacts {
            device: "trussed:fido-authenticator".into(),
            vendor_id: None,
            product_id: None,
            manufacturer: None,
            product: None,
            usb_serial: None,
            vendor_serial: None,
            aaguid: info.aaguid_string(),
            model: None,
            model_source: None,
            firmware: None,
            form_factor: None,
            ctap_versions: info.versions.clone(),
            pin_set: info.pin_set(),
            // Trussed's virtual platform in this process: a software key.
            software_key: true,
        };
        let mut check =
            observe_session::<_, DeviceError>(&mut s, facts, &inv, "2026-11-26T10:00:00Z", false)
                .expect("observe");
        assert_eq!(check.label.as_deref(), Some("BG01-A"));
        assert!(check.wants_pin, "{:?}", check.note);
        read_passkeys(&mut s, &inv, &mut check, &pin(), false).expect("passkeys");
        check.observation.expect("an observation")
    });
    assert!(observation.identity_verified);
    assert_eq!(observation.pin_retries, Some(8));
    let passkeys = observation.passkeys.expect("passkeys read");
    assert_eq!(passkeys.len(), 1);
    assert_eq!(passkeys[0].user_name, UPN);
}
