//! A device that proved no inventoried identity may still claim one: it answered for a key's
//! identity credential and failed the proof (GK002, GK003), or it reports a key's serial and
//! holds none of the identity credentials (GK001). `identify` and every audit rendering say so
//! in the same words, and name the claimed key only as claimed (DESIGN §3.6): never its account
//! or location as this device's.

use serde::Serialize;

use crate::identity::{IdentityCheck, ProofFailure};

/// How a device that proved nothing claimed an inventoried key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimedBy {
    /// It answered glasskey's identity request for that key's credential.
    IdentityCredential,
    /// It reports that key's serial number (and proved no identity).
    Serial,
}

/// What a device that proved no identity showed: the key it claims, if any, and why its claim
/// (or its answer) failed, in plain words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unproved {
    pub claimed: Option<(String, ClaimedBy)>,
    pub why: Option<String>,
}

impl Unproved {
    /// None for a proved identity. `serial_twin` is the label of the inventory key whose serial
    /// the device reports; it counts only when the device answered for no identity credential.
    pub fn of(check: &IdentityCheck, serial_twin: Option<String>) -> Option<Self> {
        match check {
            IdentityCheck::Proven(_) => None,
            IdentityCheck::Failed { label, failure } => Some(Self {
                claimed: Some((label.clone(), ClaimedBy::IdentityCredential)),
                why: Some(failure_words(failure)),
            }),
            IdentityCheck::Unknown { note } => Some(Self {
                // A serial claims a key; holding none of the identity credentials fails it.
                why: note.clone().or_else(|| {
                    serial_twin
                        .is_some()
                        .then(|| "it holds none of the inventoried identity credentials".into())
                }),
                claimed: serial_twin.map(|label| (label, ClaimedBy::Serial)),
            }),
        }
    }
}

/// Plain words for a failed proof, as `identify` and the audit say it.
pub fn failure_words(failure: &ProofFailure) -> String {
    failure.to_string()
}

/// What is said of a device that proved no identity, after its name (unescaped): "identity NOT
/// proved: it claims to be LABEL but WHY", "not in the inventory: it reports the serial of
/// LABEL but cannot prove its identity (WHY): possible look-alike", or "not in the inventory"
/// with the reason, if any.
pub fn not_proved_words(claimed: Option<(&str, ClaimedBy)>, why: Option<&str>) -> String {
    match claimed {
        Some((label, ClaimedBy::IdentityCredential)) => format!(
            "identity NOT proved: it claims to be {label} but {}",
            why.unwrap_or("its proof failed")
        ),
        Some((label, ClaimedBy::Serial)) => format!(
            "not in the inventory: it reports the serial of {label} but cannot prove its identity{}: possible look-alike",
            why.map(|why| format!(" ({why})")).unwrap_or_default()
        ),
        None => format!(
            "not in the inventory{}",
            why.map(|why| format!(": {why}")).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_alone_claims_a_key_only_when_no_credential_was_answered_for() {
        let failed = IdentityCheck::Failed {
            label: "BG01-A".into(),
            failure: ProofFailure::SignatureInvalid,
        };
        let u = Unproved::of(&failed, Some("BG02-A".into())).unwrap();
        assert_eq!(
            u.claimed,
            Some(("BG01-A".into(), ClaimedBy::IdentityCredential))
        );
        let unknown = IdentityCheck::Unknown { note: None };
        assert_eq!(Unproved::of(&unknown, None).unwrap(), Unproved::default());
        let twin = Unproved::of(&unknown, Some("BG01-A".into())).unwrap();
        assert_eq!(twin.claimed, Some(("BG01-A".into(), ClaimedBy::Serial)));
        assert!(twin.why.unwrap().contains("holds none"));
    }
}
