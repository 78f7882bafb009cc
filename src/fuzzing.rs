//! What the fuzz targets (fuzz/) run, and what tests/fuzz_regressions.rs replays the inputs
//! they found on: a parser on arbitrary bytes, then, when it yields evidence, the policy's
//! enrichment and every rule of that kind, as a scan would. Any panic is a bug.

use crate::analyze::{self, firmware, ArtifactKind};
use crate::policy::Policy;
use crate::rules::{self, engine, RuleSet};
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| rules::load(None).expect("built-in rules"));

fn evaluate(kind: ArtifactKind, evidence: &mut analyze::Evidence) {
    Policy::default().enrich(kind, &mut evidence.document);
    for rule in RULES.rules.iter().filter(|rule| rule.kinds.contains(&kind)) {
        let _ = engine::evaluate(rule, evidence);
    }
}

/// One analyzer: identification and analysis.
pub fn analyze(kind: ArtifactKind, data: &[u8]) {
    let analyzer = analyze::analyzer_for(kind);
    let _ = analyzer.identify(data);
    if let Ok(mut evidence) = analyzer.analyze(data) {
        evaluate(kind, &mut evidence);
    }
}

/// The firmware walker, with unpacking limits small enough for libFuzzer's memory limit.
pub fn firmware(data: &[u8]) {
    let limits = analyze::UnpackLimits {
        max_unpacked: 64 << 20,
        ratio_floor: 4 << 20,
        ..analyze::UnpackLimits::default()
    };
    if let Ok(mut evidence) = firmware::analyze_with(data, limits) {
        evaluate(ArtifactKind::Firmware, &mut evidence);
    }
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
