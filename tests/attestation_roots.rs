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

/// libfido2's captured makeCredential reply (shared/vectors): a YubiKey's packed attestation
/// by "Yubico U2F EE Serial 1213939126". Its client data hash is not published, so this checks
/// the certificate path, not the signature.
#[test]
fn libfido2s_captured_packed_attestation_is_checked_at_the_checks_date() {
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
    let roots = glasskey::attestation::roots::bundled();
    // Within the leaf's validity (it ends 2018-12-31) the leaf meets WebAuthn's requirements and
    // vouches for the AAGUID in authData; its issuer, a preview CA, is not in the FIDO MDS and so
    // not bundled: the path is untrusted, not broken.
    let june_2018 = 1_527_811_200;
    let check = glasskey::attestation::verify::verify(&att, &[0u8; 32], &roots, june_2018);
    assert_eq!(
        (check.format.as_str(), check.kind.to_string().as_str()),
        ("packed", "basic")
    );
    assert!(check.certificate_problems.is_empty(), "{check:?}");
    assert_eq!(check.aaguid_matches, Some(true));
    assert!(!check.chain_invalid, "{check:?}");
    assert!(check
        .chain_error
        .as_deref()
        .unwrap()
        .contains("issuer: CN=Yubico FIDO Preview CA"));
    // Checked today, the expired leaf breaks the path.
    let today = glasskey::attestation::verify::verify(&att, &[0u8; 32], &roots, NOW);
    assert!(today.chain_invalid && today.anchor.is_none(), "{today:?}");
    assert!(today.chain_error.unwrap().contains("expired on 2018-12-31"));
    assert!(check
        .leaf_subject
        .as_deref()
        .unwrap()
        .contains("1213939126"));
}
