//! Credit and fund compute a defaulted loan's loss with the one loss model: the same loan,
//! scored by `credit` with the fund's collateral model (value at default = appraised value
//! moved by the industry factor, distressed sale after the disposal delay, the scheme's
//! public buyer) and simulated by `fund` as a book of identical independent copies, gives the
//! same mean loss given default within 4 standard errors — with and without a public buyer.

use ipledge::credit::layers::Layers;
use ipledge::credit::lgd::{
    CollateralModel, DefaultEvent, DefaultModel, LgdSettings, LossModel, simulate,
};
use ipledge::fund::metrics::{Period, Total};
use ipledge::fund::size::Leverage;
use ipledge::fund::{FundModel, Settings};
use ipledge::loss::{CollateralAtDefault, Repayment, Schedule, recovery};
use ipledge::rng::Stream;
use ipledge::rng::beta::Beta;
use ipledge::scenario::{NoFiles, Scenario};
use ipledge::scheme::Scheme;

const PD: f64 = 0.03;
const RHO: f64 = 0.15;
const SECTOR: f64 = 0.3;
const AMOUNT: f64 = 1_000_000.0;
const PLEDGE_RATE: f64 = 0.6;
const LOANS: u32 = 2000;

/// The fund's collateral model for a loan without an asset list, as a credit collateral model.
struct FundCollateral {
    appraised: f64,
    model: FundModel,
    delay_months: u32,
}

impl CollateralModel for FundCollateral {
    fn liquidation_at_defaults(
        &self,
        rng: &mut Stream,
        events: &[DefaultEvent],
        out: &mut [CollateralAtDefault],
    ) {
        let c = &self.model.collateral;
        let beta = Beta::new(c.realisation_alpha, c.realisation_beta).unwrap();
        let discount = (1.0 + c.discount_rate).powf(-f64::from(self.delay_months) / 12.0);
        for (e, o) in events.iter().zip(out) {
            // The fund's composite factor of the borrower's industry.
            let z = (1.0 - SECTOR).sqrt() * e.common_z + SECTOR.sqrt() * e.industry_z;
            let value = recovery::value_at_default(self.appraised, c.industry_factor_volatility, z);
            let sale = recovery::distressed_sale(value, beta.sample(rng), c.sale_terms, discount);
            *o = CollateralAtDefault { value, sale };
        }
    }
}

fn fund_scenario(scheme: &str) -> Scenario {
    let text = format!(
        r#"
[scenario]
name = "cross"
horizon_years = 1
paths = 3000
seed = 5
[[book.cohort]]
count = {LOANS}
amount = {{ fixed = "{AMOUNT}" }}
pd_1y = {{ fixed = {PD} }}
pledge_rate = {PLEDGE_RATE}
[risk]
asset_correlation = {RHO}
sector_share = {SECTOR}
lgd = "collateral"
[scheme]
{scheme}
[fund]
initial_capital = "100000000000"
"#
    );
    Scenario::from_toml_str(&text, &NoFiles).unwrap_or_else(|e| panic!("{e}"))
}

fn check(scheme_text: &str) {
    let s = fund_scenario(scheme_text);
    let model = FundModel::embedded_default();
    let settings = Settings::for_scenario(&s, model.clone());
    let run = ipledge::fund::DrawnRun::draw(&s, &settings).unwrap();
    let part = run.evaluate_part(s.fund.initial_capital, Leverage::AsWritten);
    let life = &part.total_samples[Period::Lifetime as usize];
    let loss = life[Total::GrossLoss as usize].values();
    let defaults = life[Total::Defaults as usize].values();
    // Mean loss per default: the ratio of the path sums, with its delta-method error.
    let n = loss.len() as f64;
    let fund_lgd = loss.iter().sum::<f64>() / defaults.iter().sum::<f64>();
    let mean_d = defaults.iter().sum::<f64>() / n;
    let var = loss
        .iter()
        .zip(defaults)
        .map(|(l, d)| (l - fund_lgd * d).powi(2))
        .sum::<f64>()
        / (n - 1.0);
    let fund_se = (var / n).sqrt() / mean_d;

    let scheme: &Scheme = &s.scheme;
    let schedule = Schedule::new(Repayment::Bullet, 12, 0.05);
    let credit = simulate(
        &DefaultModel {
            pd_1y: PD,
            tenor_months: 12,
            asset_correlation: RHO,
            sector_share: SECTOR,
        },
        &LossModel {
            amount: AMOUNT,
            schedule: &schedule,
            other_recovery: 0.0,
            layers: Layers::default(),
            fund: Some(scheme),
        },
        &FundCollateral {
            appraised: AMOUNT / PLEDGE_RATE,
            model,
            delay_months: scheme.disposal_delay_months,
        },
        LgdSettings {
            paths: 40_000,
            seed: 9,
        },
    );
    let c = credit.loss_gross;
    let se = (fund_se * fund_se + c.stderr * c.stderr).sqrt();
    assert!(
        (c.mean - fund_lgd).abs() <= 4.0 * se,
        "credit {} ± {} vs fund {} ± {}",
        c.mean,
        c.stderr,
        fund_lgd,
        fund_se
    );
    // Both engines see a loss strictly inside (0, EAD): the comparison is not trivial.
    assert!(
        c.mean > 0.05 * AMOUNT && c.mean < 0.95 * AMOUNT,
        "{}",
        c.mean
    );
}

#[test]
fn credit_and_fund_agree_on_the_loss_of_a_sold_collateral() {
    check("ratio = 0.5\ntrigger = \"final_loss\"\ndisposal_delay_months = 12");
}

#[test]
fn credit_and_fund_agree_on_the_loss_when_a_public_buyer_bids() {
    check(
        "ratio = 0.5\ntrigger = \"final_loss\"\ndisposal_delay_months = 12\nrecovery_buyer_share = 0.3",
    );
}
