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
/// (created if needed); returns the paths written.
///
/// # Errors
/// [`Error::Io`] when the directory or a file cannot be written;
/// [`Error::Plot`] when a plot cannot be drawn.
pub fn write_report(dir: &Path, report: &Report, series: &Series) -> Result<Vec<PathBuf>> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let plots = plots(report, series)?;
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Numerical(format!("report.json: {e}")))? + "\n";
    let mut files: Vec<(PathBuf, String)> = vec![
        (dir.join("index.html"), page(report, series, &plots)),
        (dir.join("report.json"), json),
    ];
    files.extend(
        plots
            .iter()
            .map(|p| (dir.join(format!("{}.svg", p.name)), p.svg.clone())),
    );
    for (path, text) in &files {
        std::fs::write(path, text).map_err(io(path))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}
