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

use super::{Chain, Format, Placed, Walk};
use crate::analyze::text::fixed_field;
use crate::bytes::Bytes;
use schemars::JsonSchema;
use serde::Serialize;
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

/// Chunk headers listed in a module's evidence; the rest are counted (`chunks_not_listed`)
/// and still examined. Real modules have a handful; a hostile one can declare millions.
pub const MAX_CHUNKS_LISTED: usize = 256;

/// `major.minor.build.rev`, two digits each, as DJI prints module versions.
fn module_version(version: u32) -> String {
    let [rev, build, minor, major] = version.to_le_bytes();
    format!("{major:02}.{minor:02}.{build:02}.{rev:02}")
}

/// The fields of an IM*H header that drone-audit reads.
struct ImahHeader<'data> {
    header_version: u32,
    header_size: usize,
    signature_size: usize,
    payload_size: usize,
    anti_rollback_version: u8,
    auth_alg: u32,
    auth_key: String,
    enc_key: String,
    name: String,
    kind: String,
    version: u32,
    date: u32,
    chunk_count: usize,
    payload_digest: &'data [u8],
}

impl<'data> ImahHeader<'data> {
    /// The header at the start of `bytes`; `None` when they are shorter than it.
    fn read(bytes: &'data [u8]) -> Option<Self> {
        let header = Bytes(bytes.get(..IMAH_HEADER)?);
        let size = |at: usize| {
            header
                .u32_le(at)
                .and_then(|value| usize::try_from(value).ok())
        };
        Some(ImahHeader {
            header_version: header.u32_le(4)?,
            header_size: size(16)?,
            signature_size: size(20)?,
            payload_size: size(24)?,
            anti_rollback_version: header.u8_at(35)?,
            auth_alg: header.u32_le(36)?,
            auth_key: fixed_field(header.bytes_at(40, 4)?),
            enc_key: fixed_field(header.bytes_at(44, 4)?),
            name: fixed_field(header.bytes_at(64, 32)?),
            kind: fixed_field(header.bytes_at(96, 4)?),
            version: header.u32_le(100)?,
            date: header.u32_le(104)?,
            chunk_count: size(156)?,
            payload_digest: header.bytes_at(160, 32)?,
        })
    }
}

/// A DJI module, with the member it is: an `IM*H` module, or a module an xV4 package lists.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Module {
    /// An `IM*H` module (`format` `dji-imah`).
    Imah(Box<Placed<ImahModule>>),
    /// A module of an xV4 package (`format` `dji-xv4-module`).
    Xv4(Placed<Xv4Module>),
}

/// An `IM*H` module: its header, its keys and its chunks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImahModule {
    /// `DJI module NAME` (`IM*H`) or `DJI xV4 module NAME`.
    label: String,
    /// `dji-imah` (an `IM*H` module) or `dji-xv4-module` (a module an xV4 package lists).
    format: &'static str,
    /// `IM*H`: the header's version.
    header_version: u32,
    /// The module's name: `wm245_0306` (`IM*H`), `mTTSS`, target and sub-target (xV4).
    name: String,
    /// `IM*H`: the module's type, as the header names it.
    #[serde(rename = "type")]
    kind: String,
    /// The module's version: `AA.BB.CC.DD` (`IM*H`), `AA.BB.CCCC` (xV4).
    version: String,
    /// `IM*H`: the header's date, as 8 hexadecimal digits (`20190522`).
    date: String,
    /// `IM*H`: the anti-rollback version.
    anti_rollback_version: u8,
    /// `IM*H`: the signature algorithm's code.
    auth_alg: u32,
    /// `IM*H`: the name of the key that signed it (`PRAK`…), empty when none.
    auth_key: String,
    /// `IM*H`: the name of the key that encrypts it (`UFIE`…), empty when it is not encrypted.
    enc_key: String,
    /// `IM*H`: the signature's size, bytes.
    signature_size: usize,
    /// `IM*H`: the payload's size, bytes.
    payload_size: usize,
    /// It has a signature and a signing key name (`IM*H`; not verified); always false for xV4
    /// modules, which carry MD5 checksums, no signature.
    signed: bool,
    /// It is encrypted, wholly or some of its chunks (what is encrypted is not examined).
    encrypted: bool,
    /// `IM*H`: its signing key is one whose private half has been published.
    signing_key_published: bool,
    /// `IM*H`: its signing key is one of DJI's.
    signing_key_dji: bool,
    /// `IM*H`: its encryption key is one that has been published.
    encryption_key_published: bool,
    /// `IM*H`: the payload's SHA-256 is the one the header states; null when the payload runs past
    /// the end of the file.
    payload_digest_matches: Option<bool>,
    /// `IM*H`: chunks in its table.
    chunk_count: usize,
    /// `IM*H`: the first 256 chunks of its table.
    chunks: Vec<ListedChunk>,
    /// `IM*H`: chunks not listed in `chunks`.
    chunks_not_listed: usize,
    /// Always 0: the node is about the whole module.
    offset: usize,
}

/// A chunk of an `IM*H` module.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListedChunk {
    /// Its id (4 characters).
    id: String,
    /// Where it starts in the payload.
    offset: usize,
    /// Its size, bytes.
    size: usize,
    /// It is stored encrypted.
    encrypted: bool,
}

/// A DJI xV4 package's header.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Xv4Package {
    /// `DJI package for MODEL`.
    label: String,
    /// Always `dji-xv4`.
    format: &'static str,
    /// Always `DJI`.
    vendor: &'static str,
    /// Always `aircraft`.
    component: &'static str,
    /// The package's SHA-256, hexadecimal.
    sha256: String,
    /// The manufacturer the header names.
    manufacturer: String,
    /// The model the header names (`P3X`).
    model: String,
    /// The header's timestamp (seconds since 1970).
    timestamp: u32,
    /// The package's version, `AA.BB.CCCC`; null when the header leaves it zero.
    version: Option<String>,
    /// The anti-rollback version, `AA.BB.CCCC`; null when the header leaves it zero.
    rollback_version: Option<String>,
    /// Modules it lists.
    modules: usize,
    /// Always 0: the node is about the whole package.
    offset: usize,
}

/// A module an xV4 package lists.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Xv4Module {
    /// `DJI module NAME` (`IM*H`) or `DJI xV4 module NAME`.
    label: String,
    /// `dji-imah` (an `IM*H` module) or `dji-xv4-module` (a module an xV4 package lists).
    format: &'static str,
    /// The module's name: `wm245_0306` (`IM*H`), `mTTSS`, target and sub-target (xV4).
    name: String,
    /// The module's version: `AA.BB.CC.DD` (`IM*H`), `AA.BB.CCCC` (xV4).
    version: String,
    /// It is encrypted, wholly or some of its chunks (what is encrypted is not examined).
    encrypted: bool,
    /// xV4: the encryption type code (0: none).
    encryption_type: u8,
    /// It has a signature and a signing key name (`IM*H`; not verified); always false for xV4
    /// modules, which carry MD5 checksums, no signature.
    signed: bool,
    /// xV4: where its data starts in the package.
    data_offset: u32,
    /// Always 0: the node is about the whole module.
    offset: usize,
}

/// One entry of an IM*H chunk table.
struct Chunk {
    id: String,
    offset: usize,
    size: usize,
    /// Stored unencrypted: the module has no encryption key, or bit 0 of `attrib` is set.
    plain: bool,
}

impl Chunk {
    fn read(entry: &[u8], module_encrypted: bool) -> Option<Self> {
        let entry = Bytes(entry);
        Some(Chunk {
            id: fixed_field(entry.bytes_at(0, 4)?),
            offset: usize::try_from(entry.u32_le(4)?).ok()?,
            size: usize::try_from(entry.u32_le(8)?).ok()?,
            plain: !module_encrypted || entry.u32_le(12)? & 1 == 1,
        })
    }
}

/// IM*H: header, chunk table, signature, payload. The payload is unpacked when it is not
/// encrypted (every chunk plaintext).
pub fn unpack_imah(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let Some(header) = ImahHeader::read(bytes) else {
        walk.damaged(
            chain,
            Format::DjiImah,
            "shorter than the 192-byte IM*H header",
        );
        return;
    };
    let header_size = header.header_size;
    let chunk_count = header.chunk_count;
    let table_end = chunk_count
        .checked_mul(CHUNK_HEADER)
        .and_then(|table| table.checked_add(IMAH_HEADER));
    let Some(table) = bytes
        .get(IMAH_HEADER..header_size)
        .filter(|_| table_end == Some(header_size))
    else {
        walk.damaged(
            chain,
            Format::DjiImah,
            format!("header size {header_size} does not fit {chunk_count} chunk headers"),
        );
        return;
    };
    let payload_start = header_size.saturating_add(header.signature_size);
    let payload = Bytes(bytes).bytes_at(payload_start, header.payload_size);
    let digest_matches =
        payload.map(|payload| Sha256::digest(payload)[..] == *header.payload_digest);
    // The table is read as it is walked, never collected: its length comes from the module.
    let module_encrypted = !header.enc_key.is_empty();
    let chunks = || {
        table
            .chunks_exact(CHUNK_HEADER)
            .filter_map(move |entry| Chunk::read(entry, module_encrypted))
    };
    let all_plain = chunks().all(|chunk| chunk.plain);
    let listed: Vec<_> = chunks()
        .take(MAX_CHUNKS_LISTED)
        .map(|chunk| ListedChunk {
            id: chunk.id,
            offset: chunk.offset,
            size: chunk.size,
            encrypted: !chunk.plain,
        })
        .collect();
    let auth_key = header.auth_key.as_str();
    let enc_key = header.enc_key.as_str();
    let module = ImahModule {
        label: format!("DJI module {}", header.name),
        format: "dji-imah",
        header_version: header.header_version,
        name: header.name.clone(),
        kind: header.kind.clone(),
        version: module_version(header.version),
        date: format!("{:08x}", header.date),
        anti_rollback_version: header.anti_rollback_version,
        auth_alg: header.auth_alg,
        auth_key: auth_key.to_owned(),
        enc_key: enc_key.to_owned(),
        signature_size: header.signature_size,
        payload_size: header.payload_size,
        signed: header.signature_size > 0 && !auth_key.is_empty(),
        encrypted: !all_plain,
        signing_key_published: PUBLISHED_SIGNING_KEYS.contains(&auth_key),
        signing_key_dji: DJI_SIGNING_KEYS.contains(&auth_key),
        encryption_key_published: !enc_key.is_empty()
            && PUBLISHED_ENCRYPTION_KEYS.contains(&enc_key),
        payload_digest_matches: digest_matches,
        chunk_count,
        chunks: listed,
        chunks_not_listed: chunk_count.saturating_sub(MAX_CHUNKS_LISTED),
        offset: 0,
    };
    walk.sections
        .modules
        .push(Module::Imah(Box::new(Placed::new(chain, module))));
    let Some(payload) = payload else {
        walk.damaged(
            chain,
            Format::DjiImah,
            format!(
                "the payload ({} bytes after the {}-byte signature) runs past the end of the module",
                header.payload_size, header.signature_size
            ),
        );
        return;
    };
    // An encrypted module's content is listed (`encrypted`), not examined.
    if !all_plain {
        return;
    }
    // Chunks that point at the same bytes are examined once; the set is bounded by the member
    // limit, which ends the walk of the table.
    let mut seen = std::collections::BTreeSet::new();
    for (index, chunk) in chunks().enumerate() {
        if chunk.size == 0 || !seen.insert((chunk.offset, chunk.size)) {
            continue;
        }
        let member = chain.child(format!("chunk {index} ({})", chunk.id));
        if !walk.admit_member(&member) {
            return;
        }
        match Bytes(payload).bytes_at(chunk.offset, chunk.size) {
            Some(data) => walk.visit_slice(&member, data),
            None => walk.damaged(&member, Format::DjiImah, "the chunk runs past the payload"),
        }
    }
}

/// Whether `bytes` start an xV4 container: the magic, and a header end that fits its entries.
pub fn is_xv4(bytes: &[u8]) -> bool {
    let header = Bytes(bytes);
    let (Some(end), Some(count)) = (header.u16_le(6), header.u16_le(44)) else {
        return false;
    };
    bytes.len() >= XV4_HEADER
        && bytes.starts_with(&XV4_MAGIC)
        && usize::from(end) == XV4_HEADER + XV4_ENTRY * usize::from(count) + 2
}

/// xV4: the package header and one member per module; encrypted modules are listed, not
/// unpacked.
pub fn unpack_xv4(walk: &mut Walk, chain: &Chain, bytes: &[u8]) {
    let header = Bytes(bytes);
    let (Some(timestamp), Some(count), Some(manufacturer), Some(model)) = (
        header.u32_le(8),
        header.u16_le(44),
        header.bytes_at(12, 16),
        header.bytes_at(28, 16),
    ) else {
        return walk.damaged(chain, Format::DjiXv4, "shorter than the 64-byte xV4 header");
    };
    let version = |at: usize| {
        let encoded = header.u32_le(at).filter(|encoded| *encoded != 0)?;
        Some(xv4_version(encoded ^ timestamp ^ 0x5127_A564))
    };
    let count = usize::from(count);
    let Some(table) = header.bytes_at(XV4_HEADER, count * XV4_ENTRY) else {
        walk.damaged(
            chain,
            Format::DjiXv4,
            format!("the {count} module entries run past the end"),
        );
        return;
    };
    let model = fixed_field(model);
    let package = Xv4Package {
        label: format!("DJI package for {model}"),
        format: "dji-xv4",
        vendor: "DJI",
        component: "aircraft",
        sha256: crate::digest::hex(&Sha256::digest(bytes)),
        manufacturer: fixed_field(manufacturer),
        model,
        timestamp,
        version: version(46),
        rollback_version: version(50),
        modules: count,
        offset: 0,
    };
    walk.sections.packages.push(Placed::new(chain, package));
    for entry in table.chunks_exact(XV4_ENTRY) {
        unpack_xv4_module(walk, chain, bytes, Bytes(entry));
    }
}

/// `major.minor.build` as dji_xv4_fwcon.py prints xV4 versions.
fn xv4_version(version: u32) -> String {
    format!(
        "{:02}.{:02}.{:04}",
        version >> 24,
        (version >> 16) & 0xff,
        version & 0xffff
    )
}

/// One 52-byte xV4 module entry: listed, and examined unless it is encrypted.
fn unpack_xv4_module(walk: &mut Walk, chain: &Chain, bytes: &[u8], entry: Bytes<'_>) {
    let (Some(target), Some(coding), Some(version), Some(start), Some(length)) = (
        entry.u8_at(0),
        entry.u8_at(1),
        entry.u32_le(4),
        entry.u32_le(8),
        entry.u32_le(12),
    ) else {
        return;
    };
    let name = format!("m{:02}{:02}", target & 31, target >> 5);
    let encryption = coding >> 4;
    let member = chain.child(name.clone());
    let module = Xv4Module {
        label: format!("DJI xV4 module {name}"),
        format: "dji-xv4-module",
        name,
        version: xv4_version(version),
        encrypted: encryption != 0,
        encryption_type: encryption,
        // xV4 modules carry MD5 checksums, no signature.
        signed: false,
        data_offset: start,
        offset: 0,
    };
    walk.sections
        .modules
        .push(Module::Xv4(Placed::new(&member, module)));
    if length == 0 || encryption != 0 || !walk.admit_member(&member) {
        return;
    }
    let data = usize::try_from(start)
        .ok()
        .zip(usize::try_from(length).ok())
        .and_then(|(start, length)| Bytes(bytes).bytes_at(start, length));
    match data {
        Some(data) => walk.visit_slice(&member, data),
        None => walk.damaged(
            &member,
            Format::DjiXv4,
            "the module runs past the end of the package",
        ),
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
        assert_eq!(listed, Some(MAX_CHUNKS_LISTED));
    }

    #[test]
    fn a_chunk_table_of_millions_is_counted_not_kept() {
        // 1,000,000 distinct chunk headers (32 MB): every one used to become a JSON node
        // (about 1.5 KB of memory each); now 256 are listed, the rest counted, and the walk
        // of the table stops at the member limit.
        let chunks = 1_000_000;
        let header_size = IMAH_HEADER + CHUNK_HEADER * chunks;
        let mut module = vec![0u8; header_size];
        module[0..4].copy_from_slice(IMAH_MAGIC);
        module[16..20].copy_from_slice(&(header_size as u32).to_le_bytes());
        module[24..28].copy_from_slice(&4096u32.to_le_bytes());
        module[156..160].copy_from_slice(&(chunks as u32).to_le_bytes());
        for index in 0..chunks {
            let at = IMAH_HEADER + index * CHUNK_HEADER;
            module[at + 4..at + 8].copy_from_slice(&((index % 4000) as u32).to_le_bytes());
            module[at + 8..at + 12]
                .copy_from_slice(&(1 + (index / 4000) as u32 % 90).to_le_bytes());
        }
        module.extend_from_slice(&[0x42u8; 4096]);
        let limits = crate::analyze::UnpackLimits {
            max_members: 1_000,
            ..Default::default()
        };
        let evidence = crate::analyze::firmware::analyze_with(&module, limits).expect("analyzed");
        let listed = &evidence.document["modules"][0];
        assert_eq!(
            listed["chunks"].as_array().map(Vec::len),
            Some(MAX_CHUNKS_LISTED)
        );
        assert_eq!(listed["chunk_count"], chunks);
        assert_eq!(listed["chunks_not_listed"], chunks - MAX_CHUNKS_LISTED);
        // The member limit cut the examination: partial, with the reason.
        assert!(evidence
            .incomplete
            .expect("partial")
            .contains("more than 1000 members"));
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
