//! `ipledge backtest`: the backtest of the scored applications in an existing database
//! against their reported outcomes — the same JSON as `GET /v1/backtests` (both call
//! [`crate::api::routes::backtests::backtest`]) — as JSON, a table, or an HTML report.
//!
//! The database must exist: a missing SQLite file is exit 2 naming it, never created.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, Format, load_model, print_json};
use crate::api::AppError;
use crate::api::routes::backtests::{BacktestRequest, Segment, backtest};
use crate::asset::Date;
use crate::backtest::{BacktestResult, DataStatus, PsiBand, TrafficLight};

/// Arguments of `ipledge backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The database the API stored applications and outcomes in (`sqlite://FILE`, which must
    /// exist, or `postgres://user@host/db`).
    #[arg(long, env = "IPLEDGE_DATABASE_URL", default_value = super::serve::DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// First scoring day, YYYY-MM-DD (UTC), inclusive (default: the earliest).
    #[arg(long)]
    pub from: Option<Date>,
    /// Last scoring day, YYYY-MM-DD (UTC), inclusive (default: the latest).
    #[arg(long)]
    pub to: Option<Date>,
    /// One tenant's book (default: every tenant in the database).
    #[arg(long)]
    pub tenant: Option<String>,
    /// `industry:<code>`: only borrowers of that industry.
    #[arg(long, value_parser = Segment::parse)]
    pub segment: Option<Segment>,
    /// Model file whose `[backtest]` thresholds apply (default: the embedded model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Also write a self-contained HTML report (calibration chart by grade, ROC curve,
    /// tables) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the report and the table: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: crate::report::Lang,
}

/// Runs `ipledge backtest`.
pub fn run(args: &BacktestArgs) -> Result<(), CliError> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if from > to {
            return Err(CliError::Usage(format!(
                "--to {to} is before --from {from}"
            )));
        }
    }
    if args.tenant.as_ref().is_some_and(|t| t.trim().is_empty()) {
        return Err(CliError::Usage("--tenant must not be empty".to_string()));
    }
    let model = load_model(args.model.as_deref())?;
    let request = BacktestRequest {
        from: args.from,
        to: args.to,
        segment: args.segment,
        tenant: args.tenant.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start runtime: {e}")))?;
    let result = runtime.block_on(async {
        let store = super::serve::open_existing(&args.database_url).await?;
        let result = backtest(&store, &model, &request).await;
        store.close().await;
        result.map_err(|e| match e {
            AppError::Invalid(errors) => CliError::BadInput {
                file: "backtest window".to_string(),
                errors,
            },
            other => CliError::Internal(other.to_string()),
        })
    })?;
    if let Some(path) = &args.report {
        write_report(path, &result, args.lang)?;
    }
    match args.format {
        Format::Json => print_json(&result),
        Format::Table => {
            super::print_out(&table(&result, args.lang))?;
            Ok(())
        }
    }
}

fn write_report(
    path: &Path,
    result: &BacktestResult,
    lang: crate::report::Lang,
) -> Result<(), CliError> {
    let html = crate::report::render_backtest(result, lang)
        .map_err(|e| CliError::Internal(e.to_string()))?;
    std::fs::write(path, html).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    eprintln!("wrote report to {}", path.display());
    Ok(())
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_string(), |p| format!("{:.2} %", 100.0 * p))
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.decimals$}"))
}

/// A readable summary in `lang`, in the words of the HTML report (`BacktestLabels`): the
/// calibration table, then one line per other part.
pub fn table(r: &BacktestResult, lang: crate::report::Lang) -> String {
    let b = lang.backtest_labels();
    let light = |l: TrafficLight| match l {
        TrafficLight::Green => b.status[0],
        TrafficLight::Yellow => b.status[1],
        TrafficLight::Red => b.status[2],
        TrafficLight::InsufficientData => b.status[3],
    };
    let status = |s: DataStatus| match s {
        DataStatus::Ok => b.status[4],
        DataStatus::InsufficientData => b.status[3],
    };
    let mut calibration = comfy_table::Table::new();
    calibration.set_header(b.calibration_header.to_vec());
    for row in r.calibration.grades.iter().chain([&r.calibration.overall]) {
        let grade = if std::ptr::eq(row, &r.calibration.overall) {
            b.all.to_string()
        } else {
            row.grade.clone()
        };
        calibration.add_row(vec![
            grade,
            row.n.to_string(),
            row.defaults.to_string(),
            pct(row.observed_default_rate),
            row.jeffreys_interval.map_or_else(
                || "–".to_string(),
                |[lo, hi]| format!("{} – {}", pct(Some(lo)), pct(Some(hi))),
            ),
            pct(row.mean_pd),
            format!("{:.2}", row.expected_defaults),
            num(row.jeffreys_p, 4),
            num(row.binomial_p, 4),
            light(row.status).to_string(),
        ]);
    }
    let mut summary = comfy_table::Table::new();
    let p = &r.population;
    let d = &r.discrimination;
    let l = &r.lgd.overall;
    let s = &r.stability;
    let day = |d: Option<Date>| d.map_or_else(|| "–".to_string(), |d| d.to_string());
    let band = |band: PsiBand| match band {
        PsiBand::Stable => b.bands[0],
        PsiBand::Watch => b.bands[1],
        PsiBand::Shift => b.bands[2],
    };
    let rows: Vec<(&str, String)> = vec![
        (
            b.window,
            format!("{} – {}", day(r.scope.from), day(r.scope.to)),
        ),
        (
            b.scored,
            format!("{} ({} → {})", p.scored, p.reported, p.cohort),
        ),
        (b.cohort, format!("{} / {}", p.cohort, p.cohort_defaults)),
        (
            b.auc,
            format!(
                "{} ± {} ({} {}, {} {}; {})",
                num(d.auc, 3),
                num(d.auc_stderr, 3),
                d.n_defaults,
                b.defaults,
                d.n_non_defaults,
                b.non_defaults,
                status(d.status)
            ),
        ),
        ("Gini", num(d.gini, 3)),
        (
            b.lgd,
            format!(
                "{} / {} (N {}; {})",
                pct(l.mean_realised),
                pct(l.mean_predicted),
                l.n,
                status(l.status)
            ),
        ),
        (
            b.psi,
            format!(
                "{} (N {} / {}; {})",
                num(s.psi, 4),
                s.base.as_ref().map_or(0, |b| b.n),
                s.recent.as_ref().map_or(0, |b| b.n),
                s.band
                    .map_or_else(|| status(s.status).to_string(), |x| band(x).to_string())
            ),
        ),
    ];
    for (k, v) in rows {
        summary.add_row(vec![k.to_string(), v]);
    }
    format!("{calibration}\n{summary}")
}
