//! The bundled vendor roots and real keys' attestations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use glasskey::attestation::roots::{recorded_sha256, BUNDLED};
use glasskey::attestation::x509::Cert;

#[test]
fn every_bundled_root_parses_self_verifies_and_matches_its_recorded_digest() {
    assert!(BUNDLED.len() >= 6);
    let mut vendors = std::collections::BTreeSet::new();
    let (mut roots, mut linked) = (0, 0);
    for (name, pem) in BUNDLED {
        let cert = Cert::from_pem(pem).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            Some(cert.sha256_hex().as_str()),
            recorded_sha256(pem),
            "{name}: recorded SHA-256"
        );
        if cert.issuer_der() == cert.subject_der() {
            cert.verify_signed_by(&cert).unwrap_or_else(|e| {
                panic!("{name} ({}) does not self-verify: {e}", cert.subject())
            });
            roots += 1;
        } else {
            // The FIDO MDS also lists intermediate CAs as trust anchors. Where their issuer is
            // bundled too, the link must verify.
            let issuer = BUNDLED
                .iter()
                .map(|(_, p)| Cert::from_pem(p).unwrap())
                .find(|c| c.subject_der() == cert.issuer_der());
            if let Some(issuer) = issuer {
                cert.verify_signed_by(&issuer).unwrap_or_else(|e| {
                    panic!(
                        "{name} is not signed by its bundled issuer {}: {e}",
                        issuer.subject()
                    )
                });
                linked += 1;
            }
        }
        vendors.insert(name.split('-').next().unwrap().to_owned());
    }
    assert!(
        roots >= 12 && linked >= 8,
        "{roots} self-signed roots, {linked} intermediates linked"
    );
    for v in [
        "yubico", "feitian", "google", "nitrokey", "solokeys", "token2",
    ] {
        assert!(vendors.contains(v), "no root for {v}");
    }
}
