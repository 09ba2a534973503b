//! `sheet`: printable per-key pages and summary tables, from the inventory alone.

use std::path::Path;

use super::args::{PaperSize, SheetFormat};
use super::context::{io_error, Context};
use super::error::CliError;
use super::inventory_cmd::rfc3339;
use crate::inventory::store::Store;
use crate::report::html::Paper;
use crate::report::{csv, html, markdown, sheet};

/// Writes rendered output to a file, or to stdout.
pub fn deliver(ctx: &mut Context, rendered: &str, output: Option<&Path>) -> Result<(), CliError> {
    match output {
        Some(path) => super::output_file::write_atomically(path, rendered.as_bytes()),
        None => ctx.out().write_all(rendered.as_bytes()).map_err(io_error),
    }
}

pub fn sheet(
    ctx: &mut Context,
    inventory: &Path,
    key: Option<&str>,
    format: SheetFormat,
    paper: PaperSize,
    output: Option<&Path>,
    entra: Option<&Path>,
) -> Result<(), CliError> {
    super::output_file::refuse_own_files(output, inventory, &[])?;
    let (store, inv) = Store::load(inventory)?;
    let now = ctx.now()?;
    let entra = entra
        .map(|path| super::entra_cmd::reconcile_file(&inv, path, now))
        .transpose()?;
    // The digest of the very bytes the sheets are made from.
    let digest = store.digest_hex();
    if let Some(label) = key {
        if inv.key(label).is_none() {
            return Err(CliError::usage(format!(
                "no key labelled {label} in {}: see `glasskey inventory show`",
                inventory.display()
            )));
        }
    }
    let name = inventory.file_name().map_or_else(
        || inventory.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut report = sheet::build(&inv, &name, &digest, &rfc3339(now), key);
    if let Some(r) = &entra {
        sheet::attach_entra(&mut report, r);
    }
    let format = if ctx.global.json {
        SheetFormat::Json
    } else {
        format
    };
    let rendered = match format {
        SheetFormat::Html => html::sheets(
            &report,
            if paper == PaperSize::Letter {
                Paper::Letter
            } else {
                Paper::A4
            },
        ),
        SheetFormat::Md => markdown::sheets(&report),
        SheetFormat::Csv => csv::sheets(&report),
        SheetFormat::Json => {
            crate::untrusted::json_pretty(&report).map_err(|e| CliError::usage(e.to_string()))?
        }
    };
    deliver(ctx, &rendered, output)?;
    if let Some(path) = output {
        eprintln!(
            "Wrote {} ({} key(s), inventory SHA-256 {}).",
            crate::untrusted::shown_path(path),
            report.keys.len(),
            &digest[..16]
        );
    }
    Ok(())
}
