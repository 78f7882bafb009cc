//! Firmware images end to end: the real ArduPilot package of the corpus shows its board,
//! version and signing state; programs compiled here with and without hardening get the same
//! verdicts as Debian's hardening-check; a SquashFS root filesystem made here with mksquashfs,
//! inside a tar, gives its findings with their container chain; damaged, nested and bomb
//! archives end with a clear error or a partial result, quickly.

mod common;

use common::{
    artifact, assert_status, corpus, drone_audit, inspect, oracle, rules_fired, scan_json,
    scan_json_with,
};

use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

/// A gzip stream recording the name of what it holds, as `gzip FILE` writes it.
fn gzip_named(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::GzBuilder::new()
        .filename(name)
        .write(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, *content)
            .expect("tar entry");
    }
    builder.into_inner().expect("tar")
}

#[test]
fn the_corpus_apj_shows_board_version_and_signing_state() {
    let Some(package) = corpus("apfw/AP3_0.1.5_copter.apj") else {
        return;
    };
    let (inspected, code) = inspect(&package);
    assert_eq!(code, 0, "{inspected}");
    assert_eq!(inspected["kind"], "firmware");
    let image = &inspected["evidence"]["images"][0];
    // SOURCES.md: board_id 150, summary AP3, git_identity 8e9671f6, image_size 1565084 equal to
    // the decompressed length, "ArduCopter V4.3.7 (8e9671f6)" inside, no signed_firmware key,
    // neither app-descriptor magic present.
    assert_eq!(image["board_id"], 150);
    assert_eq!(image["model"], "AP3");
    assert_eq!(image["git_identity"], "8e9671f6");
    assert_eq!(image["image_size"], 1_565_084);
    assert_eq!(image["image_size_matches"], true);
    assert_eq!(image["vehicle"], "ArduCopter");
    assert_eq!(image["version"], "4.3.7");
    assert_eq!(image["signed_flag"], false);
    assert_eq!(image["descriptor"]["present"], false);
    assert_eq!(image["signed"], false);
    assert_eq!(
        image["sha256"],
        "7ef67087f710dc66867b9151051d97a038878a1818d93f1c31d45ab01a2ffba2"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("copter")).expect("mkdir");
    fs::copy(&package, dir.path().join("copter/AP3_0.1.5_copter.apj")).expect("copy");
    let (report, _) = scan_json(dir.path());
    let fired = rules_fired(
        &report,
        &format!("{}/copter/AP3_0.1.5_copter.apj", dir.path().display()),
    );
    assert!(fired.contains(&"FW-003".to_owned()), "{fired:?}");
}

/// A small C program compiled with `flags`.
fn compile(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let source = dir.join(format!("{name}.c"));
    fs::write(
        &source,
        "#include <stdio.h>\n#include <string.h>\nint main(int argc, char **argv) {\n  char buffer[32];\n  if (argc < 2) return 1;\n  strcpy(buffer, argv[1]);\n  printf(\"%s\\n\", buffer);\n  return 0;\n}\n",
    )
    .expect("write source");
    let output = dir.join(name);
    let status = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&output)
        .arg(&source)
        .args(flags)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc {flags:?}");
    output
}

/// hardening-check's verdict on one line (`yes` or not) for `label`.
fn hardening_check_says(report: &str, label: &str) -> bool {
    report
        .lines()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("hardening-check prints {label}: {report}"))
        .split_once(':')
        .is_some_and(|(_, verdict)| verdict.trim().starts_with("yes"))
}

#[test]
fn elf_verdicts_agree_with_hardening_check() {
    if !oracle("gcc", "apt-get install gcc")
        || !oracle("hardening-check", "apt-get install devscripts")
        || !oracle("readelf", "apt-get install binutils")
    {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let builds: [(&str, &[&str]); 4] = [
        (
            "hardened",
            &[
                "-fPIE",
                "-pie",
                "-fstack-protector-strong",
                "-D_FORTIFY_SOURCE=2",
                "-Wl,-z,relro,-z,now",
            ],
        ),
        (
            "bare",
            &[
                "-fno-pie",
                "-no-pie",
                "-fno-stack-protector",
                "-U_FORTIFY_SOURCE",
                "-Wl,-z,norelro",
            ],
        ),
        ("partial-relro", &["-fno-stack-protector", "-Wl,-z,relro"]),
        ("execstack", &["-fstack-protector-all", "-z", "execstack"]),
    ];
    for (name, flags) in builds {
        let program = compile(dir.path(), name, flags);
        let oracle = Command::new("hardening-check")
            .arg(&program)
            .output()
            .expect("hardening-check runs");
        let said = String::from_utf8_lossy(&oracle.stdout).into_owned();
        let (inspected, code) = inspect(&program);
        assert_eq!(code, 0, "{inspected}");
        let elf = &inspected["evidence"]["elf"][0];
        let checks = [
            ("Position Independent Executable", elf["pie"] == true),
            ("Stack protected", elf["canary"] == true),
            ("Fortify Source functions", elf["fortify"] == "yes"),
            ("Read-only relocations", elf["relro"] != "none"),
            ("Immediate binding", elf["bind_now"] == true),
        ];
        for (label, ours) in checks {
            assert_eq!(
                ours,
                hardening_check_says(&said, label),
                "{name}: {label} differs from hardening-check\n{said}\n{elf}"
            );
        }
        // hardening-check has no NX line; readelf's GNU_STACK flags say it.
        let readelf = Command::new("readelf")
            .args(["-lW"])
            .arg(&program)
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default();
        if let Some(stack) = readelf.lines().find(|line| line.contains("GNU_STACK")) {
            assert_eq!(
                elf["nx"] == true,
                !stack.contains("RWE"),
                "{name}: NX\n{stack}"
            );
        }
    }
}

/// A root filesystem with an empty root password, a private host key, telnetd started at boot,
/// made into a SquashFS by mksquashfs; None without mksquashfs (the test skips, saying so, or
/// fails under CI).
fn planted_rootfs() -> Option<Vec<u8>> {
    if !oracle("mksquashfs", "apt-get install squashfs-tools") {
        return None;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path();
    let root = dir.join("rootfs");
    let files: [(&str, &str); 4] = [
        ("etc/shadow", "root::19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n"),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"),
        (
            "etc/ssh/ssh_host_rsa_key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtestkeyonlyfordroneaudit\n-----END RSA PRIVATE KEY-----\n",
        ),
        ("etc/init.d/S40network", "#!/bin/sh\nifup -a\ntelnetd -p 23\n"),
    ];
    for (path, content) in files {
        let file = root.join(path);
        fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        fs::write(file, content).expect("write");
    }
    let image = dir.join("rootfs.squashfs");
    let status = Command::new("mksquashfs")
        .arg(&root)
        .arg(&image)
        .args([
            "-comp",
            "xz",
            "-noappend",
            "-all-root",
            "-quiet",
            "-no-progress",
        ])
        .status()
        .expect("mksquashfs runs");
    assert!(status.success());
    Some(fs::read(image).expect("read the filesystem"))
}

#[test]
fn a_nested_root_filesystem_gives_findings_with_their_container_chain() {
    let Some(rootfs) = planted_rootfs() else {
        return;
    };
    let fleet = tempfile::tempdir().expect("tempdir");
    let image = fleet.path().join("companion/image.tar.gz");
    fs::create_dir_all(image.parent().expect("parent")).expect("mkdir");
    fs::write(
        &image,
        gzip_named("image.tar", &tar(&[("rootfs.squashfs", &rootfs)])),
    )
    .expect("write");

    let (report, code) = scan_json(fleet.path());
    assert_eq!(code, 1, "critical findings fail the scan");
    assert_eq!(artifact(&report, "image.tar.gz")["status"], "assessed");
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect();
    let find = |rule: &str| {
        findings
            .iter()
            .find(|finding| finding["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} fires: {findings:?}"))
    };
    let empty_root = find("ACCT-001");
    assert_eq!(
        empty_root["location"]["container"],
        "image.tar > rootfs.squashfs > /etc/shadow"
    );
    assert_eq!(empty_root["location"]["line"], 1);
    assert_eq!(empty_root["location"]["offset"], 0);
    let key = find("FW-008");
    assert_eq!(
        key["location"]["container"],
        "image.tar > rootfs.squashfs > /etc/ssh/ssh_host_rsa_key"
    );
    assert_eq!(key["location"]["offset"], 0);
    let telnet = find("FW-010");
    assert_eq!(telnet["location"]["line"], 3);
    assert_eq!(telnet["location"]["offset"], 18);

    // The reports name the chain; inspect shows the tree.
    drone_audit()
        .arg("scan")
        .arg(fleet.path())
        .args(["--format", "markdown"])
        .assert()
        .stdout(predicates::str::contains(
            "image.tar.gz > image.tar > rootfs.squashfs > /etc/shadow",
        ));
    let (inspected, _) = inspect(&image);
    let tree: Vec<&str> = inspected["evidence"]["tree"]
        .as_array()
        .expect("tree")
        .iter()
        .map(|node| node["container"].as_str().expect("container"))
        .collect();
    assert_eq!(
        tree,
        [
            "image.tar",
            "image.tar > rootfs.squashfs",
            "image.tar > rootfs.squashfs > /etc/init.d/S40network",
            "image.tar > rootfs.squashfs > /etc/passwd",
            "image.tar > rootfs.squashfs > /etc/shadow",
            "image.tar > rootfs.squashfs > /etc/ssh/ssh_host_rsa_key",
        ]
    );
}

/// Scans one file in a folder of its own and returns its artifact record and the report.
fn scan_one(name: &str, bytes: &[u8]) -> (Value, Value, i32) {
    let fleet = tempfile::tempdir().expect("tempdir");
    let path = fleet.path().join("device").join(name);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, bytes).expect("write");
    let (report, code) = scan_json(fleet.path());
    (artifact(&report, name).clone(), report, code)
}

#[test]
fn damaged_archives_are_partial_with_the_reason() {
    let good_tar = tar(&[
        ("etc/hostname", b"companion\n"),
        ("etc/motd", &[b'x'; 4000]),
    ]);
    // A tar cut in the middle of its second member.
    let (record, _, code) = scan_one("cut.tar", &good_tar[..good_tar.len() / 2 + 700]);
    assert_status(&record, "partial", "etc/motd");
    assert_eq!(code, 3);
    // A gzip whose deflate stream is corrupted.
    let mut corrupt = gzip(&good_tar);
    let middle = corrupt.len() / 2;
    corrupt[middle..middle + 16].fill(0xff);
    let (record, _, _) = scan_one("corrupt.tar.gz", &corrupt);
    assert_status(&record, "partial", "corrupt deflate stream");
    // A zip whose central directory is gone.
    let (record, _, _) = scan_one("broken.zip", b"PK\x03\x04 this is not really a zip archive");
    assert_eq!(record["status"], "partial", "{record}");
    // A SquashFS cut short, and random bytes behind its magic.
    if let Some(rootfs) = planted_rootfs() {
        // mksquashfs pads to 4 KiB: cut inside the bytes the superblock says are used.
        let used = u64::from_le_bytes(rootfs[40..48].try_into().expect("8 bytes")) as usize;
        let (record, _, _) = scan_one("cut.squashfs", &rootfs[..used * 2 / 3]);
        assert_status(&record, "partial", "cut short");
        let mut noisy = rootfs.clone();
        for (index, byte) in noisy.iter_mut().enumerate().skip(96) {
            *byte = (index.wrapping_mul(2_654_435_761) >> 7) as u8;
        }
        let (record, _, _) = scan_one("noisy.squashfs", &noisy);
        assert_eq!(record["status"], "partial", "{record}");
    }
    // An uImage whose header CRC is wrong, and an ELF header with nothing behind it.
    let mut uimage = vec![0x27, 0x05, 0x19, 0x56];
    uimage.resize(64, 0);
    let (record, _, _) = scan_one("kernel.img", &uimage);
    assert_status(&record, "partial", "header CRC");
}

#[test]
fn bombs_and_deep_nesting_end_with_a_finding_quickly() {
    // 256 MiB of zeros, gzipped twice: under 1 KB on disk.
    let zeros = vec![0u8; 256 << 20];
    let bomb = gzip(&gzip(&zeros));
    drop(zeros);
    let started = std::time::Instant::now();
    let (record, report, code) = scan_one("update.gz", &bomb);
    assert!(started.elapsed().as_secs() < 60);
    assert_eq!(record["status"], "partial", "{record}");
    assert_eq!(code, 1, "the bomb is a high finding");
    let bomb_finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["rule"] == "FW-019")
        .expect("FW-019 fires");
    assert!(bomb_finding["message"]
        .as_str()
        .expect("message")
        .contains("decompression bomb"));

    // A file gzipped 20 times: the walker stops at its depth limit.
    let mut nested = b"root::0:0:99999:7:::\n".to_vec();
    for _ in 0..20 {
        nested = gzip(&nested);
    }
    let (record, report, _) = scan_one("nested.gz", &nested);
    assert_status(&record, "partial", "containers deep");
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|finding| finding["rule"] == "FW-019"));
}

#[test]
fn unpacking_limits_are_configurable() {
    let mut nested = tar(&[("etc/shadow", b"root::0:0:99999:7:::\n")]);
    for _ in 0..3 {
        nested = gzip(&nested);
    }
    let fleet = tempfile::tempdir().expect("tempdir");
    let path = fleet.path().join("device/nested.gz");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(&path, &nested).expect("write");
    let (report, _) = scan_json_with(fleet.path(), &["--max-archive-depth", "2"]);
    assert_status(
        artifact(&report, "nested.gz"),
        "partial",
        "more than 2 containers deep",
    );
    // The default depth unpacks all three.
    let (report, _) = scan_json(fleet.path());
    assert_eq!(artifact(&report, "nested.gz")["status"], "assessed");
}

#[test]
fn a_root_filesystem_inside_a_raw_flash_dump_is_found() {
    let Some(rootfs) = planted_rootfs() else {
        return;
    };
    // A bootloader and kernel area, the filesystem at 64 KiB, erased flash after it.
    let mut dump: Vec<u8> = (0..65_536u32)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    dump.extend_from_slice(&rootfs);
    dump.extend(std::iter::repeat_n(0xff, 8192));
    let (record, report, _) = scan_one("flash-dump.bin", &dump);
    assert_eq!(record["kind"], "firmware", "{record}");
    assert_eq!(record["status"], "assessed", "{record}");
    let empty_root = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["rule"] == "ACCT-001")
        .expect("ACCT-001 fires");
    assert_eq!(
        empty_root["location"]["container"],
        "squashfs@0x10000 > /etc/shadow"
    );
}

/// backhand's compressor, except that nothing ever gets smaller: the image it writes stores its
/// metadata uncompressed, so a test can patch the directory table in place.
struct StoredOnly;

impl backhand::compression::CompressionAction for StoredOnly {
    fn decompress(
        &self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        compressor: backhand::compression::Compressor,
    ) -> Result<(), backhand::BackhandError> {
        backhand::compression::DefaultCompressor.decompress(bytes, out, compressor)
    }

    fn compress(
        &self,
        bytes: &[u8],
        _compressor: backhand::FilesystemCompressor,
        _block_size: u32,
    ) -> Result<Vec<u8>, backhand::BackhandError> {
        // Longer than the input, so the writer keeps the input.
        let mut longer = bytes.to_vec();
        longer.push(0);
        Ok(longer)
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

static STORED_ONLY: StoredOnly = StoredOnly;

/// A SquashFS (written by backhand, metadata stored) holding `/etc/shadow` and the directories
/// `dirs`, in order.
fn stored_squashfs(dirs: &[String]) -> Vec<u8> {
    let mut writer = backhand::FilesystemWriter::default();
    writer.set_kind(backhand::kind::Kind::new(&STORED_ONLY));
    writer.set_time(1_700_000_000);
    let header = backhand::NodeHeader::new(0o755, 0, 0, 1_700_000_000);
    writer.push_dir("etc", header).expect("mkdir");
    writer
        .push_file(
            std::io::Cursor::new(b"root::19800:0:99999:7:::\n".to_vec()),
            "etc/shadow",
            header,
        )
        .expect("file");
    for dir in dirs {
        writer.push_dir(dir.as_str(), header).expect("mkdir");
    }
    let mut image = std::io::Cursor::new(Vec::new());
    writer.write(&mut image).expect("write the filesystem");
    image.into_inner()
}

#[test]
fn a_squashfs_directory_cycle_is_partial_not_a_crash() {
    // /etc/cycle-to-root is a directory entry whose inode is the root's: a walk that follows
    // it recurses for ever (it overflowed the stack and killed the scan with SIGABRT).
    let mut image = stored_squashfs(&["etc/cycle-to-root".to_owned()]);
    let root = {
        let squashfs = backhand::Squashfs::from_reader(std::io::Cursor::new(image.clone()))
            .expect("backhand reads the image it wrote");
        squashfs.root_inode.header.inode_number
    };
    // The entry: offset u16, inode_offset i16, type u16 (1, a directory), name_size u16, name;
    // the listing's header (count, start block, base inode number) comes just before it.
    let name = b"cycle-to-root";
    let mut pattern = vec![1, 0, (name.len() - 1) as u8, 0];
    pattern.extend_from_slice(name);
    let at = image
        .windows(pattern.len())
        .position(|window| window == pattern.as_slice())
        .expect("the directory entry is stored uncompressed");
    let base = u32::from_le_bytes(image[at - 8..at - 4].try_into().expect("4 bytes"));
    let relative = i16::try_from(i64::from(root) - i64::from(base)).expect("close inode numbers");
    image[at - 2..at].copy_from_slice(&relative.to_le_bytes());

    let started = std::time::Instant::now();
    let (record, report, code) = scan_one("rootfs.squashfs", &image);
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(code, 3, "{report}");
    assert_status(&record, "partial", "directory cycle");
    // The same filesystem inside a tar: the tar's other members are still examined.
    let packed = tar(&[
        ("rootfs.squashfs", &image),
        ("etc/shadow", b"root::19800:0:99999:7:::\n"),
    ]);
    let (record, report, _) = scan_one("image.tar", &packed);
    assert_status(&record, "partial", "directory cycle");
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|finding| finding["rule"] == "ACCT-001"));
}

#[test]
fn squashfs_directories_nest_within_a_bound() {
    let chain = |depth: usize| -> Vec<String> {
        (1..=depth)
            .map(|level| vec!["d"; level].join("/"))
            .collect()
    };
    // 200 levels are read (and do not strain the scan thread's stack).
    let (record, _, _) = scan_one("deep.squashfs", &stored_squashfs(&chain(200)));
    assert_eq!(record["status"], "assessed", "{record}");
    // 300 are more than the bound.
    let (record, _, _) = scan_one("deeper.squashfs", &stored_squashfs(&chain(300)));
    assert_status(&record, "partial", "nest more than 256 deep");
}

/// A zip of stored entries written by hand, as the zip crate refuses to: `entries` are
/// `(central name, index of the local entry its data is)`, over local entries `locals`.
fn handmade_zip(locals: &[(&str, &[u8])], entries: &[(&str, usize)]) -> Vec<u8> {
    let mut zip = Vec::new();
    let mut offsets = Vec::new();
    for (name, data) in locals {
        offsets.push(zip.len() as u32);
        zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        zip.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes());
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(data);
    }
    let directory = zip.len() as u32;
    for (name, local) in entries {
        let data = locals[*local].1;
        zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        zip.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        zip.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&[0; 12]);
        zip.extend_from_slice(&offsets[*local].to_le_bytes());
        zip.extend_from_slice(name.as_bytes());
    }
    let size = zip.len() as u32 - directory;
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0; 4]);
    zip.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zip.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&directory.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

fn findings_of<'report>(report: &'report Value, rule: &str) -> Vec<&'report Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["rule"] == rule)
        .collect()
}

#[test]
fn every_zip_entry_is_examined_even_under_a_repeated_name() {
    // Two etc/shadow entries: the first has an empty root password, the second is clean. The
    // zip crate keys entries by name, so only the last one was examined.
    let empty = b"root::19800:0:99999:7:::\n";
    let locked = b"root:*:19800:0:99999:7:::\n";
    let zip = handmade_zip(
        &[("etc/shadow", empty), ("etc/shadow", locked)],
        &[("etc/shadow", 0), ("etc/shadow", 1)],
    );
    let (record, report, _) = scan_one("rootfs.zip", &zip);
    assert_eq!(record["status"], "assessed", "{record}");
    let empty_root = findings_of(&report, "ACCT-001");
    assert_eq!(empty_root.len(), 1, "{report}");
    assert_eq!(empty_root[0]["location"]["container"], "etc/shadow");
}

#[test]
fn an_overlapping_zip_is_one_finding_for_the_archive() {
    // 2,000 entries whose data is the same bytes (a Fifield-style overlapping zip): each used
    // to be unpacked and examined on its own, with a finding each.
    let key = b"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtestkeyonlyfordroneaudit\n-----END RSA PRIVATE KEY-----\n";
    let names: Vec<String> = (0..2000).map(|index| format!("keys/{index}.pem")).collect();
    let entries: Vec<(&str, usize)> = names.iter().map(|name| (name.as_str(), 0)).collect();
    let zip = handmade_zip(&[("keys/0.pem", key)], &entries);
    let (record, report, code) = scan_one("bomb.zip", &zip);
    assert_status(&record, "partial", "share compressed data");
    assert_eq!(code, 1, "the bomb is a high finding");
    let bombs = findings_of(&report, "FW-019");
    assert_eq!(bombs.len(), 1, "{bombs:?}");
    assert!(bombs[0]["message"]
        .as_str()
        .expect("message")
        .contains("2000 of its 2000 entries"));
    assert!(findings_of(&report, "FW-008").is_empty());
}

/// The peak resident memory of `drone-audit scan FOLDER --format json ARGS`, in KiB, as
/// /usr/bin/time measures it; None (skipped, saying so) without it.
fn peak_memory_kib(folder: &Path, arguments: &[&str]) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("skipped: /usr/bin/time is not installed");
        return None;
    }
    let output = Command::new("/usr/bin/time")
        .args(["-f", "peak %M"])
        .arg(assert_cmd::cargo::cargo_bin("drone-audit"))
        .arg("scan")
        .arg(folder)
        .args(["--format", "json", "--fail-on", "none"])
        .args(arguments)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak = stderr
        .lines()
        .find_map(|line| line.strip_prefix("peak "))
        .and_then(|kib| kib.trim().parse().ok())
        .unwrap_or_else(|| panic!("time reports the peak: {stderr}"));
    Some(peak)
}

#[test]
fn a_gzip_bomb_is_measured_not_held_in_memory() {
    // 192 MiB of zeros in a 190 KB gzip, under a 128 MiB unpacking cap: the whole cap used to
    // be read into a buffer grown by doubling (256 MiB); now the stream is counted, not kept.
    let fleet = tempfile::tempdir().expect("tempdir");
    let path = fleet.path().join("device/update.gz");
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let mut encoder = flate2::write::GzEncoder::new(
        fs::File::create(&path).expect("create"),
        flate2::Compression::fast(),
    );
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..192 {
        encoder.write_all(&zeros).expect("compress");
    }
    encoder.finish().expect("compress");
    let cap = ["--max-unpacked-size", "134217728"];
    let Some(peak) = peak_memory_kib(fleet.path(), &cap) else {
        return;
    };
    assert!(peak < 100 << 10, "peak {peak} KiB");
    let (report, _) = scan_json_with(fleet.path(), &cap);
    assert_status(
        artifact(&report, "update.gz"),
        "partial",
        "exceed 134217728 bytes",
    );
}

/// A GNU sparse member (type `S`) of one data segment, as GNU tar writes a file with no holes
/// in its map (the tar crate cannot write one).
fn gnu_sparse_tar(path: &str, content: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_path(path).expect("path");
    header.set_mode(0o600);
    header.set_size(content.len() as u64);
    let gnu = header.as_gnu_mut().expect("a GNU header");
    gnu.set_real_size(content.len() as u64);
    gnu.sparse[0].set_offset(0);
    gnu.sparse[0].set_length(content.len() as u64);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, content).expect("tar entry");
    builder.into_inner().expect("tar")
}

/// A PAX sparse member in GNU tar's format 1.0 (`tar --sparse --format=posix`): stored as
/// `GNUSparseFile.0/NAME`, the real name and size in its extended header, the map (one
/// segment, then a hole) in decimal lines at the start of its data.
fn pax_sparse_tar(path: &str, content: &[u8], hole: usize) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let real_size = (content.len() + hole).to_string();
    builder
        .append_pax_extensions([
            ("GNU.sparse.major", b"1".as_slice()),
            ("GNU.sparse.minor", b"0".as_slice()),
            ("GNU.sparse.name", path.as_bytes()),
            ("GNU.sparse.realsize", real_size.as_bytes()),
        ])
        .expect("pax header");
    let mut data = format!("1\n0\n{}\n", content.len()).into_bytes();
    data.resize(512, 0);
    data.extend_from_slice(content);
    let mut header = tar::Header::new_ustar();
    header.set_path("GNUSparseFile.0/shadow").expect("path");
    header.set_mode(0o600);
    header.set_size(data.len() as u64);
    header.set_cksum();
    builder.append(&header, data.as_slice()).expect("tar entry");
    builder.into_inner().expect("tar")
}

#[test]
fn sparse_tar_members_are_examined_under_their_real_names() {
    let shadow = b"root::19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n";
    // GNU sparse members were skipped; PAX ones examined as `GNUSparseFile.0/shadow`.
    for (name, archive) in [
        ("gnu-sparse.tar", gnu_sparse_tar("etc/shadow", shadow)),
        ("pax-sparse.tar", pax_sparse_tar("etc/shadow", shadow, 0)),
    ] {
        let (record, report, _) = scan_one(name, &archive);
        assert_eq!(record["status"], "assessed", "{name}: {record}");
        let empty_root = findings_of(&report, "ACCT-001");
        assert_eq!(empty_root.len(), 1, "{name}: {report}");
        assert_eq!(
            empty_root[0]["location"]["container"], "etc/shadow",
            "{name}"
        );
    }
    // A sparse file is as big as its holes: 64 GiB of hole is an unpacking limit, not memory.
    let (record, _, _) = scan_one("hole.tar", &pax_sparse_tar("var/log/huge", b"x", 64 << 30));
    assert_status(&record, "partial", "unpack");
}

/// A `.px4`/`.apj` package (JSON, the image zlib-compressed and base64-encoded) with `fields`.
fn autopilot_package(magic: &str, fields: &[(&str, &str)], image: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(image).expect("compress");
    let packed = encoder.finish().expect("compress");
    let mut package = serde_json::json!({
        "magic": magic,
        "board_id": 9,
        "summary": "PX4FMU_V2",
        "image_size": image.len(),
        "image": base64::engine::general_purpose::STANDARD.encode(packed),
    });
    for (key, value) in fields {
        package[*key] = Value::from(*value);
    }
    serde_json::to_vec_pretty(&package).expect("json")
}

#[test]
fn firmware_identity_is_read_from_the_package_not_guessed() {
    // ArduPilot built .px4 files: the PX4 submodule's git_identity is not the firmware's.
    let copter = autopilot_package(
        "PX4FWv1",
        &[
            ("git_identity", "v1.8.2-113-g4a8d3f1"),
            ("ardupilot_git_hash", "a1b2c3d4"),
        ],
        b"\0\0APM:Copter V3.3.3 (a1b2c3d4)\0\0",
    );
    let (record, report, _) = scan_one("ArduCopter-v2.px4", &copter);
    assert_eq!(record["status"], "assessed", "{record}");
    let (inspected, _) = {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ArduCopter-v2.px4");
        fs::write(&path, &copter).expect("write");
        inspect(&path)
    };
    let image = &inspected["evidence"]["images"][0];
    assert_eq!(image["vendor"], "ArduPilot", "{image}");
    assert_eq!(image["vehicle"], "ArduCopter");
    assert_eq!(image["version"], "3.3.3");
    drop(report);

    // PX4 wrote git_identity as a Python bytes literal for a while.
    let px4 = autopilot_package(
        "PX4FWv1",
        &[("git_identity", "b'v1.6.5-9-g1a2b3c4'")],
        b"nuttx",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("px4fmu-v2_default.px4");
    fs::write(&path, &px4).expect("write");
    let (inspected, _) = inspect(&path);
    assert_eq!(inspected["evidence"]["images"][0]["version"], "1.6.5");

    // A version that cannot be read leaves the minimum-version rule not assessed.
    let unknown = autopilot_package("PX4FWv1", &[("git_identity", "4a8d3f1")], b"nuttx");
    let fleet = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(fleet.path().join("drone")).expect("mkdir");
    fs::write(fleet.path().join("drone/fw.px4"), &unknown).expect("write");
    let policy = fleet.path().join("policy.toml");
    fs::write(
        &policy,
        "[[firmware]]\nvendor = \"PX4\"\nmodel = \"PX4FMU_V2\"\ncomponent = \"autopilot\"\nminimum = \"1.14.0\"\n",
    )
    .expect("write");
    let policy_arguments = ["--policy", policy.to_str().expect("utf-8")];
    let (report, _) = scan_json_with(fleet.path(), &policy_arguments);
    assert!(findings_of(&report, "FW-002").is_empty(), "{report}");
    let updates = report["devices"][0]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|control| control["control"] == "updates")
        .expect("updates")
        .clone();
    assert!(
        updates["not_assessed"]
            .as_array()
            .expect("not assessed")
            .iter()
            .any(|group| group["rules"].get("FW-002").is_some()),
        "{updates}"
    );
    // The same policy judges a version it can read.
    fs::write(fleet.path().join("drone/fw.px4"), &px4).expect("write");
    let (report, _) = scan_json_with(fleet.path(), &policy_arguments);
    assert_eq!(findings_of(&report, "FW-002").len(), 1, "{report}");
}

#[test]
fn an_archive_is_firmware_only_when_what_it_holds_says_so() {
    // A zip of CAD drawings, a tarball of a desktop tool (whose strings name a vendor cloud)
    // and a zipped capture were all read as firmware and passed its rules.
    let drawings = zip_of(&[
        ("frame/arm.dxf", b"0\nSECTION\n2\nENTITIES\n0\nLINE\n"),
        ("frame/plate.step", b"ISO-10303-21;\nHEADER;\n"),
    ]);
    let tool = gzip(&tar(&[
        (
            "gcs-tool-2.4/bin/gcs-tool",
            b"\x7fELF...https://api.dji.com/upload...",
        ),
        ("gcs-tool-2.4/README.md", b"A desktop ground station.\n"),
    ]));
    let mut capture = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    capture.extend_from_slice(&[0; 8]);
    capture.extend_from_slice(&65535u32.to_le_bytes());
    capture.extend_from_slice(&1u32.to_le_bytes());
    let zipped_capture = zip_of(&[("flight.pcap", &capture)]);
    for (name, archive) in [
        ("drawings.zip", drawings),
        ("gcs-tool-2.4.tar.gz", tool),
        ("capture.zip", zipped_capture),
    ] {
        let (record, report, code) = scan_one(name, &archive);
        // Skipped with the reason, no kind: no firmware rule is assessed on it. Alone on its
        // device, it leaves the device with nothing assessed, so the scan is incomplete.
        assert_status(&record, "skipped", "not firmware");
        assert!(record.get("kind").is_none_or(Value::is_null), "{record}");
        assert_eq!(code, 3, "{name}");
        assert!(
            report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .all(|finding| !finding["rule"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("FW-")),
            "{name}: {report}"
        );
    }
    // A root filesystem's files, an image format or an update manifest make it firmware.
    for (name, archive) in [
        (
            "rootfs.tar.gz",
            gzip(&tar(&[("etc/os-release", b"ID=companion\n")])),
        ),
        (
            "update.zip",
            zip_of(&[("sw-description", b"software = {};\n")]),
        ),
    ] {
        let (record, _, _) = scan_one(name, &archive);
        assert_eq!(record["status"], "assessed", "{name}: {record}");
    }
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        writer.write_all(content).expect("zip entry");
    }
    writer.finish().expect("zip").into_inner()
}
