//! `ipledge fund ...`: the fund simulator's command-line door. Reads the scenario and model
//! files, calls [`crate::fund`], prints JSON or a table, writes shard parts.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::{CliError, Format, print_json};
use crate::fund::{self, FundModel, FundResult, Settings};
use crate::lang::{Lang, amount};
use crate::model::Model;
use crate::rng::Shard;
use crate::scenario::{Scenario, ScenarioError};

/// `ipledge fund <command>`.
#[derive(Debug, Subcommand)]
pub enum FundCommand {
    /// Simulate a scenario's fund over its horizon and run-off (result JSON: docs/cli.md).
    Simulate(SimulateArgs),
    /// The smallest initial capital that enrols the book and keeps the lifetime shortfall
    /// probability at most a target.
    Size(super::fund_tools::SizeArgs),
    /// The largest multiple of the planned book the scenario's capital carries.
    Capacity(super::fund_decide::CapacityArgs),
    /// One book and one draw of defaults under several schemes, side by side.
    Compare(super::fund_decide::CompareArgs),
    /// The policy point (ratio, caps, leverage, pause, capital, book multiple) maximising an
    /// objective under a lifetime shortfall target and an optional budget.
    Optimise(super::fund_decide::OptimiseArgs),
    /// A grid over scenario keys: one simulation and one row per point.
    Sweep(super::fund_tools::SweepArgs),
    /// Merge shard parts into exactly the unsharded result.
    Merge(super::fund_tools::MergeArgs),
}

/// The run settings every fund command shares.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Number of paths (overrides the scenario's).
    #[arg(long)]
    pub paths: Option<u64>,
    /// Seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, 1 to 1024 (default: all cores); results are identical at any count.
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Model file (overrides the scenario's `model` and the embedded default).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Estimate rare shortfall probabilities by importance sampling: the common factor is
    /// shifted toward defaults and the default probabilities twisted (tilt chosen by a short
    /// pilot), every path weighted by its likelihood ratio; the result reports the tilt and
    /// the variance reduction.
    #[arg(long)]
    pub importance_sampling: bool,
}

impl RunArgs {
    /// Fund settings for `scenario` with these overrides (`--paths 0` is a usage error).
    pub fn settings<'a>(
        &self,
        scenario_path: &Path,
        scenario: &Scenario,
    ) -> Result<Settings<'a>, CliError> {
        if self.paths == Some(0) {
            return Err(CliError::Usage("--paths must be at least 1".to_string()));
        }
        let model = load_fund_model(scenario_path, scenario, self.model.as_deref())?;
        let mut settings = Settings::for_scenario(scenario, model);
        settings.paths = self.paths.unwrap_or(scenario.paths);
        settings.seed = self.seed.unwrap_or(scenario.seed);
        if self.importance_sampling {
            settings.importance_sampling = Some(fund::ImportanceSampling::Pilot);
        }
        Ok(settings)
    }
}

/// Arguments of `fund simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Paths, seed, threads and model.
    #[command(flatten)]
    pub run: RunArgs,
    /// Compute only shard I of N (1-based, e.g. 2/3); needs --out.
    #[arg(long)]
    pub shard: Option<String>,
    /// Write the result (or the shard's partial result) to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Also write a self-contained HTML report (fan chart, claims histogram, shortfall by
    /// year, summary tables) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the table (`--format table`) and of the report: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

/// Runs a `fund` subcommand.
pub fn run(command: FundCommand) -> Result<(), CliError> {
    match command {
        FundCommand::Simulate(args) => simulate(&args),
        FundCommand::Size(args) => super::fund_tools::size(&args),
        FundCommand::Capacity(args) => super::fund_decide::capacity(&args),
        FundCommand::Compare(args) => super::fund_decide::compare(&args),
        FundCommand::Optimise(args) => super::fund_decide::optimise(&args),
        FundCommand::Sweep(args) => super::fund_tools::sweep(&args),
        FundCommand::Merge(args) => super::fund_tools::merge(&args),
    }
}

/// Reads a scenario file, mapping errors to exit codes.
pub fn load_scenario(path: &Path) -> Result<Scenario, CliError> {
    Scenario::from_file(path).map_err(|e| match e {
        ScenarioError::Io { path, source } => CliError::Read { path, source },
        ScenarioError::Invalid(errors) => CliError::bad_input(path, errors),
    })
}

/// The fund model for a scenario: `--model`, else the scenario's `model` (relative to it),
/// else the embedded default.
pub fn load_fund_model(
    scenario_path: &Path,
    scenario: &Scenario,
    flag: Option<&Path>,
) -> Result<FundModel, CliError> {
    let model = match (flag, &scenario.model) {
        (Some(p), _) => Model::from_file(p)?,
        (None, Some(rel)) => {
            let dir = scenario_path.parent().unwrap_or(Path::new("."));
            let candidate = dir.join(rel);
            if candidate.exists() {
                Model::from_file(&candidate)?
            } else if Path::new(rel).exists() {
                Model::from_file(Path::new(rel))?
            } else {
                return Err(CliError::Usage(format!(
                    "{}: model file `{rel}` not found next to the scenario or in the current directory",
                    scenario_path.display()
                )));
            }
        }
        (None, None) => Model::embedded_default(),
    };
    FundModel::from_model(&model).map_err(|errors| CliError::BadInput {
        file: "model".to_string(),
        errors,
    })
}

/// Runs `work` on a pool of `threads` threads (or the global pool).
pub fn with_threads<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> T + Send,
) -> Result<T, CliError> {
    match threads {
        None => Ok(work()),
        Some(0) => Err(CliError::Usage("--threads must be at least 1".to_string())),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|pool| pool.install(work))
            .map_err(|e| CliError::Internal(e.to_string())),
    }
}

/// A progress bar on stderr, shown only when stderr is a terminal and the run has lasted
/// more than a second.
struct Bar {
    start: Instant,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    enabled: bool,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            start: Instant::now(),
            bar: std::sync::OnceLock::new(),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn update(&self, done: u64, total: u64) {
        if !self.enabled || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_message("batches");
            b
        });
        bar.set_position(done);
    }

    fn finish(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

fn simulate(args: &SimulateArgs) -> Result<(), CliError> {
    let scenario = load_scenario(&args.scenario)?;
    let mut settings = args.run.settings(&args.scenario, &scenario)?;
    let shard = match &args.shard {
        None => None,
        Some(text) => Some(Shard::parse(text).map_err(|e| CliError::Usage(e.to_string()))?),
    };
    if shard.is_some() && args.out.is_none() {
        return Err(CliError::Usage("--shard needs --out FILE".to_string()));
    }
    if shard.is_some() && args.report.is_some() {
        return Err(CliError::Usage(
            "--report needs the whole run: merge the shards with `fund merge`, then report"
                .to_string(),
        ));
    }
    let bar = Bar::new();
    let progress = |done: u64, total: u64| bar.update(done, total);
    settings.progress = Some(&progress);
    if let Some(shard) = shard {
        settings.shard = shard;
        let part = with_threads(args.run.threads, || {
            fund::simulate_part(&scenario, &settings)
        })?
        .map_err(|e| CliError::Internal(e.to_string()))?;
        bar.finish();
        let out = args.out.as_deref().expect("checked above");
        write_json(out, &part)?;
        eprintln!(
            "wrote shard {}/{} of {} paths to {}",
            shard.index + 1,
            shard.count,
            settings.paths,
            out.display()
        );
        return Ok(());
    }
    let result = with_threads(args.run.threads, || fund::simulate(&scenario, &settings))?
        .map_err(|e| CliError::Internal(e.to_string()))?;
    bar.finish();
    if let Some(path) = &args.report {
        write_report(path, &result, args.lang)?;
    }
    match (&args.out, args.format) {
        (Some(out), _) => write_json(out, &result),
        (None, Format::Json) => print_json(&result),
        (None, Format::Table) => super::print_out(&table(&result, args.lang)),
    }
}

/// Writes the HTML report of `result` to `path`.
pub fn write_report(path: &Path, result: &FundResult, lang: Lang) -> Result<(), CliError> {
    let html =
        crate::report::render_html(result, lang).map_err(|e| CliError::Internal(e.to_string()))?;
    std::fs::write(path, html).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    eprintln!("wrote report to {}", path.display());
    Ok(())
}

/// Writes one JSON document to a file.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| CliError::Internal(e.to_string()))?;
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// A readable table of a fund result in `lang`: the years, the horizon, run-off and lifetime
/// totals, the assumptions' headline and the plain-language reading.
pub fn table(r: &FundResult, lang: Lang) -> String {
    let l = lang.table();
    let words = lang.labels();
    let money = |v: f64| amount(lang, v);
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        l.year,
        l.enrolled,
        l.refused_leverage,
        l.refused_paused,
        l.ineligible,
        l.defaults,
        l.gross_loss,
        l.claims,
        l.paid,
        l.subsidies,
        l.balance_mean,
        l.balance_p05,
        l.p_shortfall,
        l.p_pause,
    ]);
    for y in &r.years {
        t.add_row(vec![
            y.year.to_string(),
            format!("{:.1}", y.loans_enrolled.mean),
            format!("{:.1}", y.refused_leverage.mean),
            format!("{:.1}", y.refused_paused.mean),
            format!("{:.1}", y.ineligible.mean),
            format!("{:.2}", y.defaults.mean),
            money(y.gross_loss.mean),
            money(y.fund_claims.mean),
            money(y.fund_paid.mean),
            money(y.subsidies.mean),
            money(y.fund_balance_end.mean),
            y.fund_balance_lower
                .map_or("-".to_string(), |q| money(q.p05)),
            format!("{:.4}", y.shortfall_probability),
            format!("{:.4}", y.pause_probability),
        ]);
    }
    let a = &r.assumptions;
    let sha = |h: &str| h[..12.min(h.len())].to_string();
    let appropriations = money(a.fund.appropriations.iter().map(|m| m.to_f64()).sum());
    let leverage = a
        .fund
        .leverage_limit
        .map_or_else(|| lang.pick("无", "none").to_string(), |l| format!("{l}x"));
    let mut s = match lang {
        Lang::Zh => format!(
            "情景 {} | 随机种子 {} | 路径 {} | 模型 {}（{}）| 输入 {}\n\
             贷款组合：{} 笔，本金 {}，平均一年期违约率 {:.2} % | 补偿方案 {} | 初始资金 {}，追加拨款 {}，放大倍数上限 {}（{}）\n{t}\n",
            r.scenario,
            r.seed,
            r.paths,
            r.model_id,
            sha(&r.model_sha256),
            sha(&r.input_sha256),
            a.book.loans,
            money(a.book.principal),
            100.0 * a.book.mean_pd_1y,
            a.scheme.name,
            crate::lang::money(lang, r.initial_capital),
            appropriations,
            leverage,
            a.fund.leverage_limit_from,
        ),
        Lang::En => format!(
            "scenario {} | seed {} | paths {} | model {} ({}) | input {}\n\
             book: {} loans, {}, mean PD {:.2} % | scheme {} | capital {}, appropriations {}, leverage limit {} ({})\n{t}\n",
            r.scenario,
            r.seed,
            r.paths,
            r.model_id,
            sha(&r.model_sha256),
            sha(&r.input_sha256),
            a.book.loans,
            money(a.book.principal),
            100.0 * a.book.mean_pd_1y,
            a.scheme.name,
            crate::lang::money(lang, r.initial_capital),
            appropriations,
            leverage,
            a.fund.leverage_limit_from,
        ),
    };
    let mut hz = comfy_table::Table::new();
    hz.set_header(vec![
        words.mean_p99.to_string(),
        l.horizon.to_string(),
        format!("{} ({} {})", l.run_off, r.run_off.months, l.months),
        l.lifetime.to_string(),
    ]);
    let periods = [&r.horizon, &r.run_off, &r.lifetime];
    type Get = fn(&fund::PeriodResult) -> crate::stats::Stats;
    let rows: [(&str, Get, bool); 12] = [
        (l.credit_enabled, |p| p.credit_enabled, true),
        (
            l.refused_leverage_principal,
            |p| p.refused_leverage_principal,
            true,
        ),
        (
            l.refused_paused_principal,
            |p| p.refused_paused_principal,
            true,
        ),
        (l.ineligible_principal, |p| p.ineligible_principal, true),
        (words.defaults, |p| p.defaults, false),
        (words.gross_loss, |p| p.gross_loss, true),
        (words.fund_claims, |p| p.fund_claims, true),
        (words.fund_paid, |p| p.fund_paid, true),
        (words.bank_loss, |p| p.bank_loss, true),
        (words.other_parties_loss, |p| p.other_parties_loss, true),
        (words.buyer_outlay, |p| p.buyer_outlay, true),
        (words.public_cost, |p| p.public_cost, true),
    ];
    for (name, get, is_money) in rows {
        let mut row = vec![name.to_string()];
        for p in periods {
            let st = get(p);
            row.push(if is_money {
                format!("{} ({})", money(st.mean), money(st.p99))
            } else {
                format!("{:.2} ({:.0})", st.mean, st.p99)
            });
        }
        hz.add_row(row);
    }
    let mut row = vec![l.p_shortfall.to_string()];
    for p in periods {
        // Importance sampling is for rare events: four decimals would print them as 0.
        row.push(if r.importance_sampling.is_some() {
            format!(
                "{:.3e} ± {:.2e}",
                p.shortfall_probability, p.shortfall_probability_stderr
            )
        } else {
            super::probability_text(
                p.shortfall_probability,
                p.shortfall_probability_stderr,
                r.paths,
            )
        });
    }
    hz.add_row(row);
    let (lev, per_public, cost) = (
        &r.lifetime.peak_leverage,
        r.horizon.credit_per_public_yuan,
        r.lifetime.public_cost_per_credit,
    );
    s.push_str(&match lang {
        Lang::Zh => format!(
            "{hz}\n峰值放大倍数 {:.2}x（均值；p99 {:.2}x）| 每元财政资金撬动贷款 {per_public:.2} | 存续期每元贷款的财政成本 {cost:.4}\n",
            lev.mean, lev.p99,
        ),
        Lang::En => format!(
            "{hz}\npeak leverage {:.2}x (mean; p99 {:.2}x) | credit per public yuan {per_public:.2} | lifetime public cost per yuan of credit {cost:.4}\n",
            lev.mean, lev.p99,
        ),
    });
    if let Some(is) = &r.importance_sampling {
        s.push_str(&importance_line(is, lang));
    }
    for finding in &r.reading {
        s.push_str(&format!("* {}\n", lang.pick(&finding.zh, &finding.en)));
    }
    s
}

/// The importance-sampling line of the table: the tilt and what it saved.
pub fn importance_line(is: &fund::ImportanceSamplingReport, lang: Lang) -> String {
    let none = lang.pick("-（无缺口）", "- (no shortfall)");
    let factor = |v: Option<f64>| v.map_or(none.to_string(), |v| format!("{v:.1}x"));
    match lang {
        Lang::Zh => format!(
            "重要性抽样：共同因子均值 {:.2}，倾斜 {:.2}，试抽 {} 条路径 | 存续期缺口概率的方差缩减：每条路径 {}，计入试抽 {}\n",
            is.shift,
            is.twist,
            is.pilot_paths,
            factor(is.variance_reduction),
            factor(is.variance_reduction_with_pilot),
        ),
        Lang::En => format!(
            "importance sampling: common factor mean {:.2}, twist {:.2}, pilot {} paths | variance reduction of P(lifetime shortfall) {} per path, {} counting the pilot\n",
            is.shift,
            is.twist,
            is.pilot_paths,
            factor(is.variance_reduction),
            factor(is.variance_reduction_with_pilot),
        ),
    }
}
