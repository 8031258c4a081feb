//! Scoring a loan application end to end (docs/models.md): [`score_application`].
//!
//! The order of the work, each step in its own module:
//! 1. appraise the pledged portfolio (`valuation::appraise`, stream domain `Valuation`):
//!    appraised and liquidation values with their errors, high-value verdicts, value scores
//!    (the valuation's quantiles are not part of a score, so they are not computed);
//! 2. pledge rates by kind × value grade and `max_loan` ([`super::pledge`]);
//! 3. one-year PD from the scorecard with the portfolio's value score as an input, the master
//!    grade, the tenor PD ([`super::scorecard`], [`super::master_scale`]);
//! 4. scheme eligibility and the green channel ([`super::eligibility`]);
//! 5. LGD Monte Carlo conditional on default (stream domain `Credit`), with the value and the
//!    liquidation proceeds of the pledged IP at the default time under the same factors as the
//!    default ([`super::lgd`]); the fund layer, and the scheme's public recovery buyer (a
//!    share of the IP's value at default), only when the loan is eligible for the scheme;
//! 6. `expected_loss = PD_tenor × EAD × lgd_net`; Basel IRB capital with the SME adjustment
//!    (sales = revenue) and maturity = tenor, on `lgd_net` (guarantee, insurance and fund
//!    recognised as loss mitigation in the LGD, a simplification of Basel's substitution
//!    approach); `RWA = 12.5·K·EAD` ([`super::basel`]);
//! 7. pricing floor against the loan rate and the scheme's rate cap ([`super::pricing`]);
//! 8. decision and ordered reasons ([`super::decision`]).
//!
//! The result is a pure function of (application, model, seed, paths): both simulations run in
//! fixed batches on `rng::run_batches`, identical at any thread count. Amounts that are money
//! (EAD, EL, limits, RWA) are `Money` strings rounded to the fen here, once.
//! Must not read files or know about the CLI or HTTP.

use serde::Serialize;

use super::application::{Application, Loan};
use super::basel::{self, IrbInputs};
use super::decision::{self, Decision, DecisionInputs, Reason};
use super::eligibility::{self, CollateralFacts, Eligibility};
use super::layers::{GuaranteeLayer, InsuranceLayer, Layers};
use super::lgd::{
    self, CollateralModel, DefaultEvent, DefaultModel, LgdResult, LgdSettings, LossModel,
};
use super::master_scale;
use super::params::CreditParams;
use super::pledge::{self, AssetPledge};
use super::pricing::{self, Pricing, PricingInputs};
use super::scorecard::{self, Contribution};
use crate::asset::{Asset, AssetKind, AssetStatus, Date, Industry};
use crate::input::InputErrors;
use crate::loss::CollateralAtDefault;
use crate::loss::schedule::{Repayment, Schedule};
use crate::model::Model;
use crate::money::Money;
use crate::rng::Stream;
use crate::scheme::Scheme;
use crate::valuation::{
    self, DefaultState, HighValue, PortfolioValuer, ValuationError, ValuationParams,
    ValuationSettings, ValueScore,
};

/// Default Monte Carlo paths of a scoring.
pub const DEFAULT_PATHS: u64 = 10_000;
/// Default seed of a scoring.
pub const DEFAULT_SEED: u64 = 1;

/// How to score.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreSettings {
    /// Monte Carlo paths of the valuation and of the LGD simulation (≥ 1).
    pub paths: u64,
    /// Seed of both simulations (independent streams).
    pub seed: u64,
    /// A scheme that overrides the application's (`--scheme FILE`).
    pub scheme: Option<Scheme>,
}

impl Default for ScoreSettings {
    fn default() -> Self {
        ScoreSettings {
            paths: DEFAULT_PATHS,
            seed: DEFAULT_SEED,
            scheme: None,
        }
    }
}

/// Why an application could not be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// The model's `[credit]` or `[valuation]` section is invalid.
    #[error("invalid model: {0}")]
    Model(InputErrors),
    /// The pledged portfolio cannot be valued (e.g. an asset filed after the valuation date).
    #[error("valuation: {0}")]
    Valuation(#[from] ValuationError),
    /// Zero paths.
    #[error("paths must be at least 1")]
    NoPaths,
    /// A simulated amount is not a finite number (absurd inputs).
    #[error("{what} is not a finite amount")]
    NotFinite {
        /// Which amount.
        what: &'static str,
    },
}

impl ScoreError {
    /// True when the error is the caller's input (exit 2 / HTTP 422) rather than internal.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ScoreError::Model(_) | ScoreError::NoPaths | ScoreError::NotFinite { .. } => true,
            ScoreError::Valuation(e) => !matches!(e, ValuationError::Parameters(_)),
        }
    }
}

/// The borrower as the result names it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BorrowerSummary {
    /// Unified social credit code.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// Industry.
    pub industry: Industry,
}

/// The loan as scored.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LoanSummary {
    /// Principal.
    pub amount: Money,
    /// Tenor in months.
    pub tenor_months: u32,
    /// Annual rate.
    pub annual_rate: f64,
    /// Repayment profile.
    pub repayment: Repayment,
}

/// The high-value verdict of one pledged asset.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AssetHighValue {
    /// Asset id.
    pub id: String,
    /// The verdict and the criteria met.
    #[serde(flatten)]
    pub high_value: HighValue,
}

/// The value score of one pledged asset.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AssetValueScore {
    /// Asset id.
    pub id: String,
    /// Degrees, composite, grade and drivers.
    #[serde(flatten)]
    pub score: ValueScore,
}

/// Value scores per asset and for the portfolio (value-weighted).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ValueScores {
    /// Per asset, in input order.
    pub assets: Vec<AssetValueScore>,
    /// The portfolio: the scorecard's `ip_value_score` input.
    pub portfolio: ValueScore,
}

/// Basel IRB capital.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Capital {
    /// Capital requirement per unit of EAD.
    pub k: f64,
    /// Risk-weighted assets `12.5 · K · EAD`.
    pub rwa: Money,
    /// Risk weight `12.5 · K`.
    pub risk_weight: f64,
    /// Asset correlation R (with the SME adjustment).
    pub correlation: f64,
    /// Maturity used (tenor, clamped to [1, 5] years inside the formula).
    pub maturity_years: f64,
    /// Sales in EUR m for the SME adjustment (clamped to [5, 50] inside the formula).
    pub sales_eur_m: f64,
    /// LGD used (`lgd_net`).
    pub lgd: f64,
}

/// One pledged asset as collateral.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CollateralAsset {
    /// Pledge rate, limit and exclusion.
    #[serde(flatten)]
    pub pledge: AssetPledge,
    /// Industry (as given or from the IPC mapping).
    pub industry: Industry,
    /// Mean liquidation value at the valuation date, CNY.
    pub liquidation_value: Money,
    /// Status.
    pub status: AssetStatus,
}

/// The collateral side of the application.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CollateralSummary {
    /// Per pledged asset.
    pub assets: Vec<CollateralAsset>,
    /// IP share of the collateral (appraised IP / (IP + other collateral)).
    pub ip_share: f64,
    /// Other collateral as given.
    pub other_collateral: Money,
    /// Other collateral after its haircut (what the LGD simulation recovers from it).
    pub other_collateral_recovery: Money,
    /// Every pledged asset is `valid`.
    pub all_valid: bool,
    /// No pledged asset is already pledged.
    pub none_already_pledged: bool,
    /// Every pledged asset has a clear title.
    pub clear_title: bool,
}

/// The scorecard behind `pd_1y`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScorecardSummary {
    /// Total points (higher is better).
    pub points: f64,
    /// logit of the unfloored PD.
    pub logit: f64,
    /// Contributions, largest adverse first.
    pub contributions: Vec<Contribution>,
}

/// The result of scoring an application (the headline keys first, then the detail behind them).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScoreResult {
    /// `approve`, `refer` or `decline`.
    pub decision: Decision,
    /// Reasons, adverse first.
    pub reasons: Vec<Reason>,
    /// One-year PD.
    pub pd_1y: f64,
    /// PD within the tenor.
    pub pd_tenor: f64,
    /// Master-scale grade.
    pub grade: String,
    /// Expected exposure at default (given default).
    pub ead: Money,
    /// Loss after collateral / EAD, before guarantee, insurance and fund.
    pub lgd_gross: f64,
    /// Standard error of `lgd_gross`.
    pub lgd_gross_stderr: f64,
    /// Bank's loss after guarantee, insurance and fund / EAD.
    pub lgd_net: f64,
    /// Standard error of `lgd_net`.
    pub lgd_net_stderr: f64,
    /// `PD_tenor × EAD × lgd_net`.
    pub expected_loss: Money,
    /// Standard error of `expected_loss`, CNY.
    pub expected_loss_stderr: f64,
    /// Appraised value of the pledged portfolio (income approach).
    pub appraised_value: Money,
    /// Standard error of the appraised value (CNY).
    pub appraised_value_stderr: f64,
    /// Mean liquidation value of the pledged portfolio at the valuation date.
    pub liquidation_value: Money,
    /// Standard error of the liquidation value (CNY).
    pub liquidation_value_stderr: f64,
    /// `max_loan / appraised_value`.
    pub pledge_rate: f64,
    /// `Σ pledge_rate × appraised value`.
    pub max_loan: Money,
    /// High-value verdict per asset.
    pub high_value: Vec<AssetHighValue>,
    /// Value scores per asset and for the portfolio.
    pub value_score: ValueScores,
    /// Basel IRB capital.
    pub capital: Capital,
    /// Pricing floor.
    pub pricing: Pricing,
    /// Scheme eligibility.
    pub eligibility: Eligibility,
    /// Green channel (IP demonstration firm, clean credit, clear title).
    pub green_channel: bool,
    /// Scorecard detail.
    pub scorecard: ScorecardSummary,
    /// Collateral detail.
    pub collateral: CollateralSummary,
    /// The LGD simulation (per default scenario, conditional on default).
    pub loss_given_default: LgdResult,
    /// The lending bank.
    pub bank_id: String,
    /// The borrower.
    pub borrower: BorrowerSummary,
    /// The loan.
    pub loan: LoanSummary,
    /// The scheme applied, if any.
    pub scheme: Option<String>,
    /// Valuation date.
    pub as_of: Date,
    /// Seed.
    pub seed: u64,
    /// Paths of each simulation.
    pub paths: u64,
    /// Model id.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
}

/// The pledged IP the bank can realise at default: assets in force and not pledged to
/// another creditor.
enum PledgedCollateral {
    None,
    Portfolio(Box<PortfolioValuer>),
}

impl CollateralModel for PledgedCollateral {
    fn liquidation_at_defaults(
        &self,
        rng: &mut Stream,
        events: &[DefaultEvent],
        out: &mut [CollateralAtDefault],
    ) {
        match self {
            PledgedCollateral::None => out.fill(CollateralAtDefault::default()),
            PledgedCollateral::Portfolio(valuer) => {
                let states: Vec<DefaultState> = events
                    .iter()
                    .map(|event| DefaultState {
                        years: event.years,
                        common_z: event.common_z,
                        industry: valuer.borrower_industry(),
                        industry_z: event.industry_z,
                    })
                    .collect();
                valuer.liquidation_given_each(rng, &states, out);
            }
        }
    }
}

fn money(value: f64, what: &'static str) -> Result<Money, ScoreError> {
    Money::from_f64_fen(value).ok_or(ScoreError::NotFinite { what })
}

fn loan_summary(loan: &Loan) -> LoanSummary {
    LoanSummary {
        amount: loan.amount,
        tenor_months: loan.tenor_months,
        annual_rate: loan.annual_rate.get(),
        repayment: loan.repayment,
    }
}

/// Scores `app` under `model` (see the module documentation for the steps).
pub fn score_application(
    app: &Application,
    model: &Model,
    settings: &ScoreSettings,
) -> Result<ScoreResult, ScoreError> {
    score_with(app, model, &ScoringParams::from_model(model)?, settings)
}

/// The parameters scoring reads from a model, read and validated once: a server keeps one
/// for its model instead of re-reading the model's sections for every application.
#[derive(Clone, Debug)]
pub struct ScoringParams {
    /// The `[credit]` section.
    pub credit: CreditParams,
    /// The `[valuation]` section.
    pub valuation: ValuationParams,
}

impl ScoringParams {
    /// Reads and validates the sections of `model`.
    pub fn from_model(model: &Model) -> Result<ScoringParams, ScoreError> {
        Ok(ScoringParams {
            credit: CreditParams::from_model(model).map_err(ScoreError::Model)?,
            valuation: ValuationParams::from_model(model).map_err(ScoreError::Model)?,
        })
    }
}

/// [`score_application`] with the model's parameters already read (`params` must come from
/// `model`: the result carries `model`'s id and SHA-256).
pub fn score_with(
    app: &Application,
    model: &Model,
    params: &ScoringParams,
    settings: &ScoreSettings,
) -> Result<ScoreResult, ScoreError> {
    if settings.paths == 0 {
        return Err(ScoreError::NoPaths);
    }
    let credit = &params.credit;
    let vparams = &params.valuation;
    let scheme = settings.scheme.as_ref().or(app.scheme.as_ref());
    let as_of = app.as_of.unwrap_or(valuation::DEFAULT_AS_OF);
    let assets = &app.pledged_assets;
    let loan = &app.loan;
    let borrower = &app.borrower;

    // 1. Valuation.
    let valued = valuation::appraise(
        assets,
        vparams,
        &ValuationSettings {
            paths: settings.paths,
            seed: settings.seed,
            as_of,
        },
    )?;
    let ip_appraised = valued.appraised_value.to_f64();

    // 2. Pledge rates and limit.
    let pledges: Vec<AssetPledge> = assets
        .iter()
        .zip(&valued.assets)
        .map(|(asset, v)| {
            pledge::asset_pledge(
                &credit.pledge_rate,
                asset,
                v.value_score.grade.letter(),
                v.appraised_value,
            )
        })
        .collect();
    let (max_loan, pledge_rate) = pledge::limit(&pledges);

    // 3. PD.
    let card = scorecard::score(&borrower.features(valued.value_score.composite), credit);
    let pd_1y = card.pd_1y;
    let grade = master_scale::grade(&credit.master_scale, pd_1y, false);
    let default_model = DefaultModel {
        pd_1y,
        tenor_months: loan.tenor_months,
        asset_correlation: credit.default_model.asset_correlation,
        sector_share: credit.default_model.sector_share,
    };
    let pd_tenor = default_model.pd_tenor();

    // 4. Eligibility and green channel.
    let facts = CollateralFacts::of(assets, ip_appraised);
    let eligibility = eligibility::evaluate(app, scheme, &facts, &credit.pricing);
    let green_channel = eligibility::green_channel(
        app,
        scheme,
        &facts,
        credit.decision.green_channel_clean_years,
    );

    // 5. LGD.
    let realisable: Vec<Asset> = assets
        .iter()
        .filter(|a| a.status().is_in_force() && !a.encumbrances().already_pledged)
        .cloned()
        .collect();
    let collateral = if realisable.is_empty() {
        PledgedCollateral::None
    } else {
        PledgedCollateral::Portfolio(Box::new(
            PortfolioValuer::new(&realisable, vparams, as_of)?
                .with_borrower_industry(borrower.industry),
        ))
    };
    let fund = scheme.filter(|_| eligibility.eligible);
    let other_recovery =
        app.other_collateral.to_f64() * (1.0 - credit.default_model.other_collateral_haircut);
    let schedule = Schedule::new(loan.repayment, loan.tenor_months, loan.annual_rate.get());
    let layers = Layers {
        guarantee: app.guarantee.map(|g| GuaranteeLayer {
            share: g.share,
            guarantor_pd: g.guarantor_pd,
        }),
        insurance: app.insurance.map(|i| InsuranceLayer {
            cover_share: i.cover_share,
            limit: i.limit.to_f64(),
        }),
    };
    let lgd = lgd::simulate(
        &default_model,
        &LossModel {
            amount: loan.amount.to_f64(),
            schedule: &schedule,
            other_recovery,
            layers,
            fund,
        },
        &collateral,
        LgdSettings {
            paths: settings.paths,
            seed: settings.seed,
        },
    );

    // 6. Expected loss and capital.
    let ead = lgd.ead.mean;
    let expected_loss = pd_tenor * lgd.loss_net.mean;
    let sales_eur_m = borrower.revenue.to_f64() / 1e6 / credit.capital.cny_per_eur;
    let irb = basel::capital(IrbInputs {
        pd: pd_1y,
        lgd: lgd.lgd_net.value,
        maturity_years: loan.tenor_years(),
        sales_eur_m: Some(sales_eur_m),
        confidence: credit.capital.confidence,
    });

    // 7. Pricing.
    let amount = loan.amount.to_f64();
    let pricing = pricing::price(
        &credit.pricing,
        &PricingInputs {
            el_rate: expected_loss / amount / loan.tenor_years(),
            capital_k: irb.k,
            loan_rate: loan.annual_rate,
            rate_cap: eligibility::rate_cap(scheme, &credit.pricing, loan.tenor_months),
        },
    );

    // 8. Decision.
    let high_value_count = valued
        .assets
        .iter()
        .zip(assets)
        .filter(|(v, a)| v.high_value.is_high_value && a.kind() == AssetKind::Invention)
        .count();
    let (decision, reasons) = decision::decide(
        &DecisionInputs {
            pd_1y,
            grade: &grade,
            lgd_net: lgd.lgd_net.value,
            loan_amount: amount,
            max_loan: max_loan.to_f64(),
            pricing: &pricing,
            eligibility: &eligibility,
            collateral: &facts,
            green_channel,
            high_value_count,
            contributions: &card.contributions,
        },
        &credit.decision,
    );

    let collateral_assets = pledges
        .into_iter()
        .zip(&valued.assets)
        .zip(assets)
        .map(|((pledge, v), a)| {
            Ok(CollateralAsset {
                pledge,
                industry: v.industry,
                liquidation_value: money(v.liquidation_value.mean, "liquidation value")?,
                status: a.status(),
            })
        })
        .collect::<Result<Vec<_>, ScoreError>>()?;
    Ok(ScoreResult {
        decision,
        reasons,
        pd_1y,
        pd_tenor,
        grade,
        ead: money(ead, "ead")?,
        lgd_gross: lgd.lgd_gross.value,
        lgd_gross_stderr: lgd.lgd_gross.stderr,
        lgd_net: lgd.lgd_net.value,
        lgd_net_stderr: lgd.lgd_net.stderr,
        expected_loss: money(expected_loss, "expected loss")?,
        expected_loss_stderr: pd_tenor * lgd.loss_net.stderr,
        appraised_value: valued.appraised_value,
        appraised_value_stderr: valued.value.stderr,
        liquidation_value: money(valued.liquidation_value.mean, "liquidation value")?,
        liquidation_value_stderr: valued.liquidation_value.stderr,
        pledge_rate,
        max_loan,
        high_value: valued
            .assets
            .iter()
            .zip(assets)
            .map(|(v, a)| AssetHighValue {
                id: a.id().to_string(),
                high_value: v.high_value.clone(),
            })
            .collect(),
        value_score: ValueScores {
            assets: valued
                .assets
                .iter()
                .zip(assets)
                .map(|(v, a)| AssetValueScore {
                    id: a.id().to_string(),
                    score: v.value_score.clone(),
                })
                .collect(),
            portfolio: valued.value_score.clone(),
        },
        capital: Capital {
            k: irb.k,
            rwa: money(irb.risk_weight() * ead, "rwa")?,
            risk_weight: irb.risk_weight(),
            correlation: irb.correlation,
            maturity_years: loan.tenor_years(),
            sales_eur_m,
            lgd: lgd.lgd_net.value,
        },
        pricing,
        eligibility,
        green_channel,
        scorecard: ScorecardSummary {
            points: card.points,
            logit: card.logit,
            contributions: card.contributions,
        },
        collateral: CollateralSummary {
            assets: collateral_assets,
            ip_share: eligibility::ip_share(ip_appraised, app.other_collateral),
            other_collateral: app.other_collateral,
            other_collateral_recovery: money(other_recovery, "other collateral")?,
            all_valid: facts.all_valid,
            none_already_pledged: facts.none_already_pledged,
            clear_title: facts.clear_title,
        },
        loss_given_default: lgd,
        bank_id: app.bank_id.clone(),
        borrower: BorrowerSummary {
            credit_code: borrower.credit_code.to_string(),
            name: borrower.name.clone(),
            industry: borrower.industry,
        },
        loan: loan_summary(loan),
        scheme: scheme.map(|s| s.name.clone()),
        as_of,
        seed: settings.seed,
        paths: settings.paths,
        model_id: model.id().to_string(),
        model_sha256: model.sha256().to_string(),
    })
}
