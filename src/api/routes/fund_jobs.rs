//! The kinds of fund job (`simulate`, `size`, `capacity`, `compare`, `optimise`): their
//! request blocks, their validation before queueing (422 with field paths, cost bounds), the
//! work a worker runs, and the HTML report of a finished job. Translation only: the searches
//! live in [`crate::fund`], the pages in [`crate::report`].
//!
//! A job request is the scenario document plus, at its top level, an optional
//! `job = "simulate" | "size" | "capacity" | "compare" | "optimise"` and the block of that
//! kind (`size`, `capacity`, `compare` or `optimise`, as a JSON object or a TOML table). The
//! blocks carry the options of the CLI commands of the same names.

use serde::{Deserialize, Serialize};

use crate::api::AppError;
use crate::api::jobs::{JobOutcome, Progress};
use crate::fund::capacity::{CapacityError, CapacitySettings};
use crate::fund::optimise::{self, Objective, OptimiseError, OptimiseSettings, Vary};
use crate::fund::size::{SizeError, SizeSettings};
use crate::fund::sweep::{Point, SweepError};
use crate::fund::{self, Evaluator, FundError, FundModel, Settings};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::Money;
use crate::report::Lang;
use crate::rng::BATCH_PATHS;
use crate::scenario::{NoFiles, Scenario};

/// Most schemes one `compare` job may set against the scenario's own.
pub const MAX_COMPARE_SCHEMES: usize = 16;

/// Most bisection steps of an `optimise` job's refinement.
pub const MAX_REFINE: u32 = 30;

/// The top-level keys of a job request that are not scenario keys.
pub const JOB_KEYS: [&str; 5] = ["job", "size", "capacity", "compare", "optimise"];

/// What a fund job computes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// `fund simulate`: the scenario's distribution of outcomes (the default).
    #[default]
    Simulate,
    /// `fund size`: the smallest initial capital meeting a shortfall target.
    Size,
    /// `fund capacity`: the largest multiple of the planned book the capital carries.
    Capacity,
    /// `fund compare`: the scenario under its own scheme and under preset schemes.
    Compare,
    /// `fund optimise`: the policy point maximising an objective under a shortfall target.
    Optimise,
}

impl JobKind {
    /// The `jobs.kind` stored.
    pub fn stored(self) -> &'static str {
        match self {
            JobKind::Simulate => "fund_simulation",
            JobKind::Size => "fund_size",
            JobKind::Capacity => "fund_capacity",
            JobKind::Compare => "fund_compare",
            JobKind::Optimise => "fund_optimise",
        }
    }

    /// The kind of a stored `jobs.kind`.
    pub fn from_stored(kind: &str) -> Option<JobKind> {
        [
            JobKind::Simulate,
            JobKind::Size,
            JobKind::Capacity,
            JobKind::Compare,
            JobKind::Optimise,
        ]
        .into_iter()
        .find(|k| k.stored() == kind)
    }

    /// The name in requests and responses.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Simulate => "simulate",
            JobKind::Size => "size",
            JobKind::Capacity => "capacity",
            JobKind::Compare => "compare",
            JobKind::Optimise => "optimise",
        }
    }
}

/// `size` block: the options of `ipledge fund size`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SizeJob {
    /// Largest acceptable probability that the fund cannot pay some claim in full over its
    /// lifetime (horizon and run-off), in [0, 1].
    pub max_shortfall_prob: f64,
    /// Share of the principal that would enrol with unlimited capital that must still enrol
    /// under the leverage limit, in (0, 1] (default 1: the limit refuses nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_enrolled_share: Option<f64>,
    /// Width of the final bracket in CNY; the answer is a multiple of it (default 100000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Money>,
    /// Give up above this initial capital in CNY (default 100000000000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capital: Option<Money>,
}

/// `capacity` block: the options of `ipledge fund capacity`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityJob {
    /// Largest acceptable lifetime shortfall probability, in [0, 1].
    pub max_shortfall_prob: f64,
    /// Share of the principal passing eligibility and pauses that must enrol under the
    /// leverage limit, in (0, 1] (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_enrolled_share: Option<f64>,
    /// Step of the book multiple, in (0, 1]; the answer is a multiple of it (default 0.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<f64>,
    /// Largest book multiple tried (default 16); the draw holds that many books, so
    /// `ceil(max_multiple) × paths` counts against the job limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_multiple: Option<f64>,
}

/// `compare` block: the options of `ipledge fund compare`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareJob {
    /// Scheme presets to set against the scenario's own scheme (`GET /v1/schemes` lists
    /// them), 1 to 16; `(1 + schemes) × paths` counts against the job limit.
    pub schemes: Vec<String>,
}

/// `optimise` block: the options of `ipledge fund optimise`.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimiseJob {
    /// Keys and their ranges, `KEY=LO..HI[:STEPS]` (STEPS evenly spaced values, default 5) or
    /// `KEY=VALUE`: any numeric scenario key (`scheme.ratio`, `fund.leverage_limit`, …) or
    /// `book.multiple`. The grid is every combination; `(points + refine) ×
    /// ceil(largest book.multiple) × paths` counts against the job limit.
    pub vary: Vec<String>,
    /// What to maximise: `credit_enabled`, `book_multiple`, a varied key (e.g.
    /// `scheme.ratio`) or `-public_cost_per_credit`.
    pub objective: String,
    /// Largest acceptable lifetime shortfall probability, in [0, 1].
    pub max_shortfall_prob: f64,
    /// Largest public outlay in CNY: initial capital + appropriations + mean lifetime
    /// subsidies paid from the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    /// Bisection steps refining the optimum along the objective's key (default 6, at most
    /// 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine: Option<u32>,
}

/// The job-specific part of a request (what the scenario document does not say).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JobSpec {
    /// Set for `size` jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<SizeJob>,
    /// Set for `capacity` jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityJob>,
    /// Set for `compare` jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<CompareJob>,
    /// Set for `optimise` jobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimise: Option<OptimiseJob>,
}

impl JobSpec {
    /// The kind of job (a spec built by [`JobSpec::from_keys`] has at most one block).
    pub fn kind(&self) -> JobKind {
        if self.size.is_some() {
            JobKind::Size
        } else if self.capacity.is_some() {
            JobKind::Capacity
        } else if self.compare.is_some() {
            JobKind::Compare
        } else if self.optimise.is_some() {
            JobKind::Optimise
        } else {
            JobKind::Simulate
        }
    }

    /// Reads the job keys taken off the top level of a request (values as JSON). Without
    /// `job`, the one block given names the kind (none: `simulate`).
    pub fn from_keys(
        mut keys: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, AppError> {
        let job = match keys.remove("job") {
            None => None,
            Some(v) => Some(
                crate::input::from_json_value::<JobKind>(v)
                    .map_err(|e| AppError::Invalid(e.within(&FieldPath::new("job"))))?,
            ),
        };
        let blocks: Vec<&str> = ["size", "capacity", "compare", "optimise"]
            .into_iter()
            .filter(|k| keys.contains_key(*k))
            .collect();
        let kind = match job {
            Some(kind) => kind,
            None => match blocks.as_slice() {
                [] => JobKind::Simulate,
                [one] => match *one {
                    "size" => JobKind::Size,
                    "capacity" => JobKind::Capacity,
                    "compare" => JobKind::Compare,
                    _ => JobKind::Optimise,
                },
                _ => {
                    return Err(AppError::Invalid(InputErrors::one(
                        &FieldPath::new("job"),
                        format!(
                            "blocks {} given: say which job to run (simulate, size, capacity, \
                             compare or optimise)",
                            blocks.join(", ")
                        ),
                    )));
                }
            },
        };
        let mut p = Problems::new();
        for block in &blocks {
            if *block != kind.name() {
                p.push(
                    &FieldPath::new(*block),
                    format!(
                        "belongs to job \"{block}\", not \"{}\": remove it",
                        kind.name()
                    ),
                );
            }
        }
        if kind != JobKind::Simulate && !blocks.contains(&kind.name()) {
            p.push(
                &FieldPath::new(kind.name()),
                format!("required for job \"{}\"", kind.name()),
            );
        }
        p.finish(|| ()).map_err(AppError::Invalid)?;
        fn block<T: serde::de::DeserializeOwned>(
            keys: &mut serde_json::Map<String, serde_json::Value>,
            name: &str,
        ) -> Result<Option<T>, AppError> {
            keys.remove(name)
                .map(|v| {
                    crate::input::from_json_value::<T>(v)
                        .map_err(|e| AppError::Invalid(e.within(&FieldPath::new(name))))
                })
                .transpose()
        }
        Ok(JobSpec {
            size: block(&mut keys, "size")?,
            capacity: block(&mut keys, "capacity")?,
            compare: block(&mut keys, "compare")?,
            optimise: block(&mut keys, "optimise")?,
        })
    }
}

fn invalid(path: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid(InputErrors::one(&FieldPath::new(path), message))
}

/// Rejects work above the job limit, naming the field that drives it.
fn bound(work: u128, max: u64, path: &str, what: &str) -> Result<u64, AppError> {
    if work > u128::from(max) {
        return Err(invalid(
            path,
            format!(
                "{what} = {work} path evaluations, above this server's job limit of {max}: \
                 use fewer paths or a smaller search"
            ),
        ));
    }
    Ok(u64::try_from(work).unwrap_or(u64::MAX))
}

/// A 422 naming every setting of `block` the engine finds out of range.
fn bad_settings(block: &str, problems: Vec<(&'static str, String)>) -> Result<(), AppError> {
    let mut p = Problems::new();
    let at = FieldPath::new(block);
    for (name, reason) in problems {
        p.check(false, &at.field(name), reason);
    }
    p.finish(|| ()).map_err(AppError::Invalid)
}

/// Settings of a size job (CLI defaults filled in).
fn size_settings(job: &SizeJob, scenario: &Scenario) -> SizeSettings {
    SizeSettings {
        target: job.max_shortfall_prob,
        min_enrolled_share: job.min_enrolled_share.unwrap_or(1.0),
        resolution: job.resolution.unwrap_or(Money::from_yuan(100_000)),
        max_capital: job.max_capital.unwrap_or(Money::from_yuan(100_000_000_000)),
        start: scenario.fund.initial_capital,
    }
}

/// Settings of a capacity job (CLI defaults filled in).
fn capacity_settings(job: &CapacityJob) -> CapacitySettings {
    CapacitySettings {
        target: job.max_shortfall_prob,
        min_enrolled_share: job.min_enrolled_share.unwrap_or(1.0),
        resolution: job
            .resolution
            .unwrap_or(CapacitySettings::DEFAULT_RESOLUTION),
        max_multiple: job
            .max_multiple
            .unwrap_or(CapacitySettings::DEFAULT_MAX_MULTIPLE),
    }
}

/// The path of an optimise error: the `vary` entry it names where it names one.
fn optimise_error(e: OptimiseError, job: &OptimiseJob, vary: &[Vary]) -> AppError {
    // The last entry with the key: a key varied twice is wrong at its second entry.
    let vary_index = |key: &str| {
        vary.iter()
            .rposition(|v| v.key == key)
            .or_else(|| job.vary.iter().rposition(|a| a == key))
    };
    let at_vary = |key: &str| match vary_index(key) {
        Some(i) => FieldPath::new("optimise.vary").index(i),
        None => FieldPath::new("optimise.vary"),
    };
    match e {
        OptimiseError::Bad { what, arg, reason } => {
            let path = match what {
                "--objective" => FieldPath::new("optimise.objective"),
                "--max-shortfall-prob" => FieldPath::new("optimise.max_shortfall_prob"),
                _ => at_vary(&arg),
            };
            AppError::Invalid(InputErrors::one(&path, reason))
        }
        OptimiseError::Point(SweepError::BadKey { key, reason }) => {
            AppError::Invalid(InputErrors::one(&at_vary(&key), reason))
        }
        OptimiseError::Point(SweepError::Invalid { point, errors }) => {
            let mut out = InputErrors { errors: Vec::new() };
            for mut error in errors.errors {
                let key = vary.iter().position(|v| {
                    error.path == v.key || error.path.starts_with(&format!("{}.", v.key))
                });
                error.message = format!("at grid point {point}: {}", error.message);
                if let Some(i) = key {
                    error.path = format!("optimise.vary[{i}]");
                }
                out.errors.push(error);
            }
            AppError::Invalid(out)
        }
        OptimiseError::Point(other) => invalid("optimise.vary", other.to_string()),
    }
}

/// Checks the block of a job against the scenario before anything is queued (422 naming the
/// field) and bounds its cost. Returns the work units (path evaluations) the job is counted
/// for, its progress total.
pub fn validate(
    spec: &JobSpec,
    text: &str,
    scenario: &Scenario,
    paths: u64,
    max: u64,
) -> Result<u64, AppError> {
    let paths_u = u128::from(paths);
    match spec.kind() {
        JobKind::Simulate => Ok(paths),
        JobKind::Size => {
            let Some(job) = &spec.size else {
                return Ok(paths);
            };
            bad_settings("size", size_settings(job, scenario).problems())?;
            Ok(paths)
        }
        JobKind::Capacity => {
            let Some(job) = &spec.capacity else {
                return Ok(paths);
            };
            let cs = capacity_settings(job);
            bad_settings("capacity", cs.problems())?;
            let copies = cs.max_multiple.ceil() as u128;
            bound(
                copies * paths_u,
                max,
                "capacity.max_multiple",
                "ceil(max_multiple) × paths",
            )
        }
        JobKind::Compare => {
            let Some(job) = &spec.compare else {
                return Ok(paths);
            };
            if job.schemes.is_empty() || job.schemes.len() > MAX_COMPARE_SCHEMES {
                return Err(invalid(
                    "compare.schemes",
                    format!("give 1 to {MAX_COMPARE_SCHEMES} scheme presets"),
                ));
            }
            let mut out = InputErrors { errors: Vec::new() };
            for (i, name) in job.schemes.iter().enumerate() {
                let point = Point(vec![(
                    "scheme".to_string(),
                    toml::Value::String(name.clone()),
                )]);
                let at = FieldPath::new("compare.schemes").index(i);
                match fund::sweep::scenario_at(text, &point, &NoFiles) {
                    Ok(_) => {}
                    Err(SweepError::Invalid { errors, .. }) => {
                        for mut e in errors.errors {
                            e.message = format!("scheme `{name}`: {}: {}", e.path, e.message);
                            e.path = at.as_str().to_string();
                            out.errors.push(e);
                        }
                    }
                    Err(other) => out
                        .errors
                        .extend(InputErrors::one(&at, other.to_string()).errors),
                }
            }
            if !out.errors.is_empty() {
                return Err(AppError::Invalid(out));
            }
            bound(
                (1 + job.schemes.len() as u128) * paths_u,
                max,
                "compare.schemes",
                "(1 + schemes) × paths",
            )
        }
        JobKind::Optimise => {
            let Some(job) = &spec.optimise else {
                return Ok(paths);
            };
            let mut p = Problems::new();
            let mut vary = Vec::with_capacity(job.vary.len());
            for (i, arg) in job.vary.iter().enumerate() {
                match Vary::parse(arg) {
                    Ok(v) => vary.push(v),
                    Err(OptimiseError::Bad { reason, .. }) => {
                        p.push(&FieldPath::new("optimise.vary").index(i), reason);
                    }
                    Err(e) => p.push(&FieldPath::new("optimise.vary").index(i), e.to_string()),
                }
            }
            let objective = match Objective::parse(&job.objective) {
                Ok(o) => Some(o),
                Err(OptimiseError::Bad { reason, .. }) => {
                    p.push(&FieldPath::new("optimise.objective"), reason);
                    None
                }
                Err(e) => {
                    p.push(&FieldPath::new("optimise.objective"), e.to_string());
                    None
                }
            };
            let refine = job.refine.unwrap_or(6);
            p.check(
                refine <= MAX_REFINE,
                &FieldPath::new("optimise.refine"),
                format!("must be at most {MAX_REFINE}"),
            );
            if let Some(b) = job.budget {
                p.check(
                    b > Money::ZERO,
                    &FieldPath::new("optimise.budget"),
                    "must be > 0",
                );
            }
            p.finish(|| ()).map_err(AppError::Invalid)?;
            let Some(objective) = objective else {
                return Err(invalid("optimise.objective", "not understood"));
            };
            let points =
                optimise::validate(text, &NoFiles, &vary, &objective, job.max_shortfall_prob)
                    .map_err(|e| optimise_error(e, job, &vary))?;
            let copies = optimise::max_multiple(&vary).ceil() as u128;
            bound(
                (points as u128 + u128::from(refine)) * copies * paths_u,
                max,
                "optimise.vary",
                "(grid points + refine) × ceil(largest book.multiple) × paths",
            )
        }
    }
}

/// How many copies of the book a job keeps the default events of (0: a simulation keeps
/// none). Called after [`validate`] accepted the spec.
pub fn kept_copies(spec: &JobSpec) -> u64 {
    match spec.kind() {
        JobKind::Simulate => 0,
        JobKind::Size | JobKind::Compare => 1,
        JobKind::Capacity => spec.capacity.as_ref().map_or(1, |job| {
            capacity_settings(job).max_multiple.ceil().max(1.0) as u64
        }),
        JobKind::Optimise => spec.optimise.as_ref().map_or(1, |job| {
            let vary: Vec<Vary> = job
                .vary
                .iter()
                .filter_map(|a| Vary::parse(a).ok())
                .collect();
            optimise::max_multiple(&vary).ceil().max(1.0) as u64
        }),
    }
}

fn serialise<T: Serialize>(result: &T) -> JobOutcome {
    serde_json::to_string(result).map_err(|e| {
        tracing::error!(error = %e, "serialise fund job result");
        "the result could not be serialised; the error was logged".to_string()
    })
}

fn logged(what: &str, e: impl std::fmt::Display) -> String {
    tracing::error!(error = %e, "fund {what} job failed");
    format!("the {what} job failed; the error was logged")
}

fn fund_error(what: &str, e: FundError) -> String {
    match e {
        e @ (FundError::UnknownGrade { .. } | FundError::NoPaths) => e.to_string(),
        e => logged(what, e),
    }
}

/// The work of a job, run by a worker: the engine call of its kind, the result as JSON.
/// Only simulations report progress as they go; the searches report it when they end.
pub fn run(
    spec: &JobSpec,
    text: &str,
    scenario: &Scenario,
    model: FundModel,
    paths: u64,
    seed: u64,
    progress: &Progress,
) -> JobOutcome {
    let report = |done: u64, _total: u64| {
        progress.set(done.saturating_mul(BATCH_PATHS).min(paths));
    };
    let mut settings = Settings::for_scenario(scenario, model);
    settings.paths = paths;
    settings.seed = seed;
    match spec.kind() {
        JobKind::Simulate => {
            settings.progress = Some(&report);
            match fund::simulate(scenario, &settings) {
                Ok(result) => serialise(&result),
                Err(e) => Err(fund_error("simulation", e)),
            }
        }
        JobKind::Size => {
            let Some(job) = &spec.size else {
                return Err(logged("size", "no size block"));
            };
            let search = size_settings(job, scenario);
            let run =
                fund::DrawnRun::draw(scenario, &settings).map_err(|e| fund_error("size", e))?;
            match fund::size::size(&run, &search) {
                Ok(result) => serialise(&result),
                Err(e @ (SizeError::BadSetting { .. } | SizeError::Unreachable { .. })) => {
                    Err(e.to_string())
                }
                Err(e) => Err(logged("size", e)),
            }
        }
        JobKind::Capacity => {
            let Some(job) = &spec.capacity else {
                return Err(logged("capacity", "no capacity block"));
            };
            match fund::capacity::capacity(scenario, &settings, &capacity_settings(job)) {
                Ok(result) => serialise(&result),
                Err(e @ CapacityError::BadSetting { .. }) => Err(e.to_string()),
                Err(CapacityError::Fund(e)) => Err(fund_error("capacity", e)),
            }
        }
        JobKind::Compare => {
            let Some(job) = &spec.compare else {
                return Err(logged("compare", "no compare block"));
            };
            let mut evaluator = Evaluator::new(&settings, 1);
            match fund::compare::compare(text, &NoFiles, &job.schemes, &mut evaluator) {
                Ok(result) => serialise(&result),
                Err(e @ SweepError::Simulation { .. }) => Err(logged("compare", e)),
                Err(e) => Err(e.to_string()),
            }
        }
        JobKind::Optimise => {
            let Some(job) = &spec.optimise else {
                return Err(logged("optimise", "no optimise block"));
            };
            let vary: Vec<Vary> = job
                .vary
                .iter()
                .map(|a| Vary::parse(a))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            let objective = Objective::parse(&job.objective).map_err(|e| e.to_string())?;
            let search = OptimiseSettings {
                target: job.max_shortfall_prob,
                budget: job.budget,
                refine: job.refine.unwrap_or(6),
            };
            let copies = optimise::max_multiple(&vary).ceil() as u32;
            let mut evaluator = Evaluator::new(&settings, copies);
            match optimise::optimise(text, &NoFiles, &vary, &objective, &search, &mut evaluator) {
                Ok(result) => serialise(&result),
                Err(e @ OptimiseError::Point(SweepError::Simulation { .. })) => {
                    Err(logged("optimise", e))
                }
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

/// The HTML report of a finished job's stored result.
pub fn render(kind: JobKind, result: &str, lang: Lang) -> Result<String, String> {
    fn read<T: serde::de::DeserializeOwned>(result: &str) -> Result<T, String> {
        serde_json::from_str(result).map_err(|e| format!("stored result does not read back: {e}"))
    }
    let html = match kind {
        JobKind::Simulate => crate::report::render_html(&read(result)?, lang),
        JobKind::Size => crate::report::render_size(&read(result)?, lang),
        JobKind::Capacity => crate::report::render_capacity(&read(result)?, lang),
        JobKind::Compare => crate::report::render_compare(&read(result)?, lang),
        JobKind::Optimise => crate::report::render_optimise(&read(result)?, lang),
    };
    html.map_err(|e| format!("report: {e}"))
}
