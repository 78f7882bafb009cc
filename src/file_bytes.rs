//! An artifact's bytes, as the analyzers see them: small files read into memory, large ones
//! memory-mapped. Reading a 200 MB flight log copied it from the page cache into fresh pages,
//! which was most of the time `inspect` took; a map shares the page cache's pages instead.
//!
//! The map is the crate's one `unsafe` block. A file-backed map is undefined behaviour if the
//! file changes while it is mapped, and the process is killed (SIGBUS) if the file is
//! truncated or a page of it cannot be read (a failing card, a drive pulled out): drone-audit
//! reads folders of collected evidence, which nothing should be writing while they are audited,
//! from local disks (docs/limits.md says so). Files under `MAP_THRESHOLD` are read, so the
//! common small configuration file never takes that risk, and a file that cannot be mapped
//! (some FUSE and network file systems) is read instead.

use memmap2::{Mmap, MmapOptions};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::ops::Deref;
use std::path::Path;

/// Files at least this large are mapped rather than read: below it, reading costs less than
/// setting up and tearing down a map.
const MAP_THRESHOLD: u64 = 8 << 20;

/// The whole content of a file.
pub enum FileBytes {
    Read(Vec<u8>),
    Mapped(Mmap),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Read(bytes) => bytes,
            FileBytes::Mapped(map) => map,
        }
    }
}

/// Why a file that is not a regular file is not read.
pub const NOT_A_REGULAR_FILE: &str = "not a regular file (FIFO, socket or device)";

/// Opens a regular file for reading, and only a regular file: opening a FIFO does not wait
/// for a writer (it would block the scan for ever), and a device or a FIFO swapped in for
/// the file after the walk looked at it is refused by the open handle's own metadata.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NOT_A_REGULAR_FILE,
        ));
    }
    Ok(file)
}

/// The content of `file`, at most `max_size` bytes: a larger one is an error that gives its
/// size and the limit. A file that grows while it is read (or whose metadata understates it,
/// as procfs and some FUSE file systems do) is read no further than the limit either.
pub fn load(file: &mut File, max_size: u64) -> io::Result<FileBytes> {
    let size = file.metadata()?.len();
    if size > max_size {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("file is {size} bytes, over the {max_size}-byte limit (--max-file-size)"),
        ));
    }
    if size >= MAP_THRESHOLD {
        if let Ok(map) = map(file) {
            return Ok(FileBytes::Mapped(map));
        }
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_size {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("file grew past the {max_size}-byte limit (--max-file-size) while it was read"),
        ));
    }
    Ok(FileBytes::Read(bytes))
}

#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<Mmap> {
    // SAFETY: the map is read-only; the file is evidence that nothing should change while it
    // is audited (see the module's documentation). `populate` reads the whole file in at once,
    // as every analyzer reads it from start to end.
    let map = unsafe { MmapOptions::new().populate().map(file)? };
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(size: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
        let content: Vec<u8> = (0..size).map(|index| (index % 251) as u8).collect();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&content).unwrap();
        file.flush().unwrap();
        (file, content)
    }

    #[test]
    fn small_files_are_read_and_large_ones_mapped_with_the_same_bytes() {
        for (size, mapped) in [(0, false), (100, false), (MAP_THRESHOLD as usize + 5, true)] {
            let (file, content) = file_of(size);
            let mut handle = file.reopen().unwrap();
            let bytes = load(&mut handle, u64::MAX).unwrap();
            assert_eq!(
                matches!(bytes, FileBytes::Mapped(_)),
                mapped,
                "{size} bytes"
            );
            assert_eq!(&bytes[..], &content[..]);
        }
    }
}
