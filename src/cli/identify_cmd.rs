//! `identify`: which inventoried key is this? Proved by signature, with no PIN and no touch. A
//! key that proves no identity is never presented as the key it claims to be (DESIGN §3.6): the
//! claimed key's label, account, location and fingerprint appear only marked as claimed, and
//! the reason the proof failed is said plainly.

use std::path::Path;

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use crate::audit::claim::{not_proved_words, ClaimedBy, Unproved};
use crate::audit::observe::serial_twin;
use crate::identity::{self, IdentityCheck, ProofFailure};
use crate::inventory::model::KeyEntry;
use crate::inventory::Store;
use crate::untrusted::{shown_or, shown_path, ShowOutside};
use crate::util::short_fingerprint;

#[derive(Serialize)]
struct Identified {
    device: String,
    /// True only for a key that proved an inventoried identity: a key claiming one without
    /// proving it is not known to be in the inventory.
    in_inventory: bool,
    /// True only when the key signed glasskey's challenge with the inventoried key and its
    /// counter moved forward.
    identity_proved: bool,
    /// This key's label, account, location and fingerprint: set only when the identity is proved.
    label: Option<String>,
    account: Option<String>,
    location: Option<String>,
    identity_fingerprint: Option<String>,
    /// For a key that proved nothing: how it claimed an inventoried key, and what that key's
    /// record says. Never this key's own (HOSTILE-4 F7).
    claimed_by: Option<ClaimedBy>,
    claimed_label: Option<String>,
    claimed_account: Option<String>,
    claimed_location: Option<String>,
    /// Only for a claim by identity credential: a serial claims no fingerprint.
    claimed_fingerprint: Option<String>,
    /// Why the identity is not proved, in plain words; null when it is, or for a key the
    /// inventory simply does not know.
    proof_failure: Option<String>,
    signature_valid: bool,
    sign_count_regressed: bool,
}

pub fn identify(ctx: &mut Context, inventory: &Path) -> Result<(), CliError> {
    let (_, inv) = Store::load(inventory)?;
    let mut key = ctx.open_key()?;
    let device = key.spec.to_arg();
    let check = identity::identify(&mut key.session, &inv)?;
    let own: Option<&KeyEntry> = match &check {
        IdentityCheck::Proven(proven) => inv.key(&proven.label),
        _ => None,
    };
    let twin = match &check {
        IdentityCheck::Unknown { .. } => serial_twin(&inv, &key.facts()?).map(|e| e.label.clone()),
        _ => None,
    };
    let unproved = Unproved::of(&check, twin).unwrap_or_default();
    let claim = unproved
        .claimed
        .as_ref()
        .and_then(|(label, by)| inv.key(label).map(|e| (e, *by)));
    let proof_failure = unproved.why;
    let sign_count_regressed = matches!(
        check,
        IdentityCheck::Failed {
            failure: ProofFailure::CounterBehind { .. },
            ..
        }
    );
    // The key signed with the recorded key, though the record itself is not vouched for.
    let record_unacknowledged = matches!(
        check,
        IdentityCheck::Failed {
            failure: ProofFailure::RecordUnacknowledged,
            ..
        }
    );
    let claimed = claim.map(|(e, _)| e);
    let out = Identified {
        device,
        in_inventory: own.is_some(),
        identity_proved: own.is_some(),
        label: own.map(|e| e.label.clone()),
        account: own.map(|e| e.account.clone()),
        location: own.map(|e| e.location.clone()),
        identity_fingerprint: own.map(|e| e.identity.fingerprint.clone()),
        claimed_by: claim.map(|(_, by)| by),
        claimed_label: claimed.map(|e| e.label.clone()),
        claimed_account: claimed.map(|e| e.account.clone()),
        claimed_location: claimed.map(|e| e.location.clone()),
        claimed_fingerprint: claim
            .filter(|(_, by)| *by == ClaimedBy::IdentityCredential)
            .map(|(e, _)| e.identity.fingerprint.clone()),
        proof_failure,
        // A counter behind (or an unacknowledged record) still means the signature verified.
        signature_valid: own.is_some() || sign_count_regressed || record_unacknowledged,
        sign_count_regressed,
    };
    ctx.emit(&out, |w| write_identified(w, &out, inventory))?;
    if out.identity_proved {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

/// The headline names an inventoried key as this key only when the key proved it is that key;
/// otherwise it says the identity is not proved and why, and names the claimed key only as
/// claimed (its account and location are not printed: they are not this key's).
fn write_identified(
    w: &mut dyn std::io::Write,
    out: &Identified,
    inventory: &Path,
) -> std::io::Result<()> {
    let device = out.device.shown();
    if let Some(label) = &out.label {
        writeln!(
            w,
            "{device} is {} ({}, stored at {})",
            label.shown(),
            shown_or(out.account.as_deref(), "?"),
            shown_or(out.location.as_deref(), "?")
        )?;
        if let Some(fp) = &out.identity_fingerprint {
            writeln!(w, "  identity fingerprint {}", short_fingerprint(fp))?;
        }
        return Ok(());
    }
    let claimed = out.claimed_label.as_deref().zip(out.claimed_by);
    let words = not_proved_words(claimed, out.proof_failure.as_deref());
    match claimed {
        Some((claimed, ClaimedBy::IdentityCredential)) => {
            writeln!(w, "{device}: {}", words.shown())?;
            if let Some(fp) = &out.claimed_fingerprint {
                writeln!(
                    w,
                    "  claims to be {}, whose recorded fingerprint is {}; this key's identity is NOT proved",
                    claimed.shown(),
                    short_fingerprint(fp)
                )?;
            }
        }
        Some((_, ClaimedBy::Serial)) => writeln!(w, "{device} is {}", words.shown())?,
        None => {
            let why = out.proof_failure.as_deref().map(ShowOutside::shown);
            return writeln!(
                w,
                "{device} is not in the inventory {}{}",
                shown_path(inventory),
                why.map(|why| format!(": {why}")).unwrap_or_default()
            );
        }
    }
    writeln!(
        w,
        "  Treat it as an unknown key: give it no PIN, and check that {} itself is where the inventory records it.",
        shown_or(out.claimed_label.as_deref(), "?")
    )
}
