//! The roots the FIDO Alliance signs MDS BLOBs under (data/mds-roots, from Debian's
//! ca-certificates, with their SHA-256): GlobalSign Root CA - R3, and GlobalSign Root R46 since
//! the move of August 2026.

use crate::attestation::roots::Root;
use crate::attestation::x509::Cert;

pub const BUNDLED: &[(&str, &str)] = &[
    (
        "globalsign-root-r3",
        include_str!("../../data/mds-roots/globalsign-root-r3.pem"),
    ),
    (
        "globalsign-root-r46",
        include_str!("../../data/mds-roots/globalsign-root-r46.pem"),
    ),
];

/// Both roots (each parses, as a test checks).
pub fn bundled() -> Vec<Root> {
    BUNDLED
        .iter()
        .filter_map(|(name, pem)| {
            Cert::from_pem(pem).ok().map(|cert| Root {
                name: (*name).to_owned(),
                cert,
            })
        })
        .collect()
}
