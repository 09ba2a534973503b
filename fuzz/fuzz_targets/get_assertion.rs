//! The get_assertion reply parser on arbitrary CTAPHID_CBOR payloads (status byte + CBOR body).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(body)) = glasskey::ctap2::split_reply(data) {
        let _ = glasskey::ctap2::get_assertion::Assertion::parse(Some(&body), None);
    }
});
