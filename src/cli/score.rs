//! `ipledge score <application.json>`: reads an application (and optionally a model and a
//! scheme file), calls [`crate::credit::score_application`], prints the result JSON or a
//! table. Bad input exits 2 with every bad field and its path.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, Format, load_model, print_json, read_text};
use crate::credit::application::Application;
use crate::credit::decision::{Decision, Effect};
use crate::credit::score::{
    DEFAULT_PATHS, DEFAULT_SEED, ScoreResult, ScoreSettings, score_application,
};
use crate::lang::{Lang, money};
use crate::loss::schedule::Repayment;
use crate::money::Money;
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
    /// Language of the table (`--format table`): zh or en.
    #[arg(long, default_value = "en")]
    pub lang: Lang,
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
        Format::Table => super::print_out(&table(&result, args.lang)),
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// A readable summary of a scoring, in `lang` (the reasons in that language only).
pub fn table(r: &ScoreResult, lang: Lang) -> String {
    let l = lang.table();
    let m = |v: Money| money(lang, v);
    let yes_no = |b: bool| if b { l.yes } else { l.no }.to_string();
    let decision = l.decisions[match r.decision {
        Decision::Approve => 0,
        Decision::Refer => 1,
        Decision::Decline => 2,
    }];
    let repayment = l.repayments[match r.loan.repayment {
        Repayment::Bullet => 0,
        Repayment::Annuity => 1,
        Repayment::EqualPrincipal => 2,
    }];
    let mut head = comfy_table::Table::new();
    head.set_header(vec![l.item, l.value]);
    let rows: Vec<(&str, String)> = vec![
        (l.decision, decision.to_string()),
        (
            l.borrower,
            format!("{} ({})", r.borrower.name, r.borrower.credit_code),
        ),
        (
            l.loan,
            format!(
                "{} / {} {} / {} / {repayment}",
                m(r.loan.amount),
                r.loan.tenor_months,
                l.months,
                pct(r.loan.annual_rate),
            ),
        ),
        (l.pd, format!("{} / {}", pct(r.pd_1y), pct(r.pd_tenor))),
        (l.grade, r.grade.clone()),
        (l.ead, m(r.ead)),
        (
            l.lgd,
            format!(
                "{} ± {} / {} ± {}",
                pct(r.lgd_gross),
                pct(r.lgd_gross_stderr),
                pct(r.lgd_net),
                pct(r.lgd_net_stderr)
            ),
        ),
        (l.expected_loss, m(r.expected_loss)),
        (l.appraised_value, m(r.appraised_value)),
        (l.liquidation_value, m(r.liquidation_value)),
        (l.pledge_rate, pct(r.pledge_rate)),
        (l.max_loan, m(r.max_loan)),
        (
            l.capital,
            format!("{} / {}", pct(r.capital.k), m(r.capital.rwa)),
        ),
        (
            l.pricing,
            match lang {
                Lang::Zh => format!(
                    "{} / {}（可行：{}，贷款利率覆盖底线：{}）",
                    pct(r.pricing.min_rate),
                    r.pricing.rate_cap.map_or("-".to_string(), pct),
                    yes_no(r.pricing.fits),
                    yes_no(r.pricing.covers_floor)
                ),
                Lang::En => format!(
                    "{} / {} (fits: {}, loan rate covers floor: {})",
                    pct(r.pricing.min_rate),
                    r.pricing.rate_cap.map_or("-".to_string(), pct),
                    yes_no(r.pricing.fits),
                    yes_no(r.pricing.covers_floor)
                ),
            },
        ),
        (
            l.scheme,
            match &r.eligibility.scheme {
                None => "-".to_string(),
                Some(name) if r.eligibility.eligible => format!("{name}: {}", l.eligible),
                Some(name) => {
                    let details: Vec<&str> = r
                        .eligibility
                        .details
                        .iter()
                        .map(|d| lang.pick(d.zh.as_str(), d.en.as_str()))
                        .collect();
                    format!("{name}: {}\n{}", l.not_eligible, details.join("\n"))
                }
            },
        ),
        (l.green_channel, yes_no(r.green_channel)),
    ];
    for (k, v) in rows {
        head.add_row(vec![k.to_string(), v]);
    }
    let mut assets = comfy_table::Table::new();
    assets.set_header(vec![
        l.asset,
        l.kind,
        l.asset_grade,
        l.appraised,
        l.pledge_rate,
        l.limit,
        l.high_value,
    ]);
    for (a, hv) in r.collateral.assets.iter().zip(&r.high_value) {
        assets.add_row(vec![
            a.pledge.id.clone(),
            super::value::kind_name(a.pledge.kind, lang).to_string(),
            a.pledge.grade.clone(),
            m(a.pledge.appraised_value),
            pct(a.pledge.pledge_rate),
            m(a.pledge.loan_limit),
            yes_no(hv.high_value.is_high_value),
        ]);
    }
    let mut reasons = comfy_table::Table::new();
    reasons.set_header(vec![l.effect, l.code, l.reason]);
    for reason in &r.reasons {
        let effect = l.effects[match reason.effect {
            Effect::Decline => 0,
            Effect::Refer => 1,
            Effect::Adverse => 2,
            Effect::Favourable => 3,
        }];
        reasons.add_row(vec![
            effect.to_string(),
            reason.code.clone(),
            lang.pick(&reason.zh, &reason.en).clone(),
        ]);
    }
    let sha = &r.model_sha256[..12.min(r.model_sha256.len())];
    match lang {
        Lang::Zh => format!(
            "{head}\n{assets}\n{reasons}\n随机种子 {} | 路径 {} | 模型 {}（{sha}）",
            r.seed, r.paths, r.model_id
        ),
        Lang::En => format!(
            "{head}\n{assets}\n{reasons}\nseed {} | paths {} | model {} ({sha})",
            r.seed, r.paths, r.model_id
        ),
    }
}
