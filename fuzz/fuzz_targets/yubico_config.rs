//! The YubiKey read-config TLV page parser.
#![no_main]

use glasskey::vendor::yubico::{parse_page, YubiKeyConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut config = YubiKeyConfig::default();
    let _ = parse_page(data, &mut config);
});
