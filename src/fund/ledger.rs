//! The fund ledger: a pure, monthly account of one path. It takes the path's default events
//! (from `sampler`) and applies the scheme and fund rules to them, drawing nothing, so the
//! same events can be re-run under another capital or other rules (common random numbers).
//!
//! Semantics (`ARCHITECTURE.md` § "fund ledger" states them in full; a plain reference
//! implementation in `tests/fund_reference_ledger.rs` checks this one exactly):
//! month by month from the first month of year 1 to the end of the year of the last
//! settlement: appropriation (horizon years) and the banks' pause state at each year start;
//! enrolment of the loans originated that month, in origination order (eligibility, pause,
//! leverage limit against the outstanding enrolled exposure at that month); the month's
//! defaults; claims due that month in due order through per-layer and scheme annual caps, the
//! EU portfolio cap and the balance; recoveries due; subsidies at each year end; interest on
//! the month's opening balance.

use std::collections::VecDeque;

use super::book::{Book, Loan};
use super::metrics::{PathMetrics, Period, Total, YearMetric};
use super::sampler::DefaultEvent;
use crate::scenario::Scenario;
use crate::scheme::{CompensationRule, Recoveries, Trigger};

/// Relative tolerance under which an unpaid remainder is rounding, not a shortfall.
const SHORT_TOLERANCE: f64 = 1e-9;

/// The rules and constants of the ledger for one run (and one capital).
#[derive(Clone)]
pub(crate) struct LedgerPlan<'a> {
    pub(crate) book: &'a Book,
    /// The scheme's per-loan compensation, in kernel units.
    compensation: CompensationRule,
    horizon_years: u32,
    /// Months simulated: whole years up to the last settlement, at least the horizon.
    months: u32,
    pub(crate) initial_capital: f64,
    appropriations: Vec<f64>,
    monthly_interest: f64,
    leverage: Option<f64>,
    pause_above: Option<f64>,
    limited: bool,
    /// Months from default to the claim's due month.
    claim_offset: u32,
    /// Months from default to the sale (recoveries flow back to the fund then).
    recovery_offset: u32,
    /// The claim is on the whole EAD and the fund shares the recoveries (NPL + pro rata).
    pro_rata: bool,
    other_share: f64,
    part_caps: Vec<f64>,
    annual_cap: f64,
    eu_share: Option<f64>,
    subsidies_from_fund: bool,
    interest_cap: f64,
    has_interest_subsidy: bool,
    /// No leverage limit and no pause: every eligible loan enrols on every path.
    static_enrolment: bool,
    /// With static enrolment: the outstanding-exposure deltas per bank and month.
    static_deltas: Vec<f64>,
    /// With static enrolment: the changes of the number of outstanding loans per bank and
    /// month.
    static_counts: Vec<i32>,
    /// With static enrolment: the interest-subsidy accumulators per (year, firm) and the
    /// capped totals per year.
    static_interest: Vec<f64>,
    static_interest_capped: Vec<f64>,
    static_interest_accruing: Vec<i32>,
    /// With static enrolment: the enrolment outcome of each origination month, in month
    /// order (the same on every path, so a path adds it instead of visiting every loan).
    static_months: Vec<StaticMonth>,
    /// Without static enrolment and without interest subsidies: each origination month's
    /// loans summed up, enrolled at once on a path where no bank is paused and the whole
    /// month fits under the leverage limit (else loan by loan, as always).
    month_batches: Vec<MonthBatch>,
}

/// The loans originated in one month, summed up so that a path where all of them enrol books
/// them in a few steps (exactly what `LedgerPlan::enrol` books loan by loan, summed).
#[derive(Clone, Debug, Default)]
struct MonthBatch {
    /// What enrols and what is ineligible (`month` is the origination month).
    sums: StaticMonth,
    /// One past the month's last index in `Book::originations`.
    end: usize,
    /// The eligible loans.
    loans: Vec<u32>,
    /// Per bank: the principal and the number of eligible loans starting this month.
    start: Vec<(usize, f64, i32)>,
    /// The summed exposure changes after the start month, at their index in
    /// `LedgerScratch::deltas`, and the changes of the loan counts in `LedgerScratch::counts`.
    deltas: Vec<(usize, f64)>,
    counts: Vec<(usize, i32)>,
}

/// What enrols (and what is ineligible) in one origination month when enrolment is static.
#[derive(Clone, Copy, Debug, Default)]
struct StaticMonth {
    month: u32,
    enrolled: f64,
    principal: f64,
    ineligible: f64,
    ineligible_principal: f64,
    origination_subsidy: f64,
}

/// A claim waiting for its due month.
#[derive(Clone, Copy, Debug)]
struct Claim {
    due: u32,
    default_month: u32,
    /// Offset of its per-part amounts in `LedgerScratch::parts`.
    parts: u32,
    /// Share of the amount paid that flows back to the fund at the sale.
    recovery_rate: f64,
}

/// Recoveries owed to the fund.
#[derive(Clone, Copy, Debug)]
struct Recovery {
    due: u32,
    default_month: u32,
    amount: f64,
}

/// Per-batch scratch of the ledger, reused across paths.
pub(crate) struct LedgerScratch {
    enrolled: Vec<u32>,
    stamp: u32,
    /// Outstanding enrolled exposure changes per bank and month: `[bank * months + m]`.
    deltas: Vec<f64>,
    running: Vec<f64>,
    /// Changes of the number of outstanding enrolled loans per bank and month (same layout):
    /// a bank with none outstanding has exactly zero exposure, whatever the rounding left in
    /// `running`.
    counts: Vec<i32>,
    running_count: Vec<i32>,
    npl_principal: Vec<f64>,
    npl_base: Vec<f64>,
    paused: Vec<bool>,
    claims: VecDeque<Claim>,
    parts: Vec<f64>,
    part_buf: Vec<f64>,
    part_used: Vec<f64>,
    recoveries: VecDeque<Recovery>,
    interest: Vec<f64>,
    interest_capped: Vec<f64>,
    /// Per year, the enrolled loans accruing an interest subsidy in it: with none, the year's
    /// interest subsidy is exactly zero, whatever the rounding left in `interest_capped`.
    interest_accruing: Vec<i32>,
    origination_subsidies: Vec<f64>,
}

impl LedgerScratch {
    pub(crate) fn new(plan: &LedgerPlan) -> LedgerScratch {
        let book = plan.book;
        let nb = book.banks.len();
        let years = (plan.months / 12) as usize;
        LedgerScratch {
            enrolled: vec![0; book.loans.len()],
            stamp: 0,
            deltas: vec![0.0; nb * (plan.months as usize + 1)],
            running: vec![0.0; nb],
            counts: vec![0; nb * (plan.months as usize + 1)],
            running_count: vec![0; nb],
            npl_principal: vec![0.0; nb],
            npl_base: vec![0.0; nb],
            paused: vec![false; nb],
            claims: VecDeque::new(),
            parts: Vec::new(),
            part_buf: Vec::new(),
            part_used: vec![0.0; plan.part_caps.len()],
            recoveries: VecDeque::new(),
            interest: if plan.has_interest_subsidy {
                vec![0.0; years * book.firms as usize]
            } else {
                Vec::new()
            },
            interest_capped: vec![0.0; years],
            interest_accruing: vec![0; years],
            origination_subsidies: vec![0.0; years],
        }
    }
}

/// Months of `[from, to)` inside year `y` (0-based).
fn months_in_year(from: u32, to: u32, y: u32) -> u32 {
    to.min(y * 12 + 12).saturating_sub(from.max(y * 12))
}

/// Adds the outstanding-exposure profile of `loan` (enrolled at its start) to `deltas`,
/// from month `start + 1` on (the start month's exposure is added to the running total by the
/// caller), scaled by `sign`.
fn schedule_deltas(book: &Book, loan: &Loan, months: usize, deltas: &mut [f64], sign: f64) {
    let row = &mut deltas[loan.bank as usize * (months + 1)..][..months + 1];
    match loan.schedule {
        None => row[loan.end() as usize] -= sign * loan.amount,
        Some(i) => {
            let s = &book.schedules[i as usize];
            let mut prev = s.outstanding_after(0);
            for k in 1..loan.tenor {
                let o = s.outstanding_after(k);
                row[(loan.start + k) as usize] += sign * loan.amount * (o - prev);
                prev = o;
            }
            row[loan.end() as usize] -= sign * loan.amount * prev;
        }
    }
}

/// Cancels the remaining exposure of an enrolled `loan` defaulting in `month`: from month
/// `month + 1` on it no longer counts.
fn cancel_after_default(
    book: &Book,
    loan: &Loan,
    month: u32,
    months: usize,
    (deltas, counts): (&mut [f64], &mut [i32]),
) {
    let next = month + 1;
    if next >= loan.end() {
        return;
    }
    let at = loan.bank as usize * (months + 1);
    counts[at + next as usize] -= 1;
    counts[at + loan.end() as usize] += 1;
    let row = &mut deltas[at..][..months + 1];
    match loan.schedule {
        None => {
            row[next as usize] -= loan.amount;
            row[loan.end() as usize] += loan.amount;
        }
        Some(i) => {
            let s = &book.schedules[i as usize];
            let mut prev = s.outstanding_after(next - loan.start);
            row[next as usize] -= loan.amount * prev;
            for k in (next - loan.start + 1)..loan.tenor {
                let o = s.outstanding_after(k);
                row[(loan.start + k) as usize] -= loan.amount * (o - prev);
                prev = o;
            }
            row[loan.end() as usize] += loan.amount * prev;
        }
    }
}

/// Adds `amount` to the interest subsidy accrued by `firm` in year `y` and keeps the year's
/// capped total (`Σ_firm min(accrued, cap)`) current.
fn accrue_interest(
    acc: &mut [f64],
    capped: &mut [f64],
    firms: usize,
    cap: f64,
    (y, firm): (usize, usize),
    amount: f64,
) {
    let slot = &mut acc[y * firms + firm];
    let old = *slot;
    let new = old + amount;
    *slot = new;
    capped[y] += new.min(cap) - old.min(cap);
}

/// Accrues (sign 1) or takes back (sign −1) a loan's interest subsidy for its performing
/// months in `[from, loan end)`, and counts per year the loans that accrue in it.
fn interest_profile(
    plan: &LedgerPlan,
    loan: &Loan,
    from: u32,
    sign: f64,
    acc: &mut [f64],
    (capped, accruing): (&mut [f64], &mut [i32]),
) {
    if loan.interest_subsidy_monthly <= 0.0 {
        return;
    }
    let firms = plan.book.firms as usize;
    let years = capped.len() as u32;
    for y in from / 12..loan.end().div_ceil(12).min(years) {
        let m = months_in_year(from.max(loan.start), loan.end(), y);
        if m > 0 {
            if sign > 0.0 {
                accruing[y as usize] += 1;
            } else if months_in_year(loan.start, from, y) == 0 {
                // Taken back for the whole year: it no longer accrues in it.
                accruing[y as usize] -= 1;
            }
            accrue_interest(
                acc,
                capped,
                firms,
                plan.interest_cap,
                (y as usize, loan.firm as usize),
                sign * loan.interest_subsidy_monthly * f64::from(m),
            );
        }
    }
}

/// The [`MonthBatch`]es of a book, one per origination month in origination order.
fn month_batches(book: &Book, months: usize) -> Vec<MonthBatch> {
    let nb = book.banks.len();
    let mut deltas = vec![0.0; nb * (months + 1)];
    let mut counts = vec![0i32; nb * (months + 1)];
    let mut touched: Vec<usize> = Vec::new();
    let mut batches: Vec<MonthBatch> = Vec::new();
    for (i, &li) in book.originations.iter().enumerate() {
        let loan = &book.loans[li as usize];
        if batches.last().is_none_or(|b| b.sums.month != loan.start) {
            batches.push(MonthBatch {
                sums: StaticMonth {
                    month: loan.start,
                    ..StaticMonth::default()
                },
                ..MonthBatch::default()
            });
        }
        let Some(b) = batches.last_mut() else {
            continue;
        };
        b.end = i + 1;
        if loan.eligible {
            b.sums.enrolled += 1.0;
            b.sums.principal += loan.amount;
            b.sums.origination_subsidy += loan.origination_subsidy;
            b.loans.push(li);
            let bank = usize::from(loan.bank);
            match b.start.iter_mut().find(|(k, _, _)| *k == bank) {
                Some((_, amount, n)) => {
                    *amount += loan.amount;
                    *n += 1;
                }
                None => b.start.push((bank, loan.amount, 1)),
            }
            let row = bank * (months + 1);
            counts[row + loan.end() as usize] -= 1;
            schedule_deltas(book, loan, months, &mut deltas, 1.0);
            touched.extend((loan.start as usize + 1..=loan.end() as usize).map(|m| row + m));
        } else {
            b.sums.ineligible += 1.0;
            b.sums.ineligible_principal += loan.amount;
        }
        // After the month's last loan: collect its sums and clear the scratch.
        let last = book
            .originations
            .get(i + 1)
            .is_none_or(|&next| book.loans[next as usize].start != loan.start);
        if last {
            touched.sort_unstable();
            touched.dedup();
            for &at in &touched {
                if deltas[at] != 0.0 {
                    b.deltas.push((at, deltas[at]));
                }
                if counts[at] != 0 {
                    b.counts.push((at, counts[at]));
                }
                deltas[at] = 0.0;
                counts[at] = 0;
            }
            touched.clear();
        }
    }
    batches
}

impl<'a> LedgerPlan<'a> {
    /// The ledger of `scenario` with `initial_capital`; `lift_leverage` drops the leverage
    /// limit (sizing: the capital the whole eligible book needs).
    pub(crate) fn new(
        scenario: &'a Scenario,
        book: &'a Book,
        initial_capital: f64,
        lift_leverage: bool,
    ) -> Self {
        let scheme = &scenario.scheme;
        let h = scenario.horizon_years;
        let pro_rata = scheme.trigger == Trigger::Npl && scheme.recoveries == Recoveries::ProRata;
        let claim_offset = match scheme.trigger {
            Trigger::Npl => scheme.claim_lag_months,
            Trigger::FinalLoss => scheme.disposal_delay_months,
        };
        let recovery_offset = scheme.disposal_delay_months.max(claim_offset);
        let settle_offset = if pro_rata {
            recovery_offset
        } else {
            claim_offset
        };
        let last = book.end_month.saturating_sub(1) + settle_offset;
        let months = ((last + 1).div_ceil(12) * 12).max(h * 12);
        let mut appropriations: Vec<f64> = scenario
            .fund
            .appropriations
            .iter()
            .map(|m| m.to_f64())
            .collect();
        appropriations.resize(h as usize, 0.0);
        let subsidies = &scenario.subsidies;
        let interest_cap = subsidies
            .interest
            .as_ref()
            .and_then(|i| i.cap_per_firm_year)
            .map_or(f64::INFINITY, |c| c.to_f64());
        let has_interest_subsidy = book.loans.iter().any(|l| l.interest_subsidy_monthly > 0.0);
        let leverage = if lift_leverage {
            None
        } else {
            scenario.leverage_limit()
        };
        let pause_above = scheme.pause_bank_npl_above;
        let mut plan = LedgerPlan {
            book,
            compensation: scheme.compensation_rule(),
            horizon_years: h,
            months,
            initial_capital,
            appropriations,
            monthly_interest: scenario.fund.interest_rate / 12.0,
            leverage,
            pause_above,
            limited: scheme.liability_limited_to_balance,
            claim_offset,
            recovery_offset,
            pro_rata,
            other_share: scheme.other_parties_share(),
            part_caps: scheme.part_annual_caps(),
            annual_cap: scheme.annual_cap_f64(),
            eu_share: scheme.eu_cap_share(),
            subsidies_from_fund: subsidies.paid_from == crate::scheme::PaidFrom::Fund,
            interest_cap,
            has_interest_subsidy,
            static_enrolment: leverage.is_none() && pause_above.is_none(),
            static_deltas: Vec::new(),
            static_counts: Vec::new(),
            static_interest: Vec::new(),
            static_interest_capped: Vec::new(),
            static_months: Vec::new(),
            static_interest_accruing: Vec::new(),
            month_batches: Vec::new(),
        };
        if !plan.static_enrolment && !has_interest_subsidy {
            plan.month_batches = month_batches(book, months as usize);
        }
        if plan.static_enrolment {
            let nb = book.banks.len();
            let m = months as usize;
            let mut deltas = vec![0.0; nb * (m + 1)];
            let mut counts = vec![0; nb * (m + 1)];
            let years = (months / 12) as usize;
            let mut acc = vec![
                0.0;
                if has_interest_subsidy {
                    years * book.firms as usize
                } else {
                    0
                }
            ];
            let mut capped = vec![0.0; years];
            let mut accruing = vec![0; years];
            for loan in book.loans.iter().filter(|l| l.eligible) {
                let at = loan.bank as usize * (m + 1);
                deltas[at + loan.start as usize] += loan.amount;
                counts[at + loan.start as usize] += 1;
                counts[at + loan.end() as usize] -= 1;
                schedule_deltas(book, loan, m, &mut deltas, 1.0);
                if has_interest_subsidy {
                    interest_profile(
                        &plan,
                        loan,
                        loan.start,
                        1.0,
                        &mut acc,
                        (&mut capped, &mut accruing),
                    );
                }
            }
            plan.static_deltas = deltas;
            plan.static_counts = counts;
            plan.static_interest = acc;
            plan.static_interest_capped = capped;
            plan.static_interest_accruing = accruing;
            let mut by_month: Vec<StaticMonth> = Vec::new();
            for &li in &book.originations {
                let loan = &book.loans[li as usize];
                if loan.start >= h * 12 {
                    continue;
                }
                if by_month.last().is_none_or(|x| x.month != loan.start) {
                    by_month.push(StaticMonth {
                        month: loan.start,
                        ..StaticMonth::default()
                    });
                }
                let Some(x) = by_month.last_mut() else {
                    continue;
                };
                if loan.eligible {
                    x.enrolled += 1.0;
                    x.principal += loan.amount;
                    x.origination_subsidy += loan.origination_subsidy;
                } else {
                    x.ineligible += 1.0;
                    x.ineligible_principal += loan.amount;
                }
            }
            plan.static_months = by_month;
        }
        plan
    }

    /// Months after the horizon until the last settlement (whole years).
    pub(crate) fn run_off_months(&self) -> u32 {
        self.months - self.horizon_years * 12
    }

    fn is_enrolled(&self, s: &LedgerScratch, loan: u32) -> bool {
        if self.static_enrolment {
            self.book.loans[loan as usize].eligible
        } else {
            s.enrolled[loan as usize] == s.stamp
        }
    }

    /// Runs the ledger of one path over its default events (in month order) into `out`.
    pub(crate) fn run(
        &self,
        events: &[DefaultEvent],
        s: &mut LedgerScratch,
        out: &mut PathMetrics,
    ) {
        let book = self.book;
        let months = self.months as usize;
        let nb = book.banks.len();
        let h_months = self.horizon_years * 12;
        out.clear();
        s.stamp = s.stamp.wrapping_add(1);
        if s.stamp == 0 {
            s.enrolled.iter_mut().for_each(|v| *v = 0);
            s.stamp = 1;
        }
        if self.static_enrolment {
            s.deltas.copy_from_slice(&self.static_deltas);
            s.counts.copy_from_slice(&self.static_counts);
            s.interest.copy_from_slice(&self.static_interest);
            s.interest_capped
                .copy_from_slice(&self.static_interest_capped);
            s.interest_accruing
                .copy_from_slice(&self.static_interest_accruing);
        } else {
            s.deltas.iter_mut().for_each(|v| *v = 0.0);
            s.counts.iter_mut().for_each(|v| *v = 0);
            s.interest.iter_mut().for_each(|v| *v = 0.0);
            s.interest_capped.iter_mut().for_each(|v| *v = 0.0);
            s.interest_accruing.iter_mut().for_each(|v| *v = 0);
        }
        s.running.iter_mut().for_each(|v| *v = 0.0);
        s.running_count.iter_mut().for_each(|v| *v = 0);
        s.npl_principal.iter_mut().for_each(|v| *v = 0.0);
        s.npl_base.iter_mut().for_each(|v| *v = 0.0);
        s.paused.iter_mut().for_each(|v| *v = false);
        s.origination_subsidies.iter_mut().for_each(|v| *v = 0.0);
        s.claims.clear();
        s.parts.clear();
        s.recoveries.clear();

        let mut balance = self.initial_capital;
        let mut volume = 0.0;
        let mut eu_used = 0.0;
        let mut annual_used = 0.0;
        let mut next_origination = 0usize;
        let mut next_batch = 0usize;
        let mut next_event = 0usize;
        let mut year_short = false;
        let mut year_paused = false;
        let mut peak = [0.0f64; 2];
        for m in 0..self.months {
            let y = m / 12;
            let in_horizon = m < h_months;
            if m % 12 == 0 {
                if in_horizon {
                    balance += self.appropriations[y as usize];
                }
                s.part_used.iter_mut().for_each(|v| *v = 0.0);
                annual_used = 0.0;
                year_short = false;
                year_paused = false;
            }
            for (b, (r, c)) in s.running.iter_mut().zip(&mut s.running_count).enumerate() {
                *r += s.deltas[b * (months + 1) + m as usize];
                *c += s.counts[b * (months + 1) + m as usize];
                if *c == 0 {
                    // Rounding must not leave exposure behind the last loan.
                    *r = 0.0;
                }
            }
            if m % 12 == 0 {
                self.year_start_pauses(s, y);
                year_paused = s.paused.iter().any(|p| *p);
                s.npl_base.copy_from_slice(&s.running);
            }
            // Enrolment: static (the same every path) or loan by loan.
            if self.static_enrolment {
                if let Some(x) = self
                    .static_months
                    .get(next_origination)
                    .filter(|x| x.month == m)
                {
                    next_origination += 1;
                    volume += x.principal;
                    self.add_static_month(s, out, x);
                }
            }
            if let Some(batch) = self
                .month_batches
                .get(next_batch)
                .filter(|b| b.sums.month == m)
            {
                next_batch += 1;
                if !year_paused && self.batch_fits(s, batch, balance) {
                    self.enrol_batch(s, out, batch, &mut volume);
                    next_origination = batch.end;
                }
            }
            while !self.static_enrolment && next_origination < book.originations.len() {
                let li = book.originations[next_origination];
                let loan = &book.loans[li as usize];
                if loan.start != m {
                    break;
                }
                next_origination += 1;
                self.enrol(s, out, li, loan, balance, &mut volume);
            }
            let outstanding: f64 = s.running.iter().sum();
            if balance > 0.0 {
                let p = &mut peak[usize::from(!in_horizon)];
                *p = p.max(outstanding / balance);
            }
            let opening = balance;
            // Defaults.
            while next_event < events.len() && events[next_event].month == m {
                let e = events[next_event];
                next_event += 1;
                self.default(s, out, &e, in_horizon);
            }
            // Claims due.
            while s.claims.front().is_some_and(|c| c.due == m) {
                let Some(c) = s.claims.pop_front() else { break };
                let mut owed = 0.0;
                for (k, used) in s.part_used.iter_mut().enumerate() {
                    let part =
                        s.parts[c.parts as usize + k].min((self.part_caps[k] - *used).max(0.0));
                    *used += part;
                    owed += part;
                }
                owed = owed.min((self.annual_cap - annual_used).max(0.0));
                annual_used += owed;
                if let Some(share) = self.eu_share {
                    owed = owed.min((share * volume - eu_used).max(0.0));
                }
                let (paid, short) = self.pay(&mut balance, owed);
                // The EU cap bounds what the fund pays: a claim cut by the balance uses
                // only what was paid.
                eu_used += paid;
                year_short |= short;
                out.add(in_horizon, Total::Claims, owed);
                out.add(in_horizon, Total::Paid, paid);
                out.add(in_horizon, Total::Shortfall, f64::from(u8::from(short)));
                out.add(c.default_month < h_months, Total::BankLoss, -paid);
                if in_horizon {
                    out.year[y as usize][YearMetric::Claims] += owed;
                    out.year[y as usize][YearMetric::Paid] += paid;
                }
                if c.recovery_rate > 0.0 && paid > 0.0 {
                    s.recoveries.push_back(Recovery {
                        due: c.default_month + self.recovery_offset,
                        default_month: c.default_month,
                        amount: paid * c.recovery_rate,
                    });
                }
            }
            // Recoveries due.
            while s.recoveries.front().is_some_and(|r| r.due == m) {
                let Some(r) = s.recoveries.pop_front() else {
                    break;
                };
                balance += r.amount;
                out.add(in_horizon, Total::RecoveriesToFund, r.amount);
                out.add(r.default_month < h_months, Total::BankLoss, r.amount);
            }
            // Subsidies at the year end.
            if m % 12 == 11 {
                let yi = y as usize;
                let interest = if s.interest_accruing[yi] > 0 {
                    s.interest_capped[yi]
                } else {
                    0.0
                };
                let subsidies = s.origination_subsidies[yi] + interest;
                if subsidies != 0.0 {
                    out.add(in_horizon, Total::Subsidies, subsidies);
                    if self.subsidies_from_fund {
                        let (_, short) = self.pay(&mut balance, subsidies);
                        year_short |= short;
                        out.add(in_horizon, Total::Shortfall, f64::from(u8::from(short)));
                    }
                }
                if in_horizon {
                    out.year[yi][YearMetric::Subsidies] = subsidies;
                }
            }
            balance += opening.max(0.0) * self.monthly_interest;
            if m % 12 == 11 && in_horizon {
                let row = &mut out.year[y as usize];
                row[YearMetric::BalanceEnd] = balance;
                row[YearMetric::Shortfall] = f64::from(u8::from(year_short));
                row[YearMetric::Pause] = f64::from(u8::from(year_paused));
            }
        }
        debug_assert!(s.claims.is_empty() && s.recoveries.is_empty());
        debug_assert_eq!(nb, s.running.len());
        for p in Period::ALL {
            let t = out.period(p);
            t[Total::Shortfall] = f64::from(u8::from(t[Total::Shortfall] > 0.0));
            t[Total::PublicCost] = t[Total::Paid] - t[Total::RecoveriesToFund]
                + t[Total::Subsidies]
                + t[Total::BuyerOutlay];
        }
        out.period(Period::Horizon)[Total::PeakLeverage] = peak[0];
        out.period(Period::RunOff)[Total::PeakLeverage] = peak[1];
        out.period(Period::Lifetime)[Total::PeakLeverage] = peak[0].max(peak[1]);
    }

    /// Pays `owed` from the balance; returns what was paid and whether it fell short.
    fn pay(&self, balance: &mut f64, owed: f64) -> (f64, bool) {
        if self.limited {
            let paid = owed.min(balance.max(0.0));
            *balance -= paid;
            (paid, paid < owed - SHORT_TOLERANCE * owed.max(1.0))
        } else {
            *balance -= owed;
            // Nothing owed is never short, even on a balance already below zero.
            (owed, owed > 0.0 && *balance < -SHORT_TOLERANCE)
        }
    }

    /// The banks paused in year `y` (0-based) by their NPL ratio over year `y − 1`.
    fn year_start_pauses(&self, s: &mut LedgerScratch, y: u32) {
        let Some(t) = self.pause_above else { return };
        for b in 0..s.paused.len() {
            let base = s.npl_base[b];
            s.paused[b] =
                y >= 1 && y < self.horizon_years && base > 0.0 && s.npl_principal[b] / base > t;
            s.npl_principal[b] = 0.0;
        }
    }

    /// Books a static month's enrolments (the sums of what `enrol` would book loan by loan).
    fn add_static_month(&self, s: &mut LedgerScratch, out: &mut PathMetrics, x: &StaticMonth) {
        let y = (x.month / 12) as usize;
        let row = &mut out.year[y];
        row[YearMetric::Enrolled] += x.enrolled;
        row[YearMetric::PrincipalEnrolled] += x.principal;
        row[YearMetric::Ineligible] += x.ineligible;
        row[YearMetric::IneligiblePrincipal] += x.ineligible_principal;
        for p in [Period::Horizon, Period::Lifetime] {
            let t = out.period(p);
            t[Total::Enrolled] += x.enrolled;
            t[Total::CreditEnabled] += x.principal;
            t[Total::Ineligible] += x.ineligible;
            t[Total::IneligiblePrincipal] += x.ineligible_principal;
        }
        s.origination_subsidies[y] += x.origination_subsidy;
    }

    /// Whether every eligible loan of `batch` enrols loan by loan when no bank is paused (the
    /// caller knows): the month's whole principal under the leverage limit with a margin (1e-9
    /// relative) far above the rounding of the outstanding total that `enrol` sums loan after
    /// loan.
    fn batch_fits(&self, s: &LedgerScratch, batch: &MonthBatch, balance: f64) -> bool {
        self.leverage.is_none_or(|limit| {
            let outstanding: f64 = s.running.iter().sum();
            (outstanding + batch.sums.principal) * (1.0 + 1e-9) <= limit * balance.max(0.0)
        })
    }

    /// Enrols every eligible loan of `batch` (what `enrol` books for each, summed).
    fn enrol_batch(
        &self,
        s: &mut LedgerScratch,
        out: &mut PathMetrics,
        batch: &MonthBatch,
        volume: &mut f64,
    ) {
        for &li in &batch.loans {
            s.enrolled[li as usize] = s.stamp;
        }
        for &(bank, amount, n) in &batch.start {
            s.running[bank] += amount;
            s.running_count[bank] += n;
            s.npl_base[bank] += amount;
        }
        for &(at, d) in &batch.deltas {
            s.deltas[at] += d;
        }
        for &(at, c) in &batch.counts {
            s.counts[at] += c;
        }
        *volume += batch.sums.principal;
        self.add_static_month(s, out, &batch.sums);
    }

    /// Enrols loan `li` at its origination month, or counts its refusal.
    fn enrol(
        &self,
        s: &mut LedgerScratch,
        out: &mut PathMetrics,
        li: u32,
        loan: &Loan,
        balance: f64,
        volume: &mut f64,
    ) {
        let y = (loan.start / 12) as usize;
        let row = &mut out.year[y];
        let (count, principal) = if !loan.eligible {
            (YearMetric::Ineligible, YearMetric::IneligiblePrincipal)
        } else if s.paused[loan.bank as usize] {
            (
                YearMetric::RefusedPaused,
                YearMetric::RefusedPausedPrincipal,
            )
        } else if self.leverage.is_some_and(|limit| {
            let outstanding: f64 = s.running.iter().sum();
            outstanding + loan.amount > limit * balance.max(0.0)
        }) {
            (
                YearMetric::RefusedLeverage,
                YearMetric::RefusedLeveragePrincipal,
            )
        } else {
            (YearMetric::Enrolled, YearMetric::PrincipalEnrolled)
        };
        row[count] += 1.0;
        row[principal] += loan.amount;
        let totals = out.period(Period::Horizon);
        let (tc, tp) = match count {
            YearMetric::Ineligible => (Total::Ineligible, Total::IneligiblePrincipal),
            YearMetric::RefusedPaused => (Total::RefusedPaused, Total::RefusedPausedPrincipal),
            YearMetric::RefusedLeverage => {
                (Total::RefusedLeverage, Total::RefusedLeveragePrincipal)
            }
            _ => (Total::Enrolled, Total::CreditEnabled),
        };
        totals[tc] += 1.0;
        totals[tp] += loan.amount;
        let life = out.period(Period::Lifetime);
        life[tc] += 1.0;
        life[tp] += loan.amount;
        if count != YearMetric::Enrolled {
            return;
        }
        *volume += loan.amount;
        s.origination_subsidies[y] += loan.origination_subsidy;
        if self.static_enrolment {
            return;
        }
        s.enrolled[li as usize] = s.stamp;
        let months = self.months as usize;
        s.running[loan.bank as usize] += loan.amount;
        s.running_count[loan.bank as usize] += 1;
        s.counts[loan.bank as usize * (months + 1) + loan.end() as usize] -= 1;
        s.npl_base[loan.bank as usize] += loan.amount;
        schedule_deltas(self.book, loan, months, &mut s.deltas, 1.0);
        if self.has_interest_subsidy {
            interest_profile(
                self,
                loan,
                loan.start,
                1.0,
                &mut s.interest,
                (&mut s.interest_capped, &mut s.interest_accruing),
            );
        }
    }

    /// Books one default: losses, and for an enrolled loan its claim, its NPL count, the end
    /// of its exposure and of its interest subsidy.
    fn default(
        &self,
        s: &mut LedgerScratch,
        out: &mut PathMetrics,
        e: &DefaultEvent,
        in_horizon: bool,
    ) {
        let loss = e.loss();
        let y = (e.month / 12) as usize;
        out.add(in_horizon, Total::Defaults, 1.0);
        out.add(in_horizon, Total::GrossLoss, loss);
        out.add(in_horizon, Total::BuyerOutlay, e.buyer_outlay);
        if in_horizon {
            out.year[y][YearMetric::Defaults] += 1.0;
            out.year[y][YearMetric::GrossLoss] += loss;
        }
        if !self.is_enrolled(s, e.loan) {
            out.add(in_horizon, Total::BankLoss, loss);
            return;
        }
        let loan = &self.book.loans[e.loan as usize];
        let others = self.other_share * loss;
        out.add(in_horizon, Total::OtherPartiesLoss, others);
        out.add(in_horizon, Total::BankLoss, loss - others);
        s.npl_principal[loan.bank as usize] += e.ead;
        cancel_after_default(
            self.book,
            loan,
            e.month,
            self.months as usize,
            (&mut s.deltas, &mut s.counts),
        );
        if self.has_interest_subsidy {
            interest_profile(
                self,
                loan,
                e.month,
                -1.0,
                &mut s.interest,
                (&mut s.interest_capped, &mut s.interest_accruing),
            );
        }
        let (base, recovery_rate) = if self.pro_rata {
            (e.ead, if e.ead > 0.0 { e.recovery / e.ead } else { 0.0 })
        } else {
            (loss, 0.0)
        };
        let cap = self.compensation.per_loan_cap(e.month / 12 + 1);
        let offset = s.parts.len() as u32;
        if self.part_caps.len() == 1 {
            // One part (every scheme but a layered one): the same sum and scaling, without
            // the buffer.
            let total = self.compensation.covered(base, loan.amount);
            let scale = if total > cap { cap / total } else { 1.0 };
            s.parts.push(total * scale);
        } else {
            self.compensation
                .part_compensation(base, loan.amount, &mut s.part_buf);
            let total: f64 = s.part_buf.iter().sum();
            let scale = if total > cap { cap / total } else { 1.0 };
            s.parts.extend(s.part_buf.iter().map(|v| v * scale));
        }
        s.claims.push_back(Claim {
            due: e.month + self.claim_offset,
            default_month: e.month,
            parts: offset,
            recovery_rate,
        });
    }
}
