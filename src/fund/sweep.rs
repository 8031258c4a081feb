//! Parameter sweeps over scenario keys (`ipledge fund sweep --set KEY=V1,V2,...`).
//!
//! A sweep edits the scenario's TOML value tree *before* validation, so any key of the file
//! can be swept (`scheme.ratio`, `risk.asset_correlation`, `book.cohort[0].count`,
//! `fund.initial_capital`), and every grid point goes through exactly the same parsing and
//! validation as a file would. A scheme given by reference (`scheme = "schemes/x.toml"` or a
//! preset name) is inlined from its text first, so its keys can be swept too.
//!
//! Every key is honoured: `scenario.seed` and `scenario.paths` change the run of that point
//! (unless `--seed`/`--paths` fix them for the whole sweep), `scheme.preset=NAME` (or
//! `scheme=NAME`) swaps the whole scheme for a preset, a value may be a whole TOML table or
//! array (`scheme.loss_split={fund=0.5,bank=0.5}`: commas inside braces, brackets or quotes do
//! not split values), and setting one coverage form of a scheme (`ratio`, `band`, `layer`,
//! `loss_split`, `eu_cap`) removes the scheme's other forms, since a scheme has exactly one.
//!
//! Owns the key syntax, the value parsing and the grid; must not know about the CLI or print.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::FundResult;
use crate::input::InputErrors;
use crate::scenario::{Resolver, Scenario};
use crate::scheme::{COVERAGE_KEYS, overlay, presets};

/// Why a sweep cannot be set up or a grid point cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// A `--set` argument is not `KEY=V1,V2,...`.
    #[error("bad --set `{arg}`: {reason}")]
    BadSet {
        /// The argument as given.
        arg: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key cannot be set in this scenario.
    #[error("bad sweep key `{key}`: {reason}")]
    BadKey {
        /// The dotted key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The scenario text is not TOML.
    #[error("scenario is not valid TOML: {0}")]
    NotToml(String),
    /// The simulation of a point failed.
    #[error("simulation of sweep point {point} failed: {message}")]
    Simulation {
        /// The point.
        point: String,
        /// The engine's message.
        message: String,
    },
    /// A grid point does not validate (an unknown key is reported here with its path).
    #[error("sweep point {point} is not a valid scenario:\n{errors}")]
    Invalid {
        /// The point, as `key=value` pairs.
        point: String,
        /// Every bad field.
        errors: InputErrors,
    },
}

/// One swept key and the values it takes, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Dotted key into the scenario TOML (`scheme.ratio`, `book.cohort[0].count`).
    pub key: String,
    /// The values, parsed as TOML values (`0.3`, `5`, `true`, `basel_sme`).
    pub values: Vec<toml::Value>,
}

impl Axis {
    /// Parses `KEY=V1,V2,...`. A value is read as a TOML number, boolean or quoted string;
    /// anything else is taken as a bare string (`risk.asset_correlation=basel_sme`).
    pub fn parse(arg: &str) -> Result<Axis, SweepError> {
        let bad = |reason: &str| SweepError::BadSet {
            arg: arg.to_string(),
            reason: reason.to_string(),
        };
        let (key, values) = arg
            .split_once('=')
            .ok_or_else(|| bad("expected KEY=V1,V2,..."))?;
        let key = key.trim();
        parse_key(key).map_err(|reason| SweepError::BadKey {
            key: key.to_string(),
            reason,
        })?;
        let values: Vec<toml::Value> = split_values(values)
            .into_iter()
            .map(str::trim)
            .map(|v| {
                if v.is_empty() {
                    Err(bad("empty value"))
                } else {
                    Ok(parse_value(v))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Axis {
            key: key.to_string(),
            values,
        })
    }
}

/// Splits `V1,V2,...` at the commas outside braces, brackets and quotes.
fn split_values(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// One grid point: the value of every axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Point(pub Vec<(String, toml::Value)>);

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={}", display_value(v))?;
        }
        Ok(())
    }
}

/// A value as the user would write it on the command line (strings unquoted).
pub fn display_value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The full grid, first axis slowest (row-major), one point per combination.
pub fn grid(axes: &[Axis]) -> Vec<Point> {
    let mut points = vec![Point(Vec::new())];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |v| {
                    let mut next = p.0.clone();
                    next.push((axis.key.clone(), v.clone()));
                    Point(next)
                })
            })
            .collect();
    }
    points
}

/// Builds the scenario of one grid point from the scenario text: sets every key, then parses
/// and validates the edited document exactly as a file.
pub fn scenario_at(
    text: &str,
    point: &Point,
    files: &dyn Resolver,
) -> Result<Scenario, SweepError> {
    let mut doc: toml::Table =
        toml::from_str(text).map_err(|e| SweepError::NotToml(e.message().to_string()))?;
    for (key, value) in &point.0 {
        set(&mut doc, key, value.clone(), files)?;
    }
    let edited = toml::to_string(&doc).map_err(|e| SweepError::BadKey {
        key: point.to_string(),
        reason: format!("cannot write the edited scenario: {e}"),
    })?;
    Scenario::from_toml_str(&edited, files).map_err(|errors| SweepError::Invalid {
        point: point.to_string(),
        errors,
    })
}

/// The result of a sweep (the JSON of `fund sweep --format json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepResult {
    /// Scenario name (of the unedited file).
    pub scenario: String,
    /// Seed of the unedited scenario's run (each row carries its own).
    pub seed: u64,
    /// Paths of the unedited scenario's run (each row carries its own).
    pub paths: u64,
    /// `[model] id` of the model file.
    pub model_id: String,
    /// SHA-256 of the model file.
    pub model_sha256: String,
    /// The swept keys, in `--set` order.
    pub keys: Vec<String>,
    /// One row per grid point, first key slowest.
    pub rows: Vec<SweepRow>,
    /// Draws of default events made for the grid (each the sampler work of one simulation):
    /// points that differ only in ledger keys (scheme rules, capital, appropriations) share
    /// one draw.
    #[serde(default)]
    pub draws: u32,
    /// Ledger passes run (one per point).
    #[serde(default)]
    pub ledger_passes: u32,
}

/// The headline figures of one grid point (horizon totals; means with their standard
/// errors, CNY unless a count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SweepRow {
    /// The value of every swept key at this point.
    pub set: BTreeMap<String, serde_json::Value>,
    /// Seed of this point's run.
    pub seed: u64,
    /// Paths of this point's run.
    pub paths: u64,
    /// P(some claim in the horizon not paid in full).
    pub shortfall_probability: f64,
    /// Its standard error.
    pub shortfall_probability_stderr: f64,
    /// Mean defaults over the horizon.
    pub defaults_mean: f64,
    /// Mean compensation owed.
    pub fund_claims_mean: f64,
    /// Its standard error.
    pub fund_claims_stderr: f64,
    /// 99th percentile of claims (VaR 99).
    pub fund_claims_p99: f64,
    /// Expected shortfall 99 of claims.
    pub fund_claims_es99: f64,
    /// Mean compensation paid.
    pub fund_paid_mean: f64,
    /// Its standard error.
    pub fund_paid_stderr: f64,
    /// Mean loss left with the banks.
    pub bank_loss_mean: f64,
    /// Mean loss of the other parties of a loss split.
    pub other_parties_loss_mean: f64,
    /// Mean subsidies paid.
    pub subsidies_mean: f64,
    /// Mean loans refused by the leverage limit.
    pub refused_leverage_mean: f64,
    /// Mean loans refused because their bank was paused.
    pub refused_paused_mean: f64,
    /// Mean loans failing the eligibility rules.
    pub ineligible_mean: f64,
    /// Median fund balance at the end of the last horizon year.
    pub final_balance_p50: f64,
    /// Mean principal enrolled.
    pub credit_enabled: f64,
    /// Mean peak leverage (outstanding enrolled exposure ÷ balance).
    pub peak_leverage_mean: f64,
    /// Credit enabled per yuan of public money put in.
    pub credit_per_public_yuan: f64,
    /// Lifetime public cost per yuan of credit.
    pub public_cost_per_credit: f64,
    /// P(shortfall) over horizon and run-off.
    pub lifetime_shortfall_probability: f64,
    /// Its standard error.
    pub lifetime_shortfall_probability_stderr: f64,
    /// Mean lifetime compensation owed.
    pub lifetime_fund_claims_mean: f64,
}

impl SweepRow {
    /// The row of one point's result.
    pub fn new(point: &Point, r: &FundResult) -> Self {
        let h = &r.horizon;
        let l = &r.lifetime;
        SweepRow {
            set: point
                .0
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
            seed: r.seed,
            paths: r.paths,
            shortfall_probability: h.shortfall_probability,
            shortfall_probability_stderr: h.shortfall_probability_stderr,
            defaults_mean: h.defaults.mean,
            fund_claims_mean: h.fund_claims.mean,
            fund_claims_stderr: h.fund_claims.stderr,
            fund_claims_p99: h.fund_claims.p99,
            fund_claims_es99: h.fund_claims.es99,
            fund_paid_mean: h.fund_paid.mean,
            fund_paid_stderr: h.fund_paid.stderr,
            bank_loss_mean: l.bank_loss.mean,
            other_parties_loss_mean: l.other_parties_loss.mean,
            subsidies_mean: l.subsidies.mean,
            refused_leverage_mean: h.refused_leverage.mean,
            refused_paused_mean: h.refused_paused.mean,
            ineligible_mean: h.ineligible.mean,
            final_balance_p50: r.years.last().map_or(0.0, |y| y.fund_balance_end.p50),
            credit_enabled: h.credit_enabled.mean,
            peak_leverage_mean: l.peak_leverage.mean,
            credit_per_public_yuan: h.credit_per_public_yuan,
            public_cost_per_credit: l.public_cost_per_credit,
            lifetime_shortfall_probability: l.shortfall_probability,
            lifetime_shortfall_probability_stderr: l.shortfall_probability_stderr,
            lifetime_fund_claims_mean: l.fund_claims.mean,
        }
    }

    /// Names of the figure columns, in CSV/table order (after the swept keys).
    pub const FIGURES: [&'static str; 23] = [
        "shortfall_probability",
        "shortfall_probability_stderr",
        "defaults_mean",
        "fund_claims_mean",
        "fund_claims_stderr",
        "fund_claims_p99",
        "fund_claims_es99",
        "fund_paid_mean",
        "fund_paid_stderr",
        "bank_loss_mean",
        "other_parties_loss_mean",
        "subsidies_mean",
        "refused_leverage_mean",
        "refused_paused_mean",
        "ineligible_mean",
        "final_balance_p50",
        "credit_enabled",
        "peak_leverage_mean",
        "credit_per_public_yuan",
        "public_cost_per_credit",
        "lifetime_shortfall_probability",
        "lifetime_shortfall_probability_stderr",
        "lifetime_fund_claims_mean",
    ];

    /// The figures in [`SweepRow::FIGURES`] order.
    pub fn figures(&self) -> [f64; 23] {
        [
            self.shortfall_probability,
            self.shortfall_probability_stderr,
            self.defaults_mean,
            self.fund_claims_mean,
            self.fund_claims_stderr,
            self.fund_claims_p99,
            self.fund_claims_es99,
            self.fund_paid_mean,
            self.fund_paid_stderr,
            self.bank_loss_mean,
            self.other_parties_loss_mean,
            self.subsidies_mean,
            self.refused_leverage_mean,
            self.refused_paused_mean,
            self.ineligible_mean,
            self.final_balance_p50,
            self.credit_enabled,
            self.peak_leverage_mean,
            self.credit_per_public_yuan,
            self.public_cost_per_credit,
            self.lifetime_shortfall_probability,
            self.lifetime_shortfall_probability_stderr,
            self.lifetime_fund_claims_mean,
        ]
    }
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_else(|_| serde_json::Value::String(display_value(v)))
}

/// Runs the sweep: builds and validates EVERY point first (so a bad key fails before any
/// simulation), then simulates each with `simulate`, which must use the same seed and paths
/// for every point.
pub fn run<E: fmt::Display>(
    text: &str,
    files: &dyn Resolver,
    axes: &[Axis],
    mut simulate: impl FnMut(&Scenario) -> Result<FundResult, E>,
) -> Result<SweepResult, SweepError> {
    let base = scenario_at(text, &Point(Vec::new()), files)?;
    let points = grid(axes);
    let scenarios: Vec<Scenario> = points
        .iter()
        .map(|p| scenario_at(text, p, files))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::with_capacity(points.len());
    let mut meta = None;
    for (point, scenario) in points.iter().zip(&scenarios) {
        let r = simulate(scenario).map_err(|e| SweepError::Simulation {
            point: point.to_string(),
            message: e.to_string(),
        })?;
        rows.push(SweepRow::new(point, &r));
        meta.get_or_insert((r.seed, r.paths, r.model_id, r.model_sha256));
    }
    let (seed, paths, model_id, model_sha256) =
        meta.unwrap_or((base.seed, base.paths, String::new(), String::new()));
    Ok(SweepResult {
        scenario: base.name,
        seed,
        paths,
        model_id,
        model_sha256,
        keys: axes.iter().map(|a| a.key.clone()).collect(),
        rows,
        // Set by the caller, which knows how it ran the points.
        draws: 0,
        ledger_passes: 0,
    })
}

/// One step of a dotted key: a table field, optionally indexed (`cohort[0]`).
#[derive(Debug, PartialEq)]
struct Step<'a> {
    field: &'a str,
    index: Option<usize>,
}

fn parse_key(key: &str) -> Result<Vec<Step<'_>>, String> {
    if key.is_empty() {
        return Err("empty key".to_string());
    }
    key.split('.')
        .map(|part| {
            let (field, index) = match part.split_once('[') {
                None => (part, None),
                Some((field, rest)) => {
                    let i = rest
                        .strip_suffix(']')
                        .and_then(|n| n.parse::<usize>().ok())
                        .ok_or_else(|| format!("bad index in `{part}` (expected name[N])"))?;
                    (field, Some(i))
                }
            };
            let ok = !field.is_empty()
                && field
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if ok {
                Ok(Step { field, index })
            } else {
                Err(format!("bad key part `{part}`"))
            }
        })
        .collect()
}

/// A command-line value as a TOML value.
fn parse_value(text: &str) -> toml::Value {
    #[derive(serde::Deserialize)]
    struct One {
        v: toml::Value,
    }
    match toml::from_str::<One>(&format!("v = {text}")) {
        Ok(one) => one.v,
        Err(_) => toml::Value::String(text.to_string()),
    }
}

/// Adapts a parsed value to the type already at the key: amounts written as strings stay
/// strings (`"70000000"`), and a whole number where a float stands becomes a float.
fn coerce(existing: Option<&toml::Value>, value: toml::Value) -> toml::Value {
    match (existing, value) {
        (Some(toml::Value::String(_)), toml::Value::Integer(i)) => {
            toml::Value::String(i.to_string())
        }
        (Some(toml::Value::String(_)), toml::Value::Float(f)) => toml::Value::String(f.to_string()),
        (Some(toml::Value::Float(_)), toml::Value::Integer(i)) => toml::Value::Float(i as f64),
        (_, v) => v,
    }
}

/// Sets `key` in `doc`, creating missing tables on the way (optional sections and keys may
/// be absent from the file). A scheme reference is inlined before a key inside it is set.
fn set(
    doc: &mut toml::Table,
    key: &str,
    value: toml::Value,
    files: &dyn Resolver,
) -> Result<(), SweepError> {
    let bad = |reason: String| SweepError::BadKey {
        key: key.to_string(),
        reason,
    };
    let steps = parse_key(key).map_err(bad)?;
    let in_scheme = steps.len() > 1 && steps[0].field == "scheme" && steps[0].index.is_none();
    if in_scheme && steps.len() == 2 && steps[1].field == "preset" && steps[1].index.is_none() {
        // A preset swaps the whole scheme.
        let mut table = toml::Table::new();
        table.insert("preset".to_string(), value);
        doc.insert("scheme".to_string(), toml::Value::Table(table));
        return Ok(());
    }
    if in_scheme {
        inline_scheme(doc, files).map_err(bad)?;
        if COVERAGE_KEYS.contains(&steps[1].field) {
            if let Some(scheme) = doc.get_mut("scheme").and_then(toml::Value::as_table_mut) {
                scheme.retain(|k, _| k == steps[1].field || !COVERAGE_KEYS.contains(&k));
            }
        }
    }
    let mut table = doc;
    let mut walked = String::new();
    for (i, step) in steps.iter().enumerate() {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(step.field);
        let last = i + 1 == steps.len();
        match (step.index, last) {
            (None, true) => {
                let v = coerce(table.get(step.field), value);
                table.insert(step.field.to_string(), v);
                return Ok(());
            }
            (None, false) => {
                let entry = table
                    .entry(step.field.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                table = entry
                    .as_table_mut()
                    .ok_or_else(|| bad(format!("`{walked}` is not a table")))?;
            }
            (Some(n), _) => {
                let array = table
                    .get_mut(step.field)
                    .and_then(toml::Value::as_array_mut)
                    .ok_or_else(|| bad(format!("`{walked}` is not an array in this scenario")))?;
                let len = array.len();
                let item = array
                    .get_mut(n)
                    .ok_or_else(|| bad(format!("`{walked}` has {len} entries, no index {n}")))?;
                if last {
                    *item = coerce(Some(item), value);
                    return Ok(());
                }
                walked.push_str(&format!("[{n}]"));
                table = item
                    .as_table_mut()
                    .ok_or_else(|| bad(format!("`{walked}` is not a table")))?;
            }
        }
    }
    Ok(())
}

/// Replaces `scheme = "reference"` by the referenced scheme's table (the file next to the
/// scenario, else the embedded preset of that name), exactly as validation would read it.
fn inline_scheme(doc: &mut toml::Table, files: &dyn Resolver) -> Result<(), String> {
    // An inline table starting from a preset: the preset's document with the table laid
    // over it, as validation reads it.
    if let Some(toml::Value::Table(inline)) = doc.get("scheme") {
        let mut inline = inline.clone();
        if let Some(toml::Value::String(reference)) = inline.remove("preset") {
            let mut probe = toml::Table::new();
            probe.insert("scheme".to_string(), toml::Value::String(reference));
            inline_scheme(&mut probe, files)?;
            if let Some(toml::Value::Table(mut base)) = probe.remove("scheme") {
                overlay(&mut base, inline);
                doc.insert("scheme".to_string(), toml::Value::Table(base));
            }
        }
        return Ok(());
    }
    let Some(toml::Value::String(reference)) = doc.get("scheme") else {
        return Ok(());
    };
    let stem = reference
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(reference)
        .trim_end_matches(".toml")
        .to_string();
    let text = match files.read(reference) {
        Ok(text) => text,
        Err(read_error) => presets::text(&stem)
            .map(str::to_string)
            .ok_or_else(|| format!("scheme `{reference}` cannot be inlined: {read_error}"))?,
    };
    let mut table: toml::Table = toml::from_str(&text)
        .map_err(|e| format!("scheme `{reference}` is not valid TOML: {}", e.message()))?;
    table
        .entry("name".to_string())
        .or_insert_with(|| toml::Value::String(stem));
    doc.insert("scheme".to_string(), toml::Value::Table(table));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::NoFiles;

    const BASE: &str = r#"
[scenario]
name = "t"
horizon_years = 2

[[book.cohort]]
count = 10
amount = { fixed = "1000000" }
pd_1y = { fixed = 0.02 }

[risk]
asset_correlation = 0.12

[scheme]
ratio = 0.5

[fund]
initial_capital = "10000000"
"#;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn set_parses_keys_values_and_the_grid_is_row_major() {
        let a = Axis::parse("scheme.ratio=0.3, 0.5").unwrap();
        let b = Axis::parse("risk.asset_correlation=basel_sme,0.05").unwrap();
        assert_eq!(
            a.values,
            vec![toml::Value::Float(0.3), toml::Value::Float(0.5)]
        );
        assert_eq!(b.values[0], toml::Value::String("basel_sme".into()));
        let g = grid(&[a, b]);
        let shown: Vec<String> = g.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "scheme.ratio=0.3, risk.asset_correlation=basel_sme",
                "scheme.ratio=0.3, risk.asset_correlation=0.05",
                "scheme.ratio=0.5, risk.asset_correlation=basel_sme",
                "scheme.ratio=0.5, risk.asset_correlation=0.05",
            ]
        );
        assert!(matches!(
            Axis::parse("scheme.ratio"),
            Err(SweepError::BadSet { .. })
        ));
        assert!(matches!(
            Axis::parse("scheme.ratio=0.1,"),
            Err(SweepError::BadSet { .. })
        ));
        assert!(matches!(
            Axis::parse("a..b=1"),
            Err(SweepError::BadKey { .. })
        ));
        assert!(matches!(
            Axis::parse("book.cohort[x].count=1"),
            Err(SweepError::BadKey { .. })
        ));
    }

    #[test]
    fn set_keeps_types_creates_optional_tables_and_indexes_arrays() {
        let mut doc = table(BASE);
        set(
            &mut doc,
            "fund.initial_capital",
            parse_value("5000000"),
            &NoFiles,
        )
        .unwrap();
        assert_eq!(doc["fund"]["initial_capital"].as_str(), Some("5000000"));
        set(
            &mut doc,
            "risk.asset_correlation",
            parse_value("0"),
            &NoFiles,
        )
        .unwrap();
        assert_eq!(doc["risk"]["asset_correlation"].as_float(), Some(0.0));
        set(&mut doc, "risk.pd_multiplier", parse_value("2"), &NoFiles).unwrap();
        assert_eq!(doc["risk"]["pd_multiplier"].as_integer(), Some(2));
        set(
            &mut doc,
            "book.cohort[0].count",
            parse_value("25"),
            &NoFiles,
        )
        .unwrap();
        assert_eq!(doc["book"]["cohort"][0]["count"].as_integer(), Some(25));
        set(
            &mut doc,
            "subsidies.valuation_fee.share",
            parse_value("0.5"),
            &NoFiles,
        )
        .unwrap();
        assert_eq!(
            doc["subsidies"]["valuation_fee"]["share"].as_float(),
            Some(0.5)
        );

        let err = set(&mut doc, "book.cohort[3].count", parse_value("1"), &NoFiles).unwrap_err();
        assert!(err.to_string().contains("no index 3"), "{err}");
        let err = set(&mut doc, "scenario.name.x", parse_value("1"), &NoFiles).unwrap_err();
        assert!(
            err.to_string().contains("`scenario.name` is not a table"),
            "{err}"
        );
    }

    #[test]
    fn every_point_validates_like_a_file_and_unknown_keys_are_named() {
        let axis = Axis::parse("scheme.ratio=0.25,1").unwrap();
        let ratios: Vec<f64> = grid(std::slice::from_ref(&axis))
            .iter()
            .map(|p| {
                scenario_at(BASE, p, &NoFiles).unwrap().scheme.compensation(
                    crate::money::Money::from_yuan(100),
                    crate::money::Money::from_yuan(1000),
                    1,
                )
            })
            .collect();
        assert_eq!(ratios, vec![25.0, 100.0]);

        let bad = Axis::parse("risk.asset_corelation=0.1").unwrap();
        let err = scenario_at(BASE, &grid(&[bad])[0], &NoFiles).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("risk.asset_corelation=0.1"), "{text}");
        assert!(text.contains("asset_corelation"), "{text}");

        let out_of_range = Axis::parse("scheme.ratio=1.5").unwrap();
        let err = scenario_at(BASE, &grid(&[out_of_range])[0], &NoFiles).unwrap_err();
        match err {
            SweepError::Invalid { errors, .. } => assert!(errors.has_path("scheme.ratio")),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn a_preset_scheme_reference_is_inlined_before_its_keys_are_set() {
        let text = BASE.replace("[scheme]\nratio = 0.5\n", "").replace(
            "[scenario]",
            "scheme = \"schemes/zhongshan.toml\"\n[scenario]",
        );
        let base = scenario_at(&text, &Point(vec![]), &NoFiles).unwrap();
        let axis = Axis::parse("scheme.liability_limited_to_balance=false").unwrap();
        let edited = scenario_at(&text, &grid(&[axis])[0], &NoFiles).unwrap();
        assert_ne!(base.scheme, edited.scheme);
        assert_eq!(base.scheme.name, edited.scheme.name);
    }

    #[test]
    fn table_values_presets_and_coverage_forms_are_honoured() {
        let a = Axis::parse("scheme.loss_split={fund=0.5,bank=0.5},{fund=0.3,bank=0.7}").unwrap();
        assert_eq!(a.values.len(), 2);
        let p = &grid(std::slice::from_ref(&a))[1];
        let s = scenario_at(BASE, p, &NoFiles).unwrap();
        // The loss split replaced the ratio: a scheme has one coverage form.
        assert!(matches!(s.scheme.coverage, crate::scheme::Coverage::Split(x) if x.fund == 0.3));
        // A preset swaps the whole scheme; a ratio on a loss-split preset replaces its split.
        let zs = BASE.replace("[scheme]\nratio = 0.5", "[scheme]\npreset = \"zhongshan\"");
        let ratio = Axis::parse("scheme.ratio=0.3").unwrap();
        let s = scenario_at(&zs, &grid(&[ratio])[0], &NoFiles).unwrap();
        assert_eq!(s.scheme.coverage, crate::scheme::Coverage::Ratio(0.3));
        assert_eq!(s.scheme.leverage_limit, Some(10.0));
        let preset = Axis::parse("scheme.preset=weihai,sba-7a").unwrap();
        let names: Vec<String> = grid(&[preset])
            .iter()
            .map(|p| scenario_at(BASE, p, &NoFiles).unwrap().scheme.name)
            .collect();
        assert_eq!(names, ["weihai", "sba-7a"]);
        // Seed and paths are scenario keys like any other.
        let seeds = Axis::parse("scenario.seed=3,4").unwrap();
        let got: Vec<u64> = grid(&[seeds])
            .iter()
            .map(|p| scenario_at(BASE, p, &NoFiles).unwrap().seed)
            .collect();
        assert_eq!(got, [3, 4]);
    }
}
