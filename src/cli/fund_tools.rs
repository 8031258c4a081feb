//! `ipledge fund size|sweep|merge`: the fund tools built on the simulator. Translation only:
//! the search lives in [`crate::fund::size`], the grid in [`crate::fund::sweep`], the exact
//! shard merge in [`crate::fund::merge_parts`].

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::fund::{RunArgs, load_scenario, table, with_threads, write_json, write_report};
use super::{CliError, Format, print_json, read_text};
use crate::fund::size::{SizeError, SizeResult, SizeSettings};
use crate::fund::sweep::{self, Axis, SweepError, SweepResult, SweepRow};
use crate::fund::{self, FundPart};
use crate::lang::{Lang, amount, money};
use crate::money::Money;
use crate::scenario::DirResolver;

/// Arguments of `fund size`.
#[derive(Debug, Args)]
pub struct SizeArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Largest acceptable probability that the fund cannot pay some claim in full over its
    /// lifetime (horizon and run-off).
    #[arg(long)]
    pub max_shortfall_prob: f64,
    /// Share of the principal that would enrol with unlimited capital that must still enrol
    /// under the leverage limit (1 = the limit refuses nothing).
    #[arg(long, default_value_t = 1.0)]
    pub min_enrolled_share: f64,
    /// Width of the final bracket in CNY; the answer is a multiple of it.
    #[arg(long, default_value = "100000")]
    pub resolution: Money,
    /// Give up above this initial capital (CNY).
    #[arg(long, default_value = "100000000000")]
    pub max_capital: Money,
    /// Paths, seed, threads and model.
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Language of the table (`--format table`): zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

/// Output format of `fund sweep`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// One JSON document.
    #[default]
    Json,
    /// Comma-separated values, a header and one row per grid point.
    Csv,
    /// A readable table.
    Table,
}

/// Arguments of `fund sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A swept key and its values, `KEY=V1,V2,...` (dotted scenario key, e.g.
    /// `scheme.ratio=0.2,0.4` or `book.cohort[0].count=100,200`); repeat for a grid.
    #[arg(long = "set", required = true)]
    pub set: Vec<String>,
    /// Paths, seed, threads and model.
    #[command(flatten)]
    pub run: RunArgs,
    /// Write the output to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SweepFormat::Json)]
    pub format: SweepFormat,
    /// Language of the table (`--format table`): zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

/// Arguments of `fund merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard parts written by `fund simulate --shard I/N --out FILE`, in any order.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Write the merged result to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Also write the merged result's HTML report to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the table (`--format table`) and of the report: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

/// `fund size`: the default events are drawn once; the capital searches re-run only the
/// ledger on them (common random numbers).
pub fn size(args: &SizeArgs) -> Result<(), CliError> {
    let scenario = load_scenario(&args.scenario)?;
    let settings = args.run.settings(&args.scenario, &scenario)?;
    let search = SizeSettings {
        target: args.max_shortfall_prob,
        min_enrolled_share: args.min_enrolled_share,
        resolution: args.resolution,
        max_capital: args.max_capital,
        start: scenario.fund.initial_capital,
    };
    let outcome = with_threads(args.run.threads, || {
        let run = fund::DrawnRun::draw(&scenario, &settings)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        fund::size::size(&run, &search).map_err(|e| match e {
            SizeError::BadSetting { .. } | SizeError::Unreachable { .. } => {
                CliError::Usage(e.to_string())
            }
            other => CliError::Internal(other.to_string()),
        })
    })?;
    let result = outcome?;
    match args.format {
        Format::Json => print_json(&result),
        Format::Table => super::print_out(&size_table(&result, args.lang)),
    }
}

fn size_table(r: &SizeResult, lang: Lang) -> String {
    let l = lang.table();
    let m = |v: Money| money(lang, v);
    let mut t = comfy_table::Table::new();
    t.set_header(vec![l.initial_capital, l.p_shortfall_lifetime, l.stderr]);
    // Importance sampling is for rare targets: four decimals would print them as 0.
    let prob = |p: f64| {
        if r.result.importance_sampling.is_some() {
            format!("{p:.3e}")
        } else {
            format!("{p:.4}")
        }
    };
    if let (Some(below), Some(p)) = (r.bracket.below, r.bracket.below_shortfall_probability) {
        t.add_row(vec![m(below), prob(p), String::new()]);
    }
    t.add_row(vec![
        m(r.initial_capital),
        prob(r.shortfall_probability),
        prob(r.shortfall_probability_stderr),
    ]);
    let binding = match r.binding {
        fund::size::Binding::Leverage => lang.pick(
            "放大倍数上限（纳入贷款组合所需的余地）",
            "the leverage limit (room to enrol the book)",
        ),
        fund::size::Binding::Shortfall => lang.pick(
            "缺口概率目标（支付补偿所需的资金）",
            "the shortfall target (money to pay the claims)",
        ),
    };
    let at_answer = table(&r.result, lang);
    match lang {
        Lang::Zh => format!(
            "情景 {} | 随机种子 {} | 路径 {} | 目标：存续期缺口概率 <= {} | 纳入本金 >= 资金不限时的 {} | 一次违约抽样上台账计算 {} 次，精度 {}\n\
             所需初始资金：{}（约束：{binding}）\n\
             满足放大倍数所需资金：{}（资金不限时纳入本金 {}）\n\
             满足缺口概率所需资金：{}（全部符合条件的贷款，不设放大倍数上限）\n{t}\n\n{}\n{at_answer}",
            r.scenario,
            r.seed,
            r.paths,
            r.target_shortfall_probability,
            r.min_enrolled_share,
            r.ledger_passes,
            m(r.resolution),
            m(r.initial_capital),
            m(r.capital_for_leverage),
            amount(lang, r.unlimited_credit_enabled),
            m(r.capital_for_shortfall),
            l.at_answer,
        ),
        Lang::En => format!(
            "scenario {} | seed {} | paths {} | target lifetime P(shortfall) <= {} | enrol >= {} of the unlimited-capital book | {} ledger passes on one draw, resolution {}\n\
             initial capital needed: {} (binding: {binding})\n\
             capital for leverage: {} (enrols {} of principal with unlimited capital)\n\
             capital for shortfall: {} (whole eligible book, leverage limit lifted)\n{t}\n\n{}\n{at_answer}",
            r.scenario,
            r.seed,
            r.paths,
            r.target_shortfall_probability,
            r.min_enrolled_share,
            r.ledger_passes,
            m(r.resolution),
            m(r.initial_capital),
            m(r.capital_for_leverage),
            amount(lang, r.unlimited_credit_enabled),
            m(r.capital_for_shortfall),
            l.at_answer,
        ),
    }
}

/// A grid point's error (a sweep's, a comparison's, an optimisation's) as the CLI reports it.
pub(super) fn sweep_error(file: &Path, e: SweepError) -> CliError {
    match e {
        SweepError::Invalid { point, errors } => CliError::BadInput {
            file: format!("{} at {point}", file.display()),
            errors,
        },
        SweepError::Simulation { .. } => CliError::Internal(e.to_string()),
        other => CliError::Usage(other.to_string()),
    }
}

/// The most memory a sweep lets one kept draw of default events take (bytes).
const KEPT_DRAW_BYTES: u64 = 1 << 30;

/// `fund sweep`: one result per grid point, common random numbers across the grid; the
/// default events are drawn once for all the points that share them.
pub fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let text = read_text(&args.scenario)?;
    let base = load_scenario(&args.scenario)?;
    // Fail a bad model or --paths before any point runs.
    args.run.settings(&args.scenario, &base)?;
    let axes: Vec<Axis> = args
        .set
        .iter()
        .map(|a| Axis::parse(a))
        .collect::<Result<_, _>>()
        .map_err(|e| sweep_error(&args.scenario, e))?;
    let dir = args
        .scenario
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let resolver = DirResolver(dir);
    // Points that share their run settings share an evaluator: a point whose draw inputs
    // (book, risk, disposal delay, buyer) match an earlier point's re-runs only the ledger on
    // that point's kept events, with exactly the numbers `fund simulate` gives it.
    let mut evaluators: Vec<fund::Evaluator> = Vec::new();
    let mut simulations = 0u32;
    let outcome = with_threads(args.run.threads, || {
        sweep::run(&text, &resolver, &axes, |scenario| {
            // Every point runs its own scenario's seed, paths and model unless --seed,
            // --paths or --model fix them (common random numbers when the seed is shared).
            let settings = args
                .run
                .settings(&args.scenario, scenario)
                .map_err(|e| e.to_string())?;
            // Each point's tilt is chosen for its own rules; and a draw holds every path's
            // events, so a book whose events could outgrow KEPT_DRAW_BYTES streams instead:
            // such points are simulated on their own.
            if settings.importance_sampling.is_some()
                || fund::kept_draw_bound(scenario, settings.paths) > KEPT_DRAW_BYTES
            {
                simulations += 1;
                return fund::simulate(scenario, &settings).map_err(|e| e.to_string());
            }
            let same = |e: &fund::Evaluator| {
                let s = e.settings();
                (s.seed, s.paths, &s.model.sha256)
                    == (settings.seed, settings.paths, &settings.model.sha256)
            };
            let i = match evaluators.iter().position(same) {
                Some(i) => i,
                None => {
                    evaluators.push(fund::Evaluator::new(&settings, 1));
                    evaluators.len() - 1
                }
            };
            evaluators[i]
                .evaluate(scenario, 1.0)
                .map_err(|e| e.to_string())
        })
    })?;
    let mut result = outcome.map_err(|e| sweep_error(&args.scenario, e))?;
    result.draws = simulations + evaluators.iter().map(|e| e.draws).sum::<u32>();
    result.ledger_passes = simulations + evaluators.iter().map(|e| e.ledger_passes).sum::<u32>();
    let text = match args.format {
        SweepFormat::Json => {
            serde_json::to_string_pretty(&result).map_err(|e| CliError::Internal(e.to_string()))?
        }
        SweepFormat::Csv => sweep_csv(&result)?,
        SweepFormat::Table => sweep_table(&result, args.lang),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        }),
        None => super::print_out(&text),
    }
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The sweep as CSV: the swept keys, the point's seed and paths, then
/// [`SweepRow::FIGURES`].
pub fn sweep_csv(r: &SweepResult) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = r
        .keys
        .iter()
        .map(String::as_str)
        .chain(["seed", "paths"])
        .chain(SweepRow::FIGURES)
        .collect();
    let internal = |e: csv::Error| CliError::Internal(e.to_string());
    w.write_record(&header).map_err(internal)?;
    for row in &r.rows {
        let mut record: Vec<String> = r
            .keys
            .iter()
            .map(|k| row.set.get(k).map(cell).unwrap_or_default())
            .collect();
        record.extend([row.seed.to_string(), row.paths.to_string()]);
        record.extend(row.figures().iter().map(|f| f.to_string()));
        w.write_record(&record).map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CliError::Internal(e.to_string()))
}

fn sweep_table(r: &SweepResult, lang: Lang) -> String {
    let l = lang.table();
    let a = |v: f64| amount(lang, v);
    let mut t = comfy_table::Table::new();
    let mut header: Vec<String> = r.keys.clone();
    header.extend(
        [
            l.p_shortfall,
            l.stderr,
            l.claims_mean,
            l.claims_p99,
            l.paid_mean,
            lang.labels().bank_loss,
            l.refused_leverage,
            l.credit_enabled,
            l.peak_leverage,
            l.p_shortfall_lifetime,
        ]
        .map(String::from),
    );
    t.set_header(header);
    for row in &r.rows {
        let mut cells: Vec<String> = r
            .keys
            .iter()
            .map(|k| row.set.get(k).map(cell).unwrap_or_default())
            .collect();
        cells.extend([
            format!("{:.4}", row.shortfall_probability),
            format!("{:.4}", row.shortfall_probability_stderr),
            a(row.fund_claims_mean),
            a(row.fund_claims_p99),
            a(row.fund_paid_mean),
            a(row.bank_loss_mean),
            format!("{:.1}", row.refused_leverage_mean),
            a(row.credit_enabled),
            format!("{:.2}", row.peak_leverage_mean),
            format!(
                "{:.4} ± {:.4}",
                row.lifetime_shortfall_probability, row.lifetime_shortfall_probability_stderr
            ),
        ]);
        t.add_row(cells);
    }
    match lang {
        Lang::Zh => format!(
            "情景 {} | 随机种子 {} | 路径 {} | 模型 {}\n{t}",
            r.scenario, r.seed, r.paths, r.model_id
        ),
        Lang::En => format!(
            "scenario {} | seed {} | paths {} | model {}\n{t}",
            r.scenario, r.seed, r.paths, r.model_id
        ),
    }
}

/// `fund merge`: reads shard parts and prints exactly the unsharded result.
pub fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        let text = read_text(path)?;
        let part: FundPart = serde_json::from_str(&text).map_err(|e| {
            CliError::Usage(format!(
                "{}: not a fund shard part (written by `fund simulate --shard I/N --out FILE`): {e}",
                path.display()
            ))
        })?;
        parts.push(part);
    }
    let result = fund::merge_parts(parts).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(path) = &args.report {
        write_report(path, &result, args.lang)?;
    }
    match (&args.out, args.format) {
        (Some(out), _) => write_json(out, &result),
        (None, Format::Json) => print_json(&result),
        (None, Format::Table) => super::print_out(&table(&result, args.lang)),
    }
}
