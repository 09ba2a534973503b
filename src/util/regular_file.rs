//! Reading a file the admin names (the inventory, an Entra export, a virtual key) without
//! blocking on a FIFO or reading a device without end.

use std::fs;
use std::path::Path;

/// Opens `path` for reading only if it is a regular file. A FIFO, a device such as /dev/zero
/// or a directory is refused at once: opened without blocking, checked, never read. For every
/// file glasskey reads from the admin (the inventory, an Entra export, a virtual key).
pub fn open_regular(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading would otherwise wait for a writer.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file; name the file itself",
        ));
    }
    Ok(file)
}

/// The bytes of a regular file (see [`open_regular`]) of at most `max` bytes; a larger one is
/// refused as not being `what`.
pub fn read_regular_at_most(path: &Path, max: u64, what: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB, so not {what}", max / (1024 * 1024)),
        )
    };
    let file = open_regular(path)?;
    // Refused before reading when its size already says so; `take` still bounds a growing file.
    if file.metadata()?.len() > max {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(bytes)
}
