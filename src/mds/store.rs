//! The imported BLOB, stored for fast lookups: one file, `mds.index` in the data directory. Its
//! first line is a JSON header (BLOB number, nextUpdate, who signed it, and an index from AAGUID
//! to the byte range of that entry); each following line is one entry as JSON. A lookup reads
//! the header and one entry, never the whole BLOB. The file is replaced atomically (temporary
//! file in the same directory, fsync, rename), so a failed import leaves the previous one.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::payload::Entry;
use super::MdsError;

pub const FILE_NAME: &str = "mds.index";
const FORMAT: u32 = 1;

/// What is known about the imported BLOB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// The BLOB number (`no`): imports never go back to a lower one.
    pub no: u64,
    /// nextUpdate, YYYY-MM-DD: after it the BLOB is stale.
    pub next_update: String,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
    /// SHA-256 of the BLOB file as imported.
    pub blob_sha256: String,
    pub algorithm: String,
    pub signer: String,
    /// The trusted root its chain reached.
    pub anchor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_header: Option<String>,
    /// AAGUID → (offset, length) of its line, counted from the end of the header line.
    pub index: BTreeMap<String, (u64, u64)>,
}

impl Header {
    pub fn stale_on(&self, today: time::Date) -> bool {
        super::payload::parse_date(&self.next_update).is_none_or(|next| today > next)
    }
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    fn damaged(&self, message: impl Into<String>) -> MdsError {
        MdsError::Damaged {
            path: self.path(),
            message: message.into(),
        }
    }

    fn open(&self) -> Result<Option<(Header, BufReader<std::fs::File>)>, MdsError> {
        let path = self.path();
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(MdsError::Read { path, source }),
        };
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| self.damaged(e.to_string()))?;
        let header: Header =
            serde_json::from_str(&line).map_err(|e| self.damaged(format!("header: {e}")))?;
        if header.format != FORMAT {
            return Err(self.damaged(format!("unknown format {}", header.format)));
        }
        Ok(Some((header, reader)))
    }

    /// The imported BLOB's header; None when nothing was imported.
    pub fn header(&self) -> Result<Option<Header>, MdsError> {
        Ok(self.open()?.map(|(h, _)| h))
    }

    /// The header and this AAGUID's entry (None when the BLOB does not list it); None when
    /// nothing was imported.
    pub fn lookup(&self, aaguid: &str) -> Result<Option<(Header, Option<Entry>)>, MdsError> {
        let Some((header, mut reader)) = self.open()? else {
            return Ok(None);
        };
        let Some(&(offset, len)) = header.index.get(&aaguid.to_ascii_lowercase()) else {
            return Ok(Some((header, None)));
        };
        let body_start = reader
            .stream_position()
            .map_err(|e| self.damaged(e.to_string()))?;
        reader
            .seek(SeekFrom::Start(body_start.saturating_add(offset)))
            .map_err(|e| self.damaged(e.to_string()))?;
        let mut bytes = vec![0u8; usize::try_from(len).map_err(|e| self.damaged(e.to_string()))?];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| self.damaged(format!("entry {aaguid}: {e}")))?;
        let entry: Entry = serde_json::from_slice(&bytes)
            .map_err(|e| self.damaged(format!("entry {aaguid}: {e}")))?;
        Ok(Some((header, Some(entry))))
    }

    /// Replaces the store with `entries` under `header` (whose index is filled in here).
    pub fn write(&self, mut header: Header, entries: &[Entry]) -> Result<Header, MdsError> {
        let write_err = |source| MdsError::Write {
            path: self.path(),
            source,
        };
        let mut body = Vec::new();
        header.index.clear();
        for entry in entries {
            let start = body.len() as u64;
            serde_json::to_writer(&mut body, entry)
                .map_err(|e| write_err(std::io::Error::other(e)))?;
            header
                .index
                .insert(entry.aaguid.clone(), (start, body.len() as u64 - start));
            body.push(b'\n');
        }
        std::fs::create_dir_all(&self.dir).map_err(write_err)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir).map_err(write_err)?;
        let head = serde_json::to_vec(&header).map_err(|e| write_err(std::io::Error::other(e)))?;
        file.write_all(&head).map_err(write_err)?;
        file.write_all(b"\n").map_err(write_err)?;
        file.write_all(&body).map_err(write_err)?;
        file.as_file().sync_all().map_err(write_err)?;
        file.persist(self.path()).map_err(|e| write_err(e.error))?;
        sync_dir(&self.dir);
        Ok(header)
    }
}

/// Makes the rename durable; a failure here loses nothing already written, so it is ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
