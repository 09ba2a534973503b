//! One PIN-bearing exchange per key at a time across glasskey processes (DESIGN §3.1, hostile
//! F18). Each process reads the retries afresh before sending a PIN; without exclusion, several
//! processes can all read 4, all send, and leave the key at 1 without `--force`. The session
//! holds this lock from that fresh read through the key's reply (and the retries read after a
//! wrong PIN), so the next process reads the count the previous one left.
//!
//! The lock is keyed by the key's endpoint as the operating system names it, never by what the
//! key says about itself: the device node (its device number) for USB, the resolved socket
//! address for `udp:`, the canonical file path for `virtual:`. Two processes talking to one key
//! necessarily open the same endpoint; a serial is key-supplied (a look-alike can copy it) and
//! unknown before the session is open. Lock files live in `/tmp/glasskey-UID`, whatever the
//! environment says (so a cron job and a desktop session of one user meet), a directory that must
//! be the user's own with mode 0700 (never a symlink). They are never deleted: deleting one would let two processes
//! lock two different files.
//!
//! This is advisory: it orders glasskey processes of the same user, not other FIDO clients
//! (browsers, libfido2 tools) or other users' glasskey runs.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::files::lock::{self as file_lock, NotLocked};

#[derive(Debug, thiserror::Error)]
pub enum KeyLockError {
    #[error("another glasskey process is sending a PIN to {key} (it holds {lock}); waited {waited} s (--timeout) and sent nothing. Let it finish, then rerun")]
    Busy {
        key: String,
        lock: PathBuf,
        waited: u64,
    },
    #[error("cancelled while waiting for another glasskey process to finish with key {0}; nothing was sent")]
    Cancelled(String),
    #[error("cannot use the key lock {path}: {reason}; no PIN was sent")]
    Unusable { path: PathBuf, reason: String },
}

/// The lock of one key's endpoint. Cheap to make; nothing touches the disk until `hold`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLock {
    endpoint: String,
    /// How messages name the key: as the user named it (`/dev/hidraw3`, `udp:…`), not the
    /// device number the lock is keyed by.
    shown: String,
}

/// Held while it lives; dropping it (or the process dying) releases the key.
#[derive(Debug)]
pub struct KeyLockGuard {
    _file: File,
}

impl KeyLock {
    /// `endpoint` must name the key as the OS reaches it (see the module comment).
    pub fn for_endpoint(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into();
        Self {
            shown: endpoint.clone(),
            endpoint,
        }
    }

    /// Names the key in messages as `name` (e.g. the `--device` argument).
    pub fn shown_as(mut self, name: impl Into<String>) -> Self {
        self.shown = name.into();
        self
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The lock file: a digest of the endpoint, so any endpoint text makes a plain file name.
    pub fn path(&self) -> Result<PathBuf, KeyLockError> {
        let digest = Sha256::digest(self.endpoint.as_bytes());
        Ok(lock_dir()?.join(format!("key-{}.lock", hex::encode(&digest[..16]))))
    }

    /// Waits up to `wait` for other glasskey processes using this key, saying once on stderr that
    /// it waits, then holds it.
    pub fn hold(
        &self,
        wait: Duration,
        cancel: Option<&AtomicBool>,
    ) -> Result<KeyLockGuard, KeyLockError> {
        let path = self.path()?;
        let unusable = |reason: String| KeyLockError::Unusable {
            path: path.clone(),
            reason,
        };
        let file = file_lock::open(&path, 0o600).map_err(|e| unusable(e.to_string()))?;
        let what = format!("key {}", self.shown);
        match file_lock::lock_within_saying(&file, wait, cancel, &what, wait) {
            Ok(()) => Ok(KeyLockGuard { _file: file }),
            Err(NotLocked::Busy(waited)) => Err(KeyLockError::Busy {
                key: self.shown.clone(),
                lock: path,
                waited,
            }),
            Err(NotLocked::Cancelled) => Err(KeyLockError::Cancelled(self.shown.clone())),
            Err(NotLocked::Failed(e)) => Err(unusable(e.to_string())),
        }
    }
}

/// `/tmp/glasskey-UID`, created 0700 and checked to be the user's own private directory. Never
/// taken from the environment (`XDG_RUNTIME_DIR`, `TMPDIR`): a desktop session, a cron job and
/// an `env -i` script of one user must all find the same lock (HOSTILE-4 finding 1).
pub fn lock_dir() -> Result<PathBuf, KeyLockError> {
    let uid = rustix::process::geteuid().as_raw();
    let dir = Path::new(LOCK_PARENT).join(format!("glasskey-{uid}"));
    ensure_private_dir(&dir, uid).map_err(|reason| KeyLockError::Unusable {
        path: dir.clone(),
        reason,
    })?;
    Ok(dir)
}

/// The one directory every process of every environment sees (FHS: /tmp is always there).
const LOCK_PARENT: &str = "/tmp";

/// Creates `dir` with mode 0700 if it is missing, then checks without following symlinks that
/// it is a directory owned by `uid` that nobody else can enter: in a shared temporary directory
/// another user could have made it first, to read or plant lock files.
fn ensure_private_dir(dir: &Path, uid: u32) -> Result<(), String> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create it: {e}")),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    if !meta.file_type().is_dir() {
        return Err("it is not a directory (a symlink or a file is refused)".into());
    }
    if meta.uid() != uid {
        return Err(format!(
            "it belongs to user {} instead of you ({uid}); have it removed (another user may have created it to block you)",
            meta.uid()
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "its mode is {:o}; it must be 700 (chmod 700 it)",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn uid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    #[test]
    fn a_shared_or_linked_directory_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let open = base.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(ensure_private_dir(&open, uid())
            .unwrap_err()
            .contains("mode is 777"));
        let link = base.path().join("link");
        let private = base.path().join("private");
        ensure_private_dir(&private, uid()).unwrap();
        std::os::unix::fs::symlink(&private, &link).unwrap();
        assert!(ensure_private_dir(&link, uid())
            .unwrap_err()
            .contains("not a directory"));
        assert!(ensure_private_dir(&private, uid() + 1)
            .unwrap_err()
            .contains("belongs to user"));
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
