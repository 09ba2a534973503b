//! `audit`: observe every plugged key, record the observations, apply the policy to the whole
//! inventory, append a chained check entry, and report. Read-only on the keys; the inventory is
//! written once, at the end, and only if every key could be read.

use std::collections::BTreeMap;
use std::path::Path;

use super::args::ReportFormat;
use super::context::Context;
use super::error::CliError;
use super::inventory_cmd::rfc3339;
use super::pin_input::{PinRun, PinTarget};
use super::software_keys;
use crate::audit::observe::{observe, read_passkeys, KeyCheck};
use crate::audit::{integrity, rules, Finding};
use crate::device::{discover, DeviceError, DeviceSpec, Key};
use crate::inventory::model::{EntraExportRecord, MdsRecord};
use crate::inventory::{history, lock, roster, Inventory, Store};
use crate::report::audit::{write_text, AuditReport, KeyResult};
use std::time::Duration;

pub fn audit(ctx: &mut Context, inventory: &Path) -> Result<(), CliError> {
    audit_with_report(ctx, inventory, None, None, lock::DEFAULT_WAIT, None)
}

/// The audit, optionally also rendered as HTML or Markdown through the report renderers.
pub fn audit_with_report(
    ctx: &mut Context,
    inventory: &Path,
    format: Option<ReportFormat>,
    output: Option<&Path>,
    lock_wait: Duration,
    entra: Option<&Path>,
) -> Result<(), CliError> {
    super::output_file::refuse_own_files(output, inventory, &[])?;
    let (mut store, mut inv) = Store::load_for_update(inventory, ctx.lock_wait(lock_wait))?;
    let now = ctx.now()?;
    let date = rfc3339(now);
    // A bad export is refused before any key is touched, and nothing is written.
    let export = entra.map(crate::entra::load).transpose()?;
    if let Some(e) = &export {
        crate::entra::reconcile(&inv, e, now)?;
    }
    // The file as it was read is what the roster and dates are checked against.
    let integrity = integrity::evaluate(&inv, now);
    let baseline = roster::Baseline::of(&inv);
    let specs: Vec<DeviceSpec> = match &ctx.global.device {
        Some(d) => vec![DeviceSpec::parse(d)],
        None => discover()?.into_iter().map(|(s, _)| s).collect(),
    };
    if specs.is_empty() {
        return Err(CliError::from(DeviceError::NoKey));
    }
    // Every key is admitted before any is opened: a refused software key gets nothing.
    for spec in &specs {
        software_keys::admit(&inv, inventory, spec)?;
    }
    // First every key proves its identity (no PIN); then only proven keys get a PIN.
    let force = ctx.global.force;
    let mut observed = Vec::new();
    for spec in &specs {
        let mut key = Key::open(spec, &ctx.open_options())?;
        software_keys::admit(&inv, inventory, &key.spec)?;
        software_keys::admit_aaguid(&inv, inventory, &key.facts()?.aaguid)?;
        let transport = software_keys::transport_of(&key.spec).unwrap_or_default();
        let check = observe::<CliError>(&mut key, &inv, &date, force)?;
        observed.push((key, check, transport));
    }
    refuse_identity_twice(&inv, &mut observed);
    // Each PIN is bound to its key: by label or serial on stdin, by name at the prompt. A key
    // that only claimed a label answers to it too, so a line prepared for the genuine key is
    // no error; it needs no PIN, so none goes to it.
    let targets: Vec<PinTarget> = observed
        .iter()
        .map(|(_, check, _)| {
            let name = check.label.as_deref().or(check.claimed.as_deref());
            PinTarget {
                needs_pin: check.wants_pin,
                ..PinTarget::from_facts(&check.facts, name)
            }
        })
        .collect();
    // The inventory's other keys: a PIN file may hold their lines (one key checked at a time),
    // and a serial one of them shares with a key here names neither for sure.
    let absent: Vec<PinTarget> = inv
        .keys
        .iter()
        .filter(|k| {
            !targets
                .iter()
                .any(|t| t.label.as_deref() == Some(k.label.as_str()))
        })
        .map(PinTarget::inventoried_absent)
        .collect();
    let run = PinRun::new(&targets).with_absent(&absent);
    let mut checks = Vec::new();
    for ((mut key, mut check, transport), target) in observed.into_iter().zip(&targets) {
        if check.wants_pin {
            let retries = check.observation.as_ref().and_then(|o| o.pin_retries);
            let pin = ctx.pin_for(target, &run, retries)?;
            read_passkeys(&mut key.session, &inv, &mut check, &pin, force)
                .map_err(|e| target.name_in(e))?;
        }
        checks.push((check, transport));
    }

    let mut findings = Vec::new();
    let mut results = Vec::new();
    let mut mds = super::mds_cmd::Lookups::new(now.date());
    for (check, transport) in checks {
        findings.extend(check.findings.clone());
        let entry = check.label.as_deref().and_then(|l| inv.key_mut(l));
        let (account, fingerprint) = match &entry {
            Some(e) => (
                Some(e.account.clone()),
                Some(e.identity.fingerprint.clone()),
            ),
            None => (None, None),
        };
        // Software if the key is now, or was when enrolled, or says so by its AAGUID.
        let software_key = transport.is_software()
            || entry.as_ref().is_some_and(|e| e.is_software())
            || crate::models::is_glasskey_virtual(&check.facts.aaguid);
        if let Some(r) = entry.as_ref().and_then(|e| e.retired.as_ref()) {
            findings.push(Finding::new(
                &rules::RETIRED_KEY_PRESENTED,
                check.label.as_deref(),
                account.as_deref(),
                format!(
                    "retired on {} ({}: {}); its record was not updated",
                    r.date,
                    r.reason.name(),
                    r.note
                ),
            ));
        } else if let (Some(e), Some(obs), Some(proven)) =
            (entry, &check.observation, &check.proven)
        {
            // Only a key that proved its identity in this run is recorded, and moves the counter.
            e.identity.sign_count = proven.sign_count;
            e.last_observation = Some(obs.clone());
        }
        let obs = check.observation.as_ref();
        let (model, model_source) = crate::models::name_and_source(
            &check.facts.aaguid,
            mds.view(&check.facts.aaguid)?.description.as_deref(),
        );
        results.push(KeyResult {
            device: check.device.clone(),
            label: check.label.clone(),
            proved_twice: check.claimed.clone().filter(|_| check.proved_twice),
            claimed_label: check.claimed.clone().filter(|_| check.claimed_by.is_some()),
            claimed_by: check.claimed_by,
            proof_failure: check.proof_failure.clone(),
            account,
            identity_verified: obs.is_some_and(|o| o.identity_verified),
            identity_fingerprint: fingerprint,
            pin_set: obs.map(|o| o.pin_set),
            pin_retries: obs.and_then(|o| o.pin_retries),
            passkeys: obs
                .and_then(|o| o.passkeys.as_ref())
                .map(|p| p.iter().map(|k| k.user_name.clone()).collect()),
            other_rp_ids: obs.map(|o| o.other_rp_ids.clone()).unwrap_or_default(),
            model,
            model_source,
            firmware: check.facts.firmware.clone(),
            note: check.note.clone(),
            transport,
            software_key,
        });
    }
    findings.extend(rules::evaluate(&inv, now));
    findings.extend(integrity);
    findings.extend(mds_findings(&inv, &mut mds)?);
    let mds_provenance = super::mds_cmd::provenance(now.date())?;
    // The account side, against the observations just recorded.
    let entra = export
        .as_ref()
        .map(|e| crate::entra::reconcile(&inv, e, now))
        .transpose()?;
    if let Some(r) = &entra {
        findings.extend(r.findings.iter().cloned());
    }
    findings.sort_by(|a, b| (&a.key, a.rule, &a.message).cmp(&(&b.key, b.rule, &b.message)));
    findings.dedup();

    let result = if findings.is_empty() {
        "pass"
    } else {
        "findings"
    };
    let labels: Vec<String> = results
        .iter()
        .map(|r| {
            r.label
                .clone()
                .unwrap_or_else(|| match (&r.proved_twice, &r.claimed_label) {
                    (Some(label), _) => format!("{label} proved twice, at {}", r.device),
                    (None, Some(label)) => format!("{label} claimed, not proved, at {}", r.device),
                    (None, None) => format!("unknown key at {}", r.device),
                })
        })
        .collect();
    let entry = history::append(
        &inv.checks,
        history::Draft {
            date: date.clone(),
            keys: labels,
            result: result.into(),
            findings: findings.iter().map(|f| f.summary()).collect(),
            event: None,
            roster: Some(baseline.record_keeping(&inv)),
            entra: entra.as_ref().map(|r| EntraExportRecord {
                sha256: r.export.sha256.clone(),
                date: r.export.date.clone(),
            }),
            mds: Some(MdsRecord {
                consulted: mds_provenance.consulted,
                no: mds_provenance.blob_no,
                sha256: mds_provenance.blob_sha256.clone(),
                stale: mds_provenance.stale,
            }),
        },
    );
    let (check_seq, check_hash) = (entry.seq, entry.hash.clone());
    inv.checks.push(entry);
    store.save(&inv)?;

    let report = AuditReport {
        inventory: inventory.display().to_string(),
        tenant: inv.tenant.clone(),
        date,
        keys_checked: results,
        findings,
        result: result.into(),
        check_seq,
        check_hash,
        entra_export: entra.map(|r| r.export),
        mds: mds_provenance,
    };
    match format {
        None => ctx.emit(&report, |w| write_text(w, &report))?,
        Some(f) => {
            let rendered = match f {
                ReportFormat::Html => crate::report::html::audit(&report),
                ReportFormat::Md => crate::report::markdown::audit(&report),
            };
            super::sheet_cmd::deliver(ctx, &rendered, output)?;
        }
    }
    if report.result == "pass" {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

/// The FIDO MDS's word on every inventoried key's model (GK082-GK086). Without an imported
/// BLOB there are none; the report says that no MDS was consulted.
fn mds_findings(
    inv: &crate::inventory::Inventory,
    mds: &mut super::mds_cmd::Lookups,
) -> Result<Vec<crate::audit::Finding>, CliError> {
    let mut out = Vec::new();
    for key in inv.keys.iter().filter(|k| k.retired.is_none()) {
        out.extend(crate::mds::findings::findings(
            mds.view(&key.aaguid)?,
            &key.aaguid,
            Some(&key.label),
            Some(&key.account),
        ));
    }
    Ok(out)
}

/// Two devices that proved one identity in one run: one holds a copy of the identity
/// credential. Neither is trusted: no PIN, nothing recorded, and GK068 on each.
fn refuse_identity_twice<K, T>(inv: &Inventory, observed: &mut [(K, KeyCheck, T)]) {
    let mut proved: BTreeMap<String, usize> = BTreeMap::new();
    for (_, check, _) in observed.iter() {
        if let (Some(label), Some(_)) = (&check.label, &check.proven) {
            *proved.entry(label.clone()).or_default() += 1;
        }
    }
    for (_, check, _) in observed.iter_mut() {
        let Some(label) = check.label.clone() else {
            continue;
        };
        let n = proved.get(&label).copied().unwrap_or(0);
        if n < 2 {
            continue;
        }
        check.wants_pin = false;
        check.proved_twice = true;
        check.proven = None;
        check.observation = None;
        check.claimed = Some(label.clone());
        check.label = None;
        check.findings.push(Finding::new(
            &rules::IDENTITY_TWICE,
            Some(&label),
            inv.key(&label).map(|k| k.account.as_str()),
            format!(
                "{} and {} other device(s) in this run proved {label}'s identity: one is a copy; no PIN was sent to any of them and nothing was recorded",
                check.device,
                n - 1
            ),
        ));
    }
}
