//! Finding the artifacts to scan and the device each belongs to.
//!
//! Each path given is walked like ripgrep walks (`.gitignore`, `.ignore` honoured, even
//! outside a git checkout). Links are never followed: one that points out of the scanned root
//! is reported as skipped, one that points inside it is skipped because its target is scanned
//! where it is. FIFOs, sockets and devices are skipped unread. Files group into devices: each
//! immediate subfolder of a scanned folder is a device, files directly in it belong to a
//! device named after the folder, unless a `fleet.toml` inventory in the folder maps device
//! ids to paths (docs/fleet.md). `drone-audit.toml` in a scanned folder is its policy.

use crate::analyze::source::parse_toml;
use crate::policy::POLICY_FILE_NAME;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The inventory file a scanned folder may hold.
pub const INVENTORY_FILE_NAME: &str = "fleet.toml";

/// What the walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Regular files to identify and analyze, sorted by path.
    pub files: Vec<DiscoveredFile>,
    /// Entries that were deliberately not read (links, FIFOs…), with the reason.
    pub skipped: Vec<SkippedFile>,
    /// Entries that could not be walked (permissions, I/O errors): the scan is incomplete.
    pub unreadable: Vec<SkippedFile>,
    /// Every device, by id.
    pub devices: BTreeMap<String, DeviceInfo>,
    /// `drone-audit.toml` files found in the scanned folders.
    pub policy_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredFile {
    pub path: PathBuf,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub device: Option<String>,
    pub reason: String,
}

/// A device and what the inventory says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    pub id: String,
    #[serde(default, skip_serializing)]
    pub paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The unit or team that flies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inventory {
    device: Vec<DeviceInfo>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{path}: no such file or folder")]
    NotFound { path: String },
    #[error("{file}: {message}")]
    Inventory { file: String, message: String },
}

/// Walks every path and groups what it finds into devices.
pub fn discover(paths: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let mut discovery = Discovery::default();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|_| DiscoverError::NotFound {
            path: display(path),
        })?;
        if metadata.is_dir() {
            walk_folder(path, &mut discovery)?;
        } else {
            add_single_file(path, metadata.is_file(), &mut discovery);
        }
    }
    discovery.files.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.files.dedup_by(|a, b| a.path == b.path);
    discovery.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.skipped.dedup_by(|a, b| a.path == b.path);
    discovery.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.policy_files.sort();
    discovery.policy_files.dedup();
    Ok(discovery)
}

/// A path as reports show it: forward slashes, no leading `./`.
pub fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

fn add_single_file(path: &Path, is_file: bool, discovery: &mut Discovery) {
    let device = fs::canonicalize(path)
        .ok()
        .and_then(|real| {
            real.parent()
                .and_then(|parent| parent.file_name())
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "device".to_owned());
    add_device(discovery, &device);
    if is_file {
        discovery.files.push(DiscoveredFile {
            path: path.to_path_buf(),
            device,
        });
    } else {
        discovery.skipped.push(SkippedFile {
            path: path.to_path_buf(),
            device: Some(device),
            reason: "not a regular file (FIFO, socket or device)".to_owned(),
        });
    }
}

fn add_device(discovery: &mut Discovery, id: &str) {
    discovery
        .devices
        .entry(id.to_owned())
        .or_insert_with(|| DeviceInfo {
            id: id.to_owned(),
            ..DeviceInfo::default()
        });
}

fn walk_folder(root: &Path, discovery: &mut Discovery) -> Result<(), DiscoverError> {
    let real_root = fs::canonicalize(root).map_err(|_| DiscoverError::NotFound {
        path: display(root),
    })?;
    let root_name = real_root.file_name().map_or_else(
        || "root".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let inventory = read_inventory(root)?;
    if let Some(devices) = &inventory {
        for device in devices {
            discovery.devices.insert(device.id.clone(), device.clone());
        }
    }
    if root.join(POLICY_FILE_NAME).is_file() {
        discovery.policy_files.push(root.join(POLICY_FILE_NAME));
    }
    for entry in walk_entries(root) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                discovery.unreadable.push(SkippedFile {
                    path,
                    device: None,
                    reason: format!("cannot be walked: {error}"),
                });
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            continue;
        }
        if entry.depth() == 1
            && (relative == Path::new(POLICY_FILE_NAME)
                || relative == Path::new(INVENTORY_FILE_NAME))
        {
            continue;
        }
        let device = match &inventory {
            Some(devices) => devices
                .iter()
                .find(|device| {
                    device
                        .paths
                        .iter()
                        .any(|prefix| relative.starts_with(prefix))
                })
                .map(|device| device.id.clone()),
            None if entry.depth() == 1 => Some(root_name.clone()),
            None => relative
                .components()
                .next()
                .and_then(|component| match component {
                    Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                    _ => None,
                }),
        };
        let path = entry.path().to_path_buf();
        let Some(device) = device else {
            discovery.skipped.push(SkippedFile {
                path,
                device: None,
                reason: format!("not assigned to any device in {INVENTORY_FILE_NAME}"),
            });
            continue;
        };
        add_device(discovery, &device);
        if file_type.is_symlink() {
            let reason = link_reason(entry.path(), &real_root);
            discovery.skipped.push(SkippedFile {
                path,
                device: Some(device),
                reason,
            });
        } else if file_type.is_file() {
            discovery.files.push(DiscoveredFile { path, device });
        } else {
            discovery.skipped.push(SkippedFile {
                path,
                device: Some(device),
                reason: "not a regular file (FIFO, socket or device)".to_owned(),
            });
        }
    }
    Ok(())
}

/// Every entry under `root`, walked in parallel (the walk is mostly waiting on the file
/// system), in path order so that what follows is deterministic.
fn walk_entries(root: &Path) -> Vec<Result<ignore::DirEntry, ignore::Error>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .parents(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build_parallel()
        .run(|| {
            let sender = sender.clone();
            Box::new(move |entry| {
                // The receiver outlives the walk, so sending cannot fail.
                let _ = sender.send(entry);
                ignore::WalkState::Continue
            })
        });
    drop(sender);
    let mut entries: Vec<_> = receiver.into_iter().collect();
    let key = |entry: &Result<ignore::DirEntry, ignore::Error>| match entry {
        Ok(entry) => entry.path().to_path_buf(),
        Err(error) => error_path(error).unwrap_or_default(),
    };
    entries.sort_by_cached_key(key);
    entries
}

fn link_reason(link: &Path, real_root: &Path) -> String {
    match fs::canonicalize(link) {
        Err(error) => format!("symbolic link that cannot be resolved (broken or a loop): {error}"),
        Ok(target) if target.starts_with(real_root) => {
            "symbolic link inside the scan root: not followed, its target is scanned where it is"
                .to_owned()
        }
        Ok(target) => format!(
            "symbolic link to {} outside the scan root: not followed",
            display(&target)
        ),
    }
}

fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn read_inventory(root: &Path) -> Result<Option<Vec<DeviceInfo>>, DiscoverError> {
    let path = root.join(INVENTORY_FILE_NAME);
    if !path.is_file() {
        return Ok(None);
    }
    let file = display(&path);
    let fail = |message: String| DiscoverError::Inventory {
        file: file.clone(),
        message,
    };
    let text = fs::read_to_string(&path).map_err(|error| fail(format!("cannot read: {error}")))?;
    let source = parse_toml(&text).map_err(|error| fail(error.to_string()))?;
    let inventory: Inventory = serde_path_to_error::deserialize(&source.value)
        .map_err(|error| fail(format!("`{}`: {}", error.path(), error.inner())))?;
    let mut devices = inventory.device;
    let mut seen = BTreeMap::new();
    for (index, device) in devices.iter_mut().enumerate() {
        if seen.insert(device.id.clone(), index).is_some() {
            return Err(fail(format!("device id `{}` is listed twice", device.id)));
        }
        if device.paths.is_empty() {
            return Err(fail(format!("device `{}` has no paths", device.id)));
        }
        for prefix in &mut device.paths {
            *prefix = normalize_inventory_path(prefix).ok_or_else(|| {
                fail(format!(
                    "device `{}`: path `{prefix}` must name a file or folder inside the scanned folder",
                    device.id
                ))
            })?;
        }
    }
    Ok(Some(devices))
}

/// `./hq//mavic/` → `hq/mavic`; `None` for paths that are empty, absolute, or leave the folder.
fn normalize_inventory_path(prefix: &str) -> Option<String> {
    let mut parts = Vec::new();
    for component in Path::new(prefix).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn subfolders_are_devices_and_root_files_belong_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("fleet");
        write(&root, "alpha/profile.toml", "");
        write(&root, "alpha/logs/1.ulg", "");
        write(&root, "beta/profile.json", "");
        write(&root, "loose.conf", "");
        write(&root, "drone-audit.toml", "");
        let discovery = discover(std::slice::from_ref(&root)).unwrap();
        let devices: Vec<&str> = discovery
            .files
            .iter()
            .map(|file| file.device.as_str())
            .collect();
        assert_eq!(devices, ["alpha", "alpha", "beta", "fleet"]);
        assert_eq!(discovery.policy_files, [root.join("drone-audit.toml")]);
    }

    #[test]
    fn gitignore_is_honoured_without_a_git_checkout() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".gitignore", "*.bak\n");
        write(dir.path(), "d/a.toml", "");
        write(dir.path(), "d/a.bak", "");
        let discovery = discover(&[dir.path().to_path_buf()]).unwrap();
        let paths: Vec<String> = discovery
            .files
            .iter()
            .map(|file| display(&file.path))
            .collect();
        assert!(paths.iter().any(|path| path.ends_with("d/a.toml")));
        assert!(!paths.iter().any(|path| path.ends_with(".bak")));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        write(&outside, "secret.toml", "");
        let root = dir.path().join("root");
        write(&root, "d/real.toml", "");
        std::os::unix::fs::symlink(outside.join("secret.toml"), root.join("d/escape.toml"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("d/real.toml"), root.join("d/inside.toml")).unwrap();
        std::os::unix::fs::symlink(root.join("d/loop"), root.join("d/loop")).unwrap();
        let discovery = discover(&[root]).unwrap();
        assert_eq!(discovery.files.len(), 1);
        let reasons: Vec<&str> = discovery
            .skipped
            .iter()
            .map(|skipped| skipped.reason.as_str())
            .collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons
            .iter()
            .any(|reason| reason.contains("outside the scan root")));
        assert!(reasons
            .iter()
            .any(|reason| reason.contains("inside the scan root")));
        assert!(reasons
            .iter()
            .any(|reason| reason.contains("broken or a loop")));
    }

    #[test]
    fn inventory_maps_paths_to_devices() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fleet.toml",
            "[[device]]\nid = \"m2e-01\"\npaths = [\"hq/mavic\"]\nserial = \"163DF\"\n",
        );
        write(dir.path(), "hq/mavic/profile.toml", "");
        write(dir.path(), "hq/other/profile.toml", "");
        let discovery = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(discovery.files.len(), 1);
        assert_eq!(discovery.files[0].device, "m2e-01");
        assert_eq!(discovery.devices["m2e-01"].serial.as_deref(), Some("163DF"));
        assert!(discovery.skipped[0].reason.contains("not assigned"));
    }

    #[test]
    fn bad_inventory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fleet.toml",
            "[[device]]\nid = \"x\"\npaths = [\"../etc\"]\n",
        );
        let error = discover(&[dir.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("fleet.toml") && error.contains("inside the scanned folder"),
            "{error}"
        );
    }

    #[test]
    fn inventory_paths_are_normalised_and_must_name_something_inside() {
        assert_eq!(
            normalize_inventory_path("./hq//mavic/").as_deref(),
            Some("hq/mavic")
        );
        for bad in ["", ".", "./", "/etc", "hq/../../etc"] {
            assert_eq!(normalize_inventory_path(bad), None, "{bad:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "fleet.toml",
            "[[device]]\nid = \"a\"\npaths = [\"./hq/mavic\"]\n",
        );
        write(dir.path(), "hq/mavic/profile.toml", "");
        let discovery = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(discovery.files[0].device, "a");
        write(
            dir.path(),
            "fleet.toml",
            "[[device]]\nid = \"a\"\npaths = [\"\"]\n",
        );
        assert!(discover(&[dir.path().to_path_buf()]).is_err());
    }

    #[test]
    fn missing_paths_are_errors() {
        assert!(discover(&[PathBuf::from("/no/such/place")])
            .unwrap_err()
            .to_string()
            .contains("no such file"));
    }
}
