//! Reading and writing the inventory without ever losing it (DESIGN §3.4): writes go to a
//! temporary file in the same directory, are synced, then renamed over the original; the
//! previous version is kept as FILE.bak; a file that changed on disk since it was read is
//! never overwritten.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::model::{Inventory, SCHEMA_VERSION};

/// Test hook: abort the process at the named step of a save, to prove that a crash at any
/// point leaves the old or the new file, never a mix. Unset in normal use.
pub const ABORT_AT_ENV: &str = "GLASSKEY_TEST_ABORT_AT";

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
    #[error("cannot write inventory {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} already exists; glasskey will not overwrite an inventory")]
    Exists(PathBuf),
    #[error(
        "internal error: the inventory would not read back as written ({0}); nothing was written"
    )]
    RoundTrip(String),
}

pub struct Store {
    path: PathBuf,
    /// SHA-256 of the bytes last read or written: the version this process is working on.
    digest: [u8; 32],
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

/// SHA-256 of a file's bytes, hex: printed on sheets so paper and file can be matched.
pub fn file_digest(path: &Path) -> Result<String, InventoryError> {
    let bytes = fs::read(path).map_err(|source| InventoryError::Read {
        path: path.into(),
        source,
    })?;
    Ok(hex::encode(sha256(&bytes)))
}

fn abort_if_asked(step: &str) {
    if std::env::var(ABORT_AT_ENV).is_ok_and(|s| s == step) {
        std::process::abort();
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Store {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the bytes this store read (or last wrote), hex — what `inventory digest` prints.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }

    pub fn load(path: &Path) -> Result<(Self, Inventory), InventoryError> {
        let bytes = fs::read(path).map_err(|source| InventoryError::Read {
            path: path.into(),
            source,
        })?;
        let digest = sha256(&bytes);
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let (line, column) = line_column(&String::from_utf8_lossy(e.as_bytes()), valid);
            InventoryError::Parse {
                path: path.into(),
                line,
                column,
                message: "the file is not valid UTF-8".into(),
            }
        })?;
        let inventory = parse(path, &text)?;
        Ok((
            Self {
                path: path.into(),
                digest,
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
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        Ok(Self {
            path: path.into(),
            digest: sha256(text.as_bytes()),
        })
    }

    pub fn backup_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".bak");
        self.path.with_file_name(name)
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
        let err = |source| InventoryError::Write {
            path: self.path.clone(),
            source,
        };
        let current = fs::read(&self.path).map_err(|source| InventoryError::Read {
            path: self.path.clone(),
            source,
        })?;
        if sha256(&current) != self.digest {
            return Err(InventoryError::ChangedOnDisk(self.path.clone()));
        }
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();

        // 1. The previous version, kept as FILE.bak (itself replaced atomically).
        let backup_tmp = dir.join(format!(".{name}.bak.tmp-{}", std::process::id()));
        write_synced(&backup_tmp, &current).map_err(err)?;
        fs::rename(&backup_tmp, self.backup_path()).map_err(err)?;
        abort_if_asked("backup-written");

        // 2. The new version beside the old one, synced before it takes its place.
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        write_synced(&tmp, text.as_bytes()).map_err(err)?;
        abort_if_asked("temp-written");

        // 3. Last look: someone may have edited the file while we worked.
        let again = fs::read(&self.path).map_err(|source| InventoryError::Read {
            path: self.path.clone(),
            source,
        })?;
        if sha256(&again) != self.digest {
            let _ = fs::remove_file(&tmp);
            return Err(InventoryError::ChangedOnDisk(self.path.clone()));
        }
        fs::rename(&tmp, &self.path).map_err(err)?;
        sync_dir(&dir);
        abort_if_asked("renamed");
        self.digest = sha256(text.as_bytes());
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
