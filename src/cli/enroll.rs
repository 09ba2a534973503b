//! `enroll` and `identify`: binding a key to the inventory, and recognising it later.

use std::path::Path;

use serde::Serialize;

use super::args::EnrollArgs;
use super::context::Context;
use super::error::CliError;
use super::inventory_cmd::rfc3339;
use super::software_keys;
use crate::ctap2::session::TokenPurpose;
use crate::identity::{self, IdentityCheck, ProofFailure};
use crate::inventory::model::{KeyEntry, IDENTITY_RP_ID};
use crate::inventory::Store;
use crate::untrusted::{shown_or, ShowOutside};
use crate::util::short_fingerprint;

#[derive(Serialize)]
struct Enrolled {
    label: String,
    account: String,
    device: String,
    aaguid: String,
    model: Option<String>,
    /// Where `model` came from: the MDS entry, else glasskey's fallback table.
    model_source: Option<crate::models::ModelSource>,
    /// Which FIDO MDS BLOB was consulted, or that none was.
    mds: crate::mds::provenance::Provenance,
    vendor_serial: Option<u32>,
    identity_fingerprint: String,
    transport: crate::inventory::KeyTransport,
    software_key: bool,
}

pub fn enroll(ctx: &mut Context, a: &EnrollArgs) -> Result<(), CliError> {
    for (field, value) in [
        ("--label", Some(&a.label)),
        ("--custodian", Some(&a.custodian)),
        ("--location", Some(&a.location)),
        ("--casing-serial", a.casing_serial.as_ref()),
    ] {
        super::inventory_cmd::typed_text(field, value.map_or("", String::as_str))?;
    }
    let (mut store, mut inv) = Store::load_for_update(&a.inventory, a.lock.wait())?;
    if inv.key(&a.label).is_some() {
        return Err(CliError::usage(format!(
            "label {} is already used in {}; choose another",
            a.label,
            a.inventory.display()
        )));
    }
    super::labels::check_new_label(&a.label, &inv)?;
    let Some(account) = inv.account(&a.account).map(|acc| acc.upn.clone()) else {
        return Err(CliError::usage(format!(
            "{} is not an account in {}: add it with `glasskey inventory add-account`",
            a.account,
            a.inventory.display()
        )));
    };
    software_keys::admit_named(&inv, &a.inventory, ctx.global.device.as_deref())?;
    let mut key = ctx.open_key()?;
    software_keys::admit(&inv, &a.inventory, &key.spec)?;
    let transport = software_keys::transport_of(&key.spec).unwrap_or_default();
    let mut facts = key.facts()?;
    software_keys::admit_aaguid(&inv, &a.inventory, &facts.aaguid)?;
    // The FIDO MDS's word on the model: a revoked or compromised model is not enrolled; its
    // name is recorded when the MDS has one.
    let (mds, mds_entry) = super::mds_cmd::lookup(&facts.aaguid, ctx.now()?.date())?;
    facts.name_from_mds(mds_entry.as_ref().and_then(|e| e.description()));
    let mds_findings = crate::mds::findings::findings(&mds, &facts.aaguid, None, None);
    if let Some(f) = mds_findings
        .iter()
        .find(|f| f.rule == crate::audit::rules::MDS_COMPROMISED.id)
    {
        return Err(CliError::usage(format!(
            "not enrolled: {} ({}); choose an unaffected model",
            crate::report::entra::shown(&f.message),
            f.rule
        )));
    }
    for f in &mds_findings {
        eprintln!(
            "glasskey: warning: {} ({})",
            crate::report::entra::shown(&f.message),
            f.rule
        );
    }

    if !inv.policy.allows_aaguid(&facts.aaguid) {
        return Err(CliError::usage(format!(
            "this key's model (AAGUID {}) is not on the inventory's allow-list",
            facts.aaguid
        )));
    }
    // Proved by identity, not by serial strings; a key that claims an inventoried identity
    // without proving it gets no PIN.
    if let Some(label) = super::identity_gate::with_inventory(
        &mut key,
        &inv,
        if a.allow_duplicate_serial {
            super::identity_gate::SerialTwin::Warn
        } else {
            super::identity_gate::SerialTwin::RefuseUnlessAllowed
        },
    )? {
        return Err(CliError::usage(format!(
            "this key is already in the inventory as {label}"
        )));
    }
    let info = key.session.info()?.clone();
    if let Some(why) = crate::audit::observe::passkeys_unreadable(&info) {
        eprintln!("glasskey: warning: {why}, so no audit can confirm that it holds only its account's passkey (GK050 at every audit)");
        ctx.confirm_because(
            "Enroll it anyway?",
            &format!(
                "{why}: enroll it anyway with --yes, or choose a key with credential management"
            ),
            a.yes,
        )?;
    }
    let needs_pin = info.pin_set() == Some(true) && info.option("makeCredUvNotRqd") != Some(true);
    let token = if needs_pin {
        Some(ctx.key_pin_token(
            &mut key,
            Some(&a.label),
            TokenPurpose::MakeCredential,
            Some(IDENTITY_RP_ID),
        )?)
    } else {
        None
    };
    let identity = identity::create(&mut key.session, token.as_ref())?;
    let entry = KeyEntry {
        label: a.label.clone(),
        account,
        custodian: a.custodian.clone(),
        location: a.location.clone(),
        aaguid: facts.aaguid.clone(),
        transport,
        model: facts.model.clone(),
        firmware: facts.firmware.clone(),
        usb_vendor_id: facts.vendor_id.clone(),
        vendor_serial: facts.vendor_serial,
        usb_serial: facts.usb_serial.clone(),
        casing_serial: a.casing_serial.clone(),
        enrolled: rfc3339(ctx.now()?),
        identity,
        last_observation: None,
        retired: None,
    };
    let out = Enrolled {
        label: entry.label.clone(),
        account: entry.account.clone(),
        device: facts.device.clone(),
        aaguid: entry.aaguid.clone(),
        model: entry.model.clone(),
        model_source: facts.model_source,
        mds: mds.blob.clone(),
        vendor_serial: entry.vendor_serial,
        identity_fingerprint: entry.identity.fingerprint.clone(),
        transport: entry.transport,
        software_key: entry.is_software(),
    };
    inv.keys.push(entry);
    store.save(&inv)?;
    ctx.emit(&out, |w| {
        let model = match out.model_source {
            Some(source) => format!("{}, {}", shown_or(out.model.as_deref(), &out.aaguid), source.words()),
            None => shown_or(out.model.as_deref(), &out.aaguid).to_string(),
        };
        writeln!(w, "Enrolled {} for {} ({model}).", out.label.shown(), out.account.shown())?;
        writeln!(w, "MDS: {}", out.mds.line())?;
        writeln!(w, "Identity fingerprint: {}", short_fingerprint(&out.identity_fingerprint))?;
        if out.software_key {
            writeln!(w, "This is a SOFTWARE KEY ({}), admitted by the inventory's policy: never a break-glass key.", out.transport)?;
        }
        writeln!(w, "Write the label and this fingerprint on the key's sheet; `glasskey identify` shows it again.")
    })
}

#[derive(Serialize)]
struct Identified {
    device: String,
    in_inventory: bool,
    /// True only when the key signed glasskey's challenge with the inventoried key and its
    /// counter moved forward: only then is `label` set.
    identity_proved: bool,
    label: Option<String>,
    /// The inventoried key this one answered as, when it failed the proof (look-alike or clone).
    claimed_label: Option<String>,
    /// This key's account, location and fingerprint: set only when the identity is proved.
    account: Option<String>,
    location: Option<String>,
    identity_fingerprint: Option<String>,
    /// What the claimed key's record says, for a key that failed the proof: never this key's
    /// own (hostile-4 F7: a look-alike must not show the genuine key's sheet fingerprint).
    claimed_account: Option<String>,
    claimed_location: Option<String>,
    claimed_fingerprint: Option<String>,
    signature_valid: bool,
    sign_count_regressed: bool,
}

pub fn identify(ctx: &mut Context, inventory: &Path) -> Result<(), CliError> {
    let (_, inv) = Store::load(inventory)?;
    let mut key = ctx.open_key()?;
    let device = key.spec.to_arg();
    let check = identity::identify(&mut key.session, &inv.keys)?;
    let entry = check.label().and_then(|l| inv.key(l));
    let proved = matches!(check, IdentityCheck::Proven(_));
    let (signature_valid, sign_count_regressed) = match &check {
        IdentityCheck::Proven(_) => (true, false),
        IdentityCheck::Failed { failure, .. } => {
            (false, matches!(failure, ProofFailure::CounterBehind { .. }))
        }
        IdentityCheck::Unknown { .. } => (false, false),
    };
    let (own, claimed) = if proved { (entry, None) } else { (None, entry) };
    let out = Identified {
        device: device.clone(),
        in_inventory: entry.is_some(),
        identity_proved: proved,
        label: own.map(|e| e.label.clone()),
        claimed_label: claimed.map(|e| e.label.clone()),
        account: own.map(|e| e.account.clone()),
        location: own.map(|e| e.location.clone()),
        identity_fingerprint: own.map(|e| e.identity.fingerprint.clone()),
        claimed_account: claimed.map(|e| e.account.clone()),
        claimed_location: claimed.map(|e| e.location.clone()),
        claimed_fingerprint: claimed.map(|e| e.identity.fingerprint.clone()),
        // A counter behind still means the signature itself verified.
        signature_valid: signature_valid || sign_count_regressed,
        sign_count_regressed,
    };
    ctx.emit(&out, |w| write_identified(w, &out, inventory))?;
    if matches!(check, IdentityCheck::Proven(_)) {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

/// The headline names an inventoried key only when the key proved it is that key; a failed
/// proof is the headline itself.
fn write_identified(
    w: &mut dyn std::io::Write,
    out: &Identified,
    inventory: &Path,
) -> std::io::Result<()> {
    let device = out.device.shown();
    let (label, proved) = match (&out.label, &out.claimed_label) {
        (Some(label), _) => (label, true),
        (None, Some(claimed)) => (claimed, false),
        (None, None) => {
            return writeln!(
                w,
                "{device} is not in the inventory {}",
                inventory.display()
            )
        }
    };
    let whose = format!(
        "{} ({}, stored at {})",
        label.shown(),
        shown_or(
            out.account.as_deref().or(out.claimed_account.as_deref()),
            "?"
        ),
        shown_or(
            out.location.as_deref().or(out.claimed_location.as_deref()),
            "?"
        )
    );
    if proved {
        writeln!(w, "{device} is {whose}")?;
    } else {
        let why = if out.sign_count_regressed {
            "its signature counter went backwards: possible clone"
        } else {
            "the identity signature did NOT verify: possible look-alike"
        };
        writeln!(
            w,
            "{device} answers as {whose} but its identity is NOT proved: {why}"
        )?;
    }
    if let Some(fp) = &out.identity_fingerprint {
        writeln!(w, "  identity fingerprint {}", short_fingerprint(fp))?;
    }
    if let Some(fp) = &out.claimed_fingerprint {
        writeln!(
            w,
            "  claims to be {}, whose recorded fingerprint is {}; this key's identity is NOT proved",
            label.shown(),
            short_fingerprint(fp)
        )?;
    }
    Ok(())
}
