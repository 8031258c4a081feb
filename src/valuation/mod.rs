//! Valuation of pledged IP (SPEC §2): the CNIPA high-value rule, the three-degree indicator
//! score, the income-approach (relief-from-royalty) Monte Carlo per asset and per portfolio,
//! and the liquidation value a bank recovers at default.
//!
//! Owns the `[valuation]` section of the model ([`ValuationParams`]). Must not read files,
//! print, or know about the CLI or HTTP.

pub mod params;

pub use params::{RawValuationParams, ValuationParams};
