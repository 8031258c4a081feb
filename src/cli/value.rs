//! `ipledge value`: the valuation's command-line door. Reads an asset list (JSON or CSV) and
//! the model, calls [`crate::valuation::value_portfolio`], prints JSON or a table.

use std::path::{Path, PathBuf};

use clap::Args;

use super::fund::with_threads;
use super::{CliError, Format, load_model, print_json, read_text};
use crate::asset::{Asset, Date, parse_csv, parse_json};
use crate::input::InputErrors;
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
    /// Worker threads (default: all cores; the result does not depend on it).
    #[arg(long)]
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
        Format::Table => {
            println!("{}", table(&result));
            Ok(())
        }
    }
}

/// Whole yuan with thousands separators.
fn yuan(v: f64) -> String {
    let m = v.abs().round() as u64;
    let digits = m.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 && m > 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn stats_cells(s: &ValueStats) -> [String; 4] {
    [yuan(s.mean), yuan(s.p5), yuan(s.p50), yuan(s.p95)]
}

/// A readable table of a valuation result.
pub fn table(r: &ValuationResult) -> String {
    let mut t = comfy_table::Table::new();
    t.set_header(vec![
        "id",
        "kind",
        "industry",
        "life (y)",
        "appraised (CNY)",
        "p5",
        "p50",
        "p95",
        "liquidation (mean)",
        "high value",
        "score",
    ]);
    for a in &r.assets {
        let [_, p5, p50, p95] = stats_cells(&a.value);
        let hv = if a.high_value.is_high_value {
            format!("yes ({})", a.high_value.criteria.len())
        } else {
            "no".to_string()
        };
        t.add_row(vec![
            a.id.clone(),
            a.kind.name().to_string(),
            a.industry.name().to_string(),
            format!("{:.1}", a.remaining_life_years),
            yuan(a.appraised_value.to_f64()),
            p5,
            p50,
            p95,
            yuan(a.liquidation_value.mean),
            hv,
            format!(
                "{:.0} {}",
                a.value_score.composite,
                a.value_score.grade.letter()
            ),
        ]);
    }
    let p = &r.portfolio;
    let [_, p5, p50, p95] = stats_cells(&p.value);
    t.add_row(vec![
        "PORTFOLIO".to_string(),
        String::new(),
        String::new(),
        String::new(),
        yuan(p.appraised_value.to_f64()),
        p5,
        p50,
        p95,
        yuan(p.liquidation_value.mean),
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
    format!(
        "valuation as of {} | seed {} | paths {} | model {} ({})\n{t}\n\
         portfolio value: mean {} ± {} (stderr), p5 {}, p95 {}; liquidation value: mean {}, p5 {}\n\
         (amounts in CNY; score = composite 0-100 and grade; high value = CNIPA criteria met)",
        r.as_of,
        r.seed,
        r.paths,
        r.model_id,
        &r.model_sha256[..12.min(r.model_sha256.len())],
        yuan(p.value.mean),
        yuan(p.value.stderr),
        yuan(p.value.p5),
        yuan(p.value.p95),
        yuan(p.liquidation_value.mean),
        yuan(p.liquidation_value.p5),
    )
}
