//! The fund simulation result (SPEC §4 "Result JSON"): what `fund simulate --format json`
//! prints, what `GET /v1/fund/simulations/{id}` returns and what the HTML report draws.
//!
//! Key names are fixed by the SPEC; fields may be added, never renamed. Every statistic is a
//! [`Stats`] with its standard error; every probability has a `*_stderr` beside it.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::stats::Stats;

/// Result of one fund simulation (or of a merge of all its shards).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed the run used.
    pub seed: u64,
    /// Number of simulated paths.
    pub paths: u64,
    /// `[model] id` of the model file.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// Initial capital of the fund.
    pub initial_capital: Money,
    /// One entry per simulated year, in order.
    pub years: Vec<YearResult>,
    /// Totals over the horizon.
    pub horizon: HorizonResult,
}

/// Statistics of one year across paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct YearResult {
    /// 1-based year.
    pub year: u32,
    /// Loans enrolled in the scheme this year.
    pub loans_enrolled: Stats,
    /// Loans refused enrolment this year by the leverage limit (reported, never dropped).
    pub loans_refused: Stats,
    /// Defaults this year.
    pub defaults: Stats,
    /// Gross principal loss of loans defaulting this year (CNY).
    pub gross_loss: Stats,
    /// Compensation owed under the rules this year, before the balance limit (CNY).
    pub fund_claims: Stats,
    /// Compensation actually paid this year (CNY).
    pub fund_paid: Stats,
    /// Subsidies paid this year (CNY).
    pub subsidies: Stats,
    /// Fund balance at the end of the year (CNY).
    pub fund_balance_end: Stats,
    /// P(some claim this year could not be paid in full).
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// P(at least one bank is paused this year).
    pub pause_probability: f64,
    /// Its standard error.
    pub pause_probability_stderr: f64,
}

/// Statistics of horizon totals across paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HorizonResult {
    /// Defaults over the horizon.
    pub defaults: Stats,
    /// Gross principal loss (CNY).
    pub gross_loss: Stats,
    /// Compensation owed before the balance limit (CNY).
    pub fund_claims: Stats,
    /// Compensation paid (CNY).
    pub fund_paid: Stats,
    /// Loss left with the banks (CNY).
    pub bank_loss: Stats,
    /// Loss borne by other parties of a loss-sharing scheme (insurer, guarantor, valuation
    /// firm) (CNY).
    pub other_parties_loss: Stats,
    /// Subsidies paid (CNY).
    pub subsidies: Stats,
    /// Loans refused enrolment by the leverage limit.
    pub loans_refused: Stats,
    /// P(some claim in the horizon could not be paid in full).
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// Mean principal of loans enrolled over the horizon (CNY).
    pub credit_enabled: f64,
    /// `credit_enabled / (initial capital + appropriations)`.
    pub leverage_achieved: f64,
    /// Mean public cost (fund paid + subsidies) per yuan of credit enabled.
    pub cost_per_credit: f64,
}
