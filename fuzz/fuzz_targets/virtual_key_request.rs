//! The virtual key's CTAP2 request handler on arbitrary requests: it faces hostile input when
//! served on UDP, and must answer with a status code, never panic.
#![no_main]

use glasskey::virtual_key::Authenticator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut auth) = Authenticator::create(None, "yubikey-5.7", Some(1), None) {
        for request in data.split(|b| *b == 0xFF).take(8) {
            let outcome = auth.handle_cbor(request);
            assert!(!outcome.reply.is_empty());
        }
    }
});
