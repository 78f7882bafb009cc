//! What the fuzz targets (fuzz/) run, and what tests/fuzz_regressions.rs replays the inputs
//! they found on: a parser on arbitrary bytes, then, when it yields evidence, the policy's
//! enrichment and every rule of that kind, as a scan would. The files a scan reads besides
//! artifacts have targets too: rule and policy files, the `fleet.toml` inventory, baselines and
//! the parts `merge` joins. Any panic is a bug.

use crate::analyze::accounts::shadow;
use crate::analyze::parameters::ParameterScope;
use crate::analyze::{self, AnalyzeError, ArtifactKind, Evidence, UnpackLimits};
use crate::baseline::Baseline;
use crate::discover::{self, DeviceInfo, INVENTORY_FILE_NAME};
use crate::merge::{Merge, MergeError, PartSource};
use crate::policy::Policy;
use crate::report::{self, Renderer};
use crate::rules::{self, RuleSet};
use crate::scan::{analyze_as, DeviceScanner, Limits, ScannedArtifact};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| rules::load(None).expect("built-in rules"));
static POLICY: LazyLock<Policy> = LazyLock::new(Policy::default);
/// The parameters the built-in rules read, as a scan makes parameter evidence.
static PARAMETERS_READ: LazyLock<ParameterScope> =
    LazyLock::new(|| rules::reads::parameter_scope(&RULES.rules));

/// The analysis stage the scan runs, for the analyzer of `kind` (identification is tried too,
/// but does not choose), then the device stages ([`evaluate`]). An input of even length has
/// the parameters the rules read in its evidence, as in a scan; one of odd length has them all,
/// as `inspect` shows them.
fn run_pipeline(kind: ArtifactKind, data: &[u8], limits: Limits) {
    let analyzer = analyze::analyzer_for(kind);
    let _ = analyzer.identify(data);
    let parameters = if data.len() % 2 == 0 {
        &PARAMETERS_READ
    } else {
        &ParameterScope::All
    };
    evaluate(
        analyze_as(analyzer, data, &POLICY, limits, parameters),
        limits,
    );
}

/// The device stages after an artifact's analysis: the device-wide evidence, every rule, the
/// score and the findings, as a scan of a device of that one artifact would.
fn evaluate(result: Result<Evidence, AnalyzeError>, limits: Limits) {
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

/// The work units the `shadow` target's default-password check may spend on one input, where
/// a scan gives a shadow file
/// [`WORK_BUDGET`](crate::analyze::accounts::hash::WORK_BUDGET) (12,000,000, about 4 s of one
/// core, docs/limits.md): at that, seeds with a few yescrypt or bcrypt accounts take many seconds an input under
/// AddressSanitizer. This much is one yescrypt candidate of the default `j9T` (131,072 units),
/// a complete check of one SHA-512-crypt account at the default 5,000 rounds (the catalogue's
/// candidates and the account's name, about 115,000), or of a few MD5-crypt ones, so that the
/// fuzzer reaches every outcome of the check (found, not found, budget spent) in a few
/// milliseconds an input.
pub const SHADOW_PASSWORD_BUDGET: u64 = 140_000;

/// The shadow analyzer, with [`SHADOW_PASSWORD_BUDGET`] for its default-password check, then
/// the policy and the rules as [`analyze`] runs them.
pub fn shadow_file(data: &[u8]) {
    let analyzer = analyze::analyzer_for(ArtifactKind::Shadow);
    let _ = analyzer.identify(data);
    let result = shadow::analyze_within(data, SHADOW_PASSWORD_BUDGET).map(|mut evidence| {
        POLICY.enrich(evidence.kind, &mut evidence.document);
        evidence
    });
    evaluate(result, Limits::default());
}

/// The unpacking limits a firmware input runs under, chosen by its length so that every seed
/// is fuzzed under several: limits far below the scan's defaults make a walker that does not
/// keep to them show within libFuzzer's memory limit (`-rss_limit_mb`, and `-malloc_limit_mb`
/// for one allocation), and tiny member and depth limits reach the code paths that stop at them.
/// The largest keeps 64 MiB, room for real images' file systems.
pub fn firmware_limits(input_len: usize) -> UnpackLimits {
    match input_len % 3 {
        0 => UnpackLimits {
            max_depth: 2,
            max_members: 16,
            max_unpacked: 64 << 10,
            max_ratio: 4,
            ratio_floor: 16 << 10,
        },
        1 => UnpackLimits {
            max_members: 1_000,
            max_unpacked: 1 << 20,
            ratio_floor: 256 << 10,
            ..UnpackLimits::default()
        },
        _ => UnpackLimits {
            max_unpacked: 64 << 20,
            ratio_floor: 4 << 20,
            ..UnpackLimits::default()
        },
    }
}

/// The firmware walker, under [`firmware_limits`].
pub fn firmware(data: &[u8]) {
    let limits = Limits {
        unpack: firmware_limits(data.len()),
        ..Limits::default()
    };
    run_pipeline(ArtifactKind::Firmware, data, limits);
}

/// `data` cut at each `\n--\n`: the packets of [`packets`], the parts of [`merge_parts`].
fn pieces(data: &[u8]) -> Vec<&[u8]> {
    let separator = memchr::memmem::Finder::new(b"\n--\n");
    let mut start = 0;
    let mut pieces = Vec::new();
    for position in separator.find_iter(data) {
        pieces.push(&data[start..position]);
        start = position + separator.needle().len();
    }
    pieces.push(&data[start..]);
    pieces
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
    for (index, record) in pieces(rest).iter().enumerate() {
        capture.extend_from_slice(&(index as u32).to_le_bytes());
        capture.extend_from_slice(&0u32.to_le_bytes());
        capture.extend_from_slice(&(record.len() as u32).to_le_bytes());
        capture.extend_from_slice(&(record.len() as u32).to_le_bytes());
        capture.extend_from_slice(record);
    }
    analyze(ArtifactKind::Capture, &capture);
}

/// A rule file, then what its rules' queries read of parameters (`rules::reads`).
pub fn rules(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut errors = Vec::new();
        let parsed = rules::parse_rule_file("fuzz.toml", text, &mut errors);
        let _ = rules::reads::parameter_scope(&parsed);
    }
}

/// A policy file.
pub fn policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::parse(text, &RULES);
    }
}

/// A scratch folder of this process for [`inventory`]: device folders with a file each, which
/// the inventory under test maps (`fleet.toml` is rewritten for every input).
static INVENTORY_FOLDER: LazyLock<PathBuf> = LazyLock::new(|| {
    let folder =
        std::env::temp_dir().join(format!("drone-audit-fuzz-fleet-{}", std::process::id()));
    for file in [
        "hq/mavic-01/profile.toml",
        "field/quad-42/logs/1.ulg",
        "alpha/sshd_config",
        "loose.param",
    ] {
        let path = folder.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the fuzzer's scratch folder");
        }
        std::fs::write(path, b"").expect("the fuzzer's scratch folder");
    }
    folder
});

/// A `fleet.toml` inventory, read as a scan reads it: at the top of a scanned folder, which is
/// then walked and its files handed to the devices the inventory names.
pub fn inventory(data: &[u8]) {
    let folder = INVENTORY_FOLDER.as_path();
    std::fs::write(folder.join(INVENTORY_FILE_NAME), data).expect("the fuzzer's scratch folder");
    if let Ok(roots) = discover::roots(&[folder.to_path_buf()]) {
        let _ = roots.walk(&mut |_| {});
    }
}

/// A baseline file (or a JSON report given as one), then the fingerprints written back.
pub fn baseline(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(baseline) = Baseline::parse(text, "fuzz.json".to_owned()) {
            let _ = baseline.to_json();
        }
    }
}

/// The JSON reports `merge` joins, cut at each `\n--\n`: the parts that are reports are merged
/// (with `--allow-partial` when shards are missing), and the merged report is rendered in
/// every format, as `merge` does.
pub fn merge_parts(data: &[u8]) {
    let parts: Vec<PartSource> = pieces(data)
        .into_iter()
        .enumerate()
        .map(|(index, piece)| PartSource::bytes(format!("part-{index}.json"), piece))
        .collect();
    let merged = match Merge::open(parts.clone(), false) {
        Err(MergeError::Missing { .. }) => Merge::open(parts, true),
        merged => merged,
    };
    let Ok(merged) = merged else {
        return;
    };
    let _ = merged.write_json(&mut std::io::sink(), &mut |_| {});
    let Ok(merged) = merged.into_report() else {
        return;
    };
    let renderers: [&dyn Renderer; 6] = [
        &report::json::JsonRenderer,
        &report::sarif::SarifRenderer::default(),
        &report::junit::JunitRenderer,
        &report::markdown::MarkdownRenderer,
        &report::html::HtmlRenderer,
        &report::table::TableRenderer::default(),
    ];
    for renderer in renderers {
        let _ = renderer.render(&merged, &mut std::io::sink());
    }
    let _ = Baseline::of(&merged).remove_known(&mut merged.clone());
}

/// Runs the fuzz target named `target` (a file name in fuzz/fuzz_targets/) on `data`; false
/// for a name that is no target.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "capture_packets" => packets(data),
        "rules" => rules(data),
        "policy" => policy(data),
        "fleet" => inventory(data),
        "baseline" => baseline(data),
        "merge" => merge_parts(data),
        "shadow" => shadow_file(data),
        name if name.starts_with("firmware_") => firmware(data),
        name => match name.replace('_', "-").parse::<ArtifactKind>() {
            Ok(kind) => analyze(kind, data),
            Err(_) => return false,
        },
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/fuzz_regressions/TARGET/ replays through `run`, so every target of fuzz/ needs an
    /// entry there: an unknown name would make a kept crash input fail to replay.
    #[test]
    fn every_fuzz_target_has_an_entry_point() {
        let targets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
        let mut names: Vec<String> = std::fs::read_dir(targets)
            .expect("fuzz/fuzz_targets")
            .filter_map(|entry| {
                let path = entry.expect("entry").path();
                Some(path.file_stem()?.to_str()?.to_owned())
            })
            .collect();
        names.sort();
        assert!(names.len() >= 26, "{names:?}");
        for name in &names {
            assert!(run(name, b"[[device]]\nid = \"a\"\n"), "{name}");
        }
        assert!(!run("no_such_target", b""));
    }

    /// The shadow target's budget is small enough for fuzzing speed, yet the check still runs:
    /// a default SHA-512-crypt account is checked completely (and found), and the kept input
    /// with two yescrypt accounts stops at the budget, partial, saying which budget.
    #[test]
    fn the_shadow_target_checks_passwords_within_its_own_budget() {
        let raspberry = "pi:$6$saltsalt$677q0O/U8ycKsbBfN68CgcyXcWEbi0J/eUf256PkkeGXfNX3CNnPlwFdNvdBgnSiHDx5X1Xozxf5lg9iVIVVu/:19800:0:99999:7:::\n";
        let evidence = shadow::analyze_within(raspberry.as_bytes(), SHADOW_PASSWORD_BUDGET)
            .expect("a shadow file");
        assert_eq!(
            evidence.document["accounts"][0]["default_password"],
            "raspberry"
        );
        assert!(evidence.incomplete.is_none(), "{:?}", evidence.incomplete);
        let two_yescrypt = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "tests/fuzz_regressions/shadow/two-yescrypt-accounts-slow-under-asan-within-the-budget",
        ))
        .expect("the kept input");
        let started = std::time::Instant::now();
        let evidence =
            shadow::analyze_within(&two_yescrypt, SHADOW_PASSWORD_BUDGET).expect("a shadow file");
        let reason = evidence.incomplete.expect("the budget is spent");
        assert!(
            reason.contains("2 account(s)") && reason.contains("budget of 140000 hash work units"),
            "{reason}"
        );
        // One yescrypt candidate, where a scan's budget tries all of both accounts' (1.8 s
        // in a debug build): a generous bound, for a loaded machine.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn merge_parts_are_cut_at_the_separator() {
        assert_eq!(pieces(b"{}\n--\n{}\n--\n"), [&b"{}"[..], b"{}", b""]);
    }
}
