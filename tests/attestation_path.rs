//! Certificate paths of packed attestations (tests/fixtures/attestation-chains, made by its
//! make.py): a sound chain is genuine, and each forged one fails with its own finding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use glasskey::attestation::roots::Root;
use glasskey::attestation::verify::{verify, AttestationCheck};
use glasskey::attestation::x509::Cert;
use glasskey::audit::vetting::attestation_findings;
use glasskey::ctap2::cbor::{bytes, int, text, Value};
use glasskey::ctap2::make_credential::Attestation;
use p256::ecdsa::signature::Signer;

/// 2026-11-26T00:00:00Z.
const NOW: u64 = 1_795_651_200;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/attestation-chains/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Every certificate in a PEM file, in order (leaf first).
fn pem_chain(name: &str) -> Vec<Vec<u8>> {
    fixture(name)
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|block| block.contains("BEGIN"))
        .map(|block| Cert::from_pem(block).unwrap().der)
        .collect()
}

fn root() -> Vec<Root> {
    vec![Root {
        name: "chains-root".into(),
        cert: Cert::from_pem(&fixture("root.pem")).unwrap(),
    }]
}

/// A packed attestation of a fresh credential, signed by the fixtures' leaf key, presenting
/// the given chain.
fn attest(chain: &str) -> (Attestation, [u8; 32]) {
    let aaguid = hex::decode(fixture("aaguid.txt").trim()).unwrap();
    let credential = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let mut auth_data = vec![0x11; 32];
    auth_data.push(0x41); // UP | AT
    auth_data.extend(1u32.to_be_bytes());
    auth_data.extend(&aaguid);
    auth_data.extend(16u16.to_be_bytes());
    auth_data.extend([0xC1; 16]);
    auth_data
        .extend(glasskey::ctap2::cose::CoseKey::from_p256(&credential.public_key(), -7).to_bytes());
    let cdh = [0x5A; 32];
    let mut message = auth_data.clone();
    message.extend(cdh);
    let leaf_key = hex::decode(fixture("leaf-key.hex").trim()).unwrap();
    let signer = p256::ecdsa::SigningKey::from_slice(&leaf_key).unwrap();
    let signature: p256::ecdsa::DerSignature = signer.sign(&message);
    let x5c = pem_chain(chain).iter().map(|c| bytes(c)).collect();
    let body = Value::Map(vec![
        (int(1), text("packed")),
        (int(2), bytes(&auth_data)),
        (
            int(3),
            Value::Map(vec![
                (text("alg"), int(-7)),
                (text("sig"), bytes(signature.as_bytes())),
                (text("x5c"), Value::Array(x5c)),
            ]),
        ),
    ]);
    (Attestation::parse(&body).unwrap(), cdh)
}

fn check(chain: &str) -> AttestationCheck {
    let (att, cdh) = attest(chain);
    verify(&att, &cdh, &root(), NOW)
}

/// (rule, message) of every finding about a chain.
fn findings(chain: &str) -> Vec<(String, String)> {
    attestation_findings(
        &check(chain),
        "5ca1ab1e-5ca1-ab1e-5ca1-ab1e5ca1ab1e",
        Some("K"),
    )
    .into_iter()
    .map(|f| (f.rule.to_owned(), f.message))
    .collect()
}

#[test]
fn a_sound_chain_through_an_intermediate_is_genuine() {
    let c = check("valid.pem");
    assert!(c.genuine(), "{c:?}");
    assert_eq!(c.anchor.as_deref(), Some("chains-root"));
    assert_eq!(c.aaguid_matches, Some(true));
    assert_eq!(findings("valid.pem"), vec![]);
    // The same chain without its intermediate reaches no anchor.
    let (att, cdh) = attest("valid.pem");
    let only_root_of_another = vec![Root {
        name: "other".into(),
        cert: Cert::from_pem(include_str!("../data/test-ca/test-root.pem")).unwrap(),
    }];
    let untrusted = verify(&att, &cdh, &only_root_of_another, NOW);
    assert!(!untrusted.genuine() && !untrusted.chain_invalid);
}

fn only(chain: &str, rule: &str, words: &str) {
    let found = findings(chain);
    assert_eq!(found.len(), 1, "{chain}: {found:?}");
    assert_eq!(found[0].0, rule, "{chain}: {found:?}");
    assert!(found[0].1.contains(words), "{chain}: {found:?}");
    assert!(!check(chain).genuine());
}

#[test]
fn a_leaf_used_as_a_ca_breaks_the_chain() {
    only(
        "leaf-as-ca.pem",
        "GK080",
        "not a CA (basicConstraints) issued another certificate",
    );
}

#[test]
fn an_expired_intermediate_breaks_the_chain() {
    only("expired-intermediate.pem", "GK080", "expired on 2021-01-01");
}

#[test]
fn an_issuer_whose_key_usage_forbids_certificate_signing_breaks_the_chain() {
    only(
        "wrong-key-usage.pem",
        "GK080",
        "does not allow signing certificates",
    );
}

#[test]
fn a_path_longer_than_the_path_length_constraint_breaks_the_chain() {
    only("path-length.pem", "GK080", "path length");
}

#[test]
fn a_certificate_for_another_aaguid_is_a_mismatch() {
    only(
        "aaguid-mismatch.pem",
        "GK023",
        "0badc0de-0bad-c0de-0bad-c0de0badc0de",
    );
}

#[test]
fn a_critical_aaguid_extension_breaks_the_webauthn_requirements() {
    only(
        "critical-aaguid.pem",
        "GK081",
        "marks its AAGUID extension critical",
    );
}

#[test]
fn a_tampered_signature_is_invalid_whatever_the_chain() {
    let (mut att, cdh) = attest("valid.pem");
    att.auth_data.raw[40] ^= 1;
    let c = verify(&att, &cdh, &root(), NOW);
    assert!(!c.signature_valid && !c.genuine());
}

/// rustls-webpki verifies certificates signed with ecdsa-with-SHA512 (P-521) and RSASSA-PSS
/// (SHA-256, MGF1-SHA-256, salt 32) through glasskey's algorithms: the TEST leaves under
/// data/test-ca/algorithms chain to their roots, and the same leaf with one bit of its
/// certificate signature flipped does not.
#[test]
fn certificates_signed_with_es512_and_ps256_are_verified_not_skipped() {
    use glasskey::attestation::path::{unix_time, validate, Broken, ChainError};
    let dir = format!("{}/data/test-ca/algorithms", env!("CARGO_MANIFEST_DIR"));
    let load = |name: &str| {
        Cert::from_pem(&std::fs::read_to_string(format!("{dir}/{name}")).unwrap()).unwrap()
    };
    for (leaf, root) in [
        ("es512.pem", "p521-root.pem"),
        ("ps256.pem", "pss-root.pem"),
    ] {
        let anchors = vec![Root {
            name: root.into(),
            cert: load(root),
        }];
        let leaf = load(leaf);
        assert_eq!(
            validate(&leaf, &[], &anchors, unix_time(NOW)),
            Ok(root.to_owned())
        );
        let mut der = leaf.der.clone();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let tampered = Cert::from_der(&der).unwrap();
        match validate(&tampered, &[], &anchors, unix_time(NOW)) {
            Err(ChainError::Invalid {
                kind: Broken::Signature,
                ..
            }) => {}
            other => panic!("{root}: {other:?}"),
        }
    }
}
