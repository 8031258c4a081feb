//! Exposure at default from the repayment schedule: a bullet loan owes its full principal
//! until maturity; an amortising loan pays equal monthly instalments (French annuity at the
//! loan's rate), so the exposure in month `m` is the principal outstanding after `m − 1`
//! instalments. Must not know about PDs or collateral.

use serde::{Deserialize, Serialize};

/// How the principal is repaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repayment {
    /// Principal at maturity, interest along the way.
    Bullet,
    /// Equal monthly instalments of principal and interest.
    Amortising,
}

/// Outstanding principal, as a fraction of the original principal, for each month of default.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// `exposure[m − 1]` = outstanding fraction if the borrower defaults in month `m`
    /// (1-based, 1..=tenor).
    exposure: Vec<f64>,
}

impl Schedule {
    /// The schedule of a loan with `tenor_months` ≥ 1 at `annual_rate`.
    pub fn new(repayment: Repayment, tenor_months: u32, annual_rate: f64) -> Schedule {
        let n = tenor_months.max(1);
        let exposure = match repayment {
            Repayment::Bullet => vec![1.0; n as usize],
            Repayment::Amortising => {
                let i = annual_rate.max(0.0) / 12.0;
                (0..n).map(|paid| outstanding_after(paid, n, i)).collect()
            }
        };
        Schedule { exposure }
    }

    /// Outstanding fraction if default happens in month `m` (1-based); 0 after maturity.
    pub fn exposure_in_month(&self, m: u32) -> f64 {
        if m == 0 {
            return self.exposure.first().copied().unwrap_or(0.0);
        }
        self.exposure.get(m as usize - 1).copied().unwrap_or(0.0)
    }

    /// Tenor in months.
    pub fn months(&self) -> u32 {
        self.exposure.len() as u32
    }
}

/// Remaining principal fraction of an `n`-instalment annuity at monthly rate `i` after `k`
/// instalments: `((1+i)^n − (1+i)^k) / ((1+i)^n − 1)`, or `1 − k/n` at `i = 0`.
fn outstanding_after(k: u32, n: u32, i: f64) -> f64 {
    if i <= 0.0 {
        return 1.0 - f64::from(k) / f64::from(n);
    }
    let g = 1.0 + i;
    let gn = g.powi(n as i32);
    (gn - g.powi(k as i32)) / (gn - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bullet_exposure_is_the_full_principal_until_maturity() {
        let s = Schedule::new(Repayment::Bullet, 12, 0.05);
        assert_eq!(s.exposure_in_month(1), 1.0);
        assert_eq!(s.exposure_in_month(12), 1.0);
        assert_eq!(s.exposure_in_month(13), 0.0);
    }

    #[test]
    fn amortising_exposure_follows_the_annuity() {
        let s = Schedule::new(Repayment::Amortising, 12, 0.0);
        assert_eq!(s.exposure_in_month(1), 1.0);
        assert!((s.exposure_in_month(7) - 0.5).abs() < 1e-15);
        // 12-month annuity at 6 %: instalment = P·i/(1−(1+i)^−12); after one instalment the
        // balance is P(1+i) − instalment.
        let s = Schedule::new(Repayment::Amortising, 12, 0.06);
        let i = 0.005f64;
        let pay = i / (1.0 - (1.0 + i).powi(-12));
        assert!((s.exposure_in_month(2) - (1.0 + i - pay)).abs() < 1e-12);
        for m in 1..12 {
            assert!(s.exposure_in_month(m + 1) < s.exposure_in_month(m));
        }
    }
}
