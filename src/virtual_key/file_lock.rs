//! One process at a time holds a virtual key file (like one USB key plugged into one host), so
//! no process saves a state another has already moved on from (hostile F12, hostile-4 F9).
//!
//! Two locks, both advisory (fs4/flock), taken in this order and held until the key is dropped:
//! - `.NAME.lock` beside the file's target (symlinks resolved; never deleted, as the
//!   inventory's). Saves replace the file by rename, so the file's own inode changes with every
//!   save and cannot carry the lock between processes by itself.
//! - the state file itself, as opened: every name of one inode (a hard link, a symlink, a
//!   `./` path) locks the same inode, so a hard link under another name or directory cannot
//!   open the key while it is held. After the holder's first save the names differ: the hard
//!   link then names the old contents, a separate (stale) key, as a copy would.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::state::StateError;
use crate::files::lock::{self as file_lock, NotLocked};

/// How long `Authenticator::open` waits for another process when no wait is given (the
/// binary passes `--timeout`, whose default this is).
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// How long to wait for another process holding the key, and what ends the wait early.
#[derive(Clone, Copy)]
pub struct LockWait<'a> {
    pub limit: Duration,
    /// Raised by Ctrl-C: stop waiting at once.
    pub cancel: Option<&'a AtomicBool>,
}

impl Default for LockWait<'_> {
    fn default() -> Self {
        Self {
            limit: LOCK_WAIT,
            cancel: None,
        }
    }
}

/// Held while a process has the virtual key "plugged in".
#[derive(Debug)]
pub struct KeyFileLock {
    _beside: fs::File,
    _state: fs::File,
}

pub fn lock(path: &Path, wait: LockWait<'_>) -> Result<KeyFileLock, StateError> {
    let read_err = |at: &Path| {
        let at = at.to_path_buf();
        move |source| StateError::Read { path: at, source }
    };
    let target = fs::canonicalize(path).map_err(read_err(path))?;
    // A FIFO or a device named as a key is refused here, before any lock file is made for it.
    let state_file = crate::util::regular_file::open_regular(&target).map_err(read_err(path))?;
    let started = Instant::now();
    let beside = file_lock::beside(&target);
    let beside_file = file_lock::open(&beside, 0o600).map_err(read_err(&beside))?;
    hold(&beside_file, path, &beside, started, wait)?;
    hold(&state_file, path, &target, started, wait)?;
    Ok(KeyFileLock {
        _beside: beside_file,
        _state: state_file,
    })
}

/// Takes `file`'s lock within `limit`, saying on stderr that it waits when another holds it.
fn hold(
    file: &fs::File,
    path: &Path,
    lock: &Path,
    started: Instant,
    wait: LockWait<'_>,
) -> Result<(), StateError> {
    let limit = wait.limit.saturating_sub(started.elapsed());
    let what = format!("virtual key {}", path.display());
    match file_lock::lock_within_saying(file, limit, wait.cancel, &what, wait.limit) {
        Ok(()) => Ok(()),
        Err(NotLocked::Busy(_)) => Err(StateError::InUse {
            path: path.into(),
            lock: PathBuf::from(lock),
            waited: started.elapsed().as_secs(),
        }),
        Err(NotLocked::Cancelled) => Err(StateError::Cancelled(path.into())),
        Err(NotLocked::Failed(source)) => Err(StateError::Read {
            path: lock.into(),
            source,
        }),
    }
}
