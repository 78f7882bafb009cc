//! Shell completions and man pages (issue #18, item 10): the bash script completes after a
//! subcommand (clap-rs/clap#6421 worked around), and every subcommand has a man page with all
//! its options.

mod common;

use common::drone_audit;
use std::fs;
use std::process::Command;

/// What bash completes for `words` (the last one being completed), with the script loaded.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let program = format!(
        r#"source "$1"
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE="{line}"
COMP_POINT=${{#COMP_LINE}}
_drone__audit drone-audit "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words.join(" "),
        cword = words.len() - 1,
    );
    let output = Command::new("bash")
        .args(["-c", &program, "bash"])
        .arg(script)
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_options_after_a_subcommand() {
    let output = drone_audit()
        .args(["completions", "bash"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("drone-audit.bash");
    fs::write(&script, &output.stdout).expect("write script");

    let options = bash_complete(&script, &["drone-audit", "scan", "--fo"]);
    assert!(options.contains(&"--format".to_owned()), "{options:?}");
    assert!(options.iter().all(|option| option.starts_with("--fo")));
    assert_eq!(
        bash_complete(&script, &["drone-audit", "scan", "--form"]),
        ["--format"]
    );
    assert!(bash_complete(&script, &["drone-audit", "sc"]).contains(&"scan".to_owned()));
    assert_eq!(
        bash_complete(&script, &["drone-audit", "rules", "ex"]),
        ["explain"]
    );
    let formats = bash_complete(&script, &["drone-audit", "scan", "--format", ""]);
    assert!(
        formats.contains(&"sarif".to_owned()) && formats.contains(&"json".to_owned()),
        "{formats:?}"
    );
}

#[test]
fn every_subcommand_has_a_man_page_with_its_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    drone_audit()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    let mut pages: Vec<String> = fs::read_dir(dir.path())
        .expect("pages")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    pages.sort();
    for page in [
        "drone-audit.1",
        "drone-audit-scan.1",
        "drone-audit-inspect.1",
        "drone-audit-rules.1",
        "drone-audit-rules-list.1",
        "drone-audit-rules-explain.1",
        "drone-audit-merge.1",
        "drone-audit-compare.1",
        "drone-audit-schema.1",
        "drone-audit-completions.1",
        "drone-audit-man.1",
    ] {
        assert!(pages.contains(&page.to_owned()), "{page} in {pages:?}");
    }
    // Every page the main page refers to exists.
    let main = fs::read_to_string(dir.path().join("drone-audit.1")).expect("main page");
    let references: Vec<String> = main
        .lines()
        .filter_map(|line| line.strip_suffix("(1)"))
        .map(|name| name.replace("\\-", "-"))
        .collect();
    assert!(references.len() >= 8, "{references:?}");
    for name in references {
        assert!(
            pages.contains(&format!("{name}.1")),
            "{name}(1) is named and generated"
        );
    }
    // The scan page has every option.
    let scan = fs::read_to_string(dir.path().join("drone-audit-scan.1")).expect("scan page");
    for option in [
        "format",
        "output",
        "fail\\-on",
        "baseline",
        "trusted\\-policy",
        "max\\-file\\-size",
        "source\\-root",
    ] {
        assert!(
            scan.contains(&format!("\\-\\-{option}")),
            "--{option} on the scan page"
        );
    }
    // One page on standard output, by subcommand.
    let output = drone_audit()
        .args(["man", "rules", "explain"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&output.stdout).contains("drone\\-audit\\-rules\\-explain"));
}
