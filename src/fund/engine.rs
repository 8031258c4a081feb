//! The default fund engine: one path = factors → defaults → losses → claims → ledger.
//!
//! Defaults: Gaussian factors per year (a common factor, AR(1) across years with
//! `cycle_persistence`, and one factor per industry); a loan with effective PD `p` and
//! correlation `ρ` defaults in a year, given its composite factor `z`, with probability
//! `p(z) = Φ((Φ⁻¹(p_m) − √ρ z)/√(1−ρ))`, `p_m = 1 − (1 − p)^(m/12)` for `m` months of exposure
//! in that year. All loans of one (PD level, industry) bucket share `p(z)`, so the kernel draws
//! the *positions* of the defaults with geometric skips (`⌊ln U / ln(1−p)⌋` loans between
//! candidates) and its cost follows the number of defaults, not of loans; a candidate with a
//! partial year is accepted with probability `p_m(z)/p_12(z)` (thinning), and one that already
//! defaulted on this path is skipped. Both are exact: each alive loan defaults independently
//! with its conditional probability. The default month is uniform over the exposure months.
//!
//! Ledger: year by year, appropriation at the start, enrolment (leverage limit), claims in
//! order of their due month (per-layer and scheme annual caps, pauses, EU portfolio cap, then
//! the balance), recoveries to the fund after the year's claims, interest at the year end.
//! The engine draws nothing in the ledger, so runs that differ only in the capital use the
//! same random numbers.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, StandardNormal};

use super::book::Book;
use super::metrics::{H, HORIZON_METRICS, PathMetrics, Y, YEAR_METRICS};
use crate::rng::Stream;
use crate::scenario::{LgdSpec, Scenario};
use crate::scheme::{Recoveries, Trigger};

/// A default on one path.
#[derive(Clone, Copy, Debug)]
struct Default {
    loan: u32,
    /// Absolute month of default (0 = first month of year 1).
    month: u32,
    ead: f64,
    loss: f64,
}

/// A claim on the fund.
#[derive(Clone, Copy, Debug)]
struct Claim {
    due: u32,
    loan: u32,
    /// Offset of this claim's per-part amounts in `Scratch::parts`.
    parts: u32,
    /// Share of the amount paid that comes back to the fund, and when.
    recovery_rate: f64,
    recovery_due: u32,
}

/// Per-batch scratch space, reused across paths.
pub(crate) struct Scratch {
    defaulted: Vec<u32>,
    default_month: Vec<u32>,
    enrolled: Vec<u32>,
    stamp: u32,
    factors: Vec<f64>,
    defaults: Vec<Default>,
    claims: Vec<Claim>,
    parts: Vec<f64>,
    part_buf: Vec<f64>,
    recoveries: Vec<(u32, f64)>,
    bank_npl: Vec<f64>,
    paused: Vec<bool>,
}

impl Scratch {
    pub(crate) fn new(book: &Book, horizon: usize) -> Scratch {
        Scratch {
            defaulted: vec![0; book.loans.len()],
            default_month: vec![0; book.loans.len()],
            enrolled: vec![0; book.loans.len()],
            stamp: 0,
            factors: vec![0.0; horizon * 8],
            defaults: Vec::new(),
            claims: Vec::new(),
            parts: Vec::new(),
            part_buf: Vec::new(),
            recoveries: Vec::new(),
            bank_npl: vec![0.0; book.banks.len() * horizon],
            paused: vec![false; book.banks.len()],
        }
    }
}

/// Static per-run quantities the ledger needs.
pub(crate) struct Plan<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) book: &'a Book,
    pub(crate) initial_capital: f64,
    pub(crate) appropriations: Vec<f64>,
    pub(crate) collateral: super::settings::CollateralParams,
    /// Loans and principal originated per year, and their origination subsidies.
    pub(crate) static_enrolment: Vec<(f64, f64, f64)>,
    /// Interest subsidies per year if every loan performs.
    pub(crate) static_interest: Vec<f64>,
    pub(crate) interest_cap: f64,
}

impl<'a> Plan<'a> {
    pub(crate) fn new(
        scenario: &'a Scenario,
        book: &'a Book,
        initial_capital: f64,
        collateral: super::settings::CollateralParams,
    ) -> Plan<'a> {
        let h = scenario.horizon_years as usize;
        let mut appropriations: Vec<f64> = scenario
            .fund
            .appropriations
            .iter()
            .map(|m| m.to_f64())
            .collect();
        appropriations.resize(h, 0.0);
        let mut static_enrolment = vec![(0.0, 0.0, 0.0); h];
        for (y, loans) in book.originations.iter().enumerate() {
            for &l in loans {
                let loan = &book.loans[l as usize];
                static_enrolment[y].0 += 1.0;
                static_enrolment[y].1 += loan.amount;
                static_enrolment[y].2 += loan.origination_subsidy;
            }
        }
        let interest_cap = scenario
            .subsidies
            .interest
            .as_ref()
            .and_then(|i| i.cap_per_firm_year)
            .map_or(f64::INFINITY, |c| c.to_f64());
        let mut static_interest = vec![0.0; h];
        for loan in &book.loans {
            if loan.interest_subsidy_monthly > 0.0 {
                for (y, s) in static_interest.iter_mut().enumerate() {
                    let m = alive_months(loan.start, loan.end(), y as u32);
                    *s += (loan.interest_subsidy_monthly * f64::from(m)).min(interest_cap);
                }
            }
        }
        Plan {
            scenario,
            book,
            initial_capital,
            appropriations,
            collateral,
            static_enrolment,
            static_interest,
            interest_cap,
        }
    }
}

/// Months of `[start, end)` inside year `y` (0-based).
fn alive_months(start: u32, end: u32, y: u32) -> u32 {
    let from = start.max(y * 12);
    let to = end.min(y * 12 + 12);
    to.saturating_sub(from)
}

/// A uniform draw in (0, 1].
#[inline]
fn uniform_open0(rng: &mut Stream) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Simulates one path into `out`.
pub(crate) fn simulate_path(plan: &Plan, rng: &mut Stream, s: &mut Scratch, out: &mut PathMetrics) {
    let scenario = plan.scenario;
    let book = plan.book;
    let h = scenario.horizon_years as usize;
    s.stamp += 1;
    let stamp = s.stamp;

    // 1. Factors: composite z per (year, industry).
    let risk = &scenario.risk;
    let phi = risk.cycle_persistence;
    let a = (1.0 - risk.sector_share).sqrt();
    let b = risk.sector_share.sqrt();
    let mut common = 0.0f64;
    for y in 0..h {
        let e: f64 = rng.sample(StandardNormal);
        common = if y == 0 {
            e
        } else {
            phi * common + (1.0 - phi * phi).sqrt() * e
        };
        for j in 0..8 {
            let zi: f64 = rng.sample(StandardNormal);
            s.factors[y * 8 + j] = a * common + b * zi;
        }
    }

    // 2. Defaults, bucket by bucket, with geometric skips.
    s.defaults.clear();
    let lgd = risk.lgd;
    let floor = scenario.scheme.recovery_buyer_share;
    let beta = match lgd {
        LgdSpec::Collateral => Beta::new(
            plan.collateral.realisation_alpha,
            plan.collateral.realisation_beta,
        )
        .ok(),
        LgdSpec::Fixed(_) => None,
    };
    for (y, buckets) in book.years.iter().enumerate() {
        for bucket in buckets {
            let level = &book.levels[bucket.level as usize];
            let z = s.factors[y * 8 + bucket.industry as usize];
            let p_full = level.conditional(12, z);
            if p_full <= 0.0 {
                continue;
            }
            let ln_q = (-p_full).ln_1p();
            let n = bucket.entries.len();
            let mut i = 0usize;
            loop {
                if p_full < 1.0 {
                    let skip = uniform_open0(rng).ln() / ln_q;
                    if skip >= (n - i) as f64 {
                        break;
                    }
                    i += skip as usize;
                }
                if i >= n {
                    break;
                }
                let e = bucket.entries[i];
                i += 1;
                let li = e.loan as usize;
                if s.defaulted[li] == stamp {
                    continue;
                }
                let months = (e.to - e.from) as usize;
                if months < 12 {
                    let p_m = level.conditional(months, z);
                    if uniform_open0(rng) * p_full > p_m {
                        continue;
                    }
                }
                s.defaulted[li] = stamp;
                let month = y as u32 * 12
                    + u32::from(e.from)
                    + ((rng.random::<f64>() * months as f64) as u32).min(months as u32 - 1);
                s.default_month[li] = month;
                let loan = &book.loans[li];
                let ead = loan.exposure_at(month);
                let mut recovery = match lgd {
                    LgdSpec::Fixed(l) => ead * (1.0 - l),
                    LgdSpec::Collateral => {
                        let c = &plan.collateral;
                        let realised = beta.as_ref().map_or(c.realisation_mean, |d| d.sample(rng));
                        let vol = c.industry_factor_volatility;
                        let value = loan.appraised * (vol * z - 0.5 * vol * vol).exp();
                        let sale = value * realised * (1.0 - c.disposal_cost);
                        sale.max(c.recovery_floor * value).min(ead)
                    }
                };
                if let Some(f) = floor {
                    recovery = recovery.max(f * loan.appraised).min(ead);
                }
                s.defaults.push(Default {
                    loan: e.loan,
                    month,
                    ead,
                    loss: ead - recovery,
                });
            }
        }
    }

    // 3. Claims.
    let scheme = &scenario.scheme;
    let other_share = scheme.other_parties_share();
    s.claims.clear();
    s.parts.clear();
    let pro_rata = scheme.trigger == Trigger::Npl && scheme.recoveries == Recoveries::ProRata;
    let delay = scheme.disposal_delay_months;
    for d in &s.defaults {
        let loan = &book.loans[d.loan as usize];
        let (due, base, recovery_rate) = match scheme.trigger {
            Trigger::Npl if pro_rata => (
                d.month + scheme.claim_lag_months,
                d.ead,
                if d.ead > 0.0 {
                    (d.ead - d.loss) / d.ead
                } else {
                    0.0
                },
            ),
            Trigger::Npl => (d.month + scheme.claim_lag_months, d.loss, 0.0),
            Trigger::FinalLoss => (d.month + delay, d.loss, 0.0),
        };
        let year = d.month / 12 + 1;
        scheme.part_compensation(base, loan.amount, &mut s.part_buf);
        let total: f64 = s.part_buf.iter().sum();
        let cap = scheme.per_loan_cap_f64(year);
        let scale = if total > cap { cap / total } else { 1.0 };
        let offset = s.parts.len() as u32;
        s.parts.extend(s.part_buf.iter().map(|v| v * scale));
        s.claims.push(Claim {
            due,
            loan: d.loan,
            parts: offset,
            recovery_rate,
            recovery_due: (d.month + delay).max(due),
        });
    }
    // (due, loan) is unique on a path (a loan defaults once), so an unstable sort is exact.
    s.claims.sort_unstable_by_key(|c| (c.due, c.loan));

    // 4. Ledger.
    out.clear();
    let n_parts = scheme.part_annual_caps().len();
    let part_caps = scheme.part_annual_caps();
    let annual_cap = scheme.annual_cap_f64();
    let eu_share = scheme.eu_cap_share();
    let limited = scheme.liability_limited_to_balance;
    let leverage = scenario.leverage_limit();
    let pause_above = scheme.pause_bank_npl_above;
    let nb = book.banks.len();
    s.bank_npl.iter_mut().for_each(|v| *v = 0.0);
    s.recoveries.clear();
    for d in &s.defaults {
        let y = (d.month / 12) as usize;
        let loan = &book.loans[d.loan as usize];
        s.bank_npl[y * nb + loan.bank as usize] += d.ead;
        out.year[y][Y::DEFAULTS] += 1.0;
        out.year[y][Y::GROSS_LOSS] += d.loss;
        out.horizon[H::OTHER_PARTIES_LOSS] += other_share * d.loss;
    }
    // Interest subsidies lost to defaults.
    let mut lost_interest = vec![0.0; h];
    if plan.interest_cap > 0.0 && !plan.static_interest.iter().all(|v| *v == 0.0) {
        for d in &s.defaults {
            let loan = &book.loans[d.loan as usize];
            if loan.interest_subsidy_monthly <= 0.0 {
                continue;
            }
            let dy = (d.month / 12) as usize;
            for (y, lost) in lost_interest.iter_mut().enumerate().skip(dy) {
                let full = (loan.interest_subsidy_monthly
                    * f64::from(alive_months(loan.start, loan.end(), y as u32)))
                .min(plan.interest_cap);
                let kept = if y == dy {
                    (loan.interest_subsidy_monthly
                        * f64::from(alive_months(loan.start, d.month, y as u32)))
                    .min(plan.interest_cap)
                } else {
                    0.0
                };
                *lost += full - kept;
            }
        }
    }

    let mut balance = plan.initial_capital;
    let mut volume = 0.0;
    let mut eu_used = 0.0;
    let mut next_claim = 0usize;
    let mut shortfall_any = false;
    let mut part_used = vec![0.0; n_parts];
    for y in 0..h {
        balance += plan.appropriations[y];
        let start_balance = balance;
        let first = y as u32 * 12;
        // Pauses from last year's NPL ratios.
        let mut any_paused = false;
        for bank in 0..nb {
            let paused = match pause_above {
                Some(t) if y > 0 => {
                    let exposure = book.bank_exposure[y - 1][bank];
                    exposure > 0.0 && s.bank_npl[(y - 1) * nb + bank] / exposure > t
                }
                _ => false,
            };
            s.paused[bank] = paused;
            any_paused |= paused;
        }
        // Enrolment.
        let row = &mut out.year[y];
        match leverage {
            None => {
                let (count, principal, subsidy) = plan.static_enrolment[y];
                row[Y::ENROLLED] = count;
                volume += principal;
                out.horizon[H::CREDIT_ENABLED] += principal;
                row[Y::SUBSIDIES] += subsidy;
            }
            Some(limit) => {
                let mut outstanding = 0.0;
                for (i, loan) in book.loans.iter().enumerate() {
                    if s.enrolled[i] == stamp
                        && loan.start < first
                        && loan.end() > first
                        && !(s.defaulted[i] == stamp && s.default_month[i] < first)
                    {
                        outstanding += loan.exposure_at(first);
                    }
                }
                let room = limit * balance.max(0.0);
                for &l in &book.originations[y] {
                    let loan = &book.loans[l as usize];
                    if outstanding + loan.amount <= room {
                        outstanding += loan.amount;
                        s.enrolled[l as usize] = stamp;
                        row[Y::ENROLLED] += 1.0;
                        volume += loan.amount;
                        out.horizon[H::CREDIT_ENABLED] += loan.amount;
                        row[Y::SUBSIDIES] += loan.origination_subsidy;
                    } else {
                        row[Y::REFUSED] += 1.0;
                        // A refused loan gets no interest subsidy either.
                        // What the default adjustment did not already take off.
                        if loan.interest_subsidy_monthly > 0.0 {
                            let stop = if s.defaulted[l as usize] == stamp {
                                s.default_month[l as usize].min(loan.end())
                            } else {
                                loan.end()
                            };
                            for (yy, lost) in lost_interest.iter_mut().enumerate().skip(y) {
                                *lost += (loan.interest_subsidy_monthly
                                    * f64::from(alive_months(loan.start, stop, yy as u32)))
                                .min(plan.interest_cap);
                            }
                        }
                    }
                }
            }
        }
        // Claims due this year.
        part_used.iter_mut().for_each(|v| *v = 0.0);
        let mut annual_used = 0.0;
        let mut shortfall = false;
        let end = first + 12;
        while next_claim < s.claims.len() && s.claims[next_claim].due < end {
            let c = s.claims[next_claim];
            next_claim += 1;
            let loan = &book.loans[c.loan as usize];
            let enrolled = leverage.is_none() || s.enrolled[c.loan as usize] == stamp;
            let mut owed = 0.0;
            if enrolled && !s.paused[loan.bank as usize] {
                for k in 0..n_parts {
                    let part =
                        s.parts[c.parts as usize + k].min((part_caps[k] - part_used[k]).max(0.0));
                    part_used[k] += part;
                    owed += part;
                }
                owed = owed.min((annual_cap - annual_used).max(0.0));
                annual_used += owed;
                if let Some(share) = eu_share {
                    owed = owed.min((share * volume - eu_used).max(0.0));
                    eu_used += owed;
                }
            }
            let paid = if limited {
                let p = owed.min(balance.max(0.0));
                if p < owed - 1e-9 * owed.max(1.0) {
                    shortfall = true;
                }
                p
            } else {
                owed
            };
            balance -= paid;
            if !limited && balance < -1e-9 {
                shortfall = true;
            }
            let row = &mut out.year[y];
            row[Y::CLAIMS] += owed;
            row[Y::PAID] += paid;
            if c.recovery_rate > 0.0 && paid > 0.0 {
                s.recoveries.push((c.recovery_due, paid * c.recovery_rate));
            }
        }
        // Recoveries due this year, after the year's claims.
        let mut recovered = 0.0;
        s.recoveries.retain(|&(due, amount)| {
            if due < end {
                recovered += amount;
                false
            } else {
                true
            }
        });
        balance += recovered;
        out.horizon[H::RECOVERIES_TO_FUND] += recovered;
        balance += start_balance.max(0.0) * scenario.fund.interest_rate;
        let row = &mut out.year[y];
        row[Y::SUBSIDIES] += plan.static_interest[y] - lost_interest[y];
        row[Y::BALANCE_END] = balance;
        row[Y::SHORTFALL] = f64::from(u8::from(shortfall));
        row[Y::PAUSE] = f64::from(u8::from(any_paused));
        shortfall_any |= shortfall;
    }
    let mut totals = [0.0; YEAR_METRICS];
    for row in &out.year {
        for (t, v) in totals.iter_mut().zip(row.iter()) {
            *t += v;
        }
    }
    let hz = &mut out.horizon;
    hz[H::DEFAULTS] = totals[Y::DEFAULTS];
    hz[H::GROSS_LOSS] = totals[Y::GROSS_LOSS];
    hz[H::CLAIMS] = totals[Y::CLAIMS];
    hz[H::PAID] = totals[Y::PAID];
    hz[H::SUBSIDIES] = totals[Y::SUBSIDIES];
    hz[H::REFUSED] = totals[Y::REFUSED];
    hz[H::SHORTFALL] = f64::from(u8::from(shortfall_any));
    hz[H::BANK_LOSS] =
        hz[H::GROSS_LOSS] - hz[H::OTHER_PARTIES_LOSS] - hz[H::PAID] + hz[H::RECOVERIES_TO_FUND];
    hz[H::PUBLIC_COST] = hz[H::PAID] - hz[H::RECOVERIES_TO_FUND] + hz[H::SUBSIDIES];
    debug_assert_eq!(hz.len(), HORIZON_METRICS);
}
