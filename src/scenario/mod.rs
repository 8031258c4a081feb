//! Scenario files (docs/scenario-format.md): the loan book, the risk settings, the compensation scheme, the
//! fund and the subsidies that one fund simulation runs on.
//!
//! Parse, then build: the TOML deserialises into [`RawScenario`] (`deny_unknown_fields`
//! everywhere, so a misspelt key is an error naming its path), then [`RawScenario::validate`]
//! builds a [`Scenario`] and reports *every* bad field with its path
//! (`book.cohort[2].amount.median: must be > 0`). The scheme is an inline `[scheme]` table or
//! a reference (`scheme = "schemes/zhongshan.toml"`, relative to the scenario file, or a bare
//! preset name); a reference and an explicit loan file are read through a [`Resolver`], so the
//! parser itself touches no file system ([`DirResolver`] reads next to a scenario file).
//!
//! Owns the scenario schema and its defaults; must not simulate (see `fund`) or know about the
//! CLI or HTTP.

mod loans_file;
mod raw;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::input::InputErrors;
use crate::loss;
use crate::money::Money;
use crate::scheme::{Scheme, SubsidyRules};

pub use loans_file::LOANS_FILE_COLUMNS;
pub use raw::{
    DEFAULT_ANNUAL_RATE, DEFAULT_INSURANCE_PREMIUM_RATE, DEFAULT_PATHS, DEFAULT_PLEDGE_RATE,
    DEFAULT_VALUATION_FEE_RATE, MAX_BOOK_LOANS, RawScenario,
};

/// The industries a loan can belong to (defined with the assets, shared by every layer).
pub use crate::asset::Industry;

/// When a cohort's loans are originated inside their year.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Origination {
    /// All on the first day of the year.
    #[default]
    Start,
    /// Spread evenly over the 12 months of the year.
    Uniform,
}

/// How principal is repaid (the one schedule of `loss`, shared with credit).
pub use crate::loss::Repayment;

/// Distribution of loan amounts in a cohort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmountSpec {
    /// Every loan has this amount.
    Fixed(Money),
    /// Lognormal with this median and 90th percentile, clamped to `[min, max]`.
    Lognormal {
        /// Median amount.
        median: Money,
        /// 90th percentile.
        p90: Money,
        /// Smallest amount.
        min: Option<Money>,
        /// Largest amount.
        max: Option<Money>,
    },
}

/// Distribution of one-year PDs in a cohort.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PdSpec {
    /// Every loan has this PD.
    Fixed(f64),
    /// Lognormal across loans with this mean and log-sd `dispersion`, discretised into
    /// `levels` equally likely PD levels (the midpoint quantiles, rescaled to the exact mean).
    Dispersed {
        /// Mean PD.
        mean: f64,
        /// Standard deviation of log PD.
        dispersion: f64,
        /// Number of PD levels.
        levels: u32,
    },
    /// A mix of rating grades (PDs from the model's `[fund.grade_pd_1y]`), with weights.
    Grades(BTreeMap<String, f64>),
}

/// One generated cohort of loans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cohort {
    /// Origination year (1-based).
    pub year: u32,
    /// Timing inside the year.
    pub origination: Origination,
    /// Number of loans.
    pub count: u32,
    /// Loan amounts.
    pub amount: AmountSpec,
    /// Tenor in months with weights (one entry = fixed tenor).
    pub tenor_months: Vec<(u32, f64)>,
    /// One-year PDs.
    pub pd_1y: PdSpec,
    /// Industry weights.
    pub industry: Vec<(Industry, f64)>,
    /// Bank weights.
    pub bank: Vec<(String, f64)>,
    /// Loan-to-appraised-value ratio: appraised collateral = amount / pledge_rate.
    pub pledge_rate: f64,
    /// Repayment profile.
    pub repayment: Repayment,
    /// Annual interest rate of the loans (for interest subsidies).
    pub annual_rate: f64,
    /// Valuation fee as a share of the appraised value (for valuation-fee subsidies).
    pub valuation_fee_rate: f64,
    /// Insurance premium as a share of the loan (for premium subsidies).
    pub insurance_premium_rate: f64,
}

/// One explicit loan (from `book.loans_file`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoanSpec {
    /// Loan id.
    pub id: String,
    /// Origination year (1-based).
    pub year: u32,
    /// Origination month inside the year (1..=12).
    pub month: u32,
    /// Principal.
    pub amount: Money,
    /// Tenor in months.
    pub tenor_months: u32,
    /// One-year PD.
    pub pd_1y: f64,
    /// Industry.
    pub industry: Industry,
    /// Lending bank.
    pub bank: String,
    /// Borrowing firm (per-firm-year subsidy caps); `None`: a firm of its own.
    pub firm: Option<String>,
    /// Pledge rate (amount / appraised collateral).
    pub pledge_rate: f64,
    /// Repayment profile.
    pub repayment: Repayment,
    /// Annual interest rate.
    pub annual_rate: f64,
}

/// The loan book: generated cohorts and explicit loans.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Book {
    /// Generated cohorts (growth already expanded).
    pub cohorts: Vec<Cohort>,
    /// Explicit loans.
    pub loans: Vec<LoanSpec>,
}

/// Sales (EUR m) at which the Basel SME adjustment is largest (−0.04): the book's firms are
/// taken as the smallest.
const SMALLEST_SME_SALES_EUR_M: f64 = 5.0;

/// Asset correlation of the one-factor model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Correlation {
    /// One ρ for every loan.
    Fixed(f64),
    /// Basel IRB corporate correlation with the SME adjustment at sales of EUR 5 m (the
    /// smallest firms): `0.12·w + 0.24·(1−w) − 0.04`, `w = (1−e^(−50 PD))/(1−e^(−50))`
    /// (`loss::pd::basel_correlation`, as credit's capital uses it).
    BaselSme,
}

impl Correlation {
    /// ρ for a loan with one-year PD `pd`.
    pub fn rho(self, pd: f64) -> f64 {
        match self {
            Correlation::Fixed(r) => r,
            Correlation::BaselSme => {
                loss::pd::basel_correlation(pd, Some(SMALLEST_SME_SALES_EUR_M))
            }
        }
    }
}

/// Loss given default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LgdSpec {
    /// Fixed share of the exposure lost.
    Fixed(f64),
    /// Collateral liquidation model: recovery = appraised collateral × a Beta realisation
    /// fraction shocked by the loan's industry factor (wrong-way risk), after disposal costs.
    Collateral,
}

/// The `[risk]` block.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Risk {
    /// Asset correlation ρ.
    pub asset_correlation: Correlation,
    /// Share of systematic variance carried by the industry factor.
    pub sector_share: f64,
    /// AR(1) coefficient of the common factor across years.
    pub cycle_persistence: f64,
    /// Multiplier on every PD.
    pub pd_multiplier: f64,
    /// Loss given default.
    pub lgd: LgdSpec,
}

/// The `[fund]` block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundSetup {
    /// Capital at the start of year 1.
    pub initial_capital: Money,
    /// Appropriation added at the start of each year (index 0 = year 1).
    pub appropriations: Vec<Money>,
    /// Interest earned on the balance per year.
    pub interest_rate: f64,
    /// Enrolled principal may not exceed this multiple of the balance (overrides the
    /// scheme's).
    pub leverage_limit: Option<f64>,
    /// One-year loan prime rate used by rate ceilings (default from the model).
    pub lpr_1y: Option<f64>,
}

/// A validated scenario. A value that exists is valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Years simulated.
    pub horizon_years: u32,
    /// Default number of paths.
    pub paths: u64,
    /// Default seed.
    pub seed: u64,
    /// Model file named by the scenario (relative to it), if any.
    pub model: Option<String>,
    /// The loan book.
    pub book: Book,
    /// Risk settings.
    pub risk: Risk,
    /// The compensation scheme.
    pub scheme: Scheme,
    /// The fund.
    pub fund: FundSetup,
    /// Subsidies in force: the scenario's `[subsidies]` if given, else the scheme's.
    pub subsidies: SubsidyRules,
}

impl Scenario {
    /// The leverage limit in force (the fund block's, else the scheme's).
    pub fn leverage_limit(&self) -> Option<f64> {
        self.fund.leverage_limit.or(self.scheme.leverage_limit)
    }

    /// Loans in the book: every cohort (grown ones included) and the loans file.
    pub fn loan_count(&self) -> u64 {
        self.book
            .cohorts
            .iter()
            .map(|c| u64::from(c.count))
            .sum::<u64>()
            + self.book.loans.len() as u64
    }

    /// Loan-months one path simulates, the unit of a run's cost: loans × months of the
    /// horizon (bounded by [`MAX_BOOK_LOANS`] × 600).
    pub fn loan_months(&self) -> u64 {
        self.loan_count() * u64::from(self.horizon_years) * 12
    }

    /// Parses and validates scenario text; scheme references and loan files are read through
    /// `files`.
    pub fn from_toml_str(text: &str, files: &dyn Resolver) -> Result<Scenario, InputErrors> {
        let raw: RawScenario = crate::input::from_toml(text)?;
        raw.validate(files)
    }

    /// Reads and validates a scenario file; references resolve next to it.
    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Scenario::from_toml_str(&text, &DirResolver(dir))?)
    }
}

/// Why a scenario file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {path}: {source}")]
    Io {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has bad fields.
    #[error("invalid scenario:\n{0}")]
    Invalid(#[from] InputErrors),
}

/// Reads files a scenario refers to (scheme presets, loan files) by their relative path.
pub trait Resolver {
    /// The text of `relative`, or a lower-case reason it cannot be read.
    fn read(&self, relative: &str) -> Result<String, String>;
}

/// Resolves references relative to a directory (the scenario file's).
#[derive(Clone, Debug)]
pub struct DirResolver(pub PathBuf);

impl Resolver for DirResolver {
    fn read(&self, relative: &str) -> Result<String, String> {
        let path = self.0.join(relative);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

/// Resolves nothing: only inline schemes and the embedded presets work (API requests).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl Resolver for NoFiles {
    fn read(&self, relative: &str) -> Result<String, String> {
        Err(format!(
            "cannot read `{relative}`: files are not available here"
        ))
    }
}

#[cfg(test)]
mod tests;
