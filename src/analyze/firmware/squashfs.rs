//! SquashFS root filesystems, read with backhand. Before backhand builds the file tree (a
//! recursion over the directory table with no cycle check), the tree is walked here without
//! recursion: a directory reached twice (an entry pointing back at an ancestor, or a
//! hard-linked directory, which SquashFS never writes) or nested deeper than
//! [`MAX_DIRECTORY_DEPTH`] makes the filesystem damaged evidence instead of a stack overflow.

use super::{Chain, Format, LimitKind, Walk};
use crate::bytes::{Bytes, Cursor};
use std::collections::HashSet;

/// Whether a SquashFS 4.0 superblock is sane enough to hand to backhand: the filesystem fits
/// the bytes, and the block size is a power of two between 4 KiB and 1 MiB that matches its log.
fn superblock_problem(bytes: &[u8]) -> Option<String> {
    let superblock = Bytes(bytes);
    let (Some(block_size), Some(block_log), Some(major), Some(minor), Some(bytes_used)) = (
        superblock.u32_le(12),
        superblock.u16_le(22),
        superblock.u16_le(28),
        superblock.u16_le(30),
        superblock.u64_le(40),
    ) else {
        return Some("shorter than the 96-byte superblock".to_owned());
    };
    if (major, minor) != (4, 0) {
        return Some(format!(
            "SquashFS version {major}.{minor} (only 4.0 is read)"
        ));
    }
    if !(4096..=1 << 20).contains(&block_size)
        || 1u32.checked_shl(u32::from(block_log)) != Some(block_size)
    {
        return Some(format!(
            "block size {block_size} with log {block_log} is not valid"
        ));
    }
    if bytes_used > bytes.len() as u64 {
        return Some(format!(
            "the superblock says {bytes_used} bytes are used, but only {} are there (cut short?)",
            bytes.len()
        ));
    }
    None
}

/// backhand's decompression with two bounds: a SquashFS block unpacks to at most the size its
/// reader asks room for (8 KiB for metadata, the block size for data; 1 MiB at most), so a
/// block built to inflate a thousandfold is an error, not gigabytes of memory; and all the
/// blocks of one filesystem together unpack to at most [`DECOMPRESSION_BUDGET`], because
/// backhand keeps its inode and directory tables whole and every fragment block it has
/// inflated for the life of the filesystem (many tiny metadata blocks, or many files each in
/// a fragment block of its own, would otherwise grow without a bound).
struct BoundedDecompression;

thread_local! {
    /// Bytes the blocks of the filesystem being read on this thread may still unpack to (the
    /// filesystem is opened and read on the scan thread that walks it; backhand's parallel
    /// reader is not built).
    static DECOMPRESSION_BUDGET: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// What a block read past the budget fails with (the budget is then 0, which tells the walk).
const BUDGET_SPENT: &str = "the filesystem's blocks unpack to more than the unpacking limit allows";

/// Whether the filesystem read on this thread has spent its budget.
fn budget_spent() -> bool {
    DECOMPRESSION_BUDGET.get() == 0
}

impl backhand::compression::CompressionAction for BoundedDecompression {
    fn decompress(
        &self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        compressor: backhand::compression::Compressor,
    ) -> Result<(), backhand::BackhandError> {
        use backhand::compression::Compressor;
        use std::io::Read;
        let bound = out.capacity().clamp(8 << 10, 1 << 20);
        let reader: Box<dyn Read + '_> = match compressor {
            Compressor::None => Box::new(bytes),
            Compressor::Gzip => Box::new(flate2::read::ZlibDecoder::new(bytes)),
            Compressor::Xz => Box::new(liblzma::read::XzDecoder::new(bytes)),
            other => return Err(backhand::BackhandError::UnsupportedCompression(other)),
        };
        let start = out.len();
        reader.take(bound as u64 + 1).read_to_end(out)?;
        let produced = (out.len() - start) as u64;
        if produced > bound as u64 {
            return Err(backhand::BackhandError::CorruptedOrInvalidSquashfs);
        }
        let left = DECOMPRESSION_BUDGET.get();
        if produced > left {
            DECOMPRESSION_BUDGET.set(0);
            return Err(std::io::Error::other(BUDGET_SPENT).into());
        }
        DECOMPRESSION_BUDGET.set(left - produced);
        Ok(())
    }

    fn compress(
        &self,
        bytes: &[u8],
        compressor: backhand::FilesystemCompressor,
        block_size: u32,
    ) -> Result<Vec<u8>, backhand::BackhandError> {
        backhand::compression::DefaultCompressor.compress(bytes, compressor, block_size)
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

/// SquashFS filesystems embedded in a raw image (a flash dump, a kernel followed by its root
/// filesystem): `(offset, length)` of each valid superblock found, at most 16, not
/// overlapping. Lazy, so that asking whether there is one stops at the first.
pub fn embedded_squashfs(bytes: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut end = 0usize;
    memchr::memmem::find_iter(bytes, b"hsqs")
        .filter_map(move |offset| {
            let candidate = &bytes[offset..];
            if offset < end || candidate.len() < 96 || superblock_problem(candidate).is_some() {
                return None;
            }
            let used = usize::try_from(Bytes(candidate).u64_le(40)?).ok()?;
            end = offset.saturating_add(used);
            Some((offset, used))
        })
        .take(16)
}

/// How deep directories may nest. Linux paths stop at 4,096 bytes (2,048 levels of one-letter
/// names); real root filesystems nest a few dozen deep. backhand builds the tree by recursion,
/// one stack frame per level, so the bound also keeps it far from the 2 MiB stack of a scan
/// thread.
pub const MAX_DIRECTORY_DEPTH: usize = 256;

/// The on-disk type of a directory inode (basic and extended).
const BASIC_DIRECTORY: u16 = 1;
const EXTENDED_DIRECTORY: u16 = 8;

pub fn unpack(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    use backhand::{InnerNode, Squashfs};
    if let Some(problem) = superblock_problem(bytes) {
        return walk.damaged(chain, Format::Squashfs, problem);
    }
    // Every block backhand inflates counts: its tables and cached fragments, and file data,
    // which the walk reads twice when a member is long (counted, then kept), hence twice the
    // walk's allowance.
    DECOMPRESSION_BUDGET.set(walk.unpack_allowance().0.saturating_mul(2));
    // backhand indexes its tables with values from the image; a hostile image must not take
    // the scan down, so a panic inside it is caught and reported as a damaged filesystem.
    let kind = backhand::kind::Kind::new(&BoundedDecompression);
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let squashfs =
            Squashfs::from_reader_with_offset_and_kind(std::io::Cursor::new(bytes), 0, kind)
                .map_err(|error| format!("{error:?}"))?;
        // The tree is checked before backhand recurses over it.
        if let Some(problem) = directory_tree_problem(&squashfs) {
            return Err(problem);
        }
        squashfs
            .into_filesystem_reader()
            .map_err(|error| format!("{error:?}"))
    }));
    let mut filesystem = match opened {
        Ok(Ok(filesystem)) => filesystem,
        Ok(Err(_)) if budget_spent() => return walk.unpack_limit(chain, LimitKind::Unpacked),
        Ok(Err(problem)) => return walk.damaged(chain, Format::Squashfs, problem),
        Err(_) => {
            return walk.damaged(
                chain,
                Format::Squashfs,
                "the filesystem's tables are inconsistent",
            )
        }
    };
    // The fragment table is taken from backhand, so that it never reads a fragment block: not
    // for a file's tail, nor when a data block inflates short and its reader runs on past the
    // blocks it was given.
    let fragment_table = filesystem.fragments.take().unwrap_or_default();
    let mut fragments = Fragments {
        image: bytes,
        table: &fragment_table,
        block_size: filesystem.block_size,
        compressor: filesystem.compressor,
        kept: std::collections::VecDeque::new(),
    };
    for node in filesystem.files() {
        let InnerNode::File(file) = &node.inner else {
            continue;
        };
        let member = chain.child(node.fullpath.to_string_lossy().into_owned());
        if !walk.admit_member(&member) {
            return;
        }
        let tail = match fragments.tail(file) {
            Ok(tail) => tail,
            Err(_) if budget_spent() => return walk.unpack_limit(chain, LimitKind::Unpacked),
            Err(problem) => {
                walk.damaged(&member, Format::Squashfs, problem);
                continue;
            }
        };
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let open = || -> Box<dyn std::io::Read + '_> {
                use std::io::Read;
                let reader = filesystem.file(file).reader();
                match &tail {
                    // backhand reads the full blocks; the tail comes from here, so that
                    // backhand never reads (nor keeps) a fragment block.
                    Some((blocks, tail)) => Box::new(reader.take(*blocks).chain(&tail[..])),
                    None => Box::new(reader),
                }
            };
            walk.inflate(&member, Format::Squashfs, &open)
        }));
        match read {
            Ok(Some(content)) => walk.visit(&member, &content),
            Ok(None) if budget_spent() => return walk.unpack_limit(chain, LimitKind::Unpacked),
            Ok(None) => {}
            Err(_) => walk.damaged(
                &member,
                Format::Squashfs,
                "the file's blocks are inconsistent",
            ),
        }
    }
}

/// How many inflated fragment blocks one filesystem keeps (the most recently used), each at
/// most the block size (1 MiB). mksquashfs packs the tails of files into fragment blocks in
/// the order it writes the files, which is the order they are read here, so a real image
/// inflates each fragment block once; an image whose files take turns at different blocks
/// makes them inflated again, and pays for each time from the filesystem's budget.
pub const KEPT_FRAGMENT_BLOCKS: usize = 16;

/// The fragment blocks of one filesystem, read here and not by backhand: backhand keeps every
/// fragment block it has read, whole, for the life of the filesystem, and reads a block
/// stored uncompressed at whatever length its entry says (up to 16 MiB) without counting it,
/// so that many files, each pointing at a long stored fragment at its own offset, held a
/// block each in memory with nothing to stop them.
struct Fragments<'a> {
    image: &'a [u8],
    table: &'a [backhand::Fragment],
    block_size: u32,
    compressor: backhand::compression::Compressor,
    /// Inflated blocks by (start, on-disk size), the most recently used last.
    kept: std::collections::VecDeque<((u64, u32), Vec<u8>)>,
}

impl Fragments<'_> {
    /// For a file whose end is in a fragment block: the length of its full blocks, which
    /// backhand reads, and its tail, read from the fragment block here. None for a file with
    /// no fragment. A fragment index the table does not have (or an image without a table), an
    /// entry that is longer than a block, or a tail past the end of its block, is an error; so is a block the filesystem's budget cannot pay for (the budget is then
    /// spent).
    fn tail(
        &mut self,
        file: &backhand::SquashfsFileReader,
    ) -> Result<Option<(u64, Vec<u8>)>, String> {
        const NO_FRAGMENT: usize = 0xffff_ffff;
        let index = file.frag_index();
        if index == NO_FRAGMENT {
            return Ok(None);
        }
        let entry = self
            .table
            .get(index)
            .ok_or_else(|| format!("fragment {index} is not in the fragment table"))?;
        let block_size = u64::from(self.block_size);
        let blocks = (file.block_sizes().len() as u64).saturating_mul(block_size);
        let length = (file.file_len() as u64)
            .checked_sub(blocks)
            .filter(|length| *length < block_size)
            .ok_or("the file's length does not match its blocks and fragment")?;
        let offset = u64::from(file.block_offset());
        let within = |block_length: usize| {
            let end = offset.checked_add(length)?;
            (end <= block_length as u64).then_some((offset as usize, end as usize))
        };
        let stored_length = entry.size.size();
        if stored_length > self.block_size {
            return Err(format!(
                "fragment {index} is {stored_length} bytes long, more than the {} bytes of a block",
                self.block_size
            ));
        }
        let past_block = || format!("the file's tail is past the end of fragment {index}");
        let raw = usize::try_from(entry.start)
            .ok()
            .and_then(|start| {
                self.image
                    .get(start..start.checked_add(stored_length as usize)?)
            })
            .ok_or_else(|| format!("fragment {index} is past the end of the filesystem"))?;
        if entry.size.uncompressed() {
            // Sliced from the image: nothing inflated, nothing kept.
            let (start, end) = within(raw.len()).ok_or_else(past_block)?;
            return Ok(Some((blocks, raw[start..end].to_vec())));
        }
        let key = (entry.start, stored_length);
        let kept = match self.kept.iter().position(|(kept, _)| *kept == key) {
            Some(position) => self.kept.remove(position).expect("a position in the list"),
            None => {
                use backhand::compression::CompressionAction;
                let mut block = Vec::with_capacity(self.block_size as usize);
                BoundedDecompression
                    .decompress(raw, &mut block, self.compressor)
                    .map_err(|error| format!("fragment {index}: {error}"))?;
                (key, block)
            }
        };
        let tail = within(kept.1.len()).map(|(start, end)| kept.1[start..end].to_vec());
        if self.kept.len() == KEPT_FRAGMENT_BLOCKS {
            self.kept.pop_front();
        }
        self.kept.push_back(kept);
        Ok(Some((blocks, tail.ok_or_else(past_block)?)))
    }
}

/// Where a directory inode's listing is in the directory table: `(block_index, block_offset,
/// file_size)`, read from the inode's on-disk form (backhand keeps the parsed inode but does
/// not export its type; deku writes it back exactly as the image stores it).
fn listing_of(
    inode: &backhand::Inode,
    superblock: &backhand::SuperBlock,
) -> Option<(u64, usize, u32)> {
    use deku::DekuWriter;
    let id = inode.id as u16;
    if id != BASIC_DIRECTORY && id != EXTENDED_DIRECTORY {
        return None;
    }
    let mut written = std::io::Cursor::new(Vec::new());
    let context = (
        u64::MAX,
        superblock.block_size,
        superblock.block_log,
        deku::ctx::Endian::Little,
    );
    inode
        .to_writer(&mut deku::writer::Writer::new(&mut written), context)
        .ok()?;
    let written = written.into_inner();
    let inode = Bytes(&written);
    // After the 16-byte common header: squashfs_dir_inode / squashfs_ldir_inode of the
    // kernel's squashfs_fs.h.
    if id == BASIC_DIRECTORY {
        Some((
            u64::from(inode.u32_le(16)?),
            usize::from(inode.u16_le(26)?),
            u32::from(inode.u16_le(24)?),
        ))
    } else {
        Some((
            u64::from(inode.u32_le(24)?),
            usize::from(inode.u16_le(34)?),
            inode.u32_le(20)?,
        ))
    }
}

/// Why backhand must not build this filesystem's tree: a directory reached twice (a cycle, or a
/// hard-linked directory), or directories nested deeper than [`MAX_DIRECTORY_DEPTH`]. The walk
/// is breadth-first with an explicit queue, so the check itself cannot overflow the stack.
fn directory_tree_problem(squashfs: &backhand::Squashfs<'_>) -> Option<String> {
    let (offsets, table) = &squashfs.dir_blocks;
    let mut seen = HashSet::from([squashfs.root_inode.header.inode_number]);
    let mut queue = std::collections::VecDeque::from([(&squashfs.root_inode, 0usize)]);
    while let Some((directory, depth)) = queue.pop_front() {
        let Some((block_index, block_offset, file_size)) =
            listing_of(directory, &squashfs.superblock)
        else {
            continue;
        };
        // As backhand's `dir_from_index`: a listing under 4 bytes is empty.
        if file_size < 4 {
            continue;
        }
        let Some(listing) = offsets
            .get(&block_index)
            .and_then(|start| usize::try_from(*start).ok())
            .and_then(|start| {
                Bytes(table).bytes_at(start.checked_add(block_offset)?, file_size as usize - 3)
            })
        else {
            continue;
        };
        for child in directory_entries(listing) {
            let Some(inode) = squashfs.inodes.get(&child) else {
                continue;
            };
            if !seen.insert(child) {
                return Some(format!(
                    "directory inode {child} is reached twice (a directory cycle or a hard-linked directory): the tree is not read"
                ));
            }
            if depth + 1 > MAX_DIRECTORY_DEPTH {
                return Some(format!(
                    "directories nest more than {MAX_DIRECTORY_DEPTH} deep: the tree is not read"
                ));
            }
            queue.push_back((inode, depth + 1));
        }
    }
    None
}

/// The inode numbers of the entries of a directory listing whose type is a directory.
fn directory_entries(listing: &[u8]) -> Vec<u32> {
    let mut cursor = Cursor::new(listing);
    let mut children = Vec::new();
    // A header: count - 1, the inode table block, the base inode number; then the entries.
    while let (Some(count), Some(_start), Some(base)) =
        (cursor.u32_le(), cursor.u32_le(), cursor.u32_le())
    {
        if count > 256 {
            break;
        }
        for _ in 0..=count {
            let (Some(_offset), Some(relative), Some(kind), Some(name_size)) = (
                cursor.u16_le(),
                cursor.i16_le(),
                cursor.u16_le(),
                cursor.u16_le(),
            ) else {
                return children;
            };
            if cursor.read_bytes(usize::from(name_size) + 1).is_none() {
                return children;
            }
            if kind != BASIC_DIRECTORY && kind != EXTENDED_DIRECTORY {
                continue;
            }
            // backhand adds them as i32 and refuses a negative sum.
            if let Ok(number) = u32::try_from((base as i32).wrapping_add(i32::from(relative))) {
                children.push(number);
            }
        }
    }
    children
}

#[cfg(test)]
mod tests {
    use super::*;
    use backhand::compression::{CompressionAction, Compressor};
    use std::io::Write;

    #[test]
    fn a_squashfs_block_cannot_inflate_past_the_room_asked_for() {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 4 << 20]).expect("compress");
        let bomb = encoder.finish().expect("compress");
        DECOMPRESSION_BUDGET.set(1 << 30);
        // A metadata block: 8 KiB of room.
        let mut out = Vec::with_capacity(8 << 10);
        assert!(BoundedDecompression
            .decompress(&bomb, &mut out, Compressor::Gzip)
            .is_err());
        // A data block of 128 KiB inflates as it should.
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![7u8; 128 << 10]).expect("compress");
        let block = encoder.finish().expect("compress");
        let mut out = Vec::with_capacity(128 << 10);
        BoundedDecompression
            .decompress(&block, &mut out, Compressor::Gzip)
            .expect("inflates");
        assert_eq!(out.len(), 128 << 10);
    }

    /// A gzip SquashFS 4.0 of `files` files in its root, file N `file_size` bytes, all of it
    /// in fragment N, whose (start, on-disk size word) `fragment(N)` gives; `data` right after
    /// the superblock, then the tables, stored, as mksquashfs orders them.
    fn fragment_squashfs(
        block_size: u32,
        data: &[u8],
        files: u32,
        file_size: u32,
        fragment: impl Fn(u32) -> (u64, u32),
    ) -> Vec<u8> {
        let stored = |stream: &[u8]| -> Vec<u8> {
            stream
                .chunks(8192)
                .flat_map(|block| {
                    let mut out = (block.len() as u16 | 0x8000).to_le_bytes().to_vec();
                    out.extend_from_slice(block);
                    out
                })
                .collect()
        };
        let u16s = |values: &[u16]| {
            values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<_>>()
        };
        let u32s = |values: &[u32]| {
            values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<_>>()
        };
        let mut image = vec![0u8; 96];
        image.extend_from_slice(data);
        // 32-byte file inodes (256 to an 8 KiB block), one directory header a block.
        let (mut inodes, mut listing) = (Vec::new(), Vec::new());
        for index in 0..files {
            let at = inodes.len();
            inodes.extend(u16s(&[2, 0o644, 0, 0]));
            inodes.extend(u32s(&[0, index + 1, 0, index, 0, file_size]));
            if index % 256 == 0 {
                let count = (files - index).min(256) - 1;
                listing.extend(u32s(&[count, (at / 8192 * 8194) as u32, index + 1]));
            }
            listing.extend(u16s(&[(at % 8192) as u16, (index % 256) as u16, 2, 5]));
            listing.extend(format!("f{index:05}").as_bytes());
        }
        let root_at = inodes.len();
        inodes.extend(u16s(&[8, 0o755, 0, 0]));
        inodes.extend(u32s(&[
            0,
            files + 1,
            2,
            listing.len() as u32 + 3,
            0,
            files + 2,
        ]));
        inodes.extend(u16s(&[0, 0]));
        inodes.extend(u32s(&[u32::MAX]));
        let inode_table = image.len() as u64;
        image.extend(stored(&inodes));
        let directory_table = image.len() as u64;
        image.extend(stored(&listing));
        let entries: Vec<u8> = (0..files)
            .flat_map(|index| {
                let (start, size) = fragment(index);
                let mut entry = start.to_le_bytes().to_vec();
                entry.extend(u32s(&[size, 0]));
                entry
            })
            .collect();
        let mut index_of_fragments = Vec::new();
        for block in entries.chunks(8192) {
            index_of_fragments.extend((image.len() as u64).to_le_bytes());
            image.extend(stored(block));
        }
        let fragment_table = image.len() as u64;
        image.extend(index_of_fragments);
        let ids = image.len() as u64;
        image.extend(stored(&0u32.to_le_bytes()));
        let id_table = image.len() as u64;
        image.extend(ids.to_le_bytes());
        let root = ((root_at / 8192 * 8194) as u64) << 16 | (root_at % 8192) as u64;
        let mut superblock = b"hsqs".to_vec();
        superblock.extend(u32s(&[files + 1, 0, block_size, files]));
        superblock.extend(u16s(&[
            1,
            block_size.trailing_zeros() as u16,
            0x0200,
            1,
            4,
            0,
        ]));
        let tables = [root, image.len() as u64, id_table, u64::MAX, inode_table];
        for field in tables
            .into_iter()
            .chain([directory_table, fragment_table, u64::MAX])
        {
            superblock.extend(field.to_le_bytes());
        }
        image[..96].copy_from_slice(&superblock);
        image
    }

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).expect("compress");
        encoder.finish().expect("compress")
    }

    fn unpacked(image: &[u8], max_unpacked: u64) -> crate::analyze::Evidence {
        let limits = crate::analyze::UnpackLimits {
            max_unpacked,
            ..Default::default()
        };
        super::super::analyze_with(image, limits).expect("a filesystem")
    }

    /// backhand read a fragment stored uncompressed at the length its entry says (up to
    /// 16 MiB), and kept every one for the life of the filesystem: 2,000 files at 2,000
    /// offsets of a 16 MiB run took 32 GB. A fragment is never longer than a block.
    #[test]
    fn a_stored_fragment_longer_than_a_block_is_refused() {
        let run = vec![b'x'; 1 << 20];
        let image = fragment_squashfs(4096, &run, 40, 1, |index| {
            (96 + u64::from(index), ((1 << 20) - 64) | 1 << 24)
        });
        let evidence = unpacked(&image, 1 << 30);
        let reason = evidence.incomplete.expect("partial");
        assert!(
            reason
                .contains("fragment 0 is 1048512 bytes long, more than the 4096 bytes of a block"),
            "{reason}"
        );
        // A stored fragment within a block is read.
        let image = fragment_squashfs(4096, &run[..4096], 1, 5, |_| (96, 4096 | 1 << 24));
        assert!(unpacked(&image, 1 << 30).incomplete.is_none());
    }

    /// Files sharing a fragment block inflate it once, whatever their number; files taking
    /// turns at more blocks than are kept pay for each inflation from the budget.
    #[test]
    fn fragment_blocks_are_inflated_once_and_kept_within_a_bound() {
        let block = zlib(&vec![0u8; 1 << 20]);
        // 500 files in one 1 MiB block, with a budget of 2 × 1.5 MiB: read whole.
        let shared = fragment_squashfs(1 << 20, &block, 500, 64, |_| (96, block.len() as u32));
        let evidence = unpacked(&shared, 3 << 19);
        assert!(evidence.incomplete.is_none(), "{:?}", evidence.incomplete);
        // 20 blocks, more than are kept, taken in turn by 200 files: 200 inflations, past a
        // budget of 2 × 16 MiB (backhand, which kept all 20, inflated 20 MiB).
        let blocks = block.repeat(20);
        let turns = fragment_squashfs(1 << 20, &blocks, 200, 64, |index| {
            (
                96 + u64::from(index % 20) * block.len() as u64,
                block.len() as u32,
            )
        });
        let reason = unpacked(&turns, 16 << 20).incomplete.expect("partial");
        assert!(reason.contains("exceed"), "{reason}");
    }

    #[test]
    fn all_the_blocks_of_a_filesystem_share_one_budget() {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&[0u8; 8 << 10]).expect("compress");
        let metadata = encoder.finish().expect("compress");
        // Room for two metadata blocks of 8 KiB and a bit: the third is refused, whatever
        // room it asks for, and the budget reads as spent.
        DECOMPRESSION_BUDGET.set(20 << 10);
        for _ in 0..2 {
            let mut out = Vec::with_capacity(8 << 10);
            BoundedDecompression
                .decompress(&metadata, &mut out, Compressor::Gzip)
                .expect("within the budget");
        }
        assert!(!budget_spent());
        let mut out = Vec::with_capacity(8 << 10);
        let error = BoundedDecompression
            .decompress(&metadata, &mut out, Compressor::Gzip)
            .expect_err("past the budget");
        assert!(error.to_string().contains(BUDGET_SPENT), "{error}");
        assert!(budget_spent());
    }
}
