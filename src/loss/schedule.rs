//! Exposure at default from the repayment schedule, one schedule for credit and fund: a
//! bullet loan owes its full principal until maturity; an annuity loan (等额本息) pays equal
//! monthly instalments of principal and interest at the loan's rate; an equal-principal loan
//! (等额本金) repays `1/tenor` of the principal each month. Instalments fall at the end of
//! each month, so the exposure in month `m` (1-based) is the principal outstanding after
//! `m − 1` instalments. Must not know about PDs or collateral.

use serde::{Deserialize, Serialize};

/// How the principal is repaid.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = accept_alias)]
pub enum Repayment {
    /// Principal at maturity, interest along the way.
    #[default]
    Bullet,
    /// Equal monthly instalments of principal and interest (等额本息; `amortising` is an
    /// alias).
    #[serde(alias = "amortising")]
    Annuity,
    /// Equal monthly instalments of principal (等额本金).
    EqualPrincipal,
}

/// The schema of [`Repayment`] names `amortising` too, the alias that `Deserialize` reads
/// (schemars leaves serde aliases out).
fn accept_alias(schema: &mut schemars::Schema) {
    let variants = schema
        .get_mut("oneOf")
        .and_then(serde_json::Value::as_array_mut);
    for variant in variants.into_iter().flatten() {
        if let Some(variant) = variant.as_object_mut() {
            if variant.get("const").and_then(serde_json::Value::as_str) == Some("annuity") {
                variant.remove("const");
                variant.insert(
                    "enum".to_string(),
                    serde_json::json!(["annuity", "amortising"]),
                );
            }
        }
    }
}

impl Repayment {
    /// Parses the name used in files (`bullet`, `annuity`, `amortising`, `equal_principal`).
    pub fn from_name(name: &str) -> Option<Repayment> {
        match name {
            "bullet" => Some(Repayment::Bullet),
            "annuity" | "amortising" => Some(Repayment::Annuity),
            "equal_principal" => Some(Repayment::EqualPrincipal),
            _ => None,
        }
    }
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
            Repayment::Annuity => {
                let i = annual_rate.max(0.0) / 12.0;
                (0..n).map(|paid| outstanding_after(paid, n, i)).collect()
            }
            Repayment::EqualPrincipal => (0..n)
                .map(|paid| 1.0 - f64::from(paid) / f64::from(n))
                .collect(),
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

    /// Outstanding fraction after `paid` instalments (`paid` ≥ tenor: 0).
    pub fn outstanding_after(&self, paid: u32) -> f64 {
        self.exposure.get(paid as usize).copied().unwrap_or(0.0)
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
    fn equal_principal_repays_a_fixed_share_each_month() {
        let s = Schedule::new(Repayment::EqualPrincipal, 4, 0.08);
        let got: Vec<f64> = (1..=5).map(|m| s.exposure_in_month(m)).collect();
        assert_eq!(got, vec![1.0, 0.75, 0.5, 0.25, 0.0]);
        assert_eq!(s.outstanding_after(2), 0.5);
        assert_eq!(Repayment::from_name("amortising"), Some(Repayment::Annuity));
        let alias: Repayment = serde_json::from_str("\"amortising\"").unwrap();
        assert_eq!(alias, Repayment::Annuity);
    }

    #[test]
    fn annuity_exposure_follows_the_annuity() {
        let s = Schedule::new(Repayment::Annuity, 12, 0.0);
        assert_eq!(s.exposure_in_month(1), 1.0);
        assert!((s.exposure_in_month(7) - 0.5).abs() < 1e-15);
        // 12-month annuity at 6 %: instalment = P·i/(1−(1+i)^−12); after one instalment the
        // balance is P(1+i) − instalment.
        let s = Schedule::new(Repayment::Annuity, 12, 0.06);
        let i = 0.005f64;
        let pay = i / (1.0 - (1.0 + i).powi(-12));
        assert!((s.exposure_in_month(2) - (1.0 + i - pay)).abs() < 1e-12);
        for m in 1..12 {
            assert!(s.exposure_in_month(m + 1) < s.exposure_in_month(m));
        }
    }
}
