//! The standard normal distribution function Φ and its inverse, for the Basel formula and the
//! Gaussian default model. Thin wrappers over statrs' `erfc`/`erfc_inv`, clamped so callers
//! never see a panic or NaN for a probability at 0 or 1.

use statrs::function::erf::{erfc, erfc_inv};

/// Φ(x).
pub fn cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in [0, 1]; ±∞ at the ends.
pub fn inverse_cdf(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!((cdf(0.0) - 0.5).abs() < 1e-15);
        let c = cdf(1.959_963_984_540_054);
        assert!((c - 0.975).abs() < 1e-11, "{c}");
        assert!((inverse_cdf(0.999) - 3.090_232_306_167_813).abs() < 1e-9);
        assert!((inverse_cdf(0.01) + 2.326_347_874_040_841).abs() < 1e-9);
        assert_eq!(inverse_cdf(0.0), f64::NEG_INFINITY);
    }
}
