//! `ipledge fund capacity|compare|optimise`: the bureau's inverse questions. Translation only:
//! the searches live in [`crate::fund::capacity`], [`crate::fund::compare`] and
//! [`crate::fund::optimise`].

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::fund::{RunArgs, load_scenario, table, with_threads};
use super::{CliError, Format, print_json, probability_text, read_text};
use crate::fund::capacity::{CapacityBinding, CapacityError, CapacityResult, CapacitySettings};
use crate::fund::compare::{CompareResult, Figure, OWN};
use crate::fund::optimise::{
    self, Objective, OptimiseError, OptimisePoint, OptimiseResult, OptimiseSettings, Vary,
};
use crate::fund::{self, Evaluator};
use crate::money::Money;
use crate::report::Lang;
use crate::scenario::DirResolver;

/// Output format of `fund compare` and `fund optimise`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// One JSON document.
    #[default]
    Json,
    /// Comma-separated values.
    Csv,
    /// A readable table.
    Table,
}

/// Arguments of `fund capacity`.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Largest acceptable probability that the fund cannot pay some claim in full over its
    /// lifetime (horizon and run-off).
    #[arg(long)]
    pub max_shortfall_prob: f64,
    /// Share of the principal passing eligibility and pauses that must enrol under the
    /// leverage limit (1 = the limit refuses nothing).
    #[arg(long, default_value_t = 1.0)]
    pub min_enrolled_share: f64,
    /// Step of the book multiple; the answer is a multiple of it.
    #[arg(long, default_value_t = CapacitySettings::DEFAULT_RESOLUTION)]
    pub resolution: f64,
    /// Largest book multiple tried (memory grows with it: the draw holds that many books).
    #[arg(long, default_value_t = CapacitySettings::DEFAULT_MAX_MULTIPLE)]
    pub max_multiple: f64,
    /// Paths, seed, threads and model.
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Also write an HTML report of the answer to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the report: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

/// Arguments of `fund compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The scenario file (TOML); its own scheme is the first column.
    pub scenario: PathBuf,
    /// Schemes to compare with it, comma-separated: preset names (`ipledge` lists them under
    /// `scenarios/schemes/`) or scheme files next to the scenario.
    #[arg(long, value_delimiter = ',', required = true)]
    pub schemes: Vec<String>,
    /// Paths, seed, threads and model.
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableFormat::Json)]
    pub format: TableFormat,
    /// Also write an HTML report, the schemes side by side, to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the report: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

/// Arguments of `fund optimise`.
#[derive(Debug, Args)]
pub struct OptimiseArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A key and its range, `KEY=LO..HI[:STEPS]` (STEPS evenly spaced values, default 5), or
    /// `KEY=VALUE` to fix it; any numeric scenario key (`scheme.ratio`, `scheme.per_loan_cap`,
    /// `fund.leverage_limit`, `scheme.pause_bank_npl_above`, `fund.initial_capital`) or
    /// `book.multiple`. Repeat for a grid.
    #[arg(long, required = true)]
    pub vary: Vec<String>,
    /// What to maximise: credit_enabled, book_multiple, a varied key (e.g. scheme.ratio: the
    /// most generous rule) or -public_cost_per_credit.
    #[arg(long, allow_hyphen_values = true)]
    pub objective: String,
    /// Largest acceptable lifetime shortfall probability.
    #[arg(long)]
    pub max_shortfall_prob: f64,
    /// Largest public outlay: initial capital + appropriations + mean lifetime subsidies paid
    /// from the budget (CNY).
    #[arg(long)]
    pub budget: Option<Money>,
    /// Bisection steps refining the optimum between grid values of the objective's key.
    #[arg(long, default_value_t = 6)]
    pub refine: u32,
    /// Paths, seed, threads and model.
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format (csv: one row per grid point).
    #[arg(long, value_enum, default_value_t = TableFormat::Json)]
    pub format: TableFormat,
    /// Also write an HTML report (optimum, frontier, every point) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Language of the report: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
}

fn resolver_for(scenario: &Path) -> DirResolver {
    DirResolver(scenario.parent().map(Path::to_path_buf).unwrap_or_default())
}

fn write_html(
    path: &Path,
    html: Result<String, crate::report::ReportError>,
) -> Result<(), CliError> {
    let html = html.map_err(|e| CliError::Internal(e.to_string()))?;
    std::fs::write(path, html).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    eprintln!("wrote report to {}", path.display());
    Ok(())
}

fn emit(text: String) -> Result<(), CliError> {
    println!("{text}");
    Ok(())
}

/// `fund capacity`.
pub fn capacity(args: &CapacityArgs) -> Result<(), CliError> {
    let scenario = load_scenario(&args.scenario)?;
    let settings = args.run.settings(&args.scenario, &scenario)?;
    let search = CapacitySettings {
        target: args.max_shortfall_prob,
        min_enrolled_share: args.min_enrolled_share,
        resolution: args.resolution,
        max_multiple: args.max_multiple,
    };
    let result = with_threads(args.run.threads, || {
        fund::capacity::capacity(&scenario, &settings, &search)
    })?
    .map_err(|e| match e {
        CapacityError::BadSetting { .. } => CliError::Usage(e.to_string()),
        other => CliError::Internal(other.to_string()),
    })?;
    if let Some(path) = &args.report {
        write_html(path, crate::report::render_capacity(&result, args.lang))?;
    }
    match args.format {
        Format::Json => print_json(&result),
        Format::Table => emit(capacity_table(&result)),
    }
}

fn capacity_table(r: &CapacityResult) -> String {
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        "book multiple",
        "lifetime P(shortfall)",
        "refused by leverage",
    ]);
    t.add_row(vec![
        format!("{}", r.bracket.below),
        probability_text(
            r.shortfall_probability,
            r.shortfall_probability_stderr,
            r.paths,
        ),
        String::new(),
    ]);
    if let (Some(above), Some(p), Some(s)) = (
        r.bracket.above,
        r.bracket.above_shortfall_probability,
        r.bracket.above_refused_leverage_share,
    ) {
        t.add_row(vec![
            format!("{above}"),
            format!("{p:.4}"),
            format!("{:.3} %", 100.0 * s),
        ]);
    }
    let binding = match r.binding {
        CapacityBinding::Shortfall => {
            "the shortfall target: a bigger book's claims outrun the money"
        }
        CapacityBinding::Leverage => {
            "the leverage limit: the capital has no room to enrol a bigger book"
        }
        CapacityBinding::MaxMultiple => "nothing up to --max-multiple: raise it to look further",
    };
    format!(
        "scenario {} | seed {} | paths {} | target lifetime P(shortfall) <= {} | enrol >= {} of the principal asked | draws: {}, ledger passes: {}\n\
         capacity: {} × the planned book ({} loans, {:.0} CNY of principal; credit enabled {:.0} ± {:.0} CNY)\n\
         binding: {binding}\n{t}\n\nsimulation at the answer:\n{}",
        r.scenario,
        r.seed,
        r.paths,
        r.target_shortfall_probability,
        r.min_enrolled_share,
        r.draws,
        r.ledger_passes,
        r.book_multiple,
        r.loans,
        r.principal,
        r.credit_enabled,
        r.credit_enabled_stderr,
        table(&r.result)
    )
}

/// `fund compare`.
pub fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let text = read_text(&args.scenario)?;
    let base = load_scenario(&args.scenario)?;
    let settings = args.run.settings(&args.scenario, &base)?;
    let resolver = resolver_for(&args.scenario);
    let result = with_threads(args.run.threads, || {
        let mut evaluator = Evaluator::new(&settings, 1);
        fund::compare::compare(&text, &resolver, &args.schemes, &mut evaluator)
    })?
    .map_err(|e| super::fund_tools::sweep_error(&args.scenario, e))?;
    if let Some(path) = &args.report {
        write_html(path, crate::report::render_compare(&result, args.lang))?;
    }
    match args.format {
        TableFormat::Json => print_json(&result),
        TableFormat::Csv => emit(compare_csv(&result)?),
        TableFormat::Table => emit(compare_table(&result)),
    }
}

/// The table label of a compared figure ([`CompareFigures::rows`]).
fn compare_label(name: &str) -> &'static str {
    match name {
        "lifetime_fund_claims" => "lifetime claims (CNY)",
        "lifetime_fund_paid" => "lifetime paid (CNY)",
        "lifetime_bank_loss" => "lifetime bank loss (CNY)",
        "lifetime_other_parties_loss" => "lifetime other parties' loss (CNY)",
        "lifetime_public_cost" => "lifetime public cost (CNY)",
        "credit_enabled" => "credit enabled (CNY)",
        "ineligible_principal" => "refused: ineligible (CNY)",
        "refused_paused_principal" => "refused: bank paused (CNY)",
        "refused_leverage_principal" => "refused: leverage limit (CNY)",
        "peak_leverage" => "peak leverage",
        "credit_per_public_yuan" => "credit per public yuan",
        "horizon_shortfall_probability" => "P(shortfall), horizon",
        "lifetime_shortfall_probability" => "P(shortfall), lifetime",
        _ => "",
    }
}

/// The rows of a comparison: label and the value of each column, as text.
fn compare_rows(r: &CompareResult) -> Vec<(&'static str, Vec<String>)> {
    let Some(first) = r.schemes.first() else {
        return Vec::new();
    };
    (0..first.figures.rows().len())
        .map(|i| {
            let name = first.figures.rows()[i].0;
            let cells = r
                .schemes
                .iter()
                .map(|c| match c.figures.rows()[i].1 {
                    Figure::Money(m) => format!("{:.0} ± {:.0}", m.mean, m.stderr),
                    Figure::Times(m) => format!("{:.2}", m.mean),
                    Figure::Ratio(x) => format!("{x:.2}"),
                    Figure::Probability(p) => probability_text(p.p, p.stderr, r.paths),
                })
                .collect();
            (compare_label(name), cells)
        })
        .collect()
}

fn column_name(c: &crate::fund::compare::CompareColumn) -> String {
    if c.label == OWN {
        format!("{} {OWN}", c.scheme)
    } else {
        c.label.clone()
    }
}

fn compare_table(r: &CompareResult) -> String {
    let mut t = comfy_table::Table::new();
    let mut header = vec![String::new()];
    header.extend(r.schemes.iter().map(column_name));
    t.set_header(header);
    for (label, cells) in compare_rows(r) {
        let mut row = vec![label.to_string()];
        row.extend(cells);
        t.add_row(row);
    }
    let mut reading = String::new();
    for c in &r.schemes {
        for f in &c.result.reading {
            reading.push_str(&format!("\n- {}: {}", column_name(c), f.en));
        }
    }
    format!(
        "scenario {} | seed {} | paths {} | common random numbers: draws of defaults: {}, ledger passes: {}\n{t}\n\nwhat each result says:{reading}",
        r.scenario, r.seed, r.paths, r.simulations, r.ledger_passes
    )
}

fn compare_csv(r: &CompareResult) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| CliError::Internal(e.to_string());
    w.write_record(["scheme", "label", "figure", "mean_or_p", "stderr"])
        .map_err(internal)?;
    for c in &r.schemes {
        for (name, figure) in c.figures.rows() {
            let (value, stderr) = figure.value();
            w.write_record([
                c.scheme.as_str(),
                c.label.as_str(),
                name,
                &value.to_string(),
                &stderr.map(|e| e.to_string()).unwrap_or_default(),
            ])
            .map_err(internal)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CliError::Internal(e.to_string()))
}

/// `fund optimise`.
pub fn optimise(args: &OptimiseArgs) -> Result<(), CliError> {
    let text = read_text(&args.scenario)?;
    let base = load_scenario(&args.scenario)?;
    let settings = args.run.settings(&args.scenario, &base)?;
    let usage = |e: OptimiseError| match e {
        OptimiseError::Point(p) => super::fund_tools::sweep_error(&args.scenario, p),
        other => CliError::Usage(other.to_string()),
    };
    let vary: Vec<Vary> = args
        .vary
        .iter()
        .map(|a| Vary::parse(a))
        .collect::<Result<_, _>>()
        .map_err(usage)?;
    let objective = Objective::parse(&args.objective).map_err(usage)?;
    let search = OptimiseSettings {
        target: args.max_shortfall_prob,
        budget: args.budget,
        refine: args.refine,
    };
    let resolver = resolver_for(&args.scenario);
    let copies = optimise::max_multiple(&vary).ceil() as u32;
    let result = with_threads(args.run.threads, || {
        let mut evaluator = Evaluator::new(&settings, copies);
        optimise::optimise(&text, &resolver, &vary, &objective, &search, &mut evaluator)
    })?
    .map_err(usage)?;
    if let Some(path) = &args.report {
        write_html(path, crate::report::render_optimise(&result, args.lang))?;
    }
    match args.format {
        TableFormat::Json => print_json(&result),
        TableFormat::Csv => emit(optimise_csv(&result)?),
        TableFormat::Table => emit(optimise_table(&result)),
    }
}

fn point_text(p: &OptimisePoint) -> String {
    p.point
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn objective_text(p: &OptimisePoint) -> String {
    // Amounts in whole yuan; rates and multiples with their decimals.
    let number = |v: f64| {
        if v.abs() >= 1000.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.6}")
        }
    };
    match p.objective_stderr {
        Some(se) if se > 0.0 => format!("{} ± {}", number(p.objective), number(se)),
        _ => number(p.objective),
    }
}

fn optimise_table(r: &OptimiseResult) -> String {
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        "point",
        "objective",
        "lifetime P(shortfall)",
        "credit enabled (CNY)",
        "budget used (CNY)",
        "feasible",
    ]);
    for p in &r.frontier {
        t.add_row(vec![
            point_text(p),
            objective_text(p),
            probability_text(
                p.shortfall_probability,
                p.shortfall_probability_stderr,
                r.paths,
            ),
            format!("{:.0}", p.credit_enabled),
            format!("{:.0}", p.budget_used),
            if p.feasible { "yes" } else { "no" }.to_string(),
        ]);
    }
    let budget = r
        .budget
        .map_or_else(String::new, |b| format!(" | budget {b} CNY"));
    let answer = match &r.optimum {
        Some(o) => format!(
            "optimum: {} | {} = {} | lifetime P(shortfall) {} | credit enabled {:.0} CNY | budget used {:.0} CNY",
            point_text(o),
            r.objective,
            objective_text(o),
            probability_text(o.shortfall_probability, o.shortfall_probability_stderr, r.paths),
            o.credit_enabled,
            o.budget_used
        ),
        None => "no point of the grid meets the shortfall target (and the budget): widen the ranges or relax the target".to_string(),
    };
    let refined = r.refinement.as_ref().map_or_else(String::new, |f| {
        format!(
            "\nrefined along {}: {} feasible, {} not ({} more points)",
            f.key, f.feasible, f.infeasible, f.points
        )
    });
    format!(
        "scenario {} | seed {} | paths {} | maximise {} subject to lifetime P(shortfall) <= {}{budget}\n\
         {} grid points, {} draws of defaults, {} ledger passes\n{answer}{refined}\n\
         frontier (objective against lifetime shortfall, within budget):\n{t}",
        r.scenario,
        r.seed,
        r.paths,
        r.objective,
        r.max_shortfall_probability,
        r.points.len(),
        r.simulations,
        r.ledger_passes,
    )
}

fn optimise_csv(r: &OptimiseResult) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| CliError::Internal(e.to_string());
    let mut header: Vec<String> = r.keys.clone();
    header.extend(
        [
            "objective",
            "objective_stderr",
            "lifetime_shortfall_probability",
            "lifetime_shortfall_probability_stderr",
            "horizon_shortfall_probability",
            "credit_enabled",
            "public_cost",
            "budget_used",
            "within_budget",
            "feasible",
        ]
        .map(String::from),
    );
    w.write_record(&header).map_err(internal)?;
    for p in &r.points {
        let mut row: Vec<String> = r
            .keys
            .iter()
            .map(|k| p.point.get(k).map(f64::to_string).unwrap_or_default())
            .collect();
        row.extend([
            p.objective.to_string(),
            p.objective_stderr
                .map(|s| s.to_string())
                .unwrap_or_default(),
            p.shortfall_probability.to_string(),
            p.shortfall_probability_stderr.to_string(),
            p.horizon_shortfall_probability.to_string(),
            p.credit_enabled.to_string(),
            p.public_cost.to_string(),
            p.budget_used.to_string(),
            p.within_budget.to_string(),
            p.feasible.to_string(),
        ]);
        w.write_record(&row).map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| CliError::Internal(e.to_string()))
}
