//! The income-approach Monte Carlo kernel and the liquidation value at default.
//!
//! [`PortfolioValuer::new`] precomputes everything that does not depend on the path: per asset
//! and period `k` (year `k` from the valuation date, the last one possibly partial) the
//! zero-shock cash flow `det_k = base·e^((g − σ²/2)·t_k − λ·t_k)·Δ_k` (base = royalty ×
//! attributable revenue + licence income), the discount factor `(1+r)^(−t_k)`, the shock scale
//! `σ·√Δ_k`, the fee due in the period, and the survival `e^(−μ·t_k)` against the invalidation
//! hazard. A path then costs one `exp` and a few multiplications per asset-year, and a pair of
//! paths one normal draw.
//!
//! Paths come in antithetic pairs `(2h, 2h + 1)`: the second path of a pair uses the negated
//! normals of the first (factors and idiosyncratic shocks), so its log-revenue is exactly the
//! negated one and its revenue factor `e^-x` comes with `e^x` at almost no extra cost
//! ([`super::exp::exp_pair`]).
//! Uniform draws (pending invalidation outcome, invalidation time, realisation fraction,
//! disposal delay) are drawn afresh for every path. The pairs are the independent units: the
//! standard errors of the result come from pair means ([`crate::stats::Draws`]). A batch is
//! simulated asset by asset across all its pairs (structure of arrays) so that the loop over
//! pairs vectorises.
//!
//! Draw layout of one batch (fixed, so that changing a royalty rate never shifts the random
//! numbers and values are path-wise monotone in it; normals by [`normal::fill`]): for every
//! period `k`, the common factor of every pair, then per industry present its factor of
//! every pair; then per asset in order: per path the
//! `under_invalidation` outcome and the invalidation time (two uniforms from one output, only
//! for assets under invalidation or with a positive hazard); then per period one
//! normal per pair (only for assets with an idiosyncratic shock); then per path the
//! portfolio's realisation fraction ([`Beta`]) and disposal delay (uniform).

use rand::RngExt;

use super::ValuationError;
use super::exp::exp_pair;
use super::params::{LiquidationParams, ValuationParams};
use crate::asset::{Asset, AssetStatus, Date, Industry};
use crate::cpu::Vectors;
use crate::loss::{self, CollateralAtDefault};
use crate::rng::beta::Beta;
use crate::rng::{Stream, normal, unit_pair};

/// Default states [`PortfolioValuer::liquidation_given_each`] values at once.
pub const LIQUIDATION_LANES: usize = 64;

/// The bits of `1.0`.
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;

/// Longest remaining life simulated (years): a guard, far beyond any legal term used.
const MAX_LIFE_YEARS: f64 = 100.0;

/// The deterministic terms of one asset.
#[derive(Clone, Debug)]
pub(crate) struct AssetPlan {
    /// Resolved industry.
    pub industry: Industry,
    /// Index of the industry's factor among the valuer's groups.
    group: usize,
    /// Remaining life simulated (years; 0 when not in force).
    pub remaining_life: f64,
    /// Remaining legal life (years; infinite for a renewable trademark).
    pub remaining_legal: f64,
    /// Revenue growth used.
    pub growth: f64,
    /// First period in the valuer's flat arrays and the number of periods.
    first: usize,
    periods: usize,
    /// Loading on the idiosyncratic shock (`√(1 − a² − b²)`).
    idio: f64,
    /// Volatility σ.
    sigma: f64,
    /// `(whole, whole + partial)` outcome thresholds when under invalidation.
    under_invalidation: Option<(f64, f64)>,
    /// Value kept after a partial invalidation.
    partial_factor: f64,
    /// Continuous invalidation hazard μ = −ln(1 − h).
    hazard: f64,
    /// `g − σ²/2`.
    log_drift: f64,
    /// `ln(1+r) + μ − g`: discounting of expected cash flows seen from a later date.
    kappa: f64,
    /// Obsolescence λ.
    obsolescence: f64,
    /// `ln(base)`, base = `royalty × R0 + licence income` (CNY/yr).
    ln_base: f64,
    /// Expected value at the valuation date without lapse (deterministic).
    pub expected_value: f64,
}

/// Precomputed data for valuing one portfolio; cheap per path.
#[derive(Clone, Debug)]
pub struct PortfolioValuer {
    plans: Vec<AssetPlan>,
    industries: Vec<Industry>,
    groups: Vec<Industry>,
    group_loading: Vec<f64>,
    common_loading: f64,
    max_periods: usize,
    /// Every asset's periods, back to back (`AssetPlan::first` indexes into it).
    periods: Vec<Period>,
    /// Survival to each period's end against the invalidation hazard, `e^(−μ·t_k)`, indexed
    /// like `periods` (dense, for the count in the kernel).
    survival: Vec<f64>,
    log_discount: f64,
    /// `ln` of the share kept after a partial invalidation.
    ln_partial_factor: f64,
    realisation: Beta,
    liquidation: LiquidationParams,
    borrower_industry: Industry,
    as_of: Date,
    /// The vector instructions the kernel's lanes run with (detected once; tests pick).
    vectors: Vectors,
}

/// The deterministic terms of one period of one asset.
#[derive(Clone, Copy, Debug)]
struct Period {
    /// Zero-shock cash flow `base·e^((g − σ²/2)·t − λ·t)·Δ`.
    det: f64,
    /// Discount factor `(1+r)^(−t)`.
    disc: f64,
    /// Shock scale `σ·√Δ`.
    vol: f64,
    /// Fee due in the period (CNY).
    fee: f64,
    /// Suffix sum `Σ_{j ≥ k} base·Δ_j·e^(−(λ+κ)·t_j)`: expected value seen from a later date.
    tail: f64,
    /// `ln(fee / Δ)`, the log of the yearly fee rate (−∞ without a fee): the lapse test of
    /// [`PortfolioValuer::liquidation_given`] runs in logs.
    ln_fee_rate: f64,
}

/// Per-path values of one batch: `values[i * len + p]` for asset `i`, path `p`, and the
/// liquidation factor of each path.
pub(crate) struct BatchOut {
    pub len: usize,
    pub values: Vec<f64>,
    pub liquidation_factor: Vec<f64>,
}

/// The per-path state of one asset over a batch, one lane per antithetic pair `h`: side 0 is
/// path `2h`, driven by the drawn normals; side 1 is path `2h + 1`, driven by their negation,
/// so its log-revenue is exactly `−x` and its revenue factor `e^-x`. Structure of arrays, so
/// that [`PairLanes::step`] runs as a vectorised loop.
struct PairLanes {
    pairs: usize,
    /// Log-revenue shock accumulated so far (side 0).
    x: Vec<f64>,
    /// This period's shock `σ·√Δ·(factor + idio·ε)` (side 0).
    shock: Vec<f64>,
    /// Share kept after a pending invalidation request.
    kept: [Vec<f64>; 2],
    /// Periods before invalidation.
    alive: [Vec<f64>; 2],
    /// 1 while the right is in force and paid for, 0 once lapsed or invalidated.
    running: [Vec<f64>; 2],
    /// Discounted cash flows so far.
    value: [Vec<f64>; 2],
    /// The vector instructions to run with (see [`PairLanes::step`]).
    #[cfg_attr(not(target_arch = "x86_64"), expect(dead_code))]
    vectors: Vectors,
}

impl PairLanes {
    /// Lanes for `pairs` pairs; `vectors` only as wide as the CPU has.
    fn new(pairs: usize, vectors: Vectors) -> PairLanes {
        let lane = || vec![0.0; pairs];
        PairLanes {
            pairs,
            x: lane(),
            shock: lane(),
            kept: [lane(), lane()],
            alive: [lane(), lane()],
            running: [lane(), lane()],
            value: [lane(), lane()],
            vectors,
        }
    }

    /// Starts a new asset.
    fn reset(&mut self) {
        self.x.fill(0.0);
        self.running.iter_mut().for_each(|r| r.fill(1.0));
        self.value.iter_mut().for_each(|v| v.fill(0.0));
        // A missing mirror (odd batch) keeps nothing and is never read.
        self.kept[1].fill(0.0);
        self.alive[1].fill(0.0);
    }

    /// Period `k`: adds the shock, and on each side, while the right runs, either books the
    /// discounted cash flow or, when it falls below the period's fee, lets the right lapse
    /// (rational lapse: the owner stops paying and the right dies from this year).
    ///
    /// On x86-64 CPUs with AVX2 or AVX-512 the same code runs compiled for them (four or
    /// eight lanes instead of two). The results are bit-identical: lanes are independent, and
    /// no version fuses a multiply and an add.
    fn step(&mut self, q: &Period, k: f64) {
        match self.vectors {
            // SAFETY: `vectors` is never wider than what the running CPU reported.
            #[cfg(target_arch = "x86_64")]
            Vectors::Avx512 => unsafe { self.step_avx512(q, k) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Vectors::Avx2 => unsafe { self.step_avx2(q, k) },
            _ => self.step_lanes(q, k),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn step_avx2(&mut self, q: &Period, k: f64) {
        self.step_lanes(q, k);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f")]
    fn step_avx512(&mut self, q: &Period, k: f64) {
        self.step_lanes(q, k);
    }

    #[inline(always)]
    fn step_lanes(&mut self, q: &Period, k: f64) {
        let n = self.pairs;
        let (x, shock) = (&mut self.x[..n], &self.shock[..n]);
        let [kept0, kept1] = &self.kept;
        let [alive0, alive1] = &self.alive;
        let [run0, run1] = &mut self.running;
        let [val0, val1] = &mut self.value;
        let (kept0, kept1) = (&kept0[..n], &kept1[..n]);
        let (alive0, alive1) = (&alive0[..n], &alive1[..n]);
        let (run0, run1) = (&mut run0[..n], &mut run1[..n]);
        let (val0, val1) = (&mut val0[..n], &mut val1[..n]);
        for h in 0..n {
            x[h] += shock[h];
            let (growth, mirror) = exp_pair(x[h]);
            let cf0 = kept0[h] * q.det * growth;
            let cf1 = kept1[h] * q.det * mirror;
            let live0 = (run0[h] != 0.0) & (k < alive0[h]) & (cf0 >= q.fee);
            let live1 = (run1[h] != 0.0) & (k < alive1[h]) & (cf1 >= q.fee);
            // Selections as bit masks: the compiler would turn a conditional add into a
            // masked store, several times slower than an unconditional add of zero.
            let (m0, m1) = (
                u64::from(live0).wrapping_neg(),
                u64::from(live1).wrapping_neg(),
            );
            run0[h] = f64::from_bits(ONE_BITS & m0);
            run1[h] = f64::from_bits(ONE_BITS & m1);
            val0[h] += f64::from_bits((cf0 * q.disc).to_bits() & m0);
            val1[h] += f64::from_bits((cf1 * q.disc).to_bits() & m1);
        }
    }
}

/// One group of default states in [`PortfolioValuer::liquidation_given_each`], one lane per
/// state (structure of arrays, so that the loop over states vectorises as the kernel's does).
struct LiquidationLanes {
    len: usize,
    /// Years from the valuation date to the default, `T ≥ 0`, and `√T`.
    years: [f64; LIQUIDATION_LANES],
    sqrt_years: [f64; LIQUIDATION_LANES],
    /// The period containing the default, `⌊T⌋`.
    period: [usize; LIQUIDATION_LANES],
    /// Systematic part of each industry group's shock, `a·C + b_g·I_g` (by group index).
    systematic: [[f64; LIQUIDATION_LANES]; 8],
    /// The current asset's idiosyncratic normal, and its uniforms for the outcome of a pending
    /// request and the invalidation time.
    idio: [f64; LIQUIDATION_LANES],
    outcome: [f64; LIQUIDATION_LANES],
    time: [f64; LIQUIDATION_LANES],
    /// The current asset's log fee rate and expected-value tail in the period of default.
    ln_fee_rate: [f64; LIQUIDATION_LANES],
    tail: [f64; LIQUIDATION_LANES],
    /// Value of the assets so far, before the sale factor.
    total: [f64; LIQUIDATION_LANES],
    #[cfg_attr(not(target_arch = "x86_64"), expect(dead_code))]
    vectors: Vectors,
}

impl LiquidationLanes {
    /// Empty lanes (see [`LiquidationLanes::start`]).
    fn new(vectors: Vectors) -> LiquidationLanes {
        LiquidationLanes {
            len: 0,
            years: [0.0; LIQUIDATION_LANES],
            sqrt_years: [0.0; LIQUIDATION_LANES],
            period: [0; LIQUIDATION_LANES],
            systematic: [[0.0; LIQUIDATION_LANES]; 8],
            idio: [0.0; LIQUIDATION_LANES],
            outcome: [0.0; LIQUIDATION_LANES],
            time: [0.0; LIQUIDATION_LANES],
            ln_fee_rate: [0.0; LIQUIDATION_LANES],
            tail: [0.0; LIQUIDATION_LANES],
            total: [0.0; LIQUIDATION_LANES],
            vectors,
        }
    }

    /// Starts a group of `states` (at most [`LIQUIDATION_LANES`]) with nothing valued yet; the
    /// caller sets the systematic shocks.
    fn start(&mut self, states: &[DefaultState]) {
        self.len = states.len();
        for (p, state) in states.iter().enumerate() {
            let t = state.years.max(0.0);
            self.years[p] = t;
            self.sqrt_years[p] = t.sqrt();
            self.period[p] = t.floor() as usize;
        }
        self.total[..self.len].fill(0.0);
    }

    /// Draws the asset's idiosyncratic normals and its uniforms (when it has them); without
    /// them the asset keeps everything and is never invalidated.
    fn draw(&mut self, plan: &AssetPlan, rng: &mut Stream) {
        let n = self.len;
        if plan.sigma > 0.0 && plan.idio > 0.0 {
            normal::fill(rng, &mut self.idio[..n]);
        } else {
            self.idio[..n].fill(0.0);
        }
        if plan.under_invalidation.is_some() || plan.hazard > 0.0 {
            for (outcome, time) in self.outcome[..n].iter_mut().zip(&mut self.time[..n]) {
                (*outcome, *time) = unit_pair(rng);
            }
        } else {
            self.outcome[..n].fill(1.0);
            self.time[..n].fill(0.0);
        }
    }

    /// Adds the asset's value at default on every lane: its periods' terms are `periods`.
    fn add_asset(&mut self, plan: &AssetPlan, periods: &[Period], ln_partial: f64) {
        let last = periods.len() - 1;
        for p in 0..self.len {
            let q = &periods[self.period[p].min(last)];
            self.ln_fee_rate[p] = q.ln_fee_rate;
            self.tail[p] = q.tail;
        }
        match self.vectors {
            // SAFETY: `vectors` is never wider than what the running CPU reported.
            #[cfg(target_arch = "x86_64")]
            Vectors::Avx512 => unsafe { self.add_avx512(plan, ln_partial) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Vectors::Avx2 => unsafe { self.add_avx2(plan, ln_partial) },
            _ => self.add_lanes(plan, ln_partial),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn add_avx2(&mut self, plan: &AssetPlan, ln_partial: f64) {
        self.add_lanes(plan, ln_partial);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f")]
    fn add_avx512(&mut self, plan: &AssetPlan, ln_partial: f64) {
        self.add_lanes(plan, ln_partial);
    }

    /// Per lane: the share kept after a pending request (and its log), survival against the
    /// hazard, the log revenue reached, and the asset's worth unless it is gone or its income
    /// has fallen below its fee (in logs: the owner has let it lapse). Branch-free.
    #[inline(always)]
    fn add_lanes(&mut self, plan: &AssetPlan, ln_partial: f64) {
        let n = self.len;
        let (whole, whole_or_partial) = plan.under_invalidation.unwrap_or((0.0, 0.0));
        let lanes = self.years[..n]
            .iter()
            .zip(&self.sqrt_years[..n])
            .zip(&self.systematic[plan.group][..n])
            .zip(&self.idio[..n])
            .zip(&self.outcome[..n])
            .zip(&self.time[..n])
            .zip(&self.ln_fee_rate[..n])
            .zip(&self.tail[..n])
            .zip(&mut self.total[..n]);
        for ((((((((t, sqrt_t), sys), e), u), time), ln_fee_rate), tail), total) in lanes {
            let t = *t;
            let kept = if *u < whole {
                0.0
            } else if *u < whole_or_partial {
                plan.partial_factor
            } else {
                1.0
            };
            let ln_kept = if *u < whole_or_partial {
                ln_partial
            } else {
                0.0
            };
            let survival = exp_pair(-plan.hazard * t).0;
            let shock = sys + plan.idio * e;
            let log_r = plan.log_drift * t + plan.sigma * sqrt_t * shock;
            let ln_income = ln_kept + plan.ln_base + log_r - plan.obsolescence * t;
            let live = (kept > 0.0)
                & (*time < survival)
                & (t < plan.remaining_life)
                & (ln_income >= *ln_fee_rate);
            let worth = kept * tail * exp_pair(log_r + plan.kappa * t).0;
            *total += f64::from_bits(worth.to_bits() & u64::from(live).wrapping_neg());
        }
    }
}

/// The state of the economy when a borrower defaults, for [`PortfolioValuer::liquidation_given`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultState {
    /// Years from the valuation date to the default.
    pub years: f64,
    /// The common factor over that period (standard normal).
    pub common_z: f64,
    /// The borrower's industry.
    pub industry: Industry,
    /// That industry's factor over the period (standard normal).
    pub industry_z: f64,
}

impl AssetPlan {
    /// The share kept once a pending invalidation request is decided by the uniform `u`
    /// (1 without a request): 0 when wholly invalidated, the partial factor when partly.
    fn kept_after_request(&self, u: f64) -> f64 {
        match self.under_invalidation {
            Some((whole, _)) if u < whole => 0.0,
            Some((_, whole_or_partial)) if u < whole_or_partial => self.partial_factor,
            _ => 1.0,
        }
    }
}

impl PortfolioValuer {
    /// Precomputes the plan of every asset at `as_of`.
    pub fn new(
        assets: &[Asset],
        params: &ValuationParams,
        as_of: Date,
    ) -> Result<PortfolioValuer, ValuationError> {
        if assets.is_empty() {
            return Err(ValuationError::EmptyPortfolio);
        }
        let lq = *params.liquidation();
        let realisation =
            Beta::new(lq.realisation_alpha, lq.realisation_beta).ok_or_else(|| {
                ValuationError::Parameters(format!(
                    "realisation fraction: Beta({}, {}) needs positive finite shapes",
                    lq.realisation_alpha, lq.realisation_beta
                ))
            })?;
        let log_discount = (1.0 + params.discount_rate().get()).ln();
        let a = params.common_factor_loading();
        let mut v = PortfolioValuer {
            plans: Vec::with_capacity(assets.len()),
            industries: Vec::with_capacity(assets.len()),
            groups: Vec::new(),
            group_loading: Vec::new(),
            common_loading: a,
            max_periods: 0,
            periods: Vec::new(),
            survival: Vec::new(),
            log_discount,
            ln_partial_factor: params.partial_invalidation_factor().ln(),
            realisation,
            liquidation: lq,
            borrower_industry: Industry::Other,
            as_of,
            vectors: Vectors::detect(),
        };
        for asset in assets {
            for (field, date) in [
                ("filing_date", Some(asset.filing_date())),
                ("grant_date", asset.grant_date()),
            ] {
                if let Some(date) = date.filter(|d| *d > as_of) {
                    return Err(ValuationError::AfterValuationDate {
                        id: asset.id().to_string(),
                        field,
                        date,
                        as_of,
                    });
                }
            }
            let plan = v.plan(asset, params);
            v.industries.push(plan.industry);
            v.plans.push(plan);
        }
        // The borrower's industry defaults to the one holding most expected value.
        let mut by_industry = [0.0f64; 8];
        for p in &v.plans {
            by_industry[p.industry.index()] += p.expected_value;
        }
        let first = v.plans[0].industry;
        v.borrower_industry = Industry::ALL
            .into_iter()
            .filter(|i| by_industry[i.index()] > 0.0)
            .max_by(|x, y| {
                by_industry[x.index()]
                    .total_cmp(&by_industry[y.index()])
                    .then(y.index().cmp(&x.index()))
            })
            .unwrap_or(first);
        v.check_finite(assets)?;
        Ok(v)
    }

    fn plan(&mut self, asset: &Asset, params: &ValuationParams) -> AssetPlan {
        let kind = asset.kind();
        let kp = params.kind(kind);
        let industry = params.resolve_industry(asset);
        let ip = params.industry(industry);
        let econ = asset.economics();
        let royalty = econ
            .royalty_rate()
            .map_or(ip.royalty_rate * kp.royalty_multiplier, |r| r.get())
            .clamp(0.0, 1.0);
        let growth = econ.revenue_growth().map_or(ip.revenue_growth, |g| g.get());
        let sigma = econ.revenue_volatility().unwrap_or(ip.revenue_volatility);
        let lambda = ip.obsolescence;
        let b = ip.factor_loading;
        let a = self.common_loading;
        let idio = (1.0 - a * a - b * b).max(0.0).sqrt();
        let base = royalty * econ.attributable_revenue().to_f64()
            + econ.license_income().map_or(0.0, |m| m.to_f64());
        let as_of = self.as_of;
        let term_end = asset.legal_term_end(as_of);
        let remaining_legal = if !asset.status().is_in_force() {
            0.0
        } else if kind.is_renewable() {
            f64::INFINITY
        } else {
            as_of.years_until(term_end).max(0.0)
        };
        let economic = econ
            .economic_life_years()
            .map(|y| y.get())
            .or(kp.economic_life_years);
        let mut life = match economic {
            Some(e) => remaining_legal.min(e),
            None if remaining_legal.is_infinite() => as_of.years_until(term_end).max(0.0),
            None => remaining_legal,
        };
        if !asset.status().is_in_force() {
            life = 0.0;
        }
        life = life.min(MAX_LIFE_YEARS);
        let periods = if life > 1e-9 {
            (life - 1e-9).ceil() as usize
        } else {
            0
        };
        let hazard = -(1.0 - kp.invalidation_hazard).ln();
        let kappa = self.log_discount + hazard - growth;
        let log_drift = growth - 0.5 * sigma * sigma;
        let age = asset.filing_date().years_until(as_of);
        let first_renewal = as_of.years_until(term_end);
        let renewal_fee = if kind.is_renewable() {
            kp.renewal_fee.unwrap_or(0.0)
        } else {
            0.0
        };
        let term = f64::from(kind.legal_term_years(asset.filing_date()));

        let first = self.periods.len();
        let mut expected_value = 0.0;
        for k in 1..=periods {
            let t_prev = (k - 1) as f64;
            let t = (k as f64).min(life);
            let dt = t - t_prev;
            let det = base * (log_drift * t - lambda * t).exp() * dt;
            let disc = (-self.log_discount * t).exp();
            let surv = (-hazard * t).exp();
            let mut fee = 0.0;
            if kind.is_patent() {
                let year = (age + 0.5 * (t_prev + t)).floor().max(0.0) as u32 + 1;
                fee += kp.annual_fee(year) * dt;
            }
            if renewal_fee > 0.0 {
                // Renewals fall due at first_renewal + m·term.
                let m = ((t_prev - first_renewal) / term).floor() + 1.0;
                let due = first_renewal + m.max(0.0) * term;
                if due > t_prev && due <= t {
                    fee += renewal_fee;
                }
            }
            let tail_term = base * dt * (-(lambda + kappa) * t).exp();
            expected_value += base * ((growth - lambda) * t).exp() * dt * disc * surv;
            self.survival.push(surv);
            self.periods.push(Period {
                det,
                disc,
                vol: sigma * dt.sqrt(),
                fee,
                tail: tail_term,
                ln_fee_rate: (fee / dt).ln(),
            });
        }
        // Turn the tail terms into suffix sums.
        let mut acc = 0.0;
        for x in self.periods[first..].iter_mut().rev() {
            acc += x.tail;
            x.tail = acc;
        }
        self.max_periods = self.max_periods.max(periods);
        let group = match self.groups.iter().position(|g| *g == industry) {
            Some(g) => g,
            None => {
                self.groups.push(industry);
                self.group_loading.push(b);
                self.groups.len() - 1
            }
        };
        let under_invalidation = (asset.status() == AssetStatus::UnderInvalidation).then(|| {
            let o = kp.under_invalidation;
            (o.whole, o.whole + o.partial)
        });
        AssetPlan {
            industry,
            group,
            remaining_life: life,
            remaining_legal,
            growth,
            first,
            periods,
            idio,
            sigma,
            under_invalidation,
            partial_factor: params.partial_invalidation_factor(),
            hazard,
            log_drift,
            kappa,
            obsolescence: lambda,
            ln_base: base.ln(),
            expected_value: if under_invalidation.is_some() {
                let o = kp.under_invalidation;
                expected_value
                    * (1.0 - o.whole - o.partial + o.partial * params.partial_invalidation_factor())
            } else {
                expected_value
            },
        }
    }

    /// The same valuer with its lanes on `vectors` (at most what the CPU has): results must
    /// not change.
    #[cfg(test)]
    pub(crate) fn with_vectors(mut self, vectors: Vectors) -> Self {
        assert!(Vectors::available().contains(&vectors));
        self.vectors = vectors;
        self
    }

    /// Industry of each asset (resolved from IPC when absent), in asset order.
    pub fn industries(&self) -> &[Industry] {
        &self.industries
    }

    /// The industry whose factor `liquidation_at_default`'s `industry_z` drives: by default the
    /// industry holding the largest expected value of the portfolio.
    pub fn borrower_industry(&self) -> Industry {
        self.borrower_industry
    }

    /// Sets the borrower's industry (the one `industry_z` drives in
    /// [`liquidation_at_default`](PortfolioValuer::liquidation_at_default)).
    pub fn with_borrower_industry(mut self, industry: Industry) -> Self {
        self.borrower_industry = industry;
        self
    }

    /// Remaining life simulated for each asset (years).
    pub fn remaining_life_years(&self) -> Vec<f64> {
        self.plans.iter().map(|p| p.remaining_life).collect()
    }

    /// Expected value of each asset at the valuation date without the lapse option
    /// (closed form of the model's mean: a cross-check of the Monte Carlo).
    pub fn expected_values(&self) -> Vec<f64> {
        self.plans.iter().map(|p| p.expected_value).collect()
    }

    pub(crate) fn plans(&self) -> &[AssetPlan] {
        &self.plans
    }

    /// Asset-path-years one path simulates (periods summed over assets).
    pub fn periods_per_path(&self) -> usize {
        self.plans.iter().map(|p| p.periods).sum()
    }

    /// Simulates `len` paths: `(len + 1) / 2` antithetic pairs, the last one without its
    /// mirror when `len` is odd.
    pub(crate) fn run_batch(&self, len: usize, rng: &mut Stream) -> BatchOut {
        let n = self.plans.len();
        let pairs = len.div_ceil(2);
        let block = self.max_periods * pairs;
        let mut factors = vec![0.0; self.groups.len() * block];
        self.draw_factors(rng, pairs, &mut factors);
        let mut values = vec![0.0; n * len];
        let mut lanes = PairLanes::new(pairs, self.vectors);
        for (i, plan) in self.plans.iter().enumerate() {
            let f = &factors[plan.group * block..][..block];
            self.asset_paths(plan, f, rng, &mut lanes, &mut values[i * len..][..len]);
        }
        let liquidation_factor = (0..len).map(|_| self.liquidation_factor(rng)).collect();
        BatchOut {
            len,
            values,
            liquidation_factor,
        }
    }

    /// The systematic part `a·C_k + b_g·I_{g,k}` of every group's shock in every period, for
    /// the first path of every pair: `out[g·m·pairs + k·pairs + h]` (`m` = most periods).
    fn draw_factors(&self, rng: &mut Stream, pairs: usize, out: &mut [f64]) {
        let block = self.max_periods * pairs;
        let mut common = vec![0.0; pairs];
        let mut own = vec![0.0; pairs];
        for k in 0..self.max_periods {
            normal::fill(rng, &mut common);
            for (g, b) in self.group_loading.iter().enumerate() {
                normal::fill(rng, &mut own);
                let out = &mut out[g * block + k * pairs..][..pairs];
                for ((o, c), z) in out.iter_mut().zip(&common).zip(&own) {
                    *o = self.common_loading * c + b * z;
                }
            }
        }
    }

    /// One asset's discounted cash flows on every path of the batch: `out[p]` for path `p`.
    /// `factors` holds the asset's group factors, period-major (`k·pairs + h`).
    fn asset_paths(
        &self,
        plan: &AssetPlan,
        factors: &[f64],
        rng: &mut Stream,
        lanes: &mut PairLanes,
        out: &mut [f64],
    ) {
        if plan.periods == 0 {
            out.fill(0.0);
            return;
        }
        let periods = &self.periods[plan.first..plan.first + plan.periods];
        let pairs = lanes.pairs;
        lanes.reset();
        // Per path: the share kept after a pending invalidation request and the number of
        // periods before an invalidation (the survival terms decrease, so a count of those
        // above the uniform, which vectorises, is the first period it falls below).
        let survival = &self.survival[plan.first..plan.first + plan.periods];
        let draws = plan.under_invalidation.is_some() || plan.hazard > 0.0;
        for p in 0..out.len() {
            // One output, two uniforms: the request's outcome and the invalidation time.
            let (u_outcome, u_time) = if draws { unit_pair(rng) } else { (1.0, 1.0) };
            let kept = plan.kept_after_request(u_outcome);
            let alive = if plan.hazard > 0.0 {
                survival.iter().filter(|s| u_time < **s).count()
            } else {
                plan.periods
            };
            lanes.kept[p % 2][p / 2] = kept;
            lanes.alive[p % 2][p / 2] = alive as f64;
        }
        let noisy = plan.sigma > 0.0 && plan.idio > 0.0;
        for (k, q) in periods.iter().enumerate() {
            let f = &factors[k * pairs..][..pairs];
            let shock = &mut lanes.shock[..pairs];
            if noisy {
                normal::fill(rng, shock);
                for (s, f) in shock.iter_mut().zip(f) {
                    *s = q.vol * (f + plan.idio * *s);
                }
            } else {
                for (s, f) in shock.iter_mut().zip(f) {
                    *s = q.vol * f;
                }
            }
            lanes.step(q, k as f64);
        }
        for (p, v) in out.iter_mut().enumerate() {
            *v = lanes.value[p % 2][p / 2];
        }
    }

    /// One path's factor turning value into liquidation proceeds: the distressed sale of a
    /// value of 1 ([`loss::recovery::distressed_sale`]),
    /// `max(realisation, min_realisation) × (1 − disposal cost) × (1 + r)^(−delay)`, with the
    /// realisation fraction ([`Beta`]) and the delay (uniform) drawn here. The kernel keeps
    /// the factor apart from the value so that one draw serves every asset of the lot.
    fn liquidation_factor(&self, rng: &mut Stream) -> f64 {
        let f = self.realisation.sample(rng);
        let u: f64 = rng.random();
        let lq = &self.liquidation;
        let delay = lq.delay_min_years + u * (lq.delay_max_years - lq.delay_min_years);
        let discount = (-self.log_discount * delay).exp();
        loss::recovery::distressed_sale(1.0, f, lq.sale_terms(), discount)
    }

    /// One path of the portfolio's value and liquidation proceeds (CNY, at the default date)
    /// if the borrower defaults `default_years` after the valuation date and the borrower's
    /// industry factor over that period is `industry_z` (standard normal; the default model
    /// uses the same draw: wrong-way risk). The common factor and the other industries'
    /// factors are drawn from `rng`; see [`liquidation_given`](PortfolioValuer::liquidation_given)
    /// to pass them too.
    pub fn liquidation_at_default(
        &self,
        rng: &mut Stream,
        default_years: f64,
        industry_z: f64,
    ) -> CollateralAtDefault {
        let common_z = normal::one(rng);
        self.liquidation_given(
            rng,
            &DefaultState {
                years: default_years,
                common_z,
                industry: self.borrower_industry,
                industry_z,
            },
        )
    }

    /// One path of the portfolio's value and liquidation proceeds (CNY, at the default date)
    /// in the given default state:
    /// [`liquidation_given_each`](PortfolioValuer::liquidation_given_each) for one state.
    pub fn liquidation_given(&self, rng: &mut Stream, state: &DefaultState) -> CollateralAtDefault {
        let mut out = [CollateralAtDefault::default()];
        self.liquidation_given_each(rng, std::slice::from_ref(state), &mut out);
        out[0]
    }

    /// The portfolio at the borrower's default in each default state, one path per state:
    /// `out[p]` for `states[p]`, its value `V_d` and its liquidation proceeds (CNY, at the
    /// default date; steps 1 and 2 of the recovery model, docs/models.md). The value at default is the appraisal a
    /// buyer would make then: each surviving asset's expected discounted future cash flows
    /// given its revenue at default, whose log moved by
    /// `(g − σ²/2)·T + σ·√T·(a·common_z + b·industry factor + idiosyncratic)`. An asset that
    /// was invalidated (hazard, or a pending request decided against it), whose life ended, or
    /// whose income has fallen below its fee is worth nothing. Then the lot is sold
    /// ([`loss::recovery::distressed_sale`]): at a Beta realisation fraction (at least
    /// `min_realisation`), less disposal costs, after the disposal delay, discounted to the
    /// default date. The proceeds are `V_d ×` one path's sale factor.
    ///
    /// States are taken [`LIQUIDATION_LANES`] at a time, asset by asset across the states (as
    /// the valuation kernel runs across pairs). Draw layout of each group of states: per
    /// industry group one normal per state (the state's own industry is replaced by its given
    /// factor); then per asset with a remaining life one idiosyncratic normal per state (if it
    /// has a shock) and one output per state for its request outcome and invalidation time (if
    /// it can be invalidated); then per state the realisation fraction and disposal delay.
    ///
    /// # Panics
    /// When `out` and `states` differ in length.
    pub fn liquidation_given_each(
        &self,
        rng: &mut Stream,
        states: &[DefaultState],
        out: &mut [CollateralAtDefault],
    ) {
        assert_eq!(states.len(), out.len(), "one output per default state");
        let mut lanes = LiquidationLanes::new(self.vectors);
        for (states, out) in states
            .chunks(LIQUIDATION_LANES)
            .zip(out.chunks_mut(LIQUIDATION_LANES))
        {
            lanes.start(states);
            let m = states.len();
            for (g, industry) in self.groups.iter().enumerate() {
                let z = &mut lanes.systematic[g][..m];
                normal::fill(rng, z);
                let b = self.group_loading[g];
                for (z, state) in z.iter_mut().zip(states) {
                    let own = if state.industry == *industry {
                        state.industry_z
                    } else {
                        *z
                    };
                    *z = self.common_loading * state.common_z + b * own;
                }
            }
            for plan in self.plans.iter().filter(|p| p.periods > 0) {
                lanes.draw(plan, rng);
                let periods = &self.periods[plan.first..plan.first + plan.periods];
                lanes.add_asset(plan, periods, self.ln_partial_factor);
            }
            for (o, &value) in out.iter_mut().zip(&lanes.total[..m]) {
                *o = CollateralAtDefault {
                    value,
                    sale: value * self.liquidation_factor(rng),
                };
            }
        }
    }

    /// Checks that every precomputed term is finite (absurd inputs could overflow).
    fn check_finite(&self, assets: &[Asset]) -> Result<(), ValuationError> {
        for (plan, asset) in self.plans.iter().zip(assets) {
            let ok = self.periods[plan.first..plan.first + plan.periods]
                .iter()
                .all(|p| p.det.is_finite() && p.tail.is_finite())
                && plan.expected_value.is_finite();
            if !ok {
                return Err(ValuationError::NotFinite {
                    id: asset.id().to_string(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(det: f64, disc: f64, fee: f64) -> Period {
        Period {
            det,
            disc,
            vol: 0.0,
            fee,
            tail: 0.0,
            ln_fee_rate: fee.ln(),
        }
    }

    /// Two periods by hand: the mirror path sees `e^-x`, a cash flow below the fee ends the
    /// right for good, invalidation (alive) and a pending request (kept) cut the flows, and the
    /// AVX2 and portable lanes agree bit for bit.
    #[test]
    fn lanes_book_mirror_flows_lapse_and_invalidation() {
        let shocks = [[0.3, -0.3, 1.2, 0.0, -2.0], [0.1, 0.5, -3.0, 0.2, 0.4]];
        let periods = [period(100.0, 0.9, 40.0), period(120.0, 0.8, 40.0)];
        let run = |vectors: Vectors| {
            let mut l = PairLanes::new(5, vectors);
            l.reset();
            l.kept[0].copy_from_slice(&[1.0, 1.0, 1.0, 0.5, 1.0]);
            l.kept[1].copy_from_slice(&[1.0, 1.0, 1.0, 1.0, 0.0]);
            l.alive[0].copy_from_slice(&[2.0, 1.0, 2.0, 2.0, 2.0]);
            l.alive[1].copy_from_slice(&[2.0, 2.0, 2.0, 0.0, 2.0]);
            for (k, (q, s)) in periods.iter().zip(&shocks).enumerate() {
                l.shock.copy_from_slice(s);
                l.step(q, k as f64);
            }
            (l.value[0].clone(), l.value[1].clone())
        };
        let (up, down) = run(Vectors::Portable);
        // Straightforward reference: cumulative x, flows while alive and not lapsed.
        let reference = |sign: f64, kept: f64, alive: usize, h: usize| {
            let (mut x, mut v) = (0.0f64, 0.0);
            for (k, q) in periods.iter().enumerate() {
                x += sign * shocks[k][h];
                let cf = kept * q.det * x.exp();
                if k >= alive || cf < q.fee {
                    break;
                }
                v += cf * q.disc;
            }
            v
        };
        let kept = [[1.0, 1.0, 1.0, 0.5, 1.0], [1.0, 1.0, 1.0, 1.0, 0.0]];
        let alive = [[2, 1, 2, 2, 2], [2, 2, 2, 0, 2]];
        for h in 0..5 {
            let want0 = reference(1.0, kept[0][h], alive[0][h], h);
            let want1 = reference(-1.0, kept[1][h], alive[1][h], h);
            assert!(
                (up[h] - want0).abs() <= 1e-12 * want0.max(1.0),
                "{h}: {} vs {want0}",
                up[h]
            );
            assert!(
                (down[h] - want1).abs() <= 1e-12 * want1.max(1.0),
                "{h}: {} vs {want1}",
                down[h]
            );
        }
        // Pair 2: e^1.2 books, then e^-1.8·120 < 40 lapses; its mirror lapses at once.
        assert!(up[2] > 0.0 && down[2] == 0.0);
        // Pair 4: the mirror keeps nothing.
        assert_eq!(down[4], 0.0);
        for vectors in Vectors::available() {
            let (a, b) = run(vectors);
            assert_eq!(
                (a.map_bits(), b.map_bits()),
                (up.map_bits(), down.map_bits()),
                "{vectors:?}"
            );
        }
    }

    /// The value and the liquidation value at a default time `T > 0` given the factors, against
    /// their closed forms for one invention patent whose income dwarfs its fees (so it never
    /// lapses):
    /// `E = e^(−μT) · tail_k · e^(κT) · e^((g − σ²/2)T + σ√T·(a·C + b·I) + σ²T·idio²/2) · E[sale]`
    /// (survival against the hazard, the idiosyncratic shock integrated out, and the sale
    /// factor `E[fraction] · (1 − cost) · E[(1+r)^(−delay)]` with the delay uniform).
    #[test]
    fn liquidation_at_a_later_default_matches_its_closed_form() {
        use crate::stats::Sample;
        let asset: crate::asset::RawAsset = serde_json::from_value(serde_json::json!({
            "id": "CN201710601862.3", "kind": "invention",
            "filing_date": "2017-07-26", "grant_date": "2020-03-10", "status": "valid",
            "owners": ["A"], "ipc": "G06F 16/27", "claims": 12, "independent_claims": 2,
            "economics": { "attributable_revenue": "1000000000" }
        }))
        .unwrap();
        let asset = asset.validate(&crate::input::FieldPath::root()).unwrap();
        let params = ValuationParams::embedded_default();
        let as_of = crate::valuation::DEFAULT_AS_OF;
        let v = PortfolioValuer::new(&[asset], &params, as_of).unwrap();
        let plan = &v.plans[0];
        assert!(plan.hazard > 0.0 && plan.idio > 0.0 && plan.sigma > 0.0);
        let lq = params.liquidation();
        assert_eq!(lq.min_realisation, 0.0);
        let r = v.log_discount;
        let (d0, d1) = (lq.delay_min_years, lq.delay_max_years);
        let sale =
            lq.realisation_mean * (1.0 - lq.disposal_cost) * ((-r * d0).exp() - (-r * d1).exp())
                / (r * (d1 - d0));
        for (t, common_z, industry_z) in [(2.5, 0.4, -1.1), (4.2, -0.8, 0.6)] {
            let state = DefaultState {
                years: t,
                common_z,
                industry: plan.industry,
                industry_z,
            };
            let tail = v.periods[plan.first + (t as usize)].tail;
            let systematic = v.common_loading * common_z + v.group_loading[plan.group] * industry_z;
            let log_r = plan.log_drift * t + plan.sigma * t.sqrt() * systematic;
            let value = (-plan.hazard * t).exp()
                * tail
                * (plan.kappa * t).exp()
                * (log_r + 0.5 * plan.sigma * plan.sigma * t * plan.idio * plan.idio).exp();
            let exact = value * sale;
            let states = vec![state; 40_000];
            let mut out = vec![CollateralAtDefault::default(); states.len()];
            let mut rng = crate::rng::stream(12, crate::rng::Domain::Credit, 0);
            v.liquidation_given_each(&mut rng, &states, &mut out);
            assert!(out.iter().all(|o| 0.0 <= o.sale && o.sale <= o.value));
            let est = out.iter().map(|o| o.sale).collect::<Sample>().mean();
            assert!(est.agrees_with(exact), "T = {t}: {est:?} vs {exact}");
            let est = out.iter().map(|o| o.value).collect::<Sample>().mean();
            assert!(est.agrees_with(value), "T = {t}: value {est:?} vs {value}");
        }
    }

    trait Bits {
        fn map_bits(&self) -> Vec<u64>;
    }

    impl Bits for Vec<f64> {
        fn map_bits(&self) -> Vec<u64> {
            self.iter().map(|v| v.to_bits()).collect()
        }
    }
}
