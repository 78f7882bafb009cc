//! Firmware images and update packages, unpacked recursively: ArduPilot `.apj` and PX4 `.px4`
//! files, DJI `IM*H` modules and xV4 containers, U-Boot uImages, gzip, tar, zip and SquashFS,
//! down to the files inside, which are checked for hardening (ELF), secrets and endpoints
//! (one multi-pattern scan over every byte), and root-filesystem configuration (accounts,
//! services started at boot, authorized keys). Documented in docs/evidence/firmware.md.
//!
//! Every node of the tree is named by its container chain (`rootfs.squashfs > /etc/shadow`) and
//! every finding carries the chain and a byte offset in the innermost member. Unpacking is
//! bounded ([`UnpackLimits`]): depth, members, bytes unpacked in all and the ratio of unpacked to
//! packed bytes. A limit hit or a damaged nested container is recorded in the evidence (rules
//! report bombs and recursion) and makes the artifact partial, never an abort.

mod apj;
mod archive;
pub(crate) mod content;
mod dji;
mod elf;
mod rootfs;
mod squashfs;
mod uimage;

use crate::analyze::{
    AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence, UnpackLimits,
};
use crate::bytes::Bytes;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::io::Read;

pub struct FirmwareAnalyzer;

/// The formats the walker recognises by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    ArdupilotApj,
    Px4,
    DjiImah,
    DjiXv4,
    UImage,
    Gzip,
    Tar,
    Zip,
    Squashfs,
    Elf,
}

impl Format {
    /// Formats that only firmware comes in (not the generic archives, nor ELF, which desktop
    /// software is made of too).
    fn is_firmware_image(self) -> bool {
        !matches!(self, Format::Gzip | Format::Tar | Format::Zip | Format::Elf)
    }

    fn id(self) -> &'static str {
        match self {
            Format::ArdupilotApj => "apj",
            Format::Px4 => "px4",
            Format::DjiImah => "dji-imah",
            Format::DjiXv4 => "dji-xv4",
            Format::UImage => "uimage",
            Format::Gzip => "gzip",
            Format::Tar => "tar",
            Format::Zip => "zip",
            Format::Squashfs => "squashfs",
            Format::Elf => "elf",
        }
    }

    /// The format of `bytes`, from their magic numbers (and, for the JSON packages, the
    /// `magic` value near the start).
    fn detect(bytes: &[u8]) -> Option<Format> {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        // ELF: the magic, a class (32/64-bit), a byte order and version 1, and room for a header.
        if starts(b"\x7fELF")
            && bytes.len() >= 52
            && matches!(bytes[4], 1 | 2)
            && matches!(bytes[5], 1 | 2)
            && bytes[6] == 1
        {
            Some(Format::Elf)
        } else if starts(&[0x1f, 0x8b, 0x08]) {
            Some(Format::Gzip)
        } else if starts(&uimage::MAGIC) && bytes.len() >= uimage::HEADER {
            Some(Format::UImage)
        } else if starts(b"hsqs") && bytes.len() >= 96 {
            Some(Format::Squashfs)
        } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
            Some(Format::Zip)
        } else if starts(dji::IMAH_MAGIC) {
            Some(Format::DjiImah)
        } else if dji::is_xv4(bytes) {
            Some(Format::DjiXv4)
        } else if bytes.len() >= 512 && Bytes(bytes).bytes_at(257, 5) == Some(b"ustar") {
            Some(Format::Tar)
        } else {
            apj::detect(bytes)
        }
    }
}

/// The path of a member through the containers that hold it: `["rootfs.squashfs", "/etc/shadow"]`.
#[derive(Debug, Clone, Default)]
struct Chain(Vec<String>);

impl Chain {
    fn child(&self, name: impl Into<String>) -> Chain {
        let mut names = self.0.clone();
        names.push(name.into());
        Chain(names)
    }

    /// The last name: the member's own path inside its container.
    fn name(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or_default()
    }

    fn depth(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Display for Chain {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0.join(" > "))
    }
}

/// Why unpacking stopped short of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum LimitKind {
    /// Nested more containers deep than allowed.
    #[serde(rename = "depth")]
    Depth,
    /// More members in all than allowed.
    #[serde(rename = "members")]
    Members,
    /// More bytes unpacked (or examined) in all than allowed.
    #[serde(rename = "unpacked-size")]
    Unpacked,
    /// More than the allowed multiple of the artifact's size unpacked: a decompression bomb.
    #[serde(rename = "compression-ratio")]
    Ratio,
    /// A member identical to a container that holds it (a zip quine).
    #[serde(rename = "recursion")]
    Recursion,
    /// Zip entries whose data overlaps another's (an overlapping-zip bomb).
    #[serde(rename = "overlapping-members")]
    Overlap,
}

/// The most bytes of a member read in one pass (see [`Walk::inflate`]).
const FIRST_READ: u64 = 16 << 20;

/// The state of one artifact's walk: what was found, and what is left of the budget.
struct Walk {
    limits: UnpackLimits,
    artifact_size: u64,
    unpacked: u64,
    /// Bytes of members that are slices of their containers, examined in all.
    examined: u64,
    members: u64,
    members_limit_hit: bool,
    /// Fingerprints of the containers being unpacked, outermost first, to tell a container
    /// that holds itself.
    open: Vec<Fingerprint>,
    /// The evidence nodes found, by kind (`tree`, `secrets`, `elf`…), each in the order found.
    sections: Sections,
    /// What could not be assessed: limits hit and damaged containers.
    problems: Vec<String>,
    content: content::Scanner,
    /// The image's one budget for default-password checks, shared by all its shadow files.
    passwords: crate::analyze::accounts::hash::DefaultPasswordCheck,
    /// What showed the artifact is firmware (a root filesystem file, an image format, an
    /// update manifest), the first such thing found; a generic archive without it is not.
    firmware_evidence: Option<String>,
    /// Accounts stopped being listed ([`rootfs::MAX_ACCOUNTS`]).
    accounts_cut: bool,
}

impl Walk {
    fn new(limits: UnpackLimits, artifact_size: u64) -> Self {
        Walk {
            limits,
            artifact_size,
            unpacked: 0,
            examined: 0,
            members: 0,
            members_limit_hit: false,
            open: Vec::new(),
            sections: Sections::default(),
            problems: Vec::new(),
            content: content::Scanner::new(),
            passwords: Default::default(),
            firmware_evidence: None,
            accounts_cut: false,
        }
    }

    /// A nested container that could not be read whole: an error node, and a partial artifact.
    fn damaged(&mut self, chain: &Chain, format: Format, error: impl std::fmt::Display) {
        self.unreadable(chain, format.id(), error);
    }

    /// A member of kind `what` (a container format, or a file such as a shadow file) that
    /// could not be read: an error node, and a partial artifact.
    fn unreadable(&mut self, chain: &Chain, what: &str, error: impl std::fmt::Display) {
        let message = format!("{what} {}: {error}", describe(chain));
        self.sections.errors.push(Placed::new(
            chain,
            ErrorNode {
                format: what.to_owned(),
                error: error.to_string(),
                offset: 0,
            },
        ));
        self.problems.push(message);
    }

    /// A limit stopped unpacking at `chain`.
    fn limit(&mut self, chain: &Chain, kind: LimitKind, detail: String) {
        self.problems
            .push(format!("{} not unpacked: {detail}", describe(chain)));
        self.sections.limits.push(Placed::new(
            chain,
            LimitNode {
                limit: kind,
                detail,
                offset: 0,
            },
        ));
    }

    /// How many more bytes decompression may produce, and the limit that sets it: what is left
    /// of the total, or of what the ratio allows the whole artifact (its size times the ratio,
    /// at least the floor). The ratio is of the artifact, not of one member, because a single
    /// deflate stream cannot pass ~1,032:1 and bombs nest or overlap instead.
    fn unpack_allowance(&self) -> (u64, LimitKind) {
        let left = self.limits.max_unpacked.saturating_sub(self.unpacked);
        let by_ratio = self
            .artifact_size
            .saturating_mul(self.limits.max_ratio)
            .max(self.limits.ratio_floor)
            .saturating_sub(self.unpacked);
        if by_ratio < left {
            (by_ratio, LimitKind::Ratio)
        } else {
            (left, LimitKind::Unpacked)
        }
    }

    /// Decompresses what `open` reads within the allowance; `None` (with a limit or an error
    /// recorded) when it cannot be had whole.
    ///
    /// Memory stays within the bytes kept: a member of up to [`FIRST_READ`] bytes is read in
    /// one pass; a longer one is first counted without being kept (so a bomb costs time up to
    /// the allowance, not memory), then read again into a buffer of exactly its size. A
    /// buffer grown by doubling would hold up to twice the allowance.
    fn inflate<'data>(
        &mut self,
        chain: &Chain,
        format: Format,
        open: &dyn Fn() -> Box<dyn Read + 'data>,
    ) -> Option<Vec<u8>> {
        let (allowance, kind) = self.unpack_allowance();
        let first = FIRST_READ.min(allowance.saturating_add(1));
        let mut reader = open();
        let mut unpacked = Vec::new();
        let result = reader.by_ref().take(first).read_to_end(&mut unpacked);
        if let Err(error) = result {
            self.unpacked += unpacked.len() as u64;
            self.damaged(chain, format, error);
            return None;
        }
        if (unpacked.len() as u64) < first {
            self.unpacked += unpacked.len() as u64;
            return Some(unpacked);
        }
        drop(unpacked);
        // Longer than one read: its size first, counted without keeping the bytes.
        let rest = std::io::copy(
            &mut reader.take(allowance.saturating_add(1).saturating_sub(first)),
            &mut std::io::sink(),
        );
        let size = match rest {
            Ok(rest) => first.saturating_add(rest),
            Err(error) => {
                self.damaged(chain, format, error);
                return None;
            }
        };
        if size > allowance {
            self.unpacked += size;
            self.unpack_limit(chain, kind);
            return None;
        }
        self.unpacked += size;
        let mut whole = Vec::new();
        let read = usize::try_from(size)
            .map_err(|_| std::io::Error::other("too large for memory"))
            .and_then(|size| {
                whole
                    .try_reserve_exact(size)
                    .map_err(|error| std::io::Error::other(error.to_string()))
            })
            .and_then(|()| open().take(size).read_to_end(&mut whole));
        match read {
            Ok(_) if whole.len() as u64 == size => Some(whole),
            Ok(_) => {
                self.damaged(chain, format, "the member read differently the second time");
                None
            }
            Err(error) => {
                self.damaged(chain, format, error);
                None
            }
        }
    }

    /// Records that unpacking `chain` would pass the limit `kind`.
    fn unpack_limit(&mut self, chain: &Chain, kind: LimitKind) {
        let detail = match kind {
            LimitKind::Ratio => format!(
                "the image would unpack to more than {}x its {} bytes, a decompression bomb",
                self.limits.max_ratio, self.artifact_size
            ),
            _ => format!(
                "unpacking would exceed {} bytes in all (a decompression bomb or a very large image)",
                self.limits.max_unpacked
            ),
        };
        self.limit(chain, kind, detail);
    }

    /// An empty buffer with room for a member whose size is known before it is read (a
    /// sparse file expanded): counted against the allowance like an inflated one. `None` (with
    /// the limit or the error recorded) when it may not or cannot be had.
    fn reserve_unpacked(&mut self, chain: &Chain, format: Format, size: u64) -> Option<Vec<u8>> {
        let (allowance, kind) = self.unpack_allowance();
        self.unpacked = self.unpacked.saturating_add(size);
        if size > allowance {
            self.unpack_limit(chain, kind);
            return None;
        }
        let mut buffer = Vec::new();
        let reserved = usize::try_from(size)
            .map_err(|_| "too large for memory".to_owned())
            .and_then(|size| {
                buffer
                    .try_reserve_exact(size)
                    .map_err(|error| error.to_string())
            });
        match reserved {
            Ok(()) => Some(buffer),
            Err(error) => {
                self.damaged(chain, format, error);
                None
            }
        }
    }

    /// The `size` bytes `reader` gives, read into a buffer of exactly that size.
    fn read_sized(
        &mut self,
        chain: &Chain,
        format: Format,
        size: u64,
        reader: &mut dyn Read,
    ) -> Option<Vec<u8>> {
        let mut buffer = self.reserve_unpacked(chain, format, size)?;
        match reader.take(size).read_to_end(&mut buffer) {
            Ok(_) if buffer.len() as u64 == size => Some(buffer),
            Ok(_) => {
                self.damaged(chain, format, "the member ends before its size");
                None
            }
            Err(error) => {
                self.damaged(chain, format, error);
                None
            }
        }
    }

    /// Counts one more member; false (with the limit recorded once) when there are too many.
    fn admit_member(&mut self, chain: &Chain) -> bool {
        self.members = self.members.saturating_add(1);
        if self.members > self.limits.max_members {
            if !self.members_limit_hit {
                self.members_limit_hit = true;
                let detail = format!(
                    "more than {} members in all; the rest were not examined",
                    self.limits.max_members
                );
                self.limit(chain, LimitKind::Members, detail);
            }
            return false;
        }
        true
    }

    /// Examines a member that is a slice of its container (a tar file, a DJI chunk or module,
    /// an embedded filesystem, a uImage's data). Slices cost no decompression, so `unpacked`
    /// does not bound them, but overlapping ones could make the scan read the same bytes
    /// without end: the bytes of slices examined in all are bounded too. Decompressed members
    /// are bounded by `inflate` and go to `visit` directly, so no byte is counted twice.
    fn visit_slice(&mut self, chain: &Chain, bytes: &[u8]) {
        self.examined = self.examined.saturating_add(bytes.len() as u64);
        let budget = self.limits.max_unpacked.saturating_add(self.artifact_size);
        if self.examined > budget {
            let detail = format!(
                "members examined add up to more than {budget} bytes (overlapping members?)"
            );
            self.limit(chain, LimitKind::Unpacked, detail);
            return;
        }
        self.visit(chain, bytes);
    }

    /// Examines one member (or the artifact itself, with an empty chain): opens it if it is a
    /// container, checks it if it is a file.
    fn visit(&mut self, chain: &Chain, bytes: &[u8]) {
        let format = Format::detect(bytes);
        if chain.depth() > 0 {
            let node = TreeNode {
                size: bytes.len(),
                depth: chain.depth(),
                format: format.map(Format::id),
            };
            self.sections.tree.push(Placed::new(chain, node));
        }
        if let Some(format) = format.filter(|format| format.is_firmware_image()) {
            self.firmware_evidence
                .get_or_insert_with(|| format!("{} image at {}", format.id(), describe(chain)));
        }
        match format {
            Some(format) if format != Format::Elf => {
                if chain.depth() >= self.limits.max_depth {
                    let detail =
                        format!("nested more than {} containers deep", self.limits.max_depth);
                    self.limit(chain, LimitKind::Depth, detail);
                    return;
                }
                // A member identical to a container it is in would unpack for ever (zip
                // quines).
                let fingerprint = Fingerprint::of(bytes);
                if self.open.contains(&fingerprint) {
                    let detail = "the member is identical to a container that holds it: it would unpack for ever".to_owned();
                    self.limit(chain, LimitKind::Recursion, detail);
                    return;
                }
                self.open.push(fingerprint);
                self.unpack(format, chain, bytes);
                self.open.pop();
            }
            Some(Format::Elf) => {
                elf::check(self, chain, bytes);
                self.check_file(chain, bytes);
            }
            _ => self.check_file(chain, bytes),
        }
    }

    fn unpack(&mut self, format: Format, chain: &Chain, bytes: &[u8]) {
        match format {
            Format::ArdupilotApj | Format::Px4 => apj::unpack(self, format, chain, bytes),
            Format::DjiImah => dji::unpack_imah(self, chain, bytes),
            Format::DjiXv4 => dji::unpack_xv4(self, chain, bytes),
            Format::UImage => uimage::unpack(self, chain, bytes),
            Format::Gzip => archive::unpack_gzip(self, chain, bytes),
            Format::Tar => archive::unpack_tar(self, chain, bytes),
            Format::Zip => archive::unpack_zip(self, chain, bytes),
            Format::Squashfs => squashfs::unpack(self, chain, bytes),
            Format::Elf => {}
        }
    }

    /// The checks on a file's bytes: the content scan, and the root-filesystem checks its
    /// path calls for.
    fn check_file(&mut self, chain: &Chain, bytes: &[u8]) {
        let path = rootfs::rooted(chain.name());
        if self.firmware_evidence.is_none() {
            self.firmware_evidence =
                rootfs::firmware_marker(&path).map(|marker| format!("{marker} {path}"));
        }
        for found in self.content.scan(bytes, rootfs::is_shadow(&path)) {
            match found {
                content::Found::Secret(secret) => {
                    self.sections.secrets.push(Placed::new(chain, secret));
                }
                content::Found::Endpoint(endpoint) => {
                    self.sections.endpoints.push(Placed::new(chain, endpoint));
                }
            }
        }
        rootfs::check(self, chain, &path, bytes);
        for (offset, length) in squashfs::embedded_squashfs(bytes) {
            let member = chain.child(format!("squashfs@{offset:#x}"));
            if !self.admit_member(&member) {
                break;
            }
            if let Some(filesystem) = Bytes(bytes).bytes_at(offset, length) {
                self.visit_slice(&member, filesystem);
            }
        }
    }
}

/// The evidence of a firmware artifact: its format, the tree of members unpacked from it, and
/// what was found in them, each node placed by its container chain and a byte offset.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FirmwareEvidence {
    /// The artifact's own format (`apj`, `px4`, `dji-imah`, `dji-xv4`, `uimage`, `gzip`, `tar`,
    /// `zip`, `squashfs`, `elf`), or `raw` for a flash dump with filesystems inside.
    format: &'static str,
    /// The artifact's size, bytes.
    size: usize,
    /// What showed that the artifact is firmware, the first such thing found: a root
    /// filesystem's file, a member in a firmware image format or an update manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    firmware_evidence: Option<String>,
    /// What the walk found, by kind; a kind with nothing found is left out.
    #[serde(flatten)]
    sections: Sections,
    /// Members found in all (the artifact itself not counted).
    members: u64,
    /// Bytes decompressed in all.
    unpacked_bytes: u64,
    /// What the content scan read and found.
    content_scan: content::ContentScan,
}

/// The nodes the walk found, by kind, each in the order found; an empty kind is left out of
/// the document.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Sections {
    /// Every member unpacked, containers and files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tree: Vec<Placed<TreeNode>>,
    /// ArduPilot and PX4 images (`apj`, `px4`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<Placed<apj::ImageNode>>,
    /// DJI modules: `IM*H` modules and the modules an xV4 package lists.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    modules: Vec<dji::Module>,
    /// DJI xV4 packages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    packages: Vec<Placed<dji::Xv4Package>>,
    /// U-Boot uImages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    uimages: Vec<Placed<uimage::UImageNode>>,
    /// ELF programs and libraries, with their hardening.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    elf: Vec<elf::ElfNode>,
    /// Secrets the content scan found, redacted (at most 50 per pattern).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secrets: Vec<Placed<content::Secret>>,
    /// Vendor endpoints (cloud and telemetry hosts) the content scan found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    endpoints: Vec<Placed<content::Endpoint>>,
    /// The accounts of the image's shadow and passwd files, each as the `shadow` and
    /// `passwd` evidence lists it (docs/evidence/accounts.md), with `container` and `offset`
    /// (where its line starts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    accounts: Vec<Value>,
    /// Services that boot scripts start (telnetd, adbd, dropbear, shells).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<Placed<rootfs::Service>>,
    /// Keys of `authorized_keys` files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authorized_keys: Vec<Placed<rootfs::AuthorizedKey>>,
    /// Where unpacking stopped at a limit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    limits: Vec<Placed<LimitNode>>,
    /// Members that could not be read (damaged containers, unreadable files).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Placed<ErrorNode>>,
    /// Members that were found but not examined (password-encrypted, compressed in a way
    /// that is not unpacked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_unpacked: Vec<Placed<NotUnpacked>>,
}

/// A node of the evidence with the member it is about.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Placed{T}")]
pub struct Placed<T> {
    /// The chain of member names from the artifact to the member (`image.tar >
    /// rootfs.squashfs > /etc/shadow`); absent for the artifact itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<String>,
    /// The node's own fields.
    #[serde(flatten)]
    node: T,
}

impl<T> Placed<T> {
    fn new(chain: &Chain, node: T) -> Self {
        Placed {
            container: (chain.depth() > 0).then(|| chain.to_string()),
            node,
        }
    }
}

/// A member unpacked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TreeNode {
    /// Its size, bytes.
    size: usize,
    /// How many containers deep it is (1 for a member of the artifact).
    depth: usize,
    /// Its format, when it is one drone-audit reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
}

/// Where unpacking stopped at a limit.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LimitNode {
    /// Which limit.
    limit: LimitKind,
    /// What it stopped, in words.
    detail: String,
    /// Always 0: the limit is about the whole member.
    offset: usize,
}

/// A member that could not be read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorNode {
    /// What it was read as: a container format, or an analyzer's kind (`shadow`, `passwd`).
    format: String,
    /// Why it could not be read.
    error: String,
    /// Always 0: the error is about the whole member.
    offset: usize,
}

/// A member found but not examined.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NotUnpacked {
    /// Why it was not examined.
    reason: String,
    /// Always 0.
    offset: usize,
    /// Where its data starts in its container.
    data_offset: usize,
}

/// The length and a digest of the first and last 4 KiB of a member: equal for identical
/// members, and cheap for big ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint(usize, [u8; 32]);

impl Fingerprint {
    fn of(bytes: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        const EDGE: usize = 4096;
        let mut hasher = Sha256::new();
        hasher.update(&bytes[..bytes.len().min(EDGE)]);
        hasher.update(&bytes[bytes.len().saturating_sub(EDGE)..]);
        Fingerprint(bytes.len(), hasher.finalize().into())
    }
}

/// A chain for messages: "the image itself" for the artifact, else its path.
fn describe(chain: &Chain) -> String {
    if chain.depth() == 0 {
        "the image".to_owned()
    } else {
        chain.to_string()
    }
}

impl Analyzer for FirmwareAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Firmware
    }

    fn extensions(&self) -> &'static [&'static str] {
        &[
            "apj", "px4", "bin", "img", "fw", "tar", "gz", "tgz", "zip", "squashfs", "sqfs", "elf",
            "ubi",
        ]
    }

    fn identify(&self, content: &[u8]) -> bool {
        Format::detect(content).is_some() || squashfs::embedded_squashfs(content).next().is_some()
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        analyze_with(content, options.unpack)
    }
}

/// Unpacks and checks `content` within `limits`.
pub fn analyze_with(content: &[u8], limits: UnpackLimits) -> Result<Evidence, AnalyzeError> {
    // A raw image (no format at its start) is read for the filesystems embedded in it; it is
    // one only if the walk found some.
    let format = Format::detect(content).map_or("raw", Format::id);
    let mut walk = Walk::new(limits, content.len() as u64);
    walk.visit(&Chain::default(), content);
    if format == "raw" && walk.members == 0 {
        return Err(AnalyzeError::new(
            "not a firmware image or archive format drone-audit reads",
        ));
    }
    // A zip, tar or gzip is firmware when what it holds says so; one read whole without a
    // root filesystem, an image format or an update manifest in it (CAD drawings, a desktop
    // tool, a zipped capture) is not, and firmware rules must not pass on it. One whose walk
    // stopped short stays firmware: partial, with its limits (a bomb is still FW-019).
    let generic_archive = matches!(format, "gzip" | "tar" | "zip");
    if generic_archive && walk.firmware_evidence.is_none() && walk.problems.is_empty() {
        return Err(AnalyzeError::not_this_kind(format!(
            "not firmware: the {format} archive holds no root filesystem, firmware image format or update manifest ({} members examined)",
            walk.members
        )));
    }
    let evidence = FirmwareEvidence {
        format,
        size: content.len(),
        firmware_evidence: walk.firmware_evidence.take(),
        sections: std::mem::take(&mut walk.sections),
        members: walk.members,
        unpacked_bytes: walk.unpacked,
        content_scan: walk.content.summary(),
    };
    let document = serde_json::to_value(evidence)
        .map_err(|error| AnalyzeError::new(format!("cannot build the evidence: {error}")))?;
    let incomplete = crate::analyze::incomplete_reason(walk.problems);
    Ok(Evidence {
        kind: ArtifactKind::Firmware,
        document,
        lines: Default::default(),
        warnings: Vec::new(),
        incomplete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(count: usize) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for index in 0..count {
            let mut header = tar::Header::new_gnu();
            header.set_size(4);
            header.set_cksum();
            builder
                .append_data(&mut header, format!("etc/file{index}"), &b"text"[..])
                .expect("tar entry");
        }
        builder.into_inner().expect("tar")
    }

    #[test]
    fn a_member_identical_to_its_container_is_not_opened_again() {
        let archive = tar_of(2);
        let mut walk = Walk::new(UnpackLimits::default(), archive.len() as u64);
        walk.open.push(Fingerprint::of(&archive));
        walk.visit(&Chain::default().child("self.tar"), &archive);
        assert_eq!(walk.sections.limits[0].node.limit, LimitKind::Recursion);
        assert_eq!(walk.sections.tree.len(), 1);
    }

    #[test]
    fn a_decompressed_archive_counts_once_against_the_unpacking_budget() {
        // 500 files of 4 KiB: the tar inflates to ~2.3 MB, its files are ~2 MB of it.
        // Counting the files again on top of the inflated tar (~4.3 MB) would pass a budget of
        // 1.2 times the tar.
        let mut builder = tar::Builder::new(Vec::new());
        let content = b"nothing secret here\n".repeat(205);
        for index in 0..500 {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_cksum();
            builder
                .append_data(
                    &mut header,
                    format!("usr/share/doc/file{index}"),
                    &content[..],
                )
                .expect("tar entry");
        }
        // A root filesystem's file, so that the archive is firmware.
        let mut header = tar::Header::new_gnu();
        header.set_size(13);
        header.set_cksum();
        builder
            .append_data(&mut header, "etc/os-release", &b"ID=companion\n"[..])
            .expect("tar entry");
        let tar = builder.into_inner().expect("tar");
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gzip, &tar).expect("gzip");
        let gzipped = gzip.finish().expect("gzip");
        let limits = UnpackLimits {
            max_unpacked: tar.len() as u64 + tar.len() as u64 / 5,
            ratio_floor: u64::MAX,
            ..UnpackLimits::default()
        };
        let evidence = analyze_with(&gzipped, limits).expect("analyzed");
        assert!(
            evidence.incomplete.is_none(),
            "{}",
            evidence.document["limits"]
        );
        assert!(evidence.document.get("limits").is_none());
    }

    #[test]
    fn too_many_members_make_the_result_partial() {
        let limits = UnpackLimits {
            max_members: 3,
            ..UnpackLimits::default()
        };
        let evidence = analyze_with(&tar_of(10), limits).expect("analyzed");
        assert_eq!(evidence.document["members"], 4);
        assert_eq!(evidence.document["limits"][0]["limit"], "members");
        assert!(evidence
            .incomplete
            .expect("partial")
            .contains("more than 3 members"));
    }

    #[test]
    fn formats_are_told_by_their_magic() {
        assert_eq!(Format::detect(&tar_of(1)), Some(Format::Tar));
        assert_eq!(Format::detect(b"\x1f\x8b\x08\0rest"), Some(Format::Gzip));
        assert_eq!(
            Format::detect(b"{\"magic\": \"APJFWv1\", \"image\": \"\"}"),
            Some(Format::ArdupilotApj)
        );
        assert_eq!(Format::detect(b"{\"magic\": \"other\"}"), None);
        assert_eq!(Format::detect(b"\x7fELF\0\0\xff"), None);
        assert_eq!(Format::detect(b"plain text"), None);
    }
}
