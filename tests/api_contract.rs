//! The OpenAPI document (`/openapi.json`) as a contract, checked against the in-process server
//! (`app(state)` over a temp-file SQLite store, no socket):
//!
//! * every example in the document validates against its schema (JSON Schema 2020-12, formats
//!   asserted), and every request example is accepted by the server (2xx), its answer valid
//!   against the documented schema of that status; fund-job examples run to `succeeded`;
//! * operation ids are unique and meaningful; every status the server gives a request without
//!   a key or with a key of the wrong role is documented, as `application/problem+json`;
//! * the query bounds in the document are the server's limits, and the server keeps to them.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use ipledge::api::{AppState, Limits, app};
use ipledge::model::Model;
use ipledge::store::{Role, Store};

struct Fixture {
    app: Router,
    bank: String,
    bureau: String,
    _dir: tempfile::TempDir,
}

async fn fixture(limits: Limits) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    let store = Store::connect(&url).await.unwrap();
    let bank = store.create_key("bank-a", Role::Bank).await.unwrap().secret;
    // The examples are the shipped sample applications, filed under bank A's branches.
    for bank_id in ["bank-chengdu-01", "bank-guangzhou-02"] {
        store.add_bank_id("bank-a", bank_id).await.unwrap();
    }
    let bureau = store
        .create_key("bureau", Role::Bureau)
        .await
        .unwrap()
        .secret;
    let state = AppState::new(store, Model::embedded_default(), limits);
    Fixture {
        app: app(state),
        bank,
        bureau,
        _dir: dir,
    }
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
    text: String,
}

async fn call(app: &Router, req: Request<Body>) -> Reply {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
        text,
    }
}

fn request(
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: Option<(&str, String)>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    match body {
        Some((media, text)) => b
            .header(header::CONTENT_TYPE, media)
            .body(Body::from(text))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

async fn served_document(f: &Fixture) -> Value {
    let r = call(&f.app, request("GET", "/openapi.json", None, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Every operation of the document: `(path, method, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, Map<String, Value>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((
                path.clone(),
                method.clone(),
                op.as_object().unwrap().clone(),
            ));
        }
    }
    out
}

/// A validator for `schema`, whose `$ref`s point into the document's components.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = match schema {
        Value::Object(m) => m.clone(),
        other => panic!("schema is not an object: {other}"),
    };
    root.insert("components".into(), doc["components"].clone());
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema}"))
}

fn assert_valid(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}",
        errors.join("\n")
    );
}

/// The examples of one media type: `(name, value)`.
fn media_examples(media: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = media["examples"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v["value"].clone()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(example) = media.get("example") {
        out.push(("example".into(), example.clone()));
    }
    out
}

#[tokio::test]
async fn every_example_validates_against_its_schema() {
    let f = fixture(Limits::default()).await;
    let doc = served_document(&f).await;
    let mut checked = 0;
    for (path, method, op) in operations(&doc) {
        let mut media_types: Vec<(String, Value)> = Vec::new();
        if let Some(content) = op.get("requestBody").and_then(|b| b["content"].as_object()) {
            for (media, m) in content {
                media_types.push((format!("{method} {path} request {media}"), m.clone()));
            }
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if let Some(content) = response["content"].as_object() {
                for (media, m) in content {
                    media_types.push((format!("{method} {path} {status} {media}"), m.clone()));
                }
            }
        }
        for (what, media) in media_types {
            for (name, value) in media_examples(&media) {
                assert_valid(
                    &doc,
                    &media["schema"],
                    &value,
                    &format!("{what} example {name}"),
                );
                checked += 1;
            }
        }
    }
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (i, example) in schema["examples"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            assert_valid(&doc, schema, example, &format!("schema {name} example {i}"));
            checked += 1;
        }
    }
    // Two applications, an asset list, two outcomes, six fund jobs, two answers, two schemas.
    assert!(checked >= 15, "only {checked} examples");
}

/// The key that may call an operation of `tag`.
fn key_for<'a>(f: &'a Fixture, tag: &str) -> &'a str {
    match tag {
        "fund" => &f.bureau,
        _ => &f.bank,
    }
}

/// The documented schema of `status` (JSON) of an operation.
fn response_schema(op: &Map<String, Value>, status: u16) -> Value {
    let response = &op["responses"][status.to_string()];
    assert!(response.is_object(), "status {status} undocumented");
    response["content"]["application/json"]["schema"].clone()
}

/// The names of an operation's query parameters.
fn query_names(op: &Map<String, Value>) -> Vec<&str> {
    op.get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Polls a job until it ends.
async fn finished_job(f: &Fixture, id: &str) -> Reply {
    for _ in 0..2400 {
        let r = call(
            &f.app,
            request(
                "GET",
                &format!("/v1/fund/simulations/{id}"),
                Some(&f.bureau),
                None,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        match r.body["status"].as_str().unwrap() {
            "queued" | "running" => tokio::time::sleep(Duration::from_millis(50)).await,
            _ => return r,
        }
    }
    panic!("job {id} did not finish in 120 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_example_is_accepted_and_answered_as_documented() {
    let f = fixture(Limits {
        job_workers: 2,
        // Every job example is queued at once (six), more than one key's default queue.
        max_jobs_per_key: 16,
        ..Limits::default()
    })
    .await;
    let doc = served_document(&f).await;
    let ops = operations(&doc);
    // An application to report outcomes against: the first application example.
    let (_, _, create) = ops
        .iter()
        .find(|(_, _, op)| op["operationId"] == "createApplication")
        .unwrap();
    let first = media_examples(&create["requestBody"]["content"]["application/json"])
        .remove(0)
        .1;
    let r = call(
        &f.app,
        request(
            "POST",
            "/v1/applications?paths=500",
            Some(&f.bank),
            Some(("application/json", first.to_string())),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let application = r.body["id"].as_str().unwrap().to_string();

    let mut posted = Vec::new();
    let mut jobs = Vec::new();
    for (path, method, op) in &ops {
        let Some(content) = op.get("requestBody").and_then(|b| b["content"].as_object()) else {
            continue;
        };
        let tag = op["tags"][0].as_str().unwrap_or_default();
        let mut uri = path.replace("{id}", &application);
        // Synchronous Monte Carlo with fewer paths than the default, to keep the test fast
        // (fund jobs run their scenario's own 2,000).
        if tag != "fund" && query_names(op).contains(&"paths") {
            uri.push_str("?paths=500");
        }
        for (media, m) in content {
            for (name, value) in media_examples(m) {
                let text = match &value {
                    Value::String(s) if media != "application/json" => s.clone(),
                    other => other.to_string(),
                };
                let r = call(
                    &f.app,
                    request(
                        &method.to_uppercase(),
                        &uri,
                        Some(key_for(&f, tag)),
                        Some((media.as_str(), text)),
                    ),
                )
                .await;
                let what = format!("{method} {path} example {name} ({media})");
                assert!(r.status.is_success(), "{what}: {} {}", r.status, r.text);
                assert_valid(
                    &doc,
                    &response_schema(op, r.status.as_u16()),
                    &r.body,
                    &format!("the answer to {what}"),
                );
                if r.status == StatusCode::ACCEPTED {
                    jobs.push((what.clone(), r.body["id"].as_str().unwrap().to_string()));
                }
                posted.push(what);
            }
        }
    }
    // Two applications, an asset list, two outcomes, five JSON jobs and one TOML job.
    assert!(
        posted.len() >= 11,
        "only {} examples posted: {posted:?}",
        posted.len()
    );
    let (_, _, get_job) = ops
        .iter()
        .find(|(_, _, op)| op["operationId"] == "getFundJob")
        .unwrap();
    for (what, id) in jobs {
        let r = finished_job(&f, &id).await;
        assert_eq!(r.body["status"], "succeeded", "{what}: {}", r.text);
        assert_valid(
            &doc,
            &response_schema(get_job, 200),
            &r.body,
            &format!("the finished job of {what}"),
        );
    }
}

#[tokio::test]
async fn operation_ids_are_unique_and_every_refusal_is_documented() {
    let f = fixture(Limits::default()).await;
    let doc = served_document(&f).await;
    let mut ids = std::collections::BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            id.len() > 6
                && id.starts_with(|c: char| c.is_ascii_lowercase())
                && id.chars().any(|c| c.is_ascii_uppercase()),
            "{method} {path}: operation id {id:?} is not a camelCase verb and noun"
        );
        assert!(ids.insert(id.to_string()), "operation id {id} twice");
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
            }
        }
        assert!(responses.contains_key("503"), "{method} {path}: 503");
        let concrete = path.replace("{id}", "app_missing");
        let body = op
            .get("requestBody")
            .map(|_| ("application/json", "{}".to_string()));
        if op.contains_key("security") {
            // No key: 401, documented.
            let r = call(
                &f.app,
                request(&method.to_uppercase(), &concrete, None, body.clone()),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {}",
                r.text
            );
            assert_eq!(r.content_type, "application/problem+json");
            assert!(
                responses.contains_key("401"),
                "{method} {path}: 401 undocumented"
            );
            assert!(
                responses.contains_key("429"),
                "{method} {path}: 429 undocumented"
            );
            // Each role: whatever it is answered is documented.
            for key in [&f.bank, &f.bureau] {
                let r = call(
                    &f.app,
                    request(&method.to_uppercase(), &concrete, Some(key), body.clone()),
                )
                .await;
                assert!(
                    responses.contains_key(r.status.as_str()),
                    "{method} {path}: {} undocumented ({})",
                    r.status,
                    r.text
                );
            }
        }
        if op.contains_key("requestBody") {
            for status in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
        }
    }
    for id in [
        "createApplication",
        "listApplications",
        "getApplication",
        "replayApplication",
        "reportOutcome",
        "listOutcomes",
        "valueAssets",
        "submitFundJob",
        "listFundJobs",
        "getFundJob",
        "cancelFundJob",
        "getFundJobReport",
    ] {
        assert!(ids.contains(id), "no operation {id}");
    }
}

/// The schema of query parameter `name` of the operation `operation_id`.
fn query_schema(doc: &Value, operation_id: &str, name: &str) -> Value {
    operations(doc)
        .into_iter()
        .find(|(_, _, op)| op["operationId"] == operation_id)
        .and_then(|(_, _, op)| {
            op["parameters"]
                .as_array()?
                .iter()
                .find(|p| p["name"] == name && p["in"] == "query")
                .map(|p| p["schema"].clone())
        })
        .unwrap_or_else(|| panic!("{operation_id} has no query parameter {name}"))
}

#[tokio::test]
async fn the_query_bounds_are_the_servers_limits() {
    let limits = Limits {
        max_paths: 700,
        max_job_paths: 9_000,
        max_assets: 3,
        ..Limits::default()
    };
    let f = fixture(limits.clone()).await;
    let doc = served_document(&f).await;
    assert_eq!(doc, ipledge::api::openapi::document_for(&limits));
    for id in ["createApplication", "valueAssets"] {
        let paths = query_schema(&doc, id, "paths");
        assert_eq!(
            (paths["minimum"].clone(), paths["maximum"].clone()),
            (json!(1), json!(700)),
            "{id}"
        );
    }
    assert_eq!(
        query_schema(&doc, "submitFundJob", "paths")["maximum"],
        9_000
    );
    for id in ["listApplications", "listFundJobs"] {
        let limit = query_schema(&doc, id, "limit");
        assert_eq!(
            (limit["minimum"].clone(), limit["maximum"].clone()),
            (json!(1), json!(limits.max_page)),
            "{id}"
        );
    }
    assert_eq!(
        query_schema(&doc, "getFundJobReport", "lang")["enum"],
        json!(["zh", "en"])
    );
    assert_eq!(
        doc["components"]["schemas"]["RawApplication"]["properties"]["pledged_assets"]["maxItems"],
        3
    );
    // The server keeps to the same bounds: the largest documented value passes the query
    // check, one more is refused at the parameter.
    let at = |r: &Reply| {
        r.body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .any(|e| e["path"].as_str().unwrap_or_default().starts_with("query."))
            })
            .unwrap_or(false)
    };
    for (uri, key, ok) in [
        (
            format!("/v1/applications?limit={}", limits.max_page),
            &f.bank,
            true,
        ),
        (
            format!("/v1/applications?limit={}", limits.max_page + 1),
            &f.bank,
            false,
        ),
        ("/v1/applications?limit=0".to_string(), &f.bank, false),
        (
            format!("/v1/fund/simulations?limit={}", limits.max_page),
            &f.bureau,
            true,
        ),
        ("/v1/fund/simulations?limit=0".to_string(), &f.bureau, false),
        (
            "/v1/fund/simulations/job_missing/report?lang=fr".to_string(),
            &f.bureau,
            false,
        ),
        (
            "/v1/fund/simulations/job_missing/report?lang=zh".to_string(),
            &f.bureau,
            true,
        ),
    ] {
        let r = call(&f.app, request("GET", &uri, Some(key), None)).await;
        assert_eq!(!at(&r), ok, "{uri}: {} {}", r.status, r.text);
    }
    let assets = json!([]).to_string();
    for (paths, ok) in [(700, true), (701, false), (0, false)] {
        let uri = format!("/v1/valuations?paths={paths}");
        let r = call(
            &f.app,
            request(
                "POST",
                &uri,
                Some(&f.bank),
                Some(("application/json", assets.clone())),
            ),
        )
        .await;
        assert_eq!(!at(&r), ok, "{uri}: {} {}", r.status, r.text);
    }
    let scenario =
        ipledge::api::openapi::document()["components"]["schemas"]["FundJobRequest"]["examples"][0]
            .to_string();
    for (paths, ok) in [(9_001, false), (0, false)] {
        let uri = format!("/v1/fund/simulations?paths={paths}");
        let r = call(
            &f.app,
            request(
                "POST",
                &uri,
                Some(&f.bureau),
                Some(("application/json", scenario.clone())),
            ),
        )
        .await;
        assert_eq!(!at(&r), ok, "{uri}: {} {}", r.status, r.text);
    }
}
