//! Writes the hostile inputs of issue 16 and the project's own attacks on its parsers: one
//! folder per case under OUT, and `OUT/manifest.jsonl`, one JSON object a line saying what the
//! case is, the command to run on it and what must happen (exit code, a status and reason in
//! the JSON report or a text on stdout/stderr, a wall-time bound and a peak-memory bound from
//! docs/limits.md). `bench/hostile` runs the cases and writes the table of docs/limits.md.
//!
//! The builders are those of the tests that pinned each defect (tests/firmware.rs,
//! tests/captures.rs, tests/filesystem.rs, tests/fail_closed.rs, the IM*H unit tests of
//! src/analyze/firmware/dji.rs), at the sizes the issue measured. Large inputs are sparse
//! files or repeated deflate blocks, so writing them takes seconds and little disk.
//!
//! Usage: `cargo run --release --example generate_hostile -- OUT [CASE_ID...]` (from the crate
//! root; OUT is emptied first; with case ids, only those cases are written).

use serde_json::json;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Peak memory of a scan of small files: the process, the built-in rules and their compiled
/// queries, the allocator's arenas (docs/limits.md, "Hostile inputs").
const BASE_MIB: u64 = 64;
/// The first-pass buffer of a decompressed member (docs/limits.md, "Memory of firmware
/// unpacking").
const FIRST_PASS_MIB: u64 = 32;
const MIB: u64 = 1 << 20;
/// The evidence of the members a firmware artifact may examine (`--max-archive-members`,
/// 200,000), about 1 KiB each at most: its node in the tree (docs/limits.md).
const MEMBERS_MIB: u64 = 200;

/// What must happen when a case runs.
#[derive(Default)]
struct Expect {
    /// Exit codes accepted.
    exit: Vec<i32>,
    /// An artifact whose path ends with this, its statuses accepted (any of), and a part of
    /// its reason.
    artifact: Option<(String, Vec<&'static str>, String)>,
    /// Texts that stdout or stderr must hold.
    contains: Vec<String>,
    /// Texts that neither may hold (content of files outside the tree).
    lacks: Vec<String>,
    /// Rules that must have findings (evidence that must not be missed).
    findings: Vec<&'static str>,
    /// Rules the report must list as disabled by the policy.
    policy_disabled: Option<usize>,
    /// A rule that must have a finding unless the scan is incomplete (exit 3).
    finding_or_incomplete: Option<&'static str>,
    /// Devices with distinct ids the report must list.
    distinct_devices: Option<usize>,
    /// Rules that must not be `passed` (their evidence could not be collected).
    not_passed: Vec<&'static str>,
    wall_seconds: u64,
    peak_mib: u64,
    /// Where the memory bound comes from.
    bound: String,
}

struct Case {
    id: &'static str,
    what: String,
    command: Vec<String>,
    environment: Vec<(String, String)>,
    expect: Expect,
}

struct Out {
    root: PathBuf,
    cases: Vec<Case>,
    only: Vec<String>,
}

impl Out {
    /// The folder of case `id` (created), or None when the case is not wanted.
    fn folder(&self, id: &str) -> Option<PathBuf> {
        if !self.only.is_empty() && !self.only.iter().any(|wanted| wanted == id) {
            return None;
        }
        let folder = self.root.join(id);
        fs::create_dir_all(&folder).expect("create the case folder");
        Some(folder)
    }

    /// A case run as `scan FOLDER --format json --fail-on none EXTRA`.
    fn scan(&mut self, id: &'static str, what: &str, extra: &[&str], expect: Expect) {
        let folder = self.root.join(id);
        let mut command = vec![
            "scan".to_owned(),
            folder.display().to_string(),
            "--format".to_owned(),
            "json".to_owned(),
            "--fail-on".to_owned(),
            "none".to_owned(),
        ];
        command.extend(extra.iter().map(|argument| (*argument).to_owned()));
        self.push(id, what, command, expect);
    }

    fn push(&mut self, id: &'static str, what: &str, command: Vec<String>, expect: Expect) {
        self.cases.push(Case {
            id,
            what: what.to_owned(),
            command,
            environment: Vec::new(),
            expect,
        });
    }

    fn write_manifest(&self) {
        let mut manifest = String::new();
        for case in &self.cases {
            let expect = &case.expect;
            let line = json!({
                "id": case.id,
                "what": case.what,
                "command": case.command,
                "env": case.environment.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                "expect": {
                    "exit": expect.exit,
                    "artifact": expect.artifact.as_ref().map(|(path, statuses, reason)| json!({
                        "path": path, "status": statuses, "reason": reason,
                    })),
                    "contains": expect.contains,
                    "lacks": expect.lacks,
                    "findings": expect.findings,
                    "distinct_devices": expect.distinct_devices,
                    "not_passed": expect.not_passed,
                    "finding_or_incomplete": expect.finding_or_incomplete,
                    "policy_disabled": expect.policy_disabled,
                    "wall_seconds": expect.wall_seconds,
                    "peak_mib": expect.peak_mib,
                    "bound": expect.bound,
                },
            });
            manifest.push_str(&line.to_string());
            manifest.push('\n');
        }
        fs::write(self.root.join("manifest.jsonl"), manifest).expect("write the manifest");
    }
}

/// An expectation on one artifact's status and reason, the usual 10 s and a memory bound.
fn expect(exit: &[i32], path: &str, statuses: &[&'static str], reason: &str) -> Expect {
    Expect {
        exit: exit.to_vec(),
        artifact: Some((path.to_owned(), statuses.to_vec(), reason.to_owned())),
        wall_seconds: 10,
        peak_mib: BASE_MIB,
        bound: format!("{BASE_MIB} MiB (small files)"),
        ..Expect::default()
    }
}

impl Expect {
    fn memory(mut self, peak_mib: u64, bound: impl Into<String>) -> Self {
        self.peak_mib = peak_mib;
        self.bound = bound.into();
        self
    }

    fn disabling(mut self, rules: usize) -> Self {
        self.policy_disabled = Some(rules);
        self
    }

    fn finding(mut self, rule: &'static str) -> Self {
        self.findings.push(rule);
        self
    }

    fn unpassed(mut self, rule: &'static str) -> Self {
        self.not_passed.push(rule);
        self
    }

    fn text(mut self, text: impl Into<String>) -> Self {
        self.contains.push(text.into());
        self
    }

    fn without(mut self, text: impl Into<String>) -> Self {
        self.lacks.push(text.into());
        self
    }
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("create the folder");
    fs::write(path, bytes).unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
}

fn sample(path: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::read(root.join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The sample headquarters profile: compliant, so a device holding it is assessed.
fn compliant_profile(device: &Path) {
    write(
        &device.join("profile.toml"),
        &sample("samples/m2e-hq/profile.toml"),
    );
}

fn mkfifo(path: &Path) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A sparse file of `length` bytes that starts with `head`.
fn sparse(path: &Path, head: &[u8], length: u64) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    let mut file = fs::File::create(path).expect("create");
    file.write_all(head).expect("write");
    file.set_len(length).expect("a sparse length");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, *content)
            .expect("tar entry");
    }
    builder.into_inner().expect("tar")
}

/// Raw deflate blocks that inflate to 1 MiB of zeros and end on a byte boundary (a sync
/// flush), so that they can be repeated: a stream of N copies inflates to N MiB.
fn deflated_zero_mebibyte() -> Vec<u8> {
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let zeros = vec![0u8; MIB as usize];
    let mut out = Vec::with_capacity(8192);
    compress
        .compress_vec(&zeros, &mut out, flate2::FlushCompress::Sync)
        .expect("deflate");
    assert_eq!(
        compress.total_in(),
        MIB,
        "one call takes the whole mebibyte"
    );
    out
}

/// The final, empty, stored deflate block.
const LAST_BLOCK: [u8; 5] = [1, 0, 0, 0xff, 0xff];

/// A gzip stream of `mebibytes` MiB of zeros, written in seconds.
fn gzip_of_zeros(path: &Path, mebibytes: u64) {
    let block = deflated_zero_mebibyte();
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    let mut file = std::io::BufWriter::new(fs::File::create(path).expect("create"));
    file.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
        .expect("write");
    let mut crc = crc32fast::Hasher::new();
    let zeros = vec![0u8; MIB as usize];
    for _ in 0..mebibytes {
        file.write_all(&block).expect("write");
        crc.update(&zeros);
    }
    file.write_all(&LAST_BLOCK).expect("write");
    file.write_all(&crc.finalize().to_le_bytes())
        .expect("write");
    file.write_all(&((mebibytes * MIB) as u32).to_le_bytes())
        .expect("write");
    file.flush().expect("write");
}

/// A zlib stream of `mebibytes` MiB of zeros (the Adler-32 of n zeros is `n % 65521 << 16 | 1`).
fn zlib_of_zeros(mebibytes: u64) -> Vec<u8> {
    let block = deflated_zero_mebibyte();
    let mut stream = vec![0x78, 0xda];
    for _ in 0..mebibytes {
        stream.extend_from_slice(&block);
    }
    stream.extend_from_slice(&LAST_BLOCK);
    let adler = (((mebibytes * MIB) % 65_521) << 16 | 1) as u32;
    stream.extend_from_slice(&adler.to_be_bytes());
    stream
}

/// backhand's compressor, except that nothing ever gets smaller: the image it writes stores
/// its metadata uncompressed, so that the directory table can be patched in place.
struct StoredOnly;

impl backhand::compression::CompressionAction for StoredOnly {
    fn decompress(
        &self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        compressor: backhand::compression::Compressor,
    ) -> Result<(), backhand::BackhandError> {
        backhand::compression::DefaultCompressor.decompress(bytes, out, compressor)
    }

    fn compress(
        &self,
        bytes: &[u8],
        _compressor: backhand::FilesystemCompressor,
        _block_size: u32,
    ) -> Result<Vec<u8>, backhand::BackhandError> {
        let mut longer = bytes.to_vec();
        longer.push(0);
        Ok(longer)
    }

    fn compression_options(
        &self,
        superblock: &mut backhand::SuperBlock,
        kind: &backhand::kind::Kind,
        compressor: backhand::FilesystemCompressor,
    ) -> Result<Vec<u8>, backhand::BackhandError> {
        backhand::compression::DefaultCompressor.compression_options(superblock, kind, compressor)
    }
}

static STORED_ONLY: StoredOnly = StoredOnly;

/// A SquashFS (metadata stored) holding `/etc/shadow` and the directories `dirs`, in order.
fn stored_squashfs(dirs: &[String]) -> Vec<u8> {
    let mut writer = backhand::FilesystemWriter::default();
    writer.set_kind(backhand::kind::Kind::new(&STORED_ONLY));
    writer.set_time(1_700_000_000);
    let header = backhand::NodeHeader::new(0o755, 0, 0, 1_700_000_000);
    writer.push_dir("etc", header).expect("mkdir");
    writer
        .push_file(
            std::io::Cursor::new(b"root::19800:0:99999:7:::\n".to_vec()),
            "etc/shadow",
            header,
        )
        .expect("file");
    for dir in dirs {
        writer.push_dir(dir.as_str(), header).expect("mkdir");
    }
    let mut image = std::io::Cursor::new(Vec::new());
    writer.write(&mut image).expect("write the filesystem");
    image.into_inner()
}

/// A SquashFS whose `/etc/cycle-to-root` is a directory entry for the root inode.
fn squashfs_cycle() -> Vec<u8> {
    let mut image = stored_squashfs(&["etc/cycle-to-root".to_owned()]);
    let root = backhand::Squashfs::from_reader(std::io::Cursor::new(image.clone()))
        .expect("backhand reads what it wrote")
        .root_inode
        .header
        .inode_number;
    let name = b"cycle-to-root";
    let mut pattern = vec![1, 0, (name.len() - 1) as u8, 0];
    pattern.extend_from_slice(name);
    let at = image
        .windows(pattern.len())
        .position(|window| window == pattern.as_slice())
        .expect("the entry is stored");
    let base = u32::from_le_bytes(image[at - 8..at - 4].try_into().expect("4 bytes"));
    let relative = i16::try_from(i64::from(root) - i64::from(base)).expect("close inodes");
    image[at - 2..at].copy_from_slice(&relative.to_le_bytes());
    image
}

/// SquashFS metadata as the kernel reads it: the stream cut into 8 KiB blocks, each stored
/// (a 2-byte header with the "uncompressed" bit), so that a reference to stream position `p`
/// is block `p / 8192` (8,194 bytes each on disk) and offset `p % 8192`.
fn metadata_blocks(stream: &[u8]) -> Vec<u8> {
    let mut blocks = Vec::with_capacity(stream.len() + stream.len() / 4096 + 2);
    for block in stream.chunks(8192) {
        blocks.extend_from_slice(&(block.len() as u16 | 0x8000).to_le_bytes());
        blocks.extend_from_slice(block);
    }
    blocks
}

/// A metadata reference (block start relative to its table, offset in the block) to stream
/// position `at`.
fn metadata_reference(at: usize) -> u64 {
    ((at / 8192 * 8194) as u64) << 16 | (at % 8192) as u64
}

/// A gzip SquashFS 4.0 made by hand: `data` right after the superblock (offset 96), then one
/// root directory of `files` files named `f00000`…, file N `file_size` bytes long and all of
/// it in fragment N, whose entry (start, on-disk size word) `fragment(N)` gives. The tables
/// are stored (uncompressed metadata), in the order mksquashfs writes them; no export or
/// extended-attribute table.
fn fragment_squashfs(
    block_size: u32,
    data: &[u8],
    files: usize,
    file_size: u32,
    fragment: impl Fn(usize) -> (u64, u32),
) -> Vec<u8> {
    let mut image = vec![0u8; 96];
    image.extend_from_slice(data);
    let inode_header = |kind: u16, number: u32| {
        let mut header = Vec::with_capacity(32);
        for field in [kind, 0o644, 0, 0] {
            header.extend_from_slice(&field.to_le_bytes());
        }
        header.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        header.extend_from_slice(&number.to_le_bytes());
        header
    };
    // Files 1..=files, then the root directory.
    let mut inodes = Vec::new();
    let mut listing = Vec::new();
    let mut header_at = None;
    for index in 0..files {
        let at = inodes.len();
        let number = index as u32 + 1;
        inodes.extend(inode_header(2, number));
        for field in [0u32, index as u32, 0, file_size] {
            inodes.extend_from_slice(&field.to_le_bytes());
        }
        // A directory header covers at most 256 entries, all in one inode block.
        let block = at / 8192;
        let open =
            header_at.filter(|&(header_block, count, _)| header_block == block && count < 256);
        let (base, count) = match open {
            Some((_, count, base)) => (base, count),
            None => {
                listing.extend_from_slice(&[0; 4]);
                listing.extend_from_slice(&((block * 8194) as u32).to_le_bytes());
                listing.extend_from_slice(&number.to_le_bytes());
                (number, 0u32)
            }
        };
        header_at = Some((block, count + 1, base));
        let header = listing.len() - 12 - (count as usize) * 14;
        listing[header..header + 4].copy_from_slice(&count.to_le_bytes());
        listing.extend_from_slice(&((at % 8192) as u16).to_le_bytes());
        listing.extend_from_slice(&((number - base) as i16).to_le_bytes());
        listing.extend_from_slice(&2u16.to_le_bytes());
        let name = format!("f{index:05}");
        listing.extend_from_slice(&(name.len() as u16 - 1).to_le_bytes());
        listing.extend_from_slice(name.as_bytes());
    }
    let root_at = inodes.len();
    let root_number = files as u32 + 1;
    // An extended directory: its listing's length is 32 bits.
    inodes.extend(inode_header(8, root_number));
    inodes.extend_from_slice(&2u32.to_le_bytes()); // links
    inodes.extend_from_slice(&(listing.len() as u32 + 3).to_le_bytes());
    inodes.extend_from_slice(&0u32.to_le_bytes()); // listing block
    inodes.extend_from_slice(&(root_number + 1).to_le_bytes()); // parent
    inodes.extend_from_slice(&0u16.to_le_bytes()); // no index
    inodes.extend_from_slice(&0u16.to_le_bytes()); // listing offset
    inodes.extend_from_slice(&u32::MAX.to_le_bytes()); // no extended attributes
    let inode_table = image.len() as u64;
    image.extend(metadata_blocks(&inodes));
    let directory_table = image.len() as u64;
    image.extend(metadata_blocks(&listing));
    let mut entries = Vec::with_capacity(files * 16);
    for index in 0..files {
        let (start, size) = fragment(index);
        entries.extend_from_slice(&start.to_le_bytes());
        entries.extend_from_slice(&size.to_le_bytes());
        entries.extend_from_slice(&0u32.to_le_bytes());
    }
    let mut fragment_index = Vec::new();
    for block in entries.chunks(8192) {
        fragment_index.extend_from_slice(&(image.len() as u64).to_le_bytes());
        image.extend(metadata_blocks(block));
    }
    let fragment_table = image.len() as u64;
    image.extend(fragment_index);
    let ids = image.len() as u64;
    image.extend(metadata_blocks(&0u32.to_le_bytes()));
    let id_table = image.len() as u64;
    image.extend_from_slice(&ids.to_le_bytes());
    let bytes_used = image.len() as u64;
    let mut superblock = Vec::with_capacity(96);
    superblock.extend_from_slice(b"hsqs");
    superblock.extend_from_slice(&root_number.to_le_bytes()); // inodes
    superblock.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    superblock.extend_from_slice(&block_size.to_le_bytes());
    superblock.extend_from_slice(&(files as u32).to_le_bytes()); // fragments
    superblock.extend_from_slice(&1u16.to_le_bytes()); // gzip
    superblock.extend_from_slice(&(block_size.trailing_zeros() as u16).to_le_bytes());
    superblock.extend_from_slice(&0x0200u16.to_le_bytes()); // no extended attributes
    superblock.extend_from_slice(&1u16.to_le_bytes()); // ids
    superblock.extend_from_slice(&4u16.to_le_bytes());
    superblock.extend_from_slice(&0u16.to_le_bytes());
    superblock.extend_from_slice(&metadata_reference(root_at).to_le_bytes());
    for field in [
        bytes_used,
        id_table,
        u64::MAX,
        inode_table,
        directory_table,
        fragment_table,
        u64::MAX,
    ] {
        superblock.extend_from_slice(&field.to_le_bytes());
    }
    image[..96].copy_from_slice(&superblock);
    image
}

/// The on-disk size word of a fragment block stored uncompressed.
const STORED_FRAGMENT: u32 = 1 << 24;

/// An IM*H module with `chunks` distinct chunk headers over a 4 KiB payload.
fn imah_module(chunks: usize) -> Vec<u8> {
    const HEADER: usize = 192;
    const CHUNK: usize = 32;
    let header_size = HEADER + CHUNK * chunks;
    let mut module = vec![0u8; header_size];
    module[0..4].copy_from_slice(b"IM*H");
    module[16..20].copy_from_slice(&(header_size as u32).to_le_bytes());
    module[24..28].copy_from_slice(&4096u32.to_le_bytes());
    module[156..160].copy_from_slice(&(chunks as u32).to_le_bytes());
    for index in 0..chunks {
        let at = HEADER + index * CHUNK;
        module[at + 4..at + 8].copy_from_slice(&((index % 4000) as u32).to_le_bytes());
        module[at + 8..at + 12].copy_from_slice(&(1 + (index / 4000) as u32 % 90).to_le_bytes());
    }
    module.extend_from_slice(&[0x42u8; 4096]);
    module
}

/// A SHA-512-crypt hash at 100,000 rounds (of no default password): the costliest the check
/// accepts.
const COSTLY_HASH: &str = "$6$rounds=100000$salt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/";

/// A shadow line of account `uN` with one of three hashes that cost most: a yescrypt `j9T`
/// hash (its salt varied by N, so that no outcome is remembered; 16 MiB and ~40 ms a
/// candidate, within the per-hash bounds), a bcrypt hash of cost 31 and a SHA-512-crypt hash of
/// 999,999,999 rounds (each hours a candidate, over the per-hash bounds); `costly_only` leaves
/// out the yescrypt ones.
fn costly_shadow(accounts: usize, costly_only: bool) -> String {
    let mut shadow = String::new();
    for index in 0..accounts {
        let hash = match index % 3 {
            // Canonical base-64: only the salt's middle characters vary.
            0 if !costly_only => format!(
                "$y$j9T$F5Jx5fExrKu{index:08}..1$eL4ia2HImHZ8seSlqsaUJTioIRKoDlNtfIVLRX5XK74"
            ),
            1 | 0 => format!("$2b$31$abcdefghijklmnopqrstuu{index:07}o/pTq/mKvNwTICQKCFa2i1/G"),
            _ => format!(
                "$6$rounds=999999999${index:08}$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/"
            ),
        };
        shadow.push_str(&format!("u{index}:{hash}:19800:0:99999:7:::\n"));
    }
    shadow
}

/// A gzipped tar of `members` `rN/etc/shadow` members, each one account (user `uN`) with the
/// costly hash.
fn shadow_members(path: &Path, members: usize) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    let file = fs::File::create(path).expect("create");
    let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for index in 0..members {
        let line = format!("u{index}:{COSTLY_HASH}:19800:0:99999:7:::\n");
        let mut header = tar::Header::new_gnu();
        header.set_size(line.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("r{index}/etc/shadow"), line.as_bytes())
            .expect("tar entry");
    }
    builder
        .into_inner()
        .expect("tar")
        .finish()
        .expect("gzip")
        .flush()
        .expect("flush");
}

/// A GNU sparse member (type `S`) of one data segment.
fn gnu_sparse_tar(path: &str, content: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_path(path).expect("path");
    header.set_mode(0o600);
    header.set_size(content.len() as u64);
    let gnu = header.as_gnu_mut().expect("a GNU header");
    gnu.set_real_size(content.len() as u64);
    gnu.sparse[0].set_offset(0);
    gnu.sparse[0].set_length(content.len() as u64);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, content).expect("tar entry");
    builder.into_inner().expect("tar")
}

/// A PAX sparse member in GNU tar's format 1.0, stored as `GNUSparseFile.0/shadow`.
fn pax_sparse_tar(path: &str, content: &[u8], hole: u64) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let real_size = (content.len() as u64 + hole).to_string();
    builder
        .append_pax_extensions([
            ("GNU.sparse.major", b"1".as_slice()),
            ("GNU.sparse.minor", b"0".as_slice()),
            ("GNU.sparse.name", path.as_bytes()),
            ("GNU.sparse.realsize", real_size.as_bytes()),
        ])
        .expect("pax header");
    let mut data = format!("1\n0\n{}\n", content.len()).into_bytes();
    data.resize(512, 0);
    data.extend_from_slice(content);
    let mut header = tar::Header::new_ustar();
    header.set_path("GNUSparseFile.0/shadow").expect("path");
    header.set_mode(0o600);
    header.set_size(data.len() as u64);
    header.set_cksum();
    builder.append(&header, data.as_slice()).expect("tar entry");
    builder.into_inner().expect("tar")
}

/// A zip of stored entries written by hand: `entries` are (central name, index of the local
/// entry its data is), over local entries `locals`.
fn handmade_zip(locals: &[(&str, &[u8])], entries: &[(&str, usize)]) -> Vec<u8> {
    let mut zip = Vec::new();
    let mut offsets = Vec::new();
    for (name, data) in locals {
        offsets.push(zip.len() as u32);
        zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(data);
    }
    let directory = zip.len() as u32;
    for (name, local) in entries {
        let data = locals[*local].1;
        zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        zip.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&[0; 12]);
        zip.extend_from_slice(&offsets[*local].to_le_bytes());
        zip.extend_from_slice(name.as_bytes());
    }
    let size = zip.len() as u32 - directory;
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zip.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&directory.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

/// A classic pcap header: little-endian, microseconds, snap length 65535, `link_type`.
fn pcap_header(link_type: u32) -> Vec<u8> {
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&link_type.to_le_bytes());
    header
}

fn pcap_record(seconds: u32, data: &[u8]) -> Vec<u8> {
    let mut record = seconds.to_le_bytes().to_vec();
    record.extend_from_slice(&0u32.to_le_bytes());
    record.extend_from_slice(&(data.len() as u32).to_le_bytes());
    record.extend_from_slice(&(data.len() as u32).to_le_bytes());
    record.extend_from_slice(data);
    record
}

/// A raw IPv4 UDP datagram (LINKTYPE_RAW).
fn udp4(source: [u8; 4], sport: u16, destination: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + 8 + payload.len();
    let mut packet = vec![0x45, 0];
    packet.extend_from_slice(&(total as u16).to_be_bytes());
    packet.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0]);
    packet.extend_from_slice(&source);
    packet.extend_from_slice(&destination);
    packet.extend_from_slice(&sport.to_be_bytes());
    packet.extend_from_slice(&dport.to_be_bytes());
    packet.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    packet.extend_from_slice(&[0, 0]);
    packet.extend_from_slice(payload);
    packet
}

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut message = id.to_be_bytes().to_vec();
    message.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        message.push(label.len() as u8);
        message.extend_from_slice(label.as_bytes());
    }
    message.extend_from_slice(&[0, 0, 1, 0, 1]);
    udp4(
        [192, 168, 10, 20],
        40000 + id % 1000,
        [192, 168, 10, 1],
        53,
        &message,
    )
}

/// A ULog message: size, type, body.
fn ulog_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut message = (body.len() as u16).to_le_bytes().to_vec();
    message.push(kind);
    message.extend_from_slice(body);
    message
}

fn ulog_header() -> Vec<u8> {
    let mut log = b"ULog\x01\x12\x35\x01".to_vec();
    log.extend_from_slice(&123_456u64.to_le_bytes());
    log.extend(ulog_message(b'B', &[0; 40]));
    log
}

fn main() {
    let mut arguments = std::env::args_os().skip(1);
    let Some(root) = arguments.next().map(PathBuf::from) else {
        eprintln!("usage: generate_hostile OUT [CASE_ID...]");
        std::process::exit(2);
    };
    let only: Vec<String> = arguments
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect();
    if only.is_empty() && root.exists() {
        // rm, whose walk does not recurse: one case nests folders 2,500 deep.
        let status = Command::new("rm")
            .arg("-rf")
            .arg(&root)
            .status()
            .expect("rm");
        assert!(status.success(), "empty OUT");
    }
    fs::create_dir_all(&root).expect("create OUT");
    let root = root.canonicalize().expect("OUT");
    let mut out = Out {
        root,
        cases: Vec::new(),
        only,
    };
    unpacking(&mut out);
    archives(&mut out);
    captures(&mut out);
    tree_files(&mut out);
    broken_files(&mut out);
    logs(&mut out);
    own_attacks(&mut out);
    out.write_manifest();
}

/// Issue 16 items 1-4: bombs, cycles, chunk tables, the shadow CPU bomb.
fn unpacking(out: &mut Out) {
    if let Some(folder) = out.folder("gzip-10g-zeros") {
        gzip_of_zeros(&folder.join("device/rootfs.img.gz"), 10 * 1024);
    }
    let bomb_bound = format!(
        "{} MiB (base + the mapped file + one {FIRST_PASS_MIB} MiB first pass)",
        BASE_MIB + 11 + FIRST_PASS_MIB
    );
    out.scan(
        "gzip-10g-zeros",
        "gzip of 10 GiB of zeros (10 MB)",
        &[],
        expect(&[3], "rootfs.img.gz", &["partial"], "exceed")
            .memory(BASE_MIB + 11 + FIRST_PASS_MIB, bomb_bound.clone()),
    );

    if let Some(folder) = out.folder("apj-8g-image") {
        use base64::Engine;
        let image = zlib_of_zeros(8 * 1024);
        // As ArduPilot's tools write it: the magic and the board first, the image last.
        let package = format!(
            "{{\n  \"board_id\": 140,\n  \"magic\": \"APJFWv1\",\n  \"description\": \"Firmware for a STM32H743xx board\",\n  \"image_size\": {},\n  \"summary\": \"CubeOrange\",\n  \"image\": \"{}\"\n}}\n",
            8u64 << 30,
            base64::engine::general_purpose::STANDARD.encode(image)
        );
        write(&folder.join("device/arducopter.apj"), package.as_bytes());
    }
    // The package: ~11 MB, its base64 text and decoded stream (1.75 × the file).
    out.scan(
        "apj-8g-image",
        ".apj whose image inflates to 8 GiB (11 MB)",
        &[],
        expect(&[3], "arducopter.apj", &["partial"], "exceed").memory(
            BASE_MIB + 11 * 3 + FIRST_PASS_MIB,
            format!(
                "{} MiB (base + the file, its decoded stream + one first pass)",
                BASE_MIB + 11 * 3 + FIRST_PASS_MIB
            ),
        ),
    );

    if let Some(folder) = out.folder("squashfs-cycle") {
        write(&folder.join("device/rootfs.squashfs"), &squashfs_cycle());
    }
    out.scan(
        "squashfs-cycle",
        "SquashFS directory pointing at the root inode",
        &[],
        expect(&[3], "rootfs.squashfs", &["partial"], "directory cycle"),
    );
    if let Some(folder) = out.folder("squashfs-300-deep") {
        let chain: Vec<String> = (1..=300).map(|level| vec!["d"; level].join("/")).collect();
        write(
            &folder.join("device/rootfs.squashfs"),
            &stored_squashfs(&chain),
        );
    }
    out.scan(
        "squashfs-300-deep",
        "SquashFS of 300 nested directories",
        &[],
        expect(
            &[3],
            "rootfs.squashfs",
            &["partial"],
            "nest more than 256 deep",
        ),
    );

    if let Some(folder) = out.folder("squashfs-stored-fragments-16m") {
        // 2,000 one-byte files, fragment N stored (uncompressed), 16 MiB long from byte N of
        // a 16 MiB run of zeros: every fragment is another block to read whole and keep.
        let run = vec![0u8; 16 << 20];
        let image = fragment_squashfs(4096, &run, 2_000, 1, |index| {
            (96 + index as u64, ((16 << 20) - 4096) | STORED_FRAGMENT)
        });
        write(&folder.join("device/rootfs.squashfs"), &image);
    }
    out.scan(
        "squashfs-stored-fragments-16m",
        "SquashFS of 2,000 files, each in a stored 16 MiB fragment at its own offset (16 MB)",
        &[],
        expect(&[3], "rootfs.squashfs", &["partial"], "fragment").memory(
            BASE_MIB + 16 + FIRST_PASS_MIB,
            format!(
                "{} MiB (base + the mapped file + one first pass)",
                BASE_MIB + 16 + FIRST_PASS_MIB
            ),
        ),
    );
    if let Some(folder) = out.folder("squashfs-8k-inflating-fragments") {
        // 8,192 files, each in a fragment block of its own that inflates to 1 MiB of zeros
        // from 1 KiB: 8 GiB of fragment blocks from an 8 MB image.
        let stream = zlib_of_zeros(1);
        let image = fragment_squashfs(1 << 20, &stream.repeat(8_192), 8_192, 16, |index| {
            (96 + (index * stream.len()) as u64, stream.len() as u32)
        });
        write(&folder.join("device/rootfs.squashfs"), &image);
    }
    out.scan(
        "squashfs-8k-inflating-fragments",
        "SquashFS of 8,192 files, each in its own 1 KiB fragment block inflating to 1 MiB (8 MB)",
        &[],
        expect(&[0, 3], "rootfs.squashfs", &["partial"], "").memory(
            BASE_MIB + 8 + FIRST_PASS_MIB + 64,
            format!(
                "{} MiB (base + the mapped file + one first pass + the fragment blocks kept)",
                BASE_MIB + 8 + FIRST_PASS_MIB + 64
            ),
        ),
    );
    if let Some(folder) = out.folder("squashfs-one-fragment-for-all") {
        // 4,000 files whose fragment entries all point at one block inflating to 1 MiB (each
        // file its first 8 KiB): the block must be inflated once, not once a file.
        let stream = zlib_of_zeros(1);
        let image = fragment_squashfs(1 << 20, &stream, 4_000, 8192, |_| (96, stream.len() as u32));
        write(&folder.join("device/rootfs.squashfs"), &image);
    }
    out.scan(
        "squashfs-one-fragment-for-all",
        "SquashFS of 4,000 files whose fragment entries all point at one 1 MiB block",
        &[],
        expect(&[0, 3], "rootfs.squashfs", &["assessed", "partial"], ""),
    );

    if let Some(folder) = out.folder("imah-1m-chunks") {
        write(
            &folder.join("device/wm245_0306_v01.01.0300.sig"),
            &imah_module(1_000_000),
        );
    }
    out.scan(
        "imah-1m-chunks",
        "DJI IM*H module with 1,000,000 chunk headers (32 MB)",
        &[],
        expect(&[3], ".sig", &["partial"], "more than 200000 members").memory(
            BASE_MIB + 32 + MEMBERS_MIB,
            format!(
                "{} MiB (base + the file + 200,000 members' tree nodes)",
                BASE_MIB + 32 + MEMBERS_MIB
            ),
        ),
    );

    if let Some(folder) = out.folder("shadow-50-members") {
        shadow_members(&folder.join("device/rootfs.tar.gz"), 50);
    }
    out.scan(
        "shadow-50-members",
        "firmware tar, 50 shadow members of 100,000-round hashes, user names varied",
        &[],
        expect(&[3], "rootfs.tar.gz", &["partial"], "budget"),
    );
    if let Some(folder) = out.folder("shadow-199k-members") {
        shadow_members(&folder.join("device/rootfs.tar.gz"), 199_000);
    }
    out.scan(
        "shadow-199k-members",
        "firmware tar, 199,000 shadow members (2 MB gzipped, 200 MB of tar)",
        &[],
        expect(&[3], "rootfs.tar.gz", &["partial"], "budget").memory(
            BASE_MIB + 200 + MEMBERS_MIB,
            format!(
                "{} MiB (base + the unpacked tar + 199,000 members' tree nodes)",
                BASE_MIB + 200 + MEMBERS_MIB
            ),
        ),
    );
}

/// Issue 16 item 9 and nesting: evidence hidden in archives.
fn archives(out: &mut Out) {
    let shadow = b"root::19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n";
    if let Some(folder) = out.folder("tar-gnu-sparse-shadow") {
        write(
            &folder.join("device/rootfs.tar"),
            &gnu_sparse_tar("etc/shadow", shadow),
        );
    }
    out.scan(
        "tar-gnu-sparse-shadow",
        "GNU sparse tar member etc/shadow, empty root password",
        &[],
        expect(&[0], "rootfs.tar", &["assessed"], "").finding("ACCT-001"),
    );
    if let Some(folder) = out.folder("tar-pax-sparse-shadow") {
        write(
            &folder.join("device/rootfs.tar"),
            &pax_sparse_tar("etc/shadow", shadow, 0),
        );
    }
    out.scan(
        "tar-pax-sparse-shadow",
        "PAX 1.0 sparse tar member etc/shadow, empty root password",
        &[],
        expect(&[0], "rootfs.tar", &["assessed"], "").finding("ACCT-001"),
    );
    if let Some(folder) = out.folder("tar-sparse-64g-hole") {
        write(
            &folder.join("device/rootfs.tar"),
            &pax_sparse_tar("var/log/huge", b"x", 64 << 30),
        );
    }
    out.scan(
        "tar-sparse-64g-hole",
        "PAX sparse tar member with a 64 GiB hole",
        &[],
        expect(&[3], "rootfs.tar", &["partial"], "unpack"),
    );

    if let Some(folder) = out.folder("zip-two-shadows") {
        let empty = b"root::19800:0:99999:7:::\n";
        let locked = b"root:*:19800:0:99999:7:::\n";
        write(
            &folder.join("device/rootfs.zip"),
            &handmade_zip(
                &[("etc/shadow", empty), ("etc/shadow", locked)],
                &[("etc/shadow", 0), ("etc/shadow", 1)],
            ),
        );
    }
    out.scan(
        "zip-two-shadows",
        "zip with two etc/shadow entries, the first with an empty root password",
        &[],
        expect(&[0], "rootfs.zip", &["assessed"], "").finding("ACCT-001"),
    );

    if let Some(folder) = out.folder("zip-overlapping") {
        let key = b"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtestkeyonlyfordroneaudit\n-----END RSA PRIVATE KEY-----\n";
        let names: Vec<String> = (0..10_000)
            .map(|index| format!("keys/{index}.pem"))
            .collect();
        let entries: Vec<(&str, usize)> = names.iter().map(|name| (name.as_str(), 0)).collect();
        write(
            &folder.join("device/bomb.zip"),
            &handmade_zip(&[("keys/0.pem", key)], &entries),
        );
    }
    out.scan(
        "zip-overlapping",
        "Fifield-style zip: 10,000 entries over the same bytes",
        &[],
        expect(&[3], "bomb.zip", &["partial"], "share compressed data")
            .finding("FW-019")
            .text("10000 of its 10000 entries"),
    );

    if let Some(folder) = out.folder("gzip-20-deep") {
        let mut nested = b"root::0:0:99999:7:::\n".to_vec();
        for _ in 0..20 {
            nested = gzip(&nested);
        }
        write(&folder.join("device/nested.gz"), &nested);
    }
    out.scan(
        "gzip-20-deep",
        "a shadow line gzipped 20 times",
        &[],
        expect(&[3], "nested.gz", &["partial"], "containers deep").finding("FW-019"),
    );
    if let Some(folder) = out.folder("tar-zip-gzip-nesting") {
        // tar in zip in gzip in tar…, 30 levels, with an empty root password at the bottom.
        let mut nested = tar(&[("etc/shadow", b"root::0:0:99999:7:::\n")]);
        for level in 0..30 {
            nested = match level % 3 {
                0 => gzip(&nested),
                1 => handmade_zip(&[("rootfs.tar.gz", &nested)], &[("rootfs.tar.gz", 0)]),
                _ => tar(&[("image.zip", &nested), ("etc/os-release", b"ID=x\n")]),
            };
        }
        write(&folder.join("device/image.tar.gz"), &nested);
    }
    out.scan(
        "tar-zip-gzip-nesting",
        "tar, zip and gzip nested 30 deep",
        &[],
        expect(&[3], "image.tar.gz", &["partial"], "containers deep").finding("FW-019"),
    );
}

/// Issue 16 items 5 and 9: captures.
fn captures(out: &mut Out) {
    if let Some(folder) = out.folder("pcap-20g-sparse") {
        sparse(
            &folder.join("gcs/twenty-gigabytes.pcap"),
            &pcap_header(101),
            20_000_000_000,
        );
    }
    out.scan(
        "pcap-20g-sparse",
        "20 GB sparse pcap of zero-length records",
        &[],
        expect(
            &[3],
            "twenty-gigabytes.pcap",
            &["error"],
            "--max-capture-size",
        ),
    );
    if let Some(folder) = out.folder("pcap-512m-sparse") {
        sparse(&folder.join("gcs/zeros.pcap"), &pcap_header(101), 512 * MIB);
    }
    out.scan(
        "pcap-512m-sparse",
        "512 MiB sparse pcap of zero-length records",
        &[],
        expect(&[3], "zeros.pcap", &["partial"], "hold no byte"),
    );
    let vendor = dns_query(7, "mydjiflight.dji.com");
    if let Some(folder) = out.folder("pcap-dns-cap-padding") {
        let mut capture = pcap_header(101);
        for index in 0..10_001u32 {
            let query = dns_query(index as u16, &format!("pad{index}.example.org"));
            capture.extend(pcap_record(1_790_000_000 + index / 100, &query));
        }
        capture.extend(pcap_record(1_790_000_200, &vendor));
        write(&folder.join("gcs/padded.pcap"), &capture);
    }
    out.scan(
        "pcap-dns-cap-padding",
        "10,001 DNS lookups, then the DJI one",
        &[],
        expect(&[3], "padded.pcap", &["partial"], "more than 10000 records").finding("CAP-003"),
    );
    if let Some(folder) = out.folder("pcap-conversation-cap-padding") {
        let mut capture = pcap_header(101);
        for index in 0..100_001u32 {
            let [_, a, b, c] = index.to_be_bytes();
            let packet = udp4([10, a, b, c], 5000, [192, 168, 10, 1], 9, b"pad");
            capture.extend(pcap_record(1_790_000_000 + index / 1000, &packet));
        }
        capture.extend(pcap_record(1_790_000_200, &vendor));
        write(&folder.join("gcs/padded.pcap"), &capture);
    }
    out.scan(
        "pcap-conversation-cap-padding",
        "100,001 conversations, then the DJI lookup",
        &[],
        expect(&[3], "padded.pcap", &["partial"], "conversations")
            .finding("CAP-003")
            .memory(
                BASE_MIB + 400,
                "64 MiB + about 4 KiB per conversation kept (100,000 at most)",
            ),
    );
    if let Some(folder) = out.folder("pcap-huge-record") {
        let mut capture = pcap_header(101);
        capture.extend(pcap_record(1_790_000_000, &vendor));
        capture.extend_from_slice(&[0; 8]);
        capture.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
        capture.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
        capture.extend(std::iter::repeat_n(0x42, 17 << 20));
        write(&folder.join("gcs/huge.pcap"), &capture);
    }
    out.scan(
        "pcap-huge-record",
        "pcap record claiming 2 GB, 17 MiB after it",
        &[],
        expect(&[3], "huge.pcap", &["partial"], "bogus length"),
    );
}

/// Issue 16 items 6, 11, 12, 13: files of the tree and the tree itself.
fn tree_files(out: &mut Out) {
    if let Some(folder) = out.folder("fifo-gitignore") {
        compliant_profile(&folder.join("m2e"));
        mkfifo(&folder.join(".gitignore"));
    }
    out.scan(
        "fifo-gitignore",
        "FIFO named .gitignore",
        &[],
        expect(&[0, 3], ".gitignore", &["skipped"], "not a regular file"),
    );
    if let Some(folder) = out.folder("ignore-dev-zero") {
        compliant_profile(&folder.join("m2e"));
        std::os::unix::fs::symlink("/dev/zero", folder.join(".ignore")).expect("link");
    }
    out.scan(
        "ignore-dev-zero",
        ".ignore linked to /dev/zero",
        &[],
        expect(
            &[0, 3],
            ".ignore",
            &["skipped"],
            "out of the scanned folder",
        ),
    );
    const MARKER: &str = "HOSTILE_MARKER_7f3a9c_SECRET";
    if let Some(folder) = out.folder("fleet-toml-environ") {
        compliant_profile(&folder.join("m2e"));
        std::os::unix::fs::symlink("/proc/self/environ", folder.join("fleet.toml")).expect("link");
    }
    out.scan(
        "fleet-toml-environ",
        "fleet.toml linked to /proc/self/environ",
        &[],
        Expect {
            exit: vec![2],
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .text("out of the scanned folder")
        .without(MARKER)
        .without("PATH="),
    );
    if let Some(case) = out.cases.last_mut() {
        case.environment
            .push(("HOSTILE_MARKER".to_owned(), MARKER.to_owned()));
    }
    if let Some(folder) = out.folder("policy-etc-shadow") {
        compliant_profile(&folder.join("m2e"));
        std::os::unix::fs::symlink("/etc/shadow", folder.join("drone-audit.toml")).expect("link");
    }
    out.scan(
        "policy-etc-shadow",
        "drone-audit.toml linked to /etc/shadow",
        &[],
        Expect {
            exit: vec![2],
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .text("out of the scanned folder")
        .without("root:"),
    );
    if let Some(folder) = out.folder("policy-disables-everything") {
        let rules = drone_audit::rules::load(None).expect("built-in rules");
        let ids: Vec<String> = rules
            .rules
            .iter()
            .map(|rule| format!("\"{}\"", rule.id))
            .collect();
        let policy = format!("[rules]\ndisable = [{}]\n", ids.join(", "));
        write(&folder.join("drone-audit.toml"), policy.as_bytes());
        let device = folder.join("m2e-field");
        for file in ["profile.json", "ground-station.pcap"] {
            write(
                &device.join(file),
                &sample(&format!("samples/m2e-field/{file}")),
            );
        }
    }
    let rule_count = drone_audit::rules::load(None)
        .map(|rules| rules.rules.len())
        .unwrap_or_default();
    out.scan(
        "policy-disables-everything",
        "drone-audit.toml in the tree disabling every rule",
        &[],
        Expect {
            exit: vec![3],
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .disabling(rule_count),
    );
    if let Some(folder) = out.folder("symlink-out-of-tree") {
        let device = folder.join("m2e");
        compliant_profile(&device);
        std::os::unix::fs::symlink("/etc/passwd", device.join("passwd")).expect("link");
        std::os::unix::fs::symlink("/etc", device.join("etc")).expect("link");
    }
    out.scan(
        "symlink-out-of-tree",
        "links to /etc/passwd and /etc",
        &[],
        expect(&[0, 3], "m2e/passwd", &["skipped"], "link"),
    );
    if let Some(folder) = out.folder("non-utf8-names") {
        for name in [b"drone-\xff".as_slice(), b"drone-\xfe".as_slice()] {
            compliant_profile(&folder.join(std::ffi::OsStr::from_bytes(name)));
        }
    }
    out.scan(
        "non-utf8-names",
        "two device folders whose names are not UTF-8",
        &[],
        Expect {
            exit: vec![0],
            distinct_devices: Some(2),
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        },
    );
    let _ = out.folder("empty-folder");
    out.scan(
        "empty-folder",
        "an empty folder",
        &[],
        Expect {
            exit: vec![3],
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .text("found no device to assess"),
    );
    if let Some(folder) = out.folder("fifo-sshd-config") {
        let device = folder.join("companion");
        compliant_profile(&device);
        mkfifo(&device.join("sshd_config"));
    }
    out.scan(
        "fifo-sshd-config",
        "FIFO named sshd_config",
        &[],
        expect(&[3], "sshd_config", &["error"], "not a regular file"),
    );
    if let Some(folder) = out.folder("sparse-over-max-file-size") {
        sparse(
            &folder.join("device/rootfs.squashfs"),
            b"hsqs",
            10 * 1024 * MIB,
        );
    }
    out.scan(
        "sparse-over-max-file-size",
        "10 GiB sparse rootfs.squashfs",
        &[],
        expect(&[3], "rootfs.squashfs", &["error"], "--max-file-size"),
    );
    if let Some(folder) = out.folder("inspect-fifo") {
        mkfifo(&folder.join("flight.ulg"));
    }
    let fifo = out
        .root
        .join("inspect-fifo/flight.ulg")
        .display()
        .to_string();
    let inspect = |exit: &[i32], text: &str| {
        Expect {
            exit: exit.to_vec(),
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .text(text)
    };
    out.push(
        "inspect-dev-zero",
        "`inspect /dev/zero`",
        vec!["inspect".to_owned(), "/dev/zero".to_owned()],
        inspect(&[3], "not a regular file"),
    );
    out.push(
        "inspect-fifo",
        "`inspect` of a FIFO",
        vec!["inspect".to_owned(), fifo],
        inspect(&[3], "not a regular file"),
    );
}

/// Issue 16 items 8 and 10: files whose name says what they are and whose content is broken.
fn broken_files(out: &mut Out) {
    if let Some(folder) = out.folder("profile-json-trailing-comma") {
        let text = String::from_utf8(sample("samples/m2e-field/profile.json")).expect("UTF-8");
        let end = text.rfind('}').expect("a closing brace");
        let broken = format!("{},\n}}\n", text[..end].trim_end());
        write(&folder.join("m2e/profile.json"), broken.as_bytes());
    }
    out.scan(
        "profile-json-trailing-comma",
        "profile.json with a trailing comma",
        &[],
        expect(&[3], "profile.json", &["error"], "line"),
    );
    if let Some(folder) = out.folder("profile-toml-cut") {
        let text = sample("samples/px4-quad/profile.toml");
        let quote = text
            .iter()
            .position(|byte| *byte == b'"')
            .expect("a string");
        write(&folder.join("quad/profile.toml"), &text[..quote + 3]);
    }
    out.scan(
        "profile-toml-cut",
        "profile.toml cut in the middle of a string",
        &[],
        expect(&[3], "profile.toml", &["error"], "line"),
    );
    if let Some(folder) = out.folder("sshd-comments-then-garbage") {
        let mut config = "# a comment line, repeated past 64 KiB\n".repeat(2000);
        config.push_str("PermitRootLogin yes\nthis is { not sshd syntax\n");
        write(&folder.join("companion/sshd_config"), config.as_bytes());
    }
    out.scan(
        "sshd-comments-then-garbage",
        "sshd_config: 78 KB of comments, then garbage",
        &[],
        expect(&[3], "sshd_config", &["error", "partial"], "line 2002"),
    );
    if let Some(folder) = out.folder("profile-misspelt-key") {
        let text = String::from_utf8(sample("tests/fixtures/rules/CONN-001/fires.toml"))
            .expect("UTF-8")
            .replace("local_data_mode = false", "local_data_mod = false");
        write(&folder.join("m2e/profile.toml"), text.as_bytes());
    }
    out.scan(
        "profile-misspelt-key",
        "profile.toml with `local_data_mod`",
        &[],
        expect(
            &[3],
            "profile.toml",
            &["partial"],
            "did you mean `local_data_mode`",
        ),
    );
    if let Some(folder) = out.folder("json-100k-deep") {
        let mut json = "[".repeat(100_000);
        json.push_str(&"]".repeat(100_000));
        write(&folder.join("m2e/profile.json"), json.as_bytes());
    }
    out.scan(
        "json-100k-deep",
        "profile.json nested 100,000 deep",
        &[],
        expect(&[3], "profile.json", &["error"], ""),
    );
    if let Some(folder) = out.folder("sshd-100mb-line") {
        let mut line = b"Banner ".to_vec();
        line.resize(100_000_000, b'a');
        line.push(b'\n');
        write(&folder.join("companion/sshd_config"), &line);
    }
    out.scan(
        "sshd-100mb-line",
        "sshd_config of one 100 MB line",
        &[],
        expect(&[3], "sshd_config", &["error"], "line").memory(
            BASE_MIB + 100,
            format!("{} MiB (base + the file, read whole)", BASE_MIB + 100),
        ),
    );
}

/// Flight records whose lengths point past their end.
fn logs(out: &mut Out) {
    if let Some(folder) = out.folder("ulog-length-past-end") {
        let mut log = sample("samples/px4-quad/log/2026-11-01/10_00_00.ulg");
        log.extend_from_slice(&0xfff0u16.to_le_bytes());
        log.push(b'L');
        log.extend_from_slice(b"takeoff");
        write(&folder.join("quad/log/flight.ulg"), &log);
    }
    out.scan(
        "ulog-length-past-end",
        "ULog whose last message claims 65,520 bytes",
        &[],
        expect(&[3], "flight.ulg", &["partial", "error"], "end"),
    );
    if let Some(folder) = out.folder("dataflash-length-past-end") {
        let mut log = sample("samples/ardupilot-plane/APM/LOGS/00000042.BIN");
        // A format of 255-byte records (type 200), then one such record cut after 10 bytes.
        let mut format = vec![0xa3, 0x95, 128, 200, 255];
        format.extend_from_slice(b"HUGE");
        let mut letters = b"QZZZ".to_vec();
        letters.resize(16, 0);
        format.extend(letters);
        let mut columns = b"TimeUS,A,B,C".to_vec();
        columns.resize(64, 0);
        format.extend(columns);
        log.extend(format);
        log.extend_from_slice(&[0xa3, 0x95, 200, 1, 2, 3, 4, 5, 6, 7]);
        write(&folder.join("plane/APM/LOGS/00000043.BIN"), &log);
    }
    out.scan(
        "dataflash-length-past-end",
        "DataFlash whose last record's format says 255 bytes, 10 there",
        &[],
        expect(&[3], "00000043.BIN", &["partial", "error"], ""),
    );
    if let Some(folder) = out.folder("tlog-length-past-end") {
        let mut log = sample("samples/px4-quad/telemetry/flight-0007.tlog");
        log.extend_from_slice(&1_790_000_000_000_000u64.to_be_bytes());
        log.extend_from_slice(&[0xfd, 255, 0, 0, 9, 1, 1, 0, 0, 0, 1, 2, 3]);
        write(&folder.join("quad/telemetry/flight-0008.tlog"), &log);
    }
    out.scan(
        "tlog-length-past-end",
        "tlog whose last MAVLink frame claims 255 bytes",
        &[],
        expect(&[3], "flight-0008.tlog", &["partial", "error"], ""),
    );
    let record = "samples/m2e-field/tablet/DJIFlightRecord_2026-11-01_[10-00-00].txt";
    if let Some(folder) = out.folder("dji-record-offset-past-end") {
        let mut bytes = sample(record);
        bytes[0..8].copy_from_slice(&(u64::MAX - 7).to_le_bytes());
        write(
            &folder.join("tablet/DJIFlightRecord_2026-11-02_[10-00-00].txt"),
            &bytes,
        );
    }
    out.scan(
        "dji-record-offset-past-end",
        "DJI flight record whose details offset is 2^64 - 8",
        &[],
        expect(&[3], ".txt", &["partial", "error"], ""),
    );
    if let Some(folder) = out.folder("dji-record-block-past-end") {
        let mut bytes = sample(record);
        if bytes.len() > 103 && bytes[100] == 0 {
            bytes[101..103].copy_from_slice(&0xffffu16.to_le_bytes());
        } else {
            bytes[8..10].copy_from_slice(&0xffffu16.to_le_bytes());
        }
        write(
            &folder.join("tablet/DJIFlightRecord_2026-11-03_[10-00-00].txt"),
            &bytes,
        );
    }
    out.scan(
        "dji-record-block-past-end",
        "DJI flight record whose details block claims 65,535 bytes",
        &[],
        expect(&[3], ".txt", &["partial", "error"], ""),
    );
}

/// Attacks of this project's own on the parsers.
fn own_attacks(out: &mut Out) {
    if let Some(folder) = out.folder("ulog-nested-format-bomb") {
        // Nine formats, each 6,000 fields of the next: sizing the first by recursion without
        // memory is 6,000^8 calls.
        let mut log = ulog_header();
        for level in 0..9 {
            let field = if level == 8 {
                "uint8_t x;".to_owned()
            } else {
                format!("t{} x;", level + 1)
            };
            let fields = field.repeat(if level == 8 { 1 } else { 6000 });
            log.extend(ulog_message(b'F', format!("t{level}:{fields}").as_bytes()));
        }
        let mut subscribe = vec![0, 1, 0];
        subscribe.extend_from_slice(b"t0");
        log.extend(ulog_message(b'A', &subscribe));
        log.extend(ulog_message(b'D', &[1, 0, 1, 2, 3]));
        write(&folder.join("quad/log/bomb.ulg"), &log);
    }
    out.scan(
        "ulog-nested-format-bomb",
        "ULog: 9 formats of 6,000 fields each of the next type",
        &[],
        expect(&[0, 3], "bomb.ulg", &["assessed", "partial"], ""),
    );
    if let Some(folder) = out.folder("dataflash-zero-length-format") {
        let mut log = Vec::new();
        let mut format = vec![0xa3, 0x95, 128, 128, 89];
        format.extend_from_slice(b"FMT\0");
        let mut letters = b"BBnNZ".to_vec();
        letters.resize(16, 0);
        format.extend(letters);
        let mut columns = b"Type,Length,Name,Format,Columns".to_vec();
        columns.resize(64, 0);
        format.extend(columns);
        log.extend_from_slice(&format);
        for length in [0u8, 1, 2] {
            let mut short = format.clone();
            short[3] = 200 + length;
            short[4] = length;
            log.extend(short);
        }
        for _ in 0..1_000_000 {
            log.extend_from_slice(&[0xa3, 0x95, 200]);
        }
        write(&folder.join("plane/APM/LOGS/00000001.BIN"), &log);
    }
    out.scan(
        "dataflash-zero-length-format",
        "DataFlash formats of length 0-2, then 1,000,000 such records",
        &[],
        expect(&[3], "00000001.BIN", &["partial", "error"], ""),
    );
    if let Some(folder) = out.folder("toml-100k-deep") {
        let mut toml = "model = ".to_owned();
        toml.push_str(&"[".repeat(100_000));
        toml.push_str(&"]".repeat(100_000));
        toml.push('\n');
        write(&folder.join("m2e/profile.toml"), toml.as_bytes());
    }
    out.scan(
        "toml-100k-deep",
        "profile.toml of arrays nested 100,000 deep",
        &[],
        expect(&[3], "profile.toml", &["error"], ""),
    );
    if let Some(folder) = out.folder("toml-inline-tables-100k-deep") {
        let mut toml = "model = ".to_owned();
        toml.push_str(&"{a=".repeat(100_000));
        toml.push('1');
        toml.push_str(&"}".repeat(100_000));
        toml.push('\n');
        write(&folder.join("m2e/profile.toml"), toml.as_bytes());
    }
    out.scan(
        "toml-inline-tables-100k-deep",
        "profile.toml of inline tables nested 100,000 deep",
        &[],
        expect(&[3], "profile.toml", &["error"], ""),
    );
    if let Some(folder) = out.folder("fleet-toml-100k-deep") {
        compliant_profile(&folder.join("m2e"));
        let mut toml = "x = ".to_owned();
        toml.push_str(&"[".repeat(100_000));
        toml.push_str(&"]".repeat(100_000));
        toml.push('\n');
        write(&folder.join("fleet.toml"), toml.as_bytes());
    }
    out.scan(
        "fleet-toml-100k-deep",
        "fleet.toml of arrays nested 100,000 deep",
        &[],
        Expect {
            exit: vec![2],
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .text("fleet.toml"),
    );
    if let Some(folder) = out.folder("policy-toml-100k-deep") {
        compliant_profile(&folder.join("m2e"));
        let mut toml = "x = ".to_owned();
        toml.push_str(&"{a=".repeat(100_000));
        toml.push('1');
        toml.push_str(&"}".repeat(100_000));
        toml.push('\n');
        write(&folder.join("drone-audit.toml"), toml.as_bytes());
    }
    out.scan(
        "policy-toml-100k-deep",
        "drone-audit.toml of inline tables nested 100,000 deep",
        &[],
        Expect {
            exit: vec![2],
            wall_seconds: 10,
            peak_mib: BASE_MIB,
            bound: format!("{BASE_MIB} MiB (small files)"),
            ..Expect::default()
        }
        .text("drone-audit.toml"),
    );
    if let Some(folder) = out.folder("tar-member-claims-8g") {
        let mut archive = tar(&[
            ("etc/os-release", b"ID=x\n"),
            ("etc/shadow", b"root::0:0:99999:7:::\n"),
        ]);
        // The second member's header: size 8 GiB in octal, checksum redone; the archive ends.
        let header = &mut archive[1024..1536];
        header[124..136].copy_from_slice(b"77777777777\0");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|byte| u32::from(*byte)).sum();
        header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        archive.truncate(2048);
        write(&folder.join("device/rootfs.tar"), &archive);
    }
    out.scan(
        "tar-member-claims-8g",
        "tar whose etc/shadow member claims 8 GiB, cut after 512 bytes",
        &[],
        expect(&[3], "rootfs.tar", &["partial"], ""),
    );
    if let Some(folder) = out.folder("elf-absurd-headers") {
        // An ELF64 header claiming 65,535 program and section headers far past its end.
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[6] = 1;
        elf[16] = 3; // ET_DYN
        elf[18] = 62; // x86-64
        elf[20] = 1;
        elf[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes()); // e_phoff
        elf[40..48].copy_from_slice(&64u64.to_le_bytes()); // e_shoff
        elf[52..54].copy_from_slice(&64u16.to_le_bytes());
        elf[54..56].copy_from_slice(&56u16.to_le_bytes());
        elf[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
        elf[58..60].copy_from_slice(&64u16.to_le_bytes());
        elf[60..62].copy_from_slice(&0xffffu16.to_le_bytes());
        elf[62..64].copy_from_slice(&0xfffeu16.to_le_bytes());
        let archive = tar(&[("etc/os-release", b"ID=x\n"), ("usr/bin/telemetry", &elf)]);
        write(&folder.join("device/rootfs.tar"), &archive);
    }
    out.scan(
        "elf-absurd-headers",
        "firmware tar holding an ELF with 65,535 headers past its end",
        &[],
        expect(&[0, 3], "rootfs.tar", &["assessed", "partial"], ""),
    );
    if let Some(folder) = out.folder("shadow-20k-accounts") {
        let mut shadow = String::new();
        for index in 0..20_000 {
            shadow.push_str(&format!("u{index}:{COSTLY_HASH}:19800:0:99999:7:::\n"));
        }
        write(&folder.join("companion/shadow"), shadow.as_bytes());
    }
    out.scan(
        "shadow-20k-accounts",
        "/etc/shadow of 20,000 accounts with 100,000-round hashes",
        &[],
        expect(&[3], "shadow", &["partial"], "budget"),
    );
    if let Some(folder) = out.folder("shadow-10k-costliest-hashes") {
        write(
            &folder.join("companion/shadow"),
            costly_shadow(10_000, false).as_bytes(),
        );
    }
    out.scan(
        "shadow-10k-costliest-hashes",
        "/etc/shadow of 10,000 accounts: yescrypt j9T, bcrypt cost 31, SHA-512-crypt 999,999,999 rounds",
        &[],
        expect(&[3], "shadow", &["partial"], "budget").unpassed("ACCT-003"),
    );
    if let Some(folder) = out.folder("shadow-10k-too-costly-hashes") {
        write(
            &folder.join("companion/shadow"),
            costly_shadow(10_000, true).as_bytes(),
        );
    }
    out.scan(
        "shadow-10k-too-costly-hashes",
        "/etc/shadow of 10,000 accounts: bcrypt cost 31 and SHA-512-crypt 999,999,999 rounds only",
        &[],
        expect(&[0, 3], "shadow", &["assessed", "partial"], "").unpassed("ACCT-003"),
    );
    if let Some(folder) = out.folder("sshd-300k-match-blocks") {
        let mut config = String::from("PermitRootLogin no\nPasswordAuthentication no\n");
        for index in 0..300_000 {
            config.push_str(&format!(
                "Match User u{index}\n  PasswordAuthentication yes\n"
            ));
        }
        write(&folder.join("companion/sshd_config"), config.as_bytes());
    }
    out.scan(
        "sshd-300k-match-blocks",
        "sshd_config of 300,000 Match blocks",
        &[],
        expect(
            &[3],
            "sshd_config",
            &["partial"],
            "Match blocks after the first 1024",
        )
        .memory(
            BASE_MIB + 10,
            format!("{} MiB (base + the file, read whole)", BASE_MIB + 10),
        ),
    );
    if let Some(folder) = out.folder("tree-2500-deep") {
        // Folders nested 2,500 deep (a path of 5,000 bytes, past PATH_MAX) and a shadow file
        // with an empty root password at the bottom: made a level at a time, relative.
        compliant_profile(&folder.join("m2e"));
        let back = std::env::current_dir().expect("the current folder");
        std::env::set_current_dir(folder.join("m2e")).expect("cd");
        for _ in 0..2500 {
            fs::create_dir("d").expect("mkdir");
            std::env::set_current_dir("d").expect("cd");
        }
        fs::write("shadow", "root::19800:0:99999:7:::\n").expect("write");
        std::env::set_current_dir(back).expect("cd back");
    }
    out.scan(
        "tree-2500-deep",
        "a shadow file 2,500 folders deep (a 5,000-byte path)",
        &[],
        Expect {
            finding_or_incomplete: Some("ACCT-001"),
            ..expect(&[0, 3], "profile.toml", &["assessed"], "")
        },
    );
    if let Some(folder) = out.folder("gzip-1m-members") {
        // One million empty gzip members, then a tar: a reader of multi-member gzip loops.
        let empty = gzip(b"");
        let mut stream = Vec::with_capacity(empty.len() * 1_000_000);
        for _ in 0..1_000_000 {
            stream.extend_from_slice(&empty);
        }
        stream.extend(gzip(&tar(&[("etc/shadow", b"root::0:0:99999:7:::\n")])));
        write(&folder.join("device/rootfs.tar.gz"), &stream);
    }
    out.scan(
        "gzip-1m-members",
        "gzip of 1,000,000 empty members, then a tar",
        &[],
        expect(&[0], "rootfs.tar.gz", &["assessed"], "").finding("ACCT-001"),
    );
    if let Some(folder) = out.folder("pcapng-many-sections") {
        // 200,000 section headers, each with an interface: the interface list is per section.
        let mut capture = Vec::new();
        for _ in 0..200_000 {
            capture.extend_from_slice(&[
                0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
            ]);
            capture.extend_from_slice(&[0xff; 8]);
            capture.extend_from_slice(&[28, 0, 0, 0]);
            capture.extend_from_slice(&[
                1, 0, 0, 0, 20, 0, 0, 0, 101, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0,
            ]);
        }
        write(&folder.join("gcs/sections.pcapng"), &capture);
    }
    out.scan(
        "pcapng-many-sections",
        "pcapng of 200,000 sections and no packet",
        &[],
        expect(
            &[3],
            "sections.pcapng",
            &["assessed", "partial", "error"],
            "",
        ),
    );
}
