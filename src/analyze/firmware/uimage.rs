//! U-Boot legacy images (uImage): the 64-byte big-endian header of U-Boot's `image.h` (magic
//! `0x27051956`, header CRC-32 computed with its own field zeroed, timestamp, data size, load
//! address, entry point, data CRC-32, OS, architecture, image type, compression, a 32-byte
//! name), both CRCs checked, then the payload, unpacked when gzip-compressed or stored.

use super::{Chain, Format, Walk};
use crate::analyze::text::fixed_field;
use serde_json::json;

pub const MAGIC: [u8; 4] = [0x27, 0x05, 0x19, 0x56];
pub const HEADER: usize = 64;

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

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

pub fn unpack(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let mut header = [0u8; HEADER];
    header.copy_from_slice(&bytes[..HEADER]);
    let stored_header_crc = u32_at(&header, 4);
    header[4..8].fill(0);
    let header_crc_ok = crc32fast::hash(&header) == stored_header_crc;
    let size = u32_at(bytes, 12) as usize;
    let data = bytes.get(HEADER..HEADER.saturating_add(size));
    let data_crc_ok = data.map(|data| crc32fast::hash(data) == u32_at(bytes, 24));
    let compression = bytes[31];
    walk.record(
        "uimages",
        chain,
        json!({
            "label": format!("uImage {}", fixed_field(&bytes[32..64])),
            "format": "uimage",
            "name": fixed_field(&bytes[32..64]),
            "os": os_name(bytes[28]),
            "arch": arch_name(bytes[29]),
            "type": type_name(bytes[30]),
            "compression": compression_name(compression),
            "timestamp": u32_at(bytes, 8),
            "data_size": size,
            "load_address": format!("{:#010x}", u32_at(bytes, 16)),
            "entry_point": format!("{:#010x}", u32_at(bytes, 20)),
            "header_crc_ok": header_crc_ok,
            "data_crc_ok": data_crc_ok,
            "offset": 0,
        }),
    );
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
    if bytes.len() - end >= 4096 {
        let rest = chain.child("after the image");
        if walk.admit_member(&rest) {
            walk.visit_slice(&rest, &bytes[end..]);
        }
    }
    let member = chain.child("payload");
    if !walk.admit_member(&member) {
        return;
    }
    match compression {
        // Stored, or gzip (whose own magic the walker recognises).
        0 | 1 => walk.visit_slice(&member, data),
        _ => walk.record(
            "not_unpacked",
            &member,
            json!({"reason": format!("{} compression is not unpacked", compression_name(compression)), "offset": 0, "data_offset": HEADER}),
        ),
    }
}
