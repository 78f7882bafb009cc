//! Autopilot firmware packages: ArduPilot `.apj` (magic `APJFWv1`) and PX4 `.px4` (magic
//! `PX4FWv1`), JSON documents whose `image` is the firmware, zlib-compressed and base64-encoded
//! (ArduPilot `Tools/ardupilotwaf/chibios.py`, PX4 `Tools/px_mkfw.py`).
//!
//! In an ArduPilot image, the app descriptor says whether the firmware is signed
//! (`libraries/AP_CheckFirmware/AP_CheckFirmware.h`): the magic `40 a2 e4 f1 64 68 91 06`
//! starts the unsigned descriptor; `41 a3 e5 f2 65 69 92 07` the signed one, whose
//! `signature_length` (u32 at +24) is 72 once `Tools/scripts/signing/make_secure_fw.py` has
//! signed it (a u64 signature version 30437 at +28, then 64 bytes of signature) and 0 before.
//! Both carry CRC-32s (initial value 0, no final inversion) of the image before and after the
//! bytes that signing fills. The package's `signed_firmware` flag is a claim, checked against
//! the descriptor.

use super::{Chain, Format, Placed, Walk};
use crate::bytes::Bytes;
use crate::digest::hex;
use base64::Engine;
use regex::bytes::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const UNSIGNED_MAGIC: [u8; 8] = [0x40, 0xa2, 0xe4, 0xf1, 0x64, 0x68, 0x91, 0x06];
const SIGNED_MAGIC: [u8; 8] = [0x41, 0xa3, 0xe5, 0xf2, 0x65, 0x69, 0x92, 0x07];
/// The signature version make_secure_fw.py writes before a 64-byte signature.
const SIGNATURE_VERSION: u64 = 30437;
const SIGNATURE_LENGTH: u32 = 72;

/// The fields drone-audit reads; the rest of the package is ignored.
#[derive(Debug, Deserialize)]
struct Package {
    magic: String,
    #[serde(default)]
    board_id: Option<u64>,
    #[serde(default)]
    board_revision: Option<u64>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    git_identity: Option<String>,
    /// Written by ArduPilot's build, whatever the container: a `.px4` file that has it holds
    /// ArduPilot (whose `git_identity` is then the PX4 submodule's).
    #[serde(default)]
    ardupilot_git_hash: Option<String>,
    #[serde(default)]
    image_size: Option<u64>,
    #[serde(default)]
    signed_firmware: Option<bool>,
    /// PX4's flag for images signed for secure boot.
    #[serde(default)]
    image_signed: Option<bool>,
    #[serde(default)]
    build_time: Option<u64>,
    image: String,
}

/// A JSON package is recognised by its `magic` value among its first bytes.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace())?;
    if bytes[start] != b'{' {
        return None;
    }
    // The `magic` key with its value, as both tools write it (`"magic": "APJFWv1"`).
    let head = &bytes[start..bytes.len().min(start + 65_536)];
    let at = memchr::memmem::find(head, b"\"magic\"")? + 7;
    let value = head[at..]
        .iter()
        .position(|byte| !matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b':'))
        .map(|skip| &head[at + skip..])?;
    if value.starts_with(b"\"APJFWv1\"") {
        Some(Format::ArdupilotApj)
    } else if value.starts_with(b"\"PX4FWv1\"") {
        Some(Format::Px4)
    } else {
        None
    }
}

/// An ArduPilot or PX4 image: what its package states and what its image shows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImageNode {
    /// `VENDOR image for BOARD`.
    label: String,
    /// The package's format: `apj` or `px4`.
    format: &'static str,
    /// `ArduPilot` or `PX4` (a `.px4` with `ardupilot_git_hash` holds ArduPilot).
    vendor: &'static str,
    /// Always `autopilot`.
    component: &'static str,
    /// The board: the package's `summary`, else `board N`; null when it names neither.
    model: Option<String>,
    /// The package's `board_id`.
    board_id: Option<u64>,
    /// The package's `board_revision`.
    board_revision: Option<u64>,
    /// The package's `description`.
    description: Option<String>,
    /// The package's own `version` field.
    package_version: Option<String>,
    /// The package's `git_identity`.
    git_identity: Option<String>,
    /// The package's `ardupilot_git_hash` (ArduPilot's builds write it).
    ardupilot_git_hash: Option<String>,
    /// The package's `build_time`, seconds since 1970.
    build_time: Option<u64>,
    /// The image's size once unpacked, bytes.
    image_size: usize,
    /// The package's `image_size` is the unpacked image's; null when it states none.
    image_size_matches: Option<bool>,
    /// The package's SHA-256, hexadecimal.
    sha256: String,
    /// The package's `magic` (`APJFWv1`, `PX4FWv1`).
    magic: String,
    /// Always 0: the node is about the whole package.
    offset: usize,
    /// What the package claims: `signed_firmware` (ArduPilot) or `image_signed` (PX4).
    signed_flag: bool,
    /// Signed: from the app descriptor's signature (ArduPilot), else the package's claim
    /// (PX4). Not verified cryptographically.
    signed: bool,
    /// The package's claim agrees with the descriptor (always true for PX4).
    signing_consistent: bool,
    /// The app descriptor of an ArduPilot image.
    #[serde(skip_serializing_if = "Option::is_none")]
    descriptor: Option<Descriptor>,
    /// The vehicle the image announces, under today's name (`ArduCopter`, `ArduPlane`,
    /// `Rover`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    vehicle: Option<String>,
    /// The firmware's version (`4.5.0-beta2`): announced in an ArduPilot image, the release
    /// tag of a PX4 `git_identity`; absent when it cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

/// An ArduPilot image's app descriptor; only `present` (false) when the image has none.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Descriptor {
    /// The image has an app descriptor.
    present: bool,
    /// Which descriptor it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<DescriptorFormat>,
    /// The image size the descriptor states, bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    image_size: Option<usize>,
    /// Both CRC-32s match the image, as ArduPilot computes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    crc_ok: Option<bool>,
    /// Where the descriptor is in the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
    /// The descriptor's `major.minor` version.
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    /// The board id the descriptor states.
    #[serde(skip_serializing_if = "Option::is_none")]
    board_id: Option<u16>,
    /// The signature length a signed descriptor states (72 once signed, 0 before).
    #[serde(skip_serializing_if = "Option::is_none")]
    signature_length: Option<u32>,
    /// A signed descriptor's signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<Signature>,
}

/// Which app descriptor an ArduPilot image has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DescriptorFormat {
    /// Magic `41 a3 e5 f2…`: built for signing, with room for a signature.
    Signed,
    /// Magic `40 a2 e4 f1…`: no room for a signature.
    Unsigned,
}

/// What a signed descriptor holds where the signature goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Signature {
    /// A 72-byte signature of version 30437, as make_secure_fw.py writes it (not verified).
    Present,
    /// A signature length of 0: built for signing, never signed.
    Empty,
    /// Another length or version: a scheme this tool does not know.
    UnknownScheme,
}

/// CRC-32 as ArduPilot's `crc32_small` computes it: reflected 0xEDB88320, initial value 0,
/// no final inversion.
fn ardupilot_crc(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(0xffff_ffff);
    hasher.update(bytes);
    hasher.finalize() ^ 0xffff_ffff
}

/// What the app descriptor of an ArduPilot image says about signing.
fn descriptor(image: &[u8]) -> Descriptor {
    let find = |magic: &[u8; 8]| memchr::memmem::find(image, magic);
    let (offset, signed_format) = match (find(&UNSIGNED_MAGIC), find(&SIGNED_MAGIC)) {
        (None, None) => return Descriptor::default(),
        (Some(unsigned), Some(signed)) if signed < unsigned => (signed, true),
        (Some(unsigned), _) => (unsigned, false),
        (None, Some(signed)) => (signed, true),
    };
    // The CRCs skip the fields signing fills: from after the magic to `version_major`.
    let skipped = if signed_format { 92 } else { 16 };
    let crc1_end = offset + 8;
    let image = Bytes(image);
    let image_size = image.u32_le(offset + 16).unwrap_or_default() as usize;
    let crc_ok = (|| {
        let crc1 = image.u32_le(offset + 8)?;
        let crc2 = image.u32_le(offset + 12)?;
        let rest = image.0.get(crc1_end + skipped..image_size)?;
        let start = image.0.get(..crc1_end)?;
        Some(ardupilot_crc(start) == crc1 && ardupilot_crc(rest) == crc2)
    })()
    .unwrap_or(false);
    let (version_at, board_at) = if signed_format { (100, 102) } else { (24, 26) };
    let version = image
        .u8_at(offset + version_at)
        .zip(image.u8_at(offset + version_at + 1))
        .map(|(major, minor)| format!("{major}.{minor}"));
    let (signature_length, signature) = if signed_format {
        let length = image.u32_le(offset + 24).unwrap_or_default();
        let version = image.u64_le(offset + 28).unwrap_or_default();
        let signature = match (length, version) {
            (0, _) => Signature::Empty,
            (SIGNATURE_LENGTH, SIGNATURE_VERSION) => Signature::Present,
            _ => Signature::UnknownScheme,
        };
        (Some(length), Some(signature))
    } else {
        (None, None)
    };
    Descriptor {
        present: true,
        format: Some(if signed_format {
            DescriptorFormat::Signed
        } else {
            DescriptorFormat::Unsigned
        }),
        image_size: Some(image_size),
        crc_ok: Some(crc_ok),
        offset: Some(offset),
        version,
        board_id: image.u16_le(offset + board_at),
        signature_length,
        signature,
    }
}

/// The vehicle and version an ArduPilot image announces (`ArduCopter V4.3.7 (8e9671f6)`,
/// `APM:Copter V3.3.3 (…)` before 2016), the vehicle under its current name and the version
/// with its pre-release tag (`4.5.0-beta2`).
fn announced_version(image: &[u8]) -> Option<(String, String)> {
    static ANNOUNCEMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(Ardu(?:Copter|Plane|Rover|Sub|Tracker|Blimp)|AntennaTracker|Rover|APM:(?:Copter|Plane|Rover)) V(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc|dev)\d*)?)",
        )
        .expect("valid regex")
    });
    let captures = ANNOUNCEMENT.captures(image)?;
    let text = |index: usize| String::from_utf8_lossy(&captures[index]).into_owned();
    Some((current_vehicle_name(&text(1)).to_owned(), text(2)))
}

/// ArduPilot's vehicle names as its policy entries use them: the `APM:` names of the 3.x
/// releases and `ArduRover` are today's ArduCopter, ArduPlane and Rover.
pub fn current_vehicle_name(vehicle: &str) -> &str {
    match vehicle {
        "APM:Copter" => "ArduCopter",
        "APM:Plane" => "ArduPlane",
        "APM:Rover" | "ArduRover" => "Rover",
        other => other,
    }
}

/// The release a PX4 `git_identity` names (`v1.14.3`, `v1.12.0-beta2-59-g0c3e64a7f5` is
/// `1.12.0-beta2`), also when px_mkfw.py wrote it as a Python bytes literal (`b'v1.6.5-9-g…'`);
/// `None` for anything else (a bare commit hash), so that version rules are not assessed.
fn px4_release(identity: &str) -> Option<String> {
    let identity = identity.trim();
    let identity = identity
        .strip_prefix("b'")
        .and_then(|rest| rest.strip_suffix('\''))
        .or_else(|| {
            identity
                .strip_prefix("b\"")
                .and_then(|rest| rest.strip_suffix('"'))
        })
        .unwrap_or(identity);
    let tag = identity.strip_prefix('v')?;
    let tag = tag.strip_suffix("-dirty").unwrap_or(tag);
    // `git describe` adds `-<commits since the tag>-g<hash>` after the tag.
    let parts: Vec<&str> = tag.rsplitn(3, '-').collect();
    let tag = match parts.as_slice() {
        [hash, commits, tag]
            if hash.starts_with('g') && commits.chars().all(|c| c.is_ascii_digit()) =>
        {
            tag
        }
        _ => tag,
    };
    let mut numbers = tag.split(['.', '-']);
    let is_release = numbers
        .by_ref()
        .take(3)
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
    is_release.then(|| tag.to_owned())
}

pub fn unpack(walk: &mut Walk, format: Format, chain: &Chain, bytes: &[u8]) {
    let package: Package = match serde_json::from_slice(bytes) {
        Ok(package) => package,
        Err(error) => return walk.damaged(chain, format, error),
    };
    let packed = match base64::engine::general_purpose::STANDARD.decode(package.image.trim()) {
        Ok(packed) => packed,
        Err(error) => {
            return walk.damaged(chain, format, format!("`image` is not base64: {error}"))
        }
    };
    let member = chain.child("image");
    if !walk.admit_member(&member) {
        return;
    }
    let open = || -> Box<dyn std::io::Read + '_> {
        Box::new(flate2::read::ZlibDecoder::new(packed.as_slice()))
    };
    let Some(image) = walk.inflate(&member, format, &open) else {
        return;
    };
    // The container does not say what it holds: ArduPilot built .px4 files too.
    let ardupilot = format == Format::ArdupilotApj || package.ardupilot_git_hash.is_some();
    let board = package
        .summary
        .clone()
        .filter(|summary| !summary.is_empty())
        .or(package.board_id.map(|id| format!("board {id}")));
    let vendor = if ardupilot { "ArduPilot" } else { "PX4" };
    let mut node = ImageNode {
        label: format!(
            "{vendor} image for {}",
            board.as_deref().unwrap_or("an unnamed board")
        ),
        format: format.id(),
        vendor,
        component: "autopilot",
        model: board,
        board_id: package.board_id,
        board_revision: package.board_revision,
        description: package.description,
        package_version: package.version,
        git_identity: package.git_identity,
        ardupilot_git_hash: package.ardupilot_git_hash,
        build_time: package.build_time,
        image_size: image.len(),
        image_size_matches: package.image_size.map(|size| size == image.len() as u64),
        sha256: hex(&Sha256::digest(bytes)),
        magic: package.magic,
        offset: 0,
        signed_flag: false,
        signed: false,
        signing_consistent: true,
        descriptor: None,
        vehicle: None,
        version: None,
    };
    if ardupilot {
        let descriptor = descriptor(&image);
        let signature_present = descriptor.signature == Some(Signature::Present);
        let claimed = package.signed_firmware.unwrap_or(false);
        node.signed_flag = claimed;
        node.signed = signature_present;
        node.signing_consistent = claimed == signature_present;
        node.descriptor = Some(descriptor);
        if let Some((vehicle, version)) = announced_version(&image) {
            node.vehicle = Some(vehicle);
            node.version = Some(version);
        }
    } else {
        let claimed = package.image_signed.unwrap_or(false);
        node.signed_flag = claimed;
        node.signed = claimed;
        node.signing_consistent = true;
        node.version = node.git_identity.as_deref().and_then(px4_release);
    }
    walk.sections.images.push(Placed::new(chain, node));
    walk.visit(&member, &image);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px4_identities_are_read_or_left_unknown() {
        assert_eq!(px4_release("v1.14.3").as_deref(), Some("1.14.3"));
        assert_eq!(
            px4_release("b'v1.6.5-9-g1a2b3c4'").as_deref(),
            Some("1.6.5")
        );
        assert_eq!(
            px4_release("v1.12.0-beta2-59-g0c3e64a7f5").as_deref(),
            Some("1.12.0-beta2")
        );
        assert_eq!(px4_release("v1.13.0-dirty").as_deref(), Some("1.13.0"));
        assert_eq!(px4_release("8e9671f6"), None);
        assert_eq!(px4_release("b'8e9671f6'"), None);
        assert_eq!(px4_release("vendor-build"), None);
    }

    #[test]
    fn old_vehicle_names_are_todays() {
        let announced = |text: &[u8]| announced_version(text).expect("announced");
        assert_eq!(
            announced(b"..APM:Copter V3.3.3 (a1b2c3d4)..."),
            ("ArduCopter".to_owned(), "3.3.3".to_owned())
        );
        assert_eq!(announced(b"APM:Plane V3.5.0").0, "ArduPlane");
        assert_eq!(announced(b"APM:Rover V2.5.1").0, "Rover");
        assert_eq!(announced(b"ArduCopter V4.5.0-beta2 (abc)").1, "4.5.0-beta2");
    }

    #[test]
    fn the_crc_is_ardupilots() {
        assert_eq!(ardupilot_crc(b"123456789"), 0x2DFD_2D88);
    }

    fn descriptor_json(image: &[u8]) -> serde_json::Value {
        serde_json::to_value(descriptor(image)).expect("a descriptor serialises")
    }

    #[test]
    fn descriptors_are_told_apart() {
        let mut image = vec![0u8; 64];
        image.extend_from_slice(&UNSIGNED_MAGIC);
        image.extend_from_slice(&[0; 28]);
        assert_eq!(descriptor_json(&image)["format"], "unsigned");
        let mut signed = vec![0u8; 64];
        signed.extend_from_slice(&SIGNED_MAGIC);
        signed.extend_from_slice(&[0; 104]);
        assert_eq!(descriptor_json(&signed)["signature"], "empty");
        signed[64 + 24..64 + 28].copy_from_slice(&72u32.to_le_bytes());
        signed[64 + 28..64 + 36].copy_from_slice(&SIGNATURE_VERSION.to_le_bytes());
        assert_eq!(descriptor_json(&signed)["signature"], "present");
        assert_eq!(descriptor_json(&[0u8; 100])["present"], false);
    }
}
