//! The general-purpose containers firmware ships in: gzip (flate2), tar (tar), zip (zip) and
//! SquashFS root filesystems (backhand). Each member is handed back to the walker, which
//! bounds what is unpacked.

use super::{Chain, Format, LimitKind, NotUnpacked, Placed, Walk};
use crate::bytes::{Bytes, Cursor};
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
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(error) => return walk.damaged(chain, Format::Tar, error),
        };
        let kind = entry.header().entry_type();
        if !kind.is_file() && !kind.is_gnu_sparse() {
            continue;
        }
        let pax_sparse = match PaxSparse::of(&mut entry) {
            Ok(sparse) => sparse,
            Err(error) => {
                walk.damaged(&chain.child(tar_path(&entry)), Format::Tar, error);
                continue;
            }
        };
        // A PAX sparse member is stored under a made-up name (`GNUSparseFile.0/shadow`); its
        // real name is in its extended header.
        let path = pax_sparse
            .as_ref()
            .map_or_else(|| tar_path(&entry), |sparse| sparse.name.clone());
        let member = chain.child(path);
        if !walk.admit_member(&member) {
            return;
        }
        // A tar stores its members as they are: hand over the slice, without a copy.
        let start = entry.raw_file_position() as usize;
        let stored = entry.header().entry_size().unwrap_or(entry.size());
        let Some(data) = usize::try_from(stored)
            .ok()
            .and_then(|stored| Bytes(bytes).bytes_at(start, stored))
        else {
            walk.damaged(
                &member,
                Format::Tar,
                "the member runs past the end of the archive",
            );
            continue;
        };
        if let Some(sparse) = pax_sparse {
            if let Some(expanded) = sparse.expand(walk, &member, data) {
                walk.visit(&member, &expanded);
            }
        } else if kind.is_gnu_sparse() {
            // The tar crate reads GNU sparse maps: the entry reads as the whole file, holes
            // filled with zeros.
            if let Some(expanded) = walk.read_sized(&member, Format::Tar, entry.size(), &mut entry)
            {
                walk.visit(&member, &expanded);
            }
        } else {
            walk.visit_slice(&member, data);
        }
    }
}

fn tar_path<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .path()
        .map(|path| path.to_string_lossy().trim_start_matches("./").to_owned())
        .unwrap_or_else(|_| "(unreadable name)".to_owned())
}

/// A member in GNU tar's PAX sparse formats (0.0, 0.1 and 1.0 of GNU tar's manual, "Storing
/// Sparse Files"), which the tar crate does not expand: its real name and size, and the map of
/// data segments (offset, length) stored one after another in the member.
struct PaxSparse {
    name: String,
    real_size: u64,
    /// `None` in format 1.0, where the map is at the start of the member's data.
    map: Option<SparseMap>,
}

/// Data segments of a sparse file: (offset in the file, length).
type SparseMap = Vec<(u64, u64)>;

/// Segments read from a sparse map at most: more is not a file anyone made.
const MAX_SPARSE_SEGMENTS: usize = 1 << 20;

impl PaxSparse {
    fn of<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Option<Self>, String> {
        let Some(extensions) = entry.pax_extensions().map_err(|error| error.to_string())? else {
            return Ok(None);
        };
        let (mut name, mut real_size, mut major) = (None, None, None);
        let (mut map, mut offsets, mut lengths) = (None, Vec::new(), Vec::new());
        for extension in extensions {
            let extension = extension.map_err(|error| error.to_string())?;
            let (Ok(key), Ok(value)) = (extension.key(), extension.value()) else {
                continue;
            };
            let number = || value.trim().parse::<u64>().ok();
            match key {
                "GNU.sparse.name" => name = Some(value.trim_start_matches("./").to_owned()),
                "GNU.sparse.realsize" | "GNU.sparse.size" => real_size = number(),
                "GNU.sparse.major" => major = number(),
                "GNU.sparse.map" => map = Some(sparse_numbers(value)?),
                "GNU.sparse.offset" => {
                    offsets.push(number().ok_or("a sparse offset is not a number")?)
                }
                "GNU.sparse.numbytes" => {
                    lengths.push(number().ok_or("a sparse length is not a number")?)
                }
                _ => {}
            }
        }
        let (Some(name), Some(real_size)) = (name, real_size) else {
            return Ok(None);
        };
        let map = match (major, map) {
            (Some(1), _) => None,
            (_, Some(numbers)) => Some(pairs(&numbers)?),
            (_, None) if offsets.len() == lengths.len() => {
                Some(offsets.into_iter().zip(lengths).collect())
            }
            _ => return Err("the sparse map's offsets and lengths do not pair up".to_owned()),
        };
        Ok(Some(PaxSparse {
            name,
            real_size,
            map,
        }))
    }

    /// The file as it was before tar condensed it; `None` (recorded) when it cannot be had.
    fn expand(&self, walk: &mut Walk, member: &Chain, data: &[u8]) -> Option<Vec<u8>> {
        let (map, mut segments) = match &self.map {
            Some(map) => (map.clone(), data),
            None => match map_in_data(data) {
                Ok(found) => found,
                Err(error) => {
                    walk.damaged(member, Format::Tar, error);
                    return None;
                }
            },
        };
        let mut expanded = walk.reserve_unpacked(member, Format::Tar, self.real_size)?;
        expanded.resize(usize::try_from(self.real_size).ok()?, 0);
        for (offset, length) in map {
            let segment = usize::try_from(length).ok().and_then(|length| {
                let (segment, rest) = segments.split_at_checked(length)?;
                segments = rest;
                let offset = usize::try_from(offset).ok()?;
                let end = offset.checked_add(length)?;
                Some((expanded.get_mut(offset..end)?, segment))
            });
            match segment {
                Some((target, segment)) => target.copy_from_slice(segment),
                None => {
                    walk.damaged(
                        member,
                        Format::Tar,
                        "a sparse segment runs past the file or the member",
                    );
                    return None;
                }
            }
        }
        Some(expanded)
    }
}

fn sparse_numbers(text: &str) -> Result<Vec<u64>, String> {
    text.split(',')
        .take(2 * MAX_SPARSE_SEGMENTS + 1)
        .map(|number| {
            number
                .trim()
                .parse()
                .map_err(|_| format!("the sparse map holds `{number}`"))
        })
        .collect()
}

fn pairs(numbers: &[u64]) -> Result<SparseMap, String> {
    if numbers.len() % 2 != 0 || numbers.len() > 2 * MAX_SPARSE_SEGMENTS {
        return Err("the sparse map's offsets and lengths do not pair up".to_owned());
    }
    Ok(numbers
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .collect())
}

/// Format 1.0: the map is decimal lines at the start of the data (the count, then an offset and
/// a length per segment), padded to a 512-byte block; the segments follow.
fn map_in_data(data: &[u8]) -> Result<(SparseMap, &[u8]), String> {
    let mut lines = Cursor::new(data);
    let mut number = || -> Result<u64, String> {
        let start = lines.position();
        loop {
            match lines.u8() {
                Some(b'\n') => break,
                Some(_) if lines.position() - start <= 20 => {}
                _ => {
                    return Err("the sparse map at the start of the member is cut short".to_owned())
                }
            }
        }
        let text = Bytes(data).bytes_at(start, lines.position() - start - 1);
        String::from_utf8_lossy(text.unwrap_or_default())
            .parse()
            .map_err(|_| "the sparse map at the start of the member is not numbers".to_owned())
    };
    let count = number()?;
    if count > MAX_SPARSE_SEGMENTS as u64 {
        return Err(format!("the sparse map lists {count} segments"));
    }
    let mut map = Vec::new();
    for _ in 0..count {
        map.push((number()?, number()?));
    }
    let end = lines.position().div_ceil(512) * 512;
    let segments = data.get(end..).ok_or("the sparse map fills the member")?;
    Ok((map, segments))
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

/// The entries of the central directory that starts at `start`, duplicates included (the zip
/// crate keys entries by name, so of two `etc/shadow` it would show the last only), at most
/// `most` of them: more would pass the member limit anyway.
fn central_directory(
    bytes: &[u8],
    start: usize,
    archive_offset: u64,
    most: usize,
) -> Result<Vec<ZipEntry>, String> {
    let archive = Bytes(bytes);
    let mut entries = Vec::new();
    let mut at = start;
    while entries.len() < most && archive.u32_le(at) == Some(CENTRAL_HEADER) {
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
        .and_then(|start| {
            let most = usize::try_from(walk.limits.max_members)
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            central_directory(bytes, start, offset, most)
        }) {
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
            walk.sections.not_unpacked.push(Placed::new(
                &member,
                NotUnpacked {
                    reason: "encrypted with a password".to_owned(),
                    offset: 0,
                    data_offset: entry.data_start,
                },
            ));
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
