//! `ipledge score <application.json>`: reads an application (and optionally a model and a
//! scheme file), calls [`crate::credit::score_application`], prints the result JSON or a
//! table. Bad input exits 2 with every bad field and its path.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, Format, load_model, print_json, read_text};
use crate::credit::application::Application;
use crate::credit::score::{
    DEFAULT_PATHS, DEFAULT_SEED, ScoreResult, ScoreSettings, score_application,
};
use crate::scheme::{Scheme, presets};

/// Arguments of `ipledge score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The application (JSON; keys in docs/cli.md).
    pub application: PathBuf,
    /// Monte Carlo paths of the valuation and of the LGD simulation.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: u64,
    /// Seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Model file (default: the embedded `models/default.toml`).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Compensation scheme (a scheme TOML file, or a preset name such as `sichuan-tianfu`);
    /// overrides the application's `scheme`.
    #[arg(long)]
    pub scheme: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

/// Reads an application file, mapping bad fields to exit 2.
pub fn load_application(path: &Path) -> Result<Application, CliError> {
    let text = read_text(path)?;
    Application::from_json(&text).map_err(|e| CliError::bad_input(path, e))
}

/// `--scheme`: an existing file, else a preset name.
fn load_scheme(arg: &str) -> Result<Scheme, CliError> {
    let path = Path::new(arg);
    if path.exists() || presets::text(arg).is_none() {
        let text = read_text(path)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Scheme::from_toml_str(&text, &stem).map_err(|e| CliError::bad_input(path, e));
    }
    presets::get(arg)
        .unwrap_or_else(|| unreachable!("checked above that the preset exists"))
        .map_err(|e| CliError::bad_input(path, e))
}

/// Runs `ipledge score`.
pub fn run(args: &ScoreArgs) -> Result<(), CliError> {
    if args.paths == 0 {
        return Err(CliError::Usage("--paths must be at least 1".to_string()));
    }
    let app = load_application(&args.application)?;
    let model = load_model(args.model.as_deref())?;
    let scheme = args.scheme.as_deref().map(load_scheme).transpose()?;
    let settings = ScoreSettings {
        paths: args.paths,
        seed: args.seed,
        scheme,
    };
    let result = score_application(&app, &model, &settings).map_err(|e| {
        if e.is_bad_input() {
            CliError::Usage(format!("{}: {e}", args.application.display()))
        } else {
            CliError::Internal(e.to_string())
        }
    })?;
    match args.format {
        Format::Json => print_json(&result),
        Format::Table => {
            println!("{}", table(&result));
            Ok(())
        }
    }
}

fn yuan(m: crate::money::Money) -> String {
    let text = m.to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}.{frac}")
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// A readable summary of a scoring.
pub fn table(r: &ScoreResult) -> String {
    let mut head = comfy_table::Table::new();
    head.set_header(vec!["item", "value"]);
    let rows: Vec<(&str, String)> = vec![
        ("decision", format!("{:?}", r.decision).to_lowercase()),
        (
            "borrower",
            format!("{} ({})", r.borrower.name, r.borrower.credit_code),
        ),
        (
            "loan",
            format!(
                "{} / {} months / {} / {:?}",
                yuan(r.loan.amount),
                r.loan.tenor_months,
                pct(r.loan.annual_rate),
                r.loan.repayment
            )
            .to_lowercase(),
        ),
        (
            "pd 1y / tenor",
            format!("{} / {}", pct(r.pd_1y), pct(r.pd_tenor)),
        ),
        ("grade", r.grade.clone()),
        ("ead", yuan(r.ead)),
        (
            "lgd gross / net",
            format!(
                "{} ± {} / {} ± {}",
                pct(r.lgd_gross),
                pct(r.lgd_gross_stderr),
                pct(r.lgd_net),
                pct(r.lgd_net_stderr)
            ),
        ),
        ("expected loss", yuan(r.expected_loss)),
        ("appraised value", yuan(r.appraised_value)),
        ("liquidation value", yuan(r.liquidation_value)),
        ("pledge rate", pct(r.pledge_rate)),
        ("max loan", yuan(r.max_loan)),
        (
            "capital k / rwa",
            format!("{} / {}", pct(r.capital.k), yuan(r.capital.rwa)),
        ),
        (
            "pricing floor / rate cap",
            format!(
                "{} / {} (fits: {}, loan rate covers floor: {})",
                pct(r.pricing.min_rate),
                r.pricing.rate_cap.map_or("-".to_string(), pct),
                r.pricing.fits,
                r.pricing.covers_floor
            ),
        ),
        (
            "scheme",
            match &r.eligibility.scheme {
                None => "-".to_string(),
                Some(name) if r.eligibility.eligible => format!("{name}: eligible"),
                Some(name) => format!(
                    "{name}: not eligible ({})",
                    r.eligibility.failed_rules.join(", ")
                ),
            },
        ),
        ("green channel", r.green_channel.to_string()),
    ];
    for (k, v) in rows {
        head.add_row(vec![k.to_string(), v]);
    }
    let mut assets = comfy_table::Table::new();
    assets.set_header(vec![
        "asset",
        "kind",
        "grade",
        "appraised",
        "pledge rate",
        "limit",
        "high value",
    ]);
    for (a, hv) in r.collateral.assets.iter().zip(&r.high_value) {
        assets.add_row(vec![
            a.pledge.id.clone(),
            a.pledge.kind.name().to_string(),
            a.pledge.grade.clone(),
            yuan(a.pledge.appraised_value),
            pct(a.pledge.pledge_rate),
            yuan(a.pledge.loan_limit),
            hv.high_value.is_high_value.to_string(),
        ]);
    }
    let mut reasons = comfy_table::Table::new();
    reasons.set_header(vec!["effect", "code", "reason"]);
    for reason in &r.reasons {
        reasons.add_row(vec![
            format!("{:?}", reason.effect).to_lowercase(),
            reason.code.clone(),
            format!("{}\n{}", reason.zh, reason.en),
        ]);
    }
    format!(
        "{head}\n{assets}\n{reasons}\nseed {} | paths {} | model {} ({})",
        r.seed,
        r.paths,
        r.model_id,
        &r.model_sha256[..12.min(r.model_sha256.len())]
    )
}
