//! The one recovery model (docs/models.md) for valuation, scoring and the fund alike:
//!
//! 1. `V_d`, the collateral's value on the path at the default date (the caller's: scoring
//!    re-appraises the pledged portfolio under the shared factors; a fund loan without an
//!    asset list takes `appraised × exp(σ·z_industry − σ²/2)`, see [`value_at_default`]);
//! 2. a distressed sale: `V_d × max(realisation, min_realisation) × (1 − disposal_cost)`,
//!    received after the disposal delay and discounted to the default date ([`distressed_sale`]);
//! 3. an optional public recovery buyer paying `buyer_share × V_d` at once; the bank takes the
//!    better of the two, and never more than the exposure ([`recover`]).
//!
//! No other floor exists. Pure functions: the realisation fraction and the delay are the
//! caller's draws.

/// Terms of a distressed sale (from the model's `[valuation.liquidation]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SaleTerms {
    /// Floor on the realisation fraction (default 0: none).
    pub min_realisation: f64,
    /// Disposal costs as a share of the sale price.
    pub disposal_cost: f64,
}

/// A fund loan's collateral value at default when it has no asset list: the appraised value
/// moved by a mean-one lognormal shock on the industry factor `z` with volatility `sigma`
/// (wrong-way risk: the sector that defaults sells its IP for less).
pub fn value_at_default(appraised: f64, sigma: f64, z: f64) -> f64 {
    appraised * (sigma * z - 0.5 * sigma * sigma).exp()
}

/// Proceeds of the distressed sale of collateral worth `value` at default, valued at the
/// default date: `value × max(realisation, min_realisation) × (1 − disposal_cost) × discount`,
/// `discount` being the factor of the disposal delay (1 for none).
pub fn distressed_sale(value: f64, realisation: f64, terms: SaleTerms, discount: f64) -> f64 {
    value * realisation.max(terms.min_realisation) * (1.0 - terms.disposal_cost) * discount
}

/// The collateral of a defaulted loan on one path: steps 1 and 2 of the model, what
/// [`recover`] needs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CollateralAtDefault {
    /// `V_d`, the collateral's value on the path at the default date, CNY.
    pub value: f64,
    /// Proceeds of its distressed sale, valued at the default date ([`distressed_sale`]), CNY.
    pub sale: f64,
}

/// What a defaulted loan recovers and what a public buyer paid for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recovery {
    /// Recovered by the bank, `min(EAD, max(sale, buyer))`, CNY.
    pub amount: f64,
    /// Paid by the public recovery buyer when its offer beat the sale (a public outlay), CNY.
    pub buyer_outlay: f64,
}

/// The bank's recovery on a default with exposure `ead`, collateral value `value` at default
/// and distressed-sale proceeds `sale`; `buyer_share` is the public buyer's offer as a share
/// of the value at default (none: no buyer). The buyer buys the bank's position, so it pays
/// at most the exposure.
pub fn recover(ead: f64, value: f64, sale: f64, buyer_share: Option<f64>) -> Recovery {
    let sale = sale.clamp(0.0, ead.max(0.0));
    let offer = buyer_share.map_or(0.0, |s| (s * value).clamp(0.0, ead.max(0.0)));
    if offer > sale {
        Recovery {
            amount: offer,
            buyer_outlay: offer,
        }
    } else {
        Recovery {
            amount: sale,
            buyer_outlay: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: SaleTerms = SaleTerms {
        min_realisation: 0.0,
        disposal_cost: 0.1,
    };

    #[test]
    fn the_sale_applies_realisation_cost_and_discount() {
        let s = distressed_sale(1000.0, 0.25, TERMS, 0.9);
        assert!((s - 1000.0 * 0.25 * 0.9 * 0.9).abs() < 1e-9);
        let floored = SaleTerms {
            min_realisation: 0.3,
            ..TERMS
        };
        assert!((distressed_sale(1000.0, 0.25, floored, 1.0) - 270.0).abs() < 1e-9);
    }

    #[test]
    fn the_bank_takes_the_better_offer_up_to_the_exposure() {
        let r = recover(100.0, 120.0, 30.0, None);
        assert_eq!((r.amount, r.buyer_outlay), (30.0, 0.0));
        let r = recover(100.0, 120.0, 30.0, Some(0.5));
        assert_eq!((r.amount, r.buyer_outlay), (60.0, 60.0));
        let r = recover(100.0, 400.0, 30.0, Some(0.5));
        assert_eq!((r.amount, r.buyer_outlay), (100.0, 100.0));
        let r = recover(100.0, 100.0, 300.0, Some(0.5));
        assert_eq!((r.amount, r.buyer_outlay), (100.0, 0.0));
    }

    #[test]
    fn the_value_shock_has_mean_one() {
        // E[exp(σZ − σ²/2)] = 1: check by Gauss–Hermite-free midpoint quadrature.
        let n = 20_000;
        let mut acc = 0.0;
        for i in 0..n {
            let z = super::super::normal::inverse_cdf((i as f64 + 0.5) / n as f64);
            acc += value_at_default(1.0, 0.3, z);
        }
        assert!((acc / n as f64 - 1.0).abs() < 1e-4);
    }
}
