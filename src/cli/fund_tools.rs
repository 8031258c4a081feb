//! `ipledge fund size | sweep | merge` and the `--report` of `fund simulate` / `fund merge`:
//! flags and files in, engine calls ([`crate::fund::size`], [`crate::fund::sweep`],
//! `fund::merge_parts`, [`crate::report`]) in the middle, JSON / CSV / tables / HTML out.
//!
//! No model logic here: sizing, sweeping, merging and drawing live in the engine and the
//! report module; this file only translates.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use comfy_table::Table;

use super::{CliError, Format, print_json, read_text};
use crate::fund::size::{SizeResult, SizeSettings, size_with};
use crate::fund::sweep::{self, Axis, SweepError, SweepResult, SweepRow};
use crate::fund::FundResult;
use crate::money::Money;
use crate::report::{self, Lang};
use crate::scenario::{DirResolver, Scenario};

/// `--report FILE.html [--lang zh|en]`, shared by `fund simulate` and `fund merge`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Also write a self-contained HTML report of the result to this file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Language of the report's labels.
    #[arg(long, default_value = "en", value_name = "zh|en")]
    pub lang: Lang,
}

impl ReportArgs {
    /// Writes the report if `--report` was given.
    pub fn write(&self, result: &FundResult) -> Result<(), CliError> {
        let Some(path) = &self.report else {
            return Ok(());
        };
        let page = report::render_html(result, self.lang)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        write_file(path, page.as_bytes())
    }
}

/// Writes an output file named by the user (exit 2 when it cannot be written).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))
}

/// `ipledge fund size`.
#[derive(Debug, Args)]
pub struct SizeArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Largest acceptable horizon shortfall probability P (in [0, 1]).
    #[arg(long = "max-shortfall-prob", value_name = "P")]
    pub max_shortfall_prob: f64,
    /// Paths per candidate (default: the scenario's).
    #[arg(long)]
    pub paths: Option<u64>,
    /// Seed of every candidate (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Width of the final bracket, CNY.
    #[arg(long, default_value = "1", value_name = "CNY")]
    pub resolution: Money,
    /// Give up above this initial capital, CNY.
    #[arg(long, default_value = "1000000000000", value_name = "CNY")]
    pub max_capital: Money,
    /// Worker threads (results do not depend on it).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `ipledge fund sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A swept key and its values, `KEY=V1,V2,...` (dotted path into the scenario TOML,
    /// e.g. `scheme.ratio=0.3,0.5`); repeat for a grid.
    #[arg(long = "set", value_name = "KEY=V1,V2,...", required = true)]
    pub set: Vec<String>,
    /// Paths per point (default: the scenario's).
    #[arg(long)]
    pub paths: Option<u64>,
    /// Seed of every point (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (results do not depend on it).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: SweepFormat,
}

/// Output format of `fund sweep`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// One JSON document with one row per point.
    #[default]
    Json,
    /// A header line and one line per point.
    Csv,
    /// A human-readable table.
    Table,
}

/// `ipledge fund merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The part files written by `fund simulate --shard I/N --out FILE`, in any order.
    #[arg(required = true, value_name = "part.json")]
    pub parts: Vec<PathBuf>,
    /// Write the merged result JSON to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// HTML report of the merged result.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Runs `fund size`.
pub fn size(args: &SizeArgs) -> Result<(), CliError> {
    let loaded = load(&args.scenario)?;
    let settings = SizeSettings {
        target: args.max_shortfall_prob,
        resolution: args.resolution,
        max_capital: args.max_capital,
        start: loaded.scenario.fund.initial_capital,
    };
    let result = with_threads(args.threads, || {
        size_with(&settings, |capital| {
            let mut scenario = loaded.scenario.clone();
            scenario.fund.initial_capital = capital;
            loaded.simulate(&scenario, args.seed, args.paths)
        })
    })?
    .map_err(|e| match e {
        crate::fund::size::SizeError::Simulation { .. } => CliError::Internal(e.to_string()),
        other => CliError::Usage(other.to_string()),
    })?;
    match args.format {
        Format::Json => print_json(&result),
        Format::Table => {
            println!("{}", size_table(&result));
            Ok(())
        }
    }
}

fn size_table(r: &SizeResult) -> Table {
    let mut t = Table::new();
    t.set_header(vec!["fund size", "value"]);
    let below = r
        .bracket
        .below
        .map_or_else(|| "-".to_string(), |m| m.to_string());
    let below_p = r
        .bracket
        .below_shortfall_probability
        .map_or_else(|| "-".to_string(), |p| format!("{p:.6}"));
    for (k, v) in [
        ("scenario", r.scenario.clone()),
        ("target shortfall probability", format!("{}", r.target_shortfall_probability)),
        ("initial capital (CNY)", r.initial_capital.to_string()),
        (
            "shortfall probability at it",
            format!("{:.6} ± {:.6}", r.shortfall_probability, r.shortfall_probability_stderr),
        ),
        ("capital just below (CNY)", below),
        ("shortfall probability there", below_p),
        ("resolution (CNY)", r.resolution.to_string()),
        ("simulations run", r.evaluations.to_string()),
        ("seed / paths", format!("{} / {}", r.seed, r.paths)),
        ("model", format!("{} ({})", r.model_id, r.model_sha256)),
    ] {
        t.add_row(vec![k.to_string(), v]);
    }
    t
}

/// Runs `fund sweep`.
pub fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let loaded = load(&args.scenario)?;
    let axes: Vec<Axis> = args
        .set
        .iter()
        .map(|s| Axis::parse(s))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let result = with_threads(args.threads, || {
        sweep::run(&loaded.text, &loaded.files, &axes, |scenario| {
            loaded.simulate(scenario, args.seed, args.paths)
        })
    })?
    .map_err(|e| match e {
        SweepError::Invalid { point, errors } => CliError::BadInput {
            file: format!("{} with --set {point}", args.scenario.display()),
            errors,
        },
        SweepError::Simulation { .. } => CliError::Internal(e.to_string()),
        other => CliError::Usage(other.to_string()),
    })?;
    match args.format {
        SweepFormat::Json => print_json(&result),
        SweepFormat::Csv => print_csv(&result),
        SweepFormat::Table => {
            println!("{}", sweep_table(&result));
            Ok(())
        }
    }
}

fn point_values(result: &SweepResult, row: &SweepRow) -> Vec<String> {
    result
        .keys
        .iter()
        .map(|k| match row.set.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        })
        .collect()
}

fn print_csv(result: &SweepResult) -> Result<(), CliError> {
    let internal = |e: csv::Error| CliError::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    let header: Vec<&str> = result
        .keys
        .iter()
        .map(String::as_str)
        .chain(SweepRow::FIGURES)
        .collect();
    w.write_record(&header).map_err(internal)?;
    for row in &result.rows {
        let mut record = point_values(result, row);
        record.extend(row.figures().iter().map(f64::to_string));
        w.write_record(&record).map_err(internal)?;
    }
    w.flush().map_err(|e| CliError::Internal(e.to_string()))
}

fn sweep_table(result: &SweepResult) -> Table {
    let mut t = Table::new();
    let mut header: Vec<String> = result.keys.clone();
    header.extend(
        [
            "shortfall prob.",
            "claims mean",
            "claims p99",
            "paid mean",
            "bank loss mean",
            "refused",
            "leverage",
            "cost / credit",
        ]
        .map(String::from),
    );
    t.set_header(header);
    for row in &result.rows {
        let mut cells = point_values(result, row);
        cells.extend([
            format!(
                "{:.4} ± {:.4}",
                row.shortfall_probability, row.shortfall_probability_stderr
            ),
            format!("{:.0} ± {:.0}", row.fund_claims_mean, row.fund_claims_stderr),
            format!("{:.0}", row.fund_claims_p99),
            format!("{:.0}", row.fund_paid_mean),
            format!("{:.0}", row.bank_loss_mean),
            format!("{:.1}", row.loans_refused_mean),
            format!("{:.2}", row.leverage_achieved),
            format!("{:.4}", row.cost_per_credit),
        ]);
        t.add_row(cells);
    }
    t
}

/// A scenario file read, with what is needed to re-read it edited (sweeps) and to run it.
struct Loaded {
    text: String,
    files: DirResolver,
    scenario: Scenario,
}

fn load(path: &Path) -> Result<Loaded, CliError> {
    let text = read_text(path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = DirResolver(dir);
    let scenario =
        Scenario::from_toml_str(&text, &files).map_err(|e| CliError::bad_input(path, e))?;
    Ok(Loaded {
        text,
        files,
        scenario,
    })
}

/// Runs `f` on a pool of `threads` workers (results never depend on it), or on the global
/// pool.
fn with_threads<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, CliError> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(CliError::Usage("--threads must be >= 1".to_string())),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| CliError::Internal(e.to_string())),
    }
}

/// Writes `text` to `out`, or prints it.
pub fn emit(out: Option<&Path>, text: &str) -> Result<(), CliError> {
    match out {
        Some(path) => write_file(path, text.as_bytes()),
        None => {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{text}").map_err(|e| CliError::Internal(e.to_string()))
        }
    }
}
