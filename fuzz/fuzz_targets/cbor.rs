//! Bounded CBOR decoding and typed field access on arbitrary bytes.
#![no_main]

use glasskey::ctap2::cbor::{decode, Fields};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = decode(data) {
        if let Ok(f) = Fields::new(&value, "fuzz") {
            for key in -3..16 {
                let _ = f.uint(key);
                let _ = f.text_array(key);
                let _ = f.bytes(key);
                let _ = f.map(key);
            }
        }
    }
});
