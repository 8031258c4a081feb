//! Risk-compensation scheme rules (docs/schemes.md): how much of a loan's loss a fund repays, when,
//! under which caps, and who is eligible.
//!
//! A scheme is a TOML document (a preset under `scenarios/schemes/`, or the inline `[scheme]`
//! table of a scenario) whose top-level keys are `ratio`, `trigger`, `claim_lag_months`, the caps,
//! `pause_bank_npl_above`, `liability_limited_to_balance`, `recoveries` plus `name`,
//! `source`, `[[band]]`, `[[layer]]`, `per_loan_cap_after_year1`, `disposal_delay_months`,
//! `eu_cap`, `loss_split`, `recovery_buyer_share`, `leverage_limit`, `[eligibility]` and
//! `[subsidies]`. Parsing follows the project pattern: [`RawScheme`] (serde,
//! `deny_unknown_fields`) then [`RawScheme::validate`] builds a [`Scheme`], reporting every bad
//! field with its path. [`Scheme::compensation`] is the pure per-loan rule that both the fund
//! simulator and loan scoring use.
//!
//! Owns the rules only: must not simulate, read files (see [`presets`] for the shipped presets,
//! embedded at build time) or know about the CLI or HTTP.

mod eligibility;
pub mod presets;
mod subsidy;

use serde::{Deserialize, Serialize};

use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::Money;

pub use eligibility::{EligibilityRules, FirmSize, RateCap, RawEligibility, RawRateCap};
pub use subsidy::{
    FeeSubsidy, InterestSubsidy, PaidFrom, RawFeeSubsidy, RawInterestSubsidy, RawSubsidies,
    SubsidyRules,
};

/// The keys of a scheme document that choose its coverage form; a scheme has exactly one.
pub const COVERAGE_KEYS: [&str; 5] = ["ratio", "band", "layer", "loss_split", "eu_cap"];

/// Lays `overrides` over the scheme document `base` (a preset with a scenario's overrides,
/// or a sweep's edit): keys of `overrides` replace those of `base`, and a coverage form in
/// `overrides` replaces the base's coverage form instead of adding a second one.
pub fn overlay(base: &mut toml::Table, overrides: toml::Table) {
    if overrides
        .keys()
        .any(|k| COVERAGE_KEYS.contains(&k.as_str()))
    {
        base.retain(|k, _| !COVERAGE_KEYS.contains(&k));
    }
    base.extend(overrides);
}

/// Tolerance for shares that must sum to one (`loss_split`).
pub const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// When a claim on the fund falls due.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// When the loan is classified non-performing: at default + `claim_lag_months`
    /// (Shenzhen pool).
    #[default]
    Npl,
    /// After the collateral is disposed of and the loss is final: at default +
    /// `disposal_delay_months`.
    FinalLoss,
}

/// What happens to recoveries after an NPL-stage claim.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Recoveries {
    /// The fund pays on the estimated principal loss and keeps no claim on recoveries.
    #[default]
    None,
    /// The fund pays on the whole non-performing principal at classification and receives its
    /// pro-rata share of the recoveries when the collateral is sold.
    ProRata,
}

/// A size band: loans up to `max_amount` are covered at `ratio`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Band {
    /// Largest loan amount in the band (inclusive).
    pub max_amount: Money,
    /// Fund share of the loss for loans in the band.
    pub ratio: f64,
}

/// One stacked layer (e.g. province 40 % + city 20 %), each with its own caps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Layer {
    /// Who pays this layer (`province`, `city`).
    pub name: String,
    /// Share of the loss this layer pays.
    pub ratio: f64,
    /// Per-loan cap of this layer.
    pub per_loan_cap: Option<Money>,
    /// Annual cap of this layer.
    pub annual_cap: Option<Money>,
}

/// EU capped-portfolio guarantee: each loss is covered at `guarantee_rate`, but total payments
/// never exceed `volume × guarantee_rate × cap_rate`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EuCap {
    /// Share of each loss guaranteed (COSME: 50 %).
    pub guarantee_rate: f64,
    /// Cap rate on the guaranteed volume (COSME: 20 %).
    pub cap_rate: f64,
}

/// Shares of each loss borne by the parties of a loss-sharing scheme (sum to 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LossSplit {
    /// The fund's share.
    pub fund: f64,
    /// The lending bank's share.
    pub bank: f64,
    /// The insurer's share.
    pub insurer: f64,
    /// A guarantor's share.
    pub guarantor: f64,
    /// The valuation firm's share.
    pub valuation_firm: f64,
}

impl LossSplit {
    /// Share borne by parties other than the fund and the bank.
    pub fn others(&self) -> f64 {
        self.insurer + self.guarantor + self.valuation_firm
    }
}

/// How the fund's share of one loss is determined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// One ratio for every loan.
    Ratio(f64),
    /// Ratio by loan size; a loan above the last band is not covered.
    Bands(Vec<Band>),
    /// Stacked layers, each with its own ratio and caps.
    Layers(Vec<Layer>),
    /// Loss-sharing scheme: the fund pays `loss_split.fund`.
    Split(LossSplit),
    /// EU capped guarantee.
    EuCapped(EuCap),
}

/// A validated compensation scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scheme {
    /// Name of the scheme (preset name or scenario-supplied).
    pub name: String,
    /// Where the rules come from.
    pub source: Option<String>,
    /// The fund's share of a loss.
    pub coverage: Coverage,
    /// When claims fall due.
    pub trigger: Trigger,
    /// Months from default to an NPL-stage claim.
    pub claim_lag_months: u32,
    /// Months from default to the final loss (collateral sold).
    pub disposal_delay_months: u32,
    /// Cap on the compensation for one loan (in the scheme's first year).
    pub per_loan_cap: Option<Money>,
    /// Cap on the compensation for one loan from the scheme's second year on (step-up).
    pub per_loan_cap_after_year1: Option<Money>,
    /// Cap on the compensation owed in one year.
    pub annual_cap: Option<Money>,
    /// A bank whose annual NPL ratio exceeds this is paused for the following year.
    pub pause_bank_npl_above: Option<f64>,
    /// The fund never pays more than its balance.
    pub liability_limited_to_balance: bool,
    /// Whether recoveries after an NPL-stage claim flow back to the fund.
    pub recoveries: Recoveries,
    /// A public recovery buyer offers this share of the pledged collateral's value at the
    /// default date (its own appraisal, made at purchase; Korea: 0.5).
    // Loan scoring and the fund sampler both apply it so, through `loss::recovery::recover`.
    pub recovery_buyer_share: Option<f64>,
    /// Enrolled principal may not exceed this multiple of the fund's balance.
    pub leverage_limit: Option<f64>,
    /// Loan eligibility rules (evaluated by loan scoring).
    pub eligibility: EligibilityRules,
    /// Subsidies attached to the scheme.
    pub subsidies: SubsidyRules,
}

/// The scheme document as written (top level of a preset, or a scenario's `[scheme]` table).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheme {
    /// Scheme name.
    pub name: Option<String>,
    /// Source of the rules (a citation).
    pub source: Option<String>,
    /// Fund share of the covered principal loss.
    pub ratio: Option<f64>,
    /// Size bands.
    pub band: Option<Vec<RawBand>>,
    /// Stacked layers.
    pub layer: Option<Vec<RawLayer>>,
    /// `npl` (default) or `final_loss`.
    pub trigger: Option<Trigger>,
    /// Months from default to an NPL-stage claim (default 0).
    pub claim_lag_months: Option<i64>,
    /// Months from default to final loss (default 12).
    pub disposal_delay_months: Option<i64>,
    /// Per-loan cap.
    pub per_loan_cap: Option<Money>,
    /// Per-loan cap from year 2 on.
    pub per_loan_cap_after_year1: Option<Money>,
    /// Annual cap.
    pub annual_cap: Option<Money>,
    /// Bank pause threshold on its annual NPL ratio.
    pub pause_bank_npl_above: Option<f64>,
    /// Default true.
    pub liability_limited_to_balance: Option<bool>,
    /// `none` (default) or `pro_rata`.
    pub recoveries: Option<Recoveries>,
    /// EU capped guarantee.
    pub eu_cap: Option<RawEuCap>,
    /// Loss split.
    pub loss_split: Option<RawLossSplit>,
    /// Public recovery buyer's offer, a share of the collateral's value at default.
    pub recovery_buyer_share: Option<f64>,
    /// Leverage limit (may also sit in the scenario's `[fund]` block).
    pub leverage_limit: Option<f64>,
    /// Eligibility rules.
    pub eligibility: Option<RawEligibility>,
    /// Subsidies.
    pub subsidies: Option<RawSubsidies>,
}

/// `[[band]]` as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    /// Largest loan in the band.
    pub max_amount: Money,
    /// Ratio for the band.
    pub ratio: f64,
}

/// `[[layer]]` as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    /// Layer name.
    pub name: Option<String>,
    /// Ratio of the layer.
    pub ratio: f64,
    /// Per-loan cap of the layer.
    pub per_loan_cap: Option<Money>,
    /// Annual cap of the layer.
    pub annual_cap: Option<Money>,
}

/// `eu_cap` as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEuCap {
    /// Guarantee rate.
    pub guarantee_rate: f64,
    /// Cap rate.
    pub cap_rate: f64,
}

/// `loss_split` as written; missing parties have share 0.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLossSplit {
    /// Fund share.
    pub fund: Option<f64>,
    /// Bank share.
    pub bank: Option<f64>,
    /// Insurer share.
    pub insurer: Option<f64>,
    /// Guarantor share.
    pub guarantor: Option<f64>,
    /// Valuation firm share.
    pub valuation_firm: Option<f64>,
}

/// Checks that `value` is a share in [0, 1], recording a problem at `path` otherwise.
pub(crate) fn check_share(p: &mut Problems, value: f64, path: &FieldPath) {
    p.check(
        value.is_finite() && (0.0..=1.0).contains(&value),
        path,
        format!("must be a share between 0 and 1 (got {value})"),
    );
}

/// Checks that an amount is not negative.
pub(crate) fn check_money(p: &mut Problems, value: Option<Money>, path: &FieldPath) {
    if let Some(m) = value {
        p.check(!m.is_negative(), path, format!("must be >= 0 (got {m})"));
    }
}

/// Checks a month count is in 0..=600.
fn months(p: &mut Problems, value: Option<i64>, default: u32, path: &FieldPath) -> u32 {
    match value {
        None => default,
        Some(v) if (0..=600).contains(&v) => v as u32,
        Some(v) => {
            p.push(path, format!("must be between 0 and 600 months (got {v})"));
            default
        }
    }
}

impl RawScheme {
    /// Builds the scheme; `at` is where this document sits (root for a preset file,
    /// `scheme` for a scenario's inline table). `default_name` names a scheme without `name`.
    pub fn validate(&self, at: &FieldPath, default_name: &str) -> Result<Scheme, InputErrors> {
        let mut p = Problems::new();
        let mut coverages: Vec<(&str, Coverage)> = Vec::new();
        if let Some(r) = self.ratio {
            check_share(&mut p, r, &at.field("ratio"));
            coverages.push(("ratio", Coverage::Ratio(r)));
        }
        if let Some(bands) = &self.band {
            let path = at.field("band");
            if bands.is_empty() {
                p.push(&path, "needs at least one band");
            }
            let mut last: Option<Money> = None;
            for (i, b) in bands.iter().enumerate() {
                let bp = path.index(i);
                check_share(&mut p, b.ratio, &bp.field("ratio"));
                p.check(
                    b.max_amount > Money::ZERO,
                    &bp.field("max_amount"),
                    format!("must be > 0 (got {})", b.max_amount),
                );
                if let Some(prev) = last {
                    p.check(
                        b.max_amount > prev,
                        &bp.field("max_amount"),
                        "bands must be in increasing max_amount order",
                    );
                }
                last = Some(b.max_amount);
            }
            coverages.push((
                "band",
                Coverage::Bands(
                    bands
                        .iter()
                        .map(|b| Band {
                            max_amount: b.max_amount,
                            ratio: b.ratio,
                        })
                        .collect(),
                ),
            ));
        }
        if let Some(layers) = &self.layer {
            let path = at.field("layer");
            if layers.is_empty() {
                p.push(&path, "needs at least one layer");
            }
            let mut total = 0.0;
            for (i, l) in layers.iter().enumerate() {
                let lp = path.index(i);
                check_share(&mut p, l.ratio, &lp.field("ratio"));
                check_money(&mut p, l.per_loan_cap, &lp.field("per_loan_cap"));
                check_money(&mut p, l.annual_cap, &lp.field("annual_cap"));
                total += l.ratio;
            }
            p.check(
                total <= 1.0 + SHARE_SUM_TOLERANCE,
                &path,
                format!("layer ratios must sum to at most 1 (got {total})"),
            );
            coverages.push((
                "layer",
                Coverage::Layers(
                    layers
                        .iter()
                        .enumerate()
                        .map(|(i, l)| Layer {
                            name: l.name.clone().unwrap_or_else(|| format!("layer{}", i + 1)),
                            ratio: l.ratio,
                            per_loan_cap: l.per_loan_cap,
                            annual_cap: l.annual_cap,
                        })
                        .collect(),
                ),
            ));
        }
        if let Some(s) = &self.loss_split {
            let path = at.field("loss_split");
            let split = LossSplit {
                fund: s.fund.unwrap_or(0.0),
                bank: s.bank.unwrap_or(0.0),
                insurer: s.insurer.unwrap_or(0.0),
                guarantor: s.guarantor.unwrap_or(0.0),
                valuation_firm: s.valuation_firm.unwrap_or(0.0),
            };
            for (name, v) in [
                ("fund", split.fund),
                ("bank", split.bank),
                ("insurer", split.insurer),
                ("guarantor", split.guarantor),
                ("valuation_firm", split.valuation_firm),
            ] {
                check_share(&mut p, v, &path.field(name));
            }
            let sum = split.fund + split.bank + split.others();
            p.check(
                (sum - 1.0).abs() <= SHARE_SUM_TOLERANCE,
                &path,
                format!("shares must sum to 1 (got {sum})"),
            );
            coverages.push(("loss_split", Coverage::Split(split)));
        }
        if let Some(e) = &self.eu_cap {
            let path = at.field("eu_cap");
            check_share(&mut p, e.guarantee_rate, &path.field("guarantee_rate"));
            check_share(&mut p, e.cap_rate, &path.field("cap_rate"));
            coverages.push((
                "eu_cap",
                Coverage::EuCapped(EuCap {
                    guarantee_rate: e.guarantee_rate,
                    cap_rate: e.cap_rate,
                }),
            ));
        }
        let coverage = match coverages.len() {
            0 => {
                p.push(
                    at,
                    "needs one of ratio, [[band]], [[layer]], loss_split or eu_cap",
                );
                None
            }
            1 => coverages.pop().map(|(_, c)| c),
            _ => {
                let names: Vec<&str> = coverages.iter().map(|(n, _)| *n).collect();
                p.push(
                    at,
                    format!("give only one of {} (found all of them)", names.join(", ")),
                );
                None
            }
        };
        let claim_lag_months = months(
            &mut p,
            self.claim_lag_months,
            0,
            &at.field("claim_lag_months"),
        );
        let disposal_delay_months = months(
            &mut p,
            self.disposal_delay_months,
            12,
            &at.field("disposal_delay_months"),
        );
        check_money(&mut p, self.per_loan_cap, &at.field("per_loan_cap"));
        check_money(
            &mut p,
            self.per_loan_cap_after_year1,
            &at.field("per_loan_cap_after_year1"),
        );
        check_money(&mut p, self.annual_cap, &at.field("annual_cap"));
        if let Some(v) = self.pause_bank_npl_above {
            check_share(&mut p, v, &at.field("pause_bank_npl_above"));
        }
        if let Some(v) = self.recovery_buyer_share {
            check_share(&mut p, v, &at.field("recovery_buyer_share"));
        }
        if let Some(v) = self.leverage_limit {
            p.check(
                v.is_finite() && v > 0.0,
                &at.field("leverage_limit"),
                format!("must be > 0 (got {v})"),
            );
        }
        let eligibility = match &self.eligibility {
            Some(e) => p.take(e.validate(&at.field("eligibility"))),
            None => Some(EligibilityRules::default()),
        };
        let subsidies = match &self.subsidies {
            Some(s) => p.take(s.validate(&at.field("subsidies"))),
            None => Some(SubsidyRules::default()),
        };
        p.finish(|| Scheme {
            name: self
                .name
                .clone()
                .unwrap_or_else(|| default_name.to_string()),
            source: self.source.clone(),
            coverage: coverage.expect("checked above"),
            trigger: self.trigger.unwrap_or_default(),
            claim_lag_months,
            disposal_delay_months,
            per_loan_cap: self.per_loan_cap,
            per_loan_cap_after_year1: self.per_loan_cap_after_year1,
            annual_cap: self.annual_cap,
            pause_bank_npl_above: self.pause_bank_npl_above,
            liability_limited_to_balance: self.liability_limited_to_balance.unwrap_or(true),
            recoveries: self.recoveries.unwrap_or_default(),
            recovery_buyer_share: self.recovery_buyer_share,
            leverage_limit: self.leverage_limit,
            eligibility: eligibility.expect("checked above"),
            subsidies: subsidies.expect("checked above"),
        })
    }
}

fn cap_f64(m: Option<Money>) -> f64 {
    m.map_or(f64::INFINITY, Money::to_f64)
}

/// A scheme's per-loan compensation rule in kernel units (CNY as `f64`), from
/// [`Scheme::compensation_rule`]: the one implementation of the covered share, the layers'
/// and the scheme's per-loan caps, for the credit engine and the fund's ledger alike.
#[derive(Clone, Debug, PartialEq)]
pub struct CompensationRule {
    parts: Parts,
    /// The per-loan cap in scheme year 1 and from year 2 on (infinite when uncapped).
    per_loan_cap: [f64; 2],
}

/// The coverage parts of a [`CompensationRule`].
#[derive(Clone, Debug, PartialEq)]
enum Parts {
    /// One share of the loss (a ratio, the fund's loss-split share, the EU guarantee rate).
    Ratio(f64),
    /// `(largest amount, ratio)` by loan size; above the last band nothing is covered.
    Bands(Vec<(f64, f64)>),
    /// `(ratio, per-loan cap)` of each layer.
    Layers(Vec<(f64, f64)>),
}

impl CompensationRule {
    /// Number of coverage parts (layers, else 1).
    pub fn part_count(&self) -> usize {
        match &self.parts {
            Parts::Layers(l) => l.len(),
            _ => 1,
        }
    }

    /// The covered share of `loss` for a loan of `amount`, before the scheme-wide per-loan
    /// cap (the layers' own caps applied).
    pub fn covered(&self, loss: f64, amount: f64) -> f64 {
        let loss = loss.max(0.0);
        match &self.parts {
            Parts::Ratio(r) => r * loss,
            Parts::Bands(bands) => bands
                .iter()
                .find(|(max, _)| amount <= *max)
                .map_or(0.0, |(_, r)| r * loss),
            Parts::Layers(layers) => layers.iter().map(|(r, cap)| (r * loss).min(*cap)).sum(),
        }
    }

    /// The per-loan compensation of each coverage part (one part unless layered), before the
    /// scheme-wide per-loan cap.
    pub fn part_compensation(&self, loss: f64, amount: f64, out: &mut Vec<f64>) {
        out.clear();
        match &self.parts {
            Parts::Layers(layers) => {
                out.extend(layers.iter().map(|(r, cap)| (r * loss.max(0.0)).min(*cap)));
            }
            _ => out.push(self.covered(loss, amount)),
        }
    }

    /// The per-loan cap in scheme year `year` (1-based; the step-up cap applies from year 2).
    pub fn per_loan_cap(&self, year: u32) -> f64 {
        self.per_loan_cap[usize::from(year >= 2)]
    }

    /// [`Self::covered`] under the per-loan cap of scheme year `year`.
    pub fn compensation(&self, loss: f64, amount: f64, year: u32) -> f64 {
        self.covered(loss, amount).min(self.per_loan_cap(year))
    }
}

impl Scheme {
    /// Parses a scheme document (a preset file's text). `default_name` names it when the
    /// document has no `name`.
    pub fn from_toml_str(text: &str, default_name: &str) -> Result<Scheme, InputErrors> {
        let raw: RawScheme = crate::input::from_toml(text)?;
        raw.validate(&FieldPath::root(), default_name)
    }

    /// The fund's compensation for one defaulted loan: the covered share of `principal_loss`
    /// (ratio, the band of `loan_amount`, the sum of the layers with their per-loan caps, the
    /// fund's loss-split share or the EU guarantee rate), then the per-loan cap of scheme year
    /// `year` (1-based; the step-up cap applies from year 2). Before annual caps, pauses, the
    /// EU portfolio cap and the fund's balance, which depend on the rest of the book.
    pub fn compensation(&self, principal_loss: Money, loan_amount: Money, year: u32) -> f64 {
        self.compensation_f64(principal_loss.to_f64(), loan_amount.to_f64(), year)
    }

    /// Kernel form of [`Scheme::compensation`].
    pub fn compensation_f64(&self, loss: f64, amount: f64, year: u32) -> f64 {
        self.compensation_rule().compensation(loss, amount, year)
    }

    /// The per-loan compensation rule in kernel units, converted once: what a simulation
    /// calls for every default.
    pub fn compensation_rule(&self) -> CompensationRule {
        let parts = match &self.coverage {
            Coverage::Ratio(r) => Parts::Ratio(*r),
            Coverage::Bands(bands) => Parts::Bands(
                bands
                    .iter()
                    .map(|b| (b.max_amount.to_f64(), b.ratio))
                    .collect(),
            ),
            Coverage::Layers(layers) => Parts::Layers(
                layers
                    .iter()
                    .map(|l| (l.ratio, cap_f64(l.per_loan_cap)))
                    .collect(),
            ),
            Coverage::Split(s) => Parts::Ratio(s.fund),
            Coverage::EuCapped(e) => Parts::Ratio(e.guarantee_rate),
        };
        let first_year = cap_f64(self.per_loan_cap);
        CompensationRule {
            parts,
            per_loan_cap: [
                first_year,
                self.per_loan_cap_after_year1
                    .map_or(first_year, Money::to_f64),
            ],
        }
    }

    /// The per-loan compensation of each coverage part (one part unless layered), before the
    /// scheme-wide per-loan cap; the kernel applies per-part annual caps to these.
    pub fn part_compensation(&self, loss: f64, amount: f64, out: &mut Vec<f64>) {
        self.compensation_rule()
            .part_compensation(loss, amount, out);
    }

    /// Annual cap of each coverage part (infinite when uncapped).
    pub fn part_annual_caps(&self) -> Vec<f64> {
        match &self.coverage {
            Coverage::Layers(layers) => layers.iter().map(|l| cap_f64(l.annual_cap)).collect(),
            _ => vec![f64::INFINITY],
        }
    }

    /// The scheme-wide annual cap (infinite when uncapped).
    pub fn annual_cap_f64(&self) -> f64 {
        cap_f64(self.annual_cap)
    }

    /// The per-loan cap in scheme year `year` (infinite when uncapped).
    pub fn per_loan_cap_f64(&self, year: u32) -> f64 {
        self.compensation_rule().per_loan_cap(year)
    }

    /// Share of each loss borne by parties other than the fund and the bank.
    pub fn other_parties_share(&self) -> f64 {
        match &self.coverage {
            Coverage::Split(s) => s.others(),
            _ => 0.0,
        }
    }

    /// Cap rate times guarantee rate of an EU capped guarantee (the share of the enrolled
    /// volume the fund can ever pay), if any.
    pub fn eu_cap_share(&self) -> Option<f64> {
        match &self.coverage {
            Coverage::EuCapped(e) => Some(e.guarantee_rate * e.cap_rate),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
