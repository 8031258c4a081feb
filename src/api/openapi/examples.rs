//! The examples of the OpenAPI document: one or more realistic request bodies per operation
//! that takes one (the shipped sample files where there is one, so the examples are the files
//! the README and the CLI tests use), and examples of the answers a client reads most. Every
//! example validates against its schema and is accepted by the server
//! (`tests/api_contract.rs` posts each one).

use serde_json::{Map, Value, json};

/// A shipped JSON sample; the samples are checked in and tested, so a parse failure is a bug
/// caught by the contract test (the example is then `null`, which fails validation).
fn sample(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The scenario every fund-job example runs: a small pilot book under the Zhongshan preset,
/// 2,000 paths, so that each example job finishes in seconds.
fn pilot_scenario() -> Map<String, Value> {
    let scenario = json!({
        "scenario": {"name": "pilot-fund", "horizon_years": 3, "paths": 2000, "seed": 7},
        "scheme": "zhongshan",
        "book": {"cohort": [{
            "count": 100,
            "origination": "uniform",
            "amount": {"median": "3000000", "p90": "8000000", "min": "500000", "max": "20000000"},
            "tenor_months": 12,
            "pd_1y": {"mean": 0.03, "dispersion": 0.6},
            "pledge_rate": 0.3
        }]},
        "risk": {"asset_correlation": 0.12, "lgd": 0.6},
        "fund": {"initial_capital": "70000000"}
    });
    match scenario {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The pilot scenario with `job` and its block at the top level.
fn job(kind: &str, block: Value) -> Value {
    let mut scenario = pilot_scenario();
    scenario.insert("job".to_string(), json!(kind));
    scenario.insert(kind.to_string(), block);
    Value::Object(scenario)
}

/// An `optimise` job: the compensation ratio that keeps the shortfall probability under 5 %.
pub(super) fn optimise_job() -> Value {
    job(
        "optimise",
        json!({
            "vary": ["scheme.ratio=0.2..0.6:5"],
            "objective": "scheme.ratio",
            "max_shortfall_prob": 0.05
        }),
    )
}

/// The same pilot scenario as a TOML file.
const PILOT_TOML: &str = r#"scheme = "zhongshan"

[scenario]
name = "pilot-fund"
horizon_years = 3
paths = 2000
seed = 7

[[book.cohort]]
count = 100
origination = "uniform"
amount = { median = "3000000", p90 = "8000000", min = "500000", max = "20000000" }
tenor_months = 12
pd_1y = { mean = 0.03, dispersion = 0.6 }
pledge_rate = 0.3

[risk]
asset_correlation = 0.12
lgd = 0.6

[fund]
initial_capital = "70000000"
"#;

/// A 422 problem, as the server writes it.
pub(super) fn problem() -> Value {
    json!({
        "type": "/problems/invalid-input",
        "title": "Invalid input",
        "status": 422,
        "detail": "1 bad field",
        "errors": [{
            "path": "pledged_assets[0].grant_date",
            "message": "must not be before filing_date"
        }]
    })
}

/// `(name, summary, value)` of the request examples of an operation, by media type.
fn requests(operation_id: &str) -> Vec<(&'static str, &'static str, &'static str, Value)> {
    const JSON: &str = "application/json";
    match operation_id {
        "createApplication" => vec![
            (
                JSON,
                "approve",
                "a small Chengdu software firm pledging four granted inventions, with a guarantee, under the Sichuan Tianfu scheme",
                sample(include_str!("../../../scenarios/applications/approve.json")),
            ),
            (
                JSON,
                "refer",
                "a borrower the scorecard refers to a credit officer",
                sample(include_str!("../../../scenarios/applications/refer.json")),
            ),
        ],
        "valueAssets" => vec![(
            JSON,
            "mixed-pledge",
            "a pledge of inventions, a utility model and a trademark",
            sample(include_str!("../../../scenarios/samples/mixed-pledge.json")),
        )],
        "reportOutcome" => vec![
            (
                JSON,
                "repaid",
                "the loan was repaid in full at maturity",
                json!({
                    "status": "repaid",
                    "repaid": "3000000.00",
                    "as_of": "2027-01-15",
                    "note": "repaid in full at maturity"
                }),
            ),
            (
                JSON,
                "recovered",
                "the loan defaulted and the pledged patents were sold",
                json!({
                    "status": "recovered",
                    "repaid": "1200000.00",
                    "defaulted": "1800000.00",
                    "recovered": "950000.00",
                    "as_of": "2027-06-30",
                    "note": "three instalments missed; pledged patents auctioned in June 2027"
                }),
            ),
        ],
        "submitFundJob" => vec![
            (
                JSON,
                "simulate",
                "simulate a pilot fund: 100 one-year loans under the Zhongshan scheme",
                Value::Object(pilot_scenario()),
            ),
            (
                JSON,
                "size",
                "the smallest initial capital keeping the shortfall probability under 5 %",
                job(
                    "size",
                    json!({"max_shortfall_prob": 0.05, "resolution": "1000000"}),
                ),
            ),
            (
                JSON,
                "capacity",
                "the largest multiple of the planned book the capital carries",
                job(
                    "capacity",
                    json!({"max_shortfall_prob": 0.05, "resolution": 0.05, "max_multiple": 4}),
                ),
            ),
            (
                JSON,
                "compare",
                "the pilot book under its own scheme and under two other presets",
                job("compare", json!({"schemes": ["weihai", "shenzhen-pool"]})),
            ),
            (
                JSON,
                "optimise",
                "the highest compensation ratio keeping the shortfall probability under 5 %",
                optimise_job(),
            ),
            (
                "application/toml",
                "simulate-toml",
                "the simulation as a scenario file",
                json!(PILOT_TOML),
            ),
        ],
        _ => Vec::new(),
    }
}

/// `(status, name, summary, value)` of the response examples of an operation.
fn responses(operation_id: &str) -> Vec<(&'static str, &'static str, &'static str, Value)> {
    match operation_id {
        "reportOutcome" => vec![(
            "201",
            "repaid",
            "a stored report",
            json!({
                "id": "out_6f1c2a9e4b7d4e0f8a3b5c7d9e1f2a3b",
                "application_id": "app_0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "created_at": "2027-01-16T09:30:00Z",
                "status": "repaid",
                "repaid": "3000000.00",
                "defaulted": "0",
                "recovered": "0",
                "as_of": "2027-01-15",
                "note": "repaid in full at maturity"
            }),
        )],
        "submitFundJob" => vec![(
            "202",
            "queued",
            "a queued simulation",
            json!({
                "id": "job_5e2d8c1b9a7f4e3d2c1b0a9f8e7d6c5b",
                "job": "simulate",
                "status": "queued",
                "progress": {"done": 0, "total": 2000},
                "created_at": "2026-03-02T08:00:00Z"
            }),
        )],
        _ => Vec::new(),
    }
}

/// Puts the examples of `operation` (by its `operationId`) into its request body and
/// responses; a media type the attribute did not declare (`application/toml`) is added as
/// text.
pub(super) fn attach(operation: &mut Map<String, Value>) {
    let id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    for (media, name, summary, value) in requests(&id) {
        let Some(content) = operation
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let entry = content.entry(media.to_string()).or_insert_with(|| {
            json!({"schema": {"type": "string",
                "description": "the scenario as a TOML file (docs/scenario-format.md)"}})
        });
        insert_example(entry, name, summary, value);
    }
    for (status, name, summary, value) in responses(&id) {
        let Some(entry) = operation
            .get_mut("responses")
            .and_then(|r| r.get_mut(status))
            .and_then(|r| r.get_mut("content"))
            .and_then(|c| c.get_mut("application/json"))
        else {
            continue;
        };
        insert_example(entry, name, summary, value);
    }
}

fn insert_example(media: &mut Value, name: &str, summary: &str, value: Value) {
    if let Some(media) = media.as_object_mut() {
        let examples = media
            .entry("examples".to_string())
            .or_insert_with(|| json!({}));
        if let Some(examples) = examples.as_object_mut() {
            examples.insert(
                name.to_string(),
                json!({"summary": summary, "value": value}),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_examples_carry_valid_credit_codes() {
        for (_, name, _, value) in requests("createApplication") {
            let code = value["borrower"]["credit_code"]
                .as_str()
                .unwrap_or_default();
            assert!(
                crate::credit::code::CreditCode::parse(code).is_ok(),
                "{name}: {code} is not a valid unified social credit code"
            );
        }
    }

    #[test]
    fn the_toml_example_is_the_json_simulation() {
        let toml: toml::Value = toml::from_str(PILOT_TOML).unwrap();
        let json = serde_json::to_value(&toml).unwrap();
        assert_eq!(json, Value::Object(pilot_scenario()));
    }
}
