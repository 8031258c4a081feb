//! The per-path quantities a fund simulation records, as typed enums with a derived count, so
//! that a batch stores one [`Sample`](crate::stats::Sample) per quantity and shards merge by
//! concatenation: `FundPart::year_samples[year][YearMetric as usize]` and
//! `FundPart::total_samples[Period as usize][Total as usize]`. The ledger fills a
//! `PathMetrics`; `part` turns the samples into the result.

use std::ops::{Index, IndexMut};

/// Declares a metric enum with `ALL` (in declaration order, the storage order) and `COUNT`.
macro_rules! metric_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $v:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $v),*
        }

        impl $name {
            /// Every variant, in storage order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// Number of variants.
            pub const COUNT: usize = Self::ALL.len();

            /// The variant's name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$v => stringify!($v)),*
                }
            }
        }
    };
}

metric_enum! {
    /// A quantity of one horizon year.
    YearMetric {
        /// Loans enrolled.
        Enrolled,
        /// Principal enrolled (CNY).
        PrincipalEnrolled,
        /// Loans refused by the leverage limit.
        RefusedLeverage,
        /// Their principal.
        RefusedLeveragePrincipal,
        /// Loans refused because their bank was paused.
        RefusedPaused,
        /// Their principal.
        RefusedPausedPrincipal,
        /// Loans failing the scheme's eligibility rules.
        Ineligible,
        /// Their principal.
        IneligiblePrincipal,
        /// Defaults (every loan of the book).
        Defaults,
        /// Principal loss of those defaults (CNY).
        GrossLoss,
        /// Compensation owed in the year, before the balance limit (CNY).
        Claims,
        /// Compensation paid (CNY).
        Paid,
        /// Subsidies (CNY).
        Subsidies,
        /// Balance at the year end (CNY).
        BalanceEnd,
        /// 1 if some claim (or subsidy paid from the fund) could not be paid in full.
        Shortfall,
        /// 1 if some bank was paused.
        Pause,
    }
}

metric_enum! {
    /// A total over a period (horizon, run-off or lifetime).
    Total {
        /// Loans enrolled.
        Enrolled,
        /// Principal enrolled: the credit the scheme enabled (CNY).
        CreditEnabled,
        /// Loans refused by the leverage limit.
        RefusedLeverage,
        /// Their principal.
        RefusedLeveragePrincipal,
        /// Loans refused because their bank was paused.
        RefusedPaused,
        /// Their principal.
        RefusedPausedPrincipal,
        /// Loans failing the eligibility rules.
        Ineligible,
        /// Their principal.
        IneligiblePrincipal,
        /// Defaults.
        Defaults,
        /// Principal loss after recoveries (CNY).
        GrossLoss,
        /// Compensation owed (CNY).
        Claims,
        /// Compensation paid (CNY).
        Paid,
        /// Loss left with the banks, by default date (CNY).
        BankLoss,
        /// Loss borne by insurer, guarantor and valuation firm of enrolled loans (CNY).
        OtherPartiesLoss,
        /// What the public recovery buyer paid (CNY).
        BuyerOutlay,
        /// Subsidies (CNY).
        Subsidies,
        /// Recoveries flowing back to the fund (CNY).
        RecoveriesToFund,
        /// Fund paid − recoveries + subsidies + buyer outlay (CNY).
        PublicCost,
        /// Highest outstanding enrolled exposure ÷ balance over the months.
        PeakLeverage,
        /// 1 if some claim could not be paid in full.
        Shortfall,
    }
}

/// The periods totals are kept for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// The years in which loans are granted.
    Horizon,
    /// After the horizon until the last settlement.
    RunOff,
    /// Both.
    Lifetime,
}

impl Period {
    /// Every period, in storage order.
    pub const ALL: [Period; 3] = [Period::Horizon, Period::RunOff, Period::Lifetime];
}

/// One horizon year's quantities of one path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct YearRow(pub(crate) [f64; YearMetric::COUNT]);

impl Index<YearMetric> for YearRow {
    type Output = f64;
    fn index(&self, m: YearMetric) -> &f64 {
        &self.0[m as usize]
    }
}

impl IndexMut<YearMetric> for YearRow {
    fn index_mut(&mut self, m: YearMetric) -> &mut f64 {
        &mut self.0[m as usize]
    }
}

/// One period's totals of one path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Totals(pub(crate) [f64; Total::COUNT]);

impl Index<Total> for Totals {
    type Output = f64;
    fn index(&self, m: Total) -> &f64 {
        &self.0[m as usize]
    }
}

impl IndexMut<Total> for Totals {
    fn index_mut(&mut self, m: Total) -> &mut f64 {
        &mut self.0[m as usize]
    }
}

/// The quantities of one path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PathMetrics {
    /// One row per horizon year.
    pub(crate) year: Vec<YearRow>,
    /// Totals per [`Period`] (index = `Period as usize`).
    pub(crate) totals: [Totals; 3],
}

impl PathMetrics {
    pub(crate) fn new(years: usize) -> Self {
        PathMetrics {
            year: vec![YearRow([0.0; YearMetric::COUNT]); years],
            totals: [Totals([0.0; Total::COUNT]); 3],
        }
    }

    pub(crate) fn clear(&mut self) {
        for row in &mut self.year {
            *row = YearRow([0.0; YearMetric::COUNT]);
        }
        self.totals = [Totals([0.0; Total::COUNT]); 3];
    }

    /// The totals of `period`.
    pub(crate) fn period(&mut self, period: Period) -> &mut Totals {
        &mut self.totals[period as usize]
    }

    /// Adds `v` to `metric` in the period of `month` (horizon or run-off) and the lifetime.
    pub(crate) fn add(&mut self, in_horizon: bool, metric: Total, v: f64) {
        let p = if in_horizon {
            Period::Horizon
        } else {
            Period::RunOff
        };
        self.totals[p as usize][metric] += v;
        self.totals[Period::Lifetime as usize][metric] += v;
    }
}
