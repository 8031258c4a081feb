//! The OpenAPI 3.1 document (`/openapi.json`) and Swagger UI (`/docs`).
//!
//! Paths come from the handlers' `#[utoipa::path]` attributes. Bodies are engine types that
//! derive `schemars::JsonSchema` (the engine must not depend on utoipa), so the handlers refer
//! to them by `ref("#/components/schemas/Name")` and [`document`] merges the schemars schemas
//! into `components.schemas` at the JSON level, with the `$ref`s pointed at
//! `#/components/schemas/`. A test checks that every `$ref` resolves.

use std::sync::OnceLock;

use axum::Router;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::error::Problem;
use super::ops::{Health, ModelList};
use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ipledge",
        description = "IP pledge financing engine: patent valuation, loan scoring and \
                       risk-compensation fund simulation. Bodies are the CLI's input schemas; \
                       errors are application/problem+json with field paths in `errors[]`. \
                       Authenticate with `Authorization: Bearer <key>` (`ipledge keys create`).",
    ),
    paths(
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
        super::ops::models,
        super::ops::schemes,
        routes::applications::create,
        routes::applications::replay,
        routes::applications::get_one,
        routes::applications::list,
        routes::applications::report_outcome,
        routes::applications::outcomes,
        routes::backtests::get,
        routes::fund::submit,
        routes::fund::list,
        routes::fund::get_job,
        routes::fund::cancel,
        routes::fund::report,
        routes::valuations::value,
        super::audit::list,
    ),
    tags(
        (name = "applications", description = "score, store and read back loan applications"),
        (name = "fund", description = "risk-compensation fund simulations and decision tools (size, capacity, compare, optimise) as background jobs"),
        (name = "valuations", description = "value pledged patent and trademark portfolios"),
        (name = "catalogue", description = "models and scheme presets"),
        (name = "ops", description = "health, readiness, metrics"),
    )
)]
struct ApiDoc;

/// Registers `T` (and everything it refers to) in the generator's definitions.
fn register<T: JsonSchema>(generator: &mut SchemaGenerator) {
    let _ = generator.subschema_for::<T>();
}

/// The schemars schemas of every body, keyed by component name.
fn component_schemas() -> Map<String, Value> {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "#/components/schemas/".into();
    });
    // Requests are described as they deserialize, responses as they serialize.
    let mut requests = settings.clone().for_deserialize().into_generator();
    register::<routes::applications::OutcomeReport>(&mut requests);
    register::<crate::asset::RawAsset>(&mut requests);
    register::<crate::credit::application::RawApplication>(&mut requests);
    register::<routes::fund_jobs::JobKind>(&mut requests);
    register::<routes::fund_jobs::SizeJob>(&mut requests);
    register::<routes::fund_jobs::CapacityJob>(&mut requests);
    register::<routes::fund_jobs::CompareJob>(&mut requests);
    register::<routes::fund_jobs::OptimiseJob>(&mut requests);
    let mut responses = settings.for_serialize().into_generator();
    register::<Problem>(&mut responses);
    register::<Health>(&mut responses);
    register::<ModelList>(&mut responses);
    register::<super::ops::SchemeList>(&mut responses);
    register::<routes::applications::ApplicationPage>(&mut responses);
    register::<routes::applications::OutcomeResponse>(&mut responses);
    register::<routes::applications::OutcomeList>(&mut responses);
    register::<routes::fund::JobResponse>(&mut responses);
    register::<routes::fund::JobPage>(&mut responses);
    register::<crate::valuation::ValuationResult>(&mut responses);
    register::<crate::credit::ScoreResult>(&mut responses);
    register::<routes::applications::ReplayResponse>(&mut responses);
    register::<super::audit::AuditPage>(&mut responses);
    register::<crate::backtest::BacktestResult>(&mut responses);
    let mut schemas = requests.take_definitions(true);
    for (name, schema) in responses.take_definitions(true) {
        schemas.entry(name).or_insert(schema);
    }
    schemas.insert(
        "ScenarioDocument".to_string(),
        json!({
            "type": "object",
            "description": "a fund scenario: the keys of a scenario TOML file (docs/scenario-format.md; \
                            see scenarios/*.toml), as JSON; or send the TOML text with \
                            Content-Type application/toml",
            "additionalProperties": true
        }),
    );
    schemas.insert(
        "FundJobRequest".to_string(),
        json!({
            "description": "a fund job: the scenario document (ScenarioDocument) plus, at its \
                            top level, which job to run and that job's block; without `job`, \
                            the one block given names the job, and none is a simulation. In \
                            TOML, `job = \"size\"` goes before the first table and the block \
                            is a table (`[size]`).",
            "allOf": [{"$ref": "#/components/schemas/ScenarioDocument"}],
            "type": "object",
            "properties": {
                "job": {"$ref": "#/components/schemas/JobKind"},
                "size": {"$ref": "#/components/schemas/SizeJob"},
                "capacity": {"$ref": "#/components/schemas/CapacityJob"},
                "compare": {"$ref": "#/components/schemas/CompareJob"},
                "optimise": {"$ref": "#/components/schemas/OptimiseJob"}
            },
            "examples": [{
                "job": "optimise",
                "optimise": {
                    "vary": ["scheme.ratio=0.2..0.6:5"],
                    "objective": "scheme.ratio",
                    "max_shortfall_prob": 0.05
                },
                "scenario": {"name": "pilot-fund", "horizon_years": 3, "paths": 2000, "seed": 7},
                "scheme": "zhongshan",
                "book": {"cohort": [{
                    "count": 100,
                    "amount": {"fixed": "3000000"},
                    "pd_1y": {"fixed": 0.03}
                }]},
                "fund": {"initial_capital": "70000000"}
            }]
        }),
    );
    schemas.insert(
        "AssetList".to_string(),
        json!({
            "description": "the asset list of `ipledge value`: an array of asset records, or \
                            an object with the array under `assets`",
            "oneOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/RawAsset"}},
                {
                    "type": "object",
                    "required": ["assets"],
                    "properties": {
                        "assets": {"type": "array", "items": {"$ref": "#/components/schemas/RawAsset"}}
                    },
                    "additionalProperties": false
                }
            ]
        }),
    );
    // A stored application: the scoring result plus the id and time it was stored under.
    schemas.insert(
        "ApplicationResponse".to_string(),
        json!({
            "type": "object",
            "description": "the `ipledge score --format json` result plus `id` and `created_at`",
            "required": ["id", "created_at"],
            "properties": {
                "id": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}
            },
            "additionalProperties": true
        }),
    );
    schemas
}

/// The whole OpenAPI document as JSON (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
        if let Some(root) = doc.as_object_mut() {
            // Pin the version so the document does not change with each release bump.
            if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
                info.insert("version".to_string(), json!("1"));
                info.remove("license");
                info.remove("contact");
            }
            let components = root
                .entry("components")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            if let Some(components) = components {
                let schemas = components
                    .entry("schemas")
                    .or_insert_with(|| json!({}))
                    .as_object_mut();
                if let Some(schemas) = schemas {
                    schemas.extend(component_schemas());
                }
                components.insert(
                    "securitySchemes".to_string(),
                    json!({"bearer": {"type": "http", "scheme": "bearer",
                        "description": "an API key from `ipledge keys create`"}}),
                );
            }
        }
        doc
    })
}

/// `/openapi.json` and Swagger UI at `/docs` (assets vendored into the binary).
pub fn docs_router() -> Router {
    SwaggerUi::new("/docs")
        .external_url_unchecked("/openapi.json", document().clone())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "$ref" {
                        if let Some(s) = v.as_str() {
                            out.push(s);
                        }
                    } else {
                        refs(v, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_resolves() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut found = Vec::new();
        refs(doc, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("ref outside components: {r}"));
            assert!(schemas.contains_key(name), "unresolved $ref {r}");
        }
    }
}
