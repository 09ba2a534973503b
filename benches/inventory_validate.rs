//! `glasskey inventory validate` on generated inventories of 1,000 / 5,000 / 20,000 keys with
//! 20 check entries per key (100,000 checks at 5,000 keys): whole-process wall time and peak
//! memory (max RSS) of the release binary. Target: 5,000 keys under 1 s and 200 MB.
//!
//! Run: cargo bench --bench inventory_validate
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

fn main() {
    // `cargo test` also builds and runs benches without --bench; only measure when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>9}",
        "keys", "checks", "file MB", "seconds", "max MB"
    );
    for keys in [1_000, 5_000, 20_000] {
        let inv = common::generate(keys);
        let path = dir.path().join(format!("inv-{keys}.toml"));
        std::fs::write(&path, glasskey::inventory::store::render(&inv).unwrap()).unwrap();
        let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let file = path.to_str().unwrap();
        let (secs, mb) = common::best_of_three(&[
            "--now",
            "2026-11-25T00:00:00Z",
            "inventory",
            "validate",
            file,
        ]);
        println!(
            "{keys:>7} {:>9} {size:>9.1} {secs:>9.3} {mb:>9.1}",
            keys * 20
        );
    }
}
