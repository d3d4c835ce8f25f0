//! `countshift report`: the text, the JSON, and the HTML report with its
//! plots, on each embedded dataset and on a user file.

mod common;

use common::{countshift, temp_file};
use roxmltree::{Document, ParsingOptions};

/// Parses XML (the page is written as polyglot HTML, so it parses too).
fn parse(text: &str) -> Document<'_> {
    Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: true,
            ..ParsingOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("not well formed: {e}"))
}

/// Checks one SVG plot: well formed, a title, axes labels, and drawn marks.
fn check_svg(svg: &str, name: &str) {
    let doc = parse(svg);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{name}");
    let texts: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(texts.len() >= 5, "{name}: too little text: {texts:?}");
    let marks = root
        .descendants()
        .filter(|n| ["polyline", "circle", "rect", "polygon", "path", "line"].contains(&n.tag_name().name()))
        .count();
    assert!(marks > 10, "{name}: {marks} marks");
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "{name} holds a non-finite coordinate"
    );
}

/// Renders the report for `args` into a temporary directory and checks
/// every file; returns the page and the plot names it holds.
fn render(args: &[&str], plots: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let out_text = out.to_str().unwrap();
    let mut full = vec!["report"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--out", out_text, "--bootstrap", "99", "--draws", "2000"]);
    let run = countshift(&full);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("wrote"), "{}", run.stdout);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse(&html);
    for &name in plots {
        let figure = doc
            .descendants()
            .find(|n| n.has_tag_name("figure") && n.attribute("id") == Some(name))
            .unwrap_or_else(|| panic!("no figure {name}"));
        assert!(figure.descendants().any(|n| n.tag_name().name() == "svg"), "{name}");
        check_svg(&std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap(), name);
    }
    assert!(!html.contains("<script"), "the page needs no JavaScript");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "the page loads nothing from the network"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for key in ["data", "test", "share_test", "detect", "backtest", "forecast", "fitted"] {
        assert!(json.get(key).is_some(), "report.json lacks {key}");
    }
    html
}

#[test]
fn report_on_the_reported_figures() {
    let html = render(
        &["--dataset", "kn23_2024_reported"],
        &["series", "profile", "posterior", "forecast"],
    );
    assert!(html.contains("rate ratio   9.25 [4.75, 20.8]"));
    assert!(html.contains("not run: backtests compare forecasts with single-period observations"));
    assert!(!html.contains("id=\"backtest\""));
}

#[test]
fn report_on_the_monthly_series() {
    let html = render(
        &["--dataset", "kn23_monthly"],
        &["series", "profile", "posterior", "forecast", "backtest"],
    );
    assert!(html.contains("forecasts best"), "the backtest verdict is shown");
}

#[test]
fn report_on_a_user_file_has_no_known_date_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    let counts = [3, 2, 4, 1, 3, 2, 3, 9, 11, 8, 12, 10, 9, 11, 13, 10];
    let mut csv = String::from("period,count\n");
    for (i, c) in counts.iter().enumerate() {
        csv += &format!("{}-{:02},{c}\n", 2023 + i / 12, i % 12 + 1);
    }
    let path = temp_file(&dir, "s.csv", csv.as_bytes());
    let run = countshift(&["report", "--data", &path, "--bootstrap", "99", "--draws", "1000"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("not run: no known date: give --at PERIOD"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("not run: the series has no exposure"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("break        2023-08"), "{}", run.stdout);
    let run = countshift(&[
        "report",
        "--data",
        &path,
        "--at",
        "2023-08",
        "--bootstrap",
        "99",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["test"]["at"], "2023-08");
    assert_eq!(json["schema_version"], 1);
    assert!(json["share_test"]["skipped"].is_string());
    let bad = countshift(&["report", "--data", &path, "--at", "2031-01"]);
    assert_eq!(
        bad.code, 0,
        "a date outside the series is a skipped step: {}",
        bad.stderr
    );
    assert!(bad.stdout.contains("not run:"), "{}", bad.stdout);
}

#[test]
fn the_main_job_is_the_report_on_the_default_data() {
    let run = countshift(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for needle in [
        "1. Did the rate jump at 2024-07?",
        "2. Did the share change",
        "3. When did the rate change?",
        "4. How many times did the rate change?",
        "6. What comes next?",
        "next 6 months: about",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
    assert!(!run.stdout.contains('\x1b'), "no colour when not a terminal");
}

/// Issue 17, class 5: `report --out DIR` replaces a link planted in DIR
/// instead of writing through it, creates nothing where a dangling link
/// points, says what it replaced, and removes only the files its own
/// manifest lists.
#[cfg(unix)]
#[test]
fn report_out_never_writes_through_a_link_nor_deletes_other_files() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let dangling_target = outside.path().join("created-by-the-link.txt");
    let dir = tempfile::tempdir().unwrap();
    symlink(&victim, dir.path().join("index.html")).unwrap();
    symlink(&dangling_target, dir.path().join("report.json")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let out = dir.path().to_str().unwrap();
    let quick = ["report", "--bootstrap", "99", "--draws", "500", "--out", out];
    let run = countshift(&quick);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(!dangling_target.exists(), "the dangling link's target was created");
    for name in ["index.html", "report.json"] {
        let meta = std::fs::symlink_metadata(dir.path().join(name)).unwrap();
        assert!(meta.file_type().is_file(), "{name} is still a link");
    }
    assert!(run.stdout.contains("(2 existing files replaced)"), "{}", run.stdout);
    // A stale file the manifest lists goes; a file of the user's stays.
    let manifest = dir.path().join("countshift-report.txt");
    let mut listed = std::fs::read_to_string(&manifest).unwrap();
    listed += "old-plot.svg\n";
    std::fs::write(&manifest, listed).unwrap();
    std::fs::write(dir.path().join("old-plot.svg"), "<svg/>").unwrap();
    let run = countshift(&quick);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.path().join("old-plot.svg").exists());
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
    assert!(
        run.stdout.contains("1 file of the earlier report removed"),
        "{}",
        run.stdout
    );
    let entries: Vec<String> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["victim.txt"]);
}

/// The report's several-breaks step answers as `detect --max-breaks 3`
/// does on the same data: the same JSON, number tests, date sets and
/// posterior included.
#[test]
fn the_several_breaks_step_is_detect_with_three_breaks() {
    let json = |args: &[&str]| -> serde_json::Value {
        let r = countshift(args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    for family in ["auto", "poisson"] {
        let report = json(&[
            "report",
            "--dataset",
            "kn23_monthly",
            "--family",
            family,
            "--format",
            "json",
        ]);
        let detect = json(&[
            "detect",
            "--dataset",
            "kn23_monthly",
            "--family",
            family,
            "--max-breaks",
            "3",
            "--format",
            "json",
        ]);
        assert_eq!(report["breaks"], detect, "--family {family}");
    }
}
