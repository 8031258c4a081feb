//! Statistics of a [`Sample`] whose paths carry likelihood-ratio weights (importance
//! sampling): path `i` was drawn under a tilted measure and `w_i = dP/dQ` of its draws.
//!
//! * A probability is the plain mean of `w·1{event}` (unbiased) with the standard error of
//!   that mean.
//! * The summary [`Stats`] are those of the weighted empirical distribution (weights
//!   normalised by their sum, so a quantity that is the same on every path keeps its value):
//!   mean `Σwx/Σw` with the delta-method standard error `√(Σw²(x−mean)²)/Σw`, the weighted
//!   standard deviation, quantiles (the smallest value with at least the share `α` of the
//!   weight at or below it) and `es99` (the weight-mean of the top 1 % of the weight, the
//!   boundary path counted with the part of its weight that fits).
//!
//! Every sum runs in path order (Neumaier), so merged shards give the unsharded numbers bit
//! for bit, as with unweighted samples. Must not know about any model.

use super::{Estimate, Sample, Stats, neumaier_sum};

/// `values` with their `weights` (the same length, weights ≥ 0), in path order.
#[derive(Clone, Copy, Debug)]
pub struct Weighted<'a> {
    values: &'a [f64],
    weights: &'a [f64],
}

impl<'a> Weighted<'a> {
    /// Pairs a sample with its per-path weights.
    ///
    /// # Panics
    /// When the two have different lengths (a layout error of the caller).
    pub fn new(sample: &'a Sample, weights: &'a Sample) -> Weighted<'a> {
        assert_eq!(
            sample.len(),
            weights.len(),
            "one weight per path of the sample"
        );
        Weighted {
            values: sample.values(),
            weights: weights.values(),
        }
    }

    /// `P(event)` as the mean of `w·1{event(x)}` over the paths, with its standard error.
    pub fn probability(&self, event: impl Fn(f64) -> bool) -> Estimate {
        let terms: Vec<f64> = self
            .values
            .iter()
            .zip(self.weights)
            .map(|(&x, &w)| if event(x) { w } else { 0.0 })
            .collect();
        let s: Sample = terms.into_iter().collect();
        s.mean()
    }

    /// The summary of the weighted empirical distribution (see the module doc); all zero
    /// for an empty sample or one of zero total weight.
    pub fn stats(&self) -> Stats {
        let n = self.values.len();
        let total = neumaier_sum(self.weights.iter().copied());
        if n == 0 || total <= 0.0 || !total.is_finite() {
            return Stats::ZERO;
        }
        let mean = neumaier_sum(self.values.iter().zip(self.weights).map(|(x, w)| w * x)) / total;
        let ss_w = neumaier_sum(
            self.values
                .iter()
                .zip(self.weights)
                .map(|(x, w)| w * (x - mean) * (x - mean)),
        );
        let ss_w2 = neumaier_sum(
            self.values
                .iter()
                .zip(self.weights)
                .map(|(x, w)| (w * (x - mean)) * (w * (x - mean))),
        );
        let sd = if n > 1 {
            (ss_w / total * n as f64 / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let sorted = self.sorted();
        let q = |alpha: f64| quantile_sorted(&sorted, total, alpha);
        Stats {
            mean,
            stderr: ss_w2.sqrt() / total,
            sd,
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            es99: upper_mean(&sorted, total, 0.01),
        }
    }

    /// The weighted empirical `alpha` quantile (0 for an empty sample).
    pub fn quantile(&self, alpha: f64) -> f64 {
        let total = neumaier_sum(self.weights.iter().copied());
        quantile_sorted(&self.sorted(), total, alpha)
    }

    /// (value, weight) pairs by increasing value (ties in path order: a stable sort).
    fn sorted(&self) -> Vec<(f64, f64)> {
        let mut pairs: Vec<(f64, f64)> = self
            .values
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        pairs
    }
}

/// The smallest value with at least `alpha` of the `total` weight at or below it.
fn quantile_sorted(sorted: &[(f64, f64)], total: f64, alpha: f64) -> f64 {
    let Some(last) = sorted.last() else {
        return 0.0;
    };
    // The same guard as the unweighted rank against 0.99 · W landing a hair above a sum.
    let need = alpha * total * (1.0 - 1e-12);
    let mut acc = 0.0;
    for &(x, w) in sorted {
        acc += w;
        if acc >= need {
            return x;
        }
    }
    last.0
}

/// Weight-mean of the upper `share` of the weight (the boundary path with the part of its
/// weight that fits; the top path alone when it carries more than that share).
fn upper_mean(sorted: &[(f64, f64)], total: f64, share: f64) -> f64 {
    let Some(&(top, _)) = sorted.last() else {
        return 0.0;
    };
    let mass = share * total;
    let mut acc = 0.0;
    let mut sum = 0.0;
    for &(x, w) in sorted.iter().rev() {
        let take = w.min(mass - acc);
        if take <= 0.0 {
            break;
        }
        acc += take;
        sum += take * x;
    }
    if acc > 0.0 { sum / acc } else { top }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(v: impl IntoIterator<Item = f64>) -> Sample {
        v.into_iter().collect()
    }

    #[test]
    fn equal_weights_give_the_unweighted_summary() {
        let x = sample((0..1000).map(|i| ((i * 7919) % 613) as f64 - 100.0));
        let w = sample(std::iter::repeat_n(0.37, 1000));
        let a = Weighted::new(&x, &w).stats();
        let b = x.stats();
        assert_eq!([a.p50, a.p95, a.p99, a.p999], [b.p50, b.p95, b.p99, b.p999]);
        assert!((a.mean - b.mean).abs() < 1e-12 * b.mean.abs().max(1.0));
        assert!((a.sd - b.sd).abs() < 1e-9 * b.sd);
        // Self-normalised standard error with equal weights: √(Σ(x−m)²)/n ≈ sd/√n.
        assert!((a.stderr - b.stderr).abs() < 1e-3 * b.stderr);
        assert!((a.es99 - b.es99).abs() < 1e-9 * b.es99.abs());
    }

    #[test]
    fn weights_move_the_quantiles_and_the_mean() {
        // Two values; the weight says 1 is 90 % likely.
        let x = sample([1.0, 2.0, 1.0, 2.0]);
        let w = sample([0.9, 0.1, 0.9, 0.1]);
        let s = Weighted::new(&x, &w).stats();
        assert!((s.mean - 1.1).abs() < 1e-12);
        assert_eq!((s.p50, s.p95), (1.0, 2.0));
        assert_eq!(s.es99, 2.0);
        // ES over the top 20 %: half at 2 (the 10 %), half at 1.
        let sorted = Weighted::new(&x, &w).sorted();
        assert!((upper_mean(&sorted, 2.0, 0.2) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn probability_is_the_mean_of_weighted_indicators() {
        let x = sample([0.0, 1.0, 1.0, 0.0]);
        let w = sample([1.0, 0.25, 0.75, 2.0]);
        let p = Weighted::new(&x, &w).probability(|v| v > 0.5);
        assert!((p.value - 0.25).abs() < 1e-15);
        // sd of (0, 0.25, 0.75, 0) around 0.25, n − 1 = 3, over √4.
        let sd = ((0.0625 + 0.0 + 0.25 + 0.0625) / 3.0f64).sqrt();
        assert!((p.stderr - sd / 2.0).abs() < 1e-15);
    }
}
