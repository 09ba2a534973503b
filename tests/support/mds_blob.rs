//! MDS BLOBs for tests and `cargo bench --bench mds`: a payload wrapped in a compact JWS signed
//! by glasskey's TEST MDS PKI (tests/fixtures/mds, made by its make.py).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use serde_json::Value;

pub fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/mds/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

#[derive(Debug, Clone, Copy)]
pub enum Signer {
    Es256,
    Rs256,
    /// ES256, by a certificate that expired in 2021.
    Expired,
}

/// Base64 (standard) DER of each certificate in a PEM file, for x5c.
fn x5c(pem: &str) -> Vec<String> {
    let text = fixture(pem);
    text.split_inclusive("-----END CERTIFICATE-----")
        .filter(|b| b.contains("BEGIN"))
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
        })
        .collect()
}

/// The compact JWS of `payload` signed by `signer`.
pub fn sign(payload: &[u8], signer: Signer) -> String {
    sign_with_header(payload, signer, serde_json::json!({}))
}

/// As [`sign`], with `extra`'s members added to the protected header (e.g. `crit`).
pub fn sign_with_header(payload: &[u8], signer: Signer, extra: Value) -> String {
    use sha2::Digest;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (alg, pem) = match signer {
        Signer::Es256 => ("ES256", "signer-es256.pem"),
        Signer::Rs256 => ("RS256", "signer-rs256.pem"),
        Signer::Expired => ("ES256", "signer-expired.pem"),
    };
    let mut header = serde_json::json!({"alg": alg, "typ": "JWT", "x5c": x5c(pem)});
    if let (Some(h), Value::Object(extra)) = (header.as_object_mut(), extra) {
        h.extend(extra);
    }
    let signing_input = format!(
        "{}.{}",
        b64.encode(serde_json::to_vec(&header).unwrap()),
        b64.encode(payload)
    );
    let signature = match signer {
        Signer::Es256 | Signer::Expired => {
            use p256::ecdsa::signature::Signer as _;
            let key = hex::decode(fixture("signer-es256-key.hex").trim()).unwrap();
            let key = p256::ecdsa::SigningKey::from_slice(&key).unwrap();
            let s: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
            s.to_bytes().to_vec()
        }
        Signer::Rs256 => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let der = hex::decode(fixture("signer-rs256-key.hex").trim()).unwrap();
            let key = rsa::RsaPrivateKey::from_pkcs1_der(&der).unwrap();
            key.sign(
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                &sha2::Sha256::digest(signing_input.as_bytes()),
            )
            .unwrap()
        }
    };
    format!("{signing_input}.{}", b64.encode(signature))
}

/// The vendored subset of the real payload (tests/fixtures/mds/metadata-subset.json).
pub fn subset() -> Value {
    serde_json::from_str(&fixture("metadata-subset.json")).unwrap()
}

/// A payload: the subset with its number and nextUpdate replaced and `extra` entries added.
pub fn payload(no: u64, next_update: &str, extra: Vec<Value>) -> Vec<u8> {
    let mut p = subset();
    p["no"] = no.into();
    p["nextUpdate"] = next_update.into();
    p["entries"].as_array_mut().unwrap().extend(extra);
    serde_json::to_vec(&p).unwrap()
}

/// An entry for `aaguid` with one status report.
pub fn entry(aaguid: &str, description: &str, status: &str, date: &str) -> Value {
    serde_json::json!({
        "aaguid": aaguid,
        "metadataStatement": {"aaguid": aaguid, "description": description,
                              "attestationRootCertificates": []},
        "statusReports": [{"status": status, "effectiveDate": date,
                           "url": format!("https://example.invalid/{status}")}],
        "timeOfLastStatusChange": date
    })
}
