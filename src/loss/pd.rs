//! Default probabilities: over a tenor from the one-year PD, conditional on the Gaussian
//! factor (Vasicek), and the Basel IRB corporate asset correlation.

use super::normal;

/// Probability of default within `months` from the one-year PD (constant hazard):
/// `1 − (1 − pd_1y)^(months/12)`.
pub fn tenor_pd(pd_1y: f64, months: u32) -> f64 {
    1.0 - (1.0 - pd_1y).powf(f64::from(months) / 12.0)
}

/// The default threshold `Φ⁻¹(pd)` of the one-factor Gaussian model.
pub fn threshold(pd: f64) -> f64 {
    normal::inverse_cdf(pd)
}

/// Vasicek conditional default probability given the systematic factor `z` for a loan with
/// default threshold `threshold = Φ⁻¹(pd)` and asset correlation `rho`:
/// `Φ((Φ⁻¹(pd) − √ρ z)/√(1−ρ))`.
pub fn conditional(threshold: f64, rho: f64, z: f64) -> f64 {
    FactorLoading::new(rho).conditional(threshold, z)
}

/// The square roots of an asset correlation, computed once for the many conditional PDs of
/// one PD level ([`conditional`] is `FactorLoading::new(rho).conditional(..)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FactorLoading {
    sqrt_rho: f64,
    sqrt_1m_rho: f64,
}

impl FactorLoading {
    /// The loading of correlation `rho` in [0, 1).
    pub fn new(rho: f64) -> FactorLoading {
        FactorLoading {
            sqrt_rho: rho.sqrt(),
            sqrt_1m_rho: (1.0 - rho).sqrt(),
        }
    }

    /// `Φ((threshold − √ρ z)/√(1−ρ))`.
    pub fn conditional(&self, threshold: f64, z: f64) -> f64 {
        normal::cdf(self.argument(threshold, z))
    }

    /// `(threshold − √ρ z)/√(1−ρ)`: the conditional PD is its Φ.
    pub fn argument(&self, threshold: f64, z: f64) -> f64 {
        (threshold - self.sqrt_rho * z) / self.sqrt_1m_rho
    }
}

/// The Basel IRB corporate weight `w = (1 − e^(−50·PD))/(1 − e^(−50))`.
fn basel_weight(pd: f64) -> f64 {
    (1.0 - (-50.0 * pd).exp()) / (1.0 - (-50.0f64).exp())
}

/// The SME size adjustment `−0.04 · (1 − (S − 5)/45)` with sales S (EUR m) clamped to [5, 50].
pub fn sme_adjustment(sales_eur_m: f64) -> f64 {
    let s = sales_eur_m.clamp(5.0, 50.0);
    -0.04 * (1.0 - (s - 5.0) / 45.0)
}

/// Basel IRB corporate asset correlation `R = 0.12·w + 0.24·(1−w)`, plus the SME adjustment
/// when the firm's sales (EUR m) are given.
pub fn basel_correlation(pd: f64, sales_eur_m: Option<f64>) -> f64 {
    let w = basel_weight(pd);
    0.12 * w + 0.24 * (1.0 - w) + sales_eur_m.map_or(0.0, sme_adjustment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenor_pd_compounds_the_annual_pd() {
        assert!((tenor_pd(0.02, 12) - 0.02).abs() < 1e-15);
        assert!((tenor_pd(0.02, 24) - (1.0 - 0.98f64 * 0.98)).abs() < 1e-15);
        assert!((tenor_pd(0.02, 36) - (1.0 - 0.98f64.powi(3))).abs() < 1e-15);
        // A part year compounds too: six months is 1 − √(1 − PD).
        assert!((tenor_pd(0.02, 6) - (1.0 - 0.98f64.sqrt())).abs() < 1e-15);
        assert_eq!(tenor_pd(0.02, 0), 0.0);
    }

    #[test]
    fn conditional_pd_at_the_large_pool_quantile() {
        // Large-pool oracle (docs/models.md): p 2 %, ρ 0.12, the 99 % factor quantile gives a loss fraction of 9.172 %.
        let z = -normal::inverse_cdf(0.99);
        let p = conditional(threshold(0.02), 0.12, z);
        assert!((p - 0.09172).abs() < 5e-6, "{p}");
    }

    #[test]
    fn basel_correlation_bounds() {
        assert!((basel_correlation(1e-9, None) - 0.24).abs() < 1e-6);
        assert!((basel_correlation(0.5, None) - 0.12).abs() < 1e-6);
        assert!((basel_correlation(0.5, Some(5.0)) - 0.08).abs() < 1e-6);
        assert_eq!(sme_adjustment(60.0), 0.0);
    }

    #[test]
    fn sme_adjustment_at_the_clamp_ends() {
        assert!((sme_adjustment(5.0) + 0.04).abs() < 1e-15);
        assert!((sme_adjustment(1.0) + 0.04).abs() < 1e-15);
        assert!(sme_adjustment(50.0).abs() < 1e-15);
        assert!(sme_adjustment(80.0).abs() < 1e-15);
        assert!((sme_adjustment(27.5) + 0.02).abs() < 1e-15);
        let plain = basel_correlation(0.01, None);
        assert!((basel_correlation(0.01, Some(5.0)) - (plain - 0.04)).abs() < 1e-15);
        assert!((basel_correlation(0.01, Some(50.0)) - plain).abs() < 1e-15);
    }
}
