//! The general-purpose containers firmware ships in: gzip (flate2), tar (tar), zip (zip) and
//! SquashFS root filesystems (backhand). Each member is handed back to the walker, which
//! bounds what is unpacked.

use super::{Chain, Format, LimitKind, Walk};
use crate::bytes::{Bytes, Cursor};
use serde_json::json;
use std::io::Read;

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
    let open = || -> Box<dyn Read + '_> { Box::new(flate2::read::MultiGzDecoder::new(bytes)) };
    if let Some(unpacked) = walk.inflate(&member, Format::Gzip, &open) {
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

/// One file of a zip's central directory (APPNOTE.TXT 4.3.12), with the sizes and offset that
/// a ZIP64 extra field replaces.
struct ZipEntry {
    name: String,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    /// Where the file's data starts in the archive, after its local header.
    data_start: usize,
}

impl ZipEntry {
    fn encrypted(&self) -> bool {
        self.flags & 1 == 1
    }

    fn data<'data>(&self, bytes: &'data [u8]) -> Option<&'data [u8]> {
        Bytes(bytes).bytes_at(self.data_start, usize::try_from(self.compressed_size).ok()?)
    }
}

const CENTRAL_HEADER: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

/// Every entry of the central directory that starts at `start`, duplicates included: the zip
/// crate keys entries by name, so of two `etc/shadow` it would show the last only.
fn central_directory(
    bytes: &[u8],
    start: usize,
    archive_offset: u64,
) -> Result<Vec<ZipEntry>, String> {
    let archive = Bytes(bytes);
    let mut entries = Vec::new();
    let mut at = start;
    while archive.u32_le(at) == Some(CENTRAL_HEADER) {
        let header = Bytes(
            archive
                .bytes_at(at, 46)
                .ok_or("a central directory entry is cut short")?,
        );
        let field = |offset: usize| header.u16_le(offset).unwrap_or_default();
        let word = |offset: usize| header.u32_le(offset).unwrap_or_default();
        let name_length = usize::from(field(28));
        let extra_length = usize::from(field(30));
        let comment_length = usize::from(field(32));
        let name = archive
            .bytes_at(at + 46, name_length)
            .ok_or("a central directory name is cut short")?;
        let extra = archive
            .bytes_at(at + 46 + name_length, extra_length)
            .ok_or("a central directory extra field is cut short")?;
        let mut size = u64::from(word(24));
        let mut compressed_size = u64::from(word(20));
        let mut local = u64::from(word(42));
        zip64_sizes(extra, &mut size, &mut compressed_size, &mut local);
        let name = String::from_utf8_lossy(name).into_owned();
        let data_start = local
            .checked_add(archive_offset)
            .and_then(|local| usize::try_from(local).ok())
            .and_then(|local| local_data_start(bytes, local))
            .ok_or_else(|| format!("the local header of {name} is missing or cut short"))?;
        entries.push(ZipEntry {
            name,
            flags: field(8),
            method: field(10),
            crc32: word(16),
            compressed_size,
            data_start,
        });
        at += 46 + name_length + extra_length + comment_length;
    }
    Ok(entries)
}

/// The ZIP64 extended information (extra field 0x0001): each of the three values is there
/// only when its 32-bit field is 0xffffffff.
fn zip64_sizes(extra: &[u8], size: &mut u64, compressed_size: &mut u64, local: &mut u64) {
    let mut fields = Cursor::new(extra);
    while let (Some(id), Some(length)) = (fields.u16_le(), fields.u16_le()) {
        let Some(data) = fields.read_bytes(usize::from(length)) else {
            return;
        };
        if id != 1 {
            continue;
        }
        let mut values = Cursor::new(data);
        for value in [size, compressed_size, local] {
            if *value == 0xffff_ffff {
                match values.u64_le() {
                    Some(wide) => *value = wide,
                    None => return,
                }
            }
        }
        return;
    }
}

/// Where the data of the file whose local header is at `local` starts.
fn local_data_start(bytes: &[u8], local: usize) -> Option<usize> {
    let header = Bytes(bytes);
    if header.u32_le(local)? != LOCAL_HEADER {
        return None;
    }
    let name_length = usize::from(header.u16_le(local + 26)?);
    let extra_length = usize::from(header.u16_le(local + 28)?);
    Some(local + 30 + name_length + extra_length)
}

/// Which entries' compressed data overlaps another entry's: an overlapping zip (David
/// Fifield's "better zip bomb") makes thousands of entries of one kernel of compressed data.
fn overlapping(entries: &[ZipEntry]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..entries.len())
        .filter(|&index| entries[index].compressed_size > 0)
        .collect();
    order.sort_by_key(|&index| (entries[index].data_start, entries[index].compressed_size));
    let mut overlaps = vec![false; entries.len()];
    // The entry reaching furthest so far, and where it ends.
    let mut reach: Option<(usize, u64)> = None;
    for index in order {
        let entry = &entries[index];
        let start = entry.data_start as u64;
        let end = start.saturating_add(entry.compressed_size);
        if let Some((furthest, furthest_end)) = reach {
            if start < furthest_end {
                overlaps[index] = true;
                overlaps[furthest] = true;
            }
            if end <= furthest_end {
                continue;
            }
        }
        reach = Some((index, end));
    }
    overlaps
}

pub fn unpack_zip(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    // The zip crate finds and checks the end of the central directory (and any bytes
    // prepended to the archive); the entries are read here, every one of them.
    let (start, offset) = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(archive) => (archive.central_directory_start(), archive.offset()),
        Err(error) => return walk.damaged(chain, Format::Zip, error),
    };
    let entries = match usize::try_from(start)
        .map_err(|_| "the central directory is out of range".to_owned())
        .and_then(|start| central_directory(bytes, start, offset))
    {
        Ok(entries) => entries,
        Err(error) => return walk.damaged(chain, Format::Zip, error),
    };
    let overlaps = overlapping(&entries);
    let overlapping_count = overlaps.iter().filter(|overlap| **overlap).count();
    if overlapping_count > 0 {
        let detail = format!(
            "{overlapping_count} of its {} entries share compressed data (an overlapping zip, built as a decompression bomb); they were not unpacked",
            entries.len()
        );
        walk.limit(chain, LimitKind::Overlap, detail);
    }
    for (entry, overlap) in entries.iter().zip(overlaps) {
        if overlap || entry.name.ends_with('/') {
            continue;
        }
        let member = chain.child(entry.name.clone());
        if !walk.admit_member(&member) {
            return;
        }
        if entry.encrypted() {
            walk.record(
                "not_unpacked",
                &member,
                json!({"reason": "encrypted with a password", "offset": 0, "data_offset": entry.data_start}),
            );
            continue;
        }
        let Some(data) = entry.data(bytes) else {
            walk.damaged(
                &member,
                Format::Zip,
                "the entry's data runs past the end of the archive",
            );
            continue;
        };
        unpack_zip_entry(walk, &member, entry, data);
    }
}

fn unpack_zip_entry(walk: &mut Walk, member: &Chain, entry: &ZipEntry, data: &[u8]) {
    const CRC_MISMATCH: &str = "the entry's CRC-32 does not match its data";
    match entry.method {
        // Stored: the entry is a slice of the archive.
        0 if crc32fast::hash(data) == entry.crc32 => walk.visit_slice(member, data),
        0 => walk.damaged(member, Format::Zip, CRC_MISMATCH),
        8 => {
            let open =
                || -> Box<dyn Read + '_> { Box::new(flate2::read::DeflateDecoder::new(data)) };
            let Some(unpacked) = walk.inflate(member, Format::Zip, &open) else {
                return;
            };
            if crc32fast::hash(&unpacked) == entry.crc32 {
                walk.visit(member, &unpacked);
            } else {
                walk.damaged(member, Format::Zip, CRC_MISMATCH);
            }
        }
        method => walk.damaged(
            member,
            Format::Zip,
            format!("compression method {method} is not read"),
        ),
    }
}
