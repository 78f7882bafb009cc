//! The ignore files of a walk (`.ignore`, `.gitignore`), read by drone-audit itself through
//! [`tree_file::read`] and compiled with the `ignore` crate's gitignore matcher.
//!
//! The `ignore` crate's walker opens these files itself, with no check: a FIFO named
//! `.gitignore` blocked the scan forever and a `.ignore` linked to `/dev/zero` was read until
//! memory ran out. So the walk reads them like any file of the scanned tree (regular, inside
//! the folder, at most [`IGNORE_FILE_BOUND`] bytes) and applies them with the semantics
//! ripgrep gives them without a git checkout: the files of the folders above the scanned one
//! count too; in each folder `.ignore` wins over `.gitignore`; a deeper folder's file wins
//! over a shallower one's; the last matching line of a file decides, and `!` re-includes.
//! A file that cannot be read is reported and its patterns are not applied: what it would
//! have excluded is scanned (more evidence, never less).

use super::tree_file::{self, TreeFileError, IGNORE_FILE_BOUND};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// The ignore files a folder may hold, most decisive first.
const IGNORE_FILE_NAMES: [&str; 2] = [".ignore", ".gitignore"];

/// An ignore file that was not read, and why.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub error: TreeFileError,
}

/// The matchers of one folder, at its depth in the walk (0: the scanned folder and those above).
struct Level {
    depth: usize,
    /// One per [`IGNORE_FILE_NAMES`], in that order.
    matchers: [Gitignore; 2],
}

/// The ignore files in force at the walk's place: those of the folders from the top of the
/// file system down to the folder being walked.
pub struct IgnoreStack {
    levels: Vec<Level>,
}

impl IgnoreStack {
    /// The ignore files of the scanned folder `real_root` (canonical) and of those above it.
    /// A folder above is not scanned: its files are judged against that folder alone.
    pub fn for_root(real_root: &Path, refused: &mut Vec<Refused>) -> IgnoreStack {
        let mut stack = IgnoreStack { levels: Vec::new() };
        let mut folders: Vec<&Path> = real_root.ancestors().collect();
        folders.reverse();
        for folder in folders {
            stack.enter(0, folder, folder, refused);
        }
        stack
    }

    /// The walk entered `folder` (`real`: its canonical path, inside `scanned`), at `depth`.
    pub fn enter(&mut self, depth: usize, real: &Path, scanned: &Path, refused: &mut Vec<Refused>) {
        let matchers = IGNORE_FILE_NAMES.map(|name| matcher(real, name, scanned, refused));
        if matchers.iter().all(Gitignore::is_empty) {
            return;
        }
        self.levels.push(Level { depth, matchers });
    }

    /// The walk is at an entry of `depth`: the folders at that depth or deeper are left.
    pub fn leave_to(&mut self, depth: usize) {
        while self.levels.last().is_some_and(|level| level.depth >= depth) {
            self.levels.pop();
        }
    }

    /// Whether the entry at `real` (canonical) is ignored.
    pub fn is_ignored(&self, real: &Path, is_dir: bool) -> bool {
        for kind in 0..IGNORE_FILE_NAMES.len() {
            for level in self.levels.iter().rev() {
                let decision = level.matchers[kind].matched(real, is_dir);
                if !decision.is_none() {
                    return decision.is_ignore();
                }
            }
        }
        false
    }
}

/// The matcher of the ignore file `name` in `folder`, empty when there is none or it cannot
/// be read (then it is in `refused`). Lines that are not valid patterns are left out, as git
/// does.
fn matcher(folder: &Path, name: &str, scanned: &Path, refused: &mut Vec<Refused>) -> Gitignore {
    let path = folder.join(name);
    let bytes = match tree_file::read(&path, scanned, IGNORE_FILE_BOUND) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Gitignore::empty(),
        Err(error) => {
            refused.push(Refused { path, error });
            return Gitignore::empty();
        }
    };
    let mut builder = GitignoreBuilder::new(folder);
    for line in String::from_utf8_lossy(&bytes).lines() {
        // An invalid pattern only drops that line: more is scanned, never less.
        let _ = builder.add_line(Some(path.clone()), line);
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn deeper_files_and_dot_ignore_decide() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join(".gitignore"), "*.bak\n*.log\n").unwrap();
        fs::write(root.join("d/.ignore"), "keep.log\n").unwrap();
        fs::write(root.join("d/.gitignore"), "!keep.bak\n!keep.log\n").unwrap();
        let mut refused = Vec::new();
        let mut stack = IgnoreStack::for_root(&root, &mut refused);
        assert!(stack.is_ignored(&root.join("a.bak"), false));
        assert!(!stack.is_ignored(&root.join("a.toml"), false));
        stack.enter(1, &root.join("d"), &root, &mut refused);
        assert!(!stack.is_ignored(&root.join("d/keep.bak"), false));
        assert!(stack.is_ignored(&root.join("d/other.bak"), false));
        assert!(
            stack.is_ignored(&root.join("d/keep.log"), false),
            ".ignore wins over .gitignore"
        );
        stack.leave_to(1);
        assert!(stack.is_ignored(&root.join("e/keep.bak"), false));
        assert!(refused.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn an_ignore_file_that_is_not_a_regular_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join(".ignore")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join(".gitignore"))
            .status()
            .unwrap();
        assert!(status.success());
        let mut refused = Vec::new();
        let stack = IgnoreStack::for_root(&root, &mut refused);
        assert!(!stack.is_ignored(&root.join("a"), false));
        let reasons: Vec<String> = refused
            .iter()
            .map(|refused| refused.error.to_string())
            .collect();
        assert_eq!(refused.len(), 2, "{reasons:?}");
        assert!(reasons
            .iter()
            .any(|reason| reason.contains("out of the scanned folder")));
        assert!(reasons
            .iter()
            .any(|reason| reason.contains("not a regular file")));
    }
}
