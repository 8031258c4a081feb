//! The one loss model of the engine, shared by the valuation (the liquidation value), loan
//! scoring (`credit`) and the fund simulator (`fund`): the standard normal distribution
//! (`normal`), exposure schedules (`schedule`), default probabilities over a tenor and
//! conditional on the Gaussian factor, with the Basel correlation (`pd`), and the recovery of
//! a defaulted loan from its collateral (`recovery`: value at default → distressed sale →
//! optional public buyer).
//!
//! Every engine calls these functions; none re-implements them inline (the fund engine's
//! remaining inline copies are listed under `loss` in ARCHITECTURE.md). Owns the formulas
//! only: must not draw random numbers, read model files or know about scenarios,
//! applications, the CLI or HTTP.

pub mod normal;
pub mod pd;
pub mod recovery;
pub mod schedule;

pub use recovery::{CollateralAtDefault, Recovery, SaleTerms};
pub use schedule::{Repayment, Schedule};
