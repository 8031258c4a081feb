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

use super::Limits;
use super::error::{PROBLEM_JSON, Problem};
use super::ops::{Health, ModelList};
use super::routes;

mod examples;

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
            "examples": [examples::optimise_job()]
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
    // What the server adds to a stored or computed result.
    let stamped = |id: &str, what: &str| {
        json!({
            "type": "object",
            "required": ["id", "created_at"],
            "properties": {
                "id": {"type": "string", "description": format!("{what} id, `{id}_…`")},
                "created_at": {"type": "string", "format": "date-time",
                    "description": "when it was computed (RFC 3339 UTC)"}
            }
        })
    };
    schemas.insert(
        "ApplicationResponse".to_string(),
        json!({
            "description": "a stored application: the `ipledge score --format json` result \
                            (ScoreResult) plus `id` and `created_at`, served byte for byte as stored",
            "allOf": [{"$ref": "#/components/schemas/ScoreResult"}, stamped("app", "application")]
        }),
    );
    schemas.insert(
        "ValuationResponse".to_string(),
        json!({
            "description": "the `ipledge value --format json` result (ValuationResult) plus `id` \
                            and `created_at`; not stored",
            "allOf": [{"$ref": "#/components/schemas/ValuationResult"}, stamped("val", "valuation")]
        }),
    );
    if let Some(problem) = schemas.get_mut("Problem").and_then(Value::as_object_mut) {
        problem.insert("examples".to_string(), json!([examples::problem()]));
    }
    schemas
}

/// The OpenAPI document of a server with the default [`Limits`] (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| document_for(&Limits::default()))
}

/// The OpenAPI document of a server with `limits`: the query bounds (`paths`, `limit`) and
/// the most assets per request are the server's own, so a client that keeps to the document
/// is never refused for them.
pub fn document_for(limits: &Limits) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    let Some(root) = doc.as_object_mut() else {
        return doc;
    };
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
            bound_asset_lists(schemas, limits.max_assets);
        }
        components.insert(
            "securitySchemes".to_string(),
            json!({"bearer": {"type": "http", "scheme": "bearer",
                "description": "an API key from `ipledge keys create`"}}),
        );
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut().filter_map(Value::as_object_mut) {
                // Every body is required: an empty one is 400.
                if let Some(body) = operation
                    .get_mut("requestBody")
                    .and_then(Value::as_object_mut)
                {
                    body.insert("required".to_string(), json!(true));
                }
                bound_query(path, operation, limits);
                common_responses(operation);
                examples::attach(operation);
            }
        }
    }
    doc
}

/// A problem+json response.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// Adds the statuses that follow from what an operation reads, where its attribute does not
/// already say them: every route can time out (503); a route that needs a key answers 401 and
/// 429; a route with a body 400, 413 and 415; a route reading a body or a query 422 (bad
/// fields, unknown query parameters). Role (403), missing ids (404) and conflicts (409) are
/// route facts, written on the handlers.
fn common_responses(operation: &mut Map<String, Value>) {
    let secured = operation.contains_key("security");
    let body = operation.contains_key("requestBody");
    let query = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query" || p["in"] == "header"));
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    };
    if secured {
        add(
            "401",
            "no, unknown or revoked API key (with `WWW-Authenticate: Bearer`)",
        );
        add(
            "429",
            "the key's rate limit is exceeded (with `Retry-After` in seconds)",
        );
    }
    if body {
        add("400", "the body is not JSON (or TOML) at all, or not UTF-8");
        add(
            "413",
            "the body is larger than the server's --max-body-bytes",
        );
        add("415", "a Content-Type this route does not read");
    }
    if body || query {
        add(
            "422",
            "bad input: `errors[]` names every bad field with its path (`query.paths`, \
             `header.idempotency-key`, body fields)",
        );
    }
    add(
        "503",
        "the request took longer than the server's --request-timeout-secs",
    );
}

/// Puts the server's bounds on the query parameters: `paths` (1 to `--max-paths`, or
/// `--max-job-paths` for fund jobs), `limit` (1 to the largest page), `seed` (a u64), `lang`
/// (`zh`|`en`), `as_of` (a date).
fn bound_query(path: &str, operation: &mut Map<String, Value>, limits: &Limits) {
    let Some(params) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for param in params.iter_mut().filter(|p| p["in"] == "query") {
        let name = param["name"].as_str().unwrap_or_default().to_string();
        let schema = match name.as_str() {
            "paths" if path.starts_with("/v1/fund/") => {
                json!({"type": "integer", "minimum": 1, "maximum": limits.max_job_paths})
            }
            "paths" => json!({"type": "integer", "minimum": 1, "maximum": limits.max_paths,
                "default": limits.default_paths.min(limits.max_paths)}),
            "limit" => json!({"type": "integer", "minimum": 1, "maximum": limits.max_page,
                "default": 20.min(limits.max_page)}),
            "seed" => json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
            "lang" => json!({"type": "string", "enum": ["zh", "en"], "default": "en"}),
            "as_of" => json!({"type": "string", "format": "date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "default": "2026-01-01"}),
            "from" | "to" => json!({"type": "string", "format": "date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
            "segment" => json!({"type": "string", "enum": crate::asset::Industry::ALL
                .iter()
                .map(|i| format!("industry:{}", i.name()))
                .collect::<Vec<_>>()}),
            "tenant" => json!({"type": "string", "minLength": 1, "maxLength": 200,
                "pattern": "\\S"}),
            // The id of the last item of the previous page (`store::is_id`), or empty.
            "cursor" => json!({"type": "string", "pattern": "^([a-z]{1,16}_[0-9a-f]{30})?$"}),
            _ => continue,
        };
        if let Some(param) = param.as_object_mut() {
            param.insert("schema".to_string(), schema);
        }
    }
}

/// The most assets an application or asset list may carry (`--max-assets`).
fn bound_asset_lists(schemas: &mut Map<String, Value>, max_assets: usize) {
    if let Some(assets) = schemas
        .get_mut("RawApplication")
        .and_then(|s| s.pointer_mut("/properties/pledged_assets"))
        .and_then(Value::as_object_mut)
    {
        assets.insert("maxItems".to_string(), json!(max_assets));
    }
    if let Some(list) = schemas.get_mut("AssetList") {
        for pointer in ["/oneOf/0", "/oneOf/1/properties/assets"] {
            if let Some(array) = list.pointer_mut(pointer).and_then(Value::as_object_mut) {
                array.insert("maxItems".to_string(), json!(max_assets));
            }
        }
    }
}

/// `/openapi.json` (the document of a server with `limits`) and Swagger UI at `/docs`
/// (assets vendored into the binary).
pub fn docs_router(limits: &Limits) -> Router {
    SwaggerUi::new("/docs")
        .external_url_unchecked("/openapi.json", document_for(limits))
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
