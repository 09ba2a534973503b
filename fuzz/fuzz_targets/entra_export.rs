//! The Entra export reader (size-capped file bytes: JSON with typed methods, bounded lists,
//! consistency checks), then reconciliation of whatever parses with a two-account inventory.
#![no_main]

use libfuzzer_sys::fuzz_target;

const INVENTORY: &str = include_str!("../../tests/fixtures/entra/documented.toml");

fuzz_target!(|data: &[u8]| {
    if let Ok(export) = glasskey::entra::parse(data) {
        if let Ok(inv) =
            glasskey::inventory::store::parse(std::path::Path::new("fuzz.toml"), INVENTORY)
        {
            let now = time::macros::datetime!(2022-06-07 00:00 UTC);
            let _ = glasskey::entra::reconcile(&inv, &export, now);
        }
    }
});
