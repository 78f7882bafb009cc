//! The frameworks reference: `frameworks list` (a table, or JSON), `frameworks list --format
//! markdown` (which is docs/frameworks.md: how mapping works, how to add a framework, and each
//! built-in framework's coverage), and `frameworks explain ID[:REQ]`.

use crate::escape::{code, text};
use crate::frameworks::{Evidence, Framework, FrameworkSet, Requirement};

/// Requirements evidenced by rules, and manual ones.
pub fn coverage(framework: &Framework) -> (usize, usize) {
    let manual = framework
        .requirements
        .iter()
        .filter(|requirement| requirement.is_manual())
        .count();
    (framework.requirements.len() - manual, manual)
}

/// Every framework as a terminal table.
pub fn table(set: &FrameworkSet) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec![
            "id",
            "version",
            "requirements",
            "automated",
            "manual",
            "title",
        ]);
    for framework in &set.frameworks {
        let (automated, manual) = coverage(framework);
        table.add_row(vec![
            framework.id.clone(),
            framework.source.version.clone(),
            framework.requirements.len().to_string(),
            automated.to_string(),
            manual.to_string(),
            framework.title.clone(),
        ]);
    }
    format!(
        "{table}\n{} frameworks; `drone-audit frameworks explain ID` shows one, `scan --framework ID` reports on it\n",
        set.frameworks.len()
    )
}

/// A framework (`ID`) or one requirement (`ID:REQ`), explained for a terminal.
pub fn explain(set: &FrameworkSet, target: &str) -> Result<String, String> {
    let (id, requirement) = match target.split_once(':') {
        Some((id, requirement)) => (id, Some(requirement)),
        None => (target, None),
    };
    let framework = set
        .get(id)
        .ok_or_else(|| format!("no framework `{id}` (see `drone-audit frameworks list`)"))?;
    match requirement {
        None => Ok(explain_framework(framework)),
        Some(wanted) => framework
            .requirements
            .iter()
            .find(|requirement| requirement.id.eq_ignore_ascii_case(wanted))
            .map(|requirement| explain_requirement(framework, requirement))
            .ok_or_else(|| {
                format!(
                    "framework {} has no requirement `{wanted}` (see `drone-audit frameworks explain {}`)",
                    framework.id, framework.id
                )
            }),
    }
}

fn explain_framework(framework: &Framework) -> String {
    let (automated, manual) = coverage(framework);
    let source = &framework.source;
    let mut page = format!(
        "{}: {}\n\nsource:   {} ({}, {})\n          {}\nfile:     {}\ncoverage: {} requirements, {automated} evidenced by rules, {manual} manual\n\nVerified:\n  {}\nNot verified:\n  {}\n\nRequirements:\n",
        framework.id,
        framework.title,
        source.publisher,
        source.version,
        source.date,
        source.url,
        framework.file,
        framework.requirements.len(),
        source.verified,
        source.unverified,
    );
    let width = framework
        .requirements
        .iter()
        .map(|requirement| requirement.id.chars().count())
        .max()
        .unwrap_or(0);
    for requirement in &framework.requirements {
        let evidence = match &requirement.evidence {
            Evidence::Manual { .. } => "manual".to_owned(),
            Evidence::Rules { rules, .. } => format!("{} rules", rules.len()),
        };
        page.push_str(&format!(
            "  {:<width$}  {} ({evidence})\n",
            requirement.id, requirement.title
        ));
    }
    page
}

fn explain_requirement(framework: &Framework, requirement: &Requirement) -> String {
    let mut page = format!(
        "{}:{}: {}\n\n{}\n\n",
        framework.id, requirement.id, requirement.title, requirement.summary
    );
    match &requirement.evidence {
        Evidence::Manual { collect } => page.push_str(&format!(
            "Manual: no artifact shows it, so it is never reported as passed.\nAn auditor collects:\n  {collect}\n"
        )),
        Evidence::Rules {
            named,
            controls,
            rules,
        } => {
            page.push_str("Evidenced by (passes only when every one was assessed and passed):\n");
            if !controls.is_empty() {
                let names: Vec<&str> = controls.iter().map(|control| control.id()).collect();
                page.push_str(&format!("  every rule of: {}\n", names.join(", ")));
            }
            if !named.is_empty() {
                page.push_str(&format!("  named:         {}\n", named.join(", ")));
            }
            page.push_str(&format!("  in all:        {}\n", rules.join(", ")));
        }
    }
    if let Some(note) = &requirement.note {
        page.push_str(&format!("\nNote: {note}\n"));
    }
    page
}

const HOW_IT_WORKS: &str = "\
A framework is a view over the rules, not a control: every rule keeps its one control (the DHS \
2019 mitigations stay the score's axes), and a framework file maps the requirements of one \
standard, at one version, to the rules whose results evidence them. Adding or changing a \
framework changes no score.

## How mapping works

Each requirement either names its evidence or is manual:

- `rules = [\"AUTH-002\", \"ACCT-003\"]` names rules one by one;
- `controls = [\"encryption\"]` takes every rule of a control, including rules added later (the \
  DHS 2019 mitigations are mapped this way);
- `manual = true` with `collect = \"…\"` says what an auditor must gather by hand (a policy, a \
  vendor statement, a procedure): no artifact can show it.

A rule evidences a requirement only when its pass really shows the requirement met for the part \
the rule covers; a requirement that rules cover only in part says so in its `note`.

`scan --framework ID` (repeatable, or `all`) adds to every report each requirement's status, per \
device and for the fleet:

| status | on a device | for the fleet |
|---|---|---|
| `pass` | every rule that evidences it was assessed and passed | every rule was assessed on at least one device and failed on none; the devices on which the requirement passed whole are counted beside it |
| `fail` | one of its rules failed, or was waived (a waiver accepts a weakness, it does not remove it) | one of its rules failed (or was waived) on some device |
| `not assessed` | none failed, but one could not be assessed (the reason is given) or the policy disabled it | none failed, but one was assessed on no device |
| `manual` | always: it never passes | always |

In JSON the results are under `frameworks` (absent without `--framework`); SARIF lists each \
framework as a taxonomy and relates each rule to the requirements it evidences; HTML and \
Markdown add a section per framework; JUnit adds a test suite per framework, with manual \
requirements as skipped tests.

## How to add a framework

Write `ID.toml` (the file's name is the framework's id) and pass its folder with \
`--frameworks DIR`, to `scan` and to `frameworks list/explain`:

```toml
[framework]
id = \"acme-uas-policy\"
title = \"ACME drone security policy\"
publisher = \"ACME security office\"
url = \"https://intranet.example/uas-policy\"
date = \"2025-03\"          # YYYY, YYYY-MM or YYYY-MM-DD
version = \"2.0\"
verified = \"What you checked against the source.\"
unverified = \"What is your reading.\"

[[requirement]]
id = \"4.2\"
title = \"No default passwords\"
summary = \"In your own words.\"
rules = [\"AUTH-002\", \"ACCT-003\", \"WIFI-005\"]
note = \"Optional: what the rules leave out.\"

[[requirement]]
id = \"7.1\"
title = \"Pilots are trained\"
summary = \"Every pilot completes the security briefing each year.\"
manual = true
collect = \"The training records of every pilot.\"
```

Loading is strict, and every error names the file and line: an unknown field, rule or control, \
a duplicate requirement, a requirement that is both manual and mapped, or neither. Every \
built-in rule must be mapped by at least one built-in framework (every rule is, through \
`dhs-2019`'s controls), so a new rule cannot go unmapped.

The built-in files are `frameworks/*.toml`; each says in `verified` and `unverified` what \
could be checked against its primary source and what could not.
";

/// The frameworks reference as Markdown (docs/frameworks.md).
pub fn markdown(set: &FrameworkSet) -> String {
    let mut page = format!(
        "# Compliance frameworks\n\n<!-- Generated by `drone-audit frameworks list --format markdown`; do not edit. -->\n\n{HOW_IT_WORKS}\n## Coverage of the built-in frameworks\n\n\
         | framework | version | requirements | automated | manual |\n|---|---|---|---|---|\n"
    );
    for framework in &set.frameworks {
        let (automated, manual) = coverage(framework);
        page.push_str(&format!(
            "| [{}](#{}) | {} | {} | {automated} | {manual} |\n",
            framework.id,
            framework.id,
            text(&framework.source.version),
            framework.requirements.len()
        ));
    }
    for framework in &set.frameworks {
        let source = &framework.source;
        page.push_str(&format!(
            "\n## {}\n\n**{}**, {}, {} ({}). Source: <{}>\n\n**Verified.** {}\n\n**Not verified.** {}\n\n\
             | requirement | title | evidence |\n|---|---|---|\n",
            framework.id,
            text(&framework.title),
            text(&source.publisher),
            text(&source.version),
            text(&source.date),
            source.url,
            text(&source.verified),
            text(&source.unverified),
        ));
        for requirement in &framework.requirements {
            let evidence =
                match &requirement.evidence {
                    Evidence::Manual { collect } => format!("manual: {}", text(collect)),
                    Evidence::Rules {
                        named, controls, ..
                    } => {
                        let mut parts: Vec<String> = controls
                            .iter()
                            .map(|control| format!("every {} rule", code(control.id())))
                            .collect();
                        parts.extend(named.iter().map(|rule| {
                            format!("[{rule}](rules.md#{})", rule.to_ascii_lowercase())
                        }));
                        parts.join(", ")
                    }
                };
            page.push_str(&format!(
                "| {} | {} | {evidence} |\n",
                text(&requirement.id),
                text(&requirement.title)
            ));
        }
    }
    page
}
