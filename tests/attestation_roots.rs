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

fn real(name: &str) -> (glasskey::ctap2::make_credential::Attestation, [u8; 32]) {
    use base64::Engine;
    use sha2::Digest;
    let path = format!(
        "{}/tests/vectors/attestation/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let object = b64
        .decode(
            v["attestation_object_b64"]
                .as_str()
                .unwrap()
                .trim_end_matches('='),
        )
        .unwrap();
    let client_data = b64
        .decode(v["client_data_b64"].as_str().unwrap().trim_end_matches('='))
        .unwrap();
    let att = glasskey::ctap2::make_credential::Attestation::from_webauthn_object(&object).unwrap();
    (att, sha2::Sha256::digest(client_data).into())
}

#[test]
fn a_real_yubikey_5_packed_attestation_verifies_to_a_bundled_yubico_root() {
    let (att, cdh) = real("yubikey5nfc");
    let check =
        glasskey::attestation::verify::verify(&att, &cdh, &glasskey::attestation::roots::bundled());
    assert_eq!(check.format, "packed");
    assert!(check.signature_valid, "{check:?}");
    assert!(
        check
            .anchor
            .as_deref()
            .is_some_and(|a| a.starts_with("yubico")),
        "{check:?}"
    );
    assert_eq!(check.aaguid_matches, Some(true), "{check:?}");
    assert!(check.certificate_problems.is_empty(), "{check:?}");
    assert!(check.genuine());
    // The same statement over another challenge is not valid.
    let other = glasskey::attestation::verify::verify(
        &att,
        &[0u8; 32],
        &glasskey::attestation::roots::bundled(),
    );
    assert!(!other.signature_valid && !other.genuine());
    // Without Yubico's anchors the chain leads nowhere.
    let foreign: Vec<_> = glasskey::attestation::roots::bundled()
        .into_iter()
        .filter(|r| !r.name.starts_with("yubico"))
        .collect();
    let untrusted = glasskey::attestation::verify::verify(&att, &cdh, &foreign);
    assert!(
        untrusted.signature_valid && untrusted.anchor.is_none() && untrusted.chain_error.is_some()
    );
}

#[test]
fn a_real_yubikey_4_fido_u2f_attestation_verifies_to_the_yubico_u2f_root() {
    let (att, cdh) = real("yubikey4");
    let check =
        glasskey::attestation::verify::verify(&att, &cdh, &glasskey::attestation::roots::bundled());
    assert_eq!(check.format, "fido-u2f");
    assert!(check.signature_valid, "{check:?}");
    assert!(
        check
            .anchor
            .as_deref()
            .is_some_and(|a| a.starts_with("yubico")),
        "{check:?}"
    );
}

#[test]
fn packed_leaf_requirements_are_checked() {
    let root = Cert::from_pem(include_str!("../data/test-ca/test-root.pem")).unwrap();
    let leaf = Cert::from_pem(include_str!("../data/test-ca/attestation-yubikey-5.7.pem")).unwrap();
    let in_2030 = 1_893_456_000;
    assert!(leaf.packed_leaf_problems(in_2030).is_empty());
    // A CA certificate without the attestation OU fails two requirements.
    assert_eq!(
        root.packed_leaf_problems(in_2030).len(),
        2,
        "{:?}",
        root.packed_leaf_problems(in_2030)
    );
    // Before its validity period (2020) it fails the date check.
    assert!(leaf
        .packed_leaf_problems(1_577_836_800)
        .iter()
        .any(|p| p.contains("validity period")));
}
