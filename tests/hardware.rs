//! Opt-in, read-only checks against real keys attached over USB. Never touches a PIN, never
//! needs a touch:
//!   cargo test --test hardware -- --ignored
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use glasskey::device::{discover, DeviceSpec, Key, OpenOptions};

#[test]
#[ignore = "needs a real FIDO key: cargo test --test hardware -- --ignored"]
fn every_attached_key_answers_the_read_only_commands() {
    let keys: Vec<DeviceSpec> = discover()
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .filter(|s| matches!(s, DeviceSpec::Hid(_)))
        .collect();
    assert!(
        !keys.is_empty(),
        "no FIDO key attached (or no permission: see udev/README.md)"
    );
    for spec in keys {
        let mut key = Key::open(&spec, &OpenOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", spec.to_arg()));
        let facts = key.facts().unwrap();
        assert_eq!(facts.aaguid.len(), 36);
        assert!(
            facts.ctap_versions.iter().any(|v| v.starts_with("FIDO_2")),
            "{facts:?}"
        );
        if facts.vendor_id.as_deref() == Some("1050") {
            assert!(
                facts.vendor_serial.is_some() || facts.firmware.is_some(),
                "a YubiKey answers read-config: {facts:?}"
            );
        }
        if facts.pin_set == Some(true) {
            let retries = key.session.pin_retries().unwrap();
            assert!(retries.retries <= 8);
        }
        // A second getInfo on the same session is served from the cache: nothing is sent.
        let before = key.session.info().unwrap().clone();
        assert_eq!(key.session.info().unwrap(), &before);
        println!(
            "{}: {} {:?} firmware {:?}",
            spec.to_arg(),
            facts.model.as_deref().unwrap_or("unknown model"),
            facts.vendor_serial,
            facts.firmware
        );
    }
}
