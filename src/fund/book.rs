//! The static loan book of a run: cohorts expanded into loans (drawn once per seed from their
//! own stream, the same on every path), grouped for the default sampler, with what the ledger
//! needs to know of each loan before any draw (schedule, firm, bank, scheme eligibility,
//! subsidies).
//!
//! Per year of the loans' whole life (the horizon and the run-off after it), loans alive in
//! that year are grouped into buckets of equal (PD level, industry): all loans of a bucket
//! share the conditional default probability `p(z)` of that year, which the sampler computes
//! once per bucket and path.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};

use super::settings::FundModel;
use crate::loss::normal::inverse_cdf as norm_inv;
use crate::loss::pd::{self, FactorLoading};
use crate::loss::{Repayment, Schedule};
use crate::rng::{Domain, Stream, stream};
use crate::scenario::{AmountSpec, Origination, PdSpec, Scenario};

/// Stream domain of the book draws (amounts, tenors, PD levels, industries, banks).
const BOOK_DOMAIN: Domain = Domain::Other(0xB00C);
/// Largest effective one-year PD (a PD of 1 would make `Φ⁻¹` infinite).
pub(crate) const MAX_PD: f64 = 0.9999;

/// One loan of the book, in kernel units (CNY as `f64`, months from the start of year 1).
#[derive(Clone, Debug)]
pub(crate) struct Loan {
    pub(crate) amount: f64,
    /// First month of the loan (0 = first month of year 1).
    pub(crate) start: u32,
    pub(crate) tenor: u32,
    pub(crate) level: u32,
    pub(crate) industry: u8,
    pub(crate) bank: u16,
    /// Firm index (per-firm-year subsidy caps): a loans file's `firm` column, else one firm
    /// per loan.
    pub(crate) firm: u32,
    /// Index into [`Book::schedules`]; `None` for a bullet loan (full principal to maturity).
    pub(crate) schedule: Option<u32>,
    /// Passes the scheme's `[eligibility]` rules that a book loan can be checked against.
    pub(crate) eligible: bool,
    /// Appraised collateral: amount / pledge rate.
    pub(crate) appraised: f64,

    /// Interest subsidy per month while performing (before the per-firm-year cap).
    pub(crate) interest_subsidy_monthly: f64,
    /// Valuation-fee and insurance-premium subsidies paid at origination.
    pub(crate) origination_subsidy: f64,
}

impl Loan {
    /// Outstanding principal at absolute month `month` of a loan that has not defaulted
    /// before it: the principal after the instalments of the months before (instalments fall
    /// at the end of each month; `loss::Schedule`), 0 from maturity on.
    pub(crate) fn exposure_at(&self, schedules: &[Schedule], month: u32) -> f64 {
        if month >= self.end() {
            return 0.0;
        }
        match self.schedule {
            None => self.amount,
            Some(i) => {
                self.amount
                    * schedules[i as usize].outstanding_after(month.saturating_sub(self.start))
            }
        }
    }

    /// One past the last month the loan is outstanding.
    pub(crate) fn end(&self) -> u32 {
        self.start + self.tenor
    }
}

/// A loan's terms as given, kept apart from [`Loan`] (which the sampler and the ledger read
/// for every default: kept small) and reported through `DrawnRun::book_loans`.
#[derive(Clone, Debug)]
pub(crate) struct Terms {
    pub(crate) repayment: Repayment,
    pub(crate) annual_rate: f64,
    pub(crate) pledge_rate: f64,
    pub(crate) valuation_fee_rate: f64,
    pub(crate) insurance_premium_rate: f64,
    /// The firm's name when a loans file gives one.
    pub(crate) firm_name: Option<String>,
}

/// One PD level: its factor loading and the default thresholds the sampler needs.
#[derive(Clone, Debug)]
pub(crate) struct Level {
    /// Effective one-year PD (after the PD multiplier).
    pub(crate) pd_1y: f64,
    pub(crate) loading: FactorLoading,
    /// `Φ⁻¹(tenor PD over m months)` for m = 0..=12 exposure months (`loss::pd`).
    pub(crate) threshold: [f64; 13],
}

impl Level {
    /// Conditional default probability over `months` of exposure given the factor `z`.
    pub(crate) fn conditional(&self, months: usize, z: f64) -> f64 {
        self.loading.conditional(self.threshold[months], z)
    }

    /// The argument of Φ of the conditional PD of a whole year given `z`
    /// (`loss::normal::hazard_and_cdf_many` turns a year's into hazards and PDs at once).
    pub(crate) fn year_argument(&self, z: f64) -> f64 {
        self.loading.argument(self.threshold[12], z)
    }
}

/// A loan alive in a year, with its months of exposure `[from, to)` inside the year.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub(crate) loan: u32,
    pub(crate) from: u8,
    pub(crate) to: u8,
}

/// The loans of one (PD level, industry) alive in one year: `YearBuckets::entries[start..end]`.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    pub(crate) level: u32,
    pub(crate) industry: u8,
    start: u32,
    end: u32,
}

/// The buckets of one year, their entries side by side in one vector (the sampler walks
/// them in order).
#[derive(Clone, Debug, Default)]
pub(crate) struct YearBuckets {
    pub(crate) buckets: Vec<Bucket>,
    entries: Vec<Entry>,
}

impl YearBuckets {
    /// The entries of `bucket` (one of `self.buckets`).
    pub(crate) fn entries(&self, bucket: &Bucket) -> &[Entry] {
        &self.entries[bucket.start as usize..bucket.end as usize]
    }
}

/// The book of one run.
#[derive(Clone, Debug)]
pub(crate) struct Book {
    pub(crate) loans: Vec<Loan>,
    /// Each loan's terms, in book order.
    pub(crate) terms: Vec<Terms>,
    pub(crate) levels: Vec<Level>,
    /// The distinct non-bullet repayment schedules of the book.
    pub(crate) schedules: Vec<Schedule>,
    /// Buckets per year of the loans' life (index 0 = year 1; past the horizon: run-off).
    pub(crate) years: Vec<YearBuckets>,
    /// Every loan index in origination order (start month, then book order).
    pub(crate) originations: Vec<u32>,
    /// Bank names (index = `Loan::bank`).
    pub(crate) banks: Vec<String>,
    /// Number of distinct firms (`Loan::firm` < this).
    pub(crate) firms: u32,
    /// One past the last month any loan is outstanding.
    pub(crate) end_month: u32,
    /// Eligibility rules of the scheme that the book could not be checked against (no data
    /// in the book), by name.
    pub(crate) unchecked_rules: Vec<&'static str>,
    /// Each loan's place in a book of copies (`fund capacity`, `book.multiple`), book order.
    pub(crate) replicas: Vec<Replica>,
    /// Loans per copy of each group (each cohort, then the loans file).
    pub(crate) group_sizes: Vec<u32>,
}

/// Where a loan stands in a book of several copies of the planned one: its group (a cohort,
/// or the loans file) and its order in that group. The book at multiple `m` holds the loans
/// of each group whose order is below `round(m × group size)`: whole copies first, then the
/// next copy's loans in a spread order (bit-reversed positions), so a partial copy's loans
/// are spread over its origination months rather than bunched at the start.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Replica {
    pub(crate) group: u32,
    pub(crate) order: u32,
}

/// The order in which a partial copy takes a group's `n` loans: loan `i` comes `rank[i]`-th,
/// positions taken in bit-reversed order (0, n/2, n/4, 3n/4, …).
fn spread_ranks(n: u32) -> Vec<u32> {
    let mut rank = vec![0u32; n as usize];
    if n <= 1 {
        return rank;
    }
    let bits = 32 - (n - 1).leading_zeros();
    let mut next = 0u32;
    for j in 0..(1u64 << bits) {
        let r = (j as u32).reverse_bits() >> (32 - bits);
        if r < n {
            rank[r as usize] = next;
            next += 1;
        }
    }
    rank
}

/// Loans of a group of `size` loans per copy at book multiple `multiple`.
pub(crate) fn loans_at_multiple(size: u32, multiple: f64) -> u64 {
    (f64::from(size) * multiple).round().max(0.0) as u64
}

fn pick<T: Clone>(rng: &mut Stream, table: &[(T, f64)]) -> T {
    if table.len() == 1 {
        return table[0].0.clone();
    }
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (v, w) in table {
        acc += w;
        if u < acc {
            return v.clone();
        }
    }
    table[table.len() - 1].0.clone()
}

/// The PD levels of a cohort's PD specification, equally likely.
fn cohort_pds(spec: &PdSpec, model: &FundModel) -> Vec<(f64, f64)> {
    match spec {
        PdSpec::Fixed(p) => vec![(*p, 1.0)],
        PdSpec::Dispersed {
            mean,
            dispersion,
            levels,
        } => {
            let n = *levels as usize;
            let s = *dispersion;
            let raw: Vec<f64> = (0..n)
                .map(|k| {
                    let z = norm_inv((k as f64 + 0.5) / n as f64);
                    (s * z - 0.5 * s * s).exp()
                })
                .collect();
            let avg = raw.iter().sum::<f64>() / n as f64;
            raw.iter()
                .map(|r| ((mean * r / avg).min(MAX_PD), 1.0 / n as f64))
                .collect()
        }
        PdSpec::Grades(mix) => mix
            .iter()
            .map(|(g, w)| (model.grade_pd_1y.get(g).copied().unwrap_or(MAX_PD), *w))
            .collect(),
    }
}

fn amount(rng: &mut Stream, spec: &AmountSpec) -> f64 {
    match spec {
        AmountSpec::Fixed(m) => m.to_f64(),
        AmountSpec::Lognormal {
            median,
            p90,
            min,
            max,
        } => {
            // p90 = median · e^(1.2816 σ)
            let sigma = (p90.to_f64() / median.to_f64()).ln() / 1.281_551_565_545;
            let ln = LogNormal::new(median.to_f64().ln(), sigma).expect("validated sigma > 0");
            let lo = min.map_or(0.0, |m| m.to_f64());
            let hi = max.map_or(f64::INFINITY, |m| m.to_f64());
            ln.sample(rng).clamp(lo, hi)
        }
    }
}

struct LoanTerms {
    annual_rate: f64,
    valuation_fee_rate: f64,
    insurance_premium_rate: f64,
}

impl Book {
    /// Builds the book of `scenario` for `seed`.
    pub(crate) fn build(scenario: &Scenario, seed: u64, model: &FundModel) -> Book {
        Book::build_copies(scenario, seed, model, 1, true)
    }

    /// Builds `copies` copies of the book of `scenario` for `seed`: copy 0 is the book of
    /// [`Book::build`]; copy `k` draws its cohorts' loans from its own stream `k` and repeats
    /// the loans file (its named firms become other firms, `name#k+1`). `buckets`: group the
    /// loans for the sampler (a book only handed to the ledger does not need them).
    pub(crate) fn build_copies(
        scenario: &Scenario,
        seed: u64,
        model: &FundModel,
        copies: u32,
        buckets: bool,
    ) -> Book {
        let mut builder = Builder::new(scenario, model);
        let pds: Vec<Vec<(f64, f64)>> = scenario
            .book
            .cohorts
            .iter()
            .map(|c| cohort_pds(&c.pd_1y, model))
            .collect();
        let mut ranks: Vec<Vec<u32>> = scenario
            .book
            .cohorts
            .iter()
            .map(|c| spread_ranks(c.count))
            .collect();
        ranks.push(spread_ranks(scenario.book.loans.len() as u32));
        builder.group_sizes = ranks.iter().map(|r| r.len() as u32).collect();
        let mult = scenario.risk.pd_multiplier;
        for copy in 0..copies.max(1) {
            let mut rng = stream(seed, BOOK_DOMAIN, u64::from(copy));
            for (g, cohort) in scenario.book.cohorts.iter().enumerate() {
                for i in 0..cohort.count {
                    let month = match cohort.origination {
                        Origination::Start => 0,
                        Origination::Uniform => {
                            (12 * u64::from(i) / u64::from(cohort.count)) as u32
                        }
                    };
                    let amt = amount(&mut rng, &cohort.amount);
                    let tenor = pick(&mut rng, &cohort.tenor_months);
                    let pd = pick(&mut rng, &pds[g]);
                    let industry = pick(&mut rng, &cohort.industry);
                    let bank = pick(&mut rng, &cohort.bank);
                    builder.replica = Replica {
                        group: g as u32,
                        order: copy * cohort.count + ranks[g][i as usize],
                    };
                    builder.push(
                        LoanDraw {
                            start: (cohort.year - 1) * 12 + month,
                            amount: amt,
                            tenor,
                            pd: (pd * mult).min(MAX_PD),
                            industry: industry.index() as u8,
                            bank,
                            firm: None,
                        },
                        cohort.repayment,
                        cohort.pledge_rate,
                        LoanTerms {
                            annual_rate: cohort.annual_rate,
                            valuation_fee_rate: cohort.valuation_fee_rate,
                            insurance_premium_rate: cohort.insurance_premium_rate,
                        },
                    );
                }
            }
            let g = scenario.book.cohorts.len();
            let n = scenario.book.loans.len() as u32;
            for (i, l) in scenario.book.loans.iter().enumerate() {
                builder.replica = Replica {
                    group: g as u32,
                    order: copy * n + ranks[g][i],
                };
                builder.push_explicit(l, mult, copy);
            }
        }
        builder.finish(buckets)
    }

    /// The book at `multiple` of the planned one, from a book of enough copies, with the map
    /// from this book's loan indices to the sub-book's (`u32::MAX`: not in it). `None` when
    /// every loan is in.
    pub(crate) fn at_multiple(&self, multiple: f64) -> Option<(Book, Vec<u32>)> {
        let limits: Vec<u64> = self
            .group_sizes
            .iter()
            .map(|&n| loans_at_multiple(n, multiple))
            .collect();
        let keep = |r: &Replica| u64::from(r.order) < limits[r.group as usize];
        if self.replicas.iter().all(keep) {
            return None;
        }
        let mut map = vec![u32::MAX; self.loans.len()];
        let mut loans = Vec::new();
        let mut terms = Vec::new();
        let mut replicas = Vec::new();
        for (i, r) in self.replicas.iter().enumerate() {
            if keep(r) {
                map[i] = loans.len() as u32;
                loans.push(self.loans[i].clone());
                terms.push(self.terms[i].clone());
                replicas.push(*r);
            }
        }
        let originations = self
            .originations
            .iter()
            .filter_map(|&i| (map[i as usize] != u32::MAX).then_some(map[i as usize]))
            .collect();
        // The sub-book's firms, numbered afresh in book order.
        let mut firm_map = vec![u32::MAX; self.firms as usize];
        let mut firms = 0u32;
        for l in &mut loans {
            let slot = &mut firm_map[l.firm as usize];
            if *slot == u32::MAX {
                *slot = firms;
                firms += 1;
            }
            l.firm = *slot;
        }
        let end_month = loans.iter().map(Loan::end).max().unwrap_or(0);
        let book = Book {
            loans,
            terms,
            levels: self.levels.clone(),
            schedules: self.schedules.clone(),
            // A sub-book is only handed to the ledger, never sampled.
            years: Vec::new(),
            originations,
            banks: self.banks.clone(),
            firms,
            end_month,
            unchecked_rules: self.unchecked_rules.clone(),
            replicas,
            group_sizes: self.group_sizes.clone(),
        };
        Some((book, map))
    }

    /// The effective one-year PD of `loan`.
    pub(crate) fn pd_1y(&self, loan: &Loan) -> f64 {
        self.levels[loan.level as usize].pd_1y
    }

    /// The years (horizon and run-off) in which some loan is outstanding.
    pub(crate) fn life_years(&self) -> usize {
        self.years.len()
    }
}

struct LoanDraw {
    start: u32,
    amount: f64,
    tenor: u32,
    pd: f64,
    industry: u8,
    bank: String,
    firm: Option<String>,
}

struct Builder<'s> {
    scenario: &'s Scenario,
    lpr: f64,
    loans: Vec<Loan>,
    terms: Vec<Terms>,
    level_pds: Vec<f64>,
    banks: Vec<String>,
    firms: std::collections::HashMap<String, u32>,
    firm_count: u32,
    schedules: Vec<(Repayment, u32, u64, Schedule)>,
    /// The place of the next loan pushed.
    replica: Replica,
    replicas: Vec<Replica>,
    group_sizes: Vec<u32>,
}

impl<'s> Builder<'s> {
    fn new(scenario: &'s Scenario, model: &FundModel) -> Self {
        Builder {
            scenario,
            lpr: scenario.fund.lpr_1y.unwrap_or(model.lpr_1y),
            loans: Vec::new(),
            terms: Vec::new(),
            level_pds: Vec::new(),
            banks: Vec::new(),
            firms: std::collections::HashMap::new(),
            firm_count: 0,
            schedules: Vec::new(),
            replica: Replica::default(),
            replicas: Vec::new(),
            group_sizes: Vec::new(),
        }
    }

    fn level(&mut self, pd: f64) -> u32 {
        match self
            .level_pds
            .iter()
            .position(|p| p.to_bits() == pd.to_bits())
        {
            Some(i) => i as u32,
            None => {
                self.level_pds.push(pd);
                (self.level_pds.len() - 1) as u32
            }
        }
    }

    fn bank(&mut self, name: &str) -> u16 {
        match self.banks.iter().position(|b| b == name) {
            Some(i) => i as u16,
            None => {
                self.banks.push(name.to_string());
                (self.banks.len() - 1) as u16
            }
        }
    }

    /// A named firm keeps one index; an unnamed loan is a firm of its own.
    fn firm(&mut self, name: Option<&str>) -> u32 {
        let next = self.firm_count;
        let id = match name {
            Some(n) => *self.firms.entry(n.to_string()).or_insert(next),
            None => next,
        };
        if id == next {
            self.firm_count += 1;
        }
        id
    }

    fn schedule(&mut self, repayment: Repayment, tenor: u32, annual_rate: f64) -> Option<u32> {
        if repayment == Repayment::Bullet {
            return None;
        }
        let key = (repayment, tenor, annual_rate.to_bits());
        if let Some(i) = self
            .schedules
            .iter()
            .position(|(r, t, a, _)| (*r, *t, *a) == key)
        {
            return Some(i as u32);
        }
        self.schedules.push((
            repayment,
            tenor,
            annual_rate.to_bits(),
            Schedule::new(repayment, tenor, annual_rate),
        ));
        Some((self.schedules.len() - 1) as u32)
    }

    /// Whether `annual_rate` is within the ceiling `cap` at the run's LPR (the scheme's rule).
    fn rate_allowed(&self, cap: &crate::scheme::RateCap, annual_rate: f64) -> bool {
        use crate::money::Rate;
        Rate::new(annual_rate)
            .ok()
            .zip(Rate::new(self.lpr).ok())
            .is_some_and(|(rate, lpr)| cap.allows(rate, lpr))
    }

    /// Whether a loan passes the scheme's eligibility rules that a book loan carries the data
    /// for: loan amount, tenor and the rate ceiling.
    fn eligible(&self, amount: f64, tenor: u32, annual_rate: f64) -> bool {
        let rules = &self.scenario.scheme.eligibility;
        let amount_ok = rules.max_loan.is_none_or(|m| amount <= m.to_f64() + 1e-9);
        let tenor_ok = rules.max_tenor_months.is_none_or(|t| tenor <= t);
        let rate_ok = rules
            .rate_cap
            .is_none_or(|c| self.rate_allowed(&c, annual_rate));
        amount_ok && tenor_ok && rate_ok
    }

    fn push(&mut self, d: LoanDraw, repayment: Repayment, pledge_rate: f64, terms: LoanTerms) {
        let level = self.level(d.pd);
        let bank = self.bank(&d.bank);
        let firm = self.firm(d.firm.as_deref());
        let schedule = self.schedule(repayment, d.tenor, terms.annual_rate);
        let eligible = self.eligible(d.amount, d.tenor, terms.annual_rate);
        let appraised = d.amount / pledge_rate;
        let subs = &self.scenario.subsidies;
        let interest_subsidy_monthly = subs.interest.as_ref().map_or(0.0, |i| {
            let eligible = i
                .rate_ceiling
                .is_none_or(|c| self.rate_allowed(&c, terms.annual_rate));
            if eligible {
                d.amount * (i.share * terms.annual_rate + i.rate_points) / 12.0
            } else {
                0.0
            }
        });
        let fee = |f: &Option<crate::scheme::FeeSubsidy>, base: f64| {
            f.as_ref().map_or(0.0, |f| {
                (f.share * base).min(f.cap.map_or(f64::INFINITY, |c| c.to_f64()))
            })
        };
        let origination_subsidy = fee(&subs.valuation_fee, appraised * terms.valuation_fee_rate)
            + fee(
                &subs.insurance_premium,
                d.amount * terms.insurance_premium_rate,
            );
        self.replicas.push(self.replica);
        self.terms.push(Terms {
            repayment,
            annual_rate: terms.annual_rate,
            pledge_rate,
            valuation_fee_rate: terms.valuation_fee_rate,
            insurance_premium_rate: terms.insurance_premium_rate,
            firm_name: d.firm.clone(),
        });
        self.loans.push(Loan {
            amount: d.amount,
            start: d.start,
            tenor: d.tenor,
            level,
            industry: d.industry,
            bank,
            firm,
            schedule,
            eligible,
            appraised,
            interest_subsidy_monthly,
            origination_subsidy,
        });
    }

    /// Pushes a loan of the loans file; in copy `k` ≥ 1 a named firm is another firm,
    /// `name#k+1`.
    fn push_explicit(&mut self, l: &crate::scenario::LoanSpec, mult: f64, copy: u32) {
        let d = LoanDraw {
            start: (l.year - 1) * 12 + (l.month - 1),
            amount: l.amount.to_f64(),
            tenor: l.tenor_months,
            pd: (l.pd_1y * mult).min(MAX_PD),
            industry: l.industry.index() as u8,
            bank: l.bank.clone(),
            firm: match (&l.firm, copy) {
                (Some(f), 0) => Some(f.clone()),
                (Some(f), k) => Some(format!("{f}#{}", k + 1)),
                (None, _) => None,
            },
        };
        let terms = LoanTerms {
            annual_rate: l.annual_rate,
            valuation_fee_rate: crate::scenario::DEFAULT_VALUATION_FEE_RATE,
            insurance_premium_rate: crate::scenario::DEFAULT_INSURANCE_PREMIUM_RATE,
        };
        self.push(d, l.repayment, l.pledge_rate, terms);
    }

    fn finish(self, buckets: bool) -> Book {
        let corr = self.scenario.risk.asset_correlation;
        let levels: Vec<Level> = self
            .level_pds
            .iter()
            .map(|&p| {
                let rho = corr.rho(p).clamp(0.0, 0.999_999);
                let mut threshold = [f64::NEG_INFINITY; 13];
                for (m, t) in threshold.iter_mut().enumerate().skip(1) {
                    *t = pd::threshold(pd::tenor_pd(p, m as u32));
                }
                Level {
                    pd_1y: p,
                    loading: FactorLoading::new(rho),
                    threshold,
                }
            })
            .collect();
        let end_month = self.loans.iter().map(Loan::end).max().unwrap_or(0);
        let life_years = end_month.div_ceil(12);
        let mut years = Vec::with_capacity(life_years as usize);
        let mut originations: Vec<u32> = (0..self.loans.len() as u32).collect();
        originations.sort_by_key(|&i| (self.loans[i as usize].start, i));
        for y in 0..if buckets { life_years } else { 0 } {
            let first = y * 12;
            let mut map: std::collections::BTreeMap<(u32, u8), Vec<Entry>> =
                std::collections::BTreeMap::new();
            for (i, l) in self.loans.iter().enumerate() {
                let from = l.start.max(first);
                let to = l.end().min(first + 12);
                if from >= to {
                    continue;
                }
                map.entry((l.level, l.industry)).or_default().push(Entry {
                    loan: i as u32,
                    from: (from - first) as u8,
                    to: (to - first) as u8,
                });
            }
            let mut year = YearBuckets::default();
            for ((level, industry), entries) in map {
                let start = year.entries.len() as u32;
                year.entries.extend(entries);
                year.buckets.push(Bucket {
                    level,
                    industry,
                    start,
                    end: year.entries.len() as u32,
                });
            }
            years.push(year);
        }
        let rules = &self.scenario.scheme.eligibility;
        let mut unchecked_rules = Vec::new();
        let checks: [(&'static str, bool); 8] = [
            ("firm_sizes", rules.firm_sizes.is_some()),
            ("regions", rules.regions.is_some()),
            ("clean_credit_years", rules.clean_credit_years.is_some()),
            ("min_ip_share", rules.min_ip_share.is_some()),
            ("max_guarantee_fee", rules.max_guarantee_fee.is_some()),
            ("require_valid_assets", rules.require_valid_assets),
            ("require_not_pledged", rules.require_not_pledged),
            ("require_clear_title", rules.require_clear_title),
        ];
        for (name, set) in checks {
            if set {
                unchecked_rules.push(name);
            }
        }
        Book {
            loans: self.loans,
            terms: self.terms,
            levels,
            schedules: self.schedules.into_iter().map(|(_, _, _, s)| s).collect(),
            years,
            originations,
            banks: self.banks,
            firms: self.firm_count,
            end_month,
            unchecked_rules,
            replicas: self.replicas,
            group_sizes: self.group_sizes,
        }
    }
}
