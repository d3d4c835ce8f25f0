//! SVG plots of a report, drawn with plotters (text stays `<text>`, no
//! fonts needed). The x axis counts periods from the series' first one;
//! period `i` spans `[i, i + 1)` and its labels are dates.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::analysis::Report;
use super::format::{counted_s, sig3};
use crate::data::{Period, Series};
use crate::error::{Error, Result};
use crate::forecast::Predictive;

const SIZE: (u32, u32) = (760, 380);
const DATA: RGBColor = RGBColor(40, 40, 40);
const FITTED: RGBColor = RGBColor(31, 119, 180);
const BREAK: RGBColor = RGBColor(214, 39, 40);
const KNOWN: RGBColor = RGBColor(255, 127, 14);
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type Point = (f64, f64);
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// A named SVG plot.
#[derive(Debug, Clone)]
pub struct Plot {
    /// File stem, e.g. `series`.
    pub name: &'static str,
    /// What it shows, for the page.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// The axes of one chart.
struct Frame<'s> {
    title: String,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_desc: &'s str,
    y_desc: String,
    first: Period,
    /// The y values are log10 of what is plotted; labels show the values.
    y_log: bool,
}

/// Draws one chart: frame, mesh with date labels, then `body`, then the legend.
fn draw(frame: &Frame, body: impl FnOnce(&mut Chart) -> DrawResult) -> Result<String> {
    let mut svg = String::new();
    let drawn: DrawResult = (|| {
        let root: DrawingArea<SVGBackend, Shift> = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&frame.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(frame.x.clone(), frame.y.clone())?;
        let (first, end) = (frame.first, frame.x.end);
        let label = move |x: &f64| -> String {
            if x.fract().abs() < 1e-9 && *x < end {
                first.offset(*x as i64).to_string()
            } else {
                String::new()
            }
        };
        let y_log = frame.y_log;
        let y_label = move |y: &f64| sig3(if y_log { 10f64.powf(*y) } else { *y });
        chart
            .configure_mesh()
            .x_desc(frame.x_desc)
            .y_desc(&frame.y_desc)
            .x_labels(8)
            .x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        body(&mut chart)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .draw()?;
        root.present()?;
        Ok(())
    })();
    drawn.map_err(|e| Error::Plot(format!("{}: {e}", frame.title)))?;
    Ok(svg)
}

fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
}

/// The observations as drawn: a point per single-period count, and the
/// per-period average of a run row over each of its periods.
fn observed(series: &Series, from: usize) -> (Vec<Point>, Vec<[Point; 2]>) {
    let mut points = Vec::new();
    let mut runs = Vec::new();
    for o in &series.observations {
        if let [t] = o.periods[..] {
            if t >= from {
                points.push((t as f64 + 0.5, o.y));
            }
        } else {
            let average = o.y / o.periods.len() as f64;
            runs.extend(
                o.periods
                    .iter()
                    .filter(|&&t| t >= from)
                    .map(|&t| [(t as f64, average), (t as f64 + 1.0, average)]),
            );
        }
    }
    (points, runs)
}

/// Heights of the drawn observations: points and run-row averages.
fn heights<'a>(points: &'a [Point], runs: &'a [[Point; 2]]) -> impl Iterator<Item = f64> + 'a {
    points.iter().map(|p| p.1).chain(runs.iter().map(|r| r[0].1))
}

/// Per-date values placed at their period's position on the x axis.
fn by_period(series: &Series, values: impl Iterator<Item = (Period, f64)>) -> Vec<Point> {
    values
        .filter_map(|(p, v)| series.index_of(p).map(|i| (i as f64, v)))
        .collect()
}

fn draw_observed(chart: &mut Chart, series: &Series, from: usize) -> DrawResult {
    let (points, runs) = observed(series, from);
    if !points.is_empty() {
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, DATA.filled())))?
            .label("observed count")
            .legend(|(x, y)| Circle::new((x + 9, y), 3, DATA.filled()));
    }
    if !runs.is_empty() {
        chart
            .draw_series(runs.iter().map(|r| PathElement::new(r.to_vec(), DATA.stroke_width(3))))?
            .label("run row: count per period")
            .legend(legend_line(DATA));
    }
    Ok(())
}

fn top(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
    if max > 0.0 { max * 1.12 } else { 1.0 }
}

/// Counts with the fitted mean of the forecast model, the detected break
/// (solid) with its date set, and the known date (dashed).
fn series_plot(report: &Report, series: &Series, unit: &str) -> Result<String> {
    let n = series.n_periods as f64;
    let (points, runs) = observed(series, 0);
    let y_max = top(heights(&points, &runs).chain(report.fitted.iter().map(|f| f.mean)));
    let frame = Frame {
        title: format!("{}: counts per {unit} and fitted mean", series.source),
        x: 0.0..n,
        y: 0.0..y_max,
        x_desc: unit,
        y_desc: format!("count per {unit}"),
        first: series.first,
        y_log: false,
    };
    let idx = |p: Period| series.index_of(p).map(|i| i as f64);
    let detected = report.detect.done().and_then(|d| d.breaks.first());
    let known = report.known_date.and_then(idx);
    // On the same month the known date's dashes are drawn over a wider
    // detected-break line, so both show, and the legend says so.
    let coincide = known.is_some() && detected.and_then(|b| idx(b.period)) == known;
    draw(&frame, |chart| {
        if let Some(b) = detected {
            let set: Vec<f64> = b.set.iter().filter_map(|&p| idx(p)).collect();
            if let (Some(lo), Some(hi)) = (
                set.iter().copied().reduce(f64::min),
                set.iter().copied().reduce(f64::max),
            ) {
                chart
                    .draw_series([Rectangle::new([(lo, 0.0), (hi + 1.0, y_max)], BREAK.mix(0.12).filled())])?
                    .label("break-date set")
                    .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], BREAK.mix(0.2).filled()));
            }
            if let Some(x) = idx(b.period) {
                let width = if coincide { 6 } else { 2 };
                chart
                    .draw_series([PathElement::new(vec![(x, 0.0), (x, y_max)], BREAK.stroke_width(width))])?
                    .label(format!("detected break {}", b.period))
                    .legend(legend_line(BREAK));
            }
        }
        if let Some(x) = known {
            let date = series.first.offset(x as i64);
            chart
                .draw_series([DashedPathElement::new(
                    vec![(x, 0.0), (x, y_max)],
                    8,
                    5,
                    KNOWN.stroke_width(2),
                )])?
                .label(if coincide {
                    format!("known date {date}, also the detected break")
                } else {
                    format!("known date {date}")
                })
                .legend(|(x, y)| DashedPathElement::new(vec![(x, y), (x + 18, y)], 5, 3, KNOWN.stroke_width(2)));
        }
        if !report.fitted.is_empty() {
            let path: Vec<(f64, f64)> = report
                .fitted
                .iter()
                .enumerate()
                .flat_map(|(t, f)| [(t as f64, f.mean), (t as f64 + 1.0, f.mean)])
                .collect();
            let model = report.forecast_model.done().map_or("", |m| m.model.as_str());
            chart
                .draw_series(LineSeries::new(path, FITTED.stroke_width(2)))?
                .label(format!("fitted mean ({model})"))
                .legend(legend_line(FITTED));
        }
        draw_observed(chart, series, 0)
    })
}

/// The profile log-likelihood over candidate dates, with the cut-off of the
/// date set.
fn profile_plot(report: &Report, series: &Series) -> Result<Option<String>> {
    let Some(d) = report.detect.done().filter(|d| !d.profile.is_empty()) else {
        return Ok(None);
    };
    let points = by_period(series, d.profile.iter().map(|p| (p.period, p.loglik)));
    let max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let cut = d.set_cutoff.map(|c| max - c / 2.0);
    let low = cut.map_or(min, |c| c.min(min));
    let pad = ((max - low) * 0.08).max(0.5);
    let (x0, x1) = (
        points.first().map_or(0.0, |p| p.0) - 0.5,
        points.last().map_or(1.0, |p| p.0) + 0.5,
    );
    let frame = Frame {
        title: "Profile log-likelihood of the break date".into(),
        x: x0..x1,
        y: low - pad..max + pad,
        x_desc: "first period of the new regime",
        y_desc: "log-likelihood".into(),
        first: series.first,
        y_log: false,
    };
    draw(&frame, |chart| {
        if let Some(c) = cut {
            chart
                .draw_series([PathElement::new(vec![(x0, c), (x1, c)], BREAK.stroke_width(1))])?
                .label(format!(
                    "{:.0}% date-set cut-off",
                    d.breaks.first().map_or(95.0, |b| b.rate_before.level * 100.0)
                ))
                .legend(legend_line(BREAK));
        }
        chart
            .draw_series(LineSeries::new(points.clone(), FITTED.stroke_width(2)))?
            .label("profile log-likelihood")
            .legend(legend_line(FITTED));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, FITTED.filled())))?;
        Ok(())
    })
    .map(Some)
}

/// The posterior probability of each break date.
fn posterior_plot(report: &Report, series: &Series) -> Result<Option<String>> {
    let Some(d) = report.detect.done().filter(|d| !d.posterior.is_empty()) else {
        return Ok(None);
    };
    let bars = by_period(series, d.posterior.iter().map(|p| (p.period, p.probability)));
    let (x0, x1) = (
        bars.first().map_or(0.0, |p| p.0) - 0.5,
        bars.last().map_or(1.0, |p| p.0) + 1.5,
    );
    let frame = Frame {
        title: "Posterior probability of the break date".into(),
        x: x0..x1,
        y: 0.0..top(bars.iter().map(|b| b.1)).min(1.05),
        x_desc: "first period of the new regime",
        y_desc: "probability".into(),
        first: series.first,
        y_log: false,
    };
    probability_bars(&frame, &bars, d.posterior_method.unwrap_or("posterior")).map(Some)
}

/// The series with every break of the several-breaks step: a line at each
/// break and a shaded band over each period of its date set (the set need
/// not be contiguous), and the segments' levels.
fn breaks_plot(report: &Report, series: &Series, unit: &str) -> Result<Option<String>> {
    let Some(d) = report.breaks.done() else {
        return Ok(None);
    };
    let n = series.n_periods as f64;
    let (points, runs) = observed(series, 0);
    let per_period = |level: f64| if d.offset { None } else { Some(level) };
    let levels: Vec<(f64, f64, f64)> = d
        .segments
        .iter()
        .filter_map(|s| {
            let (a, b) = (series.index_of(s.start)?, series.index_of(s.end)?);
            Some((a as f64, b as f64 + 1.0, per_period(s.level.estimate?)?))
        })
        .collect();
    let y_max = top(heights(&points, &runs).chain(levels.iter().map(|l| l.2)));
    let frame = Frame {
        title: format!(
            "{}: {} ({} model)",
            series.source,
            counted_s(d.breaks.len(), "break"),
            d.family
        ),
        x: 0.0..n,
        y: 0.0..y_max,
        x_desc: unit,
        y_desc: format!("count per {unit}"),
        first: series.first,
        y_log: false,
    };
    let idx = |p: Period| series.index_of(p).map(|i| i as f64);
    draw(&frame, |chart| {
        let cells: Vec<f64> = d
            .breaks
            .iter()
            .flat_map(|b| b.set.iter().filter_map(|&p| idx(p)))
            .collect();
        if !cells.is_empty() {
            chart
                .draw_series(
                    cells
                        .iter()
                        .map(|&x| Rectangle::new([(x, 0.0), (x + 1.0, y_max)], BREAK.mix(0.12).filled())),
                )?
                .label("date sets")
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], BREAK.mix(0.2).filled()));
        }
        let lines: Vec<f64> = d.breaks.iter().filter_map(|b| idx(b.period)).collect();
        if !lines.is_empty() {
            chart
                .draw_series(
                    lines
                        .iter()
                        .map(|&x| PathElement::new(vec![(x, 0.0), (x, y_max)], BREAK.stroke_width(2))),
                )?
                .label("breaks")
                .legend(legend_line(BREAK));
        }
        if !levels.is_empty() {
            chart
                .draw_series(
                    levels
                        .iter()
                        .map(|&(a, b, l)| PathElement::new(vec![(a, l), (b, l)], FITTED.stroke_width(2))),
                )?
                .label("segment levels")
                .legend(legend_line(FITTED));
        }
        draw_observed(chart, series, 0)
    })
    .map(Some)
}

/// The posterior probability of a break at each period, from the exact
/// posterior over segmentations.
fn break_probability_plot(report: &Report, series: &Series) -> Result<Option<String>> {
    let Some(d) = report.breaks.done().filter(|d| !d.break_probability.is_empty()) else {
        return Ok(None);
    };
    let bars = by_period(series, d.break_probability.iter().map(|p| (p.period, p.probability)));
    let frame = Frame {
        title: "Posterior probability of a break in each period".into(),
        x: 0.0..series.n_periods as f64,
        y: 0.0..1.05,
        x_desc: "first period of the new regime",
        y_desc: "probability".into(),
        first: series.first,
        y_log: false,
    };
    probability_bars(
        &frame,
        &bars,
        "P(a break at the period), exact posterior over segmentations",
    )
    .map(Some)
}

/// One bar per (position, probability), labelled `label`.
fn probability_bars(frame: &Frame, bars: &[(f64, f64)], label: &str) -> Result<String> {
    draw(frame, |chart| {
        chart
            .draw_series(
                bars.iter()
                    .map(|&(x, p)| Rectangle::new([(x + 0.1, 0.0), (x + 0.9, p)], FITTED.mix(0.8).filled())),
            )?
            .label(label)
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], FITTED.mix(0.8).filled()));
        Ok(())
    })
}

/// The last three years of data and the forecast fan: 95, 80 and 50%
/// prediction intervals around the median.
fn forecast_plot(report: &Report, series: &Series, unit: &str) -> Result<Option<String>> {
    let Some(f) = report.forecast.done().filter(|f| !f.forecasts.is_empty()) else {
        return Ok(None);
    };
    let n = series.n_periods;
    let from = n.saturating_sub(36);
    let future: Vec<(f64, &Predictive)> = f
        .forecasts
        .iter()
        .map(|r| (r.period.steps_since(series.first) as f64 + 0.5, &r.predictive))
        .collect();
    let (points, runs) = observed(series, from);
    let y_max = top(heights(&points, &runs).chain(future.iter().map(|(_, p)| p.upper_95)));
    let frame = Frame {
        title: format!("Forecast for the next {}", counted_s(f.forecasts.len(), unit)),
        x: from as f64..future.last().map_or(n as f64, |p| p.0 + 0.5),
        y: 0.0..y_max,
        x_desc: unit,
        y_desc: format!("count per {unit}"),
        first: series.first,
        y_log: false,
    };
    draw(&frame, |chart| {
        type Band = fn(&Predictive) -> (f64, f64);
        let bands: [(u32, f64, Band); 3] = [
            (95, 0.15, |p| (p.lower_95, p.upper_95)),
            (80, 0.25, |p| (p.lower_80, p.upper_80)),
            (50, 0.4, |p| (p.lower_50, p.upper_50)),
        ];
        for (share, alpha, band_of) in bands {
            let band: Vec<(f64, f64)> = future
                .iter()
                .map(|(x, p)| (*x, band_of(p).1))
                .chain(future.iter().rev().map(|(x, p)| (*x, band_of(p).0)))
                .collect();
            chart
                .draw_series([Polygon::new(band, FITTED.mix(alpha).filled())])?
                .label(format!("{share}% prediction interval"))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], FITTED.mix(alpha).filled()));
        }
        chart
            .draw_series(LineSeries::new(
                future.iter().map(|(x, p)| (*x, p.median)),
                FITTED.stroke_width(2),
            ))?
            .label("median")
            .legend(legend_line(FITTED));
        draw_observed(chart, series, from)
    })
    .map(Some)
}

/// Mean ranked probability score per horizon step, one line per model.
fn backtest_plot(report: &Report) -> Result<Option<String>> {
    let Some(b) = report.backtest.done() else {
        return Ok(None);
    };
    let lines: Vec<(&str, Vec<(f64, f64)>)> = b
        .ranking
        .iter()
        .map(|m| {
            let points = b
                .rows
                .iter()
                .filter(|r| &r.model == m && r.rps.is_finite())
                .filter_map(|r| r.step.map(|s| (s as f64, r.rps)))
                .collect();
            (m.as_str(), points)
        })
        .collect();
    let scores = || lines.iter().flat_map(|l| l.1.iter().map(|p| p.1));
    let (low, high) = (scores().fold(f64::INFINITY, f64::min), scores().fold(0.0, f64::max));
    // Scores spanning more than a factor 20 are drawn on a log scale, so the
    // best models are not flattened by the worst.
    let linear_top = top(scores());
    let y_log = low > 0.0 && high / low > 20.0;
    let lines: Vec<(&str, Vec<(f64, f64)>)> = if y_log {
        lines
            .into_iter()
            .map(|(m, points)| (m, points.into_iter().map(|(x, y)| (x, y.log10())).collect()))
            .collect()
    } else {
        lines
    };
    let frame = Frame {
        title: "Backtest: mean ranked probability score by horizon (lower is better)".into(),
        x: 0.5..b.horizon as f64 + 0.5,
        y: if y_log {
            low.log10() - 0.1..high.log10() + 0.1
        } else {
            0.0..linear_top
        },
        x_desc: "periods ahead",
        y_desc: format!("ranked probability score{}", if y_log { " (log scale)" } else { "" }),
        // Steps are labelled as numbers, not dates.
        first: Period::index(0),
        y_log,
    };
    draw(&frame, |chart| {
        for (i, (model, points)) in lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(format!("{}. {model}", i + 1))
                .legend(legend_line(color));
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        Ok(())
    })
    .map(Some)
}

/// Every plot the report's data allow, in reading order.
///
/// # Errors
/// [`Error::Plot`] if plotters fails to draw (an internal failure).
pub fn plots(report: &Report, series: &Series) -> Result<Vec<Plot>> {
    let unit = series.frequency.unit();
    let mut out = vec![Plot {
        name: "series",
        title: "The series, the fitted mean and the break".into(),
        svg: series_plot(report, series, unit)?,
    }];
    let optional = [
        (
            "profile",
            "Profile log-likelihood of the break date",
            profile_plot(report, series)?,
        ),
        (
            "posterior",
            "Posterior over break dates",
            posterior_plot(report, series)?,
        ),
        (
            "breaks",
            "Several breaks with their date sets",
            breaks_plot(report, series, unit)?,
        ),
        (
            "break_probability",
            "Posterior probability of a break per period",
            break_probability_plot(report, series)?,
        ),
        ("forecast", "Forecast fan", forecast_plot(report, series, unit)?),
        ("backtest", "Backtest scores", backtest_plot(report)?),
    ];
    out.extend(optional.into_iter().filter_map(|(name, title, svg)| {
        svg.map(|svg| Plot {
            name,
            title: title.into(),
            svg,
        })
    }));
    Ok(out)
}
