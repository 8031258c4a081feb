//! A deliberately plain reference implementation of the fund's monthly ledger, written from the
//! text of ARCHITECTURE.md ("Fund ledger (no draws; what `tests/fund_reference_ledger.rs`
//! re-implements)") and docs/models.md ("The monthly ledger"), not from `src/fund/ledger.rs`.
//!
//! It is fed the kernel's own book loans and default events (`DrawnRun`) and must reproduce,
//! path by path, every per-path quantity of the kernel's `FundPart`: each `YearMetric` of each
//! horizon year and each `Total` of the horizon, the run-off and the lifetime. Plain means:
//! loan by loan, month by month; the outstanding exposure is recomputed by looping over every
//! loan each time it is needed; no incremental state beyond what the text names.
//!
//! The scheme's own rule functions (`part_compensation`, the caps, the EU cap share, the loss
//! split's other parties) are shared on purpose; everything else is written here.
//!
//! Readings where the text leaves a choice (each agrees with the kernel):
//! * pro-rata recoveries flow back only after an NPL-stage claim (docs/schemes.md:
//!   `recoveries = "pro_rata"` with the NPL trigger); a final-loss claim is on the loss, already net of recoveries;
//! * a claim or subsidy of 0 is never short, even on a negative balance;
//! * a layer's and the scheme's annual-cap usage is what the cut left (owed before the EU cap
//!   and the balance); the EU cap's usage is what was paid (the text says so);
//! * the valuation-fee and insurance-premium caps apply per loan, as the text's "an enrolled
//!   loan adds its origination subsidies"; the published Xuchang rule has caps per year, which is the
//!   same for generated loans (one firm each) but not for a loans file naming one firm twice
//!   in a year (not exercised here: `NoFiles`);
//! * shortfall comparisons are exact (`paid < owed`, balance `< 0`); the kernel forgives a
//!   remainder below 1e-9 relative as rounding, which no generated case has reached.
//!
//! Run: `CARGO_BUILD_JOBS=1 cargo test --test fund_reference_ledger`.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use ipledge::fund::metrics::{Period, Total, YearMetric};
use ipledge::fund::size::Leverage;
use ipledge::fund::{BookLoan, DefaultEvent, DrawnRun, FundModel, FundPart, Settings};
use ipledge::loss::Repayment;
use ipledge::money::Rate;
use ipledge::scenario::{NoFiles, Scenario};
use ipledge::scheme::{PaidFrom, Recoveries, Trigger};
use proptest::prelude::*;
use rust_decimal::Decimal;

// ---------------------------------------------------------------------------------------------
// The reference ledger.
// ---------------------------------------------------------------------------------------------

/// One path's quantities, indexed like the kernel's samples.
#[derive(Clone, Debug)]
struct RefPath {
    /// `[year][YearMetric as usize]`, horizon years only.
    years: Vec<[f64; YearMetric::COUNT]>,
    /// `[Period as usize][Total as usize]`.
    totals: [[f64; Total::COUNT]; 3],
    /// The rules that changed an outcome on this path (to check that the generated scenarios
    /// exercise every rule).
    fired: BTreeSet<&'static str>,
}

/// The rules of one scenario as the reference reads them.
struct Rules<'a> {
    s: &'a Scenario,
    /// Horizon in years.
    horizon: u32,
    /// Initial capital.
    capital: f64,
    /// One-year LPR (the scenario's, else the model's).
    lpr: f64,
    /// Leverage limit in force.
    leverage: Option<f64>,
    /// Months from default to the claim's due month.
    claim_offset: u32,
    /// Recoveries after the (NPL-stage) claim flow back to the fund pro rata.
    pro_rata: bool,
    /// The claim's base is the EAD (NPL trigger with pro-rata recoveries), else the loss.
    base_is_ead: bool,
    /// Months from default to the fund's pro-rata recovery.
    recovery_offset: u32,
    /// Months simulated (horizon + run-off).
    months: u32,
}

impl<'a> Rules<'a> {
    fn new(s: &'a Scenario, loans: &[BookLoan], model: &FundModel) -> Rules<'a> {
        let scheme = &s.scheme;
        let claim_offset = match scheme.trigger {
            Trigger::Npl => scheme.claim_lag_months,
            Trigger::FinalLoss => scheme.disposal_delay_months,
        };
        // Recoveries are shared back after an NPL-stage claim only (docs/schemes.md,
        // `recoveries`); a final-loss claim is already net of
        // them.
        let pro_rata = scheme.recoveries == Recoveries::ProRata && scheme.trigger == Trigger::Npl;
        let recovery_offset = scheme.disposal_delay_months.max(claim_offset);
        let settlement_offset = if pro_rata {
            recovery_offset
        } else {
            claim_offset
        };
        // The last month any loan is outstanding.
        let mut last_outstanding = 0;
        for loan in loans {
            let last = loan.start_month + loan.tenor_months - 1;
            if last > last_outstanding {
                last_outstanding = last;
            }
        }
        let last_settlement = last_outstanding + settlement_offset;
        let months = (12 * (last_settlement / 12 + 1)).max(12 * s.horizon_years);
        Rules {
            s,
            horizon: s.horizon_years,
            capital: s.fund.initial_capital.to_f64(),
            lpr: s.fund.lpr_1y.unwrap_or(model.lpr_1y),
            leverage: s.leverage_limit(),
            claim_offset,
            pro_rata,
            base_is_ead: pro_rata,
            recovery_offset,
            months,
        }
    }

    fn in_horizon(&self, month: u32) -> bool {
        month < 12 * self.horizon
    }

    fn lpr_rate(&self) -> Rate {
        Rate::new(self.lpr).expect("a valid LPR")
    }

    /// The first eligibility rule (of those a book loan can be checked against) that a book
    /// loan fails, or `None` if it is eligible.
    fn ineligible_by(&self, loan: &BookLoan) -> Option<&'static str> {
        let e = &self.s.scheme.eligibility;
        if let Some(max) = e.max_loan {
            if loan.amount > max.to_f64() {
                return Some("ineligible_amount");
            }
        }
        if let Some(max) = e.max_tenor_months {
            if loan.tenor_months > max {
                return Some("ineligible_tenor");
            }
        }
        if let Some(cap) = e.rate_cap {
            if loan.annual_rate > cap.max_rate(self.lpr_rate()) {
                return Some("ineligible_rate");
            }
        }
        None
    }

    /// Whether the interest subsidy's rate ceiling excludes the loan.
    fn above_rate_ceiling(&self, loan: &BookLoan) -> bool {
        match &self.s.subsidies.interest {
            Some(i) => match i.rate_ceiling {
                Some(ceiling) => loan.annual_rate > ceiling.max_rate(self.lpr_rate()),
                None => false,
            },
            None => false,
        }
    }

    /// Monthly interest subsidy of an enrolled loan while it accrues.
    fn monthly_interest_subsidy(&self, loan: &BookLoan) -> f64 {
        let Some(i) = &self.s.subsidies.interest else {
            return 0.0;
        };
        if self.above_rate_ceiling(loan) {
            return 0.0;
        }
        loan.amount * (i.share * loan.annual_rate + i.rate_points) / 12.0
    }

    /// Valuation-fee and insurance-premium subsidies of an enrolled loan.
    fn origination_subsidies(&self, loan: &BookLoan) -> f64 {
        let sub = &self.s.subsidies;
        let mut total = 0.0;
        if let Some(v) = &sub.valuation_fee {
            let appraised = loan.amount / loan.pledge_rate;
            let cap = v.cap.map_or(f64::INFINITY, |c| c.to_f64());
            total += (v.share * appraised * loan.valuation_fee_rate).min(cap);
        }
        if let Some(p) = &sub.insurance_premium {
            let cap = p.cap.map_or(f64::INFINITY, |c| c.to_f64());
            total += (p.share * loan.amount * loan.insurance_premium_rate).min(cap);
        }
        total
    }
}

/// Share of the principal still outstanding after `k` monthly instalments.
fn outstanding_share(loan: &BookLoan, k: u32) -> f64 {
    let n = f64::from(loan.tenor_months);
    let k = f64::from(k);
    match loan.repayment {
        Repayment::Bullet => 1.0,
        Repayment::EqualPrincipal => 1.0 - k / n,
        Repayment::Annuity => {
            let i = loan.annual_rate / 12.0;
            if i == 0.0 {
                1.0 - k / n
            } else {
                let g = 1.0 + i;
                (g.powf(n) - g.powf(k)) / (g.powf(n) - 1.0)
            }
        }
    }
}

/// A claim filed at a default, due later.
struct Claim {
    due: u32,
    default_month: u32,
    ead: f64,
    recovery: f64,
    /// Coverage parts after the per-loan cap.
    parts: Vec<f64>,
}

/// A pro-rata recovery owed to the fund.
struct FundRecovery {
    due: u32,
    amount: f64,
    default_month: u32,
}

/// Mutable state of one path.
struct Path<'r, 'a> {
    rules: &'r Rules<'a>,
    loans: &'r [BookLoan],
    bank_of: Vec<usize>,
    enrolled: Vec<bool>,
    default_month: Vec<Option<u32>>,
    out: RefPath,
}

impl Path<'_, '_> {
    fn period(&self, month: u32) -> Period {
        if self.rules.in_horizon(month) {
            Period::Horizon
        } else {
            Period::RunOff
        }
    }

    /// Adds `v` to `total` in the period of `month` and in the lifetime.
    fn add_total(&mut self, month: u32, total: Total, v: f64) {
        let p = self.period(month);
        self.out.totals[p as usize][total as usize] += v;
        self.out.totals[Period::Lifetime as usize][total as usize] += v;
    }

    /// Adds `v` to `metric` of the year of `month` if it is a horizon year.
    fn add_year(&mut self, month: u32, metric: YearMetric, v: f64) {
        let y = (month / 12) as usize;
        if y < self.out.years.len() {
            self.out.years[y][metric as usize] += v;
        }
    }

    fn flag_shortfall(&mut self, month: u32) {
        let p = self.period(month);
        self.out.totals[p as usize][Total::Shortfall as usize] = 1.0;
        self.out.totals[Period::Lifetime as usize][Total::Shortfall as usize] = 1.0;
        let y = (month / 12) as usize;
        if y < self.out.years.len() {
            self.out.years[y][YearMetric::Shortfall as usize] = 1.0;
        }
    }

    /// Outstanding enrolled exposure at month `m` (of one bank, or of all): every enrolled loan
    /// with start ≤ m < end that has not defaulted in a month before m, at its schedule's
    /// outstanding after `m − start` instalments.
    fn exposure(&self, m: u32, bank: Option<usize>) -> f64 {
        let mut total = 0.0;
        for (i, loan) in self.loans.iter().enumerate() {
            if !self.enrolled[i] {
                continue;
            }
            if let Some(b) = bank {
                if self.bank_of[i] != b {
                    continue;
                }
            }
            let end = loan.start_month + loan.tenor_months;
            if !(loan.start_month <= m && m < end) {
                continue;
            }
            if let Some(d) = self.default_month[i] {
                if d < m {
                    continue;
                }
            }
            total += loan.amount * outstanding_share(loan, m - loan.start_month);
        }
        total
    }
}

/// Runs the reference ledger over one path's events.
fn reference_path(rules: &Rules, loans: &[BookLoan], events: &[DefaultEvent]) -> RefPath {
    let s = rules.s;
    let scheme = &s.scheme;
    let h = rules.horizon;
    let n = loans.len();

    let mut banks: Vec<String> = Vec::new();
    let mut bank_of = Vec::with_capacity(n);
    for loan in loans {
        let b = match banks.iter().position(|x| *x == loan.bank) {
            Some(b) => b,
            None => {
                banks.push(loan.bank.clone());
                banks.len() - 1
            }
        };
        bank_of.push(b);
    }
    let nbanks = banks.len();
    let nyears = (rules.months / 12) as usize;

    let mut p = Path {
        rules,
        loans,
        bank_of,
        enrolled: vec![false; n],
        default_month: vec![None; n],
        out: RefPath {
            years: vec![[0.0; YearMetric::COUNT]; h as usize],
            totals: [[0.0; Total::COUNT]; 3],
            fired: BTreeSet::new(),
        },
    };

    let mut balance = rules.capital;
    let layer_caps = scheme.part_annual_caps();
    let mut layer_used = vec![0.0; layer_caps.len()];
    let mut scheme_used = 0.0;
    let eu_share = scheme.eu_cap_share();
    let mut eu_volume = 0.0;
    let mut eu_paid = 0.0;
    let mut claims: Vec<Claim> = Vec::new();
    let mut fund_recoveries: Vec<FundRecovery> = Vec::new();
    let mut paused = vec![false; nbanks];
    let mut any_paused_in_year = false;
    // Per bank and year: EAD of enrolled loans that defaulted (D), enrolled exposure at the
    // year's first month before its enrolments, principal enrolled in the year.
    let mut npl_ead = vec![vec![0.0; nyears]; nbanks];
    let mut exposure_at_start = vec![vec![0.0; nyears]; nbanks];
    let mut enrolled_in_year = vec![vec![0.0; nyears]; nbanks];
    let mut origination_subsidies = vec![0.0; nyears];
    let mut peak = [0.0f64; 2];
    let mut buf = Vec::new();

    for m in 0..rules.months {
        let y = m / 12;
        let yi = y as usize;

        // 1. Year start.
        if m % 12 == 0 {
            if y < h {
                if let Some(a) = s.fund.appropriations.get(yi) {
                    balance += a.to_f64();
                }
            }
            for u in layer_used.iter_mut() {
                *u = 0.0;
            }
            scheme_used = 0.0;
            any_paused_in_year = false;
            for b in 0..nbanks {
                paused[b] = false;
                if let Some(t) = scheme.pause_bank_npl_above {
                    if y >= 1 && y < h {
                        let d = npl_ead[b][yi - 1];
                        let base = exposure_at_start[b][yi - 1] + enrolled_in_year[b][yi - 1];
                        if base > 0.0 && d / base > t {
                            paused[b] = true;
                            any_paused_in_year = true;
                            p.out.fired.insert("pause");
                        }
                    }
                }
            }
            for (b, per_year) in exposure_at_start.iter_mut().enumerate() {
                per_year[yi] = p.exposure(m, Some(b));
            }
        }
        let balance_at_step2 = balance;

        // 2. Enrolment.
        if rules.in_horizon(m) {
            for (i, loan) in loans.iter().enumerate() {
                if loan.start_month != m {
                    continue;
                }
                let b = p.bank_of[i];
                if let Some(rule) = rules.ineligible_by(loan) {
                    p.out.fired.insert(rule);
                    p.add_year(m, YearMetric::Ineligible, 1.0);
                    p.add_year(m, YearMetric::IneligiblePrincipal, loan.amount);
                    p.add_total(m, Total::Ineligible, 1.0);
                    p.add_total(m, Total::IneligiblePrincipal, loan.amount);
                    continue;
                }
                if paused[b] {
                    p.out.fired.insert("refused_paused");
                    p.add_year(m, YearMetric::RefusedPaused, 1.0);
                    p.add_year(m, YearMetric::RefusedPausedPrincipal, loan.amount);
                    p.add_total(m, Total::RefusedPaused, 1.0);
                    p.add_total(m, Total::RefusedPausedPrincipal, loan.amount);
                    continue;
                }
                if let Some(limit) = rules.leverage {
                    let o = p.exposure(m, None);
                    if o + loan.amount > limit * balance.max(0.0) {
                        p.out.fired.insert("refused_leverage");
                        p.add_year(m, YearMetric::RefusedLeverage, 1.0);
                        p.add_year(m, YearMetric::RefusedLeveragePrincipal, loan.amount);
                        p.add_total(m, Total::RefusedLeverage, 1.0);
                        p.add_total(m, Total::RefusedLeveragePrincipal, loan.amount);
                        continue;
                    }
                }
                p.enrolled[i] = true;
                p.out.fired.insert("enrolled");
                if rules.origination_subsidies(loan) > 0.0 {
                    p.out.fired.insert("origination_subsidy");
                }
                p.add_year(m, YearMetric::Enrolled, 1.0);
                p.add_year(m, YearMetric::PrincipalEnrolled, loan.amount);
                p.add_total(m, Total::Enrolled, 1.0);
                p.add_total(m, Total::CreditEnabled, loan.amount);
                eu_volume += loan.amount;
                enrolled_in_year[b][yi] += loan.amount;
                origination_subsidies[yi] += rules.origination_subsidies(loan);
            }
        }

        // 3. Peak leverage.
        if balance > 0.0 {
            let lev = p.exposure(m, None) / balance;
            let k = if rules.in_horizon(m) { 0 } else { 1 };
            if lev > peak[k] {
                peak[k] = lev;
            }
        }

        // 4. Defaults of month m, in loan order.
        for ev in events.iter().filter(|e| e.month == m) {
            let i = ev.loan as usize;
            let loan = &loans[i];
            let loss = ev.loss();
            p.add_total(m, Total::Defaults, 1.0);
            p.add_total(m, Total::GrossLoss, loss);
            p.add_total(m, Total::BuyerOutlay, ev.buyer_outlay);
            p.add_year(m, YearMetric::Defaults, 1.0);
            p.add_year(m, YearMetric::GrossLoss, loss);
            p.default_month[i] = Some(m);
            if !rules.in_horizon(m) {
                p.out.fired.insert("default_in_run_off");
            }
            if ev.buyer_outlay > 0.0 {
                p.out.fired.insert("buyer_outlay");
            }
            if !p.enrolled[i] {
                p.add_total(m, Total::BankLoss, loss);
                continue;
            }
            npl_ead[p.bank_of[i]][yi] += ev.ead;
            if ev.ead < loan.amount {
                p.out.fired.insert("amortised_ead");
            }
            let others = scheme.other_parties_share() * loss;
            if others > 0.0 {
                p.out.fired.insert("other_parties");
            }
            p.add_total(m, Total::OtherPartiesLoss, others);
            p.add_total(m, Total::BankLoss, loss - others);
            let base = if rules.base_is_ead { ev.ead } else { loss };
            scheme.part_compensation(base, loan.amount, &mut buf);
            let sum: f64 = buf.iter().sum();
            let cap = scheme.per_loan_cap_f64(y + 1);
            let mut parts = buf.clone();
            if sum > cap {
                p.out
                    .fired
                    .insert(if y >= 1 && scheme.per_loan_cap_after_year1.is_some() {
                        "per_loan_cap_after_year1"
                    } else {
                        "per_loan_cap"
                    });
                for part in parts.iter_mut() {
                    *part *= cap / sum;
                }
            }
            claims.push(Claim {
                due: m + rules.claim_offset,
                default_month: m,
                ead: ev.ead,
                recovery: ev.recovery,
                parts,
            });
        }

        // 5. Claims due in month m, in the order filed.
        for c in claims.iter().filter(|c| c.due == m) {
            let mut sum = 0.0;
            for (j, part) in c.parts.iter().enumerate() {
                let left = (layer_caps[j] - layer_used[j]).max(0.0);
                let cut = part.min(left);
                if cut < *part {
                    p.out.fired.insert("layer_annual_cap");
                }
                layer_used[j] += cut;
                sum += cut;
            }
            let left = (scheme.annual_cap_f64() - scheme_used).max(0.0);
            let mut owed = sum.min(left);
            if owed < sum {
                p.out.fired.insert("scheme_annual_cap");
            }
            scheme_used += owed;
            if let Some(share) = eu_share {
                let left = (share * eu_volume - eu_paid).max(0.0);
                if left < owed {
                    p.out.fired.insert("eu_cap");
                }
                owed = owed.min(left);
            }
            let paid;
            if scheme.liability_limited_to_balance {
                paid = owed.min(balance.max(0.0));
                if paid < owed {
                    p.out.fired.insert("balance_limit");
                    p.flag_shortfall(m);
                }
            } else {
                paid = owed;
                // Nothing owed is never short, even on a negative balance.
                if owed > 0.0 && balance - paid < 0.0 {
                    p.out.fired.insert("negative_balance");
                    p.flag_shortfall(m);
                }
            }
            if !rules.in_horizon(m) && owed > 0.0 {
                p.out.fired.insert("claim_in_run_off");
            }
            balance -= paid;
            if eu_share.is_some() {
                eu_paid += paid;
            }
            p.add_total(m, Total::Claims, owed);
            p.add_total(m, Total::Paid, paid);
            p.add_year(m, YearMetric::Claims, owed);
            p.add_year(m, YearMetric::Paid, paid);
            p.add_total(c.default_month, Total::BankLoss, -paid);
            if rules.pro_rata && c.ead > 0.0 {
                fund_recoveries.push(FundRecovery {
                    due: c.default_month + rules.recovery_offset,
                    amount: paid * c.recovery / c.ead,
                    default_month: c.default_month,
                });
            }
        }

        // 6. Recoveries due in month m.
        for r in fund_recoveries.iter().filter(|r| r.due == m) {
            balance += r.amount;
            if r.amount > 0.0 {
                p.out.fired.insert("pro_rata_recovery");
            }
            p.add_total(m, Total::RecoveriesToFund, r.amount);
            p.add_total(r.default_month, Total::BankLoss, r.amount);
        }

        // 7. Year end: subsidies.
        if m % 12 == 11 {
            let mut by_firm: HashMap<String, f64> = HashMap::new();
            for (i, loan) in loans.iter().enumerate() {
                if !p.enrolled[i] {
                    continue;
                }
                let end = loan.start_month + loan.tenor_months;
                let stop = match p.default_month[i] {
                    Some(d) => end.min(d),
                    None => end,
                };
                if rules.above_rate_ceiling(loan) {
                    p.out.fired.insert("rate_ceiling");
                }
                let firm = match &loan.firm {
                    Some(f) => format!("firm:{f}"),
                    None => format!("loan:{i}"),
                };
                for mm in 12 * y..12 * y + 12 {
                    if loan.start_month <= mm && mm < stop {
                        *by_firm.entry(firm.clone()).or_insert(0.0) +=
                            rules.monthly_interest_subsidy(loan);
                    }
                }
            }
            let cap = s
                .subsidies
                .interest
                .as_ref()
                .and_then(|i| i.cap_per_firm_year)
                .map_or(f64::INFINITY, |c| c.to_f64());
            let mut subsidies = origination_subsidies[yi];
            for v in by_firm.values() {
                if *v > 0.0 {
                    p.out.fired.insert("interest_subsidy");
                }
                if *v > cap {
                    p.out.fired.insert("interest_subsidy_cap");
                }
                subsidies += v.min(cap);
            }
            p.add_total(m, Total::Subsidies, subsidies);
            p.add_year(m, YearMetric::Subsidies, subsidies);
            if s.subsidies.paid_from == PaidFrom::Fund {
                let paid;
                if scheme.liability_limited_to_balance {
                    paid = subsidies.min(balance.max(0.0));
                    if paid < subsidies {
                        p.out.fired.insert("subsidy_short");
                        p.flag_shortfall(m);
                    }
                } else {
                    paid = subsidies;
                    if subsidies > 0.0 && balance - paid < 0.0 {
                        p.flag_shortfall(m);
                    }
                }
                balance -= paid;
                if paid > 0.0 {
                    p.out.fired.insert("subsidy_from_fund");
                }
            }
        }

        // 8. Interest.
        balance += balance_at_step2.max(0.0) * s.fund.interest_rate / 12.0;

        // 9. Year-end row.
        if m % 12 == 11 && y < h {
            p.out.years[yi][YearMetric::BalanceEnd as usize] = balance;
            p.out.years[yi][YearMetric::Pause as usize] =
                if any_paused_in_year { 1.0 } else { 0.0 };
        }
    }

    let mut out = p.out;
    out.totals[Period::Horizon as usize][Total::PeakLeverage as usize] = peak[0];
    out.totals[Period::RunOff as usize][Total::PeakLeverage as usize] = peak[1];
    out.totals[Period::Lifetime as usize][Total::PeakLeverage as usize] = peak[0].max(peak[1]);
    for period in Period::ALL {
        let t = &mut out.totals[period as usize];
        t[Total::PublicCost as usize] = t[Total::Paid as usize]
            - t[Total::RecoveriesToFund as usize]
            + t[Total::Subsidies as usize]
            + t[Total::BuyerOutlay as usize];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Comparison with the kernel.
// ---------------------------------------------------------------------------------------------

enum Kind {
    Count,
    Flag,
    Money,
    Ratio,
}

fn year_kind(m: YearMetric) -> Kind {
    use YearMetric::*;
    match m {
        Enrolled | RefusedLeverage | RefusedPaused | Ineligible | Defaults => Kind::Count,
        Shortfall | Pause => Kind::Flag,
        _ => Kind::Money,
    }
}

fn total_kind(m: Total) -> Kind {
    use Total::*;
    match m {
        Enrolled | RefusedLeverage | RefusedPaused | Ineligible | Defaults => Kind::Count,
        Shortfall => Kind::Flag,
        PeakLeverage => Kind::Ratio,
        _ => Kind::Money,
    }
}

fn agree(kind: Kind, reference: f64, kernel: f64) -> bool {
    match kind {
        Kind::Count | Kind::Flag => reference == kernel,
        Kind::Money => {
            let diff = (reference - kernel).abs();
            diff <= 1e-6 || diff <= 1e-9 * reference.abs().max(kernel.abs())
        }
        Kind::Ratio => {
            let diff = (reference - kernel).abs();
            diff <= 1e-12 || diff <= 1e-9 * reference.abs().max(kernel.abs())
        }
    }
}

fn period_name(p: Period) -> &'static str {
    match p {
        Period::Horizon => "horizon",
        Period::RunOff => "run_off",
        Period::Lifetime => "lifetime",
    }
}

/// Draws the scenario's events, runs the kernel and the reference on them and returns the
/// rules the reference saw fire, or the first disagreement (path, metric, both values).
///
/// Besides the scenario's own capital and rules, the same events are re-run (as `fund size`
/// does) with half and twice the capital and, with a leverage limit, with the limit lifted.
fn check_scenario(s: &Scenario, paths: u64) -> Result<BTreeSet<&'static str>, String> {
    let model = FundModel::embedded_default();
    let mut settings = Settings::for_scenario(s, model.clone());
    settings.paths = paths;
    let run = DrawnRun::draw(s, &settings).map_err(|e| format!("cannot run: {e}"))?;
    let capital = s.fund.initial_capital;
    let part = run.evaluate_part(capital, Leverage::AsWritten);
    let fired = compare(s, &model, &run, &part)?;
    for (factor, leverage) in [
        ("0.5", Leverage::AsWritten),
        ("2", Leverage::AsWritten),
        ("1", Leverage::Lifted),
    ] {
        if leverage == Leverage::Lifted && s.leverage_limit().is_none() {
            continue;
        }
        let other = capital * factor.parse::<Decimal>().expect("a decimal");
        let part = run.evaluate_part(other, leverage);
        compare_with(s, &model, &run, &part, other.to_f64(), leverage).map_err(|e| {
            format!("with capital {other} and the leverage limit {leverage:?}: {e}")
        })?;
    }
    Ok(fired)
}

fn compare(
    s: &Scenario,
    model: &FundModel,
    run: &DrawnRun,
    part: &FundPart,
) -> Result<BTreeSet<&'static str>, String> {
    let capital = s.fund.initial_capital.to_f64();
    compare_with(s, model, run, part, capital, Leverage::AsWritten)
}

/// Compares the kernel's `part` (run with `capital` and `leverage`) with the reference.
fn compare_with(
    s: &Scenario,
    model: &FundModel,
    run: &DrawnRun,
    part: &FundPart,
    capital: f64,
    leverage: Leverage,
) -> Result<BTreeSet<&'static str>, String> {
    let loans = run.book_loans();
    let mut rules = Rules::new(s, &loans, model);
    rules.capital = capital;
    if leverage == Leverage::Lifted {
        rules.leverage = None;
    }
    let run_off = rules.months - 12 * rules.horizon;
    if part.run_off_months != run_off {
        return Err(format!(
            "run_off_months: reference {run_off}, kernel {}",
            part.run_off_months
        ));
    }
    let mut fired = BTreeSet::new();
    for (path, events) in run.path_events().iter().enumerate() {
        let r = reference_path(&rules, &loans, events);
        fired.extend(r.fired.iter().copied());
        for y in 0..rules.horizon as usize {
            for &m in YearMetric::ALL {
                let kernel = part.year_samples[y][m as usize].values()[path];
                let reference = r.years[y][m as usize];
                if !agree(year_kind(m), reference, kernel) {
                    return Err(format!(
                        "path {path}, year {} {}: reference {reference}, kernel {kernel}\n{}",
                        y + 1,
                        m.name(),
                        describe_path(&loans, events)
                    ));
                }
            }
        }
        for period in Period::ALL {
            for &m in Total::ALL {
                let kernel = part.total_samples[period as usize][m as usize].values()[path];
                let reference = r.totals[period as usize][m as usize];
                if !agree(total_kind(m), reference, kernel) {
                    return Err(format!(
                        "path {path}, {} {}: reference {reference}, kernel {kernel}\n{}",
                        period_name(period),
                        m.name(),
                        describe_path(&loans, events)
                    ));
                }
            }
        }
    }
    Ok(fired)
}

fn describe_path(loans: &[BookLoan], events: &[DefaultEvent]) -> String {
    let mut out = String::from("events:\n");
    for e in events {
        let l = &loans[e.loan as usize];
        let _ = writeln!(
            out,
            "  loan {} (bank {}, start {}, tenor {}, amount {}) month {} ead {} recovery {} buyer {}",
            e.loan,
            l.bank,
            l.start_month,
            l.tenor_months,
            l.amount,
            e.month,
            e.ead,
            e.recovery,
            e.buyer_outlay
        );
    }
    out
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml_str(text, &NoFiles).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn assert_agrees(text: &str, paths: u64) {
    let s = scenario(text);
    if let Err(e) = check_scenario(&s, paths) {
        panic!("kernel and reference disagree: {e}\nscenario:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases with known answers.
// ---------------------------------------------------------------------------------------------

/// Both ledgers on one scenario (which must agree): the book loans, each path's events and
/// the kernel's part.
fn both(text: &str, paths: u64) -> (Vec<BookLoan>, Vec<Vec<DefaultEvent>>, FundPart) {
    let s = scenario(text);
    let model = FundModel::embedded_default();
    let mut settings = Settings::for_scenario(&s, model.clone());
    settings.paths = paths;
    let run = DrawnRun::draw(&s, &settings).unwrap();
    let part = run.evaluate_part(s.fund.initial_capital, Leverage::AsWritten);
    if let Err(e) = compare(&s, &model, &run, &part) {
        panic!("kernel and reference disagree: {e}\nscenario:\n{text}");
    }
    let events = run.path_events().iter().map(|e| e.to_vec()).collect();
    (run.book_loans(), events, part)
}

fn year(part: &FundPart, y: usize, m: YearMetric, path: usize) -> f64 {
    part.year_samples[y][m as usize].values()[path]
}

fn total(part: &FundPart, p: Period, m: Total, path: usize) -> f64 {
    part.total_samples[p as usize][m as usize].values()[path]
}

/// Two 1 m loans, capital 1 m, leverage 1×: the first (a 6-month loan at the start of year 1)
/// fills the limit; the uniformly originated loans of the second cohort are refused while it
/// is outstanding, and from its maturity on each enrols only once the one before it matured.
#[test]
fn leverage_refuses_until_the_first_loan_matures() {
    let text = r#"
[scenario]
name = "leverage"
horizon_years = 1
[[book.cohort]]
count = 1
amount = { fixed = "1000000" }
tenor_months = 6
pd_1y = { fixed = 0.02 }
[[book.cohort]]
origination = "uniform"
count = 12
amount = { fixed = "1000000" }
tenor_months = 3
pd_1y = { fixed = 0.02 }
[risk]
pd_multiplier = 0
[scheme]
ratio = 0.5
[fund]
initial_capital = "1000000"
leverage_limit = 1
"#;
    let (loans, events, part) = both(text, 16);
    assert!(
        events.iter().all(|e| e.is_empty()),
        "pd_multiplier 0: no defaults"
    );
    // The uniform cohort starts one loan per month.
    let starts: Vec<u32> = loans[1..].iter().map(|l| l.start_month).collect();
    assert_eq!(starts, (0..12).collect::<Vec<u32>>());
    // Enrolled: the 6-month loan (month 0), then the 3-month loans of months 6 and 9.
    for path in 0..16 {
        assert_eq!(year(&part, 0, YearMetric::Enrolled, path), 3.0);
        assert_eq!(year(&part, 0, YearMetric::RefusedLeverage, path), 10.0);
        assert_eq!(
            year(&part, 0, YearMetric::RefusedLeveragePrincipal, path),
            10_000_000.0
        );
        assert_eq!(
            total(&part, Period::Horizon, Total::PeakLeverage, path),
            1.0
        );
        assert_eq!(total(&part, Period::RunOff, Total::Enrolled, path), 0.0);
    }
}

/// A bank whose only year-1 loan defaults (NPL ratio 100 % > 1 %) is paused in year 2: its
/// year-2 loan is refused, while the claim of the enrolled year-1 loan (final loss, due in
/// year 2) is still paid.
#[test]
fn a_pause_refuses_new_loans_but_pays_enrolled_claims() {
    let text = r#"
[scenario]
name = "pause"
horizon_years = 2
[[book.cohort]]
year = 1
count = 1
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.999999 }
bank = { "a" = 1.0 }
[[book.cohort]]
year = 2
count = 1
amount = { fixed = "2000000" }
tenor_months = 12
pd_1y = { fixed = 0.000001 }
bank = { "a" = 1.0 }
[risk]
asset_correlation = 0.0
lgd = 0.6
[scheme]
ratio = 0.5
trigger = "final_loss"
disposal_delay_months = 12
pause_bank_npl_above = 0.01
[fund]
initial_capital = "10000000"
"#;
    let (_, events, part) = both(text, 32);
    for (path, ev) in events.iter().enumerate() {
        let first: Vec<&DefaultEvent> = ev.iter().filter(|e| e.loan == 0).collect();
        assert_eq!(first.len(), 1, "path {path}: the year-1 loan defaults");
        let d = first[0];
        assert!(d.month < 12);
        assert_eq!(d.ead, 1_000_000.0);
        let loss = d.loss();
        assert!((loss - 600_000.0).abs() < 1e-6);
        assert_eq!(year(&part, 1, YearMetric::Pause, path), 1.0);
        assert_eq!(year(&part, 0, YearMetric::Pause, path), 0.0);
        assert_eq!(year(&part, 1, YearMetric::RefusedPaused, path), 1.0);
        assert_eq!(
            year(&part, 1, YearMetric::RefusedPausedPrincipal, path),
            2_000_000.0
        );
        // The claim falls due 12 months after the default: in year 2, still paid.
        assert_eq!(year(&part, 0, YearMetric::Paid, path), 0.0);
        assert!((year(&part, 1, YearMetric::Paid, path) - 300_000.0).abs() < 1e-6);
        assert!((year(&part, 1, YearMetric::BalanceEnd, path) - 9_700_000.0).abs() < 1e-6);
    }
}

/// A final-loss claim of a year-1 default falls due 12 months later, in the run-off of a
/// one-year horizon: the horizon shows the loss (and, by default date, the bank's net loss),
/// the run-off the claim and the payment.
#[test]
fn a_final_loss_claim_falls_due_in_the_run_off() {
    let text = r#"
[scenario]
name = "run-off"
horizon_years = 1
[[book.cohort]]
count = 1
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.999999 }
[risk]
asset_correlation = 0.0
lgd = 0.5
[scheme]
ratio = 0.8
trigger = "final_loss"
disposal_delay_months = 12
[fund]
initial_capital = "2000000"
"#;
    let (_, events, part) = both(text, 32);
    assert_eq!(part.run_off_months, 12);
    for (path, ev) in events.iter().enumerate() {
        assert_eq!(ev.len(), 1, "path {path}");
        assert!(ev[0].month < 12);
        let h = Period::Horizon;
        let r = Period::RunOff;
        assert!((total(&part, h, Total::GrossLoss, path) - 500_000.0).abs() < 1e-6);
        assert_eq!(total(&part, h, Total::Claims, path), 0.0);
        assert_eq!(total(&part, h, Total::Paid, path), 0.0);
        assert!((total(&part, r, Total::Claims, path) - 400_000.0).abs() < 1e-6);
        assert!((total(&part, r, Total::Paid, path) - 400_000.0).abs() < 1e-6);
        assert!((total(&part, h, Total::BankLoss, path) - 100_000.0).abs() < 1e-6);
        assert_eq!(total(&part, r, Total::BankLoss, path), 0.0);
        assert_eq!(total(&part, r, Total::Defaults, path), 0.0);
        assert!((year(&part, 0, YearMetric::BalanceEnd, path) - 2_000_000.0).abs() < 1e-6);
    }
}

/// Subsidies paid from a fund too small for them: the interest subsidy of one enrolled loan
/// (1 m at 6 %, 50 % of the interest: 2 500 a month, 30 000 in the year) plus its insurance
/// premium subsidy (50 % of 1 %: 5 000) exceed the capital of 10 000. With limited liability
/// the fund pays its balance and is short; without, its balance goes negative.
#[test]
fn subsidies_paid_from_the_fund_can_fall_short() {
    for (limited, balance_end) in [(true, 0.0), (false, 10_000.0 - 35_000.0)] {
        let text = format!(
            r#"
[scenario]
name = "subsidies"
horizon_years = 1
[[book.cohort]]
count = 1
amount = {{ fixed = "1000000" }}
tenor_months = 12
pd_1y = {{ fixed = 0.02 }}
annual_rate = 0.06
insurance_premium_rate = 0.01
[risk]
pd_multiplier = 0
[scheme]
ratio = 0.5
liability_limited_to_balance = {limited}
[fund]
initial_capital = "10000"
[subsidies]
paid_from = "fund"
interest = {{ share = 0.5 }}
insurance_premium = {{ share = 0.5 }}
"#
        );
        let (_, _, part) = both(&text, 8);
        for path in 0..8 {
            assert!((year(&part, 0, YearMetric::Subsidies, path) - 35_000.0).abs() < 1e-6);
            assert_eq!(year(&part, 0, YearMetric::Shortfall, path), 1.0);
            assert!((year(&part, 0, YearMetric::BalanceEnd, path) - balance_end).abs() < 1e-6);
            assert_eq!(total(&part, Period::Lifetime, Total::Shortfall, path), 1.0);
            assert!(
                (total(&part, Period::Lifetime, Total::PublicCost, path) - 35_000.0).abs() < 1e-6
            );
        }
    }
}

/// With unlimited liability a claim that owes nothing is never short: the year-1 claim (1 m,
/// capital 100 k) takes the balance to −900 k and is short; the year-2 loan is above the last
/// band, so its default files a claim of 0, and year 2 shows no shortfall.
#[test]
fn a_claim_owing_nothing_is_not_short() {
    let text = r#"
[scenario]
name = "zero-claim"
horizon_years = 2
[[book.cohort]]
year = 1
count = 1
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.999999 }
[[book.cohort]]
year = 2
count = 1
amount = { fixed = "2000000" }
tenor_months = 12
pd_1y = { fixed = 0.999999 }
[risk]
asset_correlation = 0.0
lgd = 1.0
[scheme]
liability_limited_to_balance = false
[[scheme.band]]
max_amount = "1000000"
ratio = 1.0
[fund]
initial_capital = "100000"
"#;
    let (_, events, part) = both(text, 16);
    for (path, ev) in events.iter().enumerate() {
        assert_eq!(ev.len(), 2, "path {path}: both loans default in their year");
        assert_eq!(year(&part, 0, YearMetric::Shortfall, path), 1.0);
        assert!((year(&part, 0, YearMetric::BalanceEnd, path) + 900_000.0).abs() < 1e-6);
        assert_eq!(year(&part, 1, YearMetric::Claims, path), 0.0);
        assert_eq!(year(&part, 1, YearMetric::Shortfall, path), 0.0);
        assert!((year(&part, 1, YearMetric::BalanceEnd, path) + 900_000.0).abs() < 1e-6);
    }
}

/// A year in which no enrolled loan accrues an interest subsidy has a subsidy of exactly 0,
/// which is never short: six 24-month loans all default in year 1, their claims take the
/// (unlimited) fund below zero, and year 2 pays no subsidy and shows no shortfall (the kernel
/// once kept a rounding residue of the accrued-then-taken-back subsidy and paid it as a
/// shortfall).
#[test]
fn a_year_without_accruing_loans_has_no_subsidy() {
    let text = r#"
[scenario]
name = "no-subsidy"
horizon_years = 2
[[book.cohort]]
year = 1
count = 6
amount = { median = "1000000", p90 = "2500000" }
tenor_months = 24
pd_1y = { fixed = 0.999999 }
annual_rate = 0.05
[risk]
asset_correlation = 0.0
lgd = 1.0
[scheme]
ratio = 1.0
liability_limited_to_balance = false
[fund]
initial_capital = "100000"
[subsidies]
paid_from = "fund"
interest = { share = 0.5 }
"#;
    let (_, events, part) = both(text, 32);
    for (path, ev) in events.iter().enumerate() {
        assert!(
            ev.len() == 6 && ev.iter().all(|e| e.month < 12),
            "path {path}"
        );
        assert_eq!(year(&part, 0, YearMetric::Shortfall, path), 1.0);
        assert_eq!(year(&part, 1, YearMetric::Subsidies, path), 0.0);
        assert_eq!(year(&part, 1, YearMetric::Shortfall, path), 0.0);
    }
}

/// The EU portfolio cap limits what the fund pays: `share·volume − paid so far`. A year-1
/// claim of 600 k (1 m loss at a 60 % cap on 1 m of volume) finds only the capital of 300 k
/// and is short; in year 2, after an appropriation of 2 m and a second 1 m loan, the cap is
/// 1.2 m of which 300 k was paid, so the second 1 m loss is owed and paid 900 k.
#[test]
fn the_eu_cap_counts_what_was_paid() {
    let text = r#"
[scenario]
name = "eu-cap"
horizon_years = 2
[[book.cohort]]
year = 1
count = 1
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.999999 }
[[book.cohort]]
year = 2
count = 1
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.999999 }
[risk]
asset_correlation = 0.0
lgd = 1.0
[scheme]
eu_cap = { guarantee_rate = 1.0, cap_rate = 0.6 }
[fund]
initial_capital = "300000"
appropriations = ["0", "2000000"]
"#;
    let (_, events, part) = both(text, 16);
    for (path, ev) in events.iter().enumerate() {
        assert_eq!(ev.len(), 2, "path {path}: both loans default in their year");
        assert!((year(&part, 0, YearMetric::Claims, path) - 600_000.0).abs() < 1e-6);
        assert!((year(&part, 0, YearMetric::Paid, path) - 300_000.0).abs() < 1e-6);
        assert_eq!(year(&part, 0, YearMetric::Shortfall, path), 1.0);
        assert!((year(&part, 1, YearMetric::Claims, path) - 900_000.0).abs() < 1e-6);
        assert!((year(&part, 1, YearMetric::Paid, path) - 900_000.0).abs() < 1e-6);
        assert_eq!(year(&part, 1, YearMetric::Shortfall, path), 0.0);
        assert!((year(&part, 1, YearMetric::BalanceEnd, path) - 1_100_000.0).abs() < 1e-6);
    }
}

/// Once every enrolled loan has matured nothing is outstanding, exactly: with capital 1 m and
/// leverage 1×, a 1 m loan of a later year enrols although the matured loans amortised (the
/// kernel's running exposure once kept a rounding residue and refused it).
#[test]
fn a_loan_enrols_at_the_limit_once_amortised_loans_matured() {
    for (repayment, tenor, count, amount) in [
        ("equal_principal", 36, 1, "1000000"),
        ("equal_principal", 12, 5, "333333.33"),
        ("annuity", 24, 7, "1234567.89"),
    ] {
        let h = tenor / 12 + 2;
        let text = format!(
            r#"
[scenario]
name = "tie"
horizon_years = {h}
[[book.cohort]]
count = {count}
amount = {{ fixed = "{amount}" }}
tenor_months = {tenor}
repayment = "{repayment}"
pd_1y = {{ fixed = 0.02 }}
[[book.cohort]]
year = {h}
count = 1
amount = {{ fixed = "1000000" }}
pd_1y = {{ fixed = 0.02 }}
[risk]
pd_multiplier = 0
[scheme]
ratio = 0.5
[fund]
initial_capital = "1000000"
leverage_limit = 1
"#
        );
        let (_, _, part) = both(&text, 2);
        let last = h as usize - 1;
        for path in 0..2 {
            assert_eq!(year(&part, last, YearMetric::Enrolled, path), 1.0, "{text}");
            assert_eq!(year(&part, last, YearMetric::RefusedLeverage, path), 0.0);
            assert_eq!(total(&part, Period::RunOff, Total::PeakLeverage, path), 0.0);
        }
    }
}

/// The shipped schemes' rules with a small book each: the reference agrees with the kernel.
#[test]
fn shipped_presets_agree() {
    for preset in [
        "zhongshan",
        "weihai",
        "shenzhen-pool",
        "guangzhou-bands",
        "shenzhen-ip-2018",
        "sichuan-tianfu",
        "zhongguancun-subsidy",
        "xuchang-subsidies",
        "eu-capped-guarantee",
        "sba-7a",
        "korea-recovery",
    ] {
        let text = format!(
            r#"
scheme = "{preset}"
[scenario]
name = "{preset}"
horizon_years = 3
seed = 3
[[book.cohort]]
year = 1
origination = "uniform"
count = 20
amount = {{ median = "2000000", p90 = "6000000", min = "200000", max = "20000000" }}
tenor_months = {{ 6 = 0.2, 12 = 0.5, 24 = 0.3 }}
pd_1y = {{ fixed = 0.06 }}
bank = {{ "a" = 0.5, "b" = 0.5 }}
repayment = "annuity"
[[book.cohort]]
year = 2
count = 15
amount = {{ fixed = "1500000" }}
pd_1y = {{ fixed = 0.04 }}
bank = {{ "a" = 0.5, "b" = 0.5 }}
[risk]
lgd = "collateral"
[fund]
initial_capital = "5000000"
appropriations = ["0", "1000000"]
interest_rate = 0.02
"#
        );
        assert_agrees(&text, 96);
    }
}

// ---------------------------------------------------------------------------------------------
// Random scenarios switching on every rule, in combinations.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum AmountGen {
    Fixed(u32),
    Lognormal {
        median: u32,
        p90_factor: f64,
        min: Option<u32>,
        max: Option<u32>,
    },
}

#[derive(Clone, Debug)]
struct CohortGen {
    year: u32,
    uniform: bool,
    count: u32,
    amount: AmountGen,
    tenors: Vec<u32>,
    repayment: usize,
    banks: usize,
    pd: f64,
    rate: f64,
    pledge_rate: f64,
}

#[derive(Clone, Debug)]
enum CoverageGen {
    Ratio(f64),
    Bands(Vec<(u32, f64)>),
    Layers(Vec<(f64, Option<u32>, Option<u32>)>),
    /// Shares of fund, bank, insurer, guarantor and valuation firm (sum 1).
    Split([f64; 5]),
    Eu(f64, f64),
}

#[derive(Clone, Debug)]
struct SchemeGen {
    coverage: CoverageGen,
    final_loss: bool,
    claim_lag: u32,
    disposal_delay: u32,
    per_loan_cap: Option<u32>,
    per_loan_cap_after_year1: Option<u32>,
    annual_cap: Option<u32>,
    pause: Option<f64>,
    limited: bool,
    pro_rata: bool,
    buyer_share: Option<f64>,
    max_loan: Option<u32>,
    max_tenor: Option<u32>,
    rate_cap_bp: Option<f64>,
}

type InterestGen = (f64, Option<f64>, Option<u32>, Option<f64>);

#[derive(Clone, Debug)]
struct SubsidyGen {
    from_fund: bool,
    /// (share, rate_points, cap_per_firm_year, rate_ceiling as a multiple of the LPR).
    interest: Option<InterestGen>,
    valuation_fee: Option<(f64, Option<u32>)>,
    insurance_premium: Option<(f64, Option<u32>)>,
}

#[derive(Clone, Debug)]
struct FundGen {
    capital: u32,
    appropriations: Option<Vec<u32>>,
    interest_rate: f64,
    leverage: Option<f64>,
    lpr: Option<f64>,
}

#[derive(Clone, Debug)]
struct ScenarioGen {
    horizon: u32,
    seed: u64,
    cohorts: Vec<CohortGen>,
    correlation: f64,
    sector_share: f64,
    lgd: Option<f64>,
    scheme: SchemeGen,
    fund: FundGen,
    subsidies: Option<SubsidyGen>,
}

fn amount_gen() -> impl Strategy<Value = AmountGen> {
    prop_oneof![
        (2u32..=30).prop_map(|k| AmountGen::Fixed(k * 100_000)),
        (
            5u32..=20,
            1.5f64..4.0,
            proptest::option::of(1u32..=4),
            proptest::option::of(25u32..=60)
        )
            .prop_map(|(median, f, min, max)| AmountGen::Lognormal {
                median: median * 100_000,
                p90_factor: f,
                min: min.map(|v| v * 100_000),
                max: max.map(|v| v * 100_000),
            }),
    ]
}

fn tenors_gen() -> impl Strategy<Value = Vec<u32>> {
    proptest::sample::subsequence(vec![6u32, 12, 24, 36], 1..=4)
}

fn cohort_gen() -> impl Strategy<Value = CohortGen> {
    (
        1u32..=4,
        any::<bool>(),
        1u32..=20,
        amount_gen(),
        tenors_gen(),
        0usize..3,
        1usize..=3,
        0.01f64..0.10,
        0.025f64..0.07,
        0.2f64..0.8,
    )
        .prop_map(
            |(year, uniform, count, amount, tenors, repayment, banks, pd, rate, pledge_rate)| {
                CohortGen {
                    year,
                    uniform,
                    count,
                    amount,
                    tenors,
                    repayment,
                    banks,
                    pd,
                    rate,
                    pledge_rate,
                }
            },
        )
}

fn money_opt(lo: u32, hi: u32) -> impl Strategy<Value = Option<u32>> {
    proptest::option::of((lo..=hi).prop_map(|k| k * 10_000))
}

fn coverage_gen() -> impl Strategy<Value = CoverageGen> {
    prop_oneof![
        (0.1f64..1.0).prop_map(CoverageGen::Ratio),
        proptest::collection::vec((1u32..=40, 0.1f64..0.9), 1..=3).prop_map(|v| {
            let mut max = 0;
            CoverageGen::Bands(
                v.into_iter()
                    .map(|(step, r)| {
                        max += step * 100_000;
                        (max, r)
                    })
                    .collect(),
            )
        }),
        proptest::collection::vec((0.05f64..0.33, money_opt(5, 60), money_opt(1, 15)), 1..=3)
            .prop_map(CoverageGen::Layers),
        (
            0.1f64..1.0,
            0.05f64..1.0,
            0.0f64..1.0,
            0.0f64..0.5,
            0.0f64..1.0
        )
            .prop_map(|(f, b, i, g, v)| {
                let sum = f + b + i + g + v;
                CoverageGen::Split([f / sum, b / sum, i / sum, g / sum, v / sum])
            }),
        (0.2f64..0.9, 0.02f64..0.3).prop_map(|(g, c)| CoverageGen::Eu(g, c)),
    ]
}

fn scheme_gen() -> impl Strategy<Value = SchemeGen> {
    (
        coverage_gen(),
        any::<bool>(),
        0u32..=6,
        0u32..=18,
        money_opt(5, 60),
        money_opt(5, 90),
        money_opt(2, 100),
        proptest::option::of(0.002f64..0.08),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0.1f64..0.7),
        (
            proptest::option::weighted(0.25, (50u32..=500).prop_map(|k| k * 10_000)),
            proptest::option::weighted(0.25, prop_oneof![Just(6u32), Just(12), Just(24)]),
            proptest::option::weighted(0.25, 0.0f64..400.0),
        ),
    )
        .prop_map(
            |(
                coverage,
                final_loss,
                claim_lag,
                disposal_delay,
                per_loan_cap,
                per_loan_cap_after_year1,
                annual_cap,
                pause,
                limited,
                pro_rata,
                buyer_share,
                (max_loan, max_tenor, rate_cap_bp),
            )| SchemeGen {
                coverage,
                final_loss,
                claim_lag,
                disposal_delay,
                per_loan_cap,
                per_loan_cap_after_year1,
                annual_cap,
                pause,
                limited,
                pro_rata,
                buyer_share,
                max_loan,
                max_tenor,
                rate_cap_bp,
            },
        )
}

fn subsidy_gen() -> impl Strategy<Value = SubsidyGen> {
    (
        any::<bool>(),
        proptest::option::of((
            0.0f64..1.0,
            proptest::option::of(0.0f64..0.03),
            money_opt(1, 5),
            proptest::option::of(1.0f64..2.0),
        )),
        proptest::option::of((0.1f64..1.0, money_opt(0, 5))),
        proptest::option::of((0.1f64..1.0, money_opt(0, 2))),
    )
        .prop_map(
            |(from_fund, interest, valuation_fee, insurance_premium)| SubsidyGen {
                from_fund,
                interest,
                valuation_fee,
                insurance_premium,
            },
        )
}

fn fund_gen() -> impl Strategy<Value = FundGen> {
    (
        prop_oneof![1u32..=5, 5u32..=30],
        proptest::option::of(proptest::collection::vec(0u32..=20, 1..=4)),
        -0.01f64..0.06,
        proptest::option::of(0.5f64..8.0),
        proptest::option::of(0.02f64..0.045),
    )
        .prop_map(
            |(capital, appropriations, interest_rate, leverage, lpr)| FundGen {
                capital: capital * 100_000,
                appropriations: appropriations
                    .map(|v| v.into_iter().map(|a| a * 100_000).collect()),
                interest_rate,
                leverage,
                lpr,
            },
        )
}

fn scenario_gen() -> impl Strategy<Value = ScenarioGen> {
    (
        1u32..=4,
        0u64..1000,
        proptest::collection::vec(cohort_gen(), 1..=3),
        0.0f64..0.3,
        0.0f64..0.6,
        proptest::option::weighted(0.75, 0.1f64..0.95),
        scheme_gen(),
        fund_gen(),
        proptest::option::weighted(0.75, subsidy_gen()),
    )
        .prop_map(
            |(horizon, seed, cohorts, correlation, sector_share, lgd, scheme, fund, subsidies)| {
                ScenarioGen {
                    horizon,
                    seed,
                    cohorts,
                    correlation,
                    sector_share,
                    lgd,
                    scheme,
                    fund,
                    subsidies,
                }
            },
        )
}

const BANKS: [&str; 3] = ["bank-a", "bank-b", "bank-c"];
const REPAYMENTS: [&str; 3] = ["bullet", "annuity", "equal_principal"];

fn money(v: u32) -> String {
    format!("\"{v}\"")
}

impl ScenarioGen {
    fn toml(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "[scenario]\nname = \"generated\"\nhorizon_years = {}\nseed = {}",
            self.horizon, self.seed
        );
        for c in &self.cohorts {
            let _ = writeln!(t, "[[book.cohort]]");
            let _ = writeln!(t, "year = {}", c.year.min(self.horizon));
            let _ = writeln!(
                t,
                "origination = \"{}\"",
                if c.uniform { "uniform" } else { "start" }
            );
            let _ = writeln!(t, "count = {}", c.count);
            match &c.amount {
                AmountGen::Fixed(a) => {
                    let _ = writeln!(t, "amount = {{ fixed = {} }}", money(*a));
                }
                AmountGen::Lognormal {
                    median,
                    p90_factor,
                    min,
                    max,
                } => {
                    let p90 = (f64::from(*median) * p90_factor).round() as u32;
                    let mut a = format!("median = {}, p90 = {}", money(*median), money(p90));
                    if let Some(v) = min {
                        let _ = write!(a, ", min = {}", money(*v));
                    }
                    if let Some(v) = max {
                        let _ = write!(a, ", max = {}", money(*v));
                    }
                    let _ = writeln!(t, "amount = {{ {a} }}");
                }
            }
            if c.tenors.len() == 1 {
                let _ = writeln!(t, "tenor_months = {}", c.tenors[0]);
            } else {
                let w = 1.0 / c.tenors.len() as f64;
                let entries: Vec<String> = c.tenors.iter().map(|m| format!("{m} = {w}")).collect();
                let _ = writeln!(t, "tenor_months = {{ {} }}", entries.join(", "));
            }
            let _ = writeln!(t, "repayment = \"{}\"", REPAYMENTS[c.repayment]);
            let w = 1.0 / c.banks as f64;
            let banks: Vec<String> = BANKS[..c.banks]
                .iter()
                .map(|b| format!("\"{b}\" = {w}"))
                .collect();
            let _ = writeln!(t, "bank = {{ {} }}", banks.join(", "));
            let _ = writeln!(t, "pd_1y = {{ fixed = {} }}", c.pd);
            let _ = writeln!(t, "annual_rate = {}", c.rate);
            let _ = writeln!(t, "pledge_rate = {}", c.pledge_rate);
        }
        let _ = writeln!(
            t,
            "[risk]\nasset_correlation = {}\nsector_share = {}",
            self.correlation, self.sector_share
        );
        match self.lgd {
            Some(l) => {
                let _ = writeln!(t, "lgd = {l}");
            }
            None => {
                let _ = writeln!(t, "lgd = \"collateral\"");
            }
        }
        let sc = &self.scheme;
        let _ = writeln!(t, "[scheme]");
        match &sc.coverage {
            CoverageGen::Ratio(r) => {
                let _ = writeln!(t, "ratio = {r}");
            }
            CoverageGen::Bands(_) | CoverageGen::Layers(_) => {}
            CoverageGen::Split([f, _, i, g, v]) => {
                // The bank takes the rest, so that the shares sum to 1 to the last bit.
                let _ = writeln!(
                    t,
                    "loss_split = {{ fund = {f}, bank = {}, insurer = {i}, guarantor = {g}, \
                     valuation_firm = {v} }}",
                    1.0 - f - i - g - v,
                );
            }
            CoverageGen::Eu(g, c) => {
                let _ = writeln!(t, "eu_cap = {{ guarantee_rate = {g}, cap_rate = {c} }}");
            }
        }
        let _ = writeln!(
            t,
            "trigger = \"{}\"",
            if sc.final_loss { "final_loss" } else { "npl" }
        );
        let _ = writeln!(t, "claim_lag_months = {}", sc.claim_lag);
        let _ = writeln!(t, "disposal_delay_months = {}", sc.disposal_delay);
        if let Some(v) = sc.per_loan_cap {
            let _ = writeln!(t, "per_loan_cap = {}", money(v));
        }
        if let Some(v) = sc.per_loan_cap_after_year1 {
            let _ = writeln!(t, "per_loan_cap_after_year1 = {}", money(v));
        }
        if let Some(v) = sc.annual_cap {
            let _ = writeln!(t, "annual_cap = {}", money(v));
        }
        if let Some(v) = sc.pause {
            let _ = writeln!(t, "pause_bank_npl_above = {v}");
        }
        let _ = writeln!(t, "liability_limited_to_balance = {}", sc.limited);
        if sc.pro_rata {
            let _ = writeln!(t, "recoveries = \"pro_rata\"");
        }
        if let Some(v) = sc.buyer_share {
            let _ = writeln!(t, "recovery_buyer_share = {v}");
        }
        if sc.max_loan.is_some() || sc.max_tenor.is_some() || sc.rate_cap_bp.is_some() {
            let _ = writeln!(t, "[scheme.eligibility]");
            if let Some(v) = sc.max_loan {
                let _ = writeln!(t, "max_loan = {}", money(v));
            }
            if let Some(v) = sc.max_tenor {
                let _ = writeln!(t, "max_tenor_months = {v}");
            }
            if let Some(v) = sc.rate_cap_bp {
                let _ = writeln!(t, "rate_cap = {{ lpr_plus_bp = {v} }}");
            }
        }
        match &sc.coverage {
            CoverageGen::Bands(bands) => {
                for (max, r) in bands {
                    let _ = writeln!(
                        t,
                        "[[scheme.band]]\nmax_amount = {}\nratio = {r}",
                        money(*max)
                    );
                }
            }
            CoverageGen::Layers(layers) => {
                for (k, (r, cap, annual)) in layers.iter().enumerate() {
                    let _ = writeln!(t, "[[scheme.layer]]\nname = \"l{k}\"\nratio = {r}");
                    if let Some(v) = cap {
                        let _ = writeln!(t, "per_loan_cap = {}", money(*v));
                    }
                    if let Some(v) = annual {
                        let _ = writeln!(t, "annual_cap = {}", money(*v));
                    }
                }
            }
            _ => {}
        }
        let f = &self.fund;
        let _ = writeln!(t, "[fund]\ninitial_capital = {}", money(f.capital));
        if let Some(a) = &f.appropriations {
            let a: Vec<String> = a
                .iter()
                .take(self.horizon as usize)
                .map(|v| money(*v))
                .collect();
            let _ = writeln!(t, "appropriations = [{}]", a.join(", "));
        }
        let _ = writeln!(t, "interest_rate = {}", f.interest_rate);
        if let Some(v) = f.leverage {
            let _ = writeln!(t, "leverage_limit = {v}");
        }
        if let Some(v) = f.lpr {
            let _ = writeln!(t, "lpr_1y = {v}");
        }
        if let Some(sub) = &self.subsidies {
            let mut lines = Vec::new();
            if let Some((share, points, cap, ceiling)) = &sub.interest {
                let mut i = format!("share = {share}");
                if let Some(p) = points {
                    let _ = write!(i, ", rate_points = {p}");
                }
                if let Some(c) = cap {
                    let _ = write!(i, ", cap_per_firm_year = {}", money(*c));
                }
                if let Some(x) = ceiling {
                    let _ = write!(i, ", rate_ceiling = {{ lpr_times = {x} }}");
                }
                lines.push(format!("interest = {{ {i} }}"));
            }
            if let Some((share, cap)) = &sub.valuation_fee {
                let c = cap.map_or(String::new(), |c| format!(", cap = {}", money(c)));
                lines.push(format!("valuation_fee = {{ share = {share}{c} }}"));
            }
            if let Some((share, cap)) = &sub.insurance_premium {
                let c = cap.map_or(String::new(), |c| format!(", cap = {}", money(c)));
                lines.push(format!("insurance_premium = {{ share = {share}{c} }}"));
            }
            if !lines.is_empty() {
                let _ = writeln!(t, "[subsidies]");
                let _ = writeln!(
                    t,
                    "paid_from = \"{}\"",
                    if sub.from_fund { "fund" } else { "budget" }
                );
                for l in lines {
                    let _ = writeln!(t, "{l}");
                }
            }
        }
        t
    }
}

/// Every rule the generated scenarios must exercise (checked on a fixed sample of them).
const RULES: &[&str] = &[
    "enrolled",
    "ineligible_amount",
    "ineligible_tenor",
    "ineligible_rate",
    "refused_paused",
    "refused_leverage",
    "pause",
    "amortised_ead",
    "default_in_run_off",
    "buyer_outlay",
    "other_parties",
    "per_loan_cap",
    "per_loan_cap_after_year1",
    "layer_annual_cap",
    "scheme_annual_cap",
    "eu_cap",
    "balance_limit",
    "negative_balance",
    "claim_in_run_off",
    "pro_rata_recovery",
    "origination_subsidy",
    "interest_subsidy",
    "interest_subsidy_cap",
    "rate_ceiling",
    "subsidy_from_fund",
    "subsidy_short",
];

/// Checks one generated scenario; the rules that fired, or why it failed.
fn check_generated(g: &ScenarioGen, paths: u64) -> Result<BTreeSet<&'static str>, String> {
    let text = g.toml();
    let s = Scenario::from_toml_str(&text, &NoFiles)
        .map_err(|e| format!("invalid generated scenario: {e}\n{text}"))?;
    check_scenario(&s, paths)
        .map_err(|e| format!("kernel and reference disagree: {e}\nscenario:\n{text}"))
}

/// A fixed sample of 128 generated scenarios agrees with the kernel, and between them every rule
/// changes some outcome (so the random cases below are not vacuous).
#[test]
fn generated_scenarios_exercise_every_rule() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = scenario_gen();
    let mut fired = BTreeSet::new();
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..128 {
        let g = strategy.new_tree(&mut runner).unwrap().current();
        match check_generated(&g, 64) {
            Ok(f) => {
                for r in &f {
                    *counts.entry(*r).or_insert(0) += 1;
                }
                fired.extend(f)
            }
            Err(e) => panic!("{e}"),
        }
    }
    let missing: Vec<&&str> = RULES.iter().filter(|r| !fired.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "rules never exercised: {missing:?} (scenarios per rule: {counts:?})"
    );
}

/// 48 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Random scenarios switching on every rule, in combinations: the reference and the
    /// kernel agree on every per-path quantity.
    #[test]
    fn kernel_agrees_with_the_reference(g in scenario_gen()) {
        if let Err(e) = check_generated(&g, 64) {
            return Err(TestCaseError::fail(e));
        }
    }
}
