//! The standard normal distribution function Φ and its inverse, for the Basel formula, the
//! Gaussian default model of credit and fund, and the PD levels of a book. Thin wrappers over
//! statrs' `erfc`/`erfc_inv` (about 1e-15 relative), clamped so callers never see a panic or
//! NaN for a probability at 0 or 1.

use statrs::function::erf::{erfc, erfc_inv};

/// Φ(x).
pub fn cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in [0, 1]; −∞ at 0 and +∞ at 1.
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
        assert!((inverse_cdf(0.02) + 2.053_748_910_631_823).abs() < 1e-12);
        assert_eq!(inverse_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse_cdf(1.0), f64::INFINITY);
    }

    #[test]
    fn inverse_inverts() {
        for p in [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999] {
            assert!((cdf(inverse_cdf(p)) - p).abs() < 1e-10 * p, "{p}");
        }
    }
}
