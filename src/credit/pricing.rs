//! The pricing floor (docs/models.md): `min_rate = funding + EL rate + K × hurdle + opex`, all
//! annual, compared with the loan's rate and with the scheme's rate ceiling (LPR + spread or
//! LPR × factor, from the model's LPR).
//!
//! Owns the floor arithmetic; EL and capital come in already computed. Must not simulate.

use serde::Serialize;

use super::params::PricingParams;
use crate::money::Rate;

/// What the floor is built from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PricingInputs {
    /// Expected loss per unit of loan per year (annualised over the tenor).
    pub el_rate: f64,
    /// Basel capital requirement K per unit of exposure.
    pub capital_k: f64,
    /// The loan's annual rate.
    pub loan_rate: Rate,
    /// The scheme's rate ceiling, if any (annual rate).
    pub rate_cap: Option<f64>,
}

/// The pricing floor and how the loan and the scheme's ceiling compare with it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Pricing {
    /// Lowest annual rate that covers funding, expected loss, the cost of capital and opex.
    pub min_rate: f64,
    /// The scheme's rate ceiling (`null`: no scheme ceiling).
    pub rate_cap: Option<f64>,
    /// True when the floor is within the scheme's ceiling (true when there is none).
    pub fits: bool,
    /// The loan's annual rate.
    pub loan_rate: f64,
    /// True when the loan's rate covers the floor.
    pub covers_floor: bool,
    /// Funding cost part of the floor.
    pub funding_rate: f64,
    /// Expected-loss part of the floor.
    pub el_rate: f64,
    /// Cost-of-capital part of the floor (`K × hurdle`).
    pub capital_rate: f64,
    /// Operating-cost part of the floor.
    pub opex_rate: f64,
}

/// Tolerance when comparing rates (a hundredth of a basis point).
const RATE_EPS: f64 = 1e-6;

/// Builds the pricing floor.
pub fn price(params: &PricingParams, inputs: &PricingInputs) -> Pricing {
    let capital_rate = inputs.capital_k.max(0.0) * params.hurdle_rate;
    let el_rate = inputs.el_rate.max(0.0);
    let min_rate = params.funding_rate + el_rate + capital_rate + params.opex_rate;
    let loan_rate = inputs.loan_rate.get();
    Pricing {
        min_rate,
        rate_cap: inputs.rate_cap,
        fits: inputs.rate_cap.is_none_or(|cap| min_rate <= cap + RATE_EPS),
        loan_rate,
        covers_floor: loan_rate + RATE_EPS >= min_rate,
        funding_rate: params.funding_rate,
        el_rate,
        capital_rate,
        opex_rate: params.opex_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::params::CreditParams;
    use crate::model::Model;

    #[test]
    fn the_floor_adds_its_four_parts() {
        let params = CreditParams::from_model(&Model::embedded_default())
            .unwrap()
            .pricing;
        let p = price(
            &params,
            &PricingInputs {
                el_rate: 0.01,
                capital_k: 0.08,
                loan_rate: Rate::new(0.045).unwrap(),
                rate_cap: Some(0.045),
            },
        );
        let expected = params.funding_rate + 0.01 + 0.08 * params.hurdle_rate + params.opex_rate;
        assert!((p.min_rate - expected).abs() < 1e-15);
        assert_eq!(p.fits, expected <= 0.045);
        assert_eq!(p.covers_floor, expected <= 0.045);
        let uncapped = price(
            &params,
            &PricingInputs {
                rate_cap: None,
                ..PricingInputs {
                    el_rate: 0.5,
                    capital_k: 0.0,
                    loan_rate: Rate::new(0.04).unwrap(),
                    rate_cap: None,
                }
            },
        );
        assert!(uncapped.fits && !uncapped.covers_floor);
    }
}
