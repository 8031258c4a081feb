//! The risk-compensation fund simulator (SPEC §4).
//!
//! Owns the default engine, the scheme rules applied to each loss, the fund ledger and the
//! result types. Reads scenarios through `crate::scenario`; must not know about the CLI,
//! HTTP, SQL or charts.

pub mod result;
pub mod size;
pub mod sweep;

pub use result::{FundResult, Histogram, HorizonResult, LowerQuantiles, YearResult};
