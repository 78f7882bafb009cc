//! Finding the artifacts to scan and the device each belongs to.
//!
//! Each path given is walked like ripgrep walks (`.gitignore`, `.ignore` honoured, even
//! outside a git checkout; not the global excludes nor `.git/info/exclude`, which belong to
//! one machine, not to the fleet's files). Links are never followed: one that points out of
//! the scanned root is reported as skipped, one that points inside it is skipped because its
//! target is scanned where it is. FIFOs, sockets and devices are skipped unread. Files group into devices: each
//! immediate subfolder of a scanned folder is a device, files directly in it belong to a
//! device named after the folder, unless a `fleet.toml` inventory in the folder maps device
//! ids to paths (docs/fleet.md). `drone-audit.toml` in a scanned folder is its policy.
//!
//! The scanned tree is untrusted, its ignore files, inventory and policy included: each is
//! read through [`tree_file::read`] (a regular file inside the folder, size-bounded, never
//! quoted beyond a short excerpt), and the ignore files by the walk itself
//! ([`ignore_files`]), not by the `ignore` crate's walker, which opens them unchecked.

pub mod ignore_files;
pub mod tree_file;

use crate::file_bytes::NOT_A_REGULAR_FILE;
use crate::shard::Shard;
use crate::source::parse_toml;
use ignore_files::IgnoreStack;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The file name a scanned root may hold its policy in.
pub const POLICY_FILE_NAME: &str = "drone-audit.toml";

/// The inventory file a scanned folder may hold.
pub const INVENTORY_FILE_NAME: &str = "fleet.toml";

/// The paths to scan, checked, with what the folders among them hold at their top: an
/// inventory (`fleet.toml`) and a policy (`drone-audit.toml`).
#[derive(Debug)]
pub struct Roots {
    roots: Vec<Root>,
    /// `drone-audit.toml` files found in the scanned folders, sorted (not read yet: a scan
    /// may be told not to use them).
    pub policy_files: Vec<FoundPolicy>,
}

/// A `drone-audit.toml` found at the top of a scanned folder: untrusted input, read only
/// from inside that folder ([`tree_file::read`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundPolicy {
    /// As reports show it: the scanned folder as given, joined with the file name.
    pub path: PathBuf,
    /// The scanned folder, canonical: the file must be inside it.
    pub folder: PathBuf,
}

#[derive(Debug)]
enum Root {
    Folder {
        path: PathBuf,
        /// The folder with links resolved: links are judged against it.
        real: PathBuf,
        /// The device that files directly in the folder belong to.
        name: String,
        inventory: Option<Vec<DeviceInfo>>,
    },
    /// A path given that is not a folder: a regular file, or a FIFO, socket or device.
    File { path: PathBuf, is_file: bool },
}

/// A device and its files, sorted by path, as the walk hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDevice {
    pub info: DeviceInfo,
    pub files: Vec<PathBuf>,
}

/// What the walk did not read.
#[derive(Debug, Default)]
pub struct Unread {
    /// Entries that were deliberately not read (links, FIFOs…), with the reason, by path.
    pub skipped: Vec<SkippedFile>,
    /// Entries that could not be walked (permissions, I/O errors): the scan is incomplete.
    pub unreadable: Vec<SkippedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub device: Option<String>,
    pub reason: String,
}

/// A device and what the inventory says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

impl DeviceInfo {
    fn named(id: &str) -> DeviceInfo {
        DeviceInfo {
            id: id.to_owned(),
            ..DeviceInfo::default()
        }
    }
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

/// Checks every path, and reads the inventory and finds the policy of each folder among them.
pub fn roots(paths: &[PathBuf]) -> Result<Roots, DiscoverError> {
    let mut roots = Vec::with_capacity(paths.len());
    let mut policy_files = Vec::new();
    for path in paths {
        let not_found = || DiscoverError::NotFound {
            path: display(path),
        };
        let metadata = fs::metadata(path).map_err(|_| not_found())?;
        if !metadata.is_dir() {
            roots.push(Root::File {
                path: path.clone(),
                is_file: metadata.is_file(),
            });
            continue;
        }
        let real = fs::canonicalize(path).map_err(|_| not_found())?;
        let name = real
            .file_name()
            .map_or_else(|| "root".to_owned(), device_name);
        // Whatever is there under that name (a link, a FIFO) is the folder's policy: it is
        // read, and refused if it is not a regular file inside the folder, only if it is used.
        if fs::symlink_metadata(path.join(POLICY_FILE_NAME)).is_ok() {
            policy_files.push(FoundPolicy {
                path: path.join(POLICY_FILE_NAME),
                folder: real.clone(),
            });
        }
        roots.push(Root::Folder {
            inventory: read_inventory(path, &real)?,
            path: path.clone(),
            real,
            name,
        });
    }
    policy_files.sort();
    policy_files.dedup_by(|a, b| a.path == b.path);
    Ok(Roots {
        roots,
        policy_files,
    })
}

impl Roots {
    /// The roots as `compare` reads its candidates: a folder is one device, as it would be
    /// inside a fleet folder given to `scan`, unless it is a fleet itself: it has an
    /// inventory (`fleet.toml`), or nothing at its top but subfolders (and the policy, the
    /// inventory and hidden files such as `.gitignore`), which are then its devices.
    pub fn as_candidates(mut self) -> Roots {
        for root in &mut self.roots {
            if let Root::Folder {
                real,
                name,
                inventory: inventory @ None,
                ..
            } = root
            {
                if holds_device_files(real) {
                    // Every path under the folder starts with the empty path: one device.
                    *inventory = Some(vec![DeviceInfo {
                        paths: vec![String::new()],
                        ..DeviceInfo::named(name)
                    }]);
                }
            }
        }
        self
    }
}

/// Whether a folder holds a file of its own at its top (not the policy, the inventory or a
/// hidden file): then it is a device's folder, not a fleet's. A link or a FIFO counts, as the
/// walk lists it under the folder's device.
fn holds_device_files(real: &Path) -> bool {
    let Ok(entries) = fs::read_dir(real) else {
        // The walk reports the folder as unreadable; read as a fleet, it does so unchanged.
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let hidden = name.as_encoded_bytes().starts_with(b".");
        let own = name == POLICY_FILE_NAME || name == INVENTORY_FILE_NAME;
        !hidden && !own && entry.file_type().is_ok_and(|kind| !kind.is_dir())
    })
}

/// A path as reports show it: forward slashes, no leading `./`.
pub fn display(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

impl Roots {
    /// Walks every path and hands each device to `found` once the walk is past every place
    /// its files can be, so that devices are scanned while the walk goes on. That is as soon
    /// as the walk leaves the device's subfolder when one folder is scanned without an
    /// inventory; otherwise (an inventory maps any path to any device, and two scanned folders
    /// may hold subfolders of one name) devices are handed over when the whole walk is done.
    /// Each device is handed over once; those left at the end go in order of their ids.
    pub fn walk(&self, found: &mut dyn FnMut(FoundDevice)) -> Unread {
        self.walk_shard(None, found)
    }

    /// Walks like [`Roots::walk`], for one shard: hands over only the shard's devices and
    /// returns only the shard's records of what was not read, so that every record is in
    /// exactly one shard's part. A subfolder whose device (its name) is another shard's is
    /// not entered at all, where that is sure to change nothing: in a folder without an
    /// inventory (which may map a path anywhere), and when no path given lies inside another
    /// (one path could otherwise reach the pruned folder's files under another device).
    /// What the walk could not read inside a device's subfolder then belongs to that
    /// device's shard (it alone enters it); what it could not read elsewhere, to shard 1.
    pub fn walk_shard(&self, shard: Option<Shard>, found: &mut dyn FnMut(FoundDevice)) -> Unread {
        let streaming = self.roots.len() == 1;
        let mut walk = Walk {
            devices: BTreeMap::new(),
            seen: (!streaming).then(HashSet::new),
            unread: Unread::default(),
            found,
            refused_ignore_files: HashSet::new(),
            shard,
            prune: shard.is_some() && !self.overlap(),
        };
        for root in &self.roots {
            match root {
                Root::File { path, is_file } => walk.add_single_file(path, *is_file),
                Root::Folder {
                    path,
                    real,
                    name,
                    inventory,
                } => walk.walk_folder(path, real, name, inventory.as_deref(), streaming),
            }
        }
        let remaining = std::mem::take(&mut walk.devices);
        for device in remaining.into_values() {
            walk.hand_over(device);
        }
        let mut unread = walk.unread;
        unread.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        unread.skipped.dedup_by(|a, b| a.path == b.path);
        unread.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
        unread
    }

    /// Whether one path given is inside another (or is it): the walk of one then reaches
    /// files of the other.
    fn overlap(&self) -> bool {
        let reals: Vec<PathBuf> = self
            .roots
            .iter()
            .map(|root| match root {
                Root::Folder { real, .. } => real.clone(),
                Root::File { path, .. } => fs::canonicalize(path).unwrap_or_else(|_| path.clone()),
            })
            .collect();
        reals.iter().enumerate().any(|(index, real)| {
            reals
                .iter()
                .enumerate()
                .any(|(other, outer)| other != index && real.starts_with(outer))
        })
    }
}

/// The scanned folder being walked, and what places a file in a device.
struct Place<'a> {
    root: &'a Path,
    real_root: &'a Path,
    root_name: &'a str,
    inventory: Option<&'a [DeviceInfo]>,
}

/// The walk under way: the devices gathered and not yet handed over.
struct Walk<'a> {
    devices: BTreeMap<String, FoundDevice>,
    /// With several paths, the files already found: one path can reach another's files.
    seen: Option<HashSet<PathBuf>>,
    unread: Unread,
    found: &'a mut dyn FnMut(FoundDevice),
    /// Ignore files that were reported as not read: the walk does not list them again.
    refused_ignore_files: HashSet<PathBuf>,
    /// The shard walked for: only its devices and records are kept.
    shard: Option<Shard>,
    /// Whether other shards' device subfolders are skipped unentered ([`Roots::walk_shard`]).
    prune: bool,
}

impl Walk<'_> {
    fn device(&mut self, id: &str) -> &mut FoundDevice {
        if !self.devices.contains_key(id) {
            let device = FoundDevice {
                info: DeviceInfo::named(id),
                files: Vec::new(),
            };
            self.devices.insert(id.to_owned(), device);
        }
        self.devices.get_mut(id).expect("inserted above")
    }

    /// Adds a file to its device. A file that an earlier path reached too (a folder given and
    /// a file or subfolder in it) is scanned once, with the device it was found for first.
    fn add_file(&mut self, device: &str, path: PathBuf) {
        let first = match &mut self.seen {
            Some(seen) => seen.insert(path.clone()),
            None => true,
        };
        let device = self.device(device);
        if first {
            device.files.push(path);
        }
    }

    /// Whether the walk keeps what belongs to `owner`: a device, or (`None`) no device.
    fn keeps(&self, owner: Option<&str>) -> bool {
        match (self.shard, owner) {
            (None, _) => true,
            (Some(shard), Some(device)) => shard.owns_device(device),
            (Some(shard), None) => shard.owns_unattached(),
        }
    }

    /// Records an entry that was deliberately not read, if the shard keeps it.
    fn skip(&mut self, record: SkippedFile) {
        if self.keeps(record.device.as_deref()) {
            self.unread.skipped.push(record);
        }
    }

    /// Records an entry that could not be read, if the shard keeps it: `owner` is the device
    /// it belongs to, or whose subfolder it was found in.
    fn fail(&mut self, record: SkippedFile, owner: Option<&str>) {
        if self.keeps(owner) {
            self.unread.unreadable.push(record);
        }
    }

    fn hand_over(&mut self, mut device: FoundDevice) {
        if !self.keeps(Some(&device.info.id)) {
            return;
        }
        // Several paths can give a device files out of order.
        device.files.sort();
        (self.found)(device);
    }

    fn add_single_file(&mut self, path: &Path, is_file: bool) {
        let device = fs::canonicalize(path)
            .ok()
            .and_then(|real| {
                real.parent()
                    .and_then(|parent| parent.file_name())
                    .map(device_name)
            })
            .unwrap_or_else(|| "device".to_owned());
        if is_file {
            self.add_file(&device, path.to_path_buf());
        } else {
            self.device(&device);
            self.skip(SkippedFile {
                path: path.to_path_buf(),
                device: Some(device),
                reason: NOT_A_REGULAR_FILE.to_owned(),
            });
        }
    }

    /// Walks one folder in path order. With `streaming`, a subfolder's device is handed over
    /// when the walk reaches the next entry of the folder: nothing after it can belong to it.
    fn walk_folder(
        &mut self,
        root: &Path,
        real_root: &Path,
        root_name: &str,
        inventory: Option<&[DeviceInfo]>,
        streaming: bool,
    ) {
        if let Some(devices) = inventory {
            for device in devices {
                // Another scanned folder may have given the device files already.
                self.device(&device.id).info = device.clone();
            }
        }
        let streaming = streaming && inventory.is_none();
        let mut refused = Vec::new();
        let mut ignores = IgnoreStack::for_root(real_root, &mut refused);
        let place = Place {
            root,
            real_root,
            root_name,
            inventory,
        };
        self.report_refused(&mut refused, &place);
        // The device of the subfolder being walked, handed over when the walk leaves it.
        let mut open_subfolder: Option<String> = None;
        // The subfolder of the root the walk is in, and its device: the shard that owns the
        // device is the one that reads, or fails to read, what is in it.
        let mut inside: Option<(PathBuf, String)> = None;
        let prune = self.prune && inventory.is_none();
        let mut entries = walker(root);
        while let Some(entry) = entries.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error
                        .path()
                        .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
                    let reason = walk_failure(error.path(), error.io_error(), &error);
                    // Below the top (depth 2 on), or naming the subfolder itself (it could not
                    // be listed), the failure is inside the subfolder the walk is in: the walk
                    // is depth first. A failure listing the root comes before any subfolder.
                    let within = |folder: &Path| error.depth() >= 2 || path.starts_with(folder);
                    let owner = inside
                        .as_ref()
                        .filter(|(folder, _)| prune && within(folder))
                        .map(|(_, device)| device.clone());
                    self.fail(
                        SkippedFile {
                            path,
                            device: None,
                            reason,
                        },
                        owner.as_deref(),
                    );
                    continue;
                }
            };
            if entry.depth() == 0 {
                continue;
            }
            let file_type = entry.file_type();
            ignores.leave_to(entry.depth());
            let Ok(relative) = entry.path().strip_prefix(root) else {
                continue;
            };
            let real = real_root.join(relative);
            if entry.file_name() == ".git" || ignores.is_ignored(&real, file_type.is_dir()) {
                if file_type.is_dir() {
                    entries.skip_current_dir();
                }
                continue;
            }
            if streaming && entry.depth() == 1 {
                self.hand_over_subfolder(open_subfolder.take());
            }
            if entry.depth() == 1 {
                inside = file_type
                    .is_dir()
                    .then(|| (entry.path().to_path_buf(), device_name(entry.file_name())));
            }
            if prune && entry.depth() == 1 && file_type.is_dir() {
                // Everything under the subfolder is its device's: another shard's is not
                // entered (walkdir has listed it, but goes no deeper).
                if !self.keeps(inside.as_ref().map(|(_, device)| device.as_str())) {
                    entries.skip_current_dir();
                    continue;
                }
            }
            if file_type.is_dir() {
                if streaming && entry.depth() == 1 {
                    open_subfolder = streamed_device(entry.file_name(), root_name);
                }
                ignores.enter(entry.depth(), &real, real_root, &mut refused);
                self.report_refused(&mut refused, &place);
                continue;
            }
            if entry.depth() == 1
                && (relative == Path::new(POLICY_FILE_NAME)
                    || relative == Path::new(INVENTORY_FILE_NAME))
            {
                continue;
            }
            if self.refused_ignore_files.contains(entry.path()) {
                continue;
            }
            let device = device_of(relative, inventory, root_name);
            let path = entry.into_path();
            let Some(device) = device else {
                self.skip(SkippedFile {
                    path,
                    device: None,
                    reason: format!("not assigned to any device in {INVENTORY_FILE_NAME}"),
                });
                continue;
            };
            if file_type.is_file() {
                self.add_file(&device, path);
                continue;
            }
            self.device(&device);
            let reason = if file_type.is_symlink() {
                link_reason(&path, real_root)
            } else {
                NOT_A_REGULAR_FILE.to_owned()
            };
            self.skip(SkippedFile {
                path,
                device: Some(device),
                reason,
            });
        }
        self.hand_over_subfolder(open_subfolder);
    }

    /// Lists the ignore files that were not read, with the device their place gives them
    /// (none for those of the folders above the scanned one). One that could not be read for
    /// an I/O error makes the scan incomplete; one refused (a link out, a FIFO, too large) is
    /// skipped: its patterns were not applied, so nothing it lists was hidden.
    fn report_refused(&mut self, refused: &mut Vec<ignore_files::Refused>, place: &Place<'_>) {
        for ignore_files::Refused { path, error } in refused.drain(..) {
            // The stack reads canonical paths; reports show the path under the root as given.
            let relative = path.strip_prefix(place.real_root).ok();
            let shown = relative.map_or_else(|| path.clone(), |relative| place.root.join(relative));
            let device =
                relative.and_then(|relative| device_of(relative, place.inventory, place.root_name));
            if let Some(device) = &device {
                self.device(device);
            }
            let reason = format!(
                "ignore file {error}; its patterns are not applied, so what it lists is scanned"
            );
            let io_error = matches!(error, tree_file::TreeFileError::Io(_));
            let record = SkippedFile {
                path: shown.clone(),
                device,
                reason,
            };
            if io_error {
                let owner = record.device.clone();
                self.fail(record, owner.as_deref());
            } else {
                self.skip(record);
            }
            self.refused_ignore_files.insert(shown);
        }
    }

    /// Hands over the device of the subfolder the walk has left, if it had any entries.
    fn hand_over_subfolder(&mut self, id: Option<String>) {
        if let Some(device) = id.and_then(|id| self.devices.remove(&id)) {
            self.hand_over(device);
        }
    }
}

/// A device's id from its folder's name: the name itself when it is UTF-8; otherwise the name
/// with U+FFFD for what is not, followed by its bytes in hex, so that two folders whose names
/// differ only in bytes that are not UTF-8 are two devices, with ids that stay the same from
/// one scan to the next (and fingerprints with them).
pub fn device_name(name: &std::ffi::OsStr) -> String {
    match name.to_str() {
        Some(text) => text.to_owned(),
        None => format!(
            "{} (bytes {})",
            name.to_string_lossy(),
            crate::digest::hex(name.as_encoded_bytes())
        ),
    }
}

/// The device of a subfolder of the root that can be handed over as soon as the walk leaves
/// the subfolder: any but one that shares its device with another entry. The files directly
/// in the root belong to a device of the root's name, which a subfolder of that name shares;
/// a name that is not UTF-8 is handed over at the end, as before ids told such names apart.
fn streamed_device(name: &std::ffi::OsStr, root_name: &str) -> Option<String> {
    let name = name.to_str()?;
    (name != root_name && !name.contains(char::REPLACEMENT_CHARACTER)).then(|| name.to_owned())
}

/// The device a file at `relative` (under the scanned folder) belongs to: the inventory's,
/// else the subfolder it is in, else the folder's own; `None` when the inventory assigns it
/// to none.
fn device_of(relative: &Path, inventory: Option<&[DeviceInfo]>, root_name: &str) -> Option<String> {
    match inventory {
        Some(devices) => devices
            .iter()
            .find(|device| {
                device
                    .paths
                    .iter()
                    .any(|prefix| relative.starts_with(prefix))
            })
            .map(|device| device.id.clone()),
        None if relative.components().count() <= 1 => Some(root_name.to_owned()),
        None => relative
            .components()
            .next()
            .and_then(|component| match component {
                Component::Normal(name) => Some(device_name(name)),
                _ => None,
            }),
    }
}

/// Every entry under `root`, depth first and in path order, links not followed. The walk
/// applies the ignore files itself and leaves `.git` out ([`Walk::walk_folder`]).
fn walker(root: &Path) -> walkdir::IntoIter {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
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

/// Why an entry cannot be walked: "cannot be walked: PATH: CAUSE". walkdir's error says the
/// path again ("IO error for operation on PATH: CAUSE"): the cause is its I/O error.
fn walk_failure(
    path: Option<&Path>,
    io: Option<&std::io::Error>,
    whole: &dyn std::fmt::Display,
) -> String {
    match (path, io) {
        (Some(path), Some(io)) => format!("cannot be walked: {}: {io}", path.display()),
        _ => format!("cannot be walked: {whole}"),
    }
}

/// Reads the folder's inventory, if it has one, as untrusted input: refused unless it is a
/// regular file inside the folder (`real_root`) of at most [`tree_file::INVENTORY_BOUND`]
/// bytes; messages quote at most a short excerpt of it.
fn read_inventory(root: &Path, real_root: &Path) -> Result<Option<Vec<DeviceInfo>>, DiscoverError> {
    let path = root.join(INVENTORY_FILE_NAME);
    let file = display(&path);
    let fail = |message: String| DiscoverError::Inventory {
        file: file.clone(),
        message: tree_file::bounded_message(&message),
    };
    let bytes = match tree_file::read(&path, real_root, tree_file::INVENTORY_BOUND) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(error) => return Err(fail(error.to_string())),
    };
    let text = String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".to_owned()))?;
    let source = parse_toml(&text).map_err(|error| DiscoverError::Inventory {
        file: file.clone(),
        message: tree_file::toml_error(&text)
            .unwrap_or_else(|| tree_file::bounded_message(&error.to_string())),
    })?;
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

    /// A scanned folder named `name` in a fresh temporary folder, with these empty files.
    fn folder_of(name: &str, files: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(name);
        for file in files {
            write(&root, file, "");
        }
        (dir, root)
    }

    /// Everything the walk hands over, in the order it does.
    #[derive(Debug)]
    struct Found {
        devices: Vec<FoundDevice>,
        unread: Unread,
        policy_files: Vec<FoundPolicy>,
    }

    impl Found {
        fn device_ids(&self) -> Vec<&str> {
            self.devices
                .iter()
                .map(|device| device.info.id.as_str())
                .collect()
        }

        /// (device, path) of every file, in hand-over order.
        fn files(&self) -> Vec<(&str, &Path)> {
            self.devices
                .iter()
                .flat_map(|device| {
                    device
                        .files
                        .iter()
                        .map(|path| (device.info.id.as_str(), path.as_path()))
                })
                .collect()
        }
    }

    fn discover(paths: &[PathBuf]) -> Result<Found, DiscoverError> {
        let roots = roots(paths)?;
        let mut devices = Vec::new();
        let unread = roots.walk(&mut |device| devices.push(device));
        Ok(Found {
            devices,
            unread,
            policy_files: roots.policy_files,
        })
    }

    #[test]
    fn subfolders_are_devices_and_root_files_belong_to_the_root() {
        let (_dir, root) = folder_of(
            "fleet",
            &[
                "alpha/profile.toml",
                "alpha/logs/1.ulg",
                "beta/profile.json",
                "loose.conf",
                "drone-audit.toml",
            ],
        );
        let found = discover(std::slice::from_ref(&root)).unwrap();
        let devices: Vec<&str> = found.files().iter().map(|(device, _)| *device).collect();
        assert_eq!(devices, ["alpha", "alpha", "beta", "fleet"]);
        let policies: Vec<&Path> = found
            .policy_files
            .iter()
            .map(|found| found.path.as_path())
            .collect();
        assert_eq!(policies, [root.join("drone-audit.toml")]);
    }

    #[test]
    fn one_folder_hands_each_subfolder_over_as_the_walk_leaves_it() {
        let (_dir, root) = folder_of(
            "aaa",
            &[
                "b/profile.toml",
                "c/logs/2.ulg",
                "c/logs/1.ulg",
                "c/profile.json",
                "loose.conf",
                "aaa/nested.conf",
            ],
        );
        let found = discover(std::slice::from_ref(&root)).unwrap();
        // "aaa" sorts first but waits: files directly in the root, and the subfolder named
        // like the root, make one device, complete only at the end of the walk.
        assert_eq!(found.device_ids(), ["b", "c", "aaa"]);
        let files: Vec<String> = found
            .files()
            .iter()
            .map(|(_, path)| display(path.strip_prefix(&root).unwrap()))
            .collect();
        assert_eq!(
            files,
            [
                "b/profile.toml",
                "c/logs/1.ulg",
                "c/logs/2.ulg",
                "c/profile.json",
                "aaa/nested.conf",
                "loose.conf"
            ]
        );
    }

    #[test]
    fn two_folders_with_a_subfolder_of_one_name_make_one_device() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first");
        let second = dir.path().join("second");
        write(&first, "d/a.toml", "");
        write(&first, "e/a.toml", "");
        write(&second, "d/b.toml", "");
        // A file given on its own belongs to a device named after its folder.
        write(dir.path(), "zeta/single.toml", "");
        let single = dir.path().join("zeta/single.toml");
        // An inventory read after the other folders gave device d files names it too.
        let third = dir.path().join("third");
        write(
            &third,
            "fleet.toml",
            "[[device]]\nid = \"d\"\npaths = [\"x\"]\nserial = \"S1\"\n",
        );
        write(&third, "x/c.toml", "");
        let roots = [
            second.clone(),
            first.clone(),
            single.clone(),
            single,
            third.clone(),
        ];
        let found = discover(&roots).unwrap();
        assert_eq!(found.device_ids(), ["d", "e", "zeta"]);
        assert_eq!(
            found.devices[0].files,
            [
                first.join("d/a.toml"),
                second.join("d/b.toml"),
                third.join("x/c.toml")
            ]
        );
        assert_eq!(found.devices[0].info.serial.as_deref(), Some("S1"));
        assert_eq!(
            found.devices[2].files.len(),
            1,
            "a file given twice is scanned once"
        );
    }

    #[test]
    fn a_file_two_paths_reach_is_scanned_once_with_the_first_device() {
        let (_dir, root) = folder_of("fleet", &["alpha/logs/1.ulg", "alpha/profile.toml"]);
        let log = root.join("alpha/logs/1.ulg");
        let found = discover(&[root.clone(), log.clone(), root.join("alpha")]).unwrap();
        // The file given on its own names a device after its folder, which keeps no file.
        assert_eq!(found.device_ids(), ["alpha", "logs"]);
        assert_eq!(
            found.devices[0].files,
            [log, root.join("alpha/profile.toml")]
        );
        assert!(found.devices[1].files.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn subfolders_whose_names_show_alike_are_distinct_devices() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        for (name, file) in [(&b"\xfe"[..], "a.toml"), (&b"\xff"[..], "b.toml")] {
            let folder = dir.path().join(std::ffi::OsStr::from_bytes(name));
            write(&folder, file, "");
        }
        write(dir.path(), "z/c.toml", "");
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(
            found.device_ids(),
            ["z", "\u{FFFD} (bytes fe)", "\u{FFFD} (bytes ff)"]
        );
        assert_eq!(found.devices[1].files.len(), 1);
        assert_eq!(found.devices[2].files.len(), 1);
    }

    #[test]
    fn a_folder_that_cannot_be_walked_is_named_once_with_its_cause() {
        let denied = std::io::Error::from_raw_os_error(13);
        let cause = denied.to_string();
        let whole = format!("IO error for operation on /fleet/d: {cause}");
        assert_eq!(
            walk_failure(Some(Path::new("/fleet/d")), Some(&denied), &whole),
            format!("cannot be walked: /fleet/d: {cause}")
        );
        assert_eq!(
            walk_failure(None, None, &"a loop"),
            "cannot be walked: a loop"
        );
    }

    #[test]
    fn gitignore_is_honoured_without_a_git_checkout() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".gitignore", "*.bak\n");
        write(dir.path(), "d/a.toml", "");
        write(dir.path(), "d/a.bak", "");
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let paths: Vec<String> = found
            .files()
            .iter()
            .map(|(_, path)| display(path))
            .collect();
        assert!(paths.iter().any(|path| path.ends_with("d/a.toml")));
        assert!(!paths.iter().any(|path| path.ends_with(".bak")));
    }

    #[test]
    fn a_clones_own_excludes_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".git/info/exclude", "*.toml\n");
        write(dir.path(), "d/a.toml", "");
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.files().len(), 1, "{found:?}");
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
        let found = discover(&[root]).unwrap();
        assert_eq!(found.files().len(), 1);
        let reasons: Vec<&str> = found
            .unread
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
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.files().len(), 1);
        assert_eq!(found.files()[0].0, "m2e-01");
        assert_eq!(found.devices[0].info.serial.as_deref(), Some("163DF"));
        assert!(found.unread.skipped[0].reason.contains("not assigned"));
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
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.files()[0].0, "a");
        write(
            dir.path(),
            "fleet.toml",
            "[[device]]\nid = \"a\"\npaths = [\"\"]\n",
        );
        assert!(discover(&[dir.path().to_path_buf()]).is_err());
    }

    /// A folder `device` under `root` holding a chain of folders too deep to be walked: past
    /// PATH_MAX, listing it fails with ENAMETOOLONG, even for root. Built from the inside
    /// out, each step a rename between short paths.
    #[cfg(unix)]
    fn too_deep_to_walk(root: &Path, device: &str) {
        let long = "d".repeat(250);
        let build = root.join(".build");
        let mut inner = build.join("0");
        fs::create_dir_all(&inner).unwrap();
        for step in 1..20 {
            let outer = build.join(step.to_string());
            fs::create_dir(&outer).unwrap();
            fs::rename(&inner, outer.join(&long)).unwrap();
            inner = outer;
        }
        fs::rename(&inner, root.join(device)).unwrap();
        fs::remove_dir(&build).unwrap();
    }

    /// Walks `paths` for every shard of `count`: (device ids, unreadable paths) per shard.
    fn walk_shards(paths: &[PathBuf], count: u32) -> Vec<(Vec<String>, Vec<PathBuf>)> {
        let roots = roots(paths).unwrap();
        (1..=count)
            .map(|index| {
                let mut devices = Vec::new();
                let shard = Shard::new(index, count).unwrap();
                let unread =
                    roots.walk_shard(Some(shard), &mut |device| devices.push(device.info.id));
                let unreadable = unread
                    .unreadable
                    .into_iter()
                    .map(|record| record.path)
                    .collect();
                (devices, unreadable)
            })
            .collect()
    }

    /// Every record of what the walk could not read is in exactly one shard's walk.
    fn assert_failures_partitioned(paths: &[PathBuf], shards: &[(Vec<String>, Vec<PathBuf>)]) {
        let whole = discover(paths).unwrap();
        let mut expected: Vec<&PathBuf> = whole
            .unread
            .unreadable
            .iter()
            .map(|record| &record.path)
            .collect();
        let mut found: Vec<&PathBuf> = shards
            .iter()
            .flat_map(|(_, unreadable)| unreadable)
            .collect();
        expected.sort();
        found.sort();
        assert!(!expected.is_empty());
        assert!(
            found == expected,
            "{} records in the shards, {} in the whole walk",
            found.len(),
            expected.len()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_shard_walks_only_its_own_device_folders_and_keeps_their_failures() {
        let (_dir, root) = folder_of(
            "fleet",
            &[
                "alpha/profile.toml",
                "beta/profile.toml",
                "gamma/a/b.toml",
                "loose.conf",
            ],
        );
        // "deep" is shard 2's of 3: shard 1 (which keeps the records of no device) must not
        // enter it, and shard 2 must report what it could not walk in it.
        assert_eq!(Shard::of_device("deep", 3), 2);
        too_deep_to_walk(&root, "deep");
        let paths = std::slice::from_ref(&root);
        let shards = walk_shards(paths, 3);
        let mut all: Vec<String> = shards
            .iter()
            .flat_map(|(devices, _)| devices.clone())
            .collect();
        all.sort();
        assert_eq!(
            all,
            ["alpha", "beta", "deep", "fleet", "gamma"],
            "each device in one shard"
        );
        for (index, (devices, unreadable)) in shards.iter().enumerate() {
            let count = u32::try_from(index + 1).unwrap();
            for device in devices {
                assert_eq!(Shard::of_device(device, 3), count, "{device}");
            }
            let in_deep = unreadable
                .iter()
                .filter(|path| path.starts_with(root.join("deep")))
                .count();
            assert_eq!(
                in_deep == 0,
                count != 2,
                "shard {count}: {in_deep} failures in deep"
            );
        }
        // The folder that could not be listed is named once, as the whole walk names it.
        assert_failures_partitioned(paths, &shards);
        let whole = discover(paths).unwrap();
        let listing: Vec<&SkippedFile> = whole
            .unread
            .unreadable
            .iter()
            .filter(|record| record.device.is_none())
            .collect();
        assert_eq!(listing.len(), 1);
        assert!(listing[0].reason.starts_with("cannot be walked"));
    }

    #[cfg(unix)]
    #[test]
    fn a_shard_of_overlapping_paths_enters_every_folder() {
        // The second path reaches deep's files as device "deep" again, but could reach a
        // pruned folder's files under another device: no folder is pruned, and the failures
        // are split as before shards pruned (the walk's own to shard 1).
        let (_dir, root) = folder_of("fleet", &["alpha/profile.toml"]);
        too_deep_to_walk(&root, "deep");
        let paths = [root.clone(), root.join("deep")];
        let shards = walk_shards(&paths, 3);
        assert_failures_partitioned(&paths, &shards);
        let listing_in_shard_1 = shards[0]
            .1
            .iter()
            .filter(|path| {
                path.starts_with(root.join("deep"))
                    && path.file_name() != Some(std::ffi::OsStr::new(".gitignore"))
                    && path.file_name() != Some(std::ffi::OsStr::new(".ignore"))
            })
            .count();
        assert!(listing_in_shard_1 > 0, "shard 1 entered deep");
    }

    #[test]
    fn missing_paths_are_errors() {
        assert!(discover(&[PathBuf::from("/no/such/place")])
            .unwrap_err()
            .to_string()
            .contains("no such file"));
    }
}
