//! A branch-free `(e^x, e^-x)` for the valuation kernel.
//!
//! The kernel needs one exponential per asset, pair of paths and year, and its antithetic
//! mirror needs the reciprocal. The C library's `exp` is a call per value that the compiler
//! cannot vectorise, and a division per lane costs about as much as the polynomial. This is
//! plain IEEE arithmetic (no table, no fused multiply-add), so loops over lanes vectorise and
//! the result is bit-identical on every x86-64 and ARM machine, which the C library does not
//! promise. It is built for loops: one value alone waits on the polynomial chain, and the
//! library's table-driven `exp` is faster there (the scalar parts of the kernel use it).
//!
//! Method (Cody–Waite): `x = n·ln 2 + r` with `n = round(x/ln 2)` found by adding and removing
//! `1.5·2^52`, `ln 2` split in a high part exact in `n·ln2_hi` and a low part, so
//! `|r| ≤ ln 2 / 2`. The Taylor polynomial of degree 13 (truncation below `2·10^-16`) is split
//! in its even and odd parts, `e^±r = E(r²) ± r·O(r²)`, so both signs cost one polynomial;
//! `2^±n` is built in the exponent bits. Arguments are clamped to `[-708, 708]`, where both
//! results are normal, finite numbers.

/// `ln 2`, high part (fdlibm's): its last 21 mantissa bits are zero, so `n·LN2_HI` is exact
/// for every `|n| < 2^21`, far beyond the `|n| ≤ 1022` used.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 − LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// `1.5·2^52`: adding it rounds a number of magnitude below `2^51` to an integer, which then
/// sits in the low bits of the sum's mantissa.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// Largest argument magnitude: `e^±x` stay normal, finite numbers.
const MAX_ARG: f64 = 708.0;

/// `(e^x, e^-x)`, each within 1e-15 relative; `x` must not be NaN.
#[inline(always)]
pub(crate) fn exp_pair(x: f64) -> (f64, f64) {
    let x = x.clamp(-MAX_ARG, MAX_ARG);
    let shifted = x * std::f64::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let s = r * r;
    // Even part 1 + s/2! + … + s⁶/12!, odd part 1 + s/3! + … + s⁶/13!, by Horner's rule.
    let mut even = 1.0 / 479_001_600.0;
    even = even * s + 1.0 / 3_628_800.0;
    even = even * s + 1.0 / 40_320.0;
    even = even * s + 1.0 / 720.0;
    even = even * s + 1.0 / 24.0;
    even = even * s + 0.5;
    even = even * s + 1.0;
    let mut odd = 1.0 / 6_227_020_800.0;
    odd = odd * s + 1.0 / 39_916_800.0;
    odd = odd * s + 1.0 / 362_880.0;
    odd = odd * s + 1.0 / 5_040.0;
    odd = odd * s + 1.0 / 120.0;
    odd = odd * s + 1.0 / 6.0;
    odd = odd * s + 1.0;
    let odd = r * odd;
    // n = shifted − SHIFT is the difference of the two bit patterns (same exponent).
    let n_int = shifted.to_bits() as i64 - SHIFT.to_bits() as i64;
    let up = f64::from_bits(((1023 + n_int) << 52) as u64);
    let down = f64::from_bits(((1023 - n_int) << 52) as u64);
    ((even + odd) * up, (even - odd) * down)
}

#[cfg(test)]
mod tests {
    use super::exp_pair;

    /// Relative error allowed against the C library's `exp` (itself within 1 ulp).
    const REL: f64 = 1e-15;

    fn close(got: f64, want: f64) -> bool {
        ((got - want) / want).abs() < REL
    }

    #[test]
    fn agrees_with_the_library_exp_across_the_range() {
        let mut worst = 0.0f64;
        for i in -700_000..=700_000 {
            let x = f64::from(i) * 1.0e-3 + 1.0e-7 * f64::from(i % 7);
            let (up, down) = exp_pair(x);
            assert!(close(up, x.exp()), "e^{x} = {up}, library {}", x.exp());
            assert!(
                close(down, (-x).exp()),
                "e^-{x} = {down}, library {}",
                (-x).exp()
            );
            worst = worst.max(((up - x.exp()) / x.exp()).abs());
        }
        assert!(
            worst > 0.0,
            "a different function would not agree exactly everywhere"
        );
    }

    #[test]
    fn ln2_splits_exactly() {
        assert_eq!(super::LN2_HI.to_bits() & 0x1f_ffff, 0);
        assert!((super::LN2_HI + super::LN2_LO - std::f64::consts::LN_2).abs() < 1e-17);
    }

    #[test]
    fn exact_points_and_the_clamped_ends() {
        assert_eq!(exp_pair(0.0), (1.0, 1.0));
        let e = std::f64::consts::E;
        assert!((exp_pair(1.0).0 - e).abs() <= 2.0 * f64::EPSILON * e);
        assert!((exp_pair(1.0).1 - 1.0 / e).abs() <= 2.0 * f64::EPSILON / e);
        assert_eq!(exp_pair(1e6), exp_pair(708.0));
        assert_eq!(exp_pair(-1e6), exp_pair(-708.0));
        let (up, down) = exp_pair(708.0);
        assert!(up.is_finite() && down.is_normal());
        assert!(close(up, 708f64.exp()) && close(down, (-708f64).exp()));
    }
}
