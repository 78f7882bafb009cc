//! What the fuzz targets (fuzz/) run, and what tests/fuzz_regressions.rs replays the inputs
//! they found on: a parser on arbitrary bytes, then, when it yields evidence, the policy's
//! enrichment and every rule of that kind, as a scan would. Any panic is a bug.

use crate::analyze::{self, ArtifactKind, UnpackLimits};
use crate::discover::DeviceInfo;
use crate::policy::Policy;
use crate::rules::{self, RuleSet};
use crate::scan::{analyze_as, DeviceScanner, Limits, ScannedArtifact};
use std::path::Path;
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| rules::load(None).expect("built-in rules"));
static POLICY: LazyLock<Policy> = LazyLock::new(Policy::default);

/// The analysis stage the scan runs, for the analyzer of `kind` (identification is tried too,
/// but does not choose), then the device stages: the device-wide evidence, every rule, the
/// score and the findings, as a scan of a device of that one artifact would.
fn run_pipeline(kind: ArtifactKind, data: &[u8], limits: Limits) {
    let analyzer = analyze::analyzer_for(kind);
    let _ = analyzer.identify(data);
    let result = analyze_as(analyzer, data, &POLICY, limits);
    let artifact = ScannedArtifact::from_analysis(Path::new("fuzz-input"), result);
    let scanner = DeviceScanner::new(&RULES, &POLICY, limits);
    let device = DeviceInfo {
        id: "fuzz".to_owned(),
        ..DeviceInfo::default()
    };
    let _ = scanner.evaluate(&device, vec![artifact]);
}

/// One analyzer: identification and analysis, then the rules.
pub fn analyze(kind: ArtifactKind, data: &[u8]) {
    run_pipeline(kind, data, Limits::default());
}

/// The firmware walker, with unpacking limits small enough for libFuzzer's memory limit.
pub fn firmware(data: &[u8]) {
    let limits = Limits {
        unpack: UnpackLimits {
            max_unpacked: 64 << 20,
            ratio_floor: 4 << 20,
            ..UnpackLimits::default()
        },
        ..Limits::default()
    };
    run_pipeline(ArtifactKind::Firmware, data, limits);
}

/// The link types the capture decoders know, chosen by the first byte.
const LINK_TYPES: [u32; 8] = [1, 101, 113, 276, 127, 0, 228, 229];

/// `data` as the packets of a little-endian pcap: the first byte picks the link type, and
/// `\n--\n` separates packets.
pub fn packets(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let mut capture = Vec::with_capacity(data.len() + 64);
    capture.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    capture.extend_from_slice(&2u16.to_le_bytes());
    capture.extend_from_slice(&4u16.to_le_bytes());
    capture.extend_from_slice(&[0; 8]);
    capture.extend_from_slice(&65_535u32.to_le_bytes());
    capture.extend_from_slice(&LINK_TYPES[usize::from(choice) % LINK_TYPES.len()].to_le_bytes());
    let separator = memchr::memmem::Finder::new(b"\n--\n");
    let mut start = 0;
    let mut records = Vec::new();
    for position in separator.find_iter(rest) {
        records.push(&rest[start..position]);
        start = position + separator.needle().len();
    }
    records.push(&rest[start..]);
    for (index, record) in records.iter().enumerate() {
        capture.extend_from_slice(&(index as u32).to_le_bytes());
        capture.extend_from_slice(&0u32.to_le_bytes());
        capture.extend_from_slice(&(record.len() as u32).to_le_bytes());
        capture.extend_from_slice(&(record.len() as u32).to_le_bytes());
        capture.extend_from_slice(record);
    }
    analyze(ArtifactKind::Capture, &capture);
}

/// A rule file.
pub fn rules(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut errors = Vec::new();
        let _ = rules::parse_rule_file("fuzz.toml", text, &mut errors);
    }
}

/// A policy file.
pub fn policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::parse(text, &RULES);
    }
}

/// Runs the fuzz target named `target` (a file name in fuzz/fuzz_targets/) on `data`; false
/// for a name that is no target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "capture_packets" => packets(data),
        "rules" => rules(data),
        "policy" => policy(data),
        name if name.starts_with("firmware_") => firmware(data),
        name => match name.replace('_', "-").parse::<ArtifactKind>() {
            Ok(kind) => analyze(kind, data),
            Err(_) => return false,
        },
    }
    true
}
