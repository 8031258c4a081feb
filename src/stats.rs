//! Estimators shared by every model: per-path [`Sample`]s that merge exactly, the summary
//! [`Stats`] (`mean, stderr, sd, p50, p95, p99, p999, es99`), probability estimates with their
//! standard error, and the tolerances statistical tests use.
//!
//! A `Sample` keeps the per-path values in path order. Merging is concatenation in batch (and
//! shard) order, and every statistic is computed from the merged values in that order with
//! compensated summation, so a sharded run merges into exactly the unsharded numbers.
//! Must not know about any model.

use serde::{Deserialize, Serialize};

/// Tolerances used by statistical tests across the crate, in one place.
pub mod tolerance {
    /// A Monte Carlo mean or probability passes an oracle when within this many standard
    /// errors of the exact value (SPEC: |MC − exact| < 4·stderr).
    pub const ORACLE_SIGMAS: f64 = 4.0;
    /// Relative tolerance for deterministic closed-form comparisons.
    pub const CLOSED_FORM_REL: f64 = 1e-9;
}

/// Summary of a simulated quantity over its paths.
///
/// Quantiles are empirical (the smallest value with at least the given share of paths at or
/// below it); `es99` is the mean of the worst 1 % of paths (at least one path), so
/// `p99 <= es99`. `stderr` is the standard error of `mean`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stats {
    /// Mean over paths.
    pub mean: f64,
    /// Standard error of the mean: `sd / sqrt(paths)`.
    pub stderr: f64,
    /// Sample standard deviation (n − 1).
    pub sd: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile (VaR 99 %).
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Expected shortfall at 99 %: mean of the worst 1 % of paths.
    pub es99: f64,
}

impl Stats {
    /// All zero: the summary of a quantity that is zero on every path.
    pub const ZERO: Stats = Stats {
        mean: 0.0,
        stderr: 0.0,
        sd: 0.0,
        p50: 0.0,
        p95: 0.0,
        p99: 0.0,
        p999: 0.0,
        es99: 0.0,
    };
}

/// Per-path values of one quantity, in path order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sample {
    values: Vec<f64>,
}

impl Sample {
    /// An empty sample.
    pub fn new() -> Self {
        Sample { values: Vec::new() }
    }

    /// An empty sample with room for `n` paths.
    pub fn with_capacity(n: usize) -> Self {
        Sample {
            values: Vec::with_capacity(n),
        }
    }

    /// Adds the value of the next path.
    pub fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    /// Appends the paths of `later`, which must come after this sample's paths.
    pub fn merge(&mut self, later: Sample) {
        self.values.extend(later.values);
    }

    /// Concatenates samples given in path order.
    pub fn concat<I: IntoIterator<Item = Sample>>(parts: I) -> Sample {
        let mut all = Sample::new();
        for p in parts {
            all.merge(p);
        }
        all
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when no path was recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The per-path values in path order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Mean with its standard error.
    pub fn mean(&self) -> Estimate {
        let n = self.values.len();
        if n == 0 {
            return Estimate {
                value: 0.0,
                stderr: 0.0,
            };
        }
        let mean = neumaier_sum(self.values.iter().copied()) / n as f64;
        let sd = sample_sd(&self.values, mean);
        Estimate {
            value: mean,
            stderr: sd / (n as f64).sqrt(),
        }
    }

    /// The empirical `alpha` quantile (see [`Stats`]); 0 for an empty sample.
    pub fn quantile(&self, alpha: f64) -> f64 {
        let mut sorted = self.values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        quantile_sorted(&sorted, alpha)
    }

    /// The full summary. An empty sample summarises to [`Stats::ZERO`].
    pub fn stats(&self) -> Stats {
        self.stats_with_quantiles(&[]).0
    }

    /// The full summary and the empirical quantiles at `alphas`, from a single sort (for
    /// callers that report quantiles beyond [`Stats`], e.g. a p5).
    pub fn stats_with_quantiles(&self, alphas: &[f64]) -> (Stats, Vec<f64>) {
        let n = self.values.len();
        if n == 0 {
            return (Stats::ZERO, vec![0.0; alphas.len()]);
        }
        let m = self.mean();
        let mut sorted = self.values.clone();
        // Equal keys under `total_cmp` are bit-identical, so an unstable sort gives exactly the
        // order a stable one would.
        sorted.sort_unstable_by(f64::total_cmp);
        let tail = tail_count(n, 0.99);
        let es99 = neumaier_sum(sorted[n - tail..].iter().copied()) / tail as f64;
        let extra = alphas
            .iter()
            .map(|a| quantile_sorted(&sorted, *a))
            .collect();
        let stats = Stats {
            mean: m.value,
            stderr: m.stderr,
            sd: m.stderr * (n as f64).sqrt(),
            p50: quantile_sorted(&sorted, 0.50),
            p95: quantile_sorted(&sorted, 0.95),
            p99: quantile_sorted(&sorted, 0.99),
            p999: quantile_sorted(&sorted, 0.999),
            es99,
        };
        (stats, extra)
    }
}

impl FromIterator<f64> for Sample {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        Sample {
            values: iter.into_iter().collect(),
        }
    }
}

/// A Monte Carlo estimate with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error.
    pub stderr: f64,
}

impl Estimate {
    /// True when `exact` lies within [`tolerance::ORACLE_SIGMAS`] standard errors (plus a tiny
    /// absolute slack for zero-variance estimates).
    pub fn agrees_with(&self, exact: f64) -> bool {
        (self.value - exact).abs()
            <= tolerance::ORACLE_SIGMAS * self.stderr + 1e-12 * exact.abs().max(1.0)
    }
}

/// Counts of paths on which an event happened, mergeable by addition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCount {
    /// Paths with the event.
    pub hits: u64,
    /// Paths observed.
    pub paths: u64,
}

impl EventCount {
    /// Records one path.
    pub fn record(&mut self, happened: bool) {
        self.hits += u64::from(happened);
        self.paths += 1;
    }

    /// Adds the counts of another part of the run.
    pub fn merge(&mut self, other: EventCount) {
        self.hits += other.hits;
        self.paths += other.paths;
    }

    /// The probability with its binomial standard error `sqrt(p(1−p)/n)`.
    pub fn estimate(&self) -> Estimate {
        if self.paths == 0 {
            return Estimate {
                value: 0.0,
                stderr: 0.0,
            };
        }
        let n = self.paths as f64;
        let p = self.hits as f64 / n;
        Estimate {
            value: p,
            stderr: (p * (1.0 - p) / n).sqrt(),
        }
    }
}

/// Number of paths in the upper `1 − alpha` tail (at least one).
fn tail_count(n: usize, alpha: f64) -> usize {
    (((1.0 - alpha) * n as f64).round() as usize).clamp(1, n)
}

/// The smallest sorted value with at least `alpha` of the paths at or below it.
fn quantile_sorted(sorted: &[f64], alpha: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let n = sorted.len();
    // ceil(alpha n) computed with a guard against 0.99 * 100 = 98.99999999999999.
    let rank = ((alpha * n as f64) - 1e-9).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// Sample standard deviation around a known mean, compensated.
fn sample_sd(values: &[f64], mean: f64) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let ss = neumaier_sum(values.iter().map(|v| (v - mean) * (v - mean)));
    (ss / (n - 1) as f64).sqrt()
}

/// Neumaier-compensated sum: deterministic in input order and accurate to a few ulps.
pub fn neumaier_sum<I: IntoIterator<Item = f64>>(values: I) -> f64 {
    let mut sum = 0.0f64;
    let mut c = 0.0f64;
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            c += (sum - t) + v;
        } else {
            c += (v - t) + sum;
        }
        sum = t;
    }
    sum + c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_one_to_hundred() {
        let s: Sample = (1..=100).map(f64::from).collect();
        let st = s.stats();
        assert_eq!(st.p50, 50.0);
        assert_eq!(st.p95, 95.0);
        assert_eq!(st.p99, 99.0);
        assert_eq!(st.p999, 100.0);
        assert_eq!(st.es99, 100.0);
        assert!((st.mean - 50.5).abs() < 1e-12);
        let sd = (100.0f64 * 101.0 / 12.0).sqrt(); // sd of 1..=n with n-1 divisor: sqrt(n(n+1)/12)
        assert!((st.sd - sd).abs() < 1e-9, "{} vs {}", st.sd, sd);
        assert!((st.stderr - sd / 10.0).abs() < 1e-9);
    }

    #[test]
    fn merge_in_order_equals_whole() {
        let all: Sample = (0..5000)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.37)
            .collect();
        let parts: Vec<Sample> = all
            .values()
            .chunks(777)
            .map(|c| c.iter().copied().collect())
            .collect();
        let merged = Sample::concat(parts);
        assert_eq!(merged.stats(), all.stats());
    }

    #[test]
    fn es_is_at_least_var() {
        let s: Sample = (0..1000).map(|i| ((i * 31) % 97) as f64).collect();
        let st = s.stats();
        assert!(st.es99 >= st.p99);
        assert!(st.p999 >= st.p99 && st.p99 >= st.p95 && st.p95 >= st.p50);
    }

    #[test]
    fn event_count_estimate_has_binomial_stderr() {
        let mut e = EventCount::default();
        for i in 0..400 {
            e.record(i % 4 == 0);
        }
        let est = e.estimate();
        assert!((est.value - 0.25).abs() < 1e-15);
        assert!((est.stderr - (0.25f64 * 0.75 / 400.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn compensated_sum_is_exact_on_cancellation() {
        assert_eq!(neumaier_sum([1e100, 1.0, -1e100]), 1.0);
    }
}
