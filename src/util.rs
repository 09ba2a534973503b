//! Small helpers shared by several layers.

pub mod regular_file;

use serde::Serializer;

pub fn format_uuid(b: &[u8; 16]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let compact: String = s.chars().filter(|c| *c != '-').collect();
    let bytes = hex::decode(compact).ok()?;
    bytes.try_into().ok()
}

pub fn serialize_hex<S: Serializer, T: AsRef<[u8]>>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

pub fn serialize_opt_hex<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.serialize_str(&hex::encode(b)),
        None => s.serialize_none(),
    }
}

pub fn serialize_uuid<S: Serializer>(v: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_uuid(v))
}

/// SHA-256 of a public key's canonical COSE encoding, hex.
pub fn key_fingerprint(cose_bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(cose_bytes))
}

/// The first 16 bytes of a fingerprint in groups of four hex digits, for people to compare.
pub fn short_fingerprint(full_hex: &str) -> String {
    full_hex
        .as_bytes()
        .chunks(4)
        .take(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first 16 hex digits of a SHA-256, as reports and the history show it.
pub fn short_digest(sha256: &str) -> String {
    sha256.chars().take(16).collect()
}
