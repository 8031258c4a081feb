//! Loss layers after collateral: guarantee, then insurance, then the risk-compensation fund,
//! in that order (docs/models.md).
//!
//! Owns the arithmetic of one loss passing through the layers. The guarantor defaults with its
//! own PD, independently of the borrower given the factors (both branches are evaluated and
//! weighted, so no random draw is spent on it). Insurance pays its cover share of what is left,
//! up to its limit. The fund pays what the scheme's compensation rule gives for the remaining
//! principal loss (never more than that loss). Must not know about default timing.

/// A third-party guarantee of part of the loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GuaranteeLayer {
    /// Share of the loss the guarantor pays, in [0, 1].
    pub share: f64,
    /// Probability the guarantor cannot pay.
    pub guarantor_pd: f64,
}

/// Credit insurance of part of the loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InsuranceLayer {
    /// Share of the remaining loss the insurer pays, in [0, 1].
    pub cover_share: f64,
    /// Most the insurer pays for this loan, CNY.
    pub limit: f64,
}

/// The layers between the bank's loss after collateral and its net loss.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Layers {
    /// Optional guarantee.
    pub guarantee: Option<GuaranteeLayer>,
    /// Optional insurance.
    pub insurance: Option<InsuranceLayer>,
}

/// Expected amounts of one loss through the layers (CNY).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LayeredLoss {
    /// Loss after collateral (input).
    pub gross: f64,
    /// Expected guarantee payment.
    pub guarantee: f64,
    /// Expected insurance payment.
    pub insurance: f64,
    /// Expected fund compensation.
    pub fund: f64,
    /// Expected loss left to the bank.
    pub net: f64,
}

impl LayeredLoss {
    fn add_weighted(&mut self, other: LayeredLoss, weight: f64) {
        self.guarantee += weight * other.guarantee;
        self.insurance += weight * other.insurance;
        self.fund += weight * other.fund;
        self.net += weight * other.net;
    }
}

impl Layers {
    /// Passes a loss after collateral through guarantee, insurance and the fund. `fund` maps
    /// the principal loss left after guarantee and insurance to the fund's compensation.
    pub fn apply(&self, loss: f64, fund: &dyn Fn(f64) -> f64) -> LayeredLoss {
        let loss = loss.max(0.0);
        let after_guarantee = |paid_by_guarantor: f64| {
            let left = loss - paid_by_guarantor;
            let insured = self
                .insurance
                .map_or(0.0, |i| (i.cover_share * left).min(i.limit).max(0.0));
            let left = left - insured;
            let comp = fund(left).clamp(0.0, left);
            LayeredLoss {
                gross: loss,
                guarantee: paid_by_guarantor,
                insurance: insured,
                fund: comp,
                net: left - comp,
            }
        };
        match self.guarantee {
            None => after_guarantee(0.0),
            Some(g) => {
                let mut out = LayeredLoss {
                    gross: loss,
                    ..LayeredLoss::default()
                };
                out.add_weighted(after_guarantee(g.share * loss), 1.0 - g.guarantor_pd);
                out.add_weighted(after_guarantee(0.0), g.guarantor_pd);
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn no_fund(_: f64) -> f64 {
        0.0
    }

    #[test]
    fn layers_apply_in_order() {
        let layers = Layers {
            guarantee: Some(GuaranteeLayer {
                share: 0.5,
                guarantor_pd: 0.0,
            }),
            insurance: Some(InsuranceLayer {
                cover_share: 0.5,
                limit: 100.0,
            }),
        };
        let half = |l: f64| 0.5 * l;
        let out = layers.apply(1000.0, &half);
        assert_eq!(out.guarantee, 500.0);
        assert_eq!(out.insurance, 100.0); // 250 capped at 100
        assert_eq!(out.fund, 200.0);
        assert_eq!(out.net, 200.0);
    }

    #[test]
    fn a_defaulting_guarantor_pays_nothing() {
        let layers = Layers {
            guarantee: Some(GuaranteeLayer {
                share: 0.8,
                guarantor_pd: 0.25,
            }),
            insurance: None,
        };
        let out = layers.apply(100.0, &no_fund);
        assert!((out.guarantee - 0.75 * 80.0).abs() < 1e-12);
        assert!((out.net - (0.75 * 20.0 + 0.25 * 100.0)).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn parts_add_up_and_net_never_exceeds_gross(
            loss in 0.0f64..1e7,
            share in 0.0f64..=1.0,
            gpd in 0.0f64..=1.0,
            cover in 0.0f64..=1.0,
            limit in 0.0f64..1e7,
            ratio in 0.0f64..=1.0,
        ) {
            let layers = Layers {
                guarantee: Some(GuaranteeLayer { share, guarantor_pd: gpd }),
                insurance: Some(InsuranceLayer { cover_share: cover, limit }),
            };
            let fund = move |l: f64| ratio * l;
            let out = layers.apply(loss, &fund);
            prop_assert!(out.net <= out.gross + 1e-9);
            prop_assert!(out.net >= -1e-9);
            let total = out.guarantee + out.insurance + out.fund + out.net;
            prop_assert!((total - loss).abs() <= 1e-6 * loss.max(1.0));
        }
    }
}
