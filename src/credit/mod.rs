//! Loan application scoring (docs/models.md, "Credit"): PD from a transparent scorecard, LGD from a Monte
//! Carlo of the pledged portfolio's liquidation value at the default time (wrong-way risk),
//! guarantee / insurance / fund layers, expected loss, Basel IRB capital, a pricing floor,
//! pledge rates and limit, scheme eligibility, the green channel and a decision with reasons.
//!
//! Owns the `[credit]` section of the model, the application schema and the score result.
//! Must not read files, print, or know about the CLI or HTTP.

pub mod application;
pub mod basel;
pub mod code;
pub mod decision;
pub mod eligibility;
pub mod layers;
pub mod lgd;
pub mod master_scale;
pub mod params;
pub mod pledge;
pub mod pricing;
pub mod score;
pub mod scorecard;

pub use params::CreditParams;
pub use score::{
    ScoreError, ScoreResult, ScoreSettings, ScoringParams, score_application, score_with,
};
