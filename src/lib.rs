//! ipledge: an engine for IP pledge financing (知识产权质押融资).
//!
//! Banks lend to small technology firms against patents, trademarks and software copyrights;
//! local governments run risk-compensation funds that repay banks part of their losses. The
//! engine values pledged IP portfolios, scores loan applications and simulates compensation
//! funds. Engine modules (`money`, `rng`, `stats`, `input`, `model` and the domain modules)
//! never depend on the CLI, HTTP, SQL or chart code, which sit behind cargo features.
//! See `ARCHITECTURE.md` for the module map and `docs/` for the user documentation.

pub mod asset;
pub mod backtest;
pub mod cpu;
pub mod credit;
pub mod fund;
pub mod input;
pub mod lang;
pub mod loss;
pub mod model;
pub mod money;
#[cfg(feature = "report")]
pub mod report;
pub mod rng;
pub mod scenario;
pub mod scheme;
pub mod stats;
pub mod valuation;

#[cfg(feature = "server")]
pub mod api;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "server")]
pub mod store;
