//! Documentation that must match the code (issue #18, item 12): docs/policy.md documents every
//! key the policy file accepts, and nothing else.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

/// The names serde lists after `expected` in an unknown-field error.
fn expected_fields(error: &str) -> Vec<String> {
    let Some((_, expected)) = error.split_once("expected") else {
        return Vec::new();
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every key the policy accepts, as `table.key`, from the errors of a policy with an unknown
/// key in each table: the list cannot fall behind the code.
fn accepted_keys() -> BTreeSet<String> {
    let rules = drone_audit::rules::load(None).expect("built-in rules");
    let errors = |text: &str| {
        drone_audit::policy::Policy::parse(text, &rules)
            .expect_err("an unknown key is an error")
            .join("\n")
    };
    let mut keys = BTreeSet::new();
    for table in expected_fields(&errors("not_a_key = 1\n")) {
        let as_table = errors(&format!("[{table}]\nnot_a_key = 1\n"));
        let fields = if as_table.contains("unknown field") {
            expected_fields(&as_table)
        } else {
            expected_fields(&errors(&format!("[[{table}]]\nnot_a_key = 1\n")))
        };
        assert!(!fields.is_empty(), "{table}: {as_table}");
        keys.extend(fields.into_iter().map(|field| format!("{table}.{field}")));
    }
    keys
}

/// The keys of docs/policy.md's "Keys" table (the `[[table]]` rows introduce their keys).
fn documented_keys() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/policy.md"))
            .expect("docs/policy.md");
    let section = text
        .split("\n## Keys\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Keys section");
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|line| line.split('`').next())
        .filter(|key| !key.starts_with("[["))
        .map(str::to_owned)
        .collect()
}

#[test]
fn policy_md_documents_every_key_the_policy_accepts() {
    let accepted = accepted_keys();
    let documented = documented_keys();
    for key in [
        "waiver.expires",
        "ssh.require_keys",
        "network.allowed",
        "waivers.warn_days",
    ] {
        assert!(accepted.contains(key), "{key} in {accepted:?}");
    }
    let undocumented: Vec<&String> = accepted.difference(&documented).collect();
    let unknown: Vec<&String> = documented.difference(&accepted).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "docs/policy.md's Keys table: undocumented {undocumented:?}, not accepted {unknown:?}"
    );
}

/// Every file under `samples/`, relative to it.
fn sample_files(dir: &Path, prefix: &str, files: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("samples") {
        let entry = entry.expect("entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("type").is_dir() {
            sample_files(&entry.path(), &format!("{name}/"), files);
        } else {
            files.insert(name);
        }
    }
}

#[test]
fn fleet_md_shows_the_real_samples_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeSet::new();
    sample_files(&root.join("samples"), "", &mut files);
    let text = std::fs::read_to_string(root.join("docs/fleet.md")).expect("docs/fleet.md");
    let tree = text
        .split("```\nsamples/\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the samples tree");
    // Each line: the tree's drawing, then a path under the device folder it sits in.
    let mut shown = BTreeSet::new();
    let mut device = String::new();
    for line in tree.lines() {
        let entry = line
            .trim_start_matches(|c: char| "│├└─ ".contains(c))
            .split_whitespace()
            .next()
            .unwrap_or_default();
        if let Some(folder) = entry.strip_suffix('/') {
            device = format!("{folder}/");
        } else if line.starts_with("├── ") || line.starts_with("└── ") {
            shown.insert(entry.to_owned());
        } else if !entry.is_empty() {
            shown.insert(format!("{device}{entry}"));
        }
    }
    assert_eq!(shown, files, "docs/fleet.md's tree of samples/");
}

#[test]
fn force_color_colours_the_table_for_ci_logs() {
    let plain = common::drone_audit()
        .args(["scan", "samples"])
        .output()
        .expect("runs");
    assert!(!plain.stdout.contains(&0x1b), "no colour into a pipe");
    let coloured = common::drone_audit()
        .args(["scan", "samples", "--force-color"])
        .output()
        .expect("runs");
    assert!(
        String::from_utf8_lossy(&coloured.stdout).contains("\u{1b}[1m"),
        "ANSI colours though NO_COLOR is set and stdout is a pipe"
    );
}

#[test]
fn rules_explain_suggests_the_nearest_rule() {
    common::drone_audit()
        .args(["rules", "explain", "SSH-01"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no rule `SSH-01`: did you mean `SSH-001`?",
        ));
}
