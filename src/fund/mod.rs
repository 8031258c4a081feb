//! The risk-compensation fund simulator (docs/models.md, "Fund simulator").
//!
//! A run is three parts: the default sampler (`sampler`: every random draw, giving each
//! path's default events over the loans' whole life), the monthly ledger (`ledger`: pure, no
//! draws: enrolment, eligibility, pauses, caps, the EU cap, the balance, recoveries,
//! subsidies, interest and the run-off), and typed per-path metrics (`metrics`) collected into
//! per-path samples (`part`) that merge exactly across shards. Also owns the static loan book
//! (`book`), the run settings and the `[fund]` model section (`settings`), sizing (`size`),
//! sweeps (`sweep`) and the result types (`result`). Reads scenarios through
//! `crate::scenario`, scheme rules through `crate::scheme`, the loss model through
//! `crate::loss`; must not know about the CLI, HTTP, SQL or charts, read files or print.
//!
//! Entry points: [`simulate`] (the whole run), [`simulate_part`] (one shard),
//! [`merge_parts`] (shards → exactly the whole run) and [`DrawnRun`] (events drawn once, the
//! ledger re-run under other capitals: common random numbers for `fund size`).

mod book;
pub mod capacity;
pub mod compare;
mod evaluator;
mod importance;
mod ledger;
pub mod metrics;
pub mod optimise;
mod part;
pub mod reading;
pub mod result;
mod sampler;
mod settings;
pub mod size;
pub mod sweep;

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub use evaluator::Evaluator;
pub use importance::{ImportanceSampling, ImportanceSamplingReport, Tilt, TiltChoice};
pub use part::{FundPart, PART_FORMAT, merge_parts};
pub use result::{
    Assumptions, BookSummary, BookYear, FundResult, FundRules, Histogram, LowerQuantiles,
    PeriodResult, YearResult,
};
pub use sampler::DefaultEvent;
pub use settings::{CollateralParams, FundModel, Progress, Settings};

use crate::money::Money;
use crate::rng::{Batch, Domain, Stream, batches, stream};
use crate::scenario::{PdSpec, Scenario};
use crate::stats::Sample;
use ledger::{LedgerPlan, LedgerScratch};
use metrics::{PathMetrics, Period, Total, YearMetric};
use sampler::{Sampler, SamplerScratch};

/// Why a simulation or a merge could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FundError {
    /// A cohort names a grade the model has no PD for.
    #[error("grade `{grade}` has no PD in the model's [fund.grade_pd_1y]")]
    UnknownGrade {
        /// The grade.
        grade: String,
    },
    /// `paths` is zero.
    #[error("paths must be at least 1")]
    NoPaths,
    /// Nothing to merge.
    #[error("no partial results to merge")]
    NoParts,
    /// Parts of different runs.
    #[error(
        "partial results do not belong together: {field} is {expected} in one and {found} in another"
    )]
    PartMismatch {
        /// What differs.
        field: &'static str,
        /// Its value in the first part.
        expected: String,
        /// Its value in another part.
        found: String,
    },
    /// A re-evaluation changes something that moves the draws (the book, the risk block, the
    /// disposal delay or the public buyer).
    #[error(
        "this variant changes the default events (book, risk, disposal delay or public buyer): \
         it needs its own draw"
    )]
    NotSameDraw,
    /// A book multiple outside what was drawn.
    #[error("book multiple {multiple} is outside 0..={copies} (the copies drawn)")]
    BadMultiple {
        /// The multiple asked for.
        multiple: f64,
        /// Copies drawn.
        copies: u32,
    },
    /// A shard is missing.
    #[error("shard {index} is missing")]
    MissingShard {
        /// 1-based shard number.
        index: u32,
    },
    /// An importance-sampling tilt that is not a pair of finite numbers.
    #[error("importance-sampling tilt must be finite (got {tilt})")]
    NonFiniteTilt {
        /// The tilt as given.
        tilt: String,
    },
    /// A shard was given twice.
    #[error("shard {index} was given twice")]
    DuplicateShard {
        /// 1-based shard number.
        index: u32,
    },
}

fn check(scenario: &Scenario, settings: &Settings) -> Result<(), FundError> {
    if settings.paths == 0 {
        return Err(FundError::NoPaths);
    }
    if let Some(ImportanceSampling::Fixed(t)) = settings.importance_sampling
        && !t.is_finite()
    {
        return Err(FundError::NonFiniteTilt {
            tilt: format!("{t:?}"),
        });
    }
    for c in &scenario.book.cohorts {
        if let PdSpec::Grades(mix) = &c.pd_1y {
            for g in mix.keys() {
                if !settings.model.grade_pd_1y.contains_key(g) {
                    return Err(FundError::UnknownGrade { grade: g.clone() });
                }
            }
        }
    }
    Ok(())
}

/// Per-path samples of one batch: `[year][YearMetric]` and `[Period][Total]`, and with
/// importance sampling each path's likelihood-ratio weight.
struct BatchSamples {
    years: Vec<Vec<Sample>>,
    totals: Vec<Vec<Sample>>,
    weights: Option<Sample>,
}

impl BatchSamples {
    fn new(h: usize, n: usize, weighted: bool) -> Self {
        BatchSamples {
            years: vec![vec![Sample::with_capacity(n); YearMetric::COUNT]; h],
            totals: vec![vec![Sample::with_capacity(n); Total::COUNT]; Period::ALL.len()],
            weights: weighted.then(|| Sample::with_capacity(n)),
        }
    }

    fn push(&mut self, m: &PathMetrics, weight: f64) {
        if let Some(w) = &mut self.weights {
            w.push(weight);
        }
        for (acc, row) in self.years.iter_mut().zip(&m.year) {
            for (s, v) in acc.iter_mut().zip(row.0) {
                s.push(v);
            }
        }
        for (acc, t) in self.totals.iter_mut().zip(&m.totals) {
            for (s, v) in acc.iter_mut().zip(t.0) {
                s.push(v);
            }
        }
    }

    fn merge(&mut self, other: BatchSamples) {
        for (acc, part) in self.years.iter_mut().zip(other.years) {
            for (a, s) in acc.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        for (acc, part) in self.totals.iter_mut().zip(other.totals) {
            for (a, s) in acc.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        if let (Some(acc), Some(part)) = (&mut self.weights, other.weights) {
            acc.merge(part);
        }
    }
}

/// Runs `path` for each of a batch's `n` paths (it fills the path's metrics and returns its
/// weight, kept when `weighted`) and collects them.
fn collect_batch(
    h: usize,
    n: usize,
    weighted: bool,
    mut path: impl FnMut(&mut PathMetrics) -> f64,
) -> BatchSamples {
    let mut m = PathMetrics::new(h);
    let mut out = BatchSamples::new(h, n, weighted);
    for _ in 0..n {
        crate::rng::stop::check();
        let w = path(&mut m);
        out.push(&m, w);
    }
    out
}

/// The default events of every path of one batch.
#[derive(Clone, Debug, Default)]
struct BatchEvents {
    /// `events[ends[i-1]..ends[i]]` are path `i`'s.
    ends: Vec<usize>,
    events: Vec<DefaultEvent>,
    /// Path `i`'s likelihood-ratio weight (importance sampling only; else empty).
    weights: Vec<f64>,
}

impl BatchEvents {
    fn paths(&self) -> impl Iterator<Item = &[DefaultEvent]> {
        let mut from = 0;
        self.ends.iter().map(move |&to| {
            let slice = &self.events[from..to];
            from = to;
            slice
        })
    }
}

/// SHA-256 of the canonical scenario (its validated form as JSON), the model and the run
/// settings that determine the numbers (and the book multiple of a run of several copies):
/// equal digests, equal inputs.
fn input_digest(
    scenario: &Scenario,
    settings: &Settings,
    capital: Money,
    multiple: Option<f64>,
) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(scenario).unwrap_or_default());
    h.update(settings.model.sha256.as_bytes());
    h.update(settings.seed.to_le_bytes());
    h.update(settings.paths.to_le_bytes());
    h.update(capital.to_string().as_bytes());
    if let Some(m) = multiple {
        h.update(b"multiple");
        h.update(m.to_le_bytes());
    }
    // Only when on, so that plain runs keep their digests.
    if let Some(is) = settings.importance_sampling {
        h.update(format!("importance-sampling {is:?}").as_bytes());
    }
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn assumptions(scenario: &Scenario, book: &book::Book, paths: u64) -> Assumptions {
    let h = scenario.horizon_years as usize;
    let mut by_year: Vec<BookYear> = (0..h)
        .map(|y| BookYear {
            year: y as u32 + 1,
            loans: 0,
            principal: 0.0,
            eligible_loans: 0,
            eligible_principal: 0.0,
        })
        .collect();
    let mut pd_weighted = 0.0;
    let mut principal = 0.0;
    for loan in &book.loans {
        let y = (loan.start / 12) as usize;
        if let Some(row) = by_year.get_mut(y) {
            row.loans += 1;
            row.principal += loan.amount;
            if loan.eligible {
                row.eligible_loans += 1;
                row.eligible_principal += loan.amount;
            }
        }
        principal += loan.amount;
        pd_weighted += loan.amount * book.pd_1y(loan);
    }
    let fund = &scenario.fund;
    let leverage_limit_from = if fund.leverage_limit.is_some() {
        "fund"
    } else if scenario.scheme.leverage_limit.is_some() {
        "scheme"
    } else {
        "none"
    };
    let subsidies_from = if scenario.subsidies.is_empty() {
        "none"
    } else if scenario.subsidies == scenario.scheme.subsidies {
        "scheme"
    } else {
        "scenario"
    };
    Assumptions {
        paths,
        book: BookSummary {
            loans: book.loans.len() as u64,
            principal,
            by_year,
            mean_pd_1y: if principal > 0.0 {
                pd_weighted / principal
            } else {
                0.0
            },
            banks: book.banks.clone(),
            firms: u64::from(book.firms),
            last_maturity_month: book.end_month,
        },
        risk: scenario.risk,
        scheme: scenario.scheme.clone(),
        fund: FundRules {
            initial_capital: fund.initial_capital,
            appropriations: fund.appropriations.clone(),
            interest_rate: fund.interest_rate,
            leverage_limit: scenario.leverage_limit(),
            leverage_limit_from: leverage_limit_from.to_string(),
            liability_limited_to_balance: scenario.scheme.liability_limited_to_balance,
            subsidies: scenario.subsidies.clone(),
            subsidies_from: subsidies_from.to_string(),
        },
        eligibility_not_checked: book.unchecked_rules.iter().map(|r| r.to_string()).collect(),
    }
}

/// A loan of a run's book as drawn from its cohort or read from its loans file.
#[derive(Clone, Debug, PartialEq)]
pub struct BookLoan {
    /// Principal (CNY).
    pub amount: f64,
    /// First month (0 = first month of year 1).
    pub start_month: u32,
    /// Tenor in months.
    pub tenor_months: u32,
    /// Repayment schedule.
    pub repayment: crate::loss::Repayment,
    /// Annual interest rate.
    pub annual_rate: f64,
    /// Lending bank.
    pub bank: String,
    /// Borrowing firm, when a loans file names it (else a firm of its own).
    pub firm: Option<String>,
    /// Pledge rate (amount / appraised collateral).
    pub pledge_rate: f64,
    /// Valuation fee as a share of the appraised value.
    pub valuation_fee_rate: f64,
    /// Insurance premium as a share of the loan.
    pub insurance_premium_rate: f64,
}

/// A run whose default events are drawn once and kept, so the ledger can be re-run on the
/// same random numbers under other capitals (`fund size`), other ledger rules (`fund
/// compare`, `fund optimise`, sweeps) and smaller multiples of the book (`fund capacity`).
pub struct DrawnRun<'s> {
    scenario: Scenario,
    settings: Settings<'s>,
    book: book::Book,
    /// Copies of the planned book drawn (1 = the scenario's book).
    copies: u32,
    /// [`draw_key`] of the scenario drawn.
    key: String,
    batches: Vec<BatchEvents>,
    range: std::ops::Range<u64>,
    /// The tilt the paths were drawn under (importance sampling only).
    tilt: Option<TiltChoice>,
}

/// One re-evaluation of a [`DrawnRun`]: the scenario's rules, the book multiple, the capital
/// and the leverage treatment.
#[derive(Clone, Copy, Debug)]
pub struct Variant<'v> {
    /// The scenario whose ledger rules apply (scheme, fund, subsidies, horizon); everything
    /// that moves a draw must equal the drawn scenario's ([`DrawnRun::can_evaluate`]).
    pub scenario: &'v Scenario,
    /// Multiple of the planned book (every cohort's count scaled, the loans file repeated);
    /// at most the copies drawn.
    pub multiple: f64,
    /// Initial capital.
    pub capital: Money,
    /// The leverage limit as written or lifted.
    pub leverage: size::Leverage,
}

/// What fixes a run's default events besides the seed, the paths and the model: the book as
/// specified, the risk block and the two scheme rules the recovery model reads (disposal delay,
/// public buyer). Two scenarios with equal keys have equal events on equal settings; every
/// other key (scheme, fund, subsidies, eligibility, horizon) is the ledger's alone.
fn draw_key(scenario: &Scenario) -> String {
    serde_json::to_string(&(
        &scenario.book,
        &scenario.risk,
        scenario.scheme.disposal_delay_months,
        scenario.scheme.recovery_buyer_share,
    ))
    .unwrap_or_default()
}

impl std::fmt::Debug for DrawnRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrawnRun")
            .field("scenario", &self.scenario.name)
            .field("paths", &self.settings.paths)
            .finish_non_exhaustive()
    }
}

/// Draws the events of one batch.
fn draw_batch(
    sampler: &Sampler,
    book: &book::Book,
    batch: &Batch,
    rng: &mut Stream,
    tilt: Option<&importance::Tilted>,
) -> BatchEvents {
    let mut scratch = SamplerScratch::new(book);
    let mut out = BatchEvents::default();
    let mut path = Vec::new();
    for _ in 0..batch.len() {
        crate::rng::stop::check();
        let log_w = sampler.sample_path(rng, &mut scratch, &mut path, tilt);
        out.events.extend_from_slice(&path);
        out.ends.push(out.events.len());
        if tilt.is_some() {
            out.weights.push(log_w.exp());
        }
    }
    out
}

/// The tilt of a run with importance sampling (after its pilot, which runs the ledger at
/// `capital` with the rules as written) and the sampler's view of it.
fn tilt_for(
    scenario: &Scenario,
    settings: &Settings,
    book: &book::Book,
    sampler: &Sampler,
    capital: Money,
) -> Option<(TiltChoice, importance::Tilted)> {
    let mode = settings.importance_sampling?;
    let persistence = scenario.risk.cycle_persistence;
    let plan = LedgerPlan::new(scenario, book, capital.to_f64(), false);
    let choice = importance::choose(
        mode,
        settings.seed,
        sampler,
        book,
        &plan,
        persistence,
        scenario.horizon_years as usize,
    );
    let tilted = importance::Tilted::new(book, persistence, choice.tilt);
    Some((choice, tilted))
}

impl<'s> DrawnRun<'s> {
    /// Draws every path's default events of the whole run (`settings.shard` is ignored).
    pub fn draw(scenario: &Scenario, settings: &Settings<'s>) -> Result<Self, FundError> {
        DrawnRun::draw_copies(scenario, settings, 1)
    }

    /// Draws the events of a book of `copies` copies of the planned one (copy 0 is the
    /// scenario's book, see [`Variant::multiple`]), so that any multiple up to `copies` can be
    /// evaluated on them.
    pub fn draw_copies(
        scenario: &Scenario,
        settings: &Settings<'s>,
        copies: u32,
    ) -> Result<Self, FundError> {
        let settings = &Settings {
            shard: crate::rng::Shard::WHOLE,
            ..settings.clone()
        };
        check(scenario, settings)?;
        let copies = copies.max(1);
        let book = book::Book::build_copies(scenario, settings.seed, &settings.model, copies, true);
        let sampler = Sampler::new(scenario, &book, settings.model.collateral);
        let range = settings.shard.batch_range(settings.paths);
        let capital = settings
            .initial_capital
            .unwrap_or(scenario.fund.initial_capital);
        let tilt = tilt_for(scenario, settings, &book, &sampler, capital);
        let scope = crate::rng::stop::current();
        let batches: Vec<BatchEvents> = batches(settings.paths, range.clone())
            .into_par_iter()
            .map(|b| {
                scope.within(|| {
                    let mut rng = stream(settings.seed, Domain::Fund, b.index);
                    draw_batch(&sampler, &book, &b, &mut rng, tilt.as_ref().map(|t| &t.1))
                })
            })
            .collect();
        Ok(DrawnRun {
            scenario: scenario.clone(),
            settings: settings.clone(),
            book,
            copies,
            key: draw_key(scenario),
            batches,
            range,
            tilt: tilt.map(|t| t.0),
        })
    }

    /// The scenario drawn.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The run settings (seed, paths, model).
    pub fn settings(&self) -> &Settings<'s> {
        &self.settings
    }

    /// Copies of the planned book drawn: the largest multiple that can be evaluated.
    pub fn copies(&self) -> u32 {
        self.copies
    }

    /// Whether `scenario` has the same default events as the drawn one (it differs at most in
    /// ledger rules), so that [`DrawnRun::evaluate_variant`] can evaluate it.
    pub fn can_evaluate(&self, scenario: &Scenario) -> bool {
        draw_key(scenario) == self.key
    }

    /// The ledger of `v` over the drawn events (common random numbers).
    pub fn evaluate_variant(&self, v: &Variant) -> Result<FundResult, FundError> {
        merge_parts(vec![self.evaluate_variant_part(v)?])
    }

    /// [`DrawnRun::evaluate_variant`] as one whole part.
    pub fn evaluate_variant_part(&self, v: &Variant) -> Result<FundPart, FundError> {
        if !self.can_evaluate(v.scenario) {
            return Err(FundError::NotSameDraw);
        }
        if !(v.multiple.is_finite() && v.multiple >= 0.0 && v.multiple <= f64::from(self.copies)) {
            return Err(FundError::BadMultiple {
                multiple: v.multiple,
                copies: self.copies,
            });
        }
        let rebuilt;
        let full = if *v.scenario == self.scenario {
            &self.book
        } else {
            rebuilt = book::Book::build_copies(
                v.scenario,
                self.settings.seed,
                &self.settings.model,
                self.copies,
                false,
            );
            &rebuilt
        };
        let sub = full.at_multiple(v.multiple);
        let (book, map) = match &sub {
            Some((b, m)) => (b, Some(m.as_slice())),
            None => (full, None),
        };
        let lift = v.leverage == size::Leverage::Lifted;
        let plan = LedgerPlan::new(v.scenario, book, v.capital.to_f64(), lift);
        let h = v.scenario.horizon_years as usize;
        let scope = crate::rng::stop::current();
        let parts: Vec<BatchSamples> = self
            .batches
            .par_iter()
            .map(|b| {
                scope.within(|| {
                    let mut scratch = LedgerScratch::new(&plan);
                    let mut paths = b.paths();
                    let mut weights = b.weights.iter();
                    let mut kept = Vec::new();
                    collect_batch(h, b.ends.len(), self.tilt.is_some(), |m| {
                        let events = paths.next().unwrap_or_default();
                        match map {
                            None => plan.run(events, &mut scratch, m),
                            Some(map) => {
                                kept.clear();
                                kept.extend(events.iter().filter_map(|e| {
                                    let to = map[e.loan as usize];
                                    (to != u32::MAX).then_some(DefaultEvent { loan: to, ..*e })
                                }));
                                plan.run(&kept, &mut scratch, m);
                            }
                        }
                        weights.next().copied().unwrap_or(1.0)
                    })
                })
            })
            .collect();
        let multiple = (self.copies > 1).then_some(v.multiple);
        Ok(FundPart {
            importance_sampling: self.tilt,
            ..finish_part(
                v.scenario,
                &self.settings,
                book,
                &plan,
                Ledger {
                    capital: v.capital,
                    multiple,
                },
                self.range.clone(),
                parts,
            )
        })
    }

    /// Whether the scenario has a leverage limit (from the fund or the scheme).
    pub fn has_leverage_limit(&self) -> bool {
        self.scenario.leverage_limit().is_some()
    }

    /// The ledger over the drawn events with the scenario's capital and rules.
    pub fn evaluate(&self) -> FundResult {
        self.evaluate_with(
            self.scenario.fund.initial_capital,
            size::Leverage::AsWritten,
        )
    }

    /// The ledger over the drawn events with another initial capital, the leverage limit as
    /// written or lifted.
    pub fn evaluate_with(&self, capital: Money, leverage: size::Leverage) -> FundResult {
        merge_parts(vec![self.evaluate_part(capital, leverage)]).expect("one whole part merges")
    }

    /// The ledger over the drawn events as one whole part (per-path samples, for exact
    /// comparisons path by path).
    /// What a capital search needs of a ledger pass with `capital` (the lifetime shortfall
    /// probability and its error, the mean principal refused by the leverage limit and the mean
    /// credit enabled), equal to [`size::Probe::of`] the full result, without building it.
    pub fn probe(&self, capital: Money, leverage: size::Leverage) -> size::Probe {
        let lift = leverage == size::Leverage::Lifted;
        let plan = LedgerPlan::new(&self.scenario, &self.book, capital.to_f64(), lift);
        let h = self.scenario.horizon_years as usize;
        let scope = crate::rng::stop::current();
        let parts: Vec<[Sample; 4]> = self
            .batches
            .par_iter()
            .map(|b| {
                scope.within(|| {
                    let n = b.ends.len();
                    let mut scratch = LedgerScratch::new(&plan);
                    let mut m = PathMetrics::new(h);
                    let mut out: [Sample; 4] = std::array::from_fn(|_| Sample::with_capacity(n));
                    for (i, events) in b.paths().enumerate() {
                        crate::rng::stop::check();
                        plan.run(events, &mut scratch, &mut m);
                        out[0].push(m.totals[Period::Lifetime as usize][Total::Shortfall]);
                        out[1].push(
                            m.totals[Period::Horizon as usize][Total::RefusedLeveragePrincipal],
                        );
                        out[2].push(m.totals[Period::Horizon as usize][Total::CreditEnabled]);
                        if self.tilt.is_some() {
                            out[3].push(b.weights.get(i).copied().unwrap_or(1.0));
                        }
                    }
                    out
                })
            })
            .collect();
        let mut all: [Sample; 4] = std::array::from_fn(|_| Sample::with_capacity(0));
        for part in parts {
            for (a, s) in all.iter_mut().zip(part) {
                a.merge(s);
            }
        }
        let weights = self.tilt.is_some().then_some(&all[3]);
        let ((p, se), means) = part::probability_and_means(&all[0], &[&all[1], &all[2]], weights);
        size::Probe {
            shortfall_probability: p,
            shortfall_probability_stderr: se,
            refused_leverage_principal: means[0],
            credit_enabled: means[1],
        }
    }

    pub fn evaluate_part(&self, capital: Money, leverage: size::Leverage) -> FundPart {
        let lift = leverage == size::Leverage::Lifted;
        let plan = LedgerPlan::new(&self.scenario, &self.book, capital.to_f64(), lift);
        let h = self.scenario.horizon_years as usize;
        let scope = crate::rng::stop::current();
        let parts: Vec<BatchSamples> = self
            .batches
            .par_iter()
            .map(|b| {
                scope.within(|| {
                    let mut scratch = LedgerScratch::new(&plan);
                    let mut paths = b.paths();
                    let mut weights = b.weights.iter();
                    collect_batch(h, b.ends.len(), self.tilt.is_some(), |m| {
                        let events = paths.next().unwrap_or_default();
                        plan.run(events, &mut scratch, m);
                        weights.next().copied().unwrap_or(1.0)
                    })
                })
            })
            .collect();
        FundPart {
            importance_sampling: self.tilt,
            ..finish_part(
                &self.scenario,
                &self.settings,
                &self.book,
                &plan,
                Ledger {
                    capital,
                    multiple: (self.copies > 1).then_some(f64::from(self.copies)),
                },
                self.range.clone(),
                parts,
            )
        }
    }

    /// The tilt the paths were drawn under, when drawn with importance sampling.
    pub fn tilt(&self) -> Option<TiltChoice> {
        self.tilt
    }

    /// The default events of every path, in path order.
    pub fn path_events(&self) -> Vec<&[DefaultEvent]> {
        self.batches.iter().flat_map(BatchEvents::paths).collect()
    }

    /// The loans of the book, in book order (the `loan` index of a [`DefaultEvent`]).
    pub fn book_loans(&self) -> Vec<BookLoan> {
        self.book
            .loans
            .iter()
            .zip(&self.book.terms)
            .map(|(l, t)| BookLoan {
                amount: l.amount,
                start_month: l.start,
                tenor_months: l.tenor,
                repayment: t.repayment,
                annual_rate: t.annual_rate,
                bank: self.book.banks[l.bank as usize].clone(),
                firm: t.firm_name.clone(),
                pledge_rate: t.pledge_rate,
                valuation_fee_rate: t.valuation_fee_rate,
                insurance_premium_rate: t.insurance_premium_rate,
            })
            .collect()
    }

    /// Number of default events kept (memory: about 40 bytes each).
    pub fn event_count(&self) -> usize {
        self.batches.iter().map(|b| b.events.len()).sum()
    }
}

/// What a ledger pass ran on besides the scenario: the initial capital and, for a draw of
/// several copies of the book, the multiple evaluated.
#[derive(Clone, Copy)]
struct Ledger {
    capital: Money,
    multiple: Option<f64>,
}

fn finish_part(
    scenario: &Scenario,
    settings: &Settings,
    book: &book::Book,
    plan: &LedgerPlan,
    ledger: Ledger,
    range: std::ops::Range<u64>,
    parts: Vec<BatchSamples>,
) -> FundPart {
    let Ledger { capital, multiple } = ledger;
    let h = scenario.horizon_years as usize;
    // Sized once: growing by doubling would copy and fault in every sample several times.
    let paths: usize = parts
        .iter()
        .map(|p| {
            p.totals
                .first()
                .and_then(|t| t.first())
                .map_or(0, Sample::len)
        })
        .sum();
    let weighted = parts.iter().any(|p| p.weights.is_some());
    let mut all = BatchSamples::new(h, paths, weighted);
    for p in parts {
        all.merge(p);
    }
    FundPart {
        format: PART_FORMAT.to_string(),
        scenario: scenario.name.clone(),
        seed: settings.seed,
        paths: settings.paths,
        model_id: settings.model.id.clone(),
        model_sha256: settings.model.sha256.clone(),
        input_sha256: input_digest(scenario, settings, capital, multiple),
        initial_capital: capital,
        assumptions: assumptions(scenario, book, settings.paths),
        run_off_months: plan.run_off_months(),
        appropriations_total: scenario.fund.appropriations.iter().copied().sum::<Money>(),
        horizon_years: scenario.horizon_years,
        shard_index: settings.shard.index,
        shard_count: settings.shard.count,
        first_batch: range.start,
        end_batch: range.end,
        year_samples: all.years,
        total_samples: all.totals,
        // Set by the caller that knows the tilt.
        importance_sampling: None,
        weights: all.weights,
    }
}

/// An upper bound of the memory a kept draw ([`DrawnRun`]) of `scenario` at `paths` takes:
/// every loan of the book defaulting on every path (bytes, saturating). The front doors
/// check it before drawing.
pub fn kept_draw_bound(scenario: &Scenario, paths: u64) -> u64 {
    let event = std::mem::size_of::<DefaultEvent>() as u64;
    paths
        .saturating_mul(scenario.loan_count())
        .saturating_mul(event)
}

/// Simulates the part of the run selected by `settings.shard`: each batch draws its events
/// and runs the ledger at once (nothing is kept).
pub fn simulate_part(scenario: &Scenario, settings: &Settings) -> Result<FundPart, FundError> {
    check(scenario, settings)?;
    let h = scenario.horizon_years as usize;
    let book = book::Book::build(scenario, settings.seed, &settings.model);
    let capital = settings
        .initial_capital
        .unwrap_or(scenario.fund.initial_capital);
    let sampler = Sampler::new(scenario, &book, settings.model.collateral);
    let plan = LedgerPlan::new(scenario, &book, capital.to_f64(), false);
    let tilt = tilt_for(scenario, settings, &book, &sampler, capital);
    let tilted = tilt.as_ref().map(|t| &t.1);
    let range = settings.shard.batch_range(settings.paths);
    let total = range.end - range.start;
    let done = AtomicU64::new(0);
    let parts = crate::rng::run_batches(
        settings.seed,
        Domain::Fund,
        settings.paths,
        range.clone(),
        |batch, rng| {
            let mut sampler_scratch = SamplerScratch::new(&book);
            let mut ledger_scratch = LedgerScratch::new(&plan);
            let mut events = Vec::new();
            let out = collect_batch(h, batch.len(), tilted.is_some(), |m| {
                let log_w = sampler.sample_path(rng, &mut sampler_scratch, &mut events, tilted);
                plan.run(&events, &mut ledger_scratch, m);
                log_w.exp()
            });
            if let Some(progress) = settings.progress {
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            }
            out
        },
    );
    Ok(FundPart {
        importance_sampling: tilt.map(|t| t.0),
        ..finish_part(
            scenario,
            settings,
            &book,
            &plan,
            Ledger {
                capital,
                multiple: None,
            },
            range,
            parts,
        )
    })
}

/// Simulates the whole run (`settings.shard` is ignored).
pub fn simulate(scenario: &Scenario, settings: &Settings) -> Result<FundResult, FundError> {
    let whole = Settings {
        shard: crate::rng::Shard::WHOLE,
        ..settings.clone()
    };
    merge_parts(vec![simulate_part(scenario, &whole)?])
}

/// The whole run with `initial_capital` instead of the scenario's, on the same random numbers
/// (common random numbers).
pub fn simulate_with_capital(
    scenario: &Scenario,
    settings: &Settings,
    initial_capital: Money,
) -> Result<FundResult, FundError> {
    let s = Settings {
        initial_capital: Some(initial_capital),
        ..settings.clone()
    };
    simulate(scenario, &s)
}

#[cfg(test)]
mod tests;
