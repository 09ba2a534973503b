//! `glasskey mds import|show|status`: the FIDO Metadata Service BLOB, offline.

use std::io::Write;

use serde::Serialize;

use super::context::Context;
use super::error::CliError;
use super::mds_args::MdsCommand;
use crate::mds::findings::MdsView;
use crate::mds::store::Store;
use crate::mds::MdsError;

impl From<MdsError> for CliError {
    fn from(e: MdsError) -> Self {
        match e {
            MdsError::Write { .. } | MdsError::Busy { .. } => Self {
                code: super::error::EXIT_WRITE,
                message: e.to_string(),
            },
            // Ctrl-C, as everywhere else (README, "Exit codes").
            MdsError::Cancelled(_) => CliError::device(e.to_string()),
            other => CliError::usage(other.to_string()),
        }
    }
}

/// The store `mds` commands and lookups use.
pub fn store() -> Result<Store, CliError> {
    Ok(Store::new(crate::mds::data_dir()?))
}

pub fn run(ctx: &mut Context, command: &MdsCommand) -> Result<(), CliError> {
    match command {
        MdsCommand::Import {
            file, trust_roots, ..
        } => import(ctx, file, trust_roots),
        MdsCommand::Show { aaguid, .. } => show(ctx, aaguid),
        MdsCommand::Status { .. } => status(ctx),
        MdsCommand::Forget { blob_no, .. } => forget(ctx, *blob_no),
    }
}

/// The largest BLOB file read: the real one is about 10 MB.
const MAX_BLOB: u64 = 64 * 1024 * 1024;

fn import(
    ctx: &mut Context,
    file: &std::path::Path,
    trust_roots: &[std::path::PathBuf],
) -> Result<(), CliError> {
    let cannot =
        |e: &dyn std::fmt::Display| CliError::usage(format!("cannot read {}: {e}", file.display()));
    let bytes = crate::util::regular_file::read_regular_at_most(file, MAX_BLOB, "an MDS BLOB")
        .map_err(|e| cannot(&e))?;
    let blob = String::from_utf8(bytes).map_err(|_| cannot(&"not text, so not an MDS BLOB"))?;
    let mut anchors = crate::mds::roots::bundled();
    anchors.extend(super::vet::load_extra_roots(trust_roots)?);
    let now = ctx.now()?;
    let store = store()?.cancelled_by(std::sync::Arc::clone(&ctx.cancel));
    let imported = crate::mds::import(&blob, &anchors, &store, now)?;
    if imported.stale {
        eprintln!(
            "glasskey: warning: BLOB no. {} was due for replacement on {}: vet, enroll and audit will report it as stale (GK085) until a current BLOB is imported",
            imported.no, imported.next_update
        );
    }
    ctx.emit(&imported, |w| {
        if imported.already_imported {
            return writeln!(
                w,
                "MDS BLOB no. {} is already imported (sha256 {}): nothing changed.",
                imported.no,
                crate::util::short_digest(&imported.blob_sha256)
            );
        }
        writeln!(
            w,
            "Imported MDS BLOB no. {} ({} models; next update {}), signed by {} under {}.",
            imported.no, imported.models, imported.next_update, imported.signer, imported.anchor
        )?;
        if let Some(old) = imported.replaced {
            writeln!(w, "It replaces BLOB no. {old}.")?;
        }
        writeln!(w, "Stored in {}.", imported.path.display())
    })
}

#[derive(Serialize)]
struct ShowOutput {
    blob_no: u64,
    stale: bool,
    entry: crate::mds::payload::Entry,
}

fn show(ctx: &mut Context, given: &str) -> Result<(), CliError> {
    // With or without dashes or braces, in either case: the store keys the dashed lower case.
    let trimmed = given.trim();
    let bare = trimmed
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(trimmed);
    let Some(aaguid) = crate::util::parse_uuid(bare).map(|b| crate::util::format_uuid(&b)) else {
        return Err(CliError::usage(format!(
            "{given:?} is not an AAGUID: give it as glasskey info prints it, e.g. 2fc0579f-8113-47ea-b116-bb5a8db9202a"
        )));
    };
    let Some((header, entry)) = store()?.lookup(&aaguid)? else {
        return Err(CliError::usage(
            "no MDS BLOB imported: download it and run `glasskey mds import FILE`",
        ));
    };
    let Some(entry) = entry else {
        return Err(CliError::usage(format!(
            "AAGUID {aaguid} is not in the imported MDS BLOB no. {}",
            header.no
        )));
    };
    let out = ShowOutput {
        blob_no: header.no,
        stale: header.stale_on(ctx.now()?.date()),
        entry,
    };
    ctx.emit(&out, |w| write_entry(w, &out))
}

fn write_entry(w: &mut dyn Write, out: &ShowOutput) -> std::io::Result<()> {
    let e = &out.entry;
    let text = crate::report::entra::shown;
    writeln!(w, "{}", text(e.description().unwrap_or("(no description)")))?;
    writeln!(w, "  AAGUID         {}", e.aaguid)?;
    writeln!(
        w,
        "  certification  {}",
        e.certification_level().unwrap_or("none reported")
    )?;
    writeln!(
        w,
        "  from BLOB      no. {}{}",
        out.blob_no,
        if out.stale { " (STALE)" } else { "" }
    )?;
    writeln!(w, "  status reports")?;
    for r in &e.status_reports {
        writeln!(
            w,
            "    {:<12} {}{}",
            r.effective_date.as_deref().unwrap_or("(no date)"),
            text(&r.status),
            r.url
                .as_deref()
                .map(|u| format!("  {}", text(u)))
                .unwrap_or_default()
        )?;
    }
    writeln!(w, "  attestation roots")?;
    for root in e.attestation_roots() {
        let described = base64_der(root)
            .and_then(|der| crate::attestation::x509::Cert::from_der(&der).ok())
            .map(|c| format!("{} (sha256 {})", c.subject(), &c.sha256_hex()[..16]))
            .unwrap_or_else(|| "(unreadable certificate)".into());
        writeln!(w, "    {}", text(&described))?;
    }
    if let Some(info) = e.authenticator_get_info() {
        match e.get_info_aaguid_mismatch() {
            Some(other) => writeln!(
                w,
                "  authenticatorGetInfo (as published; its aaguid {} is not this model's)",
                text(&other)
            )?,
            None => writeln!(w, "  authenticatorGetInfo (as published)")?,
        }
        let pretty = serde_json::to_string_pretty(info).unwrap_or_default();
        for line in pretty.lines() {
            writeln!(w, "    {}", text(line))?;
        }
    }
    Ok(())
}

pub fn base64_der(b64: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

fn forget(ctx: &mut Context, blob_no: u64) -> Result<(), CliError> {
    let store = store()?.cancelled_by(std::sync::Arc::clone(&ctx.cancel));
    let lock = store.lock()?;
    let Some(header) = store.header()? else {
        return Err(CliError::usage(format!(
            "no MDS BLOB imported ({}): nothing to forget",
            store.path().display()
        )));
    };
    if header.no != blob_no {
        return Err(CliError::usage(format!(
            "the imported BLOB is no. {}, not no. {blob_no}: nothing forgotten. Name the imported number to forget it",
            header.no
        )));
    }
    store.remove(&lock)?;
    #[derive(Serialize)]
    struct Forgot {
        forgot: u64,
        blob_sha256: String,
        path: std::path::PathBuf,
    }
    let out = Forgot {
        forgot: header.no,
        blob_sha256: header.blob_sha256,
        path: store.path(),
    };
    ctx.emit(&out, |w| {
        writeln!(
            w,
            "Forgot MDS BLOB no. {} (sha256 {}): vet, enroll and audit consult no MDS until the next `glasskey mds import`, which may be any number.",
            out.forgot,
            crate::util::short_digest(&out.blob_sha256)
        )
    })
}

fn status(ctx: &mut Context) -> Result<(), CliError> {
    let store = store()?;
    // The one command that reads every entry: it says whether the whole store is intact.
    let header = store.verified_header()?;
    let today = ctx.now()?.date();
    #[derive(Serialize)]
    struct Status {
        imported: bool,
        path: std::path::PathBuf,
        #[serde(flatten)]
        header: Option<crate::mds::store::Header>,
        stale: Option<bool>,
    }
    let out = Status {
        imported: header.is_some(),
        path: store.path(),
        stale: header.as_ref().map(|h| h.stale_on(today)),
        header: header.map(|mut h| {
            h.index.clear();
            h.seal.clear();
            h
        }),
    };
    ctx.emit(&out, |w| match &out.header {
        None => writeln!(
            w,
            "No MDS BLOB imported ({}): run `glasskey mds import FILE`.",
            out.path.display()
        ),
        Some(h) => writeln!(
            w,
            "MDS BLOB no. {}, next update {}{}, imported {}, signed by {} under {}.",
            h.no,
            h.next_update,
            if out.stale == Some(true) {
                " (STALE)"
            } else {
                ""
            },
            h.imported_at,
            h.signer,
            h.anchor
        ),
    })
}

/// What the imported MDS says about `aaguid` for vet, enroll and audit: "not consulted" when
/// nothing was imported (or no data directory exists), an error when the store is damaged.
pub fn lookup(
    aaguid: &str,
    today: time::Date,
) -> Result<(MdsView, Option<crate::mds::payload::Entry>), CliError> {
    let dir = match crate::mds::data_dir() {
        Ok(dir) => dir,
        Err(_) => {
            let none = crate::mds::provenance::Provenance::no_data_dir();
            return Ok((MdsView::without(none), None));
        }
    };
    Ok(crate::mds::findings::consult(
        &Store::new(dir),
        aaguid,
        today,
    )?)
}

/// Which BLOB lookups made today consult, or that none was imported.
pub fn provenance(today: time::Date) -> Result<crate::mds::provenance::Provenance, CliError> {
    use crate::mds::provenance::Provenance;
    let Ok(dir) = crate::mds::data_dir() else {
        return Ok(Provenance::no_data_dir());
    };
    Ok(Store::new(dir)
        .header()?
        .map_or_else(Provenance::none, |h| Provenance::of(&h, today)))
}

/// The MDS's word on several keys' models in one run (`audit`): one lookup per AAGUID.
pub struct Lookups {
    today: time::Date,
    views: std::collections::BTreeMap<String, MdsView>,
}

impl Lookups {
    pub fn new(today: time::Date) -> Self {
        Self {
            today,
            views: Default::default(),
        }
    }

    pub fn view(&mut self, aaguid: &str) -> Result<&MdsView, CliError> {
        use std::collections::btree_map::Entry;
        match self.views.entry(aaguid.to_ascii_lowercase()) {
            Entry::Occupied(known) => Ok(known.into_mut()),
            Entry::Vacant(new) => Ok(new.insert(lookup(aaguid, self.today)?.0)),
        }
    }
}

/// The attestation roots the MDS publishes for this model, trusted for its AAGUID only.
pub fn entry_roots(entry: &crate::mds::payload::Entry) -> Vec<crate::attestation::roots::Root> {
    let model = entry.description().unwrap_or(&entry.aaguid).to_owned();
    entry
        .attestation_roots()
        .into_iter()
        .filter_map(base64_der)
        .filter_map(|der| crate::attestation::x509::Cert::from_der(&der).ok())
        .map(|cert| crate::attestation::roots::Root {
            name: format!("mds:{model}"),
            cert,
        })
        .collect()
}
