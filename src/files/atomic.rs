//! Replacing a file without ever leaving a mix of old and new: the new bytes go to a fresh
//! temporary file beside it (created by the tempfile crate: random name, O_EXCL, so a planted
//! symlink is never followed), which takes the file's mode and owner, is synced and renamed into
//! place. Used for the inventory (with its backup and test hooks, inventory/store.rs) and for
//! the virtual key's state.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::owner::match_mode_and_owner;

/// A crash leaves temporary files behind under `.NAME.*.gk-tmp`.
const TEMP_SUFFIX: &str = ".gk-tmp";

pub fn parent_dir(path: &Path) -> PathBuf {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Writes `bytes` to a fresh temporary file beside `dest` with `like`'s mode and owner (a new
/// file: 0600), syncs it and renames it to `dest`. The temporary file is deleted if any step
/// fails.
pub fn replace(
    dir: &Path,
    dest: &Path,
    bytes: &[u8],
    like: Option<&fs::Metadata>,
    before_rename: impl FnOnce() -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(dest)))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some(like) = like {
        match_mode_and_owner(tmp.as_file(), like)?;
    }
    tmp.as_file().sync_all()?;
    before_rename()?;
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

/// Removes temporary files a crashed writer left behind. Only called with the lock held, so no
/// live writer owns them.
pub fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n.starts_with(&prefix) && n.ends_with(TEMP_SUFFIX) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Replaces the file at `path` (at its target, when it is a symlink) with `bytes` as the
/// inventory is written, without a backup: a fresh temporary file beside it (random name,
/// O_EXCL, never a followed link) with the file's mode and owner, synced, renamed into place,
/// the directory synced. A crash leaves the old or the new file. With `holding_lock` (the
/// caller holds the file's writers' lock) temporary files a crashed writer left are removed.
pub fn replace_file(path: &Path, bytes: &[u8], holding_lock: bool) -> std::io::Result<()> {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let like = fs::metadata(&target).ok();
    let dir = parent_dir(&target);
    if holding_lock {
        remove_stale_temps(&dir, &file_name(&target));
    }
    replace(&dir, &target, bytes, like.as_ref(), || Ok(()))?;
    fs::File::open(&dir).and_then(|d| d.sync_all())
}
