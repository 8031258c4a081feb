//! A branch-free `e^x` for the valuation kernel.
//!
//! The kernel takes one exponential per asset, path and year; the C library's `exp` is a call
//! per value that the compiler cannot vectorise. This one is plain IEEE arithmetic (no table,
//! no fused multiply-add), so loops over paths vectorise and the result is bit-identical on
//! every x86-64 and ARM machine, which the C library does not promise.
//!
//! Method (Cody–Waite): `x = n·ln 2 + r` with `n = round(x/ln 2)` found by adding and removing
//! `1.5·2^52`, `ln 2` split in a high part exact in `n·ln2_hi` and a low part, so
//! `|r| ≤ ln 2 / 2`; `e^r` by its Taylor polynomial of degree 12 (truncation below
//! `0.347^13/13! < 2·10^-16`); `2^n` built in the exponent bits. Arguments are clamped to
//! `[-708, 709]`, where `e^x` is a normal number.

/// `ln 2`, high part (fdlibm's): its last 21 mantissa bits are zero, so `n·LN2_HI` is exact
/// for every `|n| < 2^21`, far beyond the `|n| ≤ 1023` used.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 − LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// `1.5·2^52`: adding it rounds a number of magnitude below `2^51` to an integer, which then
/// sits in the low bits of the sum's mantissa.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// Smallest and largest argument: `e^x` stays a normal, finite number.
const MIN_ARG: f64 = -708.0;
const MAX_ARG: f64 = 709.0;

/// `e^x` within 1e-15 relative; `x` must not be NaN.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    let x = x.clamp(MIN_ARG, MAX_ARG);
    let shifted = x * std::f64::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Horner's rule on 1 + r + r²/2! + … + r¹²/12!.
    let mut p = 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // n = shifted − SHIFT is the difference of the two bit patterns (same exponent).
    let n_int = shifted.to_bits() as i64 - SHIFT.to_bits() as i64;
    let scale = f64::from_bits(((n_int + 1023) << 52) as u64);
    p * scale
}

#[cfg(test)]
mod tests {
    use super::exp;

    /// Relative error allowed against the C library's `exp` (itself within 1 ulp).
    const REL: f64 = 1e-15;

    #[test]
    fn agrees_with_the_library_exp_across_the_range() {
        let mut worst = 0.0f64;
        for i in -700_000..=700_000 {
            let x = f64::from(i) * 1.0e-3 + 1.0e-7 * f64::from(i % 7);
            let (got, want) = (exp(x), x.exp());
            let rel = ((got - want) / want).abs();
            worst = worst.max(rel);
            assert!(rel < REL, "exp({x}) = {got}, library {want}");
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
        assert_eq!(exp(0.0), 1.0);
        assert!((exp(1.0) - std::f64::consts::E).abs() <= 2.0 * f64::EPSILON * std::f64::consts::E);
        assert!(exp(-1e6) > 0.0 && exp(-1e6) == exp(-708.0));
        assert!(exp(1e6).is_finite() && exp(1e6) == exp(709.0));
        assert!(((exp(-708.0) - (-708.0f64).exp()) / (-708.0f64).exp()).abs() < REL);
        assert!(((exp(709.0) - 709.0f64.exp()) / 709.0f64.exp()).abs() < REL);
    }
}
