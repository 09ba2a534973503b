//! One writer at a time: an advisory lock on `.NAME.lock` beside the inventory, held from the
//! read to the rename. The inventory itself cannot carry the lock because every write replaces
//! it by rename (a lock on the old inode would not stop a writer that opened the new one).
//! The lock file is never deleted: deleting it would let two writers lock two different files.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::files::lock::NotLocked;

/// How long a writer waits for another one to finish before giving up.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How long a writer waits for another one (`--lock-wait`), and what ends the wait early.
#[derive(Debug, Clone)]
pub struct Wait {
    pub limit: Duration,
    /// Raised by Ctrl-C: stop waiting at once, having written nothing.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl From<Duration> for Wait {
    fn from(limit: Duration) -> Self {
        Self {
            limit,
            cancel: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another glasskey is writing {inventory} (it holds {lock}); waited {waited} s and wrote nothing. Let it finish, then rerun (or raise --lock-wait)")]
    Busy {
        inventory: PathBuf,
        lock: PathBuf,
        waited: u64,
    },
    #[error("cancelled while waiting for another glasskey process to finish with inventory {inventory}; nothing was written")]
    Cancelled { inventory: PathBuf },
    #[error("cannot open the lock file {lock}: {source}. It must be a regular file (not a link) that you may open")]
    Open {
        lock: PathBuf,
        source: std::io::Error,
    },
}

/// Held while it lives; dropping it (or the process dying) releases the lock.
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

/// `.NAME.lock` in the directory of `target` (the inventory with symlinks resolved).
pub fn lock_path(target: &Path) -> PathBuf {
    crate::files::lock::beside(target)
}

fn open(lock: &Path, like: Option<&std::fs::Metadata>) -> std::io::Result<File> {
    let mode = like.map_or(0o600, |m| m.mode() & 0o666);
    // O_NOFOLLOW: a planted link must not make us create or open some other file.
    let file = crate::files::lock::open(lock, mode).or_else(|e| match e.kind() {
        // Someone else's lock file we may only read: flock works on any open descriptor.
        std::io::ErrorKind::PermissionDenied => OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(lock),
        _ => Err(e),
    })?;
    if let Some(m) = like {
        crate::files::owner::match_owner(&file, m)?;
    }
    Ok(file)
}

/// Takes the lock for `target`, waiting up to `wait.limit` for another writer (saying so once
/// on stderr) unless `wait.cancel` is raised first.
pub fn acquire(
    inventory: &Path,
    target: &Path,
    like: Option<&std::fs::Metadata>,
    wait: &Wait,
) -> Result<WriteLock, LockError> {
    let lock = lock_path(target);
    let file = open(&lock, like).map_err(|source| LockError::Open {
        lock: lock.clone(),
        source,
    })?;
    let what = format!("inventory {}", inventory.display());
    let cancel = wait.cancel.as_deref();
    match crate::files::lock::lock_within_saying(&file, wait.limit, cancel, &what, wait.limit) {
        Ok(()) => Ok(WriteLock { _file: file }),
        Err(NotLocked::Busy(waited)) => Err(LockError::Busy {
            inventory: inventory.into(),
            lock,
            waited,
        }),
        Err(NotLocked::Failed(source)) => Err(LockError::Open { lock, source }),
        Err(NotLocked::Cancelled) => Err(LockError::Cancelled {
            inventory: inventory.into(),
        }),
    }
}
