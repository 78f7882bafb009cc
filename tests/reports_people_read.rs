//! Issue #18 items 6 to 9 and 13: grades that do not over-promise, one meaning per cell in
//! every format, a terminal table laid out to the terminal, HTML a board reads (the verdict on
//! the first printed page, reasons in words, code in remediation, coverage beside the compare
//! page's bars), and reports that still work for a fleet of 10,000 devices.

use drone_audit::control::Control;
use drone_audit::report::html::HtmlRenderer;
use drone_audit::report::junit::JunitRenderer;
use drone_audit::report::markdown::MarkdownRenderer;
use drone_audit::report::table::TableRenderer;
use drone_audit::report::{legend, Renderer, Report};
use drone_audit::scan::{scan, ScanOptions};
use drone_audit::score::Grade;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;

use common::drone_audit;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sample fleet's report, scanned once.
fn samples() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        scan(&ScanOptions {
            paths: vec![PathBuf::from("samples")],
            ..Default::default()
        })
        .expect("the samples scan")
    })
}

fn render(renderer: &dyn Renderer, report: &Report) -> String {
    let mut out = Vec::new();
    renderer.render(report, &mut out).expect("render");
    String::from_utf8(out).expect("UTF-8")
}

fn table(report: &Report, width: usize, verbose: bool) -> String {
    render(
        &TableRenderer {
            width,
            verbose,
            ..TableRenderer::default()
        },
        report,
    )
}

// ---- item 6: grades ----

/// The plane has three high findings (an unsigned image, a link crossing the internet): it
/// was graded A on its score alone; a high finding caps it at C. m2e-hq is A over 27% of the
/// rules: its grade is provisional in every format.
#[test]
fn a_high_finding_caps_the_grade_and_little_coverage_makes_it_provisional() {
    let report = samples();
    let plane = report.device("ardupilot-plane").expect("plane");
    assert!(
        plane.score.expect("score") >= 90.0,
        "its score alone is an A"
    );
    assert_eq!(plane.grade, Grade::C);
    let hq = report.device("m2e-hq").expect("hq");
    assert_eq!(hq.grade, Grade::A);
    assert!(report.policy.is_provisional(hq.grade, hq.coverage));
    assert!(!report.policy.is_provisional(plane.grade, plane.coverage));

    let table = table(report, 200, false);
    let markdown = render(&MarkdownRenderer, report);
    let html = render(&HtmlRenderer, report);
    let junit = render(&JunitRenderer, report);
    assert!(table.contains("A*"), "{table}");
    assert!(table.contains("* provisional: coverage below 50%"));
    assert!(
        markdown.contains("| m2e-hq | A\\* | 100.0 | 27% |"),
        "{markdown}"
    );
    assert!(html.contains("provisional"));
    assert!(junit.contains("grade-provisional"));
    // The fleet's grade carries its coverage wherever it is written.
    let fleet = legend::grade_sentence(
        &report.policy,
        report.summary.grade,
        report.summary.coverage,
    );
    assert!(table.contains(&fleet), "{fleet} in {table}");
    assert!(markdown.contains(&fleet));
}

#[test]
fn the_coverage_threshold_is_a_policy_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_folder(
        &manifest_dir().join("samples/m2e-hq"),
        &dir.path().join("hq"),
    );
    std::fs::write(
        dir.path().join("drone-audit.toml"),
        "[scoring]\nprovisional_below = 20\n",
    )
    .expect("write");
    let (report, _) = common::scan_json(dir.path());
    assert_eq!(report["policy"]["provisional_below"], 20.0);
    let relaxed = report["policy"]["changes"]["relaxed"].to_string();
    assert!(
        relaxed.contains("scoring.provisional_below = 20"),
        "{relaxed}"
    );
    std::fs::write(
        dir.path().join("drone-audit.toml"),
        "[scoring]\nprovisional_below = 150\n",
    )
    .expect("write");
    drone_audit()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("scoring.provisional_below"));
}

/// docs/scoring.md's worked example is the binary's own output on samples/: regenerate it
/// with `UPDATE_SCORING_DOC=1 cargo test --test reports_people_read worked_example`.
#[test]
fn the_worked_example_in_docs_scoring_md_is_current() {
    let output = drone_audit()
        .args(["scan", "samples", "--format", "json"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let example = worked_example(&report, "m2e-field", "connectivity");
    let path = manifest_dir().join("docs/scoring.md");
    let doc = std::fs::read_to_string(&path).expect("docs/scoring.md");
    const BEGIN: &str = "<!-- worked example: generated, see tests/reports_people_read.rs -->\n";
    const END: &str = "<!-- end of worked example -->";
    let (before, rest) = doc
        .split_once(BEGIN)
        .expect("the doc marks its worked example");
    let (current, after) = rest.split_once(END).expect("the end marker");
    if std::env::var_os("UPDATE_SCORING_DOC").is_some() {
        std::fs::write(&path, format!("{before}{BEGIN}{example}{END}{after}")).expect("write");
        return;
    }
    assert_eq!(
        current, example,
        "docs/scoring.md's worked example is stale: UPDATE_SCORING_DOC=1 cargo test --test reports_people_read worked_example"
    );
}

/// The worked example's text, from a JSON report: one control of one device, rule by rule,
/// then the device's score, coverage and grade.
fn worked_example(report: &serde_json::Value, device_id: &str, control_id: &str) -> String {
    let catalogue = report["rules"]["catalogue"].as_array().expect("catalogue");
    let name_of = |id: &str| {
        catalogue
            .iter()
            .find(|rule| rule["id"] == id)
            .and_then(|rule| rule["name"].as_str())
            .unwrap_or("")
            .to_owned()
    };
    let weight = |severity: &str| match severity {
        "critical" => 10,
        "high" => 6,
        "medium" => 3,
        "low" => 1,
        _ => 0,
    };
    let device = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["id"] == device_id)
        .expect("the device");
    let control = device["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|control| control["control"] == control_id)
        .expect("the control");
    let rules = control["rules"].as_array().expect("rules");
    let not_assessed: usize = control["not_assessed"].as_array().map_or(0, |groups| {
        groups
            .iter()
            .map(|group| group["rules"].as_object().map_or(0, |rules| rules.len()))
            .sum()
    });
    let mut text = format!(
        "`samples/{device_id}`, control `{control_id}`: {} rules assessed, {not_assessed} not assessed.\n\n| rule | severity | weight | status |\n|---|---|---|---|\n",
        rules.len()
    );
    let (mut passed, mut assessed) = (Vec::new(), Vec::new());
    for rule in rules {
        let id = rule["rule"].as_str().expect("id");
        let severity = rule["severity"].as_str().expect("severity");
        let status = rule["status"].as_str().expect("status");
        text.push_str(&format!(
            "| {id} {} | {severity} | {} | {status} |\n",
            name_of(id),
            weight(severity)
        ));
        assessed.push(weight(severity));
        if status != "failed" {
            passed.push(weight(severity));
        }
    }
    let join = |weights: &[u32]| {
        weights
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let sum = |weights: &[u32]| weights.iter().sum::<u32>();
    text.push_str(&format!(
        "\nscore = 100 × ({}) / ({}) = 100 × {} / {} = **{}**, coverage {}%.\n\n",
        join(&passed),
        join(&assessed),
        sum(&passed),
        sum(&assessed),
        control["score"],
        control["coverage"]
    ));
    text.push_str(&format!(
        "Over all its controls the device scores {} with coverage {}%: grade **{}**{}.\n",
        device["score"],
        device["coverage"],
        device["grade"].as_str().unwrap_or(""),
        if device["coverage"].as_f64().unwrap_or(0.0)
            < report["policy"]["provisional_below"]
                .as_f64()
                .unwrap_or(50.0)
        {
            ", provisional (coverage below the policy's threshold)"
        } else {
            ""
        }
    ));
    text
}

// ---- item 7: one cell, one meaning ----

/// Every device × control cell says the same in the table, Markdown and HTML: the status in
/// words, then failed/assessed rules; and each format writes the same legend.
#[test]
fn every_format_writes_the_same_cells_with_the_same_legend() {
    let report = samples();
    let table = table(report, 300, false);
    let markdown = render(&MarkdownRenderer, report);
    let html = render(&HtmlRenderer, report);
    for device in &report.devices {
        let cells: Vec<String> = Control::ALL
            .iter()
            .map(|control| legend::control_cell(device.control(*control)))
            .collect();
        let row = table
            .lines()
            .find(|line| line.starts_with(&format!("│ {} ", device.info.id)))
            .unwrap_or_else(|| panic!("a table row for {}", device.info.id));
        let markdown_row = markdown
            .lines()
            .find(|line| line.starts_with(&format!("| {} |", device.info.id)))
            .unwrap_or_else(|| panic!("a Markdown row for {}", device.info.id));
        let mut from = 0;
        for (control, cell) in Control::ALL.iter().zip(&cells) {
            let at = row[from..]
                .find(&format!(" {cell} "))
                .unwrap_or_else(|| panic!("{cell} in {row}"));
            from += at + cell.len();
            assert!(
                markdown_row.contains(&format!(" {cell} |")),
                "{cell} in {markdown_row}"
            );
            assert!(
                html.contains(&format!("{} · {}: {cell}<", device.info.id, control.id())),
                "{} {}: {cell} in the heat map",
                device.info.id,
                control.id()
            );
        }
    }
    let anafi = report.device("anafi-thermal").expect("anafi");
    assert_eq!(
        legend::control_cell(anafi.control(Control::Updates)),
        "pass 0/6",
        "failed/assessed, not assessed/assessed"
    );
    for (format, text) in [("table", &table), ("markdown", &markdown), ("html", &html)] {
        assert!(
            text.contains(legend::CONTROL_CELLS),
            "{format} has the legend"
        );
    }
}

// ---- item 8: the terminal table ----

#[test]
fn the_table_fits_the_width_and_lists_findings_one_line_each() {
    let report = samples();
    for width in [80, 100, 160] {
        let text = table(report, width, false);
        // The policy's line is the one exception: a gate's statement stays on one line.
        for line in text.lines().filter(|line| !line.starts_with("Policy ")) {
            assert!(
                line.chars().count() <= width,
                "{} > {width}: {line}",
                line.chars().count()
            );
        }
        assert!(text.lines().count() < 120, "{} lines", text.lines().count());
    }
    let compact = table(report, 120, false);
    assert!(
        compact.contains("… and 27 more high findings (of 47)"),
        "{compact}"
    );
    assert!(!compact.contains("fix: "), "the fix is behind --verbose");
    let verbose = table(report, 120, true);
    assert!(verbose.contains("fix: "));
    assert!(!verbose.contains("more high findings"));

    // The command line reads COLUMNS.
    let output = drone_audit()
        .args(["scan", "samples"])
        .env("COLUMNS", "90")
        .output()
        .expect("runs");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        text.lines()
            .filter(|line| !line.starts_with("Policy "))
            .all(|line| line.chars().count() <= 90),
        "{text}"
    );
    let output = drone_audit()
        .args(["scan", "samples", "--verbose"])
        .env("COLUMNS", "90")
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&output.stdout).contains("fix: "));
}

// ---- item 13: a fleet of 10,000 devices ----

/// Up to 50 devices the JUnit report has a suite per device and a case per rule and artifact;
/// past it (60 devices, the HTML's detail limit) a case per rule for the whole fleet, whose
/// failures are the same rules.
#[test]
fn junit_is_a_case_per_rule_for_the_fleet_past_fifty_devices() {
    let base = samples();
    let copies = |count: usize| common::copies_of(base, count);
    let fifty = render(&JunitRenderer, &copies(10));
    assert!(
        fifty.contains("<testsuite name=\"m2e-hq-0009\""),
        "a suite per device"
    );
    assert!(!fifty.contains("<testsuite name=\"fleet\""));
    let sixty = render(&JunitRenderer, &copies(12));
    assert!(
        !sixty.contains("<testsuite name=\"m2e-hq-0000\""),
        "no suite per device"
    );
    assert!(sixty.contains("<testsuite name=\"fleet\""));
    assert!(sixty.contains("<testsuite name=\"fleet.authentication\""));
    let open_rules: std::collections::BTreeSet<&str> = base
        .findings
        .iter()
        .filter(|finding| finding.waived.is_none())
        .map(|finding| finding.rule.as_str())
        .collect();
    assert_eq!(
        sixty.matches("<failure ").count(),
        open_rules.len(),
        "a failure per rule with an open finding"
    );
    for rule in &open_rules {
        assert!(
            sixty.contains(&format!("name=\"{rule}\">\n      <failure ")),
            "{rule} fails"
        );
    }
    eprintln!(
        "JUnit: {} bytes for 50 devices, {} for 60",
        fifty.len(),
        sixty.len()
    );
    assert!(sixty.len() * 5 < fifty.len(), "the fleet layout is smaller");
}

/// The samples' five devices copied 2,000 times under new ids: 10,000 devices.
fn large_fleet() -> Report {
    common::copies_of(samples(), 2_000)
}

fn timed(renderer: &dyn Renderer, report: &Report) -> (usize, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    renderer.render(report, &mut out).expect("render");
    (out.len(), start.elapsed())
}

#[test]
fn reports_of_ten_thousand_devices_stay_readable() {
    let report = large_fleet();
    assert_eq!(report.devices.len(), 10_000);
    // Times are measured on the release binary by bench/report-formats; here, sizes.
    let (html_bytes, html_time) = timed(&HtmlRenderer, &report);
    let (table_bytes, table_time) = timed(&TableRenderer::default(), &report);
    eprintln!(
        "10,000 devices: HTML {html_bytes} B in {html_time:?}; table {table_bytes} B in {table_time:?}"
    );
    assert!(html_bytes < 5_000_000, "HTML {html_bytes} bytes");
    assert!(table_bytes < 50_000, "table {table_bytes} bytes");
    let html = render(&HtmlRenderer, &report);
    for part in [
        "Grade distribution",
        "Findings by rule",
        "Findings by model",
        "the 50 worst of 10000",
    ] {
        assert!(html.contains(part), "the page has {part}");
    }
    let table = table(&report, 100, false);
    assert!(table.contains("… and 9975 more devices"), "{table}");
}

// ---- item 9: HTML for a board ----

#[test]
fn html_reads_in_words_with_code_and_the_verdict_first() {
    let report = samples();
    let html = render(&HtmlRenderer, report);
    let verdict_end = html
        .find("<div class=\"page-break\">")
        .expect("a page break");
    let verdict = &html[..verdict_end];
    for part in [
        "Fleet grade",
        "Devices × controls",
        "The most serious risks",
        "Findings by control and severity",
    ] {
        assert!(verdict.contains(part), "the first page has {part}");
    }
    assert_eq!(
        verdict.matches("<li><span class=\"sev").count(),
        5,
        "five risks"
    );
    // "Not assessed" in words: no JSONPath on the page.
    assert!(!html.contains("nothing matches"), "a reason in JSONPath");
    assert!(!html.contains("$.controllers"), "a query on the page");
    assert!(html.contains("does not say anything about"));
    // Backticks in rule text are code.
    assert!(html.contains("<code>passwd NAME</code>"));
    assert!(!html.contains("`passwd NAME`"));
}

#[test]
fn the_compare_page_shows_coverage_beside_each_score_bar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("compare.html");
    drone_audit()
        .args([
            "compare",
            "samples/m2e-hq",
            "samples/px4-quad",
            "--format",
            "html",
            "-o",
        ])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).expect("page");
    let chart = &html[html.find("<svg").expect("chart")..html.find("</svg>").expect("end")];
    // Under the default policy m2e-hq is A over too little coverage, px4-quad F over enough.
    assert_eq!(chart.matches("<rect").count(), 2, "{chart}");
    assert_eq!(chart.matches(" (coverage ").count(), 2, "{chart}");
    assert!(chart.contains("grade A (coverage "), "{chart}");
    assert!(chart.contains("%, provisional)"), "{chart}");
    assert!(chart.contains("grade F (coverage "), "{chart}");
}

fn run_with_limit(command: &mut Command, limit: Duration) -> bool {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium(profile: &Path) -> Command {
    let mut command = Command::new("/usr/bin/chromium");
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-pdf-header-footer",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// Pages in a PDF Chromium wrote (its page objects are not compressed).
fn pdf_pages(pdf: &[u8]) -> usize {
    const PAGE: &[u8] = b"/Type /Page";
    pdf.windows(PAGE.len())
        .enumerate()
        .filter(|(at, window)| {
            *window == PAGE && pdf.get(at + PAGE.len()).is_some_and(|next| *next != b's')
        })
        .count()
}

/// The verdict (everything before the page break) prints on one A4 page in headless
/// Chromium. `DRONE_AUDIT_SCREENS=folder` keeps screenshots of the scan report's first
/// screen and of the compare page there.
#[test]
fn the_verdict_prints_on_the_first_page() {
    if !common::oracle("/usr/bin/chromium", "apt-get install chromium") {
        return;
    }
    let html = render(&HtmlRenderer, samples());
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = html
        .find("<div class=\"page-break\">")
        .expect("a page break");
    let body_end = html.find("</body>").expect("body");
    let verdict_only = format!("{}</main>{}", &html[..cut], &html[body_end..]);
    let page = dir.path().join("verdict.html");
    std::fs::write(&page, verdict_only).expect("write");
    let pdf = dir.path().join("verdict.pdf");
    assert!(
        run_with_limit(
            chromium(&dir.path().join("profile"))
                .arg(format!("--print-to-pdf={}", pdf.display()))
                .arg(format!("file://{}", page.display())),
            Duration::from_secs(120)
        ),
        "chromium printed in time"
    );
    let bytes = std::fs::read(&pdf).expect("the PDF");
    assert_eq!(pdf_pages(&bytes), 1, "the verdict fits the first page");

    if let Some(folder) = std::env::var_os("DRONE_AUDIT_SCREENS") {
        let folder = PathBuf::from(folder);
        let whole = dir.path().join("report.html");
        std::fs::write(&whole, &html).expect("write");
        let compare = dir.path().join("compare.html");
        drone_audit()
            .args([
                "compare",
                "samples/m2e-hq",
                "samples/px4-quad",
                "samples/anafi-thermal",
            ])
            .args(["samples/ardupilot-plane", "samples/m2e-field"])
            .args([
                "--policy",
                "samples/drone-audit.toml",
                "--format",
                "html",
                "-o",
            ])
            .arg(&compare)
            .assert()
            .success();
        for (name, source) in [("scan-first-page.png", &whole), ("compare.png", &compare)] {
            assert!(run_with_limit(
                chromium(&dir.path().join(name))
                    .arg("--window-size=1280,1000")
                    .arg(format!("--screenshot={}", folder.join(name).display()))
                    .arg(format!("file://{}", source.display())),
                Duration::from_secs(120)
            ));
        }
    }
}
