//! DJI firmware packages: `IM*H` signed modules and the older xV4 containers, as the o-gs
//! dji-firmware-tools project documents them (`dji_imah_fwsig.py`, `dji_xv4_fwcon.py`); the
//! parsing here is this project's own.
//!
//! IM*H (little-endian): a 192-byte header (`header_version` @4, `header_size` @16,
//! `signature_size` @20, `payload_size` @24, `target_size` @28, `anti_version` u8 @35,
//! `auth_alg` @36, `auth_key` FourCC @40, `enc_key` FourCC @44 (zero: not encrypted),
//! `name` @64, `type` @96, `version` @100 (major.minor.build.rev bytes), `date` BCD @104,
//! `chunk_num` @156, `payload_digest` SHA-256 @160), then 32-byte chunk headers (`id`,
//! `offset`, `size`, `attrib` whose bit 0 marks a plaintext chunk), the RSA signature over
//! header and chunk table, and the payload.
//!
//! xV4 (little-endian): magic `0x12345678`, a 64-byte header (`timestamp` @8, `manufacturer`
//! @12, `model` @28, `entry_count` @44, versions @46/@50 XOR-ed with the timestamp and
//! `0x5127A564`), then 52-byte entries (`target`, `spcoding` whose high nibble is the
//! encryption type, `version`, `dt_offs`, `stored_len`…).

use super::{Chain, Format, Walk};
use crate::analyze::text::fixed_field;
use serde_json::json;
use sha2::{Digest, Sha256};

pub const IMAH_MAGIC: &[u8] = b"IM*H";
const IMAH_HEADER: usize = 192;
const CHUNK_HEADER: usize = 32;
const XV4_MAGIC: [u8; 4] = [0x78, 0x56, 0x34, 0x12];
const XV4_HEADER: usize = 64;
const XV4_ENTRY: usize = 52;

/// Encryption key ids whose AES keys dji-firmware-tools publishes (some under several dates):
/// anyone can decrypt modules encrypted with them.
const PUBLISHED_ENCRYPTION_KEYS: [&str; 10] = [
    "RREK", "RIEK", "IAEK", "RUEK", "PUEK", "TRIE", "TKIE", "TBIE", "UFIE", "SLEK",
];
/// Signing key ids whose RSA private keys are published (the community `SLAK` keys): a
/// module signed with one can have been signed by anyone.
const PUBLISHED_SIGNING_KEYS: [&str; 1] = ["SLAK"];
/// DJI's own signing key ids, whose private keys are not published.
const DJI_SIGNING_KEYS: [&str; 3] = ["PRAK", "RRAK", "GFAK"];

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap_or_default())
}

/// `major.minor.build.rev`, two digits each, as DJI prints module versions.
fn module_version(version: u32) -> String {
    let [rev, build, minor, major] = version.to_le_bytes();
    format!("{major:02}.{minor:02}.{build:02}.{rev:02}")
}

/// IM*H: header, chunk table, signature, payload. The payload is unpacked when it is not
/// encrypted (every chunk plaintext).
pub fn unpack_imah(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    if bytes.len() < IMAH_HEADER {
        walk.damaged(
            chain,
            Format::DjiImah,
            "shorter than the 192-byte IM*H header",
        );
        return;
    }
    let header_version = u32_at(bytes, 4);
    let header_size = u32_at(bytes, 16) as usize;
    let signature_size = u32_at(bytes, 20) as usize;
    let payload_size = u32_at(bytes, 24) as usize;
    let chunk_count = u32_at(bytes, 156) as usize;
    let auth_key = fixed_field(&bytes[40..44]);
    let enc_key = fixed_field(&bytes[44..48]);
    let payload_start = header_size.saturating_add(signature_size);
    let table_end = chunk_count
        .checked_mul(CHUNK_HEADER)
        .and_then(|table| table.checked_add(IMAH_HEADER));
    if table_end != Some(header_size) || header_size > bytes.len() {
        walk.damaged(
            chain,
            Format::DjiImah,
            format!("header size {header_size} does not fit {chunk_count} chunk headers"),
        );
        return;
    }
    let payload = bytes.get(payload_start..payload_start.saturating_add(payload_size));
    let digest_matches = payload.map(|payload| Sha256::digest(payload)[..] == bytes[160..192]);
    let chunks: Vec<Chunk> = bytes[IMAH_HEADER..header_size]
        .chunks_exact(CHUNK_HEADER)
        .map(|entry| Chunk {
            id: fixed_field(&entry[0..4]),
            offset: u32_at(entry, 4) as usize,
            size: u32_at(entry, 8) as usize,
            plain: enc_key.is_empty() || u32_at(entry, 12) & 1 == 1,
        })
        .collect();
    let all_plain = chunks.iter().all(|chunk| chunk.plain);
    let name = fixed_field(&bytes[64..96]);
    let module = json!({
        "label": format!("DJI module {name}"),
        "format": "dji-imah",
        "header_version": header_version,
        "name": name,
        "type": fixed_field(&bytes[96..100]),
        "version": module_version(u32_at(bytes, 100)),
        "date": format!("{:08x}", u32_at(bytes, 104)),
        "anti_rollback_version": bytes[35],
        "auth_alg": u32_at(bytes, 36),
        "auth_key": auth_key,
        "enc_key": enc_key,
        "signature_size": signature_size,
        "payload_size": payload_size,
        "signed": signature_size > 0 && !auth_key.is_empty(),
        "encrypted": !all_plain,
        "signing_key_published": PUBLISHED_SIGNING_KEYS.contains(&auth_key.as_str()),
        "signing_key_dji": DJI_SIGNING_KEYS.contains(&auth_key.as_str()),
        "encryption_key_published": !enc_key.is_empty() && PUBLISHED_ENCRYPTION_KEYS.contains(&enc_key.as_str()),
        "payload_digest_matches": digest_matches,
        "chunks": chunks
            .iter()
            .map(|chunk| json!({"id": chunk.id, "offset": chunk.offset, "size": chunk.size, "encrypted": !chunk.plain}))
            .collect::<Vec<_>>(),
        "offset": 0,
    });
    walk.record("modules", chain, module);
    let Some(payload) = payload else {
        walk.damaged(
            chain,
            Format::DjiImah,
            format!(
                "the payload ({payload_size} bytes after the {signature_size}-byte signature) runs past the end of the module"
            ),
        );
        return;
    };
    // An encrypted module's content is listed (`encrypted`), not examined.
    if !all_plain {
        return;
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, chunk) in chunks.iter().enumerate() {
        // Chunks that point at the same bytes are examined once.
        if chunk.size == 0 || !seen.insert((chunk.offset, chunk.size)) {
            continue;
        }
        let member = chain.child(format!("chunk {index} ({})", chunk.id));
        if !walk.admit_member(&member) {
            return;
        }
        match payload.get(chunk.offset..chunk.offset.saturating_add(chunk.size)) {
            Some(data) => walk.visit_slice(&member, data),
            None => walk.damaged(&member, Format::DjiImah, "the chunk runs past the payload"),
        }
    }
}

/// One entry of an IM*H chunk table.
struct Chunk {
    id: String,
    offset: usize,
    size: usize,
    /// Stored unencrypted: the module has no encryption key, or bit 0 of `attrib` is set.
    plain: bool,
}

/// Whether `bytes` start an xV4 container: the magic, and a header end that fits its entries.
pub fn is_xv4(bytes: &[u8]) -> bool {
    bytes.len() >= XV4_HEADER
        && bytes.starts_with(&XV4_MAGIC)
        && usize::from(u16_at(bytes, 6))
            == XV4_HEADER + XV4_ENTRY * usize::from(u16_at(bytes, 44)) + 2
}

/// xV4: the package header and one member per module; encrypted modules are listed, not
/// unpacked.
pub fn unpack_xv4(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let timestamp = u32_at(bytes, 8);
    let version = |at: usize| {
        let encoded = u32_at(bytes, at);
        (encoded != 0).then(|| {
            let version = encoded ^ timestamp ^ 0x5127_A564;
            format!(
                "{:02}.{:02}.{:04}",
                version >> 24,
                (version >> 16) & 0xff,
                version & 0xffff
            )
        })
    };
    let count = usize::from(u16_at(bytes, 44));
    if bytes.len() < XV4_HEADER + count * XV4_ENTRY {
        walk.damaged(
            chain,
            Format::DjiXv4,
            format!("the {count} module entries run past the end"),
        );
        return;
    }
    let model = fixed_field(&bytes[28..44]);
    let package = json!({
        "label": format!("DJI package for {model}"),
        "format": "dji-xv4",
        "vendor": "DJI",
        "component": "aircraft",
        "sha256": crate::digest::hex(&Sha256::digest(bytes)),
        "manufacturer": fixed_field(&bytes[12..28]),
        "model": model,
        "timestamp": timestamp,
        "version": version(46),
        "rollback_version": version(50),
        "modules": count,
        "offset": 0,
    });
    walk.record("packages", chain, package);
    for index in 0..count {
        let entry = &bytes[XV4_HEADER + index * XV4_ENTRY..][..XV4_ENTRY];
        let target = entry[0];
        let name = format!("m{:02}{:02}", target & 31, target >> 5);
        let encryption = entry[1] >> 4;
        let version = u32_at(entry, 4);
        let start = u32_at(entry, 8) as usize;
        let length = u32_at(entry, 12) as usize;
        let member = chain.child(name.clone());
        walk.record(
            "modules",
            &member,
            json!({
                "label": format!("DJI xV4 module {name}"),
                "format": "dji-xv4-module",
                "name": name,
                "version": format!("{:02}.{:02}.{:04}", version >> 24, (version >> 16) & 0xff, version & 0xffff),
                "encrypted": encryption != 0,
                "encryption_type": encryption,
                // xV4 modules carry MD5 checksums, no signature.
                "signed": false,
                "data_offset": start,
                "offset": 0,
            }),
        );
        if length == 0 || encryption != 0 || !walk.admit_member(&member) {
            continue;
        }
        match bytes.get(start..start.saturating_add(length)) {
            Some(data) => walk.visit_slice(&member, data),
            None => walk.damaged(
                &member,
                Format::DjiXv4,
                "the module runs past the end of the package",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_print_as_dji_does() {
        assert_eq!(module_version(0x0100_0500), "01.00.05.00");
    }

    /// An xV4 package of two modules, the second encrypted, as dji_xv4_fwcon.py lays it out.
    fn xv4_package() -> Vec<u8> {
        let timestamp = 1_450_000_000u32;
        let modules: [(u8, u8, &[u8]); 2] = [
            (0x21, 0, b"\x7fELF flight controller app"),
            (0x01, 0x10, &[0xaa; 64]),
        ];
        let table_end = XV4_HEADER + XV4_ENTRY * modules.len();
        let mut package = vec![0u8; table_end + 2];
        package[0..4].copy_from_slice(&XV4_MAGIC);
        package[4..6].copy_from_slice(&1u16.to_le_bytes());
        package[6..8].copy_from_slice(&((table_end + 2) as u16).to_le_bytes());
        package[8..12].copy_from_slice(&timestamp.to_le_bytes());
        package[12..15].copy_from_slice(b"DJI");
        package[28..32].copy_from_slice(b"P3X\0");
        package[44..46].copy_from_slice(&(modules.len() as u16).to_le_bytes());
        let version = 0x0102_0300u32 ^ timestamp ^ 0x5127_A564;
        package[46..50].copy_from_slice(&version.to_le_bytes());
        for (index, (target, coding, data)) in modules.iter().enumerate() {
            let entry = XV4_HEADER + index * XV4_ENTRY;
            let start = package.len() as u32;
            package[entry] = *target;
            package[entry + 1] = *coding;
            package[entry + 4..entry + 8].copy_from_slice(&0x0102_0005u32.to_le_bytes());
            package[entry + 8..entry + 12].copy_from_slice(&start.to_le_bytes());
            package[entry + 12..entry + 16].copy_from_slice(&(data.len() as u32).to_le_bytes());
            package.extend_from_slice(data);
        }
        package
    }

    #[test]
    fn xv4_packages_list_their_modules() {
        let package = xv4_package();
        assert!(is_xv4(&package));
        let evidence =
            crate::analyze::firmware::analyze_with(&package, Default::default()).expect("analyzed");
        let document = &evidence.document;
        assert_eq!(document["format"], "dji-xv4");
        assert_eq!(document["packages"][0]["model"], "P3X");
        assert_eq!(document["packages"][0]["version"], "01.02.0768");
        let modules = document["modules"].as_array().expect("modules");
        assert_eq!(modules[0]["name"], "m0101");
        assert_eq!(modules[0]["encrypted"], false);
        assert_eq!(modules[1]["name"], "m0100");
        assert_eq!(modules[1]["encrypted"], true);
        // The plaintext module is unpacked; the encrypted one is listed only.
        assert_eq!(document["members"], 1);
        assert!(evidence.incomplete.is_none());
    }

    #[test]
    fn chunks_pointing_at_the_same_bytes_are_examined_once() {
        let chunks = 1000;
        let header_size = IMAH_HEADER + CHUNK_HEADER * chunks;
        let mut module = vec![0u8; header_size];
        module[0..4].copy_from_slice(IMAH_MAGIC);
        module[16..20].copy_from_slice(&(header_size as u32).to_le_bytes());
        module[24..28].copy_from_slice(&64u32.to_le_bytes());
        module[156..160].copy_from_slice(&(chunks as u32).to_le_bytes());
        for index in 0..chunks {
            let at = IMAH_HEADER + index * CHUNK_HEADER + 8;
            module[at..at + 4].copy_from_slice(&64u32.to_le_bytes());
        }
        module.extend_from_slice(&[0x42u8; 64]);
        let evidence =
            crate::analyze::firmware::analyze_with(&module, Default::default()).expect("analyzed");
        assert_eq!(evidence.document["members"], 1);
        let listed = evidence.document["modules"][0]["chunks"]
            .as_array()
            .map(Vec::len);
        assert_eq!(listed, Some(chunks));
    }

    #[test]
    fn imah_payload_digests_are_checked() {
        let payload = [0x42u8; 64];
        let mut module = vec![0u8; IMAH_HEADER + CHUNK_HEADER];
        module[0..4].copy_from_slice(IMAH_MAGIC);
        module[16..20].copy_from_slice(&((IMAH_HEADER + CHUNK_HEADER) as u32).to_le_bytes());
        module[24..28].copy_from_slice(&64u32.to_le_bytes());
        module[156..160].copy_from_slice(&1u32.to_le_bytes());
        module[160..192].copy_from_slice(&Sha256::digest(payload));
        module[IMAH_HEADER + 8..IMAH_HEADER + 12].copy_from_slice(&64u32.to_le_bytes());
        module.extend_from_slice(&payload);
        let analyze = |bytes: &[u8]| {
            crate::analyze::firmware::analyze_with(bytes, Default::default())
                .expect("analyzed")
                .document
        };
        let document = analyze(&module);
        assert_eq!(document["modules"][0]["payload_digest_matches"], true);
        assert_eq!(document["modules"][0]["signed"], false);
        let last = module.len() - 1;
        module[last] ^= 1;
        assert_eq!(
            analyze(&module)["modules"][0]["payload_digest_matches"],
            false
        );
        module.truncate(last);
        let cut =
            crate::analyze::firmware::analyze_with(&module, Default::default()).expect("analyzed");
        assert!(cut
            .incomplete
            .expect("partial")
            .contains("runs past the end"));
    }
}
