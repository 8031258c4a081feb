//! Standard normal draws for the simulation kernels: a 256-layer ziggurat (Marsaglia & Tsang,
//! 2000) fed with 32-bit words, two per 64-bit output of the stream.
//!
//! Why not `rand_distr::StandardNormal`: it spends a whole 64-bit output per draw and is a
//! call per value; a ChaCha8 output costs about as much as the rest of the draw, and the
//! valuation kernel draws about a million normals per 10,000-path portfolio. Here a word
//! gives the layer (low 8 bits) and a signed uniform (high 24 bits, a symmetric grid in
//! (−1, 1) of step 2^-23); 99 % of words end there. The rare wedge test and the tail beyond
//! `R` use full 53-bit uniforms from the stream. The grid makes every draw a multiple of
//! `2^-23` of its layer's width: immaterial at any number of paths a run can hold (the
//! distribution test below checks it against the exact CDF).
//!
//! Determinism: `fill` consumes the stream in a fixed order: output by output, low word first;
//! the high word of the last output is dropped when `out` is full.

use std::sync::LazyLock;

use rand::Rng;

use super::Stream;

/// Layers of the ziggurat.
const LAYERS: usize = 256;
/// Start of the tail (right edge of the base layer), for 256 layers.
const R: f64 = 3.654_152_885_361_009;
/// Area of each layer under `e^(−x²/2)`, for 256 layers.
const V: f64 = 4.928_673_233_99e-3;
/// `2^-23`: one step of the 24-bit signed uniform grid.
const GRID: f64 = 1.0 / (1u64 << 23) as f64;
/// `2^-53`: one step of a full-precision uniform.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// Right edges `x[i]` (x[0] is the base layer's equivalent width `V / f(R)`, x[1] = R,
/// x[256] = 0) and `f[i] = e^(−x[i]²/2)`.
struct Tables {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let pdf = |x: f64| (-0.5 * x * x).exp();
    let mut x = [0.0; LAYERS + 1];
    x[0] = V / pdf(R);
    x[1] = R;
    for i in 1..LAYERS - 1 {
        x[i + 1] = (-2.0 * (V / x[i] + pdf(x[i])).ln()).sqrt();
    }
    x[LAYERS] = 0.0;
    let f = x.map(pdf);
    Tables { x, f }
});

/// Outputs of the stream taken at a time by [`fill`] (at most what the draws left to make
/// need if no word is rejected, so the stream is never read ahead).
const BLOCK: usize = 32;

/// Where the ziggurat's words and uniforms come from: outputs already taken from the stream,
/// then the stream itself, in stream order.
struct Source<'a> {
    taken: &'a [u64],
    next: usize,
    rng: &'a mut Stream,
}

impl Source<'_> {
    fn next_u64(&mut self) -> u64 {
        let bits = match self.taken.get(self.next) {
            Some(b) => *b,
            None => self.rng.next_u64(),
        };
        self.next += 1;
        bits
    }

    /// A uniform in the open interval (0, 1) from a full 64-bit output.
    fn open_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * UNIT
    }
}

/// Fills `out` with independent standard normal draws from `rng`.
///
/// Draw for draw and output for output the same as taking one output at a time and turning its
/// low then high word into a draw (the rare rejections read further outputs right after the
/// current one); four outputs at a time go through a branch-free test of all eight words,
/// which vectorises (AVX2 when the CPU has it: the code and so the bits are the same).
pub fn fill(rng: &mut Stream, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx2() {
        // SAFETY: the running CPU reported AVX2 support.
        unsafe { fill_avx2(rng, out) };
        return;
    }
    fill_body(rng, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fill_avx2(rng: &mut Stream, out: &mut [f64]) {
    fill_body(rng, out);
}

#[inline(always)]
fn fill_body(rng: &mut Stream, out: &mut [f64]) {
    let t = &*TABLES;
    let mut filled = 0;
    if out.len() < 8 {
        // Too few draws for the eight-word test: straight from the stream.
        let mut src = Source {
            taken: &[],
            next: 0,
            rng,
        };
        while filled < out.len() {
            filled = one_output(t, &mut src, out, filled);
        }
        return;
    }
    let mut block = [0u64; BLOCK];
    while filled < out.len() {
        // Each output gives at most two draws: these outputs are all read whatever happens.
        let take = (out.len() - filled).div_ceil(2).min(BLOCK);
        // In bulk: the same words as `take` calls of `next_u64` (low word first), cheaper.
        let mut bytes = [0u8; 8 * BLOCK];
        rng.fill_bytes(&mut bytes[..8 * take]);
        for (b, chunk) in block.iter_mut().zip(bytes[..8 * take].chunks_exact(8)) {
            *b = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
        let mut src = Source {
            taken: &block[..take],
            next: 0,
            rng,
        };
        while src.next < take && filled < out.len() {
            if src.next + 4 <= take && filled + 8 <= out.len() {
                let words = &src.taken[src.next..src.next + 4];
                if let Some(z) = eight(t, words) {
                    out[filled..filled + 8].copy_from_slice(&z);
                    filled += 8;
                    src.next += 4;
                    continue;
                }
            }
            filled = one_output(t, &mut src, out, filled);
        }
    }
}

/// The draws of the next output of `src` (low word, then high word, until `out` is full)
/// written from `out[filled]` on; returns the new count filled.
#[inline(always)]
fn one_output(t: &Tables, src: &mut Source<'_>, out: &mut [f64], mut filled: usize) -> usize {
    let bits = src.next_u64();
    for word in [bits as u32, (bits >> 32) as u32] {
        if filled == out.len() {
            break;
        }
        if let Some(z) = from_word(t, word, src) {
            out[filled] = z;
            filled += 1;
        }
    }
    filled
}

/// The eight draws of four outputs (low word first) when every word lands inside its layer's
/// rectangle (about 92 % of the time: 99 % per word), else `None` and the words go one by one.
/// The same arithmetic as [`rectangle`], arranged so that it vectorises: table reads first,
/// then the eight lanes at once.
#[inline(always)]
fn eight(t: &Tables, outputs: &[u64]) -> Option<[f64; 8]> {
    let mut grid = [0.0; 8];
    let mut width = [0.0; 8];
    let mut inner = [0.0; 8];
    for j in 0..8 {
        let word = (outputs[j / 2] >> (32 * (j % 2))) as u32;
        let i = (word & 0xff) as usize;
        grid[j] = (word >> 8) as f64;
        width[j] = t.x[i];
        inner[j] = t.x[i + 1];
    }
    let mut z = [0.0; 8];
    let mut outside = 0u32;
    for j in 0..8 {
        let u = (grid[j] + 0.5) * GRID - 1.0;
        z[j] = u * width[j];
        outside |= u32::from(z[j].abs() >= inner[j]);
    }
    (outside == 0).then_some(z)
}

/// A word's candidate draw and whether it lies inside its layer's rectangle (accepted).
#[inline(always)]
fn rectangle(t: &Tables, word: u32) -> (f64, bool) {
    let i = (word & 0xff) as usize;
    let u = ((word >> 8) as f64 + 0.5) * GRID - 1.0;
    let x = u * t.x[i];
    (x, x.abs() < t.x[i + 1])
}

/// One standard normal from `rng` (a fresh output; for callers that need one at a time).
/// The same draw as `fill` into a slice of one, without its set-up.
pub fn one(rng: &mut Stream) -> f64 {
    let t = &*TABLES;
    let mut z = [0.0];
    let mut src = Source {
        taken: &[],
        next: 0,
        rng,
    };
    while one_output(t, &mut src, &mut z, 0) == 0 {}
    z[0]
}

/// The ziggurat step for one word: a draw, or `None` when the word is rejected (the caller
/// moves on to the next word).
#[inline(always)]
fn from_word(t: &Tables, word: u32, src: &mut Source<'_>) -> Option<f64> {
    let (x, inside) = rectangle(t, word);
    if inside {
        return Some(x);
    }
    let i = (word & 0xff) as usize;
    Some(if i == 0 {
        // Base layer beyond R: the exact tail by Marsaglia's method.
        let tail = loop {
            let a = -src.open_unit().ln() / R;
            let b = -src.open_unit().ln();
            if 2.0 * b >= a * a {
                break R + a;
            }
        };
        tail.copysign(x)
    } else {
        // Wedge: accept with the density's excess over the layer below.
        let y = t.f[i] + (t.f[i + 1] - t.f[i]) * src.open_unit();
        if y >= (-0.5 * x * x).exp() {
            return None;
        }
        x
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Domain, stream};
    use crate::stats::tolerance::ORACLE_SIGMAS;
    use statrs::distribution::{ContinuousCDF, Normal};

    #[test]
    fn the_layers_close_at_zero_with_equal_areas() {
        let t = &*TABLES;
        // The recurrence from x[1] = R must land near 0 at the top layer: the 256-layer
        // constants (R, V) are consistent.
        assert!(
            t.x[LAYERS - 1] > 0.0 && t.x[LAYERS - 1] < 0.3,
            "{}",
            t.x[LAYERS - 1]
        );
        let top_area = t.x[LAYERS - 1] * (1.0 - t.f[LAYERS - 1]);
        assert!((top_area - V).abs() < 1e-6, "{top_area}");
        for i in 1..LAYERS - 1 {
            let area = t.x[i] * (t.f[i + 1] - t.f[i]);
            assert!((area - V).abs() < 1e-12, "layer {i}: {area}");
        }
    }

    /// Kolmogorov–Smirnov against the exact normal CDF: the 0.1 % critical value of
    /// `√n·D` is 1.95; also the mean, variance and the tail beyond R.
    #[test]
    fn draws_follow_the_standard_normal() {
        const N: usize = 400_000;
        const KS_CRITICAL: f64 = 1.95;
        let mut rng = stream(11, Domain::Other(7), 0);
        let mut z = vec![0.0; N];
        fill(&mut rng, &mut z);
        let mean = z.iter().sum::<f64>() / N as f64;
        let var = z.iter().map(|v| v * v).sum::<f64>() / N as f64 - mean * mean;
        assert!(
            mean.abs() < ORACLE_SIGMAS / (N as f64).sqrt(),
            "mean {mean}"
        );
        // Var of the sample variance of a normal: 2/n.
        assert!(
            (var - 1.0).abs() < ORACLE_SIGMAS * (2.0 / N as f64).sqrt(),
            "var {var}"
        );
        let exact = Normal::standard();
        z.sort_unstable_by(f64::total_cmp);
        let d = z
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let c = exact.cdf(*v);
                (c - k as f64 / N as f64).max((k + 1) as f64 / N as f64 - c)
            })
            .fold(0.0, f64::max);
        assert!((N as f64).sqrt() * d < KS_CRITICAL, "KS D = {d}");
        let p_tail = 2.0 * exact.cdf(-R);
        let tail = z.iter().filter(|v| v.abs() > R).count() as f64 / N as f64;
        let se = (p_tail * (1.0 - p_tail) / N as f64).sqrt();
        assert!(
            (tail - p_tail).abs() < ORACLE_SIGMAS * se,
            "{tail} vs {p_tail}"
        );
    }

    /// The one-output-at-a-time ziggurat that `fill` must reproduce draw for draw.
    fn reference_fill(rng: &mut Stream, out: &mut [f64]) {
        let t = &*TABLES;
        let mut filled = 0;
        while filled < out.len() {
            let bits = rng.next_u64();
            for word in [bits as u32, (bits >> 32) as u32] {
                if filled == out.len() {
                    break;
                }
                let mut src = Source {
                    taken: &[],
                    next: 0,
                    rng,
                };
                if let Some(z) = from_word(t, word, &mut src) {
                    out[filled] = z;
                    filled += 1;
                }
            }
        }
    }

    /// Blocks, the eight-word test and the AVX2 copy change nothing: the same draws and the
    /// stream left at the same place, for lengths around every block edge.
    #[test]
    fn fill_is_the_one_word_at_a_time_ziggurat() {
        for len in (0..80).chain([255, 1000, 4097]) {
            for seed in 0..6 {
                let fresh = || stream(seed, Domain::Other(9), len as u64);
                let (mut a, mut b, mut c) = (fresh(), fresh(), fresh());
                let (mut x, mut y, mut z) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
                fill(&mut a, &mut x);
                reference_fill(&mut b, &mut y);
                fill_body(&mut c, &mut z);
                assert_eq!(x, y, "len {len} seed {seed}");
                assert_eq!(z, y, "len {len} seed {seed}");
                let next = b.next_u64();
                assert_eq!(a.next_u64(), next, "len {len} seed {seed}");
                assert_eq!(c.next_u64(), next, "len {len} seed {seed}");
            }
        }
    }

    #[test]
    fn a_fill_is_the_same_draws_whatever_its_length() {
        let mut a = vec![0.0; 1001];
        fill(&mut stream(3, Domain::Other(7), 0), &mut a);
        let mut b = vec![0.0; 1000];
        fill(&mut stream(3, Domain::Other(7), 0), &mut b);
        assert_eq!(a[..1000], b[..]);
        assert_eq!(one(&mut stream(3, Domain::Other(7), 0)), a[0]);
    }
}
