//! A rewritten inventory (and its `.bak`) keeps the original's mode, and its owner when
//! glasskey runs as root: a 0600 file owned by the admin must not come back 0644 root:root.
//! Without root a process cannot give a file away; the new file is then the writer's own, as it
//! would be after any editor's save.

use std::fs::{File, Metadata, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

pub fn match_owner(file: &File, like: &Metadata) -> std::io::Result<()> {
    if rustix::process::geteuid().is_root() {
        let current = file.metadata()?;
        if current.uid() != like.uid() || current.gid() != like.gid() {
            std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid()))?;
        }
    }
    Ok(())
}

pub fn match_mode_and_owner(file: &File, like: &Metadata) -> std::io::Result<()> {
    // Owner first: a change of owner may clear set-id bits that the mode then restores.
    match_owner(file, like)?;
    file.set_permissions(Permissions::from_mode(like.mode() & 0o7777))
}
