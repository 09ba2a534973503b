//! The FIDO Metadata Service (MDS3), offline: a BLOB the admin downloaded is verified (jws.rs:
//! a compact JWS whose x5c chains to GlobalSign Root CA - R3 or Root R46), parsed (payload.rs),
//! and stored with an index by AAGUID (store.rs) in the user's data directory, so that a lookup
//! during `vet`, `enroll` or `audit` reads one entry, never the whole BLOB. findings.rs turns a
//! model's status reports into findings (GK082-GK086); provenance.rs says which BLOB a report
//! drew on.

pub mod findings;
pub mod jws;
pub mod payload;
pub mod provenance;
pub mod roots;
pub mod store;

use std::path::PathBuf;

/// Why a BLOB could not be imported or the store read. Every variant leaves the previously
/// imported BLOB in place.
#[derive(Debug, thiserror::Error)]
pub enum MdsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the BLOB is not a compact JWS: {0}. Download it again from the FIDO Metadata Service"
    )]
    Format(String),
    #[error("the BLOB's signature does not verify ({0}): it was altered or truncated. Download it again")]
    Signature(String),
    #[error("the BLOB's certificate chain is not trusted: {0}. Download the BLOB from the FIDO Metadata Service, or pass --trust-root for a private mirror")]
    Untrusted(String),
    #[error("the BLOB's payload is malformed: {0}")]
    Payload(String),
    #[error("BLOB no. {new} is older than the imported no. {stored}: refusing to go back to older metadata. Download the current BLOB")]
    Rollback { new: u64, stored: u64 },
    #[error("BLOB no. {no} is already imported with other content (sha256 {stored}, this file {new}): refusing to replace a BLOB by another of the same number. Download the current BLOB again; if the imported one came from a mirror in error, see `glasskey mds forget --help`")]
    SameNumber {
        no: u64,
        stored: String,
        new: String,
    },
    #[error("the BLOB's JWS header is not acceptable: {0}")]
    Header(String),
    #[error("another glasskey is changing the MDS store (it holds {path}); waited {waited} s and changed nothing. Let it finish, then rerun")]
    Busy { path: PathBuf, waited: u64 },
    #[error("cancelled while waiting for another glasskey process to finish with the MDS store {0}; nothing was written")]
    Cancelled(PathBuf),
    #[error("cannot write the MDS store {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the MDS store {path} is damaged ({message}): import the BLOB again with `glasskey mds import FILE`")]
    Damaged { path: PathBuf, message: String },
    #[error("the data directory {0} is not a directory: point GLASSKEY_DATA_DIR at a directory")]
    NotADirectory(PathBuf),
    #[error("{}", NO_DATA_DIR)]
    NoDataDir,
}

pub const NO_DATA_DIR: &str = "no data directory: set GLASSKEY_DATA_DIR, XDG_DATA_HOME or HOME";

/// Where glasskey keeps its data: $GLASSKEY_DATA_DIR, else $XDG_DATA_HOME/glasskey, else
/// ~/.local/share/glasskey.
pub fn data_dir() -> Result<PathBuf, MdsError> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("GLASSKEY_DATA_DIR") {
        return Ok(dir);
    }
    if let Some(dir) = var("XDG_DATA_HOME") {
        return Ok(dir.join("glasskey"));
    }
    var("HOME")
        .map(|home| home.join(".local/share/glasskey"))
        .ok_or(MdsError::NoDataDir)
}

/// What an import did.
#[derive(Debug, serde::Serialize)]
pub struct Imported {
    pub no: u64,
    pub next_update: String,
    pub stale: bool,
    pub models: usize,
    /// Entries without an AAGUID (U2F, UAF), not stored.
    pub skipped: usize,
    /// The BLOB number it replaced, if any.
    pub replaced: Option<u64>,
    /// The same BLOB (same number, same SHA-256) was imported before: nothing changed.
    pub already_imported: bool,
    pub signer: String,
    pub anchor: String,
    /// SHA-256 of the BLOB file.
    pub blob_sha256: String,
    pub path: PathBuf,
}

/// Verifies, parses and stores a downloaded BLOB. Nothing is written unless every check
/// passes, so a bad BLOB leaves the previous import in place.
pub fn import(
    blob: &str,
    anchors: &[crate::attestation::roots::Root],
    store: &store::Store,
    now: time::OffsetDateTime,
) -> Result<Imported, MdsError> {
    use sha2::Digest;
    let now_unix = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    let verified = jws::verify(blob, anchors, now_unix)?;
    let payload = payload::parse(&verified.payload)?;
    let blob_sha256 = hex::encode(sha2::Sha256::digest(blob.trim().as_bytes()));
    // From reading the stored number to the rename: another import cannot slip in between.
    let lock = store.lock()?;
    // A damaged store must not block the import that repairs it.
    let previous = match store.header() {
        Ok(h) => h,
        Err(MdsError::Damaged { .. }) => None,
        Err(e) => return Err(e),
    };
    let unchanged = match &previous {
        Some(p) if payload.no < p.no => {
            return Err(MdsError::Rollback {
                new: payload.no,
                stored: p.no,
            })
        }
        // One number names one BLOB: other content under it could drop a status report.
        Some(p) if payload.no == p.no && p.blob_sha256 != blob_sha256 => {
            return Err(MdsError::SameNumber {
                no: p.no,
                stored: crate::util::short_digest(&p.blob_sha256),
                new: crate::util::short_digest(&blob_sha256),
            })
        }
        Some(p) if payload.no == p.no => Some(p.clone()),
        _ => None,
    };
    let header = match unchanged {
        Some(header) => header,
        None => store.write(
            &lock,
            store::Header {
                format: 0,
                no: payload.no,
                next_update: payload.next_update.to_string(),
                imported_at: now
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                blob_sha256,
                algorithm: verified.algorithm,
                signer: verified.signer,
                anchor: verified.anchor,
                legal_header: payload.legal_header,
                index: Default::default(),
                seal: String::new(),
            },
            &payload.entries,
        )?,
    };
    let already_imported = previous.as_ref() == Some(&header);
    Ok(Imported {
        no: header.no,
        stale: header.stale_on(now.date()),
        next_update: header.next_update,
        models: payload.entries.len(),
        skipped: payload.skipped,
        replaced: previous.filter(|_| !already_imported).map(|p| p.no),
        already_imported,
        signer: header.signer,
        anchor: header.anchor,
        blob_sha256: header.blob_sha256,
        path: store.path(),
    })
}
