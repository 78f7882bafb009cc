//! Writes the project's own firmware images: the firmware rules' fixtures
//! (`tests/fixtures/rules/FW-*/`) and the sample fleet's images. Each format is laid out as its
//! tools write it: ArduPilot `.apj` (JSON, zlib + base64 image with an app descriptor whose
//! CRCs are ArduPilot's), DJI `IM*H` modules (192-byte header, chunk table, signature,
//! payload with its SHA-256), U-Boot uImages (CRC-32s), tar, gzip and zip; programs are
//! compiled with gcc with and without hardening flags; the sample companion root filesystem
//! is made with mksquashfs.
//!
//! Usage: `cargo run --example generate_firmware` (from the crate root; needs gcc and
//! mksquashfs; rewrites the files), or `cargo run --release --example generate_firmware --
//! --large FILE MEGABYTES` for a large root-filesystem tar for the content-scan benchmark.

use base64::Engine;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().expect("a parent")).expect("create the folder");
    fs::write(path, bytes).unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Bytes that look like compiled code: deterministic, not compressible to nothing.
fn code_bytes(seed: u32, length: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state & 0xff) as u8
        })
        .collect()
}

/// ArduPilot's CRC-32: reflected 0xEDB88320, initial value 0, no final inversion.
fn ardupilot_crc(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[derive(Clone, Copy, PartialEq)]
enum Descriptor {
    Unsigned,
    /// Built for signing, not signed yet (`signature_length` 0).
    SignedEmpty,
    Signed,
}

/// An ArduPilot image for `board_id` announcing `vehicle` `version`, with an app descriptor.
fn ardupilot_image(vehicle: &str, version: &str, board_id: u16, descriptor: Descriptor) -> Vec<u8> {
    let mut image = code_bytes(u32::from(board_id), 4096);
    image.extend_from_slice(format!("{vehicle} V{version} (2a3dc4b7)\0").as_bytes());
    image.extend_from_slice(b"ChibiOS: 6a85082c\0");
    let offset = image.len();
    let signed_format = descriptor != Descriptor::Unsigned;
    let (magic, length) = if signed_format {
        ([0x41, 0xa3, 0xe5, 0xf2, 0x65, 0x69, 0x92, 0x07], 112)
    } else {
        ([0x40, 0xa2, 0xe4, 0xf1, 0x64, 0x68, 0x91, 0x06], 36)
    };
    let mut block = vec![0u8; length];
    block[..8].copy_from_slice(&magic);
    image.extend_from_slice(&block);
    image.extend(code_bytes(7, 8192));
    let total = image.len() as u32;
    let (major, minor) = {
        let mut parts = version
            .split('.')
            .map(|part| part.parse::<u8>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    };
    image[offset + 16..offset + 20].copy_from_slice(&total.to_le_bytes());
    image[offset + 20..offset + 24].copy_from_slice(&0x2a3d_c4b7u32.to_le_bytes());
    let tail = if signed_format { 100 } else { 24 };
    image[offset + tail] = major;
    image[offset + tail + 1] = minor;
    image[offset + tail + 2..offset + tail + 4].copy_from_slice(&board_id.to_le_bytes());
    image[offset + tail + 4..offset + tail + 12].fill(0xff);
    if descriptor == Descriptor::Signed {
        image[offset + 24..offset + 28].copy_from_slice(&72u32.to_le_bytes());
        image[offset + 28..offset + 36].copy_from_slice(&30437u64.to_le_bytes());
        image[offset + 36..offset + 100].copy_from_slice(&code_bytes(99, 64));
    }
    let skipped = if signed_format { 92 } else { 16 };
    let crc1 = ardupilot_crc(&image[..offset + 8]);
    let crc2 = ardupilot_crc(&image[offset + 8 + skipped..]);
    image[offset + 8..offset + 12].copy_from_slice(&crc1.to_le_bytes());
    image[offset + 12..offset + 16].copy_from_slice(&crc2.to_le_bytes());
    image
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

/// An `.apj` as ArduPilot's build writes it (`json.dumps(d, indent=4)`, its keys in the
/// order `generate_apj` adds them).
fn apj(board: &str, board_id: u16, image: &[u8], signed_firmware: bool) -> Vec<u8> {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(zlib(bytes));
    let mut fields: Vec<(&str, serde_json::Value)> = vec![
        ("board_id", board_id.into()),
        ("magic", "APJFWv1".into()),
        (
            "description",
            format!("Firmware for a {board} board").into(),
        ),
        ("image", encode(image).into()),
        ("extf_image", encode(b"").into()),
        ("summary", board.into()),
        ("version", "0.1".into()),
        ("image_size", image.len().into()),
        ("extf_image_size", 0.into()),
        ("flash_total", 1_966_080.into()),
        ("image_maxsize", 1_966_080.into()),
        ("flash_free", (1_966_080 - image.len()).into()),
        ("extflash_total", 0.into()),
        ("extflash_free", 0.into()),
        ("git_identity", "2a3dc4b7".into()),
        ("board_revision", 0.into()),
        ("USBID", "0x2DAE/0x1016".into()),
    ];
    if signed_firmware {
        fields.push(("signed_firmware", true.into()));
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("    \"{key}\": {value}"))
        .collect();
    format!("{{\n{}\n}}", body.join(",\n")).into_bytes()
}

/// A DJI IM*H module: header version 2, one chunk, a 256-byte signature, the payload padded to
/// 32 bytes, and its SHA-256 in the header (spoiled when `tampered`).
fn imah(name: &str, auth_key: &str, enc_key: &str, payload: &[u8], tampered: bool) -> Vec<u8> {
    let padded = payload.len().div_ceil(32) * 32;
    let mut stored = payload.to_vec();
    stored.resize(padded, 0);
    let header_size = 192 + 32;
    let signature_size = 256;
    let mut header = vec![0u8; header_size];
    header[0..4].copy_from_slice(b"IM*H");
    header[4..8].copy_from_slice(&2u32.to_le_bytes());
    let total = (header_size + signature_size + padded) as u32;
    header[8..12].copy_from_slice(&total.to_le_bytes());
    header[16..20].copy_from_slice(&(header_size as u32).to_le_bytes());
    header[20..24].copy_from_slice(&(signature_size as u32).to_le_bytes());
    header[24..28].copy_from_slice(&(padded as u32).to_le_bytes());
    header[28..32].copy_from_slice(&total.to_le_bytes());
    header[35] = 3;
    header[36..40].copy_from_slice(&2u32.to_le_bytes());
    header[40..44].copy_from_slice(&padded4(auth_key));
    header[44..48].copy_from_slice(&padded4(enc_key));
    header[48..64].copy_from_slice(&code_bytes(5, 16));
    header[64..64 + name.len()].copy_from_slice(name.as_bytes());
    header[96..100].copy_from_slice(b"RAW\0");
    header[100..104].copy_from_slice(&0x0101_0300u32.to_le_bytes());
    header[104..108].copy_from_slice(&0x2020_0421u32.to_le_bytes());
    header[156..160].copy_from_slice(&1u32.to_le_bytes());
    let mut digest: [u8; 32] = Sha256::digest(&stored).into();
    if tampered {
        digest[0] ^= 0xff;
    }
    header[160..192].copy_from_slice(&digest);
    // The chunk: id, offset 0, plaintext size, attrib bit 0 when stored unencrypted.
    header[192..196].copy_from_slice(b"0000");
    header[200..204].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    header[204..208].copy_from_slice(&u32::from(enc_key.is_empty()).to_le_bytes());
    let mut module = header;
    module.extend(code_bytes(11, signature_size));
    module.extend(stored);
    module
}

fn padded4(text: &str) -> [u8; 4] {
    let mut bytes = [0u8; 4];
    bytes[..text.len()].copy_from_slice(text.as_bytes());
    bytes
}

/// A U-Boot legacy image: 64-byte big-endian header with both CRC-32s (the data CRC spoiled
/// when `corrupt`).
fn uimage(name: &str, payload: &[u8], compression: u8, corrupt: bool) -> Vec<u8> {
    let mut header = [0u8; 64];
    header[0..4].copy_from_slice(&0x2705_1956u32.to_be_bytes());
    header[8..12].copy_from_slice(&1_714_000_000u32.to_be_bytes());
    header[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    header[16..20].copy_from_slice(&0x8000_8000u32.to_be_bytes());
    header[20..24].copy_from_slice(&0x8000_8000u32.to_be_bytes());
    let data_crc = crc32fast::hash(payload) ^ u32::from(corrupt);
    header[24..28].copy_from_slice(&data_crc.to_be_bytes());
    header[28] = 5; // Linux
    header[29] = 2; // ARM
    header[30] = 2; // kernel
    header[31] = compression;
    header[32..32 + name.len()].copy_from_slice(name.as_bytes());
    let header_crc = crc32fast::hash(&header);
    header[4..8].copy_from_slice(&header_crc.to_be_bytes());
    let mut image = header.to_vec();
    image.extend_from_slice(payload);
    image
}

/// A tar of `(path, content, mode)` entries, as GNU tar lays it out.
fn tar(entries: &[(&str, Vec<u8>, u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content, mode) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(*mode);
        header.set_mtime(1_714_000_000);
        header.set_cksum();
        builder
            .append_data(&mut header, path, content.as_slice())
            .expect("tar entry");
    }
    builder.into_inner().expect("tar")
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, content) in entries {
        writer.start_file(*name, options).expect("zip entry");
        writer.write_all(content).expect("zip entry");
    }
    writer.finish().expect("zip").into_inner()
}

/// A program compiled by gcc with `flags`, from C that copies, formats and reads input.
fn program(flags: &[&str], unsafe_calls: bool) -> Vec<u8> {
    let work = std::env::temp_dir().join(format!("drone-audit-elf-{}", std::process::id()));
    fs::create_dir_all(&work).expect("temporary folder");
    let source = work.join("telemetry.c");
    let body = if unsafe_calls {
        "strcpy(name, argv[1]); sprintf(line, \"%s:%d\", name, argc);"
    } else {
        "snprintf(name, sizeof name, \"%s\", argv[1]); snprintf(line, sizeof line, \"%s:%d\", name, argc);"
    };
    let code = format!(
        "#include <stdio.h>\n#include <string.h>\nint main(int argc, char **argv) {{\n  char name[32]; char line[64];\n  if (argc < 2) return 1;\n  {body}\n  puts(line);\n  return 0;\n}}\n"
    );
    fs::write(&source, code).expect("write C source");
    let output = work.join("telemetry");
    let status = Command::new("gcc")
        .args(["-O2", "-s", "-o"])
        .arg(&output)
        .arg(&source)
        .args(flags)
        .status()
        .expect("gcc runs (the generator needs gcc)");
    assert!(status.success(), "gcc {flags:?} failed");
    let bytes = fs::read(&output).expect("read the program");
    fs::remove_dir_all(&work).ok();
    bytes
}

const HARDENED: [&str; 5] = [
    "-fPIE",
    "-pie",
    "-fstack-protector-strong",
    "-D_FORTIFY_SOURCE=2",
    "-Wl,-z,relro,-z,now",
];

/// A SquashFS made by mksquashfs from `(path, content, mode)` files.
fn squashfs(files: &[(&str, Vec<u8>, u32)]) -> Vec<u8> {
    use std::os::unix::fs::PermissionsExt;
    let work = std::env::temp_dir().join(format!("drone-audit-squashfs-{}", std::process::id()));
    let root = work.join("root");
    for (path, content, mode) in files {
        let file = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(file.parent().expect("a parent")).expect("folder");
        fs::write(&file, content).expect("file");
        fs::set_permissions(&file, fs::Permissions::from_mode(*mode)).expect("mode");
    }
    let image = work.join("rootfs.squashfs");
    let status = Command::new("mksquashfs")
        .arg(&root)
        .arg(&image)
        .args([
            "-comp",
            "gzip",
            "-noappend",
            "-all-root",
            "-quiet",
            "-no-progress",
            "-mkfs-time",
            "1714000000",
            "-all-time",
            "1714000000",
        ])
        .status()
        .expect("mksquashfs runs (the generator needs squashfs-tools)");
    assert!(status.success(), "mksquashfs failed");
    let bytes = fs::read(&image).expect("read the filesystem");
    fs::remove_dir_all(&work).ok();
    bytes
}

const OPENSSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDrone0AuditFixtureKeyNotARealKeyAtAllJustBase64Text0000000AAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const PUBLIC_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDroneAuditFixtureKeyNotARealKeyAtAll00000 integrator@build-server\n";
/// `pi`/`raspberry` as SHA-512-crypt: the default-password check recognises it.
const SHADOW: &str = "root:*:19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\npi:$6$xJtzYbT1$WUkEv4jgfEMuvrJecpoA64Eu8zVWXxzeCZo4xDyEtiiLpQbIPEMTWj/3DjmSn24XjBV99YzEY41YOaLjQUOeb1:19800:0:99999:7:::\n";
const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n";

fn rule_fixtures(fixtures: &Path) {
    let fixture = |rule: &str, name: &str| fixtures.join(rule).join(name);
    let plane = |version: &str, descriptor| ardupilot_image("ArduPlane", version, 140, descriptor);

    // FW-001: the policy lists the SHA-256 of the image that passes only.
    let approved = apj("CubeOrange", 140, &plane("4.5.7", Descriptor::Signed), true);
    let unknown = apj("CubeOrange", 140, &plane("4.5.6", Descriptor::Signed), true);
    write(&fixture("FW-001", "passes.apj"), &approved);
    write(&fixture("FW-001", "fires.apj"), &unknown);
    write(
        &fixture("FW-001", "policy.toml"),
        format!(
            "[[firmware]]\nvendor = \"ArduPilot\"\nmodel = \"CubeOrange\"\ncomponent = \"autopilot\"\nsha256 = [\"{}\"]\n",
            hex(&Sha256::digest(&approved))
        )
        .as_bytes(),
    );
    // FW-002: minimum 4.5.0.
    write(
        &fixture("FW-002", "fires.apj"),
        &apj("CubeOrange", 140, &plane("4.3.7", Descriptor::Signed), true),
    );
    write(
        &fixture("FW-002", "passes.apj"),
        &apj("CubeOrange", 140, &plane("4.5.7", Descriptor::Signed), true),
    );
    write(
        &fixture("FW-002", "policy.toml"),
        b"[[firmware]]\nvendor = \"ArduPilot\"\nmodel = \"CubeOrange\"\ncomponent = \"autopilot\"\nminimum = \"4.5.0\"\n",
    );
    // FW-003: an unsigned build; a signed one.
    write(
        &fixture("FW-003", "fires.apj"),
        &apj(
            "CubeOrange",
            140,
            &plane("4.5.7", Descriptor::Unsigned),
            false,
        ),
    );
    write(
        &fixture("FW-003", "passes.apj"),
        &apj("CubeOrange", 140, &plane("4.5.7", Descriptor::Signed), true),
    );
    // FW-004: signed_firmware true on an image whose signature was never written.
    write(
        &fixture("FW-004", "fires.apj"),
        &apj(
            "CubeOrange",
            140,
            &plane("4.5.7", Descriptor::SignedEmpty),
            true,
        ),
    );
    write(
        &fixture("FW-004", "passes.apj"),
        &apj("CubeOrange", 140, &plane("4.5.7", Descriptor::Signed), true),
    );
    // FW-005 and FW-006: DJI modules.
    let flight_app = code_bytes(3, 2048);
    write(
        &fixture("FW-005", "fires.sig"),
        &imah("wm245_0306", "SLAK", "", &flight_app, false),
    );
    write(
        &fixture("FW-005", "passes.sig"),
        &imah("wm245_0306", "PRAK", "", &flight_app, false),
    );
    write(
        &fixture("FW-006", "fires.sig"),
        &imah("wm245_0306", "PRAK", "UFIE", &flight_app, false),
    );
    write(
        &fixture("FW-006", "passes.sig"),
        &imah("wm245_0306", "PRAK", "", &flight_app, false),
    );
    // FW-007: a kernel uImage whose data CRC does not match.
    let kernel = gzip(&code_bytes(17, 16384));
    write(
        &fixture("FW-007", "fires.img"),
        &uimage("Linux-5.10.110-companion", &kernel, 1, true),
    );
    write(
        &fixture("FW-007", "passes.img"),
        &uimage("Linux-5.10.110-companion", &kernel, 1, false),
    );
    // FW-008..012: root filesystems in tars.
    let base = || -> Vec<(&'static str, Vec<u8>, u32)> {
        vec![
            ("./etc/hostname", b"companion\n".to_vec(), 0o644),
            (
                "./etc/os-release",
                b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
                0o644,
            ),
        ]
    };
    let with = |extra: Vec<(&'static str, Vec<u8>, u32)>| {
        let mut entries = base();
        entries.extend(extra);
        tar(&entries)
    };
    // One file of a root filesystem that fires the rule, and its compliant counterpart.
    type RootFile = (&'static str, &'static [u8], u32);
    let root_files: [(&str, RootFile, RootFile); 5] = [
        (
            "FW-008",
            ("./etc/ssh/ssh_host_ed25519_key", OPENSSH_KEY.as_bytes(), 0o600),
            ("./etc/ssh/ssh_host_ed25519_key.pub", PUBLIC_KEY.as_bytes(), 0o644),
        ),
        (
            "FW-009",
            ("./opt/gcs-bridge/bridge.conf", b"[cloud]\nendpoint = telemetry.example.net\napi_key = \"Zq8vR2mK4tLw9xNc\"\n", 0o644),
            ("./opt/gcs-bridge/bridge.conf", b"[cloud]\nendpoint = telemetry.example.net\napi_key_file = /run/secrets/bridge\n", 0o644),
        ),
        (
            "FW-010",
            ("./etc/init.d/S50telnet", b"#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/telnetd -p 23 ;;\nesac\n", 0o755),
            ("./etc/init.d/S50dropbear", b"#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/dropbear -R -s -p 22 ;;\nesac\n", 0o755),
        ),
        (
            "FW-011",
            ("./etc/inittab", b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n::shutdown:/bin/umount -a -r\n", 0o644),
            ("./etc/inittab", b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n::shutdown:/bin/umount -a -r\n", 0o644),
        ),
        (
            "FW-012",
            ("./root/.ssh/authorized_keys", PUBLIC_KEY.as_bytes(), 0o600),
            ("./root/.ssh/known_hosts", b"# no keys\n", 0o644),
        ),
    ];
    for (rule, fires, passes) in root_files {
        for (name, (path, content, mode)) in [("fires.tar", fires), ("passes.tar", passes)] {
            write(
                &fixture(rule, name),
                &with(vec![(path, content.to_vec(), mode)]),
            );
        }
    }
    // FW-013..017: one hardening measure missing from an otherwise hardened program.
    let hardened_but = |missing: &[&str], extra: &[&str], unsafe_calls: bool| {
        let flags: Vec<&str> = HARDENED
            .iter()
            .copied()
            .filter(|flag| !missing.contains(flag))
            .chain(extra.iter().copied())
            .collect();
        program(&flags, unsafe_calls)
    };
    let hardened = hardened_but(&[], &[], false);
    for rule in ["FW-013", "FW-014", "FW-015", "FW-016", "FW-017"] {
        write(&fixture(rule, "passes.elf"), &hardened);
    }
    write(
        &fixture("FW-013", "fires.elf"),
        &hardened_but(&[], &["-z", "execstack"], false),
    );
    write(
        &fixture("FW-014", "fires.elf"),
        &hardened_but(&["-fPIE", "-pie"], &["-fno-pie", "-no-pie"], false),
    );
    write(
        &fixture("FW-015", "fires.elf"),
        &hardened_but(&["-Wl,-z,relro,-z,now"], &["-Wl,-z,norelro"], false),
    );
    write(
        &fixture("FW-016", "fires.elf"),
        &hardened_but(
            &["-fstack-protector-strong"],
            &["-fno-stack-protector"],
            false,
        ),
    );
    write(
        &fixture("FW-017", "fires.elf"),
        &hardened_but(&["-D_FORTIFY_SOURCE=2"], &["-U_FORTIFY_SOURCE"], true),
    );
    // FW-018: a ground-station app (zip) with DJI's flight-record sync host built in.
    let mut library = code_bytes(23, 4096);
    library.extend_from_slice(b"https://mydjiflight.dji.com/api/v2/flight-records\0");
    library.extend(code_bytes(29, 1024));
    write(
        &fixture("FW-018", "fires.zip"),
        &zip(&[("lib/arm64-v8a/libflightsync.so", library)]),
    );
    let mut offline = code_bytes(23, 4096);
    offline.extend_from_slice(b"file:///storage/emulated/0/FlightRecords\0");
    write(
        &fixture("FW-018", "passes.zip"),
        &zip(&[("lib/arm64-v8a/libflightsync.so", offline)]),
    );
    // FW-020: a device whose profile says its autopilot runs 4.5.7, with an older image.
    let profile = "[identity]\nvendor = \"ArduPilot\"\nmodel = \"Survey Plane X8\"\nserial = \"CUBE-ORANGE-3B0047\"\n\n[[firmware]]\ncomponent = \"autopilot\"\nversion = \"4.5.7\"\n";
    for (name, version) in [("fires", "4.3.7"), ("passes", "4.5.7")] {
        write(
            &fixture("FW-020", &format!("{name}/profile.toml")),
            profile.as_bytes(),
        );
        write(
            &fixture("FW-020", &format!("{name}/update/arduplane.apj")),
            &apj("CubeOrange", 140, &plane(version, Descriptor::Signed), true),
        );
    }
    // FW-019: a gzip inside a gzip that unpacks to 4,000 times the file's size.
    write(
        &fixture("FW-019", "fires.gz"),
        &gzip(&gzip(&vec![0u8; 64 << 20])),
    );
    write(
        &fixture("FW-019", "passes.gz"),
        &gzip(SHADOW.repeat(50).as_bytes()),
    );
}

/// The sample fleet's images.
fn samples(root: &Path) -> Vec<(PathBuf, String)> {
    let mut hashes = Vec::new();
    // The survey plane's autopilot update, an unsigned ArduPlane 4.5.7 build for a CubeOrange.
    let plane = apj(
        "CubeOrange",
        140,
        &ardupilot_image("ArduPlane", "4.5.7", 140, Descriptor::Unsigned),
        false,
    );
    let path = root.join("samples/ardupilot-plane/firmware/arduplane-4.5.7-CubeOrange.apj");
    write(&path, &plane);
    hashes.push((path, hex(&Sha256::digest(&plane))));
    // The quadcopter's companion-computer update: a kernel uImage and a root filesystem left
    // with a default password, telnet, a host key, a vendor key and an unhardened program.
    let rootfs = squashfs(&[
        ("/etc/shadow", SHADOW.as_bytes().to_vec(), 0o640),
        ("/etc/passwd", PASSWD.as_bytes().to_vec(), 0o644),
        (
            "/etc/init.d/S50telnet",
            b"#!/bin/sh\n/usr/sbin/telnetd -l /bin/sh -p 2323 &\n".to_vec(),
            0o755,
        ),
        (
            "/etc/ssh/ssh_host_ed25519_key",
            OPENSSH_KEY.as_bytes().to_vec(),
            0o600,
        ),
        (
            "/root/.ssh/authorized_keys",
            PUBLIC_KEY.as_bytes().to_vec(),
            0o600,
        ),
        (
            "/usr/bin/telemetry-relay",
            program(&["-fno-stack-protector", "-no-pie"], true),
            0o755,
        ),
        ("/usr/bin/video-streamer", program(&HARDENED, false), 0o755),
    ]);
    let update = tar(&[
        (
            "uImage",
            uimage(
                "Linux-5.10.110-companion",
                &gzip(&code_bytes(31, 65536)),
                1,
                false,
            ),
            0o644,
        ),
        ("rootfs.squashfs", rootfs, 0o644),
    ]);
    let path = root.join("samples/px4-quad/companion/update/companion-update.tar");
    write(&path, &update);
    hashes.push((path, hex(&Sha256::digest(&update))));
    // The field aircraft's flight-controller module as DJI ships it: signed with DJI's key,
    // encrypted with a key id whose keys are published.
    let module = imah("wm245_0306", "PRAK", "UFIE", &code_bytes(41, 8192), false);
    let path = root.join("samples/m2e-field/firmware/wm245_0306_v01.01.0300.sig");
    write(&path, &module);
    hashes.push((path, hex(&Sha256::digest(&module))));
    hashes
}

/// A root-filesystem tar of about `megabytes` MB for the content-scan benchmark: programs,
/// libraries and text, with a few planted secrets.
fn large(path: &Path, megabytes: usize) {
    let target = megabytes * 1_000_000;
    let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let mut total = 0;
    let mut index = 0u32;
    let text = "# configuration of the telemetry relay\nlisten = 0.0.0.0:14550\nforward = 192.168.10.20:14550\nlog_level = info\n".repeat(200);
    while total < target {
        let (name, content) = match index % 4 {
            0 => (
                format!("./usr/lib/libmodule{index}.so"),
                code_bytes(index, 1 << 20),
            ),
            1 => (
                format!("./usr/share/doc/module{index}/README"),
                text.as_bytes().to_vec(),
            ),
            2 => (
                format!("./usr/bin/tool{index}"),
                code_bytes(index, 256 << 10),
            ),
            _ => (
                format!("./etc/module{index}.conf"),
                text.as_bytes()[..4096].to_vec(),
            ),
        };
        total += content.len();
        entries.push((name, content, 0o644));
        index += 1;
    }
    entries.push((
        "./etc/ssh/ssh_host_ed25519_key".to_owned(),
        OPENSSH_KEY.as_bytes().to_vec(),
        0o600,
    ));
    entries.push(("./etc/shadow".to_owned(), SHADOW.as_bytes().to_vec(), 0o640));
    let borrowed: Vec<(&str, Vec<u8>, u32)> = entries
        .into_iter()
        .map(|(name, content, mode)| (&*Box::leak(name.into_boxed_str()), content, mode))
        .collect();
    write(path, &tar(&borrowed));
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path, megabytes] = arguments.as_slice() {
        if flag == "--large" {
            large(
                Path::new(path),
                megabytes.parse().expect("MEGABYTES is a number"),
            );
            return;
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    rule_fixtures(&root.join("tests/fixtures/rules"));
    for (path, sha256) in samples(root) {
        println!(
            "{sha256}  {}",
            path.strip_prefix(root).unwrap_or(&path).display()
        );
    }
}
