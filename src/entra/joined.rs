//! An account's passkeys joined from both method lists by credential ID, and what Entra says
//! about each (GK034 passkey type, GK035 AAGUID, GK036 attestation). The export's checks have
//! made sure the two lists do not contradict each other, so a fact stated in either list is
//! the passkey's; a fact neither list states is reported, never read as the safe value.

use std::collections::HashMap;

use super::aaguid::Aaguid;
use super::export::{AccountExport, Timestamp};
use super::method::{AttestationLevel, Method, PasskeyType};
use super::methods::{describe, MethodKind};
use super::reconcile::finding;
use super::rules::{AAGUID_MISMATCH, NOT_ATTESTED, WEAK_METHOD};
use crate::audit::Finding;
use crate::inventory::model::KeyEntry;

/// A passkey of the account, from either list.
pub struct Passkey<'a> {
    /// The beta fido2Methods entry when there is one (it carries lastUsedDateTime).
    pub method: &'a Method,
    pub credential_id: &'a [u8],
    pub created: Option<Timestamp>,
    pub aa_guid: Option<Aaguid>,
    pub attestation: Option<AttestationLevel>,
    pub passkey_type: Option<PasskeyType>,
}

/// The account's passkeys: the beta fido2Methods list joined with the fido2 entries of the
/// methods list, by credential ID (the export's checks made sure each list names a credential
/// once).
pub fn passkeys(a: &AccountExport) -> Vec<Passkey<'_>> {
    let mut out: Vec<Passkey<'_>> = Vec::new();
    let mut at: HashMap<&[u8], usize> = HashMap::new();
    for m in a.fido2_methods.value.iter().chain(a.methods.value.iter()) {
        let Some(detail) = m.passkey() else { continue };
        match at.get(&*detail.credential_id) {
            Some(&i) => {
                let p = &mut out[i];
                p.created = p.created.or(m.created);
                p.aa_guid = p.aa_guid.or(detail.aa_guid);
                p.attestation = p.attestation.or(detail.attestation);
                p.passkey_type = p.passkey_type.or(detail.passkey_type);
            }
            None => {
                at.insert(&detail.credential_id, out.len());
                out.push(Passkey {
                    method: m,
                    credential_id: &detail.credential_id,
                    created: m.created,
                    aa_guid: detail.aa_guid,
                    attestation: detail.attestation,
                    passkey_type: detail.passkey_type,
                });
            }
        }
    }
    out
}

fn stated<T>(value: Option<T>, name: impl Fn(T) -> &'static str) -> &'static str {
    value.map_or("absent or null", name)
}

/// GK036 and GK034 for any passkey of the account; GK035 for one on an inventoried key.
pub fn findings(p: &Passkey, key: Option<&KeyEntry>, upn: &str, findings: &mut Vec<Finding>) {
    let label = key.map(|k| k.label.as_str());
    let what = || describe(MethodKind::Fido2, p.method);
    if let Some(k) = key {
        let message = match (p.aa_guid, Aaguid::parse(&k.aaguid)) {
            (None, _) => Some(format!(
                "Entra records no AAGUID for {}, so the key's model ({}) cannot be confirmed",
                what(),
                k.aaguid
            )),
            (Some(aa), Ok(inv)) if aa == inv => None,
            (Some(aa), _) => Some(format!(
                "Entra records AAGUID {aa} for {}, the inventory {}",
                what(),
                k.aaguid
            )),
        };
        if let Some(message) = message {
            findings.push(finding(&AAGUID_MISMATCH, label, upn, message));
        }
    }
    let attestation = match p.attestation {
        Some(AttestationLevel::Attested) => None,
        Some(AttestationLevel::NotAttested) => {
            Some(format!("{} was registered without attestation", what()))
        }
        other => Some(format!(
            "the export does not say {} was attested (attestationLevel {})",
            what(),
            stated(other, AttestationLevel::as_str)
        )),
    };
    if let Some(message) = attestation {
        findings.push(finding(&NOT_ATTESTED, label, upn, message));
    }
    let passkey_type = match p.passkey_type {
        Some(PasskeyType::DeviceBound) => None,
        Some(PasskeyType::Synced) => Some(format!(
            "{} is a synced passkey, not bound to a key in the safe",
            what()
        )),
        other => Some(format!(
            "the export does not say it is device-bound: {} (passkeyType {})",
            what(),
            stated(other, PasskeyType::as_str)
        )),
    };
    if let Some(message) = passkey_type {
        findings.push(finding(&WEAK_METHOD, label, upn, message));
    }
}
