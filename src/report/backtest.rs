//! The backtest page (`ipledge backtest --report`): key figures, the calibration chart by
//! grade (observed default rate with its Jeffreys interval against the mean predicted PD),
//! the ROC curve, and the tables behind them, in Chinese or English. Reads only a
//! [`BacktestResult`]; the page shares the style of every report and fetches nothing.

use minijinja::value::Serde;
use minijinja::{Environment, context};
use plotters::prelude::*;
use serde::Serialize;

use super::charts::{
    BLUE, FONT, GREY, HEIGHT, ORANGE, WIDTH, chart_err, draw_legend, inline_svg, padded_range,
};
use super::labels::BacktestLabels;
use super::{KeyFigure, Lang, ReportError, STYLE};
use crate::backtest::{
    BacktestResult, CalibrationRow, DataStatus, LgdBucket, PsiBand, TrafficLight,
};

const TEMPLATE: &str = include_str!("backtest.html.j2");

/// One table cell: its text and an optional CSS class (the traffic-light colour).
#[derive(Serialize)]
struct Cell {
    text: String,
    class: &'static str,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        class: "",
    }
}

#[derive(Serialize)]
struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    note: String,
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_string(), |p| format!("{:.2} %", 100.0 * p))
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.decimals$}"))
}

fn light(status: TrafficLight, l: &BacktestLabels) -> Cell {
    let (i, class) = match status {
        TrafficLight::Green => (0, "green"),
        TrafficLight::Yellow => (1, "yellow"),
        TrafficLight::Red => (2, "red"),
        TrafficLight::InsufficientData => (3, "insufficient_data"),
    };
    Cell {
        text: l.status[i].to_string(),
        class,
    }
}

fn data_status(status: DataStatus, l: &BacktestLabels) -> String {
    match status {
        DataStatus::Ok => l.status[4],
        DataStatus::InsufficientData => l.status[3],
    }
    .to_string()
}

fn band(b: PsiBand, l: &BacktestLabels) -> &'static str {
    match b {
        PsiBand::Stable => l.bands[0],
        PsiBand::Watch => l.bands[1],
        PsiBand::Shift => l.bands[2],
    }
}

/// Renders the backtest page of `result` in `lang`.
pub fn render_backtest(result: &BacktestResult, lang: Lang) -> Result<String, ReportError> {
    let l = lang.backtest_labels();
    let calibration_svg = calibration_chart(result, l)?;
    let roc_svg = if result.discrimination.roc.is_empty() {
        String::new()
    } else {
        roc_chart(result, l)?
    };
    let mut env = Environment::new();
    env.add_template("backtest.html", TEMPLATE)?;
    Ok(env.get_template("backtest.html")?.render(context! {
        lang => lang.html_code(),
        style => STYLE,
        l => Serde(l),
        meta => meta(result, l),
        figures => Serde(figures(result, l)),
        calibration_svg => calibration_svg,
        roc_svg => roc_svg,
        tables => Serde(tables(result, l)),
    })?)
}

fn meta(r: &BacktestResult, l: &BacktestLabels) -> String {
    let day = |d: Option<crate::asset::Date>| d.map_or_else(|| "–".to_string(), |d| d.to_string());
    format!(
        "{}: {} – {} · {}: {} · {}: {} · {}: {}",
        l.window,
        day(r.scope.from),
        day(r.scope.to),
        l.tenant,
        r.scope.tenant.as_deref().unwrap_or(l.all_tenants),
        l.segment,
        r.scope.segment.as_deref().unwrap_or(l.whole_book),
        l.model,
        r.settings.model_id
    )
}

fn figures(r: &BacktestResult, l: &BacktestLabels) -> Vec<KeyFigure> {
    let d = &r.discrimination;
    let lgd = &r.lgd.overall;
    let s = &r.stability;
    vec![
        KeyFigure::new(l.scored, r.population.scored.to_string()),
        KeyFigure::new(
            l.cohort,
            format!("{} / {}", r.population.cohort, r.population.cohort_defaults),
        ),
        KeyFigure::new(l.overall_light, light(r.calibration.overall.status, l).text),
        KeyFigure::new(
            l.auc,
            match (d.auc, d.auc_stderr) {
                (Some(a), Some(se)) => format!("{a:.3} ± {se:.3}"),
                _ => data_status(d.status, l),
            },
        ),
        KeyFigure::new(
            l.lgd,
            match lgd.status {
                DataStatus::Ok => {
                    format!("{} / {}", pct(lgd.mean_realised), pct(lgd.mean_predicted))
                }
                DataStatus::InsufficientData => {
                    format!("{} (N = {})", data_status(lgd.status, l), lgd.n)
                }
            },
        ),
        KeyFigure::new(
            l.psi,
            match (s.psi, s.band) {
                (Some(p), Some(b)) => format!("{p:.3} ({})", band(b, l)),
                _ => data_status(s.status, l),
            },
        ),
    ]
}

fn calibration_row(row: &CalibrationRow, l: &BacktestLabels, name: &str) -> Vec<Cell> {
    vec![
        cell(name),
        cell(row.n.to_string()),
        cell(row.defaults.to_string()),
        cell(pct(row.observed_default_rate)),
        cell(row.jeffreys_interval.map_or_else(
            || "–".to_string(),
            |[lo, hi]| format!("{} – {}", pct(Some(lo)), pct(Some(hi))),
        )),
        cell(pct(row.mean_pd)),
        cell(format!("{:.2}", row.expected_defaults)),
        cell(num(row.jeffreys_p, 4)),
        cell(num(row.binomial_p, 4)),
        light(row.status, l),
    ]
}

fn lgd_row(b: &LgdBucket, l: &BacktestLabels) -> Vec<Cell> {
    vec![
        cell(format!(
            "{:.0} – {:.0} %",
            100.0 * b.predicted_from,
            100.0 * b.predicted_to
        )),
        cell(b.n.to_string()),
        cell(pct(b.mean_realised)),
        cell(pct(b.mean_realised_stderr)),
        cell(pct(b.mean_predicted)),
        cell(pct(b.exposure_weighted_realised)),
        cell(data_status(b.status, l)),
    ]
}

fn tables(r: &BacktestResult, l: &BacktestLabels) -> Vec<Table> {
    let header = |h: &[&str]| h.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    let cal = &r.calibration;
    let mut calibration_rows: Vec<Vec<Cell>> = cal
        .grades
        .iter()
        .map(|row| calibration_row(row, l, &row.grade))
        .collect();
    calibration_rows.push(calibration_row(&cal.overall, l, l.all));
    let s = &r.settings;
    let calibration = Table {
        title: l.calibration_table.to_string(),
        header: header(&l.calibration_header),
        rows: calibration_rows,
        note: format!(
            "pd_1y · {} m · green p ≥ {} · red p < {} · N ≥ {}",
            cal.horizon_months, s.green_min_p, s.red_below_p, s.min_observations
        ),
    };
    let d = &r.discrimination;
    let discrimination = Table {
        title: l.discrimination_table.to_string(),
        header: vec![String::new(), "AUC".to_string(), "Gini".to_string()],
        rows: vec![
            vec![cell(l.defaults), cell(d.n_defaults.to_string()), cell("")],
            vec![
                cell(l.non_defaults),
                cell(d.n_non_defaults.to_string()),
                cell(""),
            ],
            vec![
                cell("AUC / Gini"),
                cell(num(d.auc, 4)),
                cell(num(d.gini, 4)),
            ],
            vec![
                cell(l.stderr),
                cell(num(d.auc_stderr, 4)),
                cell(num(d.gini_stderr, 4)),
            ],
            vec![
                cell(l.ci95),
                cell(
                    d.auc_ci95
                        .map_or_else(|| "–".to_string(), |[a, b]| format!("{a:.3} – {b:.3}")),
                ),
                cell(
                    d.gini_ci95
                        .map_or_else(|| "–".to_string(), |[a, b]| format!("{a:.3} – {b:.3}")),
                ),
            ],
        ],
        note: format!(
            "{} · N ≥ {}",
            data_status(d.status, l),
            s.min_class_observations
        ),
    };
    let mut lgd_rows: Vec<Vec<Cell>> = r.lgd.buckets.iter().map(|b| lgd_row(b, l)).collect();
    let mut overall = lgd_row(&r.lgd.overall, l);
    overall[0] = cell(l.all);
    lgd_rows.push(overall);
    let lgd = Table {
        title: l.lgd_table.to_string(),
        header: header(&l.lgd_header),
        rows: lgd_rows,
        note: format!(
            "{} · r = {:.2} % · unresolved: {} · N ≥ {}",
            l.lgd_note,
            100.0 * r.lgd.discount_rate,
            r.lgd.unresolved,
            s.min_lgd_observations
        ),
    };
    let st = &r.stability;
    let period = |p: &Option<crate::backtest::StabilityPeriod>| {
        p.as_ref().map_or_else(
            || "–".to_string(),
            |p| format!("{} – {} (N = {})", p.from, p.to, p.n),
        )
    };
    let mut psi_rows: Vec<Vec<Cell>> = st
        .bins
        .iter()
        .map(|b| {
            vec![
                cell(b.grade.clone()),
                cell(b.base_n.to_string()),
                cell(pct(Some(b.base_share))),
                cell(b.recent_n.to_string()),
                cell(pct(Some(b.recent_share))),
                cell(format!("{:.4}", b.contribution)),
            ]
        })
        .collect();
    psi_rows.push(vec![
        cell("PSI"),
        cell(period(&st.base)),
        cell(""),
        cell(period(&st.recent)),
        cell(""),
        cell(match (st.psi, st.band) {
            (Some(p), Some(b)) => format!("{p:.4} ({})", band(b, l)),
            _ => data_status(st.status, l),
        }),
    ]);
    let stability = Table {
        title: l.stability_table.to_string(),
        header: header(&l.psi_header),
        rows: psi_rows,
        note: format!(
            "{} ({} / {}; N ≥ {})",
            l.stability_note, s.psi_watch, s.psi_shift, s.min_period_observations
        ),
    };
    vec![calibration, discrimination, lgd, stability]
}

/// Observed default rate by grade with Jeffreys whiskers, and the mean predicted PD.
fn calibration_chart(r: &BacktestResult, l: &BacktestLabels) -> Result<String, ReportError> {
    let rows = &r.calibration.grades;
    let n = rows.len().max(1) as f64;
    let values = rows.iter().flat_map(|row| {
        let [lo, hi] = row.jeffreys_interval.unwrap_or([0.0, 0.0]);
        [lo, hi, row.mean_pd.unwrap_or(0.0)].map(|v| 100.0 * v)
    });
    let (_, top) = padded_range(values, true);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(l.calibration_title, (FONT, 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5..n - 0.5, 0.0..top)
            .map_err(chart_err)?;
        let names: Vec<String> = rows.iter().map(|row| row.grade.clone()).collect();
        chart
            .configure_mesh()
            .x_labels(rows.len().max(1))
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc(l.grade)
            .y_desc(l.default_rate)
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        let observed: Vec<(f64, f64, [f64; 2])> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let dr = row.observed_default_rate?;
                let [lo, hi] = row.jeffreys_interval?;
                Some((i as f64, 100.0 * dr, [100.0 * lo, 100.0 * hi]))
            })
            .collect();
        chart
            .draw_series(observed.iter().map(|&(x, _, [lo, hi])| {
                PathElement::new(vec![(x, lo), (x, hi)], BLUE.stroke_width(2))
            }))
            .map_err(chart_err)?;
        chart
            .draw_series(
                observed
                    .iter()
                    .map(|&(x, y, _)| Circle::new((x, y), 5, BLUE.filled())),
            )
            .map_err(chart_err)?
            .label(l.observed)
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLUE.filled()));
        let predicted: Vec<(f64, f64)> = rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| Some((i as f64, 100.0 * row.mean_pd?)))
            .collect();
        chart
            .draw_series(predicted.iter().map(|&(x, y)| {
                Polygon::new(
                    vec![
                        (x - 0.12, y),
                        (x, y + top * 0.02),
                        (x + 0.12, y),
                        (x, y - top * 0.02),
                    ],
                    ORANGE.filled(),
                )
            }))
            .map_err(chart_err)?
            .label(l.predicted)
            .legend(|(x, y)| {
                Polygon::new(
                    vec![(x + 4, y), (x + 10, y - 6), (x + 16, y), (x + 10, y + 6)],
                    ORANGE.filled(),
                )
            });
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(chart_err)?;
    }
    Ok(inline_svg(svg))
}

/// The ROC curve with the chance diagonal.
fn roc_chart(r: &BacktestResult, l: &BacktestLabels) -> Result<String, ReportError> {
    let points: Vec<(f64, f64)> = r
        .discrimination
        .roc
        .iter()
        .map(|p| (p.fpr, p.tpr))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let title = match r.discrimination.auc {
            Some(auc) => format!("{} (AUC = {auc:.3})", l.roc_title),
            None => l.roc_title.to_string(),
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 22))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc(l.fpr)
            .y_desc(l.tpr)
            .light_line_style(WHITE)
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                GREY.stroke_width(1),
            ))
            .map_err(chart_err)?
            .label(l.chance)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREY.stroke_width(1)));
        chart
            .draw_series(LineSeries::new(points, BLUE.stroke_width(3)))
            .map_err(chart_err)?
            .label("ROC")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(3)));
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(chart_err)?;
    }
    Ok(inline_svg(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::Date;
    use crate::backtest::{BacktestSettings, Observation, Outcome, OutcomeStatus, Scope, run};
    use crate::money::{Money, Probability};

    /// A small book: 40 loans in two grades, a few defaults, all a year old.
    fn result() -> BacktestResult {
        let day = |s: &str| s.parse::<Date>().unwrap();
        let book: Vec<Observation> = (0..80)
            .map(|i| {
                let (grade, pd) = if i % 2 == 0 {
                    ("BB", 0.006)
                } else {
                    ("CCC", 0.05)
                };
                let defaulted = i % 7 == 0;
                Observation {
                    application_id: format!("app_{i}"),
                    scored_on: day(if i < 40 { "2024-01-10" } else { "2024-06-10" }),
                    grade: grade.to_string(),
                    pd_1y: Probability::new(pd * (1.0 + f64::from(i % 5) / 10.0)).unwrap(),
                    lgd_gross: Probability::new(0.5).unwrap(),
                    outcome: Some(Outcome {
                        status: if defaulted {
                            OutcomeStatus::Recovered
                        } else {
                            OutcomeStatus::Performing
                        },
                        as_of: day("2025-09-30"),
                        default_date: defaulted.then(|| day("2024-11-30")),
                        defaulted: if defaulted {
                            Money::from_yuan(1000)
                        } else {
                            Money::ZERO
                        },
                        recovered: if defaulted {
                            Money::from_yuan(400)
                        } else {
                            Money::ZERO
                        },
                    }),
                }
            })
            .collect();
        run(
            &book,
            &BacktestSettings::embedded_default(),
            Scope::default(),
        )
    }

    #[test]
    fn english_page_has_both_charts_and_every_table() {
        let r = result();
        assert!(!r.discrimination.roc.is_empty());
        let page = render_backtest(&r, Lang::En).unwrap();
        assert_eq!(
            page.matches("<svg").count(),
            2,
            "calibration and ROC charts"
        );
        for text in [
            "One-year default rate by grade",
            "ROC curve",
            "PD calibration (Jeffreys and binomial tests)",
            "Realised against predicted LGD",
            "Stability of the grade distribution",
            "CCC",
        ] {
            assert!(page.contains(text), "{text} missing");
        }
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn chinese_page_and_a_page_without_roc() {
        let mut r = result();
        let page = render_backtest(&r, Lang::Zh).unwrap();
        assert!(page.contains("模型回测报告") && page.contains("lang=\"zh-CN\""));
        r.discrimination.roc.clear();
        let page = render_backtest(&r, Lang::En).unwrap();
        assert_eq!(page.matches("<svg").count(), 1);
        assert!(page.contains("roc-missing"));
    }
}
