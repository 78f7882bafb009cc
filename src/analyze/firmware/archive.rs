//! The general-purpose containers firmware ships in: gzip (flate2), tar (tar), zip (zip) and
//! SquashFS root filesystems (backhand). Each member is handed back to the walker, which
//! bounds what is unpacked.

use super::{Chain, Format, Walk};
use serde_json::json;
use std::io::Cursor;

/// The name of what a gzip stream holds: the original name its header records (gzip keeps
/// it), else the file's name without `.gz` (`.tgz` → `.tar`).
fn gunzipped_name(chain: &Chain, recorded: Option<&[u8]>) -> String {
    if let Some(recorded) = recorded.filter(|name| !name.is_empty()) {
        return String::from_utf8_lossy(recorded).into_owned();
    }
    let name = chain.name().rsplit('/').next().unwrap_or_default();
    if let Some(stem) = name.strip_suffix(".tgz") {
        format!("{stem}.tar")
    } else if let Some(stem) = name.strip_suffix(".gz").filter(|stem| !stem.is_empty()) {
        stem.to_owned()
    } else {
        "gunzipped".to_owned()
    }
}

pub fn unpack_gzip(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    let recorded = decoder.header().and_then(|header| header.filename());
    let member = chain.child(gunzipped_name(chain, recorded));
    if !walk.admit_member(&member) {
        return;
    }
    if let Some(unpacked) = walk.inflate(&member, Format::Gzip, decoder) {
        walk.visit(&member, &unpacked);
    }
}

pub fn unpack_tar(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let mut archive = tar::Archive::new(bytes);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(error) => return walk.damaged(chain, Format::Tar, error),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => return walk.damaged(chain, Format::Tar, error),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map(|path| path.to_string_lossy().trim_start_matches("./").to_owned());
        let path = path.unwrap_or_else(|_| "(unreadable name)".to_owned());
        let member = chain.child(path);
        if !walk.admit_member(&member) {
            return;
        }
        // A tar stores its members as they are: hand over the slice, without a copy.
        let start = entry.raw_file_position() as usize;
        let data = bytes.get(start..start.saturating_add(entry.size() as usize));
        match data {
            Some(data) => walk.visit_slice(&member, data),
            None => walk.damaged(
                &member,
                Format::Tar,
                "the member runs past the end of the archive",
            ),
        }
    }
}

pub fn unpack_zip(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(error) => return walk.damaged(chain, Format::Zip, error),
    };
    for index in 0..archive.len() {
        let (name, encrypted, offset) = match archive.by_index_raw(index) {
            Ok(file) if file.is_dir() => continue,
            Ok(file) => (
                file.name().to_owned(),
                file.encrypted(),
                file.data_start().unwrap_or_else(|| file.header_start()),
            ),
            Err(error) => return walk.damaged(chain, Format::Zip, error),
        };
        let member = chain.child(name);
        if !walk.admit_member(&member) {
            return;
        }
        if encrypted {
            walk.record(
                "not_unpacked",
                &member,
                json!({"reason": "encrypted with a password", "offset": 0, "data_offset": offset}),
            );
            continue;
        }
        let unpacked = match archive.by_index(index) {
            Ok(file) => walk.inflate(&member, Format::Zip, file),
            Err(error) => {
                walk.damaged(&member, Format::Zip, error);
                None
            }
        };
        if let Some(unpacked) = unpacked {
            walk.visit(&member, &unpacked);
        }
    }
}

/// Whether a SquashFS 4.0 superblock is sane enough to hand to backhand: the filesystem fits
/// the bytes, and the block size is a power of two between 4 KiB and 1 MiB that matches its log.
fn squashfs_superblock_problem(bytes: &[u8]) -> Option<String> {
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default());
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let block_size = u32_at(12);
    let block_log = u16_at(22);
    let bytes_used = u64_at(40);
    if (u16_at(28), u16_at(30)) != (4, 0) {
        return Some(format!(
            "SquashFS version {}.{} (only 4.0 is read)",
            u16_at(28),
            u16_at(30)
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

/// backhand's decompression with a bound: a SquashFS block unpacks to at most the size its
/// reader asks room for (8 KiB for metadata, the block size for data; 1 MiB at most), so a
/// block built to inflate a thousandfold is an error, not gigabytes of memory.
struct BoundedDecompression;

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
        if out.len() - start > bound {
            return Err(backhand::BackhandError::CorruptedOrInvalidSquashfs);
        }
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
            if offset < end
                || candidate.len() < 96
                || squashfs_superblock_problem(candidate).is_some()
            {
                return None;
            }
            let used =
                u64::from_le_bytes(candidate[40..48].try_into().unwrap_or_default()) as usize;
            end = offset.saturating_add(used);
            Some((offset, used))
        })
        .take(16)
}

pub fn unpack_squashfs(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    use backhand::{FilesystemReader, InnerNode};
    if let Some(problem) = squashfs_superblock_problem(bytes) {
        return walk.damaged(chain, Format::Squashfs, problem);
    }
    // backhand indexes its tables with values from the image; a hostile image must not take
    // the scan down, so a panic inside it is caught and reported as a damaged filesystem.
    let kind = backhand::kind::Kind::new(&BoundedDecompression);
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        FilesystemReader::from_reader_with_offset_and_kind(Cursor::new(bytes), 0, kind)
    }));
    let filesystem = match opened {
        Ok(Ok(filesystem)) => filesystem,
        Ok(Err(error)) => return walk.damaged(chain, Format::Squashfs, format!("{error:?}")),
        Err(_) => {
            return walk.damaged(
                chain,
                Format::Squashfs,
                "the filesystem's tables are inconsistent",
            )
        }
    };
    for node in filesystem.files() {
        let InnerNode::File(file) = &node.inner else {
            continue;
        };
        let member = chain.child(node.fullpath.to_string_lossy().into_owned());
        if !walk.admit_member(&member) {
            return;
        }
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let reader = filesystem.file(file).reader();
            walk.inflate(&member, Format::Squashfs, reader)
        }));
        match read {
            Ok(Some(content)) => walk.visit(&member, &content),
            Ok(None) => {}
            Err(_) => walk.damaged(
                &member,
                Format::Squashfs,
                "the file's blocks are inconsistent",
            ),
        }
    }
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
}
