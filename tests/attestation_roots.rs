//! The bundled vendor roots and real keys' attestations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use glasskey::attestation::roots::{recorded_sha256, BUNDLED};
use glasskey::attestation::x509::Cert;

/// 2026-11-26T00:00:00Z: the date the chains are checked at.
const NOW: u64 = 1_795_651_200;

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
    let check = glasskey::attestation::verify::verify(
        &att,
        &cdh,
        &glasskey::attestation::roots::bundled(),
        NOW,
    );
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
        NOW,
    );
    assert!(!other.signature_valid && !other.genuine());
    // Without Yubico's anchors the chain leads nowhere.
    let foreign: Vec<_> = glasskey::attestation::roots::bundled()
        .into_iter()
        .filter(|r| !r.name.starts_with("yubico"))
        .collect();
    let untrusted = glasskey::attestation::verify::verify(&att, &cdh, &foreign, NOW);
    assert!(
        untrusted.signature_valid && untrusted.anchor.is_none() && untrusted.chain_error.is_some()
    );
}

#[test]
fn a_real_yubikey_4_fido_u2f_attestation_verifies_to_the_yubico_u2f_root() {
    let (att, cdh) = real("yubikey4");
    let check = glasskey::attestation::verify::verify(
        &att,
        &cdh,
        &glasskey::attestation::roots::bundled(),
        NOW,
    );
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
    use glasskey::attestation::leaf::{packed_leaf_problems, LeafProblem};
    let root = Cert::from_pem(include_str!("../data/test-ca/test-root.pem")).unwrap();
    let leaf = Cert::from_pem(include_str!("../data/test-ca/attestation-yubikey-5.7.pem")).unwrap();
    assert_eq!(packed_leaf_problems(&leaf), vec![]);
    // A CA certificate without the attestation OU fails two requirements.
    assert_eq!(
        packed_leaf_problems(&root),
        vec![LeafProblem::MissingAttestationOu, LeafProblem::IsCa]
    );
}

/// libfido2's captured makeCredential reply (shared/vectors/makecredential_packed.hex): a
/// YubiKey's packed attestation by "Yubico U2F EE Serial 1213939126" (valid 2018-04-12 to
/// 2018-12-31). Its client data hash is the `cdh` of libfido2's regress/cred.c, the request the
/// capture answered: f96457e7…3e8a916b.
fn libfido2_capture() -> (glasskey::ctap2::make_credential::Attestation, [u8; 32]) {
    let text = std::fs::read_to_string(format!(
        "{}/tests/vectors/makecredential_packed.hex",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut message = Vec::new();
    let mut expected = None;
    for (i, line) in text.lines().enumerate() {
        let report = hex::decode(line.trim()).unwrap();
        if i == 0 {
            expected = Some(usize::from(u16::from_be_bytes([report[5], report[6]])));
            message.extend_from_slice(&report[7..]);
        } else {
            message.extend_from_slice(&report[5..]);
        }
    }
    message.truncate(expected.unwrap());
    assert_eq!(message[0], 0, "CTAP2_OK");
    let body = glasskey::ctap2::cbor::decode(&message[1..]).unwrap();
    let att = glasskey::ctap2::make_credential::Attestation::parse(&body).unwrap();
    let cdh: [u8; 32] =
        hex::decode("f96457e72d97f6bbddd7fb063762ea2620448e697c03f2312f99dcaf3e8a916b")
            .unwrap()
            .try_into()
            .unwrap();
    (att, cdh)
}

/// 2018-06-01T00:00:00Z: inside the capture's leaf validity (2018-04-12 10:57:10 to
/// 2018-12-31 10:57:10 UTC), clear of both ends.
const JUNE_2018: u64 = 1_527_811_200;

fn rules_of(check: &glasskey::attestation::verify::AttestationCheck) -> Vec<(String, String)> {
    glasskey::audit::vetting::attestation_findings(
        check,
        "f8a011f3-8c0a-4d15-8006-17111f9edc7d",
        Some("K"),
    )
    .into_iter()
    .map(|f| (f.rule.to_owned(), f.message))
    .collect()
}

#[test]
fn libfido2s_captured_packed_attestation_verifies_inside_its_leafs_validity() {
    let (att, cdh) = libfido2_capture();
    let leaf = Cert::from_der(&att_leaf(&att)).unwrap();
    assert!(leaf.subject().contains("1213939126"));
    // Its issuer, Yubico FIDO Preview CA, is in neither the FIDO MDS nor any bundle, so the
    // certificate is pinned as the anchor, as the MDS pins some vendors' batch certificates.
    let pinned = vec![glasskey::attestation::roots::Root {
        name: "pinned:Yubico U2F EE Serial 1213939126".into(),
        cert: leaf,
    }];
    let verify = glasskey::attestation::verify::verify;
    let check = verify(&att, &cdh, &pinned, JUNE_2018);
    assert_eq!(
        (check.format.as_str(), check.algorithm.as_deref()),
        ("packed", Some("ES256"))
    );
    assert!(check.signature_valid, "{check:?}");
    assert!(check.certificate_problems.is_empty(), "{check:?}");
    assert_eq!(check.aaguid_matches, Some(true));
    assert!(check.genuine(), "{check:?}");
    assert_eq!(rules_of(&check), vec![]);
    // The signature covers the challenge: another client data hash does not verify.
    let other = verify(&att, &[0u8; 32], &pinned, JUNE_2018);
    assert!(!other.signature_valid && !other.genuine());
    assert_eq!(rules_of(&other)[0].0, "GK021");

    // With the bundled roots only, the path reaches no anchor (untrusted, not broken).
    let bundled = glasskey::attestation::roots::bundled();
    let check = verify(&att, &cdh, &bundled, JUNE_2018);
    assert!(check.signature_valid && !check.chain_invalid, "{check:?}");
    assert!(check
        .chain_error
        .as_deref()
        .unwrap()
        .contains("issuer: CN=Yubico FIDO Preview CA"));
    assert_eq!(rules_of(&check)[0].0, "GK022");
}

#[test]
fn libfido2s_captured_packed_attestation_is_expired_today() {
    let (att, cdh) = libfido2_capture();
    let verify = glasskey::attestation::verify::verify;
    let pinned = vec![glasskey::attestation::roots::Root {
        name: "pinned".into(),
        cert: Cert::from_der(&att_leaf(&att)).unwrap(),
    }];
    for anchors in [glasskey::attestation::roots::bundled(), pinned] {
        let today = verify(&att, &cdh, &anchors, NOW);
        // The signature still verifies; the certificate no longer vouches for anything.
        assert!(today.signature_valid, "{today:?}");
        assert!(
            today.chain_invalid && today.anchor.is_none() && !today.genuine(),
            "{today:?}"
        );
        let found = rules_of(&today);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "GK080");
        assert!(found[0].1.contains("expired on 2018-12-31"), "{found:?}");
    }
}

fn att_leaf(att: &glasskey::ctap2::make_credential::Attestation) -> Vec<u8> {
    let statement = glasskey::ctap2::cbor::Fields::new(&att.statement, "attStmt").unwrap();
    match statement.get_text_key("x5c").unwrap() {
        glasskey::ctap2::cbor::Value::Array(items) => items[0].as_bytes().unwrap().clone(),
        _ => panic!("x5c"),
    }
}
