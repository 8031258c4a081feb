//! The scenario file as written, and its validation into a [`Scenario`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    AmountSpec, Book, Cohort, Correlation, FundSetup, Industry, LgdSpec, Origination, PdSpec,
    Repayment, Resolver, Risk, Scenario,
};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::Money;
use crate::scheme::{RawScheme, RawSubsidies, Scheme, SubsidyRules, presets};

/// Default number of paths when `[scenario] paths` is absent.
pub const DEFAULT_PATHS: u64 = 10_000;
/// Default pledge rate (typical market pledge rate ≈ 30 %, docs/models.md "Published facts").
pub const DEFAULT_PLEDGE_RATE: f64 = 0.3;
/// Default loan rate for interest subsidies (illustrative calibration: LPR 3.0 % + 150 bp).
pub const DEFAULT_ANNUAL_RATE: f64 = 0.045;
/// Default valuation fee (valuation fees 0.5–3 % of appraised value, docs/models.md).
pub const DEFAULT_VALUATION_FEE_RATE: f64 = 0.01;
/// Default insurance premium as a share of the loan (illustrative calibration).
pub const DEFAULT_INSURANCE_PREMIUM_RATE: f64 = 0.01;
/// Weight tables must sum to 1 within this.
pub const WEIGHT_SUM_TOLERANCE: f64 = 1e-6;
/// Longest horizon accepted.
pub const MAX_HORIZON_YEARS: i64 = 50;
/// Most loans a scenario's book may hold in all: cohorts, growth and loans file together
/// (each loan takes about 64 bytes in the simulator, so 0.64 GB of book at most).
pub const MAX_BOOK_LOANS: u64 = 10_000_000;
/// Master-scale grades a `pd_1y = { grades = {...} }` mix may name.
pub const GRADES: [&str; 10] = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"];

/// The whole scenario document.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// `[scenario]`.
    pub scenario: RawHeader,
    /// `[book]`.
    pub book: RawBook,
    /// `[risk]`.
    #[serde(default)]
    pub risk: RawRisk,
    /// `[scheme]` table or `scheme = "path or preset"`.
    pub scheme: Option<toml::Value>,
    /// `[fund]`.
    pub fund: RawFund,
    /// `[subsidies]`.
    pub subsidies: Option<RawSubsidies>,
}

/// `[scenario]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    /// Name.
    pub name: String,
    /// Horizon in years.
    pub horizon_years: i64,
    /// Paths.
    pub paths: Option<i64>,
    /// Seed.
    pub seed: Option<u64>,
    /// Model file.
    pub model: Option<String>,
}

/// `[book]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBook {
    /// `[[book.cohort]]`.
    #[serde(default)]
    pub cohort: Vec<RawCohort>,
    /// Explicit loans (CSV, relative to the scenario file).
    pub loans_file: Option<String>,
    /// `[book.growth]`.
    pub growth: Option<RawGrowth>,
}

/// `[book.growth]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrowth {
    /// Growth of the number of loans per year.
    pub annual_growth: f64,
}

/// `[[book.cohort]]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCohort {
    /// Origination year.
    pub year: Option<i64>,
    /// `start` or `uniform`.
    pub origination: Option<Origination>,
    /// Number of loans.
    pub count: i64,
    /// Amount.
    pub amount: RawAmount,
    /// Tenor.
    pub tenor_months: Option<RawTenor>,
    /// PD.
    pub pd_1y: RawPd,
    /// Industry weights.
    pub industry: Option<BTreeMap<String, f64>>,
    /// Bank weights.
    pub bank: Option<BTreeMap<String, f64>>,
    /// Pledge rate.
    pub pledge_rate: Option<f64>,
    /// Repayment.
    pub repayment: Option<Repayment>,
    /// Loan rate.
    pub annual_rate: Option<f64>,
    /// Valuation fee rate.
    pub valuation_fee_rate: Option<f64>,
    /// Insurance premium rate.
    pub insurance_premium_rate: Option<f64>,
}

/// `amount = { fixed }` or `{ median, p90, min, max }`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAmount {
    /// Fixed amount.
    pub fixed: Option<Money>,
    /// Median.
    pub median: Option<Money>,
    /// 90th percentile.
    pub p90: Option<Money>,
    /// Minimum.
    pub min: Option<Money>,
    /// Maximum.
    pub max: Option<Money>,
}

/// `tenor_months = 12` or `{ 12 = 0.6, 24 = 0.4 }`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum RawTenor {
    /// One tenor.
    Fixed(i64),
    /// Weighted tenors.
    Table(BTreeMap<String, f64>),
}

/// `pd_1y = { fixed }`, `{ mean, dispersion, levels }` or `{ grades = { BBB = 0.5, ... } }`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPd {
    /// Fixed PD.
    pub fixed: Option<f64>,
    /// Mean PD.
    pub mean: Option<f64>,
    /// Log-sd of PD across loans.
    pub dispersion: Option<f64>,
    /// PD levels of the discretised distribution (default 50).
    pub levels: Option<i64>,
    /// Grade mix.
    pub grades: Option<BTreeMap<String, f64>>,
}

/// A number or a keyword (`asset_correlation = 0.12 | "basel_sme"`, `lgd = 0.6 |
/// "collateral"`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum NumberOrWord {
    /// A number.
    Number(f64),
    /// A keyword.
    Word(String),
}

/// `[risk]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    /// ρ or `basel_sme` (default 0.12).
    pub asset_correlation: Option<NumberOrWord>,
    /// Sector share (default 0).
    pub sector_share: Option<f64>,
    /// AR(1) of the common factor (default 0).
    pub cycle_persistence: Option<f64>,
    /// PD multiplier (default 1).
    pub pd_multiplier: Option<f64>,
    /// LGD or `collateral` (default 0.6).
    pub lgd: Option<NumberOrWord>,
}

/// `[fund]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFund {
    /// Initial capital.
    pub initial_capital: Money,
    /// Appropriations per year.
    pub appropriations: Option<Vec<Money>>,
    /// Interest on the balance.
    pub interest_rate: Option<f64>,
    /// Leverage limit.
    pub leverage_limit: Option<f64>,
    /// One-year LPR.
    pub lpr_1y: Option<f64>,
}

fn share(p: &mut Problems, v: f64, path: &FieldPath) {
    p.check(
        v.is_finite() && (0.0..=1.0).contains(&v),
        path,
        format!("must be between 0 and 1 (got {v})"),
    );
}

fn positive_money(p: &mut Problems, v: Money, path: &FieldPath) {
    p.check(v > Money::ZERO, path, format!("must be > 0 (got {v})"));
}

fn weights<K>(
    p: &mut Problems,
    table: &BTreeMap<String, f64>,
    path: &FieldPath,
    key: impl Fn(&str) -> Result<K, String>,
) -> Vec<(K, f64)> {
    let mut out = Vec::new();
    if table.is_empty() {
        p.push(path, "must have at least one entry");
    }
    let mut sum = 0.0;
    for (name, &w) in table {
        let wp = path.field(name);
        match key(name) {
            Ok(k) => out.push((k, w)),
            Err(msg) => p.push(&wp, msg),
        }
        p.check(
            w.is_finite() && w >= 0.0,
            &wp,
            format!("weight must be >= 0 (got {w})"),
        );
        sum += w;
    }
    if !table.is_empty() {
        p.check(
            (sum - 1.0).abs() <= WEIGHT_SUM_TOLERANCE,
            path,
            format!("weights must sum to 1 (got {sum})"),
        );
    }
    out
}

fn tenor(p: &mut Problems, v: i64, path: &FieldPath) -> u32 {
    if (1..=600).contains(&v) {
        v as u32
    } else {
        p.push(path, format!("must be between 1 and 600 months (got {v})"));
        12
    }
}

impl RawCohort {
    fn validate(&self, p: &mut Problems, at: &FieldPath, horizon: u32) -> Cohort {
        let year = match self.year {
            None => 1,
            Some(y) if y >= 1 && y <= i64::from(horizon) => y as u32,
            Some(y) => {
                p.push(
                    &at.field("year"),
                    format!("must be between 1 and horizon_years = {horizon} (got {y})"),
                );
                1
            }
        };
        let count = if (0..=10_000_000).contains(&self.count) {
            self.count as u32
        } else {
            p.push(
                &at.field("count"),
                format!("must be between 0 and 10000000 (got {})", self.count),
            );
            0
        };
        let amount = self.amount.validate(p, &at.field("amount"));
        let tenor_months = match &self.tenor_months {
            None => vec![(12, 1.0)],
            Some(RawTenor::Fixed(t)) => vec![(tenor(p, *t, &at.field("tenor_months")), 1.0)],
            Some(RawTenor::Table(t)) => {
                let path = at.field("tenor_months");
                weights(p, t, &path, |k| {
                    k.parse::<i64>()
                        .ok()
                        .filter(|v| (1..=600).contains(v))
                        .map(|v| v as u32)
                        .ok_or_else(|| "tenor must be a whole number of months in 1..=600".into())
                })
            }
        };
        let pd_1y = self.pd_1y.validate(p, &at.field("pd_1y"));
        let industry = match &self.industry {
            None => vec![(Industry::Other, 1.0)],
            Some(t) => weights(p, t, &at.field("industry"), |k| {
                Industry::from_name(k).ok_or_else(|| {
                    let known: Vec<&str> = Industry::ALL.iter().map(|i| i.name()).collect();
                    format!("unknown industry (known: {})", known.join(", "))
                })
            }),
        };
        let bank = match &self.bank {
            None => vec![("bank".to_string(), 1.0)],
            Some(t) => weights(p, t, &at.field("bank"), |k| {
                if k.trim().is_empty() {
                    Err("bank name must not be empty".to_string())
                } else {
                    Ok(k.to_string())
                }
            }),
        };
        let pledge_rate = self.pledge_rate.unwrap_or(DEFAULT_PLEDGE_RATE);
        p.check(
            pledge_rate.is_finite() && pledge_rate > 0.0 && pledge_rate <= 1.0,
            &at.field("pledge_rate"),
            format!("must be in (0, 1] (got {pledge_rate})"),
        );
        let annual_rate = self.annual_rate.unwrap_or(DEFAULT_ANNUAL_RATE);
        share(p, annual_rate, &at.field("annual_rate"));
        let valuation_fee_rate = self
            .valuation_fee_rate
            .unwrap_or(DEFAULT_VALUATION_FEE_RATE);
        share(p, valuation_fee_rate, &at.field("valuation_fee_rate"));
        let insurance_premium_rate = self
            .insurance_premium_rate
            .unwrap_or(DEFAULT_INSURANCE_PREMIUM_RATE);
        share(
            p,
            insurance_premium_rate,
            &at.field("insurance_premium_rate"),
        );
        Cohort {
            year,
            origination: self.origination.unwrap_or_default(),
            count,
            amount,
            tenor_months,
            pd_1y,
            industry,
            bank,
            pledge_rate,
            repayment: self.repayment.unwrap_or_default(),
            annual_rate,
            valuation_fee_rate,
            insurance_premium_rate,
        }
    }
}

impl RawAmount {
    fn validate(&self, p: &mut Problems, at: &FieldPath) -> AmountSpec {
        for (name, v) in [
            ("fixed", self.fixed),
            ("median", self.median),
            ("p90", self.p90),
            ("min", self.min),
            ("max", self.max),
        ] {
            if let Some(v) = v {
                positive_money(p, v, &at.field(name));
            }
        }
        match (self.fixed, self.median, self.p90) {
            (Some(f), None, None) if self.min.is_none() && self.max.is_none() => {
                AmountSpec::Fixed(f)
            }
            (None, Some(median), Some(p90)) => {
                p.check(
                    p90 > median,
                    &at.field("p90"),
                    format!("must be > median (got {p90} <= {median})"),
                );
                if let (Some(lo), Some(hi)) = (self.min, self.max) {
                    p.check(
                        lo <= hi,
                        &at.field("max"),
                        format!("must be >= min (got {hi} < {lo})"),
                    );
                }
                AmountSpec::Lognormal {
                    median,
                    p90,
                    min: self.min,
                    max: self.max,
                }
            }
            _ => {
                p.push(
                    at,
                    "give either { fixed } or { median, p90 } with optional min and max",
                );
                AmountSpec::Fixed(Money::ZERO)
            }
        }
    }
}

impl RawPd {
    fn validate(&self, p: &mut Problems, at: &FieldPath) -> PdSpec {
        let pd = |p: &mut Problems, v: f64, name: &str| {
            p.check(
                v.is_finite() && v > 0.0 && v < 1.0,
                &at.field(name),
                format!("must be a probability in (0, 1) (got {v})"),
            );
        };
        match (self.fixed, self.mean, &self.grades) {
            (Some(f), None, None) if self.dispersion.is_none() && self.levels.is_none() => {
                pd(p, f, "fixed");
                PdSpec::Fixed(f)
            }
            (None, Some(mean), None) => {
                pd(p, mean, "mean");
                let dispersion = self.dispersion.unwrap_or(0.0);
                p.check(
                    dispersion.is_finite() && (0.0..=3.0).contains(&dispersion),
                    &at.field("dispersion"),
                    format!("must be between 0 and 3 (got {dispersion})"),
                );
                let levels = self.levels.unwrap_or(50);
                p.check(
                    (1..=1000).contains(&levels),
                    &at.field("levels"),
                    format!("must be between 1 and 1000 (got {levels})"),
                );
                PdSpec::Dispersed {
                    mean,
                    dispersion,
                    levels: levels.clamp(1, 1000) as u32,
                }
            }
            (None, None, Some(g)) if self.dispersion.is_none() && self.levels.is_none() => {
                let mix = weights(p, g, &at.field("grades"), |k| {
                    if GRADES.contains(&k) && k != "D" {
                        Ok(k.to_string())
                    } else {
                        Err(format!("unknown grade (known: {})", GRADES[..9].join(", ")))
                    }
                });
                PdSpec::Grades(mix.into_iter().collect())
            }
            _ => {
                p.push(
                    at,
                    "give one of { fixed }, { mean, dispersion, levels } or { grades }",
                );
                PdSpec::Fixed(0.0)
            }
        }
    }
}

impl RawRisk {
    fn validate(&self, p: &mut Problems) -> Risk {
        let at = FieldPath::root().field("risk");
        let asset_correlation = match &self.asset_correlation {
            None => Correlation::Fixed(0.12),
            Some(NumberOrWord::Number(r)) => {
                p.check(
                    r.is_finite() && (0.0..1.0).contains(r),
                    &at.field("asset_correlation"),
                    format!("must be in [0, 1) (got {r})"),
                );
                Correlation::Fixed(*r)
            }
            Some(NumberOrWord::Word(w)) if w == "basel_sme" => Correlation::BaselSme,
            Some(NumberOrWord::Word(w)) => {
                p.push(
                    &at.field("asset_correlation"),
                    format!("must be a number or \"basel_sme\" (got \"{w}\")"),
                );
                Correlation::Fixed(0.0)
            }
        };
        let sector_share = self.sector_share.unwrap_or(0.0);
        share(p, sector_share, &at.field("sector_share"));
        let cycle_persistence = self.cycle_persistence.unwrap_or(0.0);
        p.check(
            cycle_persistence.is_finite() && (0.0..1.0).contains(&cycle_persistence),
            &at.field("cycle_persistence"),
            format!("must be in [0, 1) (got {cycle_persistence})"),
        );
        let pd_multiplier = self.pd_multiplier.unwrap_or(1.0);
        p.check(
            (0.0..=100.0).contains(&pd_multiplier),
            &at.field("pd_multiplier"),
            format!("must be between 0 and 100 (got {pd_multiplier})"),
        );
        let lgd = match &self.lgd {
            None => LgdSpec::Fixed(0.6),
            Some(NumberOrWord::Number(l)) => {
                share(p, *l, &at.field("lgd"));
                LgdSpec::Fixed(*l)
            }
            Some(NumberOrWord::Word(w)) if w == "collateral" => LgdSpec::Collateral,
            Some(NumberOrWord::Word(w)) => {
                p.push(
                    &at.field("lgd"),
                    format!("must be a number or \"collateral\" (got \"{w}\")"),
                );
                LgdSpec::Fixed(0.0)
            }
        };
        Risk {
            asset_correlation,
            sector_share,
            cycle_persistence,
            pd_multiplier,
            lgd,
        }
    }
}

/// Resolves the `scheme` key: an inline table, a file relative to the scenario, or a preset;
/// an inline table with `preset = "..."` starts from that preset and overrides its keys.
fn scheme(value: Option<&toml::Value>, files: &dyn Resolver) -> Result<Scheme, InputErrors> {
    let at = FieldPath::root().field("scheme");
    match value {
        None => Err(InputErrors::one(
            &at,
            "missing: give an inline [scheme] table or scheme = \"schemes/NAME.toml\" (before the first table)",
        )),
        Some(toml::Value::String(reference)) => {
            let (stem, text) = reference_text(reference, files, &at)?;
            Scheme::from_toml_str(&text, &stem).map_err(|e| e.within(&at))
        }
        Some(toml::Value::Table(table)) => {
            let mut table = table.clone();
            let mut name = "inline".to_string();
            if let Some(preset) = table.remove("preset") {
                let Some(reference) = preset.as_str() else {
                    return Err(InputErrors::one(
                        &at.field("preset"),
                        "must be a preset name or path",
                    ));
                };
                let (stem, text) = reference_text(reference, files, &at.field("preset"))?;
                let mut base: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                    InputErrors::one(
                        &at.field("preset"),
                        format!("invalid toml: {}", e.message()),
                    )
                })?;
                crate::scheme::overlay(&mut base, table);
                table = base;
                name = stem;
            }
            let text = toml::to_string(&table)
                .map_err(|e| InputErrors::one(&at, format!("cannot re-read: {e}")))?;
            let raw: RawScheme = crate::input::from_toml(&text).map_err(|e| e.within(&at))?;
            raw.validate(&at, &name)
        }
        Some(_) => Err(InputErrors::one(
            &at,
            "must be a table or a preset path string",
        )),
    }
}

/// The text of a scheme reference: a file relative to the scenario, else an embedded preset
/// named by the reference's file stem. Returns `(stem, text)`.
fn reference_text(
    reference: &str,
    files: &dyn Resolver,
    at: &FieldPath,
) -> Result<(String, String), InputErrors> {
    let stem = reference
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(reference)
        .trim_end_matches(".toml")
        .to_string();
    match files.read(reference) {
        Ok(text) => Ok((stem, text)),
        Err(read_error) => match presets::text(&stem) {
            Some(text) => Ok((stem, text.to_string())),
            None => {
                let known: Vec<&str> = presets::names().collect();
                Err(InputErrors::one(
                    at,
                    format!(
                        "unknown scheme preset `{reference}` ({read_error}; presets: {})",
                        known.join(", ")
                    ),
                ))
            }
        },
    }
}

impl RawScenario {
    /// Builds the scenario, reporting every bad field; `files` reads scheme references and
    /// loan files.
    pub fn validate(&self, files: &dyn Resolver) -> Result<Scenario, InputErrors> {
        let mut p = Problems::new();
        let head = FieldPath::root().field("scenario");
        p.check(
            !self.scenario.name.trim().is_empty(),
            &head.field("name"),
            "must not be empty",
        );
        let horizon_years = if (1..=MAX_HORIZON_YEARS).contains(&self.scenario.horizon_years) {
            self.scenario.horizon_years as u32
        } else {
            p.push(
                &head.field("horizon_years"),
                format!(
                    "must be between 1 and {MAX_HORIZON_YEARS} (got {})",
                    self.scenario.horizon_years
                ),
            );
            1
        };
        let paths = match self.scenario.paths {
            None => DEFAULT_PATHS,
            Some(n) if n >= 1 => n as u64,
            Some(n) => {
                p.push(&head.field("paths"), format!("must be >= 1 (got {n})"));
                1
            }
        };

        // Book.
        let book_at = FieldPath::root().field("book");
        let mut cohorts: Vec<Cohort> = self
            .book
            .cohort
            .iter()
            .enumerate()
            .map(|(i, c)| c.validate(&mut p, &book_at.field("cohort").index(i), horizon_years))
            .collect();
        if let Some(g) = &self.book.growth {
            let gp = book_at.field("growth").field("annual_growth");
            p.check(
                g.annual_growth.is_finite() && g.annual_growth > -1.0 && g.annual_growth <= 10.0,
                &gp,
                format!("must be in (-1, 10] (got {})", g.annual_growth),
            );
            let base: Vec<Cohort> = cohorts.iter().filter(|c| c.year == 1).cloned().collect();
            p.check(
                !base.is_empty(),
                &book_at.field("growth"),
                "needs at least one year-1 cohort to grow",
            );
            // Counted in f64 first: 10 % a year from 10 M loans would overflow a u32 count.
            let mut grown = 0.0;
            for year in 2..=horizon_years {
                for c in &base {
                    let factor = (1.0 + g.annual_growth).powi(year as i32 - 1);
                    grown += (f64::from(c.count) * factor).round();
                }
            }
            let written: f64 = cohorts.iter().map(|c| f64::from(c.count)).sum();
            if written + grown > MAX_BOOK_LOANS as f64 {
                p.push(
                    &gp,
                    format!(
                        "the grown book would hold {:.3e} loans ({written} written in cohorts, \
                         {grown:.3e} added by growth over {horizon_years} years); at most \
                         {MAX_BOOK_LOANS}",
                        written + grown
                    ),
                );
            } else {
                for year in 2..=horizon_years {
                    for c in &base {
                        let factor = (1.0 + g.annual_growth).powi(year as i32 - 1);
                        let mut next = c.clone();
                        next.year = year;
                        next.count = (f64::from(c.count) * factor).round() as u32;
                        cohorts.push(next);
                    }
                }
            }
        }
        let loans = match &self.book.loans_file {
            None => Vec::new(),
            Some(f) => {
                let lp = book_at.field("loans_file");
                match files.read(f) {
                    Ok(text) => p
                        .take(
                            super::loans_file::parse(&text, horizon_years)
                                .map_err(|e| e.within(&lp)),
                        )
                        .unwrap_or_default(),
                    Err(e) => {
                        p.push(&lp, e);
                        Vec::new()
                    }
                }
            }
        };
        p.check(
            !cohorts.is_empty() || self.book.loans_file.is_some(),
            &book_at,
            "needs at least one [[book.cohort]] or a loans_file",
        );
        let total_loans: u64 =
            cohorts.iter().map(|c| u64::from(c.count)).sum::<u64>() + loans.len() as u64;
        p.check(
            total_loans <= MAX_BOOK_LOANS,
            &book_at,
            format!(
                "the book holds {total_loans} loans in all (cohorts, growth and loans_file); \
                 at most {MAX_BOOK_LOANS}"
            ),
        );

        let risk = self.risk.validate(&mut p);
        let scheme = p.take(scheme(self.scheme.as_ref(), files));

        // Fund.
        let fund_at = FieldPath::root().field("fund");
        let f = &self.fund;
        p.check(
            !f.initial_capital.is_negative(),
            &fund_at.field("initial_capital"),
            format!("must be >= 0 (got {})", f.initial_capital),
        );
        let appropriations = f.appropriations.clone().unwrap_or_default();
        for (i, a) in appropriations.iter().enumerate() {
            p.check(
                !a.is_negative(),
                &fund_at.field("appropriations").index(i),
                format!("must be >= 0 (got {a})"),
            );
        }
        p.check(
            appropriations.len() <= horizon_years as usize,
            &fund_at.field("appropriations"),
            format!(
                "has {} entries but the horizon is {horizon_years} years",
                appropriations.len()
            ),
        );
        let interest_rate = f.interest_rate.unwrap_or(0.0);
        p.check(
            interest_rate.is_finite() && (-0.5..=1.0).contains(&interest_rate),
            &fund_at.field("interest_rate"),
            format!("must be between -0.5 and 1 (got {interest_rate})"),
        );
        if let Some(l) = f.leverage_limit {
            p.check(
                l.is_finite() && l > 0.0,
                &fund_at.field("leverage_limit"),
                format!("must be > 0 (got {l})"),
            );
        }
        if let Some(l) = f.lpr_1y {
            share(&mut p, l, &fund_at.field("lpr_1y"));
        }
        let subsidies = match &self.subsidies {
            Some(s) => p.take(s.validate(&FieldPath::root().field("subsidies"))),
            None => Some(SubsidyRules::default()),
        };
        // Conflicts are errors, not silent choices (docs/scenario-format.md).
        if let Some(sch) = &scheme {
            if let (Some(here), Some(there)) = (f.leverage_limit, sch.leverage_limit) {
                p.push(
                    &fund_at.field("leverage_limit"),
                    format!(
                        "is {here} but the scheme `{}` sets leverage_limit = {there}; set it in \
                         one place (remove it here to use the scheme's)",
                        sch.name
                    ),
                );
            }
            if subsidies.as_ref().is_some_and(|x| !x.is_empty()) && !sch.subsidies.is_empty() {
                p.push(
                    &FieldPath::root().field("subsidies"),
                    format!(
                        "the scheme `{}` has its own [subsidies]; give them in one place",
                        sch.name
                    ),
                );
            }
        }
        p.finish(|| {
            let scheme = scheme.expect("no problems");
            let subsidies = subsidies.expect("no problems");
            let subsidies = if subsidies.is_empty() {
                scheme.subsidies.clone()
            } else {
                subsidies
            };
            Scenario {
                name: self.scenario.name.clone(),
                horizon_years,
                paths,
                seed: self.scenario.seed.unwrap_or(1),
                model: self.scenario.model.clone(),
                book: Book { cohorts, loans },
                risk,
                scheme,
                fund: FundSetup {
                    initial_capital: f.initial_capital,
                    appropriations,
                    interest_rate,
                    leverage_limit: f.leverage_limit,
                    lpr_1y: f.lpr_1y,
                },
                subsidies,
            }
        })
    }
}
