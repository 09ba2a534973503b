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
    #[error("cannot write the MDS store {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the MDS store {path} is damaged ({message}): import the BLOB again with `glasskey mds import FILE`")]
    Damaged { path: PathBuf, message: String },
    #[error("no data directory: set GLASSKEY_DATA_DIR, XDG_DATA_HOME or HOME")]
    NoDataDir,
}

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
    pub signer: String,
    pub anchor: String,
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
    // A damaged store must not block the import that repairs it.
    let previous = match store.header() {
        Ok(h) => h,
        Err(MdsError::Damaged { .. }) => None,
        Err(e) => return Err(e),
    };
    if let Some(p) = &previous {
        if payload.no < p.no {
            return Err(MdsError::Rollback {
                new: payload.no,
                stored: p.no,
            });
        }
    }
    let header = store::Header {
        format: 1,
        no: payload.no,
        next_update: payload.next_update.to_string(),
        imported_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        blob_sha256: hex::encode(sha2::Sha256::digest(blob.trim().as_bytes())),
        algorithm: verified.algorithm,
        signer: verified.signer,
        anchor: verified.anchor,
        legal_header: payload.legal_header,
        index: Default::default(),
    };
    let header = store.write(header, &payload.entries)?;
    Ok(Imported {
        no: header.no,
        stale: header.stale_on(now.date()),
        next_update: header.next_update,
        models: payload.entries.len(),
        skipped: payload.skipped,
        replaced: previous.map(|p| p.no),
        signer: header.signer,
        anchor: header.anchor,
        path: store.path(),
    })
}
