//! Reading and writing the inventory without ever losing it (DESIGN §3.4).
//!
//! A write, step by step (each step name is a test hook, below):
//! 1. `locked`: the advisory lock beside the file is taken (lock.rs); writers that loaded the
//!    file with [`Store::load_for_update`] have held it since before they read it.
//! 2. The file is read again; if it is not the version this process read, nothing is written.
//! 3. `backup-temp-written`, `backup-written`: the current bytes become `FILE.bak` (via a
//!    temporary file, synced, renamed).
//! 4. `temp-written`: the new text goes to a temporary file beside the inventory, synced.
//! 5. `renamed`: the temporary file replaces the inventory and the directory is synced.
//!
//! Temporary files are created by the tempfile crate with random names and O_EXCL, so a
//! planted symlink can never be followed; they carry the inventory's mode (and owner, as root)
//! before they take its place, and are deleted on every error path. A crash leaves them
//! behind under the name `.FILE.*.gk-tmp`; the next write, holding the lock, removes them.
//! A symlinked inventory is written at its target, so the link and its history survive.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::lock::{self, LockError, WriteLock};
use super::model::{Inventory, SCHEMA_VERSION};
use crate::files::atomic::{file_name, parent_dir, remove_stale_temps, replace};

/// Test hook: abort the process at the named step of a save (see [`SAVE_STEPS`]), to prove that
/// a crash at any point leaves the old or the new file, never a mix. Unset in normal use.
pub const ABORT_AT_ENV: &str = "GLASSKEY_TEST_ABORT_AT";
/// Test hook: fail with an I/O error at the named step, to prove nothing is left behind.
pub const FAIL_AT_ENV: &str = "GLASSKEY_TEST_FAIL_AT";
/// The steps of a save, in order, as the hooks name them.
pub const SAVE_STEPS: &[&str] = &[
    "locked",
    "backup-temp-written",
    "backup-written",
    "temp-written",
    "renamed",
];

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read inventory {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: schema_version {found} is not supported (this glasskey reads version {SCHEMA_VERSION})")]
    Schema { path: PathBuf, found: u32 },
    #[error("{0} changed on disk since glasskey read it; nothing was written. Rerun the command to work on the current file")]
    ChangedOnDisk(PathBuf),
    #[error("cannot write inventory {path}: {source}; the inventory was left as it was")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the new inventory {path} is in place, but its directory could not be synced ({source}): a power loss now could bring back the previous version. Check the disk, then run `glasskey inventory verify`")]
    DirSync {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("{path}: {source}. glasskey does not write to a broken history; nothing was written. Run `glasskey inventory verify`, restore the genuine file (FILE.bak, the newest hash on paper), then rerun")]
    BrokenChain {
        path: PathBuf,
        source: super::history::ChainBreak,
    },
    #[error("{0} already exists; glasskey will not overwrite an inventory")]
    Exists(PathBuf),
    #[error(
        "internal error: the inventory would not read back as written ({0}); nothing was written"
    )]
    RoundTrip(String),
}

impl InventoryError {
    /// Whether the failure was writing a file (exit code 4) rather than reading one.
    pub fn is_write_failure(&self) -> bool {
        matches!(
            self,
            Self::Write { .. }
                | Self::DirSync { .. }
                | Self::Lock(LockError::Busy { .. } | LockError::Open { .. })
        )
    }

    /// Ctrl-C ended the wait for another writer: nothing was written.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Lock(LockError::Cancelled { .. }))
    }
}

pub struct Store {
    /// The path as given, for messages.
    path: PathBuf,
    /// Where the bytes live: `path` with symlinks resolved, so a linked inventory is updated
    /// in place of its target and the link keeps pointing at it.
    target: PathBuf,
    /// SHA-256 of the bytes last read or written: the version this process is working on.
    digest: [u8; 32],
    /// Held from the read to the rename by writers (`load_for_update`).
    lock: Option<WriteLock>,
    lock_wait: lock::Wait,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

pub fn parse(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    let inventory: Inventory = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
        InventoryError::Parse {
            path: path.into(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })?;
    if inventory.schema_version != SCHEMA_VERSION {
        return Err(InventoryError::Schema {
            path: path.into(),
            found: inventory.schema_version,
        });
    }
    Ok(inventory)
}

pub fn render(inventory: &Inventory) -> Result<String, InventoryError> {
    let body =
        toml::to_string_pretty(inventory).map_err(|e| InventoryError::RoundTrip(e.to_string()))?;
    Ok(format!("# glasskey break-glass key inventory. Human-editable; see docs/inventory-format.md.\n# `history` holds one hash-chained check per line: edit it and `glasskey inventory verify` will notice.\n\n{body}"))
}

/// An inventory larger than this is not one glasskey wrote (100,000 checks of 5,000 keys are
/// well under it); reading stops there instead of filling memory.
pub const MAX_INVENTORY_BYTES: u64 = 256 * 1024 * 1024;

pub use crate::util::regular_file::{open_regular, read_regular_at_most};

/// The bytes of a regular file of at most [`MAX_INVENTORY_BYTES`].
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    read_regular_at_most(path, MAX_INVENTORY_BYTES, "an inventory glasskey wrote")
}

/// SHA-256 of a file's bytes, hex: printed on sheets so paper and file can be matched.
pub fn file_digest(path: &Path) -> Result<String, InventoryError> {
    let bytes = read_regular(path).map_err(|source| InventoryError::Read {
        path: path.into(),
        source,
    })?;
    Ok(hex::encode(sha256(&bytes)))
}

/// The test hooks of [`ABORT_AT_ENV`] and [`FAIL_AT_ENV`].
fn hook(step: &str) -> std::io::Result<()> {
    if std::env::var(ABORT_AT_ENV).is_ok_and(|s| s == step) {
        std::process::abort();
    }
    if std::env::var(FAIL_AT_ENV).is_ok_and(|s| s == step) {
        return Err(std::io::Error::other(format!(
            "test hook: failed at {step}"
        )));
    }
    Ok(())
}

fn read_text(path: &Path, bytes: Vec<u8>) -> Result<String, InventoryError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let (line, column) = line_column(&String::from_utf8_lossy(e.as_bytes()), valid);
        InventoryError::Parse {
            path: path.into(),
            line,
            column,
            message: "the file is not valid UTF-8".into(),
        }
    })
}

/// Writers never extend a history that does not verify: the new entry would vouch for it.
fn refuse_broken_chain(path: &Path, inventory: &Inventory) -> Result<(), InventoryError> {
    super::history::verify(&inventory.checks).map_err(|source| InventoryError::BrokenChain {
        path: path.into(),
        source,
    })
}

/// FILE.bak beside `target` (the inventory with symlinks resolved).
pub fn backup_path_of(target: &Path) -> PathBuf {
    target.with_file_name(format!("{}.bak", file_name(target)))
}

/// The files that make up the inventory at `path`: the file itself (symlinks resolved, when it
/// exists), its backup and its writers' lock. Nothing else may ever be written over them.
pub fn own_files(path: &Path) -> Vec<PathBuf> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut files = vec![path.to_path_buf()];
    if target != path {
        files.push(target.clone());
    }
    files.push(backup_path_of(&target));
    files.push(lock::lock_path(&target));
    files
}

impl Store {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the bytes this store read (or last wrote), hex — what `inventory digest` prints.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }

    /// Reads the inventory for reading only; `save` takes the lock and refuses to write if the
    /// file changed meanwhile.
    pub fn load(path: &Path) -> Result<(Self, Inventory), InventoryError> {
        Self::open(path, None)
    }

    /// Reads the inventory to change it: takes the writers' lock first (waiting up to
    /// `wait.limit` for another writer, or until `wait.cancel` is raised) and holds it until
    /// this store is dropped.
    pub fn load_for_update(
        path: &Path,
        wait: impl Into<lock::Wait>,
    ) -> Result<(Self, Inventory), InventoryError> {
        Self::open(path, Some(wait.into()))
    }

    fn open(
        path: &Path,
        lock_wait: Option<lock::Wait>,
    ) -> Result<(Self, Inventory), InventoryError> {
        let read_err = |source| InventoryError::Read {
            path: path.into(),
            source,
        };
        let target = fs::canonicalize(path).map_err(read_err)?;
        let lock = match &lock_wait {
            Some(wait) => {
                let like = fs::metadata(&target).map_err(read_err)?;
                let held = lock::acquire(path, &target, Some(&like), wait)?;
                hook("locked").map_err(|source| InventoryError::Write {
                    path: path.into(),
                    source,
                })?;
                Some(held)
            }
            None => None,
        };
        let bytes = read_regular(&target).map_err(read_err)?;
        let digest = sha256(&bytes);
        let text = read_text(path, bytes)?;
        let inventory = parse(path, &text)?;
        if lock.is_some() {
            refuse_broken_chain(path, &inventory)?;
        }
        Ok((
            Self {
                path: path.into(),
                target,
                digest,
                lock,
                lock_wait: lock_wait.unwrap_or_else(|| lock::DEFAULT_WAIT.into()),
            },
            inventory,
        ))
    }

    /// Writes a new inventory; refuses to replace an existing file.
    pub fn create(path: &Path, inventory: &Inventory) -> Result<Self, InventoryError> {
        let text = render(inventory)?;
        let err = |source| InventoryError::Write {
            path: path.into(),
            source,
        };
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    InventoryError::Exists(path.into())
                } else {
                    err(e)
                }
            })?;
        let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
        if let Err(e) = written {
            // Never leave a half-written new inventory behind.
            let _ = fs::remove_file(path);
            return Err(err(e));
        }
        let target = fs::canonicalize(path).map_err(err)?;
        Ok(Self {
            path: path.into(),
            target,
            digest: sha256(text.as_bytes()),
            lock: None,
            lock_wait: lock::DEFAULT_WAIT.into(),
        })
    }

    /// FILE.bak beside the (symlink-resolved) inventory.
    pub fn backup_path(&self) -> PathBuf {
        backup_path_of(&self.target)
    }

    /// Replaces the file with `inventory`, keeping the previous version as FILE.bak.
    pub fn save(&mut self, inventory: &Inventory) -> Result<(), InventoryError> {
        let text = render(inventory)?;
        // Never write what we could not read back.
        let reread =
            parse(&self.path, &text).map_err(|e| InventoryError::RoundTrip(e.to_string()))?;
        if &reread != inventory {
            return Err(InventoryError::RoundTrip(
                "fields changed on the way through TOML".into(),
            ));
        }
        refuse_broken_chain(&self.path, inventory)?;
        let err = |source| InventoryError::Write {
            path: self.path.clone(),
            source,
        };
        let read_err = |source| InventoryError::Read {
            path: self.path.clone(),
            source,
        };
        let like = fs::metadata(&self.target).map_err(read_err)?;
        // A store loaded read-only locks for this save alone.
        let _lock_for_this_save = match self.lock {
            Some(_) => None,
            None => {
                let held = lock::acquire(&self.path, &self.target, Some(&like), &self.lock_wait)?;
                hook("locked").map_err(err)?;
                Some(held)
            }
        };
        let current = read_regular(&self.target).map_err(read_err)?;
        if sha256(&current) != self.digest {
            return Err(InventoryError::ChangedOnDisk(self.path.clone()));
        }
        let dir = parent_dir(&self.target);
        remove_stale_temps(&dir, &file_name(&self.target));

        // The previous version, kept as FILE.bak (itself replaced atomically).
        replace(&dir, &self.backup_path(), &current, Some(&like), || {
            hook("backup-temp-written")
        })
        .and_then(|()| hook("backup-written"))
        .map_err(err)?;
        // Last look: the lock keeps glasskey writers out, not an editor.
        let again = read_regular(&self.target).map_err(read_err)?;
        if sha256(&again) != self.digest {
            return Err(InventoryError::ChangedOnDisk(self.path.clone()));
        }
        replace(&dir, &self.target, text.as_bytes(), Some(&like), || {
            hook("temp-written")
        })
        .map_err(err)?;
        self.digest = sha256(text.as_bytes());
        let synced = fs::File::open(&dir).and_then(|d| d.sync_all());
        synced
            .and_then(|()| hook("renamed"))
            .map_err(|source| InventoryError::DirSync {
                path: self.path.clone(),
                source,
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd\nef", 0), (1, 1));
        assert_eq!(line_column("ab\ncd\nef", 4), (2, 2));
        assert_eq!(line_column("ab\ncd\nef", 6), (3, 1));
    }
}
