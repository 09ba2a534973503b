//! `glasskey entra …`: print the export script, check an export against the inventory, and
//! make Entra-shaped exports from virtual keys.

use std::path::{Path, PathBuf};

use super::context::Context;
use super::entra_args::{EntraCommand, ScriptShell};
use super::error::CliError;
use crate::entra::synth::{SynthAccount, SynthPasskey};
use crate::entra::{self, EntraError, Reconciliation};
use crate::inventory::model::Inventory;
use crate::inventory::store::Store;
use crate::virtual_key::Authenticator;

impl From<EntraError> for CliError {
    fn from(e: EntraError) -> Self {
        CliError::usage(e.to_string())
    }
}

pub fn run(ctx: &mut Context, command: &EntraCommand) -> Result<(), CliError> {
    match command {
        EntraCommand::Script {
            inventory,
            shell,
            output,
        } => script(ctx, inventory, *shell, output.as_deref()),
        EntraCommand::Check {
            inventory, export, ..
        } => check(ctx, inventory, export),
        EntraCommand::ExportVirtual {
            inventory,
            keys,
            output,
        } => export_virtual(ctx, inventory, keys, output),
    }
}

/// Loads the export and reconciles it with the inventory: the one path every command that
/// takes an export goes through.
pub fn reconcile_file(
    inv: &Inventory,
    export: &Path,
    now: time::OffsetDateTime,
) -> Result<Reconciliation, CliError> {
    let export = entra::load(export)?;
    Ok(entra::reconcile(inv, &export, now)?)
}

pub fn check(ctx: &mut Context, inventory: &Path, export: &Path) -> Result<(), CliError> {
    let (_, inv) = Store::load(inventory)?;
    let now = ctx.now()?;
    let r = reconcile_file(&inv, export, now)?;
    ctx.emit(&r, |w| crate::report::entra::write_text(w, &r))?;
    if r.findings.is_empty() {
        Ok(())
    } else {
        Err(CliError::findings())
    }
}

fn script(
    ctx: &mut Context,
    inventory: &Path,
    shell: ScriptShell,
    output: Option<&Path>,
) -> Result<(), CliError> {
    super::output_file::refuse_own_files(output, inventory, &[])?;
    let (_, inv) = Store::load(inventory)?;
    let upns: Vec<&str> = inv.accounts.iter().map(|a| a.upn.as_str()).collect();
    let text = match shell {
        ScriptShell::Pwsh => entra::script::powershell(&inv.tenant, &upns),
        ScriptShell::Bash => entra::script::bash(&inv.tenant, &upns),
    }
    .map_err(|e| CliError::usage(format!("{e}: fix the inventory first")))?;
    super::sheet_cmd::deliver(ctx, &text, output)
}

fn export_virtual(
    ctx: &mut Context,
    inventory: &Path,
    keys: &[PathBuf],
    output: &Path,
) -> Result<(), CliError> {
    super::output_file::refuse_own_files(Some(output), inventory, keys)?;
    let (_, inv) = Store::load(inventory)?;
    let now = ctx.now()?;
    let value = virtual_export(&inv, keys, now)?;
    write_export(&value, output)?;
    let n = value["accounts"].as_array().map_or(0, |a| {
        a.iter()
            .map(|a| a["fido2Methods"]["value"].as_array().map_or(0, Vec::len))
            .sum()
    });
    eprintln!(
        "Wrote {} ({} account(s), {n} passkey(s) as Entra would list them).",
        output.display(),
        inv.accounts.len()
    );
    Ok(())
}

/// The export Entra would give for the inventory's accounts if the passkeys on these virtual
/// keys had been registered with them (and nothing else).
pub fn virtual_export(
    inv: &Inventory,
    keys: &[PathBuf],
    now: time::OffsetDateTime,
) -> Result<serde_json::Value, CliError> {
    let mut accounts: Vec<SynthAccount> = inv
        .accounts
        .iter()
        .map(|a| SynthAccount {
            upn: a.upn.clone(),
            passkeys: Vec::new(),
        })
        .collect();
    for path in keys {
        let key = Authenticator::open(path).map_err(|e| {
            CliError::usage(format!("cannot open virtual key {}: {e}", path.display()))
        })?;
        let profile = key.profile();
        for c in &key.state().credentials {
            let Some(user) = c.user_name.as_deref() else {
                continue;
            };
            if c.rp_id != inv.passkey_rp_id {
                continue;
            }
            let Some(account) = accounts
                .iter_mut()
                .find(|a| a.upn.eq_ignore_ascii_case(user))
            else {
                continue;
            };
            let created = i64::try_from(c.created)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .unwrap_or(now);
            account.passkeys.push(SynthPasskey {
                credential_id: c.credential_id.clone(),
                aaguid: profile.aaguid.to_owned(),
                model: Some(profile.description.to_owned()),
                display_name: path.file_stem().map_or_else(
                    || "virtual key".into(),
                    |s| s.to_string_lossy().into_owned(),
                ),
                created: created.min(now),
            });
        }
    }
    Ok(entra::synth::export(&inv.tenant, now, &accounts))
}

pub fn write_export(value: &serde_json::Value, output: &Path) -> Result<(), CliError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::usage(e.to_string()))? + "\n";
    super::output_file::write_atomically(output, text.as_bytes())
}
