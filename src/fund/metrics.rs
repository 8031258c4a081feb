//! The per-path quantities a fund simulation records, by index, so that a batch stores one
//! [`Sample`](crate::stats::Sample) per quantity and shards merge by concatenation.

/// Indices of the per-year quantities.
pub(crate) struct Y;

impl Y {
    pub(crate) const ENROLLED: usize = 0;
    pub(crate) const REFUSED: usize = 1;
    pub(crate) const DEFAULTS: usize = 2;
    pub(crate) const GROSS_LOSS: usize = 3;
    pub(crate) const CLAIMS: usize = 4;
    pub(crate) const PAID: usize = 5;
    pub(crate) const SUBSIDIES: usize = 6;
    pub(crate) const BALANCE_END: usize = 7;
    pub(crate) const SHORTFALL: usize = 8;
    pub(crate) const PAUSE: usize = 9;
}

/// Number of per-year quantities.
pub(crate) const YEAR_METRICS: usize = 10;

/// Indices of the horizon quantities.
pub(crate) struct H;

impl H {
    pub(crate) const DEFAULTS: usize = 0;
    pub(crate) const GROSS_LOSS: usize = 1;
    pub(crate) const CLAIMS: usize = 2;
    pub(crate) const PAID: usize = 3;
    pub(crate) const BANK_LOSS: usize = 4;
    pub(crate) const OTHER_PARTIES_LOSS: usize = 5;
    pub(crate) const SUBSIDIES: usize = 6;
    pub(crate) const REFUSED: usize = 7;
    pub(crate) const SHORTFALL: usize = 8;
    pub(crate) const CREDIT_ENABLED: usize = 9;
    pub(crate) const RECOVERIES_TO_FUND: usize = 10;
    pub(crate) const PUBLIC_COST: usize = 11;
}

/// Number of horizon quantities.
pub(crate) const HORIZON_METRICS: usize = 12;

/// The quantities of one path.
#[derive(Clone, Debug)]
pub(crate) struct PathMetrics {
    pub(crate) year: Vec<[f64; YEAR_METRICS]>,
    pub(crate) horizon: [f64; HORIZON_METRICS],
}

impl PathMetrics {
    pub(crate) fn new(years: usize) -> Self {
        PathMetrics {
            year: vec![[0.0; YEAR_METRICS]; years],
            horizon: [0.0; HORIZON_METRICS],
        }
    }

    pub(crate) fn clear(&mut self) {
        for row in &mut self.year {
            *row = [0.0; YEAR_METRICS];
        }
        self.horizon = [0.0; HORIZON_METRICS];
    }
}
