//! Report, sheet and export files named with `-o`: never the inventory (or its backup or lock),
//! however it is spelled or linked, and always written by rename so nothing planted at the
//! output path is followed and no reader sees half a file.

use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::error::{CliError, EXIT_WRITE};
use crate::inventory::store::own_files;

/// The path with symlinks resolved; for a file that does not exist yet, its directory resolved.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (fs::canonicalize(dir), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => path.to_path_buf(),
    }
}

/// Whether `a` and `b` are one file: by inode when both exist (catches hard links), else by
/// resolved path.
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => resolved(a) == resolved(b),
    }
}

/// Refuses (exit 2, before any work) an output that is the inventory, its backup or its lock,
/// or one of the `inputs` the command reads.
pub fn refuse_own_files(
    output: Option<&Path>,
    inventory: &Path,
    inputs: &[PathBuf],
) -> Result<(), CliError> {
    let Some(output) = output else {
        return Ok(());
    };
    if own_files(inventory).iter().any(|f| same_file(output, f)) {
        return Err(CliError::usage(format!(
            "refusing to write to {}: it is the inventory {} (or its backup or lock); name another file with -o",
            output.display(),
            inventory.display()
        )));
    }
    if let Some(input) = inputs.iter().find(|f| same_file(output, f)) {
        return Err(CliError::usage(format!(
            "refusing to write to {}: it is the input {}; name another file with -o",
            output.display(),
            input.display()
        )));
    }
    Ok(())
}

fn write_error(path: &Path, e: &std::io::Error) -> CliError {
    CliError {
        code: EXIT_WRITE,
        message: format!(
            "cannot write {}: {e}; nothing was written there. Check the directory exists and is writable, or name another file with -o",
            path.display()
        ),
    }
}

/// Writes `bytes` to a fresh temporary file beside `path` (a random name opened exclusively, so
/// a link planted there is not followed) and renames it over `path`: a link at `path` itself is
/// replaced, not followed. A file being replaced keeps its permissions; a new one is 0600.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        if let Ok(old) = fs::symlink_metadata(path) {
            if old.file_type().is_file() {
                tmp.as_file().set_permissions(old.permissions())?;
            }
        }
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| write_error(path, &e))
}
