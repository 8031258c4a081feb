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
use crate::lang::{Lang, amount};
use crate::money::Money;
use crate::report::compare_figure;
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
    /// Language of the table (`--format table`) and of the report: zh or en.
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
    /// Language of the table (`--format table`) and of the report: zh or en.
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
    /// Language of the table (`--format table`) and of the report: zh or en.
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
    super::print_out(&text)
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
        Format::Table => emit(capacity_table(&result, args.lang)),
    }
}

fn capacity_table(r: &CapacityResult, lang: Lang) -> String {
    let l = lang.table();
    let money = |v: f64| amount(lang, v);
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        l.book_multiple,
        l.p_shortfall_lifetime,
        l.refused_leverage_share,
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
        CapacityBinding::Shortfall => lang.pick(
            "缺口概率目标：更大的贷款规模的补偿申请超出资金承受能力",
            "the shortfall target: a bigger book's claims outrun the money",
        ),
        CapacityBinding::Leverage => lang.pick(
            "放大倍数上限：资金没有余地纳入更大的贷款规模",
            "the leverage limit: the capital has no room to enrol a bigger book",
        ),
        CapacityBinding::MaxMultiple => lang.pick(
            "直到 --max-multiple 均未触及约束：调高它以继续搜索",
            "nothing up to --max-multiple: raise it to look further",
        ),
    };
    let at_answer = table(&r.result, lang);
    match lang {
        Lang::Zh => format!(
            "情景 {} | 随机种子 {} | 路径 {} | 目标：存续期缺口概率 <= {} | 纳入本金比例 >= {} | 违约抽样 {} 次，台账计算 {} 次\n\
             承载能力：计划贷款规模的 {} 倍（{} 笔贷款，本金 {}；撬动贷款 {} ± {}）\n\
             约束：{binding}\n{t}\n\n{}\n{at_answer}",
            r.scenario,
            r.seed,
            r.paths,
            r.target_shortfall_probability,
            r.min_enrolled_share,
            r.draws,
            r.ledger_passes,
            r.book_multiple,
            r.loans,
            money(r.principal),
            money(r.credit_enabled),
            money(r.credit_enabled_stderr),
            l.at_answer,
        ),
        Lang::En => format!(
            "scenario {} | seed {} | paths {} | target lifetime P(shortfall) <= {} | enrol >= {} of the principal asked | draws: {}, ledger passes: {}\n\
             capacity: {} × the planned book ({} loans, {} of principal; credit enabled {} ± {})\n\
             binding: {binding}\n{t}\n\n{}\n{at_answer}",
            r.scenario,
            r.seed,
            r.paths,
            r.target_shortfall_probability,
            r.min_enrolled_share,
            r.draws,
            r.ledger_passes,
            r.book_multiple,
            r.loans,
            money(r.principal),
            money(r.credit_enabled),
            money(r.credit_enabled_stderr),
            l.at_answer,
        ),
    }
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
        TableFormat::Table => emit(compare_table(&result, args.lang)),
    }
}

/// The rows of a comparison: label and the value of each column, as text.
fn compare_rows(r: &CompareResult, lang: Lang) -> Vec<(&'static str, Vec<String>)> {
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
                    Figure::Money(m) => {
                        format!("{} ± {}", amount(lang, m.mean), amount(lang, m.stderr))
                    }
                    Figure::Times(m) => format!("{:.2}", m.mean),
                    Figure::Ratio(x) => format!("{x:.2}"),
                    Figure::Probability(p) => probability_text(p.p, p.stderr, r.paths),
                })
                .collect();
            (compare_figure(name, lang), cells)
        })
        .collect()
}

fn column_name(c: &crate::fund::compare::CompareColumn, lang: Lang) -> String {
    if c.label == OWN {
        format!("{} {}", c.scheme, lang.pick("（情景本身）", OWN))
    } else {
        c.label.clone()
    }
}

fn compare_table(r: &CompareResult, lang: Lang) -> String {
    let mut t = comfy_table::Table::new();
    let mut header = vec![String::new()];
    header.extend(r.schemes.iter().map(|c| column_name(c, lang)));
    t.set_header(header);
    for (label, cells) in compare_rows(r, lang) {
        let mut row = vec![label.to_string()];
        row.extend(cells);
        t.add_row(row);
    }
    let mut reading = String::new();
    for c in &r.schemes {
        for f in &c.result.reading {
            reading.push_str(&format!(
                "\n- {}: {}",
                column_name(c, lang),
                lang.pick(&f.zh, &f.en)
            ));
        }
    }
    let findings = lang.table().findings;
    match lang {
        Lang::Zh => format!(
            "情景 {} | 随机种子 {} | 路径 {} | 共同随机数：违约抽样 {} 次，台账计算 {} 次\n{t}\n\n{findings}{reading}",
            r.scenario, r.seed, r.paths, r.simulations, r.ledger_passes
        ),
        Lang::En => format!(
            "scenario {} | seed {} | paths {} | common random numbers: draws of defaults: {}, ledger passes: {}\n{t}\n\n{findings}{reading}",
            r.scenario, r.seed, r.paths, r.simulations, r.ledger_passes
        ),
    }
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
        TableFormat::Table => emit(optimise_table(&result, args.lang)),
    }
}

fn point_text(p: &OptimisePoint) -> String {
    p.point
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn objective_text(p: &OptimisePoint, objective: &str, lang: Lang) -> String {
    // Amounts as people read them; rates and multiples with their decimals.
    let number = |v: f64| {
        if objective == "credit_enabled" {
            amount(lang, v)
        } else if v.abs() >= 1000.0 {
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

fn optimise_table(r: &OptimiseResult, lang: Lang) -> String {
    let l = lang.table();
    let money = |v: f64| amount(lang, v);
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        l.point,
        l.objective,
        l.p_shortfall_lifetime,
        l.credit_enabled,
        l.budget_used,
        l.feasible,
    ]);
    for p in &r.frontier {
        t.add_row(vec![
            point_text(p),
            objective_text(p, &r.objective, lang),
            probability_text(
                p.shortfall_probability,
                p.shortfall_probability_stderr,
                r.paths,
            ),
            money(p.credit_enabled),
            money(p.budget_used),
            if p.feasible { l.yes } else { l.no }.to_string(),
        ]);
    }
    let budget = r.budget.map_or_else(String::new, |b| {
        format!(
            " | {} {}",
            lang.pick("预算", "budget"),
            crate::lang::money(lang, b)
        )
    });
    let answer = match (&r.optimum, lang) {
        (Some(o), Lang::Zh) => format!(
            "最优方案：{} | {} = {} | 存续期缺口概率 {} | 撬动贷款 {} | 已用预算 {}",
            point_text(o),
            r.objective,
            objective_text(o, &r.objective, lang),
            probability_text(o.shortfall_probability, o.shortfall_probability_stderr, r.paths),
            money(o.credit_enabled),
            money(o.budget_used)
        ),
        (Some(o), Lang::En) => format!(
            "optimum: {} | {} = {} | lifetime P(shortfall) {} | credit enabled {} | budget used {}",
            point_text(o),
            r.objective,
            objective_text(o, &r.objective, lang),
            probability_text(o.shortfall_probability, o.shortfall_probability_stderr, r.paths),
            money(o.credit_enabled),
            money(o.budget_used)
        ),
        (None, _) => lang.pick(
            "网格中没有满足缺口概率目标（及预算）的参数组合：请放宽取值范围或目标",
            "no point of the grid meets the shortfall target (and the budget): widen the ranges or relax the target",
        ).to_string(),
    };
    let refined = r
        .refinement
        .as_ref()
        .map_or_else(String::new, |f| match lang {
            Lang::Zh => format!(
                "\n沿 {} 细化：{} 个可行，{} 个不可行（新增 {} 个参数组合）",
                f.key, f.feasible, f.infeasible, f.points
            ),
            Lang::En => format!(
                "\nrefined along {}: {} feasible, {} not ({} more points)",
                f.key, f.feasible, f.infeasible, f.points
            ),
        });
    match lang {
        Lang::Zh => format!(
            "情景 {} | 随机种子 {} | 路径 {} | 最大化 {}，约束：存续期缺口概率 <= {}{budget}\n\
             {} 个参数组合，违约抽样 {} 次，台账计算 {} 次\n{answer}{refined}\n\
             前沿（目标值与存续期缺口概率，预算之内）：\n{t}",
            r.scenario,
            r.seed,
            r.paths,
            r.objective,
            r.max_shortfall_probability,
            r.points.len(),
            r.simulations,
            r.ledger_passes,
        ),
        Lang::En => format!(
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
        ),
    }
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
