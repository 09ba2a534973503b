//! The imported BLOB, stored for fast lookups: one file, `mds.index` in the data directory. Its
//! first line is a JSON header (BLOB number, nextUpdate, who signed it, and an index from AAGUID
//! to the byte range and SHA-256 of that entry); each following line is one entry as JSON. A
//! lookup reads the header and one entry, never the whole BLOB.
//!
//! The header carries a seal: the SHA-256 of the header itself (with the seal left empty), which
//! covers the BLOB's SHA-256 and every entry's digest. A lookup checks the seal and the one entry
//! it reads, so an edit anywhere (a status changed by hand, a number raised) is reported as
//! damage rather than believed. The seal has no secret: it catches edits and corruption, not
//! someone who recomputes it (who could as well replace glasskey).
//!
//! Writers (import, forget) hold `.mds.index.lock` beside it from reading the stored number to
//! the rename, so two imports cannot undo each other; the file is replaced atomically
//! (files::atomic), so readers see the old store or the new one.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::payload::Entry;
use super::MdsError;

pub const FILE_NAME: &str = "mds.index";
/// 2: entries' digests and the header's seal.
const FORMAT: u32 = 2;
/// The header holds one index line per model (about 100 bytes; the real BLOB lists ~500).
const MAX_HEADER: u64 = 8 * 1024 * 1024;
/// One entry without its icon is a few kilobytes.
const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// How long an import waits for another one to finish.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Where an entry is and what it hashes to: (offset from the end of the header line, length,
/// SHA-256 hex).
pub type Slot = (u64, u64, String);

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
    /// AAGUID → where its line is and its digest.
    pub index: BTreeMap<String, Slot>,
    /// SHA-256 of this header serialised with `seal` empty.
    #[serde(default)]
    pub seal: String,
}

impl Header {
    pub fn stale_on(&self, today: time::Date) -> bool {
        super::payload::parse_date(&self.next_update).is_none_or(|next| today > next)
    }

    fn computed_seal(&self) -> String {
        let unsealed = Header {
            seal: String::new(),
            ..self.clone()
        };
        hex::encode(sha2::Sha256::digest(
            serde_json::to_vec(&unsealed).unwrap_or_default(),
        ))
    }
}

/// Held while an import or forget runs; dropping it releases the lock.
pub struct WriteLock {
    _file: std::fs::File,
}

pub struct Store {
    dir: PathBuf,
    /// Raised by Ctrl-C: a writer waiting for another one stops at once, having written nothing.
    cancel: Option<Arc<AtomicBool>>,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            cancel: None,
        }
    }

    /// The same store, whose writers stop waiting for another one when `cancel` is raised.
    pub fn cancelled_by(mut self, cancel: Arc<AtomicBool>) -> Self {
        self.cancel = Some(cancel);
        self
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

    fn write_err(&self, source: std::io::Error) -> MdsError {
        MdsError::Write {
            path: self.path(),
            source,
        }
    }

    /// Serialises writers (see the module comment), waiting for another one to finish (saying
    /// so once on stderr) unless the cancel flag is raised first.
    pub fn lock(&self) -> Result<WriteLock, MdsError> {
        use crate::files::lock;
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(MdsError::NotADirectory(self.dir.clone()));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| self.write_err(e))?;
        let path = lock::beside(&self.path());
        let file = lock::open(&path, 0o600).map_err(|e| self.write_err(e))?;
        let what = format!("the MDS store {}", self.path().display());
        let cancel = self.cancel.as_deref();
        match lock::lock_within_saying(&file, LOCK_WAIT, cancel, &what, LOCK_WAIT) {
            Ok(()) => Ok(WriteLock { _file: file }),
            Err(lock::NotLocked::Busy(waited)) => Err(MdsError::Busy { path, waited }),
            Err(lock::NotLocked::Failed(e)) => Err(self.write_err(e)),
            Err(lock::NotLocked::Cancelled) => Err(MdsError::Cancelled(self.path())),
        }
    }

    fn open(&self) -> Result<Option<(Header, BufReader<std::fs::File>)>, MdsError> {
        let path = self.path();
        let file = match crate::util::regular_file::open_regular(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                return Err(self.damaged("not a regular file"))
            }
            Err(source) => return Err(MdsError::Read { path, source }),
        };
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        reader
            .by_ref()
            .take(MAX_HEADER)
            .read_until(b'\n', &mut line)
            .map_err(|e| self.damaged(e.to_string()))?;
        if line.last() != Some(&b'\n') {
            return Err(self.damaged("the header is truncated or too long"));
        }
        let header: Header =
            serde_json::from_slice(&line).map_err(|e| self.damaged(format!("header: {e}")))?;
        if header.format != FORMAT {
            return Err(self.damaged(format!(
                "format {}, written by another glasskey version (this one reads {FORMAT})",
                header.format
            )));
        }
        if header.seal != header.computed_seal() {
            return Err(self.damaged("its content does not match its seal: edited by hand?"));
        }
        Ok(Some((header, reader)))
    }

    /// The imported BLOB's header; None when nothing was imported.
    pub fn header(&self) -> Result<Option<Header>, MdsError> {
        Ok(self.open()?.map(|(h, _)| h))
    }

    /// Reads and checks the entry at `slot`.
    fn entry_at(
        &self,
        reader: &mut BufReader<std::fs::File>,
        body_start: u64,
        aaguid: &str,
        (offset, len, sha256): &Slot,
    ) -> Result<Entry, MdsError> {
        if *len > MAX_ENTRY {
            return Err(self.damaged(format!("entry {aaguid}: {len} bytes")));
        }
        reader
            .seek(SeekFrom::Start(body_start.saturating_add(*offset)))
            .map_err(|e| self.damaged(e.to_string()))?;
        let mut bytes = Vec::new();
        reader
            .by_ref()
            .take(*len)
            .read_to_end(&mut bytes)
            .map_err(|e| self.damaged(format!("entry {aaguid}: {e}")))?;
        if bytes.len() as u64 != *len {
            return Err(self.damaged(format!("entry {aaguid}: truncated")));
        }
        if hex::encode(sha2::Sha256::digest(&bytes)) != *sha256 {
            return Err(self.damaged(format!(
                "entry {aaguid} does not match its digest: edited by hand?"
            )));
        }
        serde_json::from_slice(&bytes).map_err(|e| self.damaged(format!("entry {aaguid}: {e}")))
    }

    /// The header and this AAGUID's entry (None when the BLOB does not list it); None when
    /// nothing was imported.
    pub fn lookup(&self, aaguid: &str) -> Result<Option<(Header, Option<Entry>)>, MdsError> {
        let Some((header, mut reader)) = self.open()? else {
            return Ok(None);
        };
        let aaguid = aaguid.to_ascii_lowercase();
        let Some(slot) = header.index.get(&aaguid) else {
            return Ok(Some((header, None)));
        };
        let body_start = reader
            .stream_position()
            .map_err(|e| self.damaged(e.to_string()))?;
        let entry = self.entry_at(&mut reader, body_start, &aaguid, slot)?;
        Ok(Some((header, Some(entry))))
    }

    /// The header after checking every entry against its digest (`mds status`).
    pub fn verified_header(&self) -> Result<Option<Header>, MdsError> {
        let Some((header, mut reader)) = self.open()? else {
            return Ok(None);
        };
        let body_start = reader
            .stream_position()
            .map_err(|e| self.damaged(e.to_string()))?;
        for (aaguid, slot) in &header.index {
            self.entry_at(&mut reader, body_start, aaguid, slot)?;
        }
        Ok(Some(header))
    }

    /// Replaces the store with `entries` under `header` (whose index and seal are filled in
    /// here). The caller holds [`Store::lock`].
    pub fn write(
        &self,
        _lock: &WriteLock,
        mut header: Header,
        entries: &[Entry],
    ) -> Result<Header, MdsError> {
        use crate::files::atomic;
        let mut body = Vec::new();
        header.index.clear();
        for entry in entries {
            let start = body.len();
            serde_json::to_writer(&mut body, entry)
                .map_err(|e| self.write_err(std::io::Error::other(e)))?;
            let digest = hex::encode(sha2::Sha256::digest(&body[start..]));
            header.index.insert(
                entry.aaguid.clone(),
                (start as u64, (body.len() - start) as u64, digest),
            );
            body.push(b'\n');
        }
        header.format = FORMAT;
        header.seal = header.computed_seal();
        let mut bytes =
            serde_json::to_vec(&header).map_err(|e| self.write_err(std::io::Error::other(e)))?;
        bytes.push(b'\n');
        bytes.extend_from_slice(&body);
        let path = self.path();
        // Under the lock no live writer owns a leftover temporary file.
        atomic::remove_stale_temps(&self.dir, FILE_NAME);
        // The store path itself is replaced: a symlink planted there is replaced, not followed.
        atomic::replace(&self.dir, &path, &bytes, None, || Ok(()))
            .map_err(|e| self.write_err(e))?;
        sync_dir(&self.dir);
        Ok(header)
    }

    /// Removes the store (`mds forget`). The caller holds [`Store::lock`].
    pub fn remove(&self, _lock: &WriteLock) -> Result<(), MdsError> {
        std::fs::remove_file(self.path()).map_err(|e| self.write_err(e))?;
        sync_dir(&self.dir);
        Ok(())
    }
}

/// Makes the rename durable; a failure here loses nothing already written, so it is ignored.
fn sync_dir(dir: &std::path::Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
