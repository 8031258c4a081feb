//! The standard normal CDF and its inverse for the fund kernel (statrs' `erfc`, accurate to
//! ~1e-15 relative).

use statrs::function::erf::{erfc, erfc_inv};

/// Φ(x).
pub(crate) fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p); −∞ at 0 and +∞ at 1.
pub(crate) fn norm_inv(p: f64) -> f64 {
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
    fn cdf_and_inverse_agree_with_known_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        let v = norm_cdf(1.959_963_984_540_054);
        assert!((v - 0.975).abs() < 1e-11, "{v}");
        assert!((norm_inv(0.02) + 2.053_748_910_631_823).abs() < 1e-12);
        for p in [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999] {
            assert!((norm_cdf(norm_inv(p)) - p).abs() < 1e-10 * p, "{p}");
        }
        assert_eq!(norm_inv(0.0), f64::NEG_INFINITY);
    }
}
