//! `vet`: should this new key guard a break-glass account? Genuineness by attestation,
//! firmware advisories, factory state, capabilities, and (with an inventory) the allow-list and
//! "not already enrolled". One touch, one verdict; read-only on the key apart from the throwaway
//! non-discoverable credential that attestation needs (it occupies no slot).

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;
use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use crate::attestation::roots::{self, Root};
use crate::attestation::verify::{verify, AttestationCheck};
use crate::attestation::x509::Cert;
use crate::audit::vetting::{self, Capability, InventoryView, PasskeysFound, VetEvidence};
use crate::audit::Finding;
use crate::ctap2::credential_management::UserEntity;
use crate::ctap2::make_credential::MakeCredential;
use crate::ctap2::session::TokenPurpose;
use crate::device::KeyFacts;
use crate::inventory::model::IDENTITY_RP_ID;
use crate::untrusted::{shown_or, ShowOutside};

#[derive(Debug, Serialize)]
pub struct VetReport {
    pub facts: KeyFacts,
    pub attestation: AttestationCheck,
    pub pin_set: Option<bool>,
    pub force_pin_change: Option<bool>,
    pub remaining_discoverable_credentials: Option<u64>,
    /// Passkeys found on the key; None when they could not be listed (no PIN set yet).
    pub credentials_present: Option<u64>,
    pub capabilities: Vec<Capability>,
    /// What the imported FIDO Metadata Service BLOB says about the model.
    pub mds: crate::mds::findings::MdsView,
    pub findings: Vec<Finding>,
    pub verdict: &'static str,
}

pub(crate) fn load_extra_roots(files: &[PathBuf]) -> Result<Vec<Root>, CliError> {
    files
        .iter()
        .map(|f| {
            let cannot = |e: &dyn std::fmt::Display| {
                CliError::usage(format!("cannot read {}: {e}", f.display()))
            };
            // A root is a few kilobytes of PEM: a device or a huge file is refused, not read.
            let bytes = crate::util::regular_file::read_regular_at_most(
                f,
                1024 * 1024,
                "a PEM certificate",
            )
            .map_err(|e| cannot(&e))?;
            let text = String::from_utf8(bytes).map_err(|_| cannot(&"not PEM text"))?;
            let cert = Cert::from_pem(&text)
                .map_err(|e| CliError::usage(format!("{}: {e}", f.display())))?;
            Ok(Root {
                name: format!("extra:{}", f.display()),
                cert,
            })
        })
        .collect()
}

pub fn vet(
    ctx: &mut Context,
    inventory: Option<&Path>,
    trust_roots: &[PathBuf],
) -> Result<(), CliError> {
    let inv = match inventory {
        Some(path) => Some(crate::inventory::Store::load(path)?.1),
        None => None,
    };
    let mut anchors = roots::bundled();
    anchors.extend(load_extra_roots(trust_roots)?);
    let mut key = ctx.open_key()?;
    let mut facts = key.facts()?;
    let now = ctx.now()?;
    let (mds, mds_entry) = super::mds_cmd::lookup(&facts.aaguid, now.date())?;
    if let Some(entry) = &mds_entry {
        // The MDS's roots for this model vouch for this AAGUID only: this vet's key.
        anchors.extend(super::mds_cmd::entry_roots(entry));
    }
    facts.name_from_mds(mds_entry.as_ref().and_then(|e| e.description()));
    let info = key.session.info()?.clone();
    let pin_set = info.pin_set();
    let label = Some(facts.device.as_str());

    // Identity before PIN: with an inventory, a key claiming an inventoried identity must
    // prove it before any PIN is sent; without one, say that nothing is checked.
    let enrolled_as = match &inv {
        Some(inv) => super::identity_gate::with_inventory(
            &mut key,
            inv,
            super::identity_gate::SerialTwin::Refuse,
        )?,
        None if pin_set == Some(true) => {
            super::identity_gate::without_inventory(&mut key);
            None
        }
        None => None,
    };

    // Ask for the PIN once, and only if the key has one.
    let pin = if pin_set == Some(true) {
        Some(ctx.key_pin(&mut key, None)?)
    } else {
        None
    };

    // Attestation: a throwaway non-discoverable credential over a fresh random challenge.
    let needs_token = pin_set == Some(true) && info.option("makeCredUvNotRqd") != Some(true);
    let token = match (&pin, needs_token) {
        (Some((p, target)), true) => Some(
            key.session
                .pin_token(
                    p,
                    TokenPurpose::MakeCredential,
                    Some(IDENTITY_RP_ID),
                    ctx.global.force,
                )
                .map_err(|e| target.name_in(e))?,
        ),
        _ => None,
    };
    let mut challenge = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut challenge);
    let user = UserEntity {
        id: vec![0x76; 16],
        name: Some("glasskey vet".into()),
        display_name: None,
    };
    let attestation = key.session.make_credential(
        MakeCredential::new(challenge, IDENTITY_RP_ID, user),
        token.as_ref(),
    )?;
    let check = verify(
        &attestation,
        &challenge,
        &anchors,
        u64::try_from(now.unix_timestamp()).unwrap_or(0),
    );

    // Factory state: a new key holds no passkeys (listed only with a PIN and credMgmt).
    let mut passkeys = None;
    if let Some((p, target)) = &pin {
        if info.cred_mgmt().is_some() {
            let token = key
                .session
                .pin_token(p, TokenPurpose::ReadCredentials, None, ctx.global.force)
                .map_err(|e| target.name_in(e))?;
            let (metadata, rps) = key.session.relying_parties(&token)?;
            let count = metadata.existing;
            let sites = rps.into_iter().map(|rp| rp.id).collect();
            passkeys = Some(PasskeysFound { count, sites });
        }
    }

    let mut findings = vetting::evaluate(&VetEvidence {
        label,
        facts: &facts,
        info: &info,
        attestation: &check,
        passkeys: passkeys.as_ref(),
        inventory: inv.as_ref().map(|inv| InventoryView {
            policy: &inv.policy,
            enrolled_as: enrolled_as.as_deref(),
        }),
    });
    findings.extend(crate::mds::findings::findings(
        &mds,
        &facts.aaguid,
        label,
        None,
    ));
    let capabilities = vetting::capabilities(&info);
    let credentials_present = passkeys.map(|p| p.count);

    let report = VetReport {
        verdict: if findings.is_empty() {
            "pass"
        } else {
            "findings"
        },
        facts,
        attestation: check,
        pin_set,
        force_pin_change: info.force_pin_change,
        remaining_discoverable_credentials: info.remaining_discoverable_credentials,
        credentials_present,
        capabilities,
        mds,
        findings,
    };
    ctx.emit(&report, |w| write_report(w, &report))?;
    if report.verdict == "pass" {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

fn write_report(w: &mut dyn Write, r: &VetReport) -> std::io::Result<()> {
    super::keys::write_facts(w, &r.facts)?;
    let a = &r.attestation;
    let genuine = if a.genuine() {
        format!("genuine (chains to {})", shown_or(a.anchor.as_deref(), "?"))
    } else {
        "NOT established".into()
    };
    writeln!(w, "  attestation   {} {}: {genuine}", a.format, a.kind)?;
    if let Some(s) = &a.leaf_subject {
        writeln!(w, "  certificate   {}", s.shown())?;
    }
    writeln!(
        w,
        "  MDS           {}",
        crate::report::entra::shown(&r.mds.summary())
    )?;
    match r.credentials_present {
        Some(n) => writeln!(w, "  passkeys      {n} on the key")?,
        None => writeln!(w, "  passkeys      not listed (no PIN set yet)")?,
    }
    for c in &r.capabilities {
        writeln!(
            w,
            "  {:<13} {}",
            if c.present { "has" } else { "LACKS" },
            c.name
        )?;
    }
    if !r.findings.is_empty() {
        writeln!(w, "Findings:")?;
        crate::report::findings::write_findings(w, &r.findings)?;
    }
    writeln!(w, "verdict: {}", r.verdict)
}
