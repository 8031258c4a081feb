//! The default sampler: every random draw of a fund path, and nothing else. One path gives
//! the list of its [`DefaultEvent`]s in (month, loan) order, over the loans' whole life
//! (horizon and run-off); the ledger turns them into money without drawing.
//!
//! Draw layout of a path (fixed, so a change of rules never moves a draw): per life year,
//! the common factor's innovation then one normal per industry (8); then one Exp(1) draw,
//! and per life year, per bucket of (PD level, industry) in book order, the exponential race
//! below: per candidate a fresh Exp(1) draw, with a partial year the thinning uniform, and per
//! default its month within its exposure; at the end of each year, per default in (month,
//! loan) order, with `lgd = "collateral"` the realisation fraction.
//!
//! Defaults: the common factor is AR(1) across years (`cycle_persistence`), the composite
//! factor of an industry is `√(1−s)·common + √s·industry` (`s = sector_share`); a loan with
//! one-year PD `p` and correlation `ρ` alive for `m` months of a year defaults in it, given the
//! composite factor `z`, with probability `p_m(z)` (`loss::pd`, tenor PD over `m` months,
//! Vasicek). The exponential race: a loan with hazard `λ = −ln(1 − p)` defaults when an
//! Exp(1) draw `E` is below `λ`; otherwise `E − λ` is again Exp(1) and independent of the
//! outcome (memorylessness) and goes on to the next loan. All loans of one bucket share
//! `p_12(z)`, so `⌊E/λ⌋` loans are passed at once and what is left of `E` carries into the
//! next bucket: a year costs a few operations per bucket and a draw per default, not per
//! loan. A candidate with a partial year is accepted with probability `p_m(z)/p_12(z)`
//! (thinning) and one that already defaulted is skipped. Both are exact. The default month is
//! uniform over the loan's exposure months in that year. The buckets' `p_12(z)` and hazards
//! of a year are computed together, four at a time (`loss::normal::hazard_and_cdf_many`).
//!
//! Importance sampling (`super::importance`, off unless asked for): the same draws, in the
//! same layout, under a tilted measure: the common factor's innovations are shifted, the
//! race and the thinning run at the twisted probabilities, and the path returns the log of
//! its likelihood ratio. Without a tilt every draw and number is the plain one.
//!
//! Loss: EAD from the loan's schedule at the default month; recovery from the one recovery
//! model (`loss::recovery`): the collateral value at default `appraised × exp(σz − σ²/2)`,
//! the sale (fixed LGD: `EAD × (1 − lgd)`; collateral: the distressed sale of that value with
//! a Beta realisation, discounted over the scheme's disposal delay), and the public buyer.

use rand::{Rng, RngExt};
use rand_distr::{Exp1, StandardNormal};

use super::book::Book;
use super::importance::Tilted;
use super::settings::CollateralParams;
use crate::loss::{normal, recovery};
use crate::rng::Stream;
use crate::rng::beta::Beta;
use crate::scenario::{LgdSpec, Scenario};

/// One default on one path, with its loss already settled by the recovery model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultEvent {
    /// Loan index in the book.
    pub loan: u32,
    /// Absolute month of default (0 = first month of year 1).
    pub month: u32,
    /// Exposure at default (CNY).
    pub ead: f64,
    /// What the bank recovers, `min(EAD, max(sale, buyer))` (CNY).
    pub recovery: f64,
    /// What the public recovery buyer paid (CNY, 0 when the sale was better or no buyer).
    pub buyer_outlay: f64,
}

impl DefaultEvent {
    /// Principal loss after recoveries.
    pub fn loss(&self) -> f64 {
        self.ead - self.recovery
    }
}

/// The constant part of the sampler for one run.
pub(crate) struct Sampler<'a> {
    book: &'a Book,
    common_weight: f64,
    industry_weight: f64,
    persistence: f64,
    lgd: LgdSpec,
    collateral: CollateralParams,
    realisation: Option<Beta>,
    /// Discount factor of the disposal delay for the sale proceeds.
    sale_discount: f64,
    buyer_share: Option<f64>,
}

/// Per-batch scratch of the sampler, reused across paths.
pub(crate) struct SamplerScratch {
    defaulted: Vec<u32>,
    stamp: u32,
    factors: Vec<f64>,
    /// A year's defaults, by month of the year (0..12): `loan << 8 | industry`, put in loan
    /// order before they are settled.
    months: [Vec<u64>; 12],
    /// A year's buckets: the argument of Φ of their conditional PD, their hazard and PD.
    arguments: Vec<f64>,
    hazards: Vec<f64>,
    pds: Vec<f64>,
}

impl SamplerScratch {
    pub(crate) fn new(book: &Book) -> SamplerScratch {
        SamplerScratch {
            defaulted: vec![0; book.loans.len()],
            stamp: 0,
            factors: vec![0.0; book.life_years() * 8],
            months: Default::default(),
            arguments: Vec::new(),
            hazards: Vec::new(),
            pds: Vec::new(),
        }
    }
}

/// A uniform draw in (0, 1].
#[inline]
fn uniform_open0(rng: &mut Stream) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl<'a> Sampler<'a> {
    pub(crate) fn new(scenario: &Scenario, book: &'a Book, collateral: CollateralParams) -> Self {
        let risk = &scenario.risk;
        let delay_years = f64::from(scenario.scheme.disposal_delay_months) / 12.0;
        Sampler {
            book,
            common_weight: (1.0 - risk.sector_share).sqrt(),
            industry_weight: risk.sector_share.sqrt(),
            persistence: risk.cycle_persistence,
            lgd: risk.lgd,
            collateral,
            realisation: Beta::new(collateral.realisation_alpha, collateral.realisation_beta),
            sale_discount: (1.0 + collateral.discount_rate).powf(-delay_years),
            buyer_share: scenario.scheme.recovery_buyer_share,
        }
    }

    /// Draws one path's defaults into `out`, in (month, loan) order, under the plain measure
    /// or, with `tilt`, under the tilted one; returns the log of the path's likelihood ratio
    /// (0 without a tilt). See `importance` for the ratio.
    pub(crate) fn sample_path(
        &self,
        rng: &mut Stream,
        s: &mut SamplerScratch,
        out: &mut Vec<DefaultEvent>,
        tilt: Option<&Tilted>,
    ) -> f64 {
        out.clear();
        s.stamp = s.stamp.wrapping_add(1);
        if s.stamp == 0 {
            s.defaulted.iter_mut().for_each(|d| *d = 0);
            s.stamp = 1;
        }
        let stamp = s.stamp;
        let book = self.book;
        let phi = self.persistence;
        let mut log_ratio = 0.0f64;
        let mut common = 0.0f64;
        for y in 0..book.life_years() {
            let mut e: f64 = rng.sample(StandardNormal);
            if let Some(t) = tilt {
                let (shifted, log_lr) = t.shift_innovation(y, e);
                e = shifted;
                log_ratio += log_lr;
            }
            common = if y == 0 {
                e
            } else {
                phi * common + (1.0 - phi * phi).sqrt() * e
            };
            for j in 0..8 {
                let zi: f64 = rng.sample(StandardNormal);
                s.factors[y * 8 + j] = self.common_weight * common + self.industry_weight * zi;
            }
        }
        // The exponential race: one Exp(1) draw `left` walks the loans of a year in bucket
        // order, each loan using up its hazard; a loan whose hazard exceeds what is left
        // defaults and a fresh draw starts. Within a bucket the hazard is constant, so the
        // loans skipped are counted at once; what is left carries over to the next bucket
        // (memorylessness), so an empty stretch costs a subtraction, not a draw.
        let mut left: f64 = rng.sample(Exp1);
        for (y, year) in book.years.iter().enumerate() {
            let buckets = &year.buckets;
            let factors = &s.factors[y * 8..y * 8 + 8];
            if let Some(t) = tilt {
                // Loans that defaulted in an earlier year are no longer at risk in this one:
                // take back their at-risk term (`Tilted::at_risk` counts every entry).
                log_ratio -= t.not_at_risk(book, y, factors, out);
            }
            s.arguments.clear();
            s.arguments.extend(buckets.iter().map(|bucket| {
                book.levels[bucket.level as usize].year_argument(factors[bucket.industry as usize])
            }));
            s.hazards.resize(buckets.len(), 0.0);
            s.pds.resize(buckets.len(), 0.0);
            normal::hazard_and_cdf_many(&s.arguments, &mut s.hazards, &mut s.pds);
            for (b, bucket) in buckets.iter().enumerate() {
                let level = &book.levels[bucket.level as usize];
                let z = factors[bucket.industry as usize];
                let (plain_hazard, p_full) = (s.hazards[b], s.pds[b]);
                if p_full <= 0.0 {
                    continue;
                }
                let (lambda, q_full) = match tilt {
                    Some(t) => {
                        log_ratio += t.at_risk(y, b, level, z);
                        let q = t.twist(p_full);
                        (normal::hazard_of(q), q)
                    }
                    None => (plain_hazard, p_full),
                };
                let certain = q_full >= 1.0;
                let per_hazard = 1.0 / lambda;
                let entries = year.entries(bucket);
                let n = entries.len();
                let mut i = 0usize;
                while i < n {
                    if !certain {
                        let rest = n - i;
                        let skip = left * per_hazard;
                        if skip >= rest as f64 {
                            left = (left - rest as f64 * lambda).max(0.0);
                            break;
                        }
                        i += skip as usize;
                        left = rng.sample(Exp1);
                    }
                    let e = entries[i];
                    i += 1;
                    let li = e.loan as usize;
                    if s.defaulted[li] == stamp {
                        continue;
                    }
                    let months = u32::from(e.to - e.from);
                    if months < 12 {
                        let p_m = level.conditional(months as usize, z);
                        let q_m = tilt.map_or(p_m, |t| t.twist(p_m));
                        if uniform_open0(rng) * q_full > q_m {
                            continue;
                        }
                    }
                    if let Some(t) = tilt {
                        log_ratio -= t.theta();
                    }
                    s.defaulted[li] = stamp;
                    let offset = ((rng.random::<f64>() * f64::from(months)) as u32).min(months - 1);
                    s.months[usize::from(e.from) + offset as usize]
                        .push(u64::from(e.loan) << 8 | u64::from(bucket.industry));
                }
            }
            // The year's defaults in (month, loan) order, settled in that order.
            for (m, loans) in s.months.iter_mut().enumerate() {
                loans.sort_unstable();
                let month = y as u32 * 12 + m as u32;
                for &key in loans.iter() {
                    let z = factors[(key & 0xff) as usize];
                    out.push(self.settle(rng, (key >> 8) as u32, month, z));
                }
                loans.clear();
            }
        }
        log_ratio
    }

    /// The loss of loan `loan` defaulting in `month` under industry factor `z`.
    fn settle(&self, rng: &mut Stream, loan: u32, month: u32, z: f64) -> DefaultEvent {
        let l = &self.book.loans[loan as usize];
        let ead = l.exposure_at(&self.book.schedules, month);
        let c = &self.collateral;
        // The value at default matters to a collateral sale and to a buyer only: a fixed LGD
        // without a buyer skips its exponential.
        let value = if self.buyer_share.is_some() || self.lgd == LgdSpec::Collateral {
            recovery::value_at_default(l.appraised, c.industry_factor_volatility, z)
        } else {
            0.0
        };
        let sale = match self.lgd {
            LgdSpec::Fixed(lgd) => ead * (1.0 - lgd),
            LgdSpec::Collateral => {
                let realisation = self
                    .realisation
                    .as_ref()
                    .map_or(c.realisation_mean, |b| b.sample(rng));
                recovery::distressed_sale(value, realisation, c.sale_terms, self.sale_discount)
            }
        };
        let r = recovery::recover(ead, value, sale, self.buyer_share);
        DefaultEvent {
            loan,
            month,
            ead,
            recovery: r.amount,
            buyer_outlay: r.buyer_outlay,
        }
    }
}
