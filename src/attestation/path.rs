//! X.509 path validation for attestation and MDS chains, by rustls-webpki: signatures,
//! basicConstraints (CA flag, path length), validity of every certificate at the check's
//! date, critical extensions. Two things webpki leaves to its caller are checked here on the
//! path it built: keyUsage (an issuer that says it may not sign certificates cannot; a leaf that
//! says it may not sign cannot) and the trust anchor's own validity period.

use std::cell::RefCell;
use std::time::Duration;

use der::Decode;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter};

use super::algorithms;
use super::roots::Root;
use super::x509::Cert;

/// Why a chain was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// No path from the leaf to any trusted anchor (unknown issuer).
    Untrusted(String),
    /// A path exists but breaks X.509 rules.
    Invalid { kind: Broken, message: String },
}

/// The X.509 rule an otherwise anchored chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    NotYetValid,
    Expired,
    IssuerNotCa,
    LeafIsCa,
    PathLength,
    KeyUsage,
    Signature,
    Algorithm,
    CriticalExtension,
    Version,
    Malformed,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Untrusted(m) | Self::Invalid { message: m, .. } => f.write_str(m),
        }
    }
}

/// WebAuthn names no extended key usage for attestation certificates: any (or none) is fine.
struct AnyPurpose;

impl ExtendedKeyUsageValidator for AnyPurpose {
    fn validate(&self, _: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

fn date(t: UnixTime) -> String {
    i64::try_from(t.as_secs())
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|d| d.date().to_string().into())
        .unwrap_or_else(|| t.as_secs().to_string())
}

fn invalid(kind: Broken, message: impl Into<String>) -> ChainError {
    ChainError::Invalid {
        kind,
        message: message.into(),
    }
}

fn from_webpki(e: &webpki::Error, leaf: &Cert) -> ChainError {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => ChainError::Untrusted(format!(
            "no path from {} to a trusted root (issuer: {})",
            leaf.subject(),
            leaf.parsed.tbs_certificate.issuer
        )),
        E::CertExpired { not_after, .. } => invalid(
            Broken::Expired,
            format!(
                "a certificate in the chain expired on {}",
                date(*not_after)
            ),
        ),
        E::CertNotValidYet { not_before, .. } => invalid(
            Broken::NotYetValid,
            format!(
                "a certificate in the chain is not valid before {}",
                date(*not_before)
            ),
        ),
        E::EndEntityUsedAsCa => invalid(
            Broken::IssuerNotCa,
            "a certificate that is not a CA (basicConstraints) issued another certificate in the chain",
        ),
        E::CaUsedAsEndEntity => invalid(
            Broken::LeafIsCa,
            "the end-entity certificate is a CA certificate",
        ),
        E::PathLenConstraintViolated => invalid(
            Broken::PathLength,
            "the chain is longer than a CA's path length constraint allows",
        ),
        E::InvalidSignatureForPublicKey => invalid(
            Broken::Signature,
            "a certificate's signature in the chain does not verify",
        ),
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => invalid(
            Broken::Algorithm,
            "a certificate in the chain uses a signature algorithm glasskey does not accept",
        ),
        E::UnsupportedCriticalExtension => invalid(
            Broken::CriticalExtension,
            "a certificate in the chain has a critical extension glasskey does not understand",
        ),
        E::UnsupportedCertVersion => invalid(
            Broken::Version,
            "a certificate in the chain is not X.509 version 3",
        ),
        other => invalid(
            Broken::Malformed,
            format!("the certificate chain is malformed ({other:?})"),
        ),
    }
}

/// keyUsage bits (RFC 5280 §4.2.1.3) as x509-cert reads them; None when absent.
fn key_usage(cert: &Cert) -> Option<x509_cert::ext::pkix::KeyUsage> {
    cert.parsed
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == <x509_cert::ext::pkix::KeyUsage as der::oid::AssociatedOid>::OID)
        .and_then(|e| x509_cert::ext::pkix::KeyUsage::from_der(e.extn_value.as_bytes()).ok())
}

/// keyUsage and anchor validity on a path webpki accepted.
fn check_path_extras(
    issuers: &[Cert],
    anchor: &Cert,
    leaf: &Cert,
    now: UnixTime,
) -> Option<ChainError> {
    if key_usage(leaf).is_some_and(|ku| !ku.digital_signature()) {
        return Some(invalid(
            Broken::KeyUsage,
            format!(
                "the keyUsage of {} does not allow digital signatures",
                leaf.subject()
            ),
        ));
    }
    for issuer in issuers.iter().chain(std::iter::once(anchor)) {
        if key_usage(issuer).is_some_and(|ku| !ku.key_cert_sign()) {
            return Some(invalid(
                Broken::KeyUsage,
                format!(
                    "the keyUsage of {} does not allow signing certificates",
                    issuer.subject()
                ),
            ));
        }
    }
    validity_problem(anchor, now)
}

/// A certificate outside its validity period at `now`.
pub fn validity_problem(cert: &Cert, now: UnixTime) -> Option<ChainError> {
    let validity = &cert.parsed.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs();
    let not_after = validity.not_after.to_unix_duration().as_secs();
    if now.as_secs() < not_before {
        return Some(invalid(
            Broken::NotYetValid,
            format!(
                "{} is not valid before {}",
                cert.subject(),
                validity.not_before
            ),
        ));
    }
    (now.as_secs() > not_after).then(|| {
        invalid(
            Broken::Expired,
            format!("{} expired on {}", cert.subject(), validity.not_after),
        )
    })
}

pub fn unix_time(unix_seconds: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(unix_seconds))
}

/// Validates `leaf` through `intermediates` to one of `anchors` at `now`; returns the name of
/// the anchor reached.
pub fn validate(
    leaf: &Cert,
    intermediates: &[Cert],
    anchors: &[Root],
    now: UnixTime,
) -> Result<String, ChainError> {
    // An anchor may be the leaf itself (the MDS lists a few batch certificates so).
    if let Some(a) = anchors.iter().find(|a| a.cert.der == leaf.der) {
        return match validity_problem(leaf, now) {
            Some(e) => Err(e),
            None => Ok(a.name.clone()),
        };
    }
    let anchor_der: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.cert.der.as_slice()))
        .collect();
    // Anchors webpki cannot read are skipped (every bundled one reads, as a test checks).
    let trusted: Vec<(TrustAnchor<'_>, &Root)> = anchor_der
        .iter()
        .zip(anchors)
        .filter_map(|(der, root)| {
            webpki::anchor_from_trusted_cert(der)
                .ok()
                .map(|t| (t, root))
        })
        .collect();
    let trust_anchors: Vec<TrustAnchor<'_>> = trusted.iter().map(|(t, _)| t.clone()).collect();
    let intermediate_der: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let end_entity = EndEntityCert::try_from(&leaf_der).map_err(|e| from_webpki(&e, leaf))?;
    // webpki tries every candidate path; the extra checks reject a path, and the last reason is
    // reported when no path survives.
    let rejected: RefCell<Option<ChainError>> = RefCell::new(None);
    let reached: RefCell<Option<String>> = RefCell::new(None);
    let extras = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let issuers: Vec<Cert> = path
            .intermediate_certificates()
            .filter_map(|c| Cert::from_der(c.der().as_ref()).ok())
            .collect();
        let Some((_, root)) = trusted.iter().find(|(t, _)| {
            t.subject == path.anchor().subject
                && t.subject_public_key_info == path.anchor().subject_public_key_info
        }) else {
            return Err(webpki::Error::UnknownIssuer);
        };
        match check_path_extras(&issuers, &root.cert, leaf, now) {
            Some(problem) => {
                *rejected.borrow_mut() = Some(problem);
                Err(webpki::Error::UnknownIssuer)
            }
            None => {
                *reached.borrow_mut() = Some(root.name.clone());
                Ok(())
            }
        }
    };
    let result = end_entity.verify_for_usage(
        algorithms::ALL,
        &trust_anchors,
        &intermediate_der,
        now,
        AnyPurpose,
        None,
        Some(&extras),
    );
    match result {
        Ok(_) => reached
            .into_inner()
            .ok_or_else(|| ChainError::Untrusted("no trusted anchor reached".into())),
        Err(e) => Err(match rejected.into_inner() {
            Some(problem) if e == webpki::Error::UnknownIssuer => problem,
            _ => from_webpki(&e, leaf),
        }),
    }
}
