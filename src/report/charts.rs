//! The three charts of the report, drawn with plotters' SVG backend into strings.
//!
//! plotters is built without its font features, so text is laid out by its font-free
//! estimator and emitted as plain SVG `<text>` elements that the browser renders with its own
//! fonts: no system font is read here. The `xmlns` attribute is dropped because the SVGs are
//! inlined in HTML, where it is implied, and the page must not mention any URL.

use plotters::prelude::*;

use super::ReportError;
use super::labels::Labels;
use crate::fund::{FundResult, Histogram};

pub(super) const WIDTH: u32 = 900;
pub(super) const HEIGHT: u32 = 420;
pub(super) const FONT: &str = "sans-serif";
pub(super) const BLUE: RGBColor = RGBColor(31, 94, 168);
pub(super) const RED: RGBColor = RGBColor(196, 46, 46);
pub(super) const ORANGE: RGBColor = RGBColor(214, 120, 20);
pub(super) const GREY: RGBColor = RGBColor(90, 90, 90);

pub(super) fn chart_err<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Removes the namespace attribute plotters writes (implied for SVG inlined in HTML).
/// Draws the series legend in the reports' style (white, bordered) at `position`.
pub(super) fn draw_legend<'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: SeriesLabelPosition,
) -> Result<(), ReportError> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(GREY)
        .draw()
        .map_err(chart_err)
}

pub(super) fn inline_svg(svg: String) -> String {
    svg.replace(r#" xmlns="http://www.w3.org/2000/svg""#, "")
}

/// A non-empty, slightly padded axis range containing every value.
pub(super) fn padded_range(
    values: impl IntoIterator<Item = f64>,
    include_zero: bool,
) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.05;
    (
        if include_zero && lo >= 0.0 {
            lo
        } else {
            lo - pad
        },
        hi + pad,
    )
}

/// A short tick label for an amount already in display units.
pub(super) fn tick(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Fan chart of the end-of-year fund balance: year 0 is the initial capital; bands are the
/// quantiles the result carries (1–99/5–95/25–50 % with lower quantiles, else 50–95/95–99 %).
pub fn balance_fan(result: &FundResult, labels: &Labels) -> Result<String, ReportError> {
    let unit = labels.unit_yuan;
    let start = result.initial_capital.to_f64() / unit;
    let years = &result.years;
    let x_max = years.len().max(1) as f64;
    let at = |f: &dyn Fn(&crate::fund::YearResult) -> f64| -> Vec<(f64, f64)> {
        std::iter::once((0.0, start))
            .chain(years.iter().map(|y| (f64::from(y.year), f(y) / unit)))
            .collect()
    };
    let p50 = at(&|y| y.fund_balance_end.p50);
    let p95 = at(&|y| y.fund_balance_end.p95);
    let p99 = at(&|y| y.fund_balance_end.p99);
    let mean = at(&|y| y.fund_balance_end.mean);
    let has_lower = !years.is_empty() && years.iter().all(|y| y.fund_balance_lower.is_some());
    let lower = |f: &dyn Fn(&crate::fund::LowerQuantiles) -> f64| {
        at(&|y| {
            y.fund_balance_lower
                .as_ref()
                .map_or(y.fund_balance_end.p50, f)
        })
    };
    let (p01, p05, p25) = (lower(&|q| q.p01), lower(&|q| q.p05), lower(&|q| q.p25));
    let all = [&p50, &p95, &p99, &mean, &p01, &p05, &p25];
    let (y_lo, y_hi) = padded_range(all.iter().flat_map(|s| s.iter().map(|p| p.1)), true);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(labels.fan_title, (FONT, 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..x_max, y_lo..y_hi)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_labels(years.len() + 1)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick(*v))
            .x_desc(labels.year)
            .y_desc(labels.balance)
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        let band = |upper: &[(f64, f64)], lower: &[(f64, f64)]| -> Vec<(f64, f64)> {
            upper
                .iter()
                .copied()
                .chain(lower.iter().rev().copied())
                .collect()
        };
        let bands: Vec<(Vec<(f64, f64)>, f64)> = if has_lower {
            vec![
                (band(&p99, &p01), 0.12),
                (band(&p95, &p05), 0.22),
                (band(&p50, &p25), 0.35),
            ]
        } else {
            vec![(band(&p99, &p95), 0.12), (band(&p95, &p50), 0.25)]
        };
        for (points, alpha) in bands {
            chart
                .draw_series(std::iter::once(Polygon::new(points, BLUE.mix(alpha))))
                .map_err(chart_err)?;
        }
        chart
            .draw_series(LineSeries::new(p50.clone(), BLUE.stroke_width(3)))
            .map_err(chart_err)?
            .label(labels.median)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
        chart
            .draw_series(
                mean.iter()
                    .map(|&(x, y)| Circle::new((x, y), 4, ORANGE.filled())),
            )
            .map_err(chart_err)?
            .label(labels.mean)
            .legend(|(x, y)| Circle::new((x + 10, y), 4, ORANGE.filled()));
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        root.present().map_err(chart_err)?;
    }
    Ok(inline_svg(svg))
}

/// Histogram of horizon fund claims (share of paths per bin) with VaR 99 and ES 99 marked.
/// `None` when the result carries no histogram.
pub fn claims_histogram(
    result: &FundResult,
    labels: &Labels,
) -> Result<Option<String>, ReportError> {
    let Some(hist) = result.lifetime.claims_histogram.as_ref() else {
        return Ok(None);
    };
    let unit = labels.unit_yuan;
    let var = result.lifetime.fund_claims.p99 / unit;
    let es = result.lifetime.fund_claims.es99 / unit;
    let bars = histogram_bars(hist, unit);
    let (x_lo, x_hi) = padded_range(bars.iter().flat_map(|b| [b.0, b.1]).chain([var, es]), true);
    let top = bars.iter().map(|b| b.2).fold(0.0, f64::max).max(1e-9) * 1.15;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(labels.hist_title, (FONT, 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(x_lo..x_hi, 0.0..top)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .x_desc(labels.hist_x)
            .y_desc(labels.hist_y)
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(bars.iter().map(|&(a, b, share)| {
                Rectangle::new([(a, 0.0), (b, share)], BLUE.mix(0.55).filled())
            }))
            .map_err(chart_err)?;
        for (x, name, colour, row) in [
            (var, labels.var99, RED, 0.93),
            (es, labels.es99, ORANGE, 0.84),
        ] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, top)],
                    colour.stroke_width(2),
                )))
                .map_err(chart_err)?;
            let text = format!("{name} = {}", tick(x));
            // Just right of the line, so the line does not strike through the label.
            let offset = (x_hi - x_lo) * 0.006;
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (x + offset, top * row),
                    (FONT, 15).into_font().color(&colour),
                )))
                .map_err(chart_err)?;
        }
        root.present().map_err(chart_err)?;
    }
    Ok(Some(inline_svg(svg)))
}

/// `(left, right, share of paths in %)` per bin, in display units.
fn histogram_bars(hist: &Histogram, unit: f64) -> Vec<(f64, f64, f64)> {
    let total = hist.total().max(1) as f64;
    hist.counts
        .iter()
        .zip(hist.edges.windows(2))
        .map(|(&c, e)| (e[0] / unit, e[1] / unit, 100.0 * c as f64 / total))
        .collect()
}

/// Shortfall probability by year (bars, in %) with ± 2 standard-error whiskers.
pub fn shortfall_by_year(result: &FundResult, labels: &Labels) -> Result<String, ReportError> {
    let years = &result.years;
    let x_max = years.len() as f64 + 0.5;
    let pct: Vec<(f64, f64, f64)> = years
        .iter()
        .map(|y| {
            (
                f64::from(y.year),
                100.0 * y.shortfall_probability,
                100.0 * y.shortfall_probability_stderr,
            )
        })
        .collect();
    let top = pct
        .iter()
        .map(|&(_, p, se)| p + 2.0 * se)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.15;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(labels.shortfall_title, (FONT, 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(0.5..x_max.max(1.5), 0.0..top)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_labels(years.len().max(1))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick(*v))
            .x_desc(labels.year)
            .y_desc(labels.shortfall_y)
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(pct.iter().map(|&(x, p, _)| {
                Rectangle::new([(x - 0.3, 0.0), (x + 0.3, p)], RED.mix(0.6).filled())
            }))
            .map_err(chart_err)?;
        chart
            .draw_series(pct.iter().map(|&(x, p, se)| {
                PathElement::new(
                    vec![(x, (p - 2.0 * se).max(0.0)), (x, p + 2.0 * se)],
                    BLACK.stroke_width(2),
                )
            }))
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(inline_svg(svg))
}
