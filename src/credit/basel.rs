//! Basel IRB capital for corporate exposures with the SME firm-size adjustment
//! (BCBS 2006 ¶272–273, CRE31), exactly as docs/models.md writes it.
//!
//! Owns the capital formula only: inputs are a PD, an LGD, the maturity in years and the
//! firm's sales in EUR millions (clamped to [5, 50]). The asset correlation with its SME
//! adjustment and the conditional PD are `loss::pd`'s (shared with the fund's `basel_sme`
//! correlation). Must not know about applications or currencies.

use crate::loss::normal;
use crate::loss::pd::{basel_correlation, conditional, threshold};

/// Inputs of the IRB formula.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IrbInputs {
    /// One-year PD (clamped to [1e-12, 1 − 1e-12] inside).
    pub pd: f64,
    /// Loss given default.
    pub lgd: f64,
    /// Effective maturity in years, clamped to [1, 5].
    pub maturity_years: f64,
    /// Annual sales in EUR millions for the SME adjustment, clamped to [5, 50]; `None` = no
    /// size adjustment (a large corporate).
    pub sales_eur_m: Option<f64>,
    /// Confidence level (0.999).
    pub confidence: f64,
}

/// Capital per unit of EAD and its parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Irb {
    /// Asset correlation R.
    pub correlation: f64,
    /// Maturity adjustment b.
    pub maturity_b: f64,
    /// Capital requirement K per unit of EAD.
    pub k: f64,
}

impl Irb {
    /// Risk weight `12.5 · K` (1.0 = 100 %).
    pub fn risk_weight(&self) -> f64 {
        12.5 * self.k
    }
}

/// The IRB capital requirement.
pub fn capital(inputs: IrbInputs) -> Irb {
    let pd = inputs.pd.clamp(1e-12, 1.0 - 1e-12);
    let lgd = inputs.lgd.clamp(0.0, 1.0);
    let m = inputs.maturity_years.clamp(1.0, 5.0);
    let r = basel_correlation(pd, inputs.sales_eur_m);
    let b = (0.11852 - 0.05478 * pd.ln()).powi(2);
    // The PD given the factor at its stress quantile, z = −Φ⁻¹(confidence):
    // Φ((Φ⁻¹(PD) + √R·Φ⁻¹(confidence))/√(1−R)).
    let stress_z = -normal::inverse_cdf(inputs.confidence);
    let stressed_pd = conditional(threshold(pd), r, stress_z);
    let k = (lgd * stressed_pd - pd * lgd) * (1.0 + (m - 2.5) * b) / (1.0 - 1.5 * b);
    Irb {
        correlation: r,
        maturity_b: b,
        k: k.max(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corporate(pd: f64) -> Irb {
        capital(IrbInputs {
            pd,
            lgd: 0.45,
            maturity_years: 2.5,
            sales_eur_m: None,
            confidence: 0.999,
        })
    }

    #[test]
    fn corporate_risk_weights_match_the_basel_oracle() {
        // Published oracle: LGD 45 %, M 2.5, no SME adjustment, RW = 12.5 K, to the published 2 dp.
        for (pd, rw) in [(0.01, 92.32), (0.02, 114.85), (0.05, 149.85)] {
            let got = corporate(pd).risk_weight() * 100.0;
            assert!((got - rw).abs() < 0.005, "pd {pd}: {got} vs {rw}");
        }
    }

    #[test]
    fn smaller_firms_and_shorter_maturities_need_less_capital() {
        let base = IrbInputs {
            pd: 0.02,
            lgd: 0.45,
            maturity_years: 2.5,
            sales_eur_m: Some(50.0),
            confidence: 0.999,
        };
        let small = capital(IrbInputs {
            sales_eur_m: Some(5.0),
            ..base
        });
        let short = capital(IrbInputs {
            maturity_years: 0.5,
            ..base
        });
        assert!(small.k < capital(base).k);
        assert!(short.k < capital(base).k);
        // Maturity is clamped at 1 year.
        let one = capital(IrbInputs {
            maturity_years: 1.0,
            ..base
        });
        assert_eq!(short.k, one.k);
    }
}
