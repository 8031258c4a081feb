//! Exact order statistics of a sample without sorting it, for the quantiles and `es99` of
//! every summary.
//!
//! Values are mapped to integers that order like [`f64::total_cmp`] (so ties, signed zeros and
//! negatives are exact and comparisons are single integer compares, about twice as fast as
//! selecting on `f64` with `total_cmp`). Each requested order statistic below the tail is then
//! selected in the part of the keys above the previous one, and only the tail (for `es99`) is
//! sorted. Order statistics are unique, so the result is exactly the one a full sort gives.
//!
//! Must not know about any model.

use super::neumaier_sum;

/// The values at 0-based `ranks` (any order, repeats allowed, each `< values.len()`) and the
/// mean of the values from rank `tail_start` up, summed in ascending order. `tail_start` must
/// be below `values.len()`.
pub(super) fn order_statistics(
    values: &[f64],
    ranks: &[usize],
    tail_start: usize,
) -> (Vec<f64>, f64) {
    debug_assert!(tail_start < values.len());
    let mut keys: Vec<i64> = values.iter().map(|v| key(*v)).collect();
    let mut below: Vec<usize> = ranks.iter().copied().filter(|r| *r < tail_start).collect();
    below.sort_unstable();
    below.dedup();
    let mut lo = 0;
    for r in below.into_iter().chain([tail_start]) {
        keys[lo..].select_nth_unstable(r - lo);
        lo = r + 1;
    }
    let tail = &mut keys[tail_start..];
    tail.sort_unstable();
    let es = neumaier_sum(tail.iter().map(|k| value(*k))) / tail.len() as f64;
    (ranks.iter().map(|r| value(keys[*r])).collect(), es)
}

/// An integer that orders like `f64::total_cmp` (flip the magnitude bits of negatives).
fn key(v: f64) -> i64 {
    let b = v.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// The value of a [`key`].
fn value(k: i64) -> f64 {
    f64::from_bits((k ^ (((k >> 63) as u64) >> 1) as i64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Order statistics and `es99`-style tail mean from a full sort.
    fn reference(values: &[f64], ranks: &[usize], tail_start: usize) -> (Vec<f64>, f64) {
        let mut sorted = values.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let tail = &sorted[tail_start..];
        (
            ranks.iter().map(|r| sorted[*r]).collect(),
            neumaier_sum(tail.iter().copied()) / tail.len() as f64,
        )
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn keys_order_like_total_cmp_and_invert() {
        let v = [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            5e-324,
            1.0,
            1e300,
            f64::INFINITY,
        ];
        for w in v.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
        for x in v {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }

    /// Samples shaped like simulation output and like adversarial input: iid draws, many
    /// exact zeros (assets that lapse), a constant, sorted and reversed orders, signed zeros
    /// and negatives, few distinct values; and small sizes.
    #[test]
    fn equal_a_full_sort_bit_for_bit() {
        let n = 10_000;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let iid: Vec<f64> = (0..n).map(|_| (3.0 * uniform()).exp() * 1e5).collect();
        let zeros: Vec<f64> = iid
            .iter()
            .enumerate()
            .map(|(i, v)| if i % 3 == 0 { *v } else { 0.0 })
            .collect();
        let constant = vec![42.5; n];
        let mut sorted = iid.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let reversed: Vec<f64> = sorted.iter().rev().copied().collect();
        let signed: Vec<f64> = iid
            .iter()
            .enumerate()
            .map(|(i, v)| match i % 3 {
                0 => -v,
                1 => -0.0,
                _ => 0.0,
            })
            .collect();
        let few: Vec<f64> = (0..n).map(|i| ((i * 7919) % 5) as f64).collect();
        let ranks = [4999, 9499, 9899, 9989, 499, 0, n - 1, 9499, 3333];
        for (name, v) in [
            ("iid", &iid),
            ("zeros", &zeros),
            ("constant", &constant),
            ("sorted", &sorted),
            ("reversed", &reversed),
            ("signed", &signed),
            ("few", &few),
        ] {
            let (q, es) = order_statistics(v, &ranks, 9900);
            let (want, want_es) = reference(v, &ranks, 9900);
            assert_eq!(bits(&q), bits(&want), "{name}");
            assert_eq!(es.to_bits(), want_es.to_bits(), "{name}");
        }
        // A spike, a tight cluster far from it and a few wider values, 100k of them.
        let big = 100_000;
        let clustered: Vec<f64> = (0..big)
            .map(|i| match i % 4 {
                0 => 0.0,
                1 => 1e6 * (1.0 + 1e-12 * (i % 977) as f64),
                2 => 1e6,
                _ => 1e6 * (1.0 + uniform() * 1e-3),
            })
            .collect();
        let ranks = [
            0,
            24_999,
            25_000,
            49_999,
            50_000,
            94_999,
            98_999,
            99_899,
            big - 1,
        ];
        let (q, es) = order_statistics(&clustered, &ranks, 99_000);
        let (want, want_es) = reference(&clustered, &ranks, 99_000);
        assert_eq!(bits(&q), bits(&want), "clustered");
        assert_eq!(es.to_bits(), want_es.to_bits(), "clustered");
        for n in [1usize, 2, 7, 100] {
            let v: Vec<f64> = signed[..n].to_vec();
            let ranks = [n / 2, 0, n - 1];
            let (q, es) = order_statistics(&v, &ranks, n - 1);
            let (want, want_es) = reference(&v, &ranks, n - 1);
            assert_eq!(bits(&q), bits(&want), "n = {n}");
            assert_eq!(es.to_bits(), want_es.to_bits(), "n = {n}");
        }
    }
}
