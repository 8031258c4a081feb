//! Loss given default by Monte Carlo (docs/models.md), conditional on default, with wrong-way risk.
//!
//! The borrower's latent variable is `X = √ρ·(√(1−s)·C + √s·I) + √(1−ρ)·ε` (ρ the asset
//! correlation, s the sector share of `[credit.default_model]`, C the common and I the
//! borrower's industry factor); it defaults within the tenor iff `X < Φ⁻¹(PD_tenor)`.
//!
//! **Conditioning.** Every path is a default path: instead of simulating all borrowers and
//! keeping the ~PD share that default, each path draws the latent variable from its law
//! *given* default, `X = Φ⁻¹(U·PD_tenor)` with `U` uniform, then the factors from their law
//! given X: with `a = √(ρ(1−s))` and `b = √(ρ·s)`, `C = a·X + √(1−a²)·Z₁` and
//! `I = b·(X − a·C)/(1−a²) + √(1 − b²/(1−a²))·Z₂`. This is exact (no weights, no wasted
//! paths), so the standard errors are those of plain means over `paths` default scenarios.
//!
//! **Default time.** Hazard-consistent with the tenor PD and tied to the same draw: the
//! cumulative PD is `F(t) = 1 − (1 − PD_1y)^t` (the compounding of `loss::pd::tenor_pd`) and the
//! default time solves `F(τ) = Φ(X) = U·PD_tenor`, so τ is uniform in probability over the
//! tenor and deeper latent values default earlier. The default month is `⌈12·τ⌉`.
//!
//! **Per path:** EAD from the repayment schedule in that month; the pledged IP's value `V_d`
//! at τ and the proceeds of its distressed sale, under the *same* common and industry draws C
//! and I (wrong-way risk: in paths where the economy or the sector is down the borrower
//! defaults more and its IP is worth less); other collateral after its haircut counts first,
//! and the IP recovers what is still owed by the one recovery model (docs/models.md)
//! ([`recovery::recover`]): the better of the sale and, when the scheme has a public recovery
//! buyer and the loan is eligible, the buyer's offer `recovery_buyer_share × V_d`, never more
//! than what is owed. Recovery ≤ EAD; loss = EAD − recovery; then guarantee, insurance and
//! the fund in that order ([`Layers`]; the guarantor's own default is taken in expectation,
//! both branches weighted by its PD, which is the Bernoulli draw integrated out). What the
//! buyer pays is a public outlay, reported as `buyer_outlay`.
//!
//! `lgd_gross = Σ loss / Σ EAD` and `lgd_net = Σ net loss / Σ EAD` (ratio estimators, with
//! delta-method standard errors). Batches of [`rng::BATCH_PATHS`] on
//! [`rng::run_batches`], so results are identical at any thread count. A batch draws its
//! default scenarios first ([`draw_defaults`]), then the collateral's liquidation values for
//! all of them at once ([`CollateralModel::liquidation_at_defaults`]); the buyer draws nothing,
//! so a scheme with a buyer sees the same paths as one without.
//! Owns the default/loss simulation; the collateral model comes in through
//! [`CollateralModel`]. Must not read files or know about the CLI or HTTP.

use serde::Serialize;

use super::layers::Layers;
use crate::loss::recovery::{self, CollateralAtDefault};
use crate::loss::schedule::Schedule;
use crate::loss::{normal, pd};
use crate::rng::{self, Domain, Stream};
use crate::scheme::{CompensationRule, Scheme};
use crate::stats::{Estimate, Sample, Stats};

/// What the LGD simulation needs to know about the pledged collateral.
pub trait CollateralModel: Sync {
    /// The collateral in each default scenario of `events` (default time, common and
    /// industry factors), one path per scenario: `out[p]` for `events[p]` (same length), its
    /// value at the default date and the proceeds of its distressed sale (CNY; steps 1 and 2
    /// of the recovery model). A whole batch at once, so that the model can run across the scenarios.
    fn liquidation_at_defaults(
        &self,
        rng: &mut Stream,
        events: &[DefaultEvent],
        out: &mut [CollateralAtDefault],
    );
}

/// Collateral with no value (no pledged IP): the recovery is only other collateral.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCollateral;

impl CollateralModel for NoCollateral {
    fn liquidation_at_defaults(
        &self,
        _: &mut Stream,
        _: &[DefaultEvent],
        out: &mut [CollateralAtDefault],
    ) {
        out.fill(CollateralAtDefault::default());
    }
}

/// The borrower's default model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultModel {
    /// One-year PD.
    pub pd_1y: f64,
    /// Tenor in months.
    pub tenor_months: u32,
    /// Asset correlation ρ in [0, 1).
    pub asset_correlation: f64,
    /// Share s of the systematic variance on the industry factor, in [0, 1].
    pub sector_share: f64,
}

impl DefaultModel {
    /// Probability of default within the tenor.
    pub fn pd_tenor(&self) -> f64 {
        pd::tenor_pd(self.pd_1y, self.tenor_months)
    }

    /// Loading (and correlation with the latent variable) of the industry factor: `√(ρ·s)`.
    pub fn industry_beta(&self) -> f64 {
        (self.asset_correlation * self.sector_share).max(0.0).sqrt()
    }

    /// Loading of the common factor: `√(ρ·(1−s))`.
    pub fn common_beta(&self) -> f64 {
        (self.asset_correlation * (1.0 - self.sector_share))
            .max(0.0)
            .sqrt()
    }
}

/// One simulated default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultEvent {
    /// The borrower's latent variable (below the default threshold).
    pub latent: f64,
    /// The common factor on this path.
    pub common_z: f64,
    /// The borrower's industry factor on this path.
    pub industry_z: f64,
    /// Default time in years from now, in (0, tenor].
    pub years: f64,
    /// Default month, 1..=tenor.
    pub month: u32,
}

/// Draws one default scenario from the law of the factors given default within the tenor
/// ([`draw_defaults`] for one).
pub fn draw_default(rng: &mut Stream, model: &DefaultModel, pd_tenor: f64) -> DefaultEvent {
    let mut events = Vec::with_capacity(1);
    draw_defaults(rng, model, pd_tenor, 1, &mut events);
    events[0]
}

/// Draws `n` default scenarios from the law of the factors given default within the tenor
/// into `events` (cleared first). Draw layout: the `n` uniforms that place the latent
/// variables below the threshold, then two normals per scenario (`Z₁`, `Z₂`, scenario by
/// scenario).
pub fn draw_defaults(
    rng: &mut Stream,
    model: &DefaultModel,
    pd_tenor: f64,
    n: usize,
    events: &mut Vec<DefaultEvent>,
) {
    let p: Vec<f64> = (0..n).map(|_| rng::open_unit(rng) * pd_tenor).collect();
    let mut z = vec![0.0; 2 * n];
    crate::rng::normal::fill(rng, &mut z);
    let a = model.common_beta();
    let b = model.industry_beta();
    let one_minus_a2 = (1.0 - a * a).max(f64::MIN_POSITIVE);
    let (sqrt_one_minus_a2, own) = (
        one_minus_a2.sqrt(),
        (1.0 - b * b / one_minus_a2).max(0.0).sqrt(),
    );
    let tenor_years = f64::from(model.tenor_months) / 12.0;
    // Default time: F(τ) = 1 − (1 − PD_1y)^τ = p, so τ = ln(1 − p) / ln(1 − PD_1y).
    let ln_survival_1y = (-model.pd_1y).ln_1p();
    events.clear();
    events.extend(p.iter().zip(z.chunks_exact(2)).map(|(&p, z)| {
        let latent = normal::inverse_cdf(p);
        let common_z = a * latent + sqrt_one_minus_a2 * z[0];
        let industry_z = b * (latent - a * common_z) / one_minus_a2 + own * z[1];
        let years = if model.pd_1y >= 1.0 {
            0.0
        } else {
            ((-p).ln_1p() / ln_survival_1y).min(tenor_years)
        };
        let month = ((years * 12.0).ceil() as u32).clamp(1, model.tenor_months.max(1));
        DefaultEvent {
            latent,
            common_z,
            industry_z,
            years: years.max(0.0),
            month,
        }
    }));
}

/// The exposure and loss side of the simulation.
#[derive(Clone, Copy, Debug)]
pub struct LossModel<'a> {
    /// Loan principal, CNY.
    pub amount: f64,
    /// Outstanding share by default month.
    pub schedule: &'a Schedule,
    /// Other collateral after its haircut, CNY.
    pub other_recovery: f64,
    /// Guarantee and insurance.
    pub layers: Layers,
    /// The scheme that compensates the bank (only when the loan is eligible); its public
    /// recovery buyer, if it has one, bids for the pledged IP.
    pub fund: Option<&'a Scheme>,
}

/// One default after collateral.
#[derive(Clone, Copy, Debug, PartialEq)]
struct AfterCollateral {
    /// Recovered from all collateral, at most the EAD, CNY.
    recovery: f64,
    /// Loss after collateral, `EAD − recovery`, CNY.
    loss: f64,
    /// Paid by the public recovery buyer, CNY.
    buyer_outlay: f64,
}

impl LossModel<'_> {
    /// The public recovery buyer's offer as a share of the IP's value at default (scheme
    /// `recovery_buyer_share`); `None` without a scheme or a buyer.
    fn buyer_share(&self) -> Option<f64> {
        self.fund.and_then(|s| s.recovery_buyer_share)
    }

    /// A default with exposure `ead` and pledged IP `ip`: other collateral first, then the IP
    /// by [`recovery::recover`] on what is still owed (`min(owed, max(sale, buyer))`).
    fn after_collateral(&self, ead: f64, ip: CollateralAtDefault) -> AfterCollateral {
        let owed = (ead - self.other_recovery).max(0.0);
        let r = recovery::recover(owed, ip.value, ip.sale, self.buyer_share());
        let recovery = if r.amount >= owed {
            // Made whole (no rounding residue from `owed + other`).
            ead
        } else {
            r.amount + self.other_recovery
        };
        AfterCollateral {
            recovery,
            loss: (ead - recovery).max(0.0),
            buyer_outlay: r.buyer_outlay,
        }
    }

    /// The fund's compensation rule and the other loss-sharing parties' share, converted
    /// once for the many paths that pay by them ([`Self::fund_payment`]).
    fn fund_rule(&self) -> Option<(CompensationRule, f64)> {
        self.fund
            .map(|s| (s.compensation_rule(), s.other_parties_share()))
    }

    /// The fund's (and any other loss-sharing parties') payment for a loss left after
    /// guarantee and insurance, in scheme year 1 (the lower per-loan cap where it steps up).
    fn fund_payment(&self, rule: Option<&(CompensationRule, f64)>, left: f64) -> f64 {
        rule.map_or(0.0, |(r, others)| {
            r.compensation(left, self.amount, 1) + others * left
        })
    }
}

/// Paths and seed of the LGD simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LgdSettings {
    /// Default scenarios simulated.
    pub paths: u64,
    /// Seed of the credit stream.
    pub seed: u64,
}

/// Result of the LGD simulation, conditional on default within the tenor.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LgdResult {
    /// PD within the tenor used to condition.
    pub pd_tenor: f64,
    /// Mean loss after collateral / mean EAD.
    pub lgd_gross: Estimate,
    /// Mean loss left to the bank after guarantee, insurance and fund / mean EAD.
    pub lgd_net: Estimate,
    /// Exposure at default, CNY.
    pub ead: Stats,
    /// Recovery from collateral (the IP, sold or bought by the public buyer, and other
    /// collateral), at most the EAD, CNY.
    pub recovery: Stats,
    /// Loss after collateral, CNY.
    pub loss_gross: Stats,
    /// Loss left to the bank, CNY.
    pub loss_net: Stats,
    /// Expected guarantee payment per default, CNY.
    pub guarantee_paid: f64,
    /// Expected insurance payment per default, CNY.
    pub insurance_paid: f64,
    /// Expected fund (and loss-sharing parties') payment per default, CNY.
    pub fund_paid: f64,
    /// Expected payment of the scheme's public recovery buyer per default (a public outlay;
    /// 0 without a buyer), CNY, with its standard error.
    pub buyer_outlay: Estimate,
    /// Mean default time given default, years.
    pub mean_default_years: f64,
    /// Paths simulated (all default scenarios).
    pub paths: u64,
}

#[derive(Default)]
struct Part {
    ead: Sample,
    recovery: Sample,
    gross: Sample,
    net: Sample,
    buyer: Sample,
    guarantee: f64,
    insurance: f64,
    fund: f64,
    years: f64,
}

impl Part {
    /// An empty part with room for `paths` paths in each sample.
    fn with_capacity(paths: usize) -> Part {
        Part {
            ead: Sample::with_capacity(paths),
            recovery: Sample::with_capacity(paths),
            gross: Sample::with_capacity(paths),
            net: Sample::with_capacity(paths),
            buyer: Sample::with_capacity(paths),
            ..Part::default()
        }
    }
}

/// A ratio of means `Σy / Σx` with its delta-method standard error
/// `sd(y − R·x) / (√n · mean x)`.
fn ratio(y: &Sample, x: &Sample) -> Estimate {
    let mx = x.mean().value;
    let my = y.mean().value;
    if mx <= 0.0 {
        return Estimate {
            value: 0.0,
            stderr: 0.0,
        };
    }
    let r = my / mx;
    let d: Sample = y
        .values()
        .iter()
        .zip(x.values())
        .map(|(yi, xi)| yi - r * xi)
        .collect();
    Estimate {
        value: r,
        stderr: d.mean().stderr / mx,
    }
}

/// Simulates `settings.paths` default scenarios.
pub fn simulate<C: CollateralModel>(
    default: &DefaultModel,
    loss: &LossModel<'_>,
    collateral: &C,
    settings: LgdSettings,
) -> LgdResult {
    let pd_tenor = default.pd_tenor();
    let parts = rng::run_batches(
        settings.seed,
        Domain::Credit,
        settings.paths,
        0..rng::batch_count(settings.paths),
        |batch, rng| {
            let n = batch.len();
            let mut part = Part::with_capacity(n);
            let rule = loss.fund_rule();
            let fund = |left: f64| loss.fund_payment(rule.as_ref(), left);
            let mut events = Vec::with_capacity(n);
            draw_defaults(rng, default, pd_tenor, n, &mut events);
            let mut ip = vec![CollateralAtDefault::default(); n];
            collateral.liquidation_at_defaults(rng, &events, &mut ip);
            for (event, ip) in events.iter().zip(ip) {
                let ead = loss.amount * loss.schedule.exposure_in_month(event.month);
                let after = loss.after_collateral(ead, ip);
                let gross = after.loss;
                let layered = loss.layers.apply(gross, &fund);
                part.ead.push(ead);
                part.recovery.push(after.recovery);
                part.gross.push(gross);
                part.net.push(layered.net.clamp(0.0, gross));
                part.buyer.push(after.buyer_outlay);
                part.guarantee += layered.guarantee;
                part.insurance += layered.insurance;
                part.fund += layered.fund;
                part.years += event.years;
            }
            part
        },
    );
    let mut all = Part::with_capacity(usize::try_from(settings.paths).unwrap_or(0));
    for p in parts {
        all.ead.merge(p.ead);
        all.recovery.merge(p.recovery);
        all.gross.merge(p.gross);
        all.net.merge(p.net);
        all.buyer.merge(p.buyer);
        all.guarantee += p.guarantee;
        all.insurance += p.insurance;
        all.fund += p.fund;
        all.years += p.years;
    }
    let n = settings.paths.max(1) as f64;
    LgdResult {
        pd_tenor,
        lgd_gross: ratio(&all.gross, &all.ead),
        lgd_net: ratio(&all.net, &all.ead),
        ead: all.ead.stats(),
        recovery: all.recovery.stats(),
        loss_gross: all.gross.stats(),
        loss_net: all.net.stats(),
        guarantee_paid: all.guarantee / n,
        insurance_paid: all.insurance / n,
        fund_paid: all.fund / n,
        buyer_outlay: all.buyer.mean(),
        mean_default_years: all.years / n,
        paths: settings.paths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credit::layers::{GuaranteeLayer, InsuranceLayer};
    use crate::loss::schedule::Repayment;
    use crate::stats::EventCount;
    use proptest::prelude::*;

    /// Collateral worth `V_d = value × exp(σ·I − σ²/2)` at default (falls with the industry
    /// factor), sold for `realisation × V_d`.
    struct Lognormal {
        value: f64,
        sigma: f64,
        realisation: f64,
    }

    impl Lognormal {
        /// Sold for its value at default.
        fn sold_whole(value: f64, sigma: f64) -> Lognormal {
            Lognormal {
                value,
                sigma,
                realisation: 1.0,
            }
        }
    }

    impl CollateralModel for Lognormal {
        fn liquidation_at_defaults(
            &self,
            _: &mut Stream,
            events: &[DefaultEvent],
            out: &mut [CollateralAtDefault],
        ) {
            for (e, o) in events.iter().zip(out) {
                let value = recovery::value_at_default(self.value, self.sigma, e.industry_z);
                *o = CollateralAtDefault {
                    value,
                    sale: self.realisation * value,
                };
            }
        }
    }

    /// A scheme that pays nothing but has a public recovery buyer at `share`.
    fn buyer_scheme(share: f64) -> Scheme {
        Scheme::from_toml_str(
            &format!("ratio = 0.0\nrecovery_buyer_share = {share}\n"),
            "buyer",
        )
        .unwrap()
    }

    fn model(pd: f64, tenor: u32, s: f64) -> DefaultModel {
        DefaultModel {
            pd_1y: pd,
            tenor_months: tenor,
            asset_correlation: 0.12,
            sector_share: s,
        }
    }

    #[test]
    fn conditional_draws_match_the_truncated_normal_oracles() {
        // E[I | X < c] = −b φ(c) / Φ(c), E[C | X < c] = −a φ(c) / Φ(c);
        // P(τ ≤ 1 y | τ ≤ 3 y) = PD_1y / PD_3y.
        let m = model(0.03, 36, 0.3);
        let pd = m.pd_tenor();
        let c = normal::inverse_cdf(pd);
        let phi = (-0.5 * c * c).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let exact_mean = -m.industry_beta() * phi / pd;
        let exact_common = -m.common_beta() * phi / pd;
        let mut rng = rng::stream(5, Domain::Credit, 0);
        let mut z = Sample::new();
        let mut common = Sample::new();
        let mut first_year = EventCount::default();
        for _ in 0..40_000 {
            let e = draw_default(&mut rng, &m, pd);
            assert!(e.latent < c && e.month >= 1 && e.month <= 36);
            z.push(e.industry_z);
            common.push(e.common_z);
            first_year.record(e.years <= 1.0);
        }
        assert!(
            z.mean().agrees_with(exact_mean),
            "{:?} vs {exact_mean}",
            z.mean()
        );
        assert!(
            common.mean().agrees_with(exact_common),
            "{:?} vs {exact_common}",
            common.mean()
        );
        assert!(first_year.estimate().agrees_with(0.03 / pd));
    }

    #[test]
    fn fixed_collateral_gives_the_exact_lgd() {
        let schedule = Schedule::new(Repayment::Bullet, 12, 0.05);
        let loss = LossModel {
            amount: 1_000_000.0,
            schedule: &schedule,
            other_recovery: 100_000.0,
            layers: Layers::default(),
            fund: None,
        };
        let fixed = Lognormal::sold_whole(300_000.0, 0.0);
        let r = simulate(
            &model(0.02, 12, 0.5),
            &loss,
            &fixed,
            LgdSettings {
                paths: 3000,
                seed: 1,
            },
        );
        assert!((r.lgd_gross.value - 0.6).abs() < 1e-12);
        assert_eq!(r.lgd_gross, r.lgd_net);
        assert_eq!(r.ead.mean, 1_000_000.0);
    }

    #[test]
    fn a_public_buyer_pays_its_share_of_the_value_at_default_when_it_beats_the_sale() {
        let schedule = Schedule::new(Repayment::Bullet, 12, 0.05);
        let no_buyer = buyer_scheme(0.0);
        let buyer = buyer_scheme(0.5);
        let run = |other_recovery, fund| {
            let loss = LossModel {
                amount: 1_000_000.0,
                schedule: &schedule,
                other_recovery,
                layers: Layers::default(),
                fund,
            };
            // Worth 800,000 at default, sold for 200,000; the buyer offers 400,000.
            let ip = Lognormal {
                value: 800_000.0,
                sigma: 0.0,
                realisation: 0.25,
            };
            let settings = LgdSettings {
                paths: 500,
                seed: 2,
            };
            simulate(&model(0.02, 12, 0.5), &loss, &ip, settings)
        };
        let sold = run(0.0, Some(&no_buyer));
        assert!((sold.lgd_gross.value - 0.8).abs() < 1e-12);
        assert_eq!(sold.buyer_outlay.value, 0.0);
        let bought = run(0.0, Some(&buyer));
        assert!((bought.lgd_gross.value - 0.6).abs() < 1e-12);
        assert!((bought.buyer_outlay.value - 400_000.0).abs() < 1e-6);
        // Other collateral counts first: the buyer pays only what is still owed.
        let topped_up = run(700_000.0, Some(&buyer));
        assert_eq!(topped_up.lgd_gross.value, 0.0);
        assert_eq!(topped_up.recovery.mean, 1_000_000.0);
        assert!((topped_up.buyer_outlay.value - 300_000.0).abs() < 1e-6);
        // A loan the scheme does not cover has no buyer.
        assert_eq!(run(0.0, None), sold);
    }

    #[test]
    fn the_buyer_pays_on_the_value_at_default_not_on_the_appraisal() {
        // With wrong-way risk the IP is worth less on default paths: for (I, X) normal with
        // correlation b, E[e^(σI − σ²/2) | X < c] = Φ(c − σ·b) / Φ(c). The sale realises 1 %,
        // so the buyer's 50 % always wins, and the exposure never caps it.
        let schedule = Schedule::new(Repayment::Bullet, 24, 0.05);
        let buyer = buyer_scheme(0.5);
        let loss = LossModel {
            amount: 1e12,
            schedule: &schedule,
            other_recovery: 0.0,
            layers: Layers::default(),
            fund: Some(&buyer),
        };
        let ip = Lognormal {
            value: 1_000_000.0,
            sigma: 0.4,
            realisation: 0.01,
        };
        let m = model(0.03, 24, 1.0);
        let r = simulate(
            &m,
            &loss,
            &ip,
            LgdSettings {
                paths: 20_000,
                seed: 4,
            },
        );
        let pd = m.pd_tenor();
        let c = normal::inverse_cdf(pd);
        let exact = 0.5 * 1_000_000.0 * normal::cdf(c - 0.4 * m.industry_beta()) / pd;
        assert!(
            r.buyer_outlay.agrees_with(exact),
            "{:?} vs {exact}",
            r.buyer_outlay
        );
        assert!(exact < 0.5 * 1_000_000.0 - 10.0 * r.buyer_outlay.stderr);
    }

    #[test]
    fn wrong_way_risk_raises_lgd() {
        let schedule = Schedule::new(Repayment::Bullet, 24, 0.05);
        let loss = LossModel {
            amount: 1_000_000.0,
            schedule: &schedule,
            other_recovery: 0.0,
            layers: Layers::default(),
            fund: None,
        };
        let c = Lognormal::sold_whole(800_000.0, 0.4);
        let settings = LgdSettings {
            paths: 8000,
            seed: 3,
        };
        let independent = simulate(&model(0.03, 24, 0.0), &loss, &c, settings);
        let wrong_way = simulate(&model(0.03, 24, 1.0), &loss, &c, settings);
        let gap = wrong_way.lgd_gross.value - independent.lgd_gross.value;
        let se = wrong_way
            .lgd_gross
            .stderr
            .hypot(independent.lgd_gross.stderr);
        assert!(gap > 4.0 * se, "gap {gap}, se {se}");
    }

    #[test]
    fn identical_at_one_and_two_threads() {
        let schedule = Schedule::new(Repayment::Annuity, 36, 0.05);
        let loss = LossModel {
            amount: 2_000_000.0,
            schedule: &schedule,
            other_recovery: 0.0,
            layers: Layers::default(),
            fund: None,
        };
        let c = Lognormal::sold_whole(1_000_000.0, 0.5);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    simulate(
                        &model(0.02, 36, 0.5),
                        &loss,
                        &c,
                        LgdSettings {
                            paths: 5000,
                            seed: 11,
                        },
                    )
                })
        };
        assert_eq!(run(1), run(2));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn lgd_invariants(
            pd in 0.001f64..0.3,
            tenor in 1u32..60,
            value in 0.0f64..3e6,
            extra in 0.0f64..1e6,
            sigma in 0.0f64..1.0,
            share in 0.0f64..=1.0,
            gpd in 0.0f64..=1.0,
            cover in 0.0f64..=1.0,
            limit in 0.0f64..1e6,
            amortising in any::<bool>(),
        ) {
            let repayment = if amortising { Repayment::Annuity } else { Repayment::Bullet };
            let schedule = Schedule::new(repayment, tenor, 0.05);
            let layers = Layers {
                guarantee: Some(GuaranteeLayer { share, guarantor_pd: gpd }),
                insurance: Some(InsuranceLayer { cover_share: cover, limit }),
            };
            let zero_ratio = Scheme::from_toml_str("ratio = 0.0\n", "zero").unwrap();
            let (buyer, idle_buyer) = (buyer_scheme(0.5), buyer_scheme(0.0));
            let base = LossModel {
                amount: 1_000_000.0,
                schedule: &schedule,
                other_recovery: 0.0,
                layers,
                fund: None,
            };
            let c = Lognormal::sold_whole(value, sigma);
            let m = model(pd, tenor, 0.5);
            let settings = LgdSettings { paths: 300, seed: 17 };
            let r = simulate(&m, &base, &c, settings);
            prop_assert!(r.lgd_net.value <= r.lgd_gross.value + 1e-12);
            prop_assert!(r.lgd_gross.value <= 1.0 + 1e-12 && r.lgd_net.value >= 0.0);
            // Recovery never exceeds the exposure: EAD = recovery + loss on every path.
            prop_assert!(
                (r.ead.mean - r.recovery.mean - r.loss_gross.mean).abs() <= 1e-6 * r.ead.mean
            );
            // More collateral never raises LGD (same seed, common random numbers).
            let more = simulate(&m, &LossModel { other_recovery: extra, ..base }, &c, settings);
            prop_assert!(more.lgd_gross.value <= r.lgd_gross.value + 1e-12);
            prop_assert!(more.lgd_net.value <= r.lgd_net.value + 1e-12);
            // A fund ratio of 0 leaves the LGD after guarantee and insurance unchanged.
            let zero = simulate(&m, &LossModel { fund: Some(&zero_ratio), ..base }, &c, settings);
            prop_assert_eq!(zero.lgd_net, r.lgd_net);
            prop_assert_eq!(zero.buyer_outlay.value, 0.0);
            // A buyer draws nothing: one that never bids changes nothing, and one that bids
            // never raises the LGD and pays at most the exposure.
            let idle = simulate(&m, &LossModel { fund: Some(&idle_buyer), ..base }, &c, settings);
            prop_assert_eq!(&idle, &zero);
            let bought = simulate(&m, &LossModel { fund: Some(&buyer), ..base }, &c, settings);
            prop_assert!(bought.lgd_gross.value <= zero.lgd_gross.value + 1e-12);
            prop_assert!(bought.lgd_net.value <= zero.lgd_net.value + 1e-12);
            prop_assert!(bought.buyer_outlay.value >= 0.0);
            prop_assert!(bought.buyer_outlay.value <= bought.ead.mean + 1e-6);
            prop_assert!(bought.recovery.mean <= bought.ead.mean + 1e-6);
        }
    }
}
