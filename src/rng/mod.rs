//! Random-number streams and the deterministic parallel batch driver.
//!
//! Every stochastic result in ipledge is a pure function of (inputs, model, seed, paths).
//! Paths are cut into batches of [`BATCH_PATHS`]; batch `b` draws only from
//! [`stream`]`(seed, domain, b)`, a ChaCha8 stream keyed by the seed and the kind of draw, with
//! the batch index as the ChaCha stream id. Batch size never depends on the thread count, and
//! [`run_batches`] returns batch results in batch order, so results are identical on 1 or 16
//! threads and across shards (a shard is a contiguous range of batches).
//! [`normal::fill`] draws standard normals fast (two per 64-bit output) for the kernels;
//! [`beta::Beta`] Beta draws from two gammas. [`stop`] lets a front door stop a run between
//! paths (a timed-out request, a cancelled job).
//! Must not know about files, HTTP or SQL; must never use an unseeded generator.

pub mod beta;
pub mod normal;
pub mod stop;

use std::ops::Range;

use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// Paths per batch. Fixed: changing it changes every golden output.
pub const BATCH_PATHS: u64 = 1024;

/// The generator every simulation draws from.
pub type Stream = ChaCha8Rng;

/// What a stream is used for, so that different models fed the same seed draw independent
/// numbers (the valuation of an application and its default timing, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Domain {
    /// Asset and portfolio valuation paths.
    Valuation,
    /// Borrower default and loss-given-default paths in scoring.
    Credit,
    /// Fund simulation paths.
    Fund,
    /// Any other named use: the number keeps streams apart.
    Other(u32),
}

impl Domain {
    fn key(self) -> u32 {
        match self {
            Domain::Valuation => 1,
            Domain::Credit => 2,
            Domain::Fund => 3,
            Domain::Other(k) => 0x1000_0000 ^ k,
        }
    }
}

/// The ChaCha8 stream for `batch` of a run with `seed`, in `domain`.
pub fn stream(seed: u64, domain: Domain, batch: u64) -> Stream {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&domain.key().to_le_bytes());
    // A fixed tag so that a key never collides with a user-supplied raw ChaCha key.
    key[12..20].copy_from_slice(b"ipledge1");
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(batch);
    rng
}

/// Two independent uniforms in the open interval (0, 1) from one output of `rng`, one per
/// 32-bit half (resolution `2^-32`: for comparisons against probabilities, where a 64-bit
/// output per uniform would double the cost of the draw for nothing).
pub fn unit_pair(rng: &mut Stream) -> (f64, f64) {
    const STEP: f64 = 1.0 / 4_294_967_296.0;
    let bits = rng.next_u64();
    let unit = |word: u32| (f64::from(word) + 0.5) * STEP;
    (unit(bits as u32), unit((bits >> 32) as u32))
}

/// A uniform in the open interval (0, 1) from one output of `rng` (53 bits).
pub fn open_unit(rng: &mut Stream) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// One batch of paths: its index and the global path numbers it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Batch index (the stream id).
    pub index: u64,
    /// Global path numbers in this batch.
    pub paths: Range<u64>,
}

impl Batch {
    /// Number of paths in the batch.
    pub fn len(&self) -> usize {
        (self.paths.end - self.paths.start) as usize
    }

    /// True for a batch with no paths (never produced by [`batches`]).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

/// Number of batches for `paths` paths.
pub fn batch_count(paths: u64) -> u64 {
    paths.div_ceil(BATCH_PATHS)
}

/// The batches with indices in `range` of a run of `paths` paths.
pub fn batches(paths: u64, range: Range<u64>) -> Vec<Batch> {
    let end = range.end.min(batch_count(paths));
    (range.start.min(end)..end)
        .map(|index| {
            let first = index * BATCH_PATHS;
            Batch {
                index,
                paths: first..(first + BATCH_PATHS).min(paths),
            }
        })
        .collect()
}

/// Shard `index` of `count` (0-based index): which part of a run one process computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based shard number.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

/// Why a shard specification is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not of the form `I/N`.
    #[error("`{text}` is not of the form I/N (1-based I, e.g. 2/3)")]
    Syntax {
        /// The offending text.
        text: String,
    },
    /// I outside 1..=N, or N zero.
    #[error("shard {index}/{count} is out of range: need 1 <= I <= N")]
    OutOfRange {
        /// The 1-based shard number given.
        index: u32,
        /// The shard count given.
        count: u32,
    },
}

impl Shard {
    /// The whole run.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses the CLI form `I/N` with a 1-based `I`.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax {
            text: text.to_string(),
        };
        let (i, n) = text.split_once('/').ok_or_else(syntax)?;
        let i: u32 = i.trim().parse().map_err(|_| syntax())?;
        let n: u32 = n.trim().parse().map_err(|_| syntax())?;
        if n == 0 || i == 0 || i > n {
            return Err(ShardError::OutOfRange { index: i, count: n });
        }
        Ok(Shard {
            index: i - 1,
            count: n,
        })
    }

    /// The contiguous batch indices this shard computes out of a run of `paths` paths.
    pub fn batch_range(self, paths: u64) -> Range<u64> {
        let total = batch_count(paths);
        let n = u64::from(self.count);
        let i = u64::from(self.index);
        (total * i / n)..(total * (i + 1) / n)
    }
}

/// Runs `work` on every batch of `range` (see [`Shard::batch_range`]) in parallel on the
/// current rayon pool and returns the results in batch order. Each call of `work` gets its own
/// stream keyed by `(seed, domain, batch.index)`, so the output does not depend on the number
/// of threads. The caller's [`stop`] flag is checked before every batch.
pub fn run_batches<T, F>(
    seed: u64,
    domain: Domain,
    paths: u64,
    range: Range<u64>,
    work: F,
) -> Vec<T>
where
    T: Send,
    F: Fn(&Batch, &mut Stream) -> T + Sync + Send,
{
    let scope = stop::current();
    batches(paths, range)
        .into_par_iter()
        .map(|batch| {
            scope.within(|| {
                let mut rng = stream(seed, domain, batch.index);
                work(&batch, &mut rng)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_differ_by_seed_domain_and_batch_and_repeat_exactly() {
        let draw = |s, d, b| stream(s, d, b).next_u64();
        assert_eq!(draw(1, Domain::Fund, 0), draw(1, Domain::Fund, 0));
        assert_ne!(draw(1, Domain::Fund, 0), draw(2, Domain::Fund, 0));
        assert_ne!(draw(1, Domain::Fund, 0), draw(1, Domain::Valuation, 0));
        assert_ne!(draw(1, Domain::Fund, 0), draw(1, Domain::Fund, 1));
    }

    #[test]
    fn unit_pairs_are_open_uniforms() {
        let mut rng = stream(2, Domain::Other(3), 0);
        let n = 200_000;
        let (mut s, mut below) = ([0.0f64; 2], [0usize; 2]);
        for _ in 0..n {
            let (a, b) = unit_pair(&mut rng);
            assert!(a > 0.0 && a < 1.0 && b > 0.0 && b < 1.0);
            s[0] += a;
            s[1] += b;
            below[0] += usize::from(a < 0.253);
            below[1] += usize::from(b < 0.253 && a < 0.5);
        }
        let se_mean = (1.0 / 12.0 / n as f64).sqrt();
        for m in s {
            assert!((m / n as f64 - 0.5).abs() < 4.0 * se_mean);
        }
        // P(a < 0.253) and, the halves being independent, P(b < 0.253 and a < 0.5).
        for (count, p) in below.iter().zip([0.253, 0.253 * 0.5]) {
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!((*count as f64 / n as f64 - p).abs() < 4.0 * se);
        }
        assert_eq!(unit_pair(&mut stream(1, Domain::Fund, 0)).0, {
            let w = stream(1, Domain::Fund, 0).next_u64() as u32;
            (f64::from(w) + 0.5) / 4_294_967_296.0
        });
    }

    #[test]
    fn batches_cover_all_paths_once() {
        let b = batches(2500, 0..batch_count(2500));
        assert_eq!(b.len(), 3);
        assert_eq!(b[2].paths, 2048..2500);
        assert_eq!(b.iter().map(Batch::len).sum::<usize>(), 2500);
    }

    #[test]
    fn shards_partition_the_batches() {
        let paths = 10 * BATCH_PATHS + 7;
        let mut covered = Vec::new();
        for i in 1..=3 {
            covered.extend(Shard::parse(&format!("{i}/3")).unwrap().batch_range(paths));
        }
        assert_eq!(covered, (0..batch_count(paths)).collect::<Vec<_>>());
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("x").is_err());
    }

    #[test]
    fn run_batches_is_independent_of_thread_count() {
        let sum = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                run_batches(7, Domain::Fund, 5000, 0..batch_count(5000), |b, rng| {
                    (0..b.len())
                        .map(|_| rng.next_u64() >> 11)
                        .fold(0u64, u64::wrapping_add)
                })
            })
        };
        assert_eq!(sum(1), sum(2));
    }
}
