//! U-Boot legacy images (uImage): the 64-byte big-endian header of U-Boot's `image.h` (magic
//! `0x27051956`, header CRC-32 computed with its own field zeroed, timestamp, data size, load
//! address, entry point, data CRC-32, OS, architecture, image type, compression, a 32-byte
//! name), both CRCs checked, then the payload, unpacked when gzip-compressed or stored.

use super::{Chain, Format, NotUnpacked, Placed, Walk};
use crate::analyze::text::fixed_field;
use crate::bytes::Bytes;
use schemars::JsonSchema;
use serde::Serialize;

pub const MAGIC: [u8; 4] = [0x27, 0x05, 0x19, 0x56];
pub const HEADER: usize = 64;

fn os_name(code: u8) -> &'static str {
    match code {
        1 => "openbsd",
        2 => "netbsd",
        3 => "freebsd",
        5 => "linux",
        17 => "u-boot",
        19 => "rtems",
        20 => "arm-trusted-firmware",
        23 => "efi",
        25 => "opensbi",
        _ => "other",
    }
}

fn arch_name(code: u8) -> &'static str {
    match code {
        1 => "alpha",
        2 => "arm",
        3 => "x86",
        4 => "ia64",
        5 => "mips",
        6 => "mips64",
        7 => "ppc",
        15 => "sparc",
        17 => "sh",
        21 => "microblaze",
        22 => "arm64",
        24 => "x86_64",
        26 => "riscv",
        _ => "other",
    }
}

fn type_name(code: u8) -> &'static str {
    match code {
        1 => "standalone",
        2 => "kernel",
        3 => "ramdisk",
        4 => "multi",
        5 => "firmware",
        6 => "script",
        7 => "filesystem",
        8 => "flat-dt",
        _ => "other",
    }
}

fn compression_name(code: u8) -> &'static str {
    match code {
        0 => "none",
        1 => "gzip",
        2 => "bzip2",
        3 => "lzma",
        4 => "lzo",
        5 => "lz4",
        6 => "zstd",
        _ => "other",
    }
}

/// The fields of a uImage header (`struct legacy_img_hdr` of U-Boot's `image.h`).
struct Header {
    /// The header with its CRC field zeroed, as the CRC is computed.
    zeroed: [u8; HEADER],
    header_crc: u32,
    timestamp: u32,
    data_size: u32,
    load_address: u32,
    entry_point: u32,
    data_crc: u32,
    os: u8,
    arch: u8,
    kind: u8,
    compression: u8,
    name: String,
}

impl Header {
    fn read(bytes: &[u8]) -> Option<Self> {
        let header = Bytes(bytes);
        let mut zeroed: [u8; HEADER] = header.array_at(0)?;
        zeroed[4..8].fill(0);
        Some(Header {
            zeroed,
            header_crc: header.u32_be(4)?,
            timestamp: header.u32_be(8)?,
            data_size: header.u32_be(12)?,
            load_address: header.u32_be(16)?,
            entry_point: header.u32_be(20)?,
            data_crc: header.u32_be(24)?,
            os: header.u8_at(28)?,
            arch: header.u8_at(29)?,
            kind: header.u8_at(30)?,
            compression: header.u8_at(31)?,
            name: fixed_field(header.bytes_at(32, 32)?),
        })
    }
}

/// A U-Boot uImage's header.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UImageNode {
    /// `uImage NAME`.
    label: String,
    /// Always `uimage`.
    format: &'static str,
    /// The image's name, from its header.
    name: String,
    /// The operating system (`linux`…).
    os: &'static str,
    /// The CPU architecture (`arm`, `arm64`…).
    arch: &'static str,
    /// The image type (`kernel`, `ramdisk`, `multi`…).
    #[serde(rename = "type")]
    kind: &'static str,
    /// The payload's compression (`none`, `gzip`…).
    compression: &'static str,
    /// When it was made, seconds since 1970.
    timestamp: u32,
    /// The payload's size the header states, bytes.
    data_size: u32,
    /// The load address, hexadecimal (`0x80008000`).
    load_address: String,
    /// The entry point, hexadecimal.
    entry_point: String,
    /// The header's CRC-32 matches it.
    header_crc_ok: bool,
    /// The payload's CRC-32 matches it; null when the payload runs past the end of the file.
    data_crc_ok: Option<bool>,
    /// Always 0: the node is about the whole image.
    offset: usize,
}

pub fn unpack(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let Some(header) = Header::read(bytes) else {
        return walk.damaged(
            chain,
            Format::UImage,
            "shorter than the 64-byte uImage header",
        );
    };
    let header_crc_ok = crc32fast::hash(&header.zeroed) == header.header_crc;
    let size = header.data_size;
    let data = usize::try_from(size)
        .ok()
        .and_then(|size| Bytes(bytes).bytes_at(HEADER, size));
    let data_crc_ok = data.map(|data| crc32fast::hash(data) == header.data_crc);
    let compression = header.compression;
    let node = UImageNode {
        label: format!("uImage {}", header.name),
        format: "uimage",
        name: header.name.clone(),
        os: os_name(header.os),
        arch: arch_name(header.arch),
        kind: type_name(header.kind),
        compression: compression_name(compression),
        timestamp: header.timestamp,
        data_size: size,
        load_address: format!("{:#010x}", header.load_address),
        entry_point: format!("{:#010x}", header.entry_point),
        header_crc_ok,
        data_crc_ok,
        offset: 0,
    };
    walk.sections.uimages.push(Placed::new(chain, node));
    if !header_crc_ok {
        walk.damaged(
            chain,
            Format::UImage,
            "the header CRC-32 does not match the header",
        );
        return;
    }
    let Some(data) = data else {
        walk.damaged(
            chain,
            Format::UImage,
            format!("the header announces {size} bytes of data, past the end of the file"),
        );
        return;
    };
    // What follows the image in the file (a root filesystem after the kernel, in flash
    // layouts) is read for embedded filesystems and content too.
    let end = HEADER + data.len();
    if let Some(rest) = bytes.get(end..).filter(|rest| rest.len() >= 4096) {
        let after = chain.child("after the image");
        if walk.admit_member(&after) {
            walk.visit_slice(&after, rest);
        }
    }
    let member = chain.child("payload");
    if !walk.admit_member(&member) {
        return;
    }
    match compression {
        // Stored, or gzip (whose own magic the walker recognises).
        0 | 1 => walk.visit_slice(&member, data),
        _ => walk.sections.not_unpacked.push(Placed::new(
            &member,
            NotUnpacked {
                reason: format!(
                    "{} compression is not unpacked",
                    compression_name(compression)
                ),
                offset: 0,
                data_offset: HEADER,
            },
        )),
    }
}
