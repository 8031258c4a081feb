//! Estimators shared by every model: per-path [`Sample`]s that merge exactly, the summary
//! [`Stats`] (`mean, stderr, sd, p50, p95, p99, p999, es99`), probability estimates with their
//! standard error, and the tolerances statistical tests use.
//!
//! A `Sample` keeps the per-path values in path order. Merging is concatenation in batch (and
//! shard) order, and every statistic is computed from the merged values in that order with
//! compensated summation, so a sharded run merges into exactly the unsharded numbers.
//! Must not know about any model.

use serde::{Deserialize, Serialize};

mod order;
mod weighted;

pub use weighted::Weighted;

/// Tolerances used by statistical tests across the crate, in one place.
pub mod tolerance {
    /// A Monte Carlo mean or probability passes an oracle when within this many standard
    /// errors of the exact value (docs/models.md: |MC − exact| < 4·stderr).
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

/// Mean, standard error and standard deviation of a sample (see [`Sample::moments`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Moments {
    /// Mean over paths.
    pub mean: f64,
    /// Standard error of the mean (under how the paths were drawn).
    pub stderr: f64,
    /// Sample standard deviation of the paths (n − 1).
    pub sd: f64,
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
        if self.values.is_empty() && self.values.capacity() < later.values.len() {
            // Take the buffer instead of copying it into a smaller one (the same values).
            self.values = later.values;
        } else {
            self.values.extend(later.values);
        }
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

    /// Mean with its standard error, paths independent.
    pub fn mean(&self) -> Estimate {
        let n = self.values.len();
        if n == 0 {
            return Estimate {
                value: 0.0,
                stderr: 0.0,
            };
        }
        let mean = compensated_sum(&self.values, |v| v) / n as f64;
        let sd = sample_sd(&self.values, mean);
        Estimate {
            value: mean,
            stderr: sd / (n as f64).sqrt(),
        }
    }

    /// Mean with the standard error that fits how the paths were drawn: for antithetic pairs
    /// the pairs, not the paths, are the independent units (see [`Draws`]).
    pub fn estimate_mean(&self, draws: Draws) -> Estimate {
        let plain = self.mean();
        Estimate {
            value: plain.value,
            stderr: self.stderr_under(draws, plain),
        }
    }

    /// The empirical `alpha` quantile (see [`Stats`]); 0 for an empty sample.
    pub fn quantile(&self, alpha: f64) -> f64 {
        let mut sorted = self.values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        quantile_sorted(&sorted, alpha)
    }

    /// The full summary, paths independent. An empty sample summarises to [`Stats::ZERO`].
    pub fn stats(&self) -> Stats {
        self.summary(Draws::Independent, &[]).0
    }

    /// The full summary and the empirical quantiles at `alphas` (for callers that report
    /// quantiles beyond [`Stats`], e.g. a p5), paths independent.
    pub fn stats_with_quantiles(&self, alphas: &[f64]) -> (Stats, Vec<f64>) {
        self.summary(Draws::Independent, alphas)
    }

    /// The full summary and the quantiles at `alphas`, with the standard error that fits
    /// `draws`. `sd` and the quantiles describe the paths whatever the draws.
    pub fn summary(&self, draws: Draws, alphas: &[f64]) -> (Stats, Vec<f64>) {
        self.summary_from(self.moments(draws), alphas)
    }

    /// Mean, its standard error under `draws` and the paths' standard deviation: the cheap
    /// part of [`summary`](Sample::summary), for callers that need no quantiles. All zero for
    /// an empty sample.
    pub fn moments(&self, draws: Draws) -> Moments {
        let n = self.values.len();
        if n == 0 {
            return Moments::default();
        }
        let plain = self.mean();
        Moments {
            mean: plain.value,
            stderr: self.stderr_under(draws, plain),
            sd: plain.stderr * (n as f64).sqrt(),
        }
    }

    /// [`summary`](Sample::summary) with the moments already computed (by
    /// [`moments`](Sample::moments) on this sample).
    ///
    /// Quantiles come from bracketed selection, not a full sort (see the `order` module): only
    /// the top 1 % (for `es99`) is sorted, then summed in ascending order. Order statistics
    /// are unique, so the result is exactly the one a full sort gives.
    pub fn summary_from(&self, moments: Moments, alphas: &[f64]) -> (Stats, Vec<f64>) {
        let n = self.values.len();
        if n == 0 {
            return (Stats::ZERO, vec![0.0; alphas.len()]);
        }
        const STATS_ALPHAS: [f64; 4] = [0.50, 0.95, 0.99, 0.999];
        let ranks: Vec<usize> = STATS_ALPHAS
            .iter()
            .chain(alphas)
            .map(|a| quantile_rank(n, *a))
            .collect();
        let tail = tail_count(n, 0.99);
        let (quantiles, es99) = order::order_statistics(&self.values, &ranks, n - tail);
        let stats = Stats {
            mean: moments.mean,
            stderr: moments.stderr,
            sd: moments.sd,
            p50: quantiles[0],
            p95: quantiles[1],
            p99: quantiles[2],
            p999: quantiles[3],
            es99,
        };
        (stats, quantiles[STATS_ALPHAS.len()..].to_vec())
    }

    /// The standard error of the mean under `draws`, given the plain (independent) estimate.
    fn stderr_under(&self, draws: Draws, plain: Estimate) -> f64 {
        match draws {
            Draws::Independent => plain.stderr,
            Draws::AntitheticPairs => clustered_stderr(&self.values, 2, plain.value),
        }
    }
}

/// How the consecutive paths of a [`Sample`] were drawn, which decides its standard error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draws {
    /// Every path drawn independently.
    Independent,
    /// Paths `(0, 1), (2, 3), …` are antithetic pairs: the second path of a pair uses the
    /// negated normal draws of the first. The pairs are independent, the paths within one are
    /// not; the last path of an odd count stands alone.
    AntitheticPairs,
}

/// Standard error of the overall mean of `values` drawn in independent consecutive clusters of
/// `size` paths (the last one possibly shorter): with cluster sums `S_u` of `n_u` paths,
/// `m` clusters, `n` paths and mean `μ`,
/// `se² = m/(m−1) · Σ (S_u − n_u·μ)² / n²`. With clusters of one path this is `sd/√n`.
/// Cluster sums are plain sums in path order (exact for pairs).
fn clustered_stderr(values: &[f64], size: usize, mean: f64) -> f64 {
    let n = values.len();
    let m = n.div_ceil(size);
    if m < 2 {
        return 0.0;
    }
    let deviation = |c: &[f64]| c.iter().sum::<f64>() - c.len() as f64 * mean;
    let whole = values.chunks_exact(size);
    let rest = whole.remainder();
    let mut deviations = Vec::with_capacity(m);
    if size == 2 {
        // Pairs written out (the same sums, `-0 + a + b`, and factor as `deviation` gives):
        // the generic chunk loop costs more than the arithmetic.
        deviations.extend(whole.map(|c| (c[0] + c[1]) - 2.0 * mean));
    } else {
        deviations.extend(whole.map(deviation));
    }
    if !rest.is_empty() {
        deviations.push(deviation(rest));
    }
    let ss = compensated_sum(&deviations, |d| d * d);
    (m as f64 / (m - 1) as f64 * ss).sqrt() / n as f64
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
    sorted[quantile_rank(sorted.len(), alpha)]
}

/// 0-based rank of the empirical `alpha` quantile of `n ≥ 1` values: `ceil(alpha·n) − 1`,
/// at least 0.
fn quantile_rank(n: usize, alpha: f64) -> usize {
    // ceil(alpha n) computed with a guard against 0.99 * 100 = 98.99999999999999.
    let rank = ((alpha * n as f64) - 1e-9).ceil() as usize;
    rank.clamp(1, n) - 1
}

/// Sample standard deviation around a known mean, compensated.
fn sample_sd(values: &[f64], mean: f64) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let ss = compensated_sum(values, |v| (v - mean) * (v - mean));
    (ss / (n - 1) as f64).sqrt()
}

/// `Σ f(v)` over `values`, compensated: four interleaved Neumaier sums (element `i` goes to
/// lane `i mod 4`), whose sums and compensations are then added by [`neumaier_sum`].
/// Deterministic in input order and accurate to a few ulps; the four independent chains run
/// about four times faster than one, which matters for the per-path samples of every result.
fn compensated_sum(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx2() {
        // SAFETY: the running CPU reported AVX2 support.
        return unsafe { compensated_sum_avx2(values, f) };
    }
    compensated_sum_body(values, f)
}

/// [`compensated_sum_body`] compiled for AVX2: the four lanes are one vector; same code, same
/// bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn compensated_sum_avx2(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    compensated_sum_body(values, f)
}

#[inline(always)]
fn compensated_sum_body(values: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut sum = [0.0f64; 4];
    let mut comp = [0.0f64; 4];
    let mut chunks = values.chunks_exact(4);
    for chunk in &mut chunks {
        for lane in 0..4 {
            let v = f(chunk[lane]);
            let t = sum[lane] + v;
            let (big, small) = if sum[lane].abs() >= v.abs() {
                (sum[lane], v)
            } else {
                (v, sum[lane])
            };
            comp[lane] += (big - t) + small;
            sum[lane] = t;
        }
    }
    let rest = chunks.remainder().iter().map(|v| f(*v));
    neumaier_sum(sum.into_iter().chain(comp).chain(rest))
}

/// Neumaier-compensated sum: deterministic in input order and accurate to a few ulps.
pub fn neumaier_sum<I: IntoIterator<Item = f64>>(values: I) -> f64 {
    let mut sum = 0.0f64;
    let mut c = 0.0f64;
    for v in values {
        let t = sum + v;
        // Written as selections, not branches: the larger magnitude is unpredictable.
        let (big, small) = if sum.abs() >= v.abs() {
            (sum, v)
        } else {
            (v, sum)
        };
        c += (big - t) + small;
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

    /// The summary from a full sort, as the selection must reproduce it bit for bit.
    fn sorted_reference(values: &[f64], alphas: &[f64]) -> (Vec<f64>, f64) {
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let n = sorted.len();
        let tail = tail_count(n, 0.99);
        let es = neumaier_sum(sorted[n - tail..].iter().copied()) / tail as f64;
        (
            alphas
                .iter()
                .map(|a| quantile_sorted(&sorted, *a))
                .collect(),
            es,
        )
    }

    #[test]
    fn selected_quantiles_equal_those_of_a_full_sort() {
        let alphas = [0.5, 0.95, 0.99, 0.999, 0.05, 0.0, 1.0, 0.95];
        for n in [1usize, 2, 7, 99, 100, 101, 1000, 4097] {
            // Many ties, negative values and a spread of magnitudes.
            let s: Sample = (0..n)
                .map(|i| (((i * 7919) % 613) as f64 - 200.0) * if i % 3 == 0 { 1e3 } else { 1.0 })
                .collect();
            let (st, extra) = s.summary(Draws::Independent, &alphas[4..]);
            let (q, es) = sorted_reference(s.values(), &alphas);
            assert_eq!([st.p50, st.p95, st.p99, st.p999], q[..4], "n = {n}");
            assert_eq!(extra, q[4..], "n = {n}");
            assert_eq!(st.es99.to_bits(), es.to_bits(), "n = {n}");
        }
    }

    #[test]
    fn clustered_stderr_of_single_paths_is_the_plain_one() {
        let s: Sample = (0..999).map(|i| ((i * 31) % 97) as f64 * 0.5).collect();
        let plain = s.mean().stderr;
        let clustered = clustered_stderr(s.values(), 1, s.mean().value);
        assert!(
            (clustered - plain).abs() <= 1e-12 * plain,
            "{clustered} vs {plain}"
        );
    }

    #[test]
    fn antithetic_pairs_are_the_independent_units() {
        // Perfect antithetic pairs around 3: the mean is exact, so its error is zero.
        let s: Sample = (0..1001)
            .map(|i| 3.0 + if i % 2 == 0 { 1.0 } else { -1.0 } * f64::from(i / 2 % 17))
            .collect();
        let e = s.estimate_mean(Draws::AntitheticPairs);
        // The lone last path (3 + 500 % 17 = 3 + 7) moves the mean; pairs contribute nothing.
        let exact = (3.0 * 1001.0 + 7.0) / 1001.0;
        assert!((e.value - exact).abs() < 1e-12);
        // Cluster sums: 500 pairs at 6 (deviation 6 − 2μ) and the lone 10 (deviation 10 − μ).
        let mu = exact;
        let ss = 500.0 * (6.0 - 2.0 * mu).powi(2) + (10.0 - mu).powi(2);
        let se = (501.0 / 500.0 * ss).sqrt() / 1001.0;
        assert!(
            (e.stderr - se).abs() < 1e-12 * se.max(1.0),
            "{} vs {se}",
            e.stderr
        );
        assert!(e.stderr < 0.1 * s.mean().stderr);
        // Pairs of equal values are no better than independent paths of the same spread.
        let twins: Sample = (0..2000).map(|i| f64::from(i / 2 % 13)).collect();
        let paired = twins.estimate_mean(Draws::AntitheticPairs).stderr;
        assert!(paired > 1.3 * twins.mean().stderr, "{paired}");
    }

    #[test]
    fn compensated_sums_agree_bit_for_bit_on_every_cpu_path() {
        let v: Vec<f64> = (0..10_001)
            .map(|i| ((i * 7919) % 1013) as f64 * 1e3_f64.powi(i % 5) - 3e5)
            .collect();
        let square = |x: f64| x * x;
        assert_eq!(
            compensated_sum(&v, square).to_bits(),
            compensated_sum_body(&v, square).to_bits()
        );
        assert_eq!(
            compensated_sum(&v, |x| x).to_bits(),
            compensated_sum_body(&v, |x| x).to_bits()
        );
    }

    #[test]
    fn compensated_sum_is_exact_on_cancellation() {
        assert_eq!(neumaier_sum([1e100, 1.0, -1e100]), 1.0);
        // In every lane arrangement (the lanes take elements i mod 4).
        for shift in 0..6 {
            let mut v = vec![0.5; shift];
            v.extend([1e100, 1.0, -1e100, 3.0, 1e-100, -1e100, 1e100]);
            let exact = 0.5 * shift as f64 + 4.0 + 1e-100;
            assert_eq!(compensated_sum(&v, |x| x), exact, "shift {shift}");
        }
    }
}
