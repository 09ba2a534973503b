//! Advisory whole-file locks (fs4/flock) with a bounded wait: the one waiting loop behind the
//! inventory's writers' lock, the MDS store's import lock, the per-key PIN lock
//! (ctap2/key_lock.rs) and the virtual key's state lock. A lock is released when its file is closed, so a process that dies releases it too.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fs4::{FileExt, TryLockError};

const POLL: Duration = Duration::from_millis(20);

/// Why a lock was not taken.
#[derive(Debug)]
pub enum NotLocked {
    /// Another holder kept it for the whole wait (seconds waited).
    Busy(u64),
    /// The cancel flag (Ctrl-C) was raised while waiting.
    Cancelled,
    Failed(std::io::Error),
}

/// `.NAME.lock` beside `target` (a file with symlinks resolved): a file that is replaced by
/// rename cannot carry its own lock (a lock on the old inode would not stop a writer that
/// opened the new one), so the lock lives beside it and is never deleted.
pub fn beside(target: &Path) -> std::path::PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.lock"))
}

/// Opens (creating with `mode` if needed) a lock file read-write, never through a symlink.
pub fn open(path: &Path, mode: u32) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Takes an exclusive lock on `file`, polling for up to `wait`; gives up at once when `cancel`
/// (Ctrl-C) is raised. Says once on stderr, when the lock is found taken, that glasskey waits
/// for another glasskey process using `what` ("key udp:…", "virtual key PATH", "inventory
/// PATH", "the MDS store PATH") for at most `announced` (the whole wait, of which `wait` may be
/// what is left). Every lock a person may wait on waits here, so none waits silently.
pub fn lock_within_saying(
    file: &File,
    wait: Duration,
    cancel: Option<&AtomicBool>,
    what: &str,
    announced: Duration,
) -> Result<(), NotLocked> {
    lock_within_telling(file, wait, cancel, &mut || {
        eprintln!("{}", waiting_notice(what, announced));
    })
}

/// The line `lock_within_saying` prints; `what` may be user-supplied, so it is made visible.
pub fn waiting_notice(what: &str, announced: Duration) -> String {
    format!(
        "Waiting for another glasskey process to finish with {} (up to {} s; Ctrl-C stops)...",
        crate::untrusted::visible(what),
        announced.as_secs()
    )
}

/// Takes the lock within `wait` unless cancelled, calling `on_wait` once when the lock is
/// found taken (to say that it waits).
fn lock_within_telling(
    file: &File,
    wait: Duration,
    cancel: Option<&AtomicBool>,
    on_wait: &mut dyn FnMut(),
) -> Result<(), NotLocked> {
    let start = Instant::now();
    let mut told = false;
    loop {
        if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
            return Err(NotLocked::Cancelled);
        }
        match FileExt::try_lock(file) {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                if !std::mem::replace(&mut told, true) {
                    on_wait();
                }
                std::thread::sleep(POLL);
            }
            Err(TryLockError::WouldBlock) => {
                return Err(NotLocked::Busy(start.elapsed().as_secs()))
            }
            Err(TryLockError::Error(e)) => return Err(NotLocked::Failed(e)),
        }
    }
}
