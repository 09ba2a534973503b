//! `enroll`: binding a key to the inventory (`identify_cmd` recognises it later).

use serde::Serialize;

use super::args::EnrollArgs;
use super::context::Context;
use super::error::CliError;
use super::inventory_cmd::rfc3339;
use super::software_keys;
use crate::ctap2::session::TokenPurpose;
use crate::identity;
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
    let (mut store, mut inv) = Store::load_for_update(&a.inventory, ctx.lock_wait(a.lock.wait()))?;
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
    // Proved once before anything is written: a key that returns another credential than the
    // ES256 one asked for, or cannot sign with it, is refused.
    let identity = identity::create(&mut key.session, token.as_ref()).map_err(|e| {
        let mut e = CliError::from(e);
        e.message.push_str("; not enrolled, nothing was written");
        e
    })?;
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
