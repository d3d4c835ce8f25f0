//! The HTML report: one self-contained page (no scripts, no network) with
//! each question's answer as text and its plots inline as SVG, written with
//! the plots as files and every step's JSON as `report.json`.

use std::path::{Path, PathBuf};

use super::analysis::Report;
use super::plot::{Plot, plots};
use crate::data::Series;
use crate::error::{Error, Result};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}\
pre{background:#f7f7f7;padding:.8rem;overflow-x:auto;font-size:.85rem;line-height:1.35}\
figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}svg{max-width:100%;height:auto}\
.verdict{font-weight:bold}footer{color:#777;font-size:.8rem;margin-top:3rem}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page for `report`, with `plots` placed under their questions.
pub fn page(report: &Report, series: &Series, plots: &[Plot]) -> String {
    let sections = report.sections(series);
    let mut html = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    html += &format!(
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(sections.first().map_or("countshift report", |s| s.title.as_str()))
    );
    for (i, section) in sections.iter().enumerate() {
        let tag = if i == 0 { "h1" } else { "h2" };
        html += &format!("<{tag}>{}</{tag}>\n<pre>", escape(&section.title));
        for line in section.body.lines() {
            if line.trim_start().starts_with("verdict:") {
                html += &format!("<span class=\"verdict\">{}</span>\n", escape(line));
            } else {
                html += &format!("{}\n", escape(line));
            }
        }
        html += "</pre>\n";
        for plot in plots.iter().filter(|p| section.plots.contains(&p.name)) {
            html += &format!(
                "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                plot.name,
                plot.svg.trim(),
                escape(&plot.title)
            );
        }
    }
    html += &format!(
        "<footer>countshift {}; every number above is in report.json.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    html
}

/// Writes `index.html`, `report.json` and one SVG per plot into `dir`
/// (created if needed), each by a rename from a temporary file, with a
/// manifest naming them; removes the files an earlier report's manifest
/// lists that this report has not.
///
/// # Errors
/// [`Error::Write`] when the directory or a file cannot be written;
/// [`Error::Plot`] when a plot cannot be drawn.
pub fn write_report(dir: &Path, report: &Report, series: &Series) -> Result<WrittenReport> {
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    let plots = plots(report, series)?;
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Numerical(format!("report.json: {e}")))? + "\n";
    let mut files: Vec<(String, String)> = vec![
        ("index.html".into(), page(report, series, &plots)),
        ("report.json".into(), json),
    ];
    files.extend(plots.iter().map(|p| (format!("{}.svg", p.name), p.svg.clone())));
    let earlier = read_manifest(dir);
    let mut written = WrittenReport::default();
    for (name, text) in &files {
        let path = dir.join(name);
        // A link planted at the name is replaced, never followed.
        if std::fs::symlink_metadata(&path).is_ok() {
            written.replaced += 1;
        }
        super::write_file(&path, text)?;
        written.files.push(path);
    }
    // Files of the earlier report that this one no longer has, by its
    // manifest only: nothing else in DIR is touched.
    for name in earlier.iter().filter(|n| !files.iter().any(|(f, _)| f == *n)) {
        let path = dir.join(name);
        if std::fs::remove_file(&path).is_ok() {
            written.removed.push(path);
        }
    }
    let manifest: String = std::iter::once(MANIFEST_HEADER.to_string())
        .chain(files.iter().map(|(n, _)| n.clone()))
        .map(|l| l + "\n")
        .collect();
    let path = dir.join(MANIFEST);
    super::write_file(&path, &manifest)?;
    Ok(written)
}

/// What [`write_report`] did in its directory.
#[derive(Debug, Default)]
pub struct WrittenReport {
    /// The files written, the page first.
    pub files: Vec<PathBuf>,
    /// How many of them replaced a file (or link) of the same name.
    pub replaced: usize,
    /// Files of an earlier report that its manifest listed and this one has not.
    pub removed: Vec<PathBuf>,
}

/// The manifest a report writes beside its files, naming them.
const MANIFEST: &str = "countshift-report.txt";
const MANIFEST_HEADER: &str = "# written by countshift report: the files of this report, replaced by the next";

/// The file names an earlier report's manifest lists: plain names only (no
/// path separators, no leading dot), and only if the manifest is a regular
/// file that countshift wrote.
fn read_manifest(dir: &Path) -> Vec<String> {
    let path = dir.join(MANIFEST);
    let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    let text = if regular {
        std::fs::read_to_string(&path).unwrap_or_default()
    } else {
        String::new()
    };
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEADER) {
        return Vec::new();
    }
    lines
        .filter(|n| !n.is_empty() && !n.starts_with('.') && !n.contains(['/', '\\']) && *n != MANIFEST)
        .map(str::to_owned)
        .collect()
}
