#!/usr/bin/env python3
"""A vectorised NumPy peer of the fund kernel on scenarios/bench-hard.toml.

The book: 10,000 five-year bullet loans of CNY 1 m, all starting in month 0; 50 PD levels
evenly from 0.5 % to 8 % (200 loans each), 8 equally weighted industries. The risk model is
the one of docs/models.md ("The default sampler"):

* per life year y = 1..5 a common factor, AR(1): c_1 = e_1, c_y = phi c_{y-1} + sqrt(1-phi^2) e_y;
* per industry j a composite factor z_{y,j} = sqrt(1-s) c_y + sqrt(s) eta_{y,j};
* a performing loan with one-year PD p defaults in year y with probability
  Phi((Phi^-1(p) - sqrt(rho) z) / sqrt(1-rho)) (every loan is exposed for all 12 months of
  each of its 5 years, so the tenor PD p_m of the engine is p itself);
* EAD = amount (bullet), loss = EAD x LGD (fixed LGD).

Loans of one (PD level, industry) bucket share their conditional PD, so the number of defaults
of a bucket in a year, given the factors, is Binomial(survivors, p(z)): the peer draws those
counts, which is exactly the law of the per-loan Bernoulli draws (for the figures computed
here, which depend only on the counts). `--method loans` instead draws one uniform per loan
and year (paths in chunks x loans) and tracks each loan's survival; it is slower and is kept
as a cross-check of the counting method.

The scheme and fund (docs/schemes.md, docs/scenario-format.md, with their defaults):
ratio 0.5 on the loss (`recoveries` defaults to "none": the claim is on the principal loss and
the fund keeps no claim on recoveries), NPL trigger with `claim_lag_months` = 0 (the claim
falls due in the month of default), per-loan cap CNY 250 k, unlimited liability, initial
capital CNY 500 m, fund interest rate 0 (the default). So every default costs the fund
min(0.5 x 0.6 x 1 m, 250 k) = 250 k, due in its month of default; the balance at the horizon
end is the capital less the claims falling due within the 60 horizon months.

Per path it computes the number of defaults, the gross loss, the claims owed and paid by the
fund (lifetime), the claims paid within the horizon and the balance at the horizon end; it
prints their means with standard errors over the paths, the horizon shortfall probability
(with unlimited liability, no interest and no recoveries the balance only falls, so a
shortfall is a negative balance at the horizon end) and the throughput in loan-years per
second (10,000 loans x 5 years x paths, timing only the simulation).

Usage: python3 benches/numpy_peer/hard_book.py --paths 10000 --seed 1
"""

import os

# Single-threaded, set before NumPy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tomllib  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.special import ndtr, ndtri  # noqa: E402

# ---------------------------------------------------------------------------------------------
# The book and its rules, as scenarios/bench-hard.toml writes them (plus the documented
# defaults of the keys it leaves out). `check_scenario` re-reads the file and refuses to run if
# they drifted apart.
# ---------------------------------------------------------------------------------------------
HORIZON_YEARS = 5
LEVELS = 50
LOANS_PER_LEVEL = 200
INDUSTRIES = 8
PD_1Y = np.round(np.linspace(0.005, 0.08, LEVELS), 6)  # the file writes them to 6 decimals
AMOUNT = 1_000_000.0
TENOR_MONTHS = 60
RHO = 0.15
SECTOR_SHARE = 0.3
PHI = 0.3
LGD = 0.6
RATIO = 0.5
PER_LOAN_CAP = 250_000.0
CLAIM_LAG_MONTHS = 0  # default of `claim_lag_months` (NPL trigger)
RECOVERIES = "none"  # default of `recoveries`
DISPOSAL_DELAY_MONTHS = 12  # default; only used with recoveries = "pro_rata"
INITIAL_CAPITAL = 500_000_000.0
INTEREST_RATE = 0.0  # default of `[fund] interest_rate`

HORIZON_MONTHS = 12 * HORIZON_YEARS
LIFE_YEARS = TENOR_MONTHS // 12
LOANS = LEVELS * LOANS_PER_LEVEL

DEFAULT_SCENARIO = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "bench-hard.toml"


def check_scenario(path):
    """Refuse to run if the scenario file no longer describes the book simulated here."""
    with open(path, "rb") as f:
        sc = tomllib.load(f)
    problems = []

    def want(what, got, expected):
        if got != expected:
            problems.append(f"{what}: the peer assumes {expected!r}, the file has {got!r}")

    want("scenario.horizon_years", sc["scenario"]["horizon_years"], HORIZON_YEARS)
    risk = sc.get("risk", {})
    want("risk.asset_correlation", risk.get("asset_correlation", 0.12), RHO)
    want("risk.sector_share", risk.get("sector_share", 0.0), SECTOR_SHARE)
    want("risk.cycle_persistence", risk.get("cycle_persistence", 0.0), PHI)
    want("risk.pd_multiplier", risk.get("pd_multiplier", 1.0), 1.0)
    want("risk.lgd", risk.get("lgd", 0.6), LGD)
    sch = sc["scheme"]
    if not isinstance(sch, dict) or "preset" in sch:
        problems.append("scheme: the peer needs an inline scheme without a preset")
        sch = {}
    want("scheme.ratio", sch.get("ratio"), RATIO)
    want("scheme.trigger", sch.get("trigger", "npl"), "npl")
    want("scheme.claim_lag_months", sch.get("claim_lag_months", 0), CLAIM_LAG_MONTHS)
    want("scheme.recoveries", sch.get("recoveries", "none"), RECOVERIES)
    want("scheme.disposal_delay_months", sch.get("disposal_delay_months", 12), DISPOSAL_DELAY_MONTHS)
    want("scheme.per_loan_cap", float(sch.get("per_loan_cap", "inf")), PER_LOAN_CAP)
    want("scheme.liability_limited_to_balance", sch.get("liability_limited_to_balance", True), False)
    supported = {
        "name", "source", "ratio", "trigger", "claim_lag_months", "recoveries",
        "disposal_delay_months", "per_loan_cap", "liability_limited_to_balance",
    }
    for k in sorted(set(sch) - supported):
        problems.append(f"scheme.{k}: not modelled by the peer")
    fund = sc["fund"]
    want("fund.initial_capital", float(fund["initial_capital"]), INITIAL_CAPITAL)
    want("fund.interest_rate", fund.get("interest_rate", 0.0), INTEREST_RATE)
    for k in sorted(set(fund) - {"initial_capital", "interest_rate", "lpr_1y"}):
        problems.append(f"fund.{k}: not modelled by the peer")
    for k in sorted(set(sc) - {"scenario", "risk", "scheme", "fund", "book"}):
        problems.append(f"{k}: not modelled by the peer")
    book = sc["book"]
    for k in sorted(set(book) - {"cohort"}):
        problems.append(f"book.{k}: not modelled by the peer")
    cohorts = book.get("cohort", [])
    want("number of cohorts", len(cohorts), LEVELS)
    pds = []
    for i, c in enumerate(cohorts):
        want(f"book.cohort[{i}].year", c.get("year", 1), 1)
        want(f"book.cohort[{i}].origination", c.get("origination", "start"), "start")
        want(f"book.cohort[{i}].count", c["count"], LOANS_PER_LEVEL)
        want(f"book.cohort[{i}].amount", c["amount"], {"fixed": "1000000"})
        want(f"book.cohort[{i}].tenor_months", c.get("tenor_months", 12), TENOR_MONTHS)
        want(f"book.cohort[{i}].repayment", c.get("repayment", "bullet"), "bullet")
        want(f"book.cohort[{i}].industry", sorted(c.get("industry", {}).values()), [0.125] * 8)
        pds.append(c["pd_1y"].get("fixed"))
    if len(pds) == LEVELS and not np.array_equal(np.array(pds, dtype=float), PD_1Y):
        problems.append(f"book.cohort[*].pd_1y: the peer assumes {PD_1Y.tolist()}, the file has {pds}")
    if problems:
        sys.exit("the scenario is not the book this peer simulates:\n  " + "\n  ".join(problems))


def bucket_sizes(mode, seed):
    """Loans per (PD level, industry): exactly 25 each, or drawn like the engine's book
    (each loan's industry drawn from the cohort's equal weights; the engine uses its own
    stream, so the drawn sizes differ from its book but follow the same law)."""
    if mode == "exact":
        return np.full((LEVELS, INDUSTRIES), LOANS_PER_LEVEL // INDUSTRIES, dtype=np.int64)
    rng = np.random.default_rng([seed, 0xB00C])
    return rng.multinomial(LOANS_PER_LEVEL, [1.0 / INDUSTRIES] * INDUSTRIES, size=LEVELS).astype(np.int64)


def composite_factors(rng, paths):
    """z[y, path, j] for the life years: AR(1) common factor plus industry factors."""
    z = np.empty((LIFE_YEARS, paths, INDUSTRIES))
    c = np.zeros(paths)
    a, b = math.sqrt(1.0 - SECTOR_SHARE), math.sqrt(SECTOR_SHARE)
    for y in range(LIFE_YEARS):
        e = rng.standard_normal(paths)
        c = e if y == 0 else PHI * c + math.sqrt(1.0 - PHI * PHI) * e
        eta = rng.standard_normal((paths, INDUSTRIES))
        z[y] = a * c[:, None] + b * eta
    return z


# Conditional PD of a bucket given its composite factor z:
# Phi((Phi^-1(p) - sqrt(rho) z) / sqrt(1 - rho)) = ndtr(THRESH[level] - LOADING * z).
THRESH = ndtri(PD_1Y) / math.sqrt(1.0 - RHO)
LOADING = math.sqrt(RHO) / math.sqrt(1.0 - RHO)


def defaults_by_year_counts(rng, paths, sizes):
    """Defaults per (year, path): binomial counts per bucket, survivors tracked per bucket."""
    alive = np.broadcast_to(sizes, (paths, LEVELS, INDUSTRIES)).copy()
    z = composite_factors(rng, paths)
    out = np.empty((LIFE_YEARS, paths), dtype=np.int64)
    for y in range(LIFE_YEARS):
        p = ndtr(THRESH[None, :, None] - LOADING * z[y][:, None, :])  # (paths, levels, industries)
        d = rng.binomial(alive, p)
        alive -= d
        out[y] = d.sum(axis=(1, 2))
    return out


def defaults_by_year_loans(rng, paths, sizes):
    """Defaults per (year, path): one uniform per loan and year against its bucket's
    conditional PD, survivors tracked per loan."""
    level = np.repeat(np.arange(LEVELS), LOANS_PER_LEVEL)
    industry = np.concatenate([np.repeat(np.arange(INDUSTRIES), sizes[l]) for l in range(LEVELS)])
    bucket = level * INDUSTRIES + industry  # (loans,)
    alive = np.ones((paths, LOANS), dtype=bool)
    z = composite_factors(rng, paths)
    out = np.empty((LIFE_YEARS, paths), dtype=np.int64)
    for y in range(LIFE_YEARS):
        p = ndtr(THRESH[None, :, None] - LOADING * z[y][:, None, :]).reshape(paths, -1)
        d = alive & (rng.random((paths, LOANS)) < p[:, bucket])
        alive &= ~d
        out[y] = d.sum(axis=1)
    return out


def in_horizon_share(delay_months):
    """Share of a year's defaults whose event (claim, recovery) `delay_months` after the
    default month falls within the horizon, the default month being uniform on the year's
    12 months (months 0 .. HORIZON_MONTHS-1 are the horizon)."""
    return np.array(
        [min(max(HORIZON_MONTHS - 12 * y - delay_months, 0), 12) / 12.0 for y in range(LIFE_YEARS)]
    )


def thin(rng, counts, share):
    """Binomial thinning of per-(year, path) counts by a per-year share (exact for a
    uniform default month); shares of 0 and 1 draw nothing."""
    out = np.empty_like(counts)
    for y, s in enumerate(share):
        out[y] = counts[y] if s >= 1.0 else (0 if s <= 0.0 else rng.binomial(counts[y], s))
    return out


def simulate(paths, seed, chunk, method, sizes):
    draw = defaults_by_year_counts if method == "counts" else defaults_by_year_loans
    ead = AMOUNT  # bullet: the whole principal is outstanding until maturity
    loss = ead * LGD
    base = ead if RECOVERIES == "pro_rata" else loss  # pro_rata needs the NPL trigger (it is)
    claim = min(RATIO * base, PER_LOAN_CAP)  # per default, owed and (unlimited liability) paid
    back = claim * (1.0 - LGD) if RECOVERIES == "pro_rata" else 0.0  # paid x recovery / EAD
    claim_share = in_horizon_share(CLAIM_LAG_MONTHS)
    back_share = in_horizon_share(max(DISPOSAL_DELAY_MONTHS, CLAIM_LAG_MONTHS))
    fig = {k: np.empty(paths) for k in (
        "defaults", "gross_loss", "fund_claims", "fund_paid", "recoveries_to_fund",
        "horizon_fund_paid", "horizon_fund_balance_end")}
    for k, start in enumerate(range(0, paths, chunk)):
        n = min(chunk, paths - start)
        rng = np.random.default_rng([seed, k])  # PCG64; chunk k's stream depends on (seed, k)
        d_year = draw(rng, n, sizes)
        d = d_year.sum(axis=0)
        paid_h = thin(rng, d_year, claim_share).sum(axis=0) * claim
        back_h = thin(rng, d_year, back_share).sum(axis=0) * back if back else 0.0
        sl = slice(start, start + n)
        fig["defaults"][sl] = d
        fig["gross_loss"][sl] = d * loss
        fig["fund_claims"][sl] = d * claim
        fig["fund_paid"][sl] = d * claim  # unlimited liability: every claim is paid in full
        fig["recoveries_to_fund"][sl] = d * back
        fig["horizon_fund_paid"][sl] = paid_h
        fig["horizon_fund_balance_end"][sl] = INITIAL_CAPITAL - paid_h + back_h
    return fig


def mean_se(x):
    return {"mean": float(x.mean()), "stderr": float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0}


def engine_figures(path):
    """The same figures from an engine result (`ipledge fund simulate --format json`)."""
    with open(path) as f:
        r = json.load(f)
    life, hor, last = r["lifetime"], r["horizon"], r["years"][-1]
    pick = lambda s: {"mean": s["mean"], "stderr": s["stderr"]}  # noqa: E731
    return {
        "paths": r["paths"],
        "seed": r["seed"],
        "lifetime": {k: pick(life[k]) for k in
                     ("defaults", "gross_loss", "fund_claims", "fund_paid", "recoveries_to_fund")},
        "horizon": {
            "fund_paid": pick(hor["fund_paid"]),
            "fund_balance_end": pick(last["fund_balance_end"]),
            "shortfall_probability": {"mean": hor["shortfall_probability"],
                                      "stderr": hor["shortfall_probability_stderr"]},
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=1000, help="paths per vectorised chunk")
    ap.add_argument("--method", choices=("counts", "loans"), default="counts",
                    help="counts: binomial defaults per bucket and year (default); "
                         "loans: one uniform per loan and year (slower cross-check)")
    ap.add_argument("--buckets", choices=("exact", "drawn"), default="exact",
                    help="exact: 25 loans per (level, industry); drawn: industries drawn per loan")
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO),
                    help="checked to still describe this book (default: scenarios/bench-hard.toml)")
    ap.add_argument("--engine-json", help="an engine result of the same book to compare with")
    args = ap.parse_args()
    if args.paths < 1 or args.chunk < 1:
        ap.error("--paths and --chunk must be at least 1")
    check_scenario(args.scenario)
    sizes = bucket_sizes(args.buckets, args.seed)

    t0 = time.perf_counter()
    fig = simulate(args.paths, args.seed, args.chunk, args.method, sizes)
    seconds = time.perf_counter() - t0

    loan_years = LOANS * HORIZON_YEARS * args.paths
    shortfall = (fig["horizon_fund_balance_end"] < 0.0).astype(float)  # monotone balance, see above
    out = {
        "peer": "numpy",
        "book": "scenarios/bench-hard.toml",
        "method": args.method,
        "buckets": args.buckets,
        "paths": args.paths,
        "seed": args.seed,
        "chunk": args.chunk,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "threads": 1,
        "seconds": round(seconds, 4),
        "loan_years": loan_years,
        "loan_years_per_second": loan_years / seconds,
        "lifetime": {k: mean_se(fig[k]) for k in
                     ("defaults", "gross_loss", "fund_claims", "fund_paid", "recoveries_to_fund")},
        "horizon": {
            "fund_paid": mean_se(fig["horizon_fund_paid"]),
            "fund_balance_end": mean_se(fig["horizon_fund_balance_end"]),
            "shortfall_probability": mean_se(shortfall),
        },
    }
    if args.engine_json:
        eng = engine_figures(args.engine_json)
        rows = {}
        for period in ("lifetime", "horizon"):
            for k, e in eng[period].items():
                p = out[period][k]
                se = math.hypot(p["stderr"], e["stderr"])
                rows[f"{period}.{k}"] = {
                    "peer": p, "engine": e,
                    "z": (p["mean"] - e["mean"]) / se if se > 0 else (0.0 if p["mean"] == e["mean"] else math.inf),
                }
        out["comparison"] = {"engine_paths": eng["paths"], "engine_seed": eng["seed"], "rows": rows}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
