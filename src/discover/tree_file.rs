//! Reading the files of a scanned tree that steer the scan itself (ignore files, the
//! `fleet.toml` inventory, a `drone-audit.toml` policy) as the untrusted input they are.
//!
//! Such a file is read only when it is a regular file inside its folder: a symbolic link
//! that leaves the folder, a FIFO (opening one for reading blocks until a writer comes) and a
//! device (`/dev/zero` never ends) are refused unread. The checks are made on the handle that
//! was opened, not only on the path, so a file swapped between the check and the read is
//! refused too. Each kind of file has a size bound, and nothing beyond it is read. Messages
//! about a file's content quote at most a short excerpt of the offending line
//! ([`toml_error`], [`excerpt`]): a file that could be made to stand for
//! `/proc/self/environ` must not have its tokens printed.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// Largest `.gitignore` or `.ignore` file read (1 MiB; ripgrep's own repository's is 80 bytes).
pub const IGNORE_FILE_BOUND: u64 = 1 << 20;
/// Largest `fleet.toml` inventory read (16 MiB: some 100,000 devices of 150 bytes each).
pub const INVENTORY_BOUND: u64 = 16 << 20;
/// Largest policy file read (4 MiB: thousands of firmware entries and waivers).
pub const POLICY_BOUND: u64 = 4 << 20;

/// Most characters of a file's line, or of a parser's message about it, quoted in a message.
const EXCERPT_CHARS: usize = 40;
/// Most characters of one error message about a file's content.
const MESSAGE_CHARS: usize = 200;

/// Why a file of the scanned tree was not read.
#[derive(Debug, thiserror::Error)]
pub enum TreeFileError {
    #[error("a symbolic link out of the scanned folder: not read")]
    LeavesFolder,
    #[error("a symbolic link that cannot be resolved (broken or a loop): {0}")]
    BrokenLink(io::Error),
    #[error("not a regular file (FIFO, socket or device): not read")]
    NotRegular,
    #[error("{size} bytes, over the {bound}-byte bound for this file: not read")]
    TooLarge { size: u64, bound: u64 },
    #[error("changed while it was being opened: not read")]
    Changed,
    #[error("cannot be read: {0}")]
    Io(#[from] io::Error),
}

/// The bytes of `path`, a file that must lie inside `folder` (a canonical path), or `None`
/// when there is no such file. A link is followed only when it stays inside `folder`.
pub fn read(path: &Path, folder: &Path, bound: u64) -> Result<Option<Vec<u8>>, TreeFileError> {
    let entry = match fs::symlink_metadata(path) {
        Ok(entry) => entry,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let target = if entry.file_type().is_symlink() {
        let target = fs::canonicalize(path).map_err(TreeFileError::BrokenLink)?;
        if !target.starts_with(folder) {
            return Err(TreeFileError::LeavesFolder);
        }
        target
    } else {
        path.to_path_buf()
    };
    // The target is checked before it is opened: opening some devices has effects.
    let expected = fs::metadata(&target)?;
    check_regular(&expected, bound)?;
    let file = open_not_following(&target)?;
    let opened = file.metadata()?;
    if !same_file(&expected, &opened) {
        return Err(TreeFileError::Changed);
    }
    check_regular(&opened, bound)?;
    read_bounded(file, opened.len(), bound).map(Some)
}

/// The bytes of a file the user named on the command line (a trusted policy): any kind of
/// file (`<(git show …)` is a pipe), but no more than `bound` bytes of it.
pub fn read_named(path: &Path, bound: u64) -> Result<Vec<u8>, TreeFileError> {
    let file = fs::File::open(path)?;
    let size = file.metadata()?.len();
    read_bounded(file, size, bound)
}

fn read_bounded(file: fs::File, size: u64, bound: u64) -> Result<Vec<u8>, TreeFileError> {
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(bound)).unwrap_or(0));
    file.take(bound.saturating_add(1)).read_to_end(&mut bytes)?;
    let read = bytes.len() as u64;
    if read > bound {
        return Err(TreeFileError::TooLarge { size: read, bound });
    }
    Ok(bytes)
}

fn check_regular(metadata: &fs::Metadata, bound: u64) -> Result<(), TreeFileError> {
    if !metadata.is_file() {
        return Err(TreeFileError::NotRegular);
    }
    if metadata.len() > bound {
        return Err(TreeFileError::TooLarge {
            size: metadata.len(),
            bound,
        });
    }
    Ok(())
}

/// Opens without following a link in the last component, and without blocking on a FIFO
/// put there since the check.
#[cfg(unix)]
fn open_not_following(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_not_following(path: &Path) -> io::Result<fs::File> {
    fs::File::open(path)
}

#[cfg(unix)]
fn same_file(expected: &fs::Metadata, opened: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    expected.dev() == opened.dev() && expected.ino() == opened.ino()
}

#[cfg(not(unix))]
fn same_file(expected: &fs::Metadata, opened: &fs::Metadata) -> bool {
    expected.len() == opened.len() && expected.file_type() == opened.file_type()
}

/// At most [`EXCERPT_CHARS`] characters of `text`, control characters escaped, `…` where
/// it was cut.
pub fn excerpt(text: &str) -> String {
    bounded(text.trim(), EXCERPT_CHARS)
}

/// An error message about a file's content, cut to [`MESSAGE_CHARS`] characters (serde's
/// messages quote whole values: `invalid type: string "…"`).
pub fn bounded_message(message: &str) -> String {
    bounded(message, MESSAGE_CHARS)
}

fn bounded(text: &str, limit: usize) -> String {
    let mut shown = String::new();
    for (count, character) in text.chars().enumerate() {
        if count == limit {
            shown.push('…');
            break;
        }
        if character.is_control() {
            shown.extend(character.escape_default());
        } else {
            shown.push(character);
        }
    }
    shown
}

/// Why `text` is not TOML, as "line L, column C: what is wrong (at `excerpt`)". The toml
/// crate's own message quotes the whole offending line, which may hold a secret.
pub fn toml_error(text: &str) -> Option<String> {
    let error = toml::de::DeTable::parse(text).err()?;
    let start = error.span().map_or(0, |span| span.start).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |at| start + at);
    let line = text[..start].matches('\n').count() + 1;
    let column = text[line_start..start].chars().count() + 1;
    let message = error.message().lines().collect::<Vec<_>>().join("; ");
    let quoted = excerpt(&text[start..line_end]);
    let at = if quoted.is_empty() {
        String::new()
    } else {
        format!(" (at `{quoted}`)")
    };
    Some(format!(
        "invalid TOML: line {line}, column {column}: {}{at}",
        bounded_message(&message)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_inside_is_read_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().canonicalize().unwrap();
        fs::write(folder.join("a.toml"), "x = 1\n").unwrap();
        assert_eq!(
            read(&folder.join("a.toml"), &folder, 100).unwrap(),
            Some(b"x = 1\n".to_vec())
        );
        assert!(read(&folder.join("none.toml"), &folder, 100)
            .unwrap()
            .is_none());
        assert!(matches!(
            read(&folder.join("a.toml"), &folder, 3),
            Err(TreeFileError::TooLarge { size: 6, bound: 3 })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_folder_and_devices_are_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("tree");
        fs::create_dir(&folder).unwrap();
        let folder = folder.canonicalize().unwrap();
        fs::write(dir.path().join("secret.toml"), "token = \"s3cr3t\"\n").unwrap();
        fs::write(folder.join("inside.toml"), "x = 1\n").unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, folder.join(name)).unwrap();
            folder.join(name)
        };
        let out = link(&dir.path().join("secret.toml"), "out.toml");
        assert!(matches!(
            read(&out, &folder, 100),
            Err(TreeFileError::LeavesFolder)
        ));
        let zero = link(Path::new("/dev/zero"), "zero");
        assert!(matches!(
            read(&zero, &folder, 100),
            Err(TreeFileError::LeavesFolder)
        ));
        let inside = link(&folder.join("inside.toml"), "in.toml");
        assert_eq!(
            read(&inside, &folder, 100).unwrap(),
            Some(b"x = 1\n".to_vec())
        );
        let broken = link(&folder.join("nowhere"), "broken.toml");
        assert!(matches!(
            read(&broken, &folder, 100),
            Err(TreeFileError::BrokenLink(_))
        ));
        // A device inside the folder given (here the folder is /dev itself).
        assert!(matches!(
            read(Path::new("/dev/zero"), Path::new("/dev"), 100),
            Err(TreeFileError::NotRegular)
        ));
    }

    #[test]
    fn a_named_file_is_read_up_to_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_named(&path, 10).unwrap().len(), 10);
        assert!(matches!(
            read_named(&path, 9),
            Err(TreeFileError::TooLarge { .. })
        ));
        #[cfg(unix)]
        assert!(matches!(
            read_named(Path::new("/dev/zero"), 1000),
            Err(TreeFileError::TooLarge { size: 1001, .. })
        ));
    }

    #[test]
    fn toml_errors_quote_a_short_excerpt_only() {
        let secret = "A".repeat(200);
        let text = format!("[device]\nid = \"x\"\nGITHUB_TOKEN={secret} more\n");
        let message = toml_error(&text).unwrap();
        assert!(
            message.starts_with("invalid TOML: line 3, column"),
            "{message}"
        );
        assert!(!message.contains(&secret), "{message}");
        assert!(message.chars().count() < 320, "{message}");
        assert!(toml_error("x = 1\n").is_none());
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        let long = excerpt(&"x".repeat(100));
        assert_eq!(long.chars().count(), EXCERPT_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
