//! `ipledge value`: the valuation's command-line door. Reads an asset list (JSON or CSV) and
//! the model, calls [`crate::valuation::value_portfolio`], prints JSON or a table.

use std::path::{Path, PathBuf};

use clap::Args;

use super::fund::with_threads;
use super::{CliError, Format, load_model, print_json, read_text};
use crate::asset::{Asset, AssetKind, Date, Industry, parse_csv, parse_json};
use crate::input::InputErrors;
use crate::lang::{Lang, amount, money};
use crate::valuation::{
    DEFAULT_AS_OF, ValuationError, ValuationParams, ValuationResult, ValuationSettings, ValueStats,
    value_portfolio,
};

/// Arguments of `ipledge value`.
#[derive(Debug, Args)]
pub struct ValueArgs {
    /// The asset list: JSON (an array or {"assets": [...]}) or CSV (`.csv`).
    pub assets: PathBuf,
    /// Monte Carlo paths.
    #[arg(long, default_value_t = 10_000)]
    pub paths: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Model file (default: the embedded models/default.toml).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Valuation date, YYYY-MM-DD (fixed default so that outputs are reproducible).
    #[arg(long, default_value_t = DEFAULT_AS_OF.to_string())]
    pub as_of: String,
    /// Language of the table (`--format table`): zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
    /// Worker threads, 1 to 1024 (default: all cores; the result does not depend on it).
    #[arg(long, value_parser = super::parse_threads)]
    pub threads: Option<usize>,
}

/// True when the path names a CSV file.
pub fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Parses an asset list by the file's extension (`.csv`, else JSON).
pub fn parse_assets(path: &Path, text: &str) -> Result<Vec<Asset>, InputErrors> {
    if is_csv(path) {
        parse_csv(text)
    } else {
        parse_json(text)
    }
}

/// Reads and validates an asset file, mapping problems to exit 2.
pub fn load_assets(path: &Path) -> Result<Vec<Asset>, CliError> {
    let text = read_text(path)?;
    parse_assets(path, &text).map_err(|e| CliError::bad_input(path, e))
}

impl From<ValuationError> for CliError {
    fn from(e: ValuationError) -> Self {
        match e {
            ValuationError::Parameters(_) => CliError::Internal(e.to_string()),
            other => CliError::Usage(other.to_string()),
        }
    }
}

/// Runs `ipledge value`.
pub fn run(args: &ValueArgs) -> Result<(), CliError> {
    let as_of: Date = args
        .as_of
        .parse()
        .map_err(|e| CliError::Usage(format!("--as-of: {e}")))?;
    if args.paths == 0 {
        return Err(CliError::Usage("--paths must be at least 1".to_string()));
    }
    let assets = load_assets(&args.assets)?;
    let model = load_model(args.model.as_deref())?;
    let params = ValuationParams::from_model(&model).map_err(|errors| CliError::BadInput {
        file: "model".to_string(),
        errors,
    })?;
    let settings = ValuationSettings {
        paths: args.paths,
        seed: args.seed,
        as_of,
    };
    let result = with_threads(args.threads, || {
        value_portfolio(&assets, &params, &model, &settings)
    })??;
    match args.format {
        Format::Json => print_json(&result),
        Format::Table => super::print_out(&table(&result, args.lang)),
    }
}

fn stats_cells(s: &ValueStats, lang: Lang) -> [String; 4] {
    [s.mean, s.p5, s.p50, s.p95].map(|v| amount(lang, v))
}

/// A readable table of a valuation result, in `lang`.
pub fn table(r: &ValuationResult, lang: Lang) -> String {
    let l = lang.table();
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        l.id,
        l.kind,
        l.industry,
        l.life_years,
        l.appraised,
        "p5",
        "p50",
        "p95",
        l.liquidation_mean,
        l.high_value,
        l.score,
    ]);
    for a in &r.assets {
        let [_, p5, p50, p95] = stats_cells(&a.value, lang);
        let hv = if a.high_value.is_high_value {
            format!("{} ({})", l.yes, a.high_value.criteria.len())
        } else {
            l.no.to_string()
        };
        t.add_row(vec![
            a.id.clone(),
            kind_name(a.kind, lang).to_string(),
            industry_name(a.industry, lang).to_string(),
            format!("{:.1}", a.remaining_life_years),
            money(lang, a.appraised_value),
            p5,
            p50,
            p95,
            amount(lang, a.liquidation_value.mean),
            hv,
            format!(
                "{:.0} {}",
                a.value_score.composite,
                a.value_score.grade.letter()
            ),
        ]);
    }
    let p = &r.portfolio;
    let [_, p5, p50, p95] = stats_cells(&p.value, lang);
    t.add_row(vec![
        l.portfolio.to_string(),
        String::new(),
        String::new(),
        String::new(),
        money(lang, p.appraised_value),
        p5,
        p50,
        p95,
        amount(lang, p.liquidation_value.mean),
        format!(
            "{}/{}",
            r.assets
                .iter()
                .filter(|a| a.high_value.is_high_value)
                .count(),
            r.assets.len()
        ),
        format!(
            "{:.0} {}",
            p.value_score.composite,
            p.value_score.grade.letter()
        ),
    ]);
    let sha = &r.model_sha256[..12.min(r.model_sha256.len())];
    let a = |v: f64| amount(lang, v);
    match lang {
        Lang::Zh => format!(
            "估值基准日 {} | 随机种子 {} | 路径 {} | 模型 {}（{sha}）\n{t}\n\
             组合价值：均值 {} ± {}（标准误），p5 {}，p95 {}；处置价值：均值 {}，p5 {}\n\
             （评分 = 综合评分 0–100 与等级；高价值 = 符合国家知识产权局高价值发明专利标准，括号内为符合的条数）",
            r.as_of,
            r.seed,
            r.paths,
            r.model_id,
            a(p.value.mean),
            a(p.value.stderr),
            a(p.value.p5),
            a(p.value.p95),
            a(p.liquidation_value.mean),
            a(p.liquidation_value.p5),
        ),
        Lang::En => format!(
            "valuation as of {} | seed {} | paths {} | model {} ({sha})\n{t}\n\
             portfolio value: mean {} ± {} (stderr), p5 {}, p95 {}; liquidation value: mean {}, p5 {}\n\
             (score = composite 0-100 and grade; high value = CNIPA criteria met, how many in brackets)",
            r.as_of,
            r.seed,
            r.paths,
            r.model_id,
            a(p.value.mean),
            a(p.value.stderr),
            a(p.value.p5),
            a(p.value.p95),
            a(p.liquidation_value.mean),
            a(p.liquidation_value.p5),
        ),
    }
}

/// An asset kind as the table shows it in `lang`.
pub fn kind_name(kind: AssetKind, lang: Lang) -> &'static str {
    let i = AssetKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
    lang.table().kinds[i]
}

/// An industry as the table shows it in `lang`.
pub fn industry_name(industry: Industry, lang: Lang) -> &'static str {
    lang.table().industries[industry.index()]
}
