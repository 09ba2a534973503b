//! The bundled vendor attestation roots (data/roots, with their sources), compiled in.

use super::x509::Cert;

macro_rules! roots {
    ($($file:literal),* $(,)?) => {
        /// (file name, PEM text) of every bundled root.
        pub const BUNDLED: &[(&str, &str)] = &[$(($file, include_str!(concat!("../../data/roots/", $file)))),*];
    };
}

roots!(
    "feitian-1.pem",
    "feitian-2.pem",
    "feitian-3.pem",
    "feitian-4.pem",
    "feitian-5.pem",
    "feitian-6.pem",
    "feitian-7.pem",
    "feitian-8.pem",
    "feitian-9.pem",
    "feitian-10.pem",
    "feitian-11.pem",
    "feitian-12.pem",
    "feitian-13.pem",
    "google-1.pem",
    "google-2.pem",
    "nitrokey-1.pem",
    "solokeys-1.pem",
    "token2-1.pem",
    "yubico-1.pem",
    "yubico-2.pem",
    "yubico-3.pem",
    "yubico-4.pem",
    "yubico-5.pem",
    "yubico-6.pem",
    "yubico-7.pem",
    "yubico-8.pem",
    "yubico-9.pem",
    "yubico-10.pem",
);

/// A trusted root with the name it is reported under.
#[derive(Debug, Clone)]
pub struct Root {
    pub name: String,
    pub cert: Cert,
}

/// The recorded SHA-256 from a root file's header comment.
pub fn recorded_sha256(pem: &str) -> Option<&str> {
    pem.lines()
        .find_map(|l| l.strip_prefix("# sha256: "))
        .map(str::trim)
}

/// Every bundled root that parses (all of them, as a test checks).
pub fn bundled() -> Vec<Root> {
    BUNDLED
        .iter()
        .filter_map(|(name, pem)| {
            Cert::from_pem(pem).ok().map(|cert| Root {
                name: (*name).trim_end_matches(".pem").to_owned(),
                cert,
            })
        })
        .collect()
}
