//! `glasskey sheet` for generated inventories of 1,000 / 5,000 / 20,000 keys in every format:
//! whole-process wall time and max RSS of the release binary. Target: 5,000 keys under 1 s each.
//!
//! Run: cargo bench --bench sheets
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>7} {:>6} {:>9} {:>9} {:>9}",
        "keys", "format", "out MB", "seconds", "max MB"
    );
    for keys in [1_000, 5_000, 20_000] {
        let path = dir.path().join(format!("inv-{keys}.toml"));
        std::fs::write(
            &path,
            glasskey::inventory::store::render(&common::generate(keys)).unwrap(),
        )
        .unwrap();
        for format in ["html", "md", "csv", "json"] {
            let out = dir.path().join(format!("out-{keys}.{format}"));
            let args = [
                "--now",
                "2026-11-25T00:00:00Z",
                "sheet",
                "--inventory",
                path.to_str().unwrap(),
                "--format",
                format,
                "-o",
                out.to_str().unwrap(),
            ];
            let (secs, mb) = common::best_of_three(&args);
            let size = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
            println!("{keys:>7} {format:>6} {size:>9.1} {secs:>9.3} {mb:>9.1}");
        }
    }
}
