//! The inventory parser (TOML, then the JSON-lines history inside it) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(inv) = glasskey::inventory::store::parse(std::path::Path::new("fuzz.toml"), text)
        {
            let _ = glasskey::inventory::history::verify(&inv.checks);
            let _ = glasskey::audit::rules::evaluate(&inv, time::OffsetDateTime::UNIX_EPOCH);
            let _ = glasskey::inventory::store::render(&inv);
        }
    }
});
