//! `oneshot` tests of the HTTP API: `app(state)` over a temp-file SQLite store, no socket.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

mod support;

use ipledge::api::{AppState, Limits, app};
use ipledge::model::Model;
use ipledge::store::{ApplicationRecord, JobRecord, JobStatus, Role, Store, new_id, now_rfc3339};

struct Fixture {
    app: Router,
    store: Store,
    /// The database the store runs on (SQLite file or PostgreSQL schema).
    url: String,
    bank_a: String,
    bank_b: String,
    bureau: String,
    admin: String,
    _dir: tempfile::TempDir,
}

async fn fixture_with(limits: Limits) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = support::api_database_url(dir.path()).await;
    let store = Store::connect(&url).await.unwrap();
    let bank_a = store.create_key("bank-a", Role::Bank).await.unwrap().secret;
    // Bank A files the shipped sample applications (their `bank_id`s are its branches).
    for bank_id in [
        "bank-chengdu-01",
        "bank-zhongshan-04",
        "bank-wuhan-03",
        "bank-guangzhou-02",
    ] {
        store.add_bank_id("bank-a", bank_id).await.unwrap();
    }
    let bank_b = store.create_key("bank-b", Role::Bank).await.unwrap().secret;
    let bureau = store
        .create_key("bureau", Role::Bureau)
        .await
        .unwrap()
        .secret;
    let admin = store.create_key("ops", Role::Admin).await.unwrap().secret;
    let state = AppState::new(store.clone(), Model::embedded_default(), limits);
    Fixture {
        app: app(state),
        store,
        url,
        bank_a,
        bank_b,
        bureau,
        admin,
        _dir: dir,
    }
}

async fn fixture() -> Fixture {
    fixture_with(Limits {
        max_body_bytes: 64 * 1024,
        ..Limits::default()
    })
    .await
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
    text: String,
}

async fn call(app: &Router, req: Request<Body>) -> Reply {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

fn get(uri: &str, key: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    b.body(Body::empty()).unwrap()
}

fn post(uri: &str, key: &str, body: impl Into<Body>, idem: Option<&str>) -> Request<Body> {
    let mut b = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = idem {
        b = b.header("idempotency-key", k);
    }
    b.body(body.into()).unwrap()
}

fn assert_problem(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{}",
        reply.text
    );
    assert_eq!(reply.body["status"], status.as_u16());
    assert!(
        reply.body["type"]
            .as_str()
            .unwrap()
            .starts_with("/problems/")
    );
    assert!(reply.body["title"].is_string());
    assert!(reply.body["detail"].is_string());
}

/// The field paths of a problem's `errors[]`.
fn error_paths(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Stores an application for `tenant` directly (the scoring engine's output is opaque here).
async fn stored_application(store: &Store, tenant: &str, decision: &str) -> String {
    let id = new_id("app").unwrap();
    let record = ApplicationRecord {
        id: id.clone(),
        tenant: tenant.to_string(),
        created_at: now_rfc3339(),
        decision: decision.to_string(),
        model_id: "m".into(),
        model_sha256: "00".into(),
        seed: u64::MAX,
        paths: 1000,
        input: r#"{"bank_id":"x"}"#.into(),
        output: json!({"decision": decision, "seed": 7}).to_string(),
    };
    store.insert_application(&record, None, None).await.unwrap();
    id
}

#[tokio::test]
async fn health_ready_metrics_and_models() {
    let f = fixture().await;
    let r = call(&f.app, get("/healthz", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert!(r.headers.contains_key("x-request-id"));
    let r = call(&f.app, get("/readyz", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ready");
    let r = call(&f.app, get("/v1/models", Some(&f.bank_a))).await;
    assert_eq!(r.status, StatusCode::OK);
    let model = Model::embedded_default();
    assert_eq!(r.body["models"][0]["sha256"], model.sha256());
    assert_eq!(r.body["models"][0]["id"], model.id());
    let r = call(&f.app, get("/v1/schemes", Some(&f.bureau))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r.body["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"zhongshan"), "{names:?}");
    assert_eq!(names.len(), ipledge::scheme::presets::PRESETS.len());
    let r = call(&f.app, get("/metrics", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("ipledge_http_requests_total"),
        "metrics:\n{}",
        r.text
    );
    assert!(r.text.contains("route=\"/healthz\""), "{}", r.text);
}

#[tokio::test]
async fn readyz_fails_when_database_is_gone() {
    let f = fixture().await;
    f.store.close().await;
    let r = call(&f.app, get("/readyz", None)).await;
    assert_problem(&r, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn auth_none_wrong_and_revoked_are_401() {
    let f = fixture().await;
    let r = call(&f.app, get("/v1/applications", None)).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
    let r = call(&f.app, get("/v1/applications", Some("deadbeef"))).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED);
    let key = f.store.create_key("bank-c", Role::Bank).await.unwrap();
    let r = call(&f.app, get("/v1/applications", Some(&key.secret))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    f.store.revoke_key(&key.id).await.unwrap();
    let r = call(&f.app, get("/v1/applications", Some(&key.secret))).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_route_and_method_are_problems() {
    let f = fixture().await;
    let r = call(&f.app, get("/v1/nope", None)).await;
    assert_problem(&r, StatusCode::NOT_FOUND);
    let req = Request::delete("/healthz").body(Body::empty()).unwrap();
    let r = call(&f.app, req).await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn tenants_see_only_their_own_applications() {
    let f = fixture().await;
    let a1 = stored_application(&f.store, "bank-a", "approve").await;
    let a2 = stored_application(&f.store, "bank-a", "refer").await;
    let a3 = stored_application(&f.store, "bank-a", "decline").await;
    let b1 = stored_application(&f.store, "bank-b", "approve").await;

    let r = call(
        &f.app,
        get(&format!("/v1/applications/{a1}"), Some(&f.bank_a)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], a1.as_str());
    assert_eq!(r.body["decision"], "approve");
    assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));

    // Another tenant's id is 404, not 403.
    let r = call(
        &f.app,
        get(&format!("/v1/applications/{a1}"), Some(&f.bank_b)),
    )
    .await;
    assert_problem(&r, StatusCode::NOT_FOUND);
    // A bureau may not read applications at all.
    let r = call(
        &f.app,
        get(&format!("/v1/applications/{a1}"), Some(&f.bureau)),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    // An admin sees every tenant.
    let r = call(
        &f.app,
        get(&format!("/v1/applications/{b1}"), Some(&f.admin)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // Pagination: 2 + 1, oldest first, bank B's never listed for bank A.
    let r = call(&f.app, get("/v1/applications?limit=2", Some(&f.bank_a))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a1.as_str(), a2.as_str()]);
    assert_eq!(r.body["items"][0]["seed"], u64::MAX);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = call(
        &f.app,
        get(
            &format!("/v1/applications?limit=2&cursor={cursor}"),
            Some(&f.bank_a),
        ),
    )
    .await;
    let ids: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a3.as_str()]);
    assert!(r.body.get("next_cursor").is_none());

    for bad in ["limit=0", "limit=1000", "limit=x", "color=red"] {
        let r = call(
            &f.app,
            get(&format!("/v1/applications?{bad}"), Some(&f.bank_a)),
        )
        .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body["errors"][0]["path"]
                .as_str()
                .unwrap()
                .starts_with("query"),
            "{}",
            r.text
        );
    }
}

#[tokio::test]
async fn outcomes_are_validated_stored_and_idempotent() {
    let f = fixture().await;
    let id = stored_application(&f.store, "bank-a", "approve").await;
    let uri = format!("/v1/applications/{id}/outcome");

    // Malformed JSON → 400; wrong type / unknown enum → 422 with the path.
    let r = call(&f.app, post(&uri, &f.bank_a, "{\"status\": ", None)).await;
    assert_problem(&r, StatusCode::BAD_REQUEST);
    let r = call(&f.app, post(&uri, &f.bank_a, r#"{"status": 5}"#, None)).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["path"], "status");
    let r = call(&f.app, post(&uri, &f.bank_a, r#"{"status": "lost"}"#, None)).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["path"], "status");
    // Every bad field at once.
    let r = call(
        &f.app,
        post(
            &uri,
            &f.bank_a,
            r#"{"status":"defaulted","repaid":"-5","defaulted":"100","recovered":"200"}"#,
            None,
        ),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["repaid", "recovered"]);
    // Wrong content type → 415.
    let req = Request::post(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", f.bank_a))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from("a,b"))
        .unwrap();
    assert_problem(&call(&f.app, req).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Oversize body → 413.
    let big = format!(
        r#"{{"status":"repaid","note":"{}"}}"#,
        "x".repeat(100 * 1024)
    );
    let r = call(&f.app, post(&uri, &f.bank_a, big, None)).await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE);
    // Another tenant cannot report on it.
    let good = r#"{"status":"defaulted","repaid":"100000.00","defaulted":"400000.00","recovered":"0","as_of":"2027-06-30"}"#;
    let r = call(&f.app, post(&uri, &f.bank_b, good, None)).await;
    assert_problem(&r, StatusCode::NOT_FOUND);

    // Stored once under an idempotency key; replayed for the same body.
    let r1 = call(&f.app, post(&uri, &f.bank_a, good, Some("k-1"))).await;
    assert_eq!(r1.status, StatusCode::CREATED, "{}", r1.text);
    assert_eq!(r1.body["defaulted"], "400000.00");
    let r2 = call(&f.app, post(&uri, &f.bank_a, good, Some("k-1"))).await;
    assert_eq!(r2.status, StatusCode::CREATED);
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    assert_eq!(r2.body, r1.body);
    // Same key, other body → 422.
    let other = r#"{"status":"repaid","repaid":"500000.00"}"#;
    let r3 = call(&f.app, post(&uri, &f.bank_a, other, Some("k-1"))).await;
    assert_problem(&r3, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r3.body["type"], "/problems/idempotency-key-reused");
    // The same key in another tenant is another scope (and here a 404 anyway).
    let r = call(
        &f.app,
        get(&format!("/v1/applications/{id}/outcomes"), Some(&f.bank_a)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], r1.body["id"]);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let f = fixture_with(Limits {
        rate_per_second: 0.5,
        rate_burst: 2.0,
        ..Limits::default()
    })
    .await;
    for _ in 0..2 {
        let r = call(&f.app, get("/v1/applications", Some(&f.bank_a))).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = call(&f.app, get("/v1/applications", Some(&f.bank_a))).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers[header::RETRY_AFTER], "2");
    // Other keys have their own bucket.
    let r = call(&f.app, get("/v1/applications", Some(&f.bank_b))).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn jobs_are_tenant_scoped_and_interrupted_on_restart() {
    let f = fixture().await;
    let id = new_id("job").unwrap();
    let job = JobRecord {
        id: id.clone(),
        tenant: "bureau".into(),
        key_id: String::new(),
        kind: "fund_simulation".into(),
        status: JobStatus::Queued,
        progress_done: 0,
        progress_total: 2048,
        input: "{}".into(),
        result: None,
        error: None,
        created_at: now_rfc3339(),
        started_at: None,
        finished_at: None,
    };
    f.store.insert_job(&job, None, None).await.unwrap();
    let uri = format!("/v1/fund/simulations/{id}");
    let r = call(&f.app, get(&uri, Some(&f.bureau))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "queued");
    assert_eq!(r.body["progress"]["total"], 2048);
    let r = call(&f.app, get(&uri, Some(&f.bank_a))).await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    let other = f.store.create_key("bureau-2", Role::Bureau).await.unwrap();
    let r = call(&f.app, get(&uri, Some(&other.secret))).await;
    assert_problem(&r, StatusCode::NOT_FOUND);
    assert_eq!(f.store.interrupt_unfinished_jobs().await.unwrap(), 1);
    let r = call(&f.app, get(&uri, Some(&f.bureau))).await;
    assert_eq!(r.body["status"], "interrupted");
}

#[tokio::test]
async fn openapi_document_is_pinned() {
    let f = fixture().await;
    let r = call(&f.app, get("/openapi.json", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["openapi"].as_str().unwrap().get(..2), Some("3."));
    insta::assert_json_snapshot!("openapi", r.body);
    let r = call(&f.app, get("/docs/", None)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.to_lowercase().contains("swagger"), "{}", r.text);
}

const ZHONGSHAN: &str = include_str!("../scenarios/zhongshan-fund.toml");

async fn wait_for_job(f: &Fixture, id: &str) -> Reply {
    for _ in 0..1200 {
        let r = call(
            &f.app,
            get(&format!("/v1/fund/simulations/{id}"), Some(&f.bureau)),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        match r.body["status"].as_str().unwrap() {
            "queued" | "running" => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            _ => return r,
        }
    }
    panic!("job {id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fund_simulation_job_matches_the_engine() {
    let f = fixture().await;
    let req = Request::post("/v1/fund/simulations?paths=2048&seed=11")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.bureau))
        .header(header::CONTENT_TYPE, "application/toml")
        .header("idempotency-key", "sim-1")
        .body(Body::from(ZHONGSHAN))
        .unwrap();
    let r = call(&f.app, req).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/v1/fund/simulations/{id}").as_str()
    );
    assert_eq!(r.body["status"], "queued");
    assert_eq!(r.body["progress"]["total"], 2048);

    let done = wait_for_job(&f, &id).await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.text);
    assert_eq!(done.body["progress"]["done"], 2048);

    // Exactly the engine's result for the same scenario, seed and paths.
    let scenario =
        ipledge::scenario::Scenario::from_toml_str(ZHONGSHAN, &ipledge::scenario::NoFiles).unwrap();
    let mut settings = ipledge::fund::Settings::for_scenario(
        &scenario,
        ipledge::fund::FundModel::embedded_default(),
    );
    settings.paths = 2048;
    settings.seed = 11;
    let expected = ipledge::fund::simulate(&scenario, &settings).unwrap();
    // Byte for byte: the stored engine output is served as it was serialised.
    let expected = serde_json::to_string(&expected).unwrap();
    assert!(
        done.text.ends_with(&format!(",\"result\":{expected}}}")),
        "{}",
        done.text
    );
    assert_eq!(done.body["result"]["seed"], 11);

    // The same request again replays the stored 202 (same job id), no new job.
    let req = Request::post("/v1/fund/simulations?paths=2048&seed=11")
        .header(header::AUTHORIZATION, format!("Bearer {}", f.bureau))
        .header(header::CONTENT_TYPE, "application/toml")
        .header("idempotency-key", "sim-1")
        .body(Body::from(ZHONGSHAN))
        .unwrap();
    let again = call(&f.app, req).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(again.headers["idempotent-replayed"], "true");
}

#[tokio::test]
async fn fund_simulation_accepts_json_and_rejects_bad_scenarios() {
    let f = fixture().await;
    // The scenario as JSON with the TOML keys.
    let mut doc: Value =
        serde_json::to_value(toml::from_str::<toml::Value>(ZHONGSHAN).unwrap()).unwrap();
    let r = call(
        &f.app,
        post(
            "/v1/fund/simulations?paths=1024",
            &f.bureau,
            doc.to_string(),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    // Bad fields are 422 with their paths, before any job exists.
    doc["book"]["cohort"][0]["count"] = json!(-5);
    doc["fund"]["nonsense"] = json!(1);
    let r = call(
        &f.app,
        post("/v1/fund/simulations", &f.bureau, doc.to_string(), None),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.iter().any(|p| p.starts_with("fund")),
        "{paths:?}: {}",
        r.text
    );
    // TOML sent as JSON is malformed JSON.
    let r = call(
        &f.app,
        post("/v1/fund/simulations", &f.bureau, ZHONGSHAN, None),
    )
    .await;
    assert_problem(&r, StatusCode::BAD_REQUEST);
    for paths in ["0", "99999999999"] {
        let req = Request::post(format!("/v1/fund/simulations?paths={paths}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", f.bureau))
            .header(header::CONTENT_TYPE, "application/toml")
            .body(Body::from(ZHONGSHAN))
            .unwrap();
        let r = call(&f.app, req).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["path"], "query.paths");
    }
    // Banks do not run fund simulations.
    let r = call(
        &f.app,
        post("/v1/fund/simulations", &f.bank_a, doc.to_string(), None),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    // A scenario naming a model file: the server runs its own model, so it refuses the key
    // instead of ignoring it.
    let mut with_model: Value =
        serde_json::to_value(toml::from_str::<toml::Value>(ZHONGSHAN).unwrap()).unwrap();
    with_model["scenario"]["model"] = json!("models/my-bank.toml");
    let r = call(
        &f.app,
        post(
            "/v1/fund/simulations",
            &f.bureau,
            with_model.to_string(),
            None,
        ),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["path"], "scenario.model", "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valuation_matches_the_engine_and_rejects_bad_assets() {
    let f = fixture().await;
    let text = std::fs::read_to_string("scenarios/samples/mixed-pledge.json").unwrap();
    let r = call(
        &f.app,
        post(
            "/v1/valuations?paths=2000&seed=7",
            &f.bank_a,
            text.clone(),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["id"].as_str().unwrap().starts_with("val_"));
    assert!(r.body["created_at"].is_string());
    // The same numbers as the engine called directly.
    let model = Model::embedded_default();
    let params = ipledge::valuation::ValuationParams::from_model(&model).unwrap();
    let assets = ipledge::asset::parse_json(&text).unwrap();
    let direct = ipledge::valuation::value_portfolio(
        &assets,
        &params,
        &model,
        &ipledge::valuation::ValuationSettings {
            paths: 2000,
            seed: 7,
            as_of: ipledge::valuation::DEFAULT_AS_OF,
        },
    )
    .unwrap();
    let mut body = r.body.clone();
    let obj = body.as_object_mut().unwrap();
    obj.remove("id");
    obj.remove("created_at");
    assert_eq!(body, serde_json::to_value(&direct).unwrap());

    // Bad fields are 422 problems naming each path; a bureau may not value; limits hold.
    let bad = json!([{"id": "CN201710512346.3", "kind": "invention", "filing_date": "2017-13-01",
                      "grant_date": "2019-11-26", "status": "valid", "owners": [],
                      "economics": {"attributable_revenue": "-5"}}]);
    let r = call(
        &f.app,
        post("/v1/valuations", &f.bank_a, bad.to_string(), None),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let paths = error_paths(&r);
    assert!(paths.iter().any(|p| p.contains("filing_date")), "{paths:?}");
    assert!(paths.iter().any(|p| p.contains("owners")), "{paths:?}");
    let r = call(
        &f.app,
        post("/v1/valuations", &f.bureau, text.clone(), None),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    let r = call(
        &f.app,
        post(
            "/v1/valuations?paths=100000000",
            &f.bank_a,
            text.clone(),
            None,
        ),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let r = call(&f.app, post("/v1/valuations", &f.bank_a, "[]", None)).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_are_scored_stored_idempotent_and_replayable() {
    let f = fixture().await;
    let text = std::fs::read_to_string("scenarios/applications/approve.json").unwrap();
    let uri = "/v1/applications?paths=2000&seed=5";
    let r = call(&f.app, post(uri, &f.bank_a, text.clone(), Some("k-1"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("app_"));
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/v1/applications/{id}")
    );
    // The result is the engine's, byte for byte after id and created_at.
    let app = ipledge::credit::application::Application::from_json(&text).unwrap();
    let direct = ipledge::credit::score_application(
        &app,
        &Model::embedded_default(),
        &ipledge::credit::ScoreSettings {
            paths: 2000,
            seed: 5,
            scheme: None,
        },
    )
    .unwrap();
    let mut body = r.body.clone();
    body.as_object_mut().unwrap().remove("id");
    body.as_object_mut().unwrap().remove("created_at");
    assert_eq!(body, serde_json::to_value(&direct).unwrap());
    assert_eq!(r.body["decision"], "approve");

    // Read back: the same document; another bank gets 404.
    let g = call(
        &f.app,
        get(&format!("/v1/applications/{id}"), Some(&f.bank_a)),
    )
    .await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.text, r.text);
    let g = call(
        &f.app,
        get(&format!("/v1/applications/{id}"), Some(&f.bank_b)),
    )
    .await;
    assert_problem(&g, StatusCode::NOT_FOUND);

    // Same key and body: the stored response, no second application; other body: 422.
    let again = call(&f.app, post(uri, &f.bank_a, text.clone(), Some("k-1"))).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.text, r.text);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let other = text.replacen("\"amount\"", "\"amount\" ", 1);
    let clash = call(&f.app, post(uri, &f.bank_a, other, Some("k-1"))).await;
    assert_problem(&clash, StatusCode::UNPROCESSABLE_ENTITY);
    let page = call(&f.app, get("/v1/applications", Some(&f.bank_a))).await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);

    // Replay: identical; another tenant cannot replay it.
    let rp = call(
        &f.app,
        post(
            &format!("/v1/applications/{id}/replay"),
            &f.bank_a,
            "",
            None,
        ),
    )
    .await;
    assert_eq!(rp.status, StatusCode::OK, "{}", rp.text);
    assert_eq!(rp.body["identical"], true);
    assert_eq!(rp.body["seed"], 5);
    assert_eq!(rp.body["paths"], 2000);
    let rp = call(
        &f.app,
        post(
            &format!("/v1/applications/{id}/replay"),
            &f.bank_b,
            "",
            None,
        ),
    )
    .await;
    assert_problem(&rp, StatusCode::NOT_FOUND);

    // The CLI replays from the database file too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .args(["replay", &id, "--database-url", &f.url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["identical"], true);
}

#[tokio::test]
async fn bad_applications_are_422_with_field_paths_and_banks_only() {
    let f = fixture().await;
    let text = std::fs::read_to_string("scenarios/applications/approve.json").unwrap();
    let mut app: Value = serde_json::from_str(&text).unwrap();
    // Flip the credit code's check character and make the amount negative.
    let code = app["borrower"]["credit_code"].as_str().unwrap().to_string();
    let last = code.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &code[..code.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    app["borrower"]["credit_code"] = json!(flipped);
    app["loan"]["amount"] = json!("-1");
    let r = call(
        &f.app,
        post("/v1/applications", &f.bank_a, app.to_string(), None),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    let paths = error_paths(&r);
    assert!(
        paths.iter().any(|p| p == "borrower.credit_code"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "loan.amount"), "{paths:?}");
    let r = call(
        &f.app,
        post("/v1/applications", &f.bank_a, "{\"bank_id\": 3", None),
    )
    .await;
    assert_eq!(r.status.as_u16() / 100, 4, "{}", r.text);
    let r = call(
        &f.app,
        post("/v1/applications", &f.bureau, text.clone(), None),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    let r = call(
        &f.app,
        post("/v1/applications?paths=0", &f.bank_a, text.clone(), None),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn requests_without_a_good_key_are_limited_per_address_before_authentication() {
    let f = fixture_with(Limits {
        address_rate_per_second: 0.5,
        address_rate_burst: 3,
        ..Limits::default()
    })
    .await;
    for _ in 0..3 {
        let r = call(&f.app, get("/v1/applications", Some("not-a-key"))).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED);
    }
    let r = call(&f.app, get("/v1/applications", Some("not-a-key"))).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // The address is limited whatever the key.
    let r = call(&f.app, get("/v1/applications", Some(&f.bank_a))).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_auth_scheme_is_case_insensitive() {
    let f = fixture().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let req = Request::get("/v1/applications")
            .header(header::AUTHORIZATION, format!("{scheme} {}", f.bank_a))
            .body(Body::empty())
            .unwrap();
        let r = call(&f.app, req).await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}: {}", r.text);
    }
    let req = Request::get("/v1/applications")
        .header(header::AUTHORIZATION, format!("Basic {}", f.bank_a))
        .body(Body::empty())
        .unwrap();
    assert_problem(&call(&f.app, req).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn hostile_ids_and_cursors_are_404_and_422_on_every_backend() {
    let f = fixture().await;
    let mine = stored_application(&f.store, "bank-a", "approve").await;
    for id in [
        "%00",
        "app_%00",
        &format!("{mine}%00"),
        "app_%27%3B--",
        "%E2%80%AE",
    ] {
        for uri in [
            format!("/v1/applications/{id}"),
            format!("/v1/applications/{id}/outcomes"),
        ] {
            let r = call(&f.app, get(&uri, Some(&f.bank_a))).await;
            assert_problem(&r, StatusCode::NOT_FOUND);
        }
        let r = call(
            &f.app,
            post(
                &format!("/v1/applications/{id}/outcome"),
                &f.bank_a,
                r#"{"status":"repaid","repaid":"1.00","defaulted":"0","recovered":"0"}"#,
                None,
            ),
        )
        .await;
        assert_problem(&r, StatusCode::NOT_FOUND);
        for uri in [
            format!("/v1/fund/simulations/{id}"),
            format!("/v1/fund/simulations/{id}/report"),
        ] {
            let r = call(&f.app, get(&uri, Some(&f.bureau))).await;
            assert_problem(&r, StatusCode::NOT_FOUND);
        }
    }
    for uri in [
        "/v1/applications?cursor=%00",
        "/v1/fund/simulations?cursor=app_%00",
        "/v1/audit?cursor=%00x",
    ] {
        let key = if uri.contains("fund") {
            &f.bureau
        } else if uri.contains("audit") {
            &f.admin
        } else {
            &f.bank_a
        };
        let r = call(&f.app, get(uri, Some(key))).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_paths(&r), ["query.cursor"], "{uri}: {}", r.text);
    }
    // A NUL inside a JSON string reaches the store escaped, never raw.
    let r = call(
        &f.app,
        post(
            "/v1/applications",
            &f.bank_a,
            r#"{"bank_id":"bank-a\u0000"}"#,
            None,
        ),
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_with_trailing_data_are_refused() {
    let f = fixture().await;
    let app = std::fs::read_to_string("scenarios/applications/approve.json").unwrap();
    let outcome = r#"{"status":"repaid","repaid":"1.00","defaulted":"0","recovered":"0"}"#;
    let mine = stored_application(&f.store, "bank-a", "approve").await;
    for (uri, doc) in [
        (
            "/v1/applications?paths=1000".to_string(),
            app.trim().to_string(),
        ),
        (
            format!("/v1/applications/{mine}/outcome"),
            outcome.to_string(),
        ),
    ] {
        for bad in [
            format!("{doc}xx"),
            format!("{doc}{doc}"),
            format!("{doc} []"),
        ] {
            let r = call(&f.app, post(&uri, &f.bank_a, bad, None)).await;
            assert!(
                r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::UNPROCESSABLE_ENTITY,
                "{uri}: {} {}",
                r.status,
                r.text
            );
            assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        }
        let r = call(&f.app, post(&uri, &f.bank_a, format!("{doc}\n  "), None)).await;
        assert!(r.status.is_success(), "{uri}: {}", r.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_refusals_are_in_the_audit_trail_and_bank_ids_are_checked() {
    let f = fixture().await;
    let app = std::fs::read_to_string("scenarios/applications/approve.json").unwrap();
    // A write.
    let r = call(
        &f.app,
        post("/v1/applications?paths=1000", &f.bank_a, app.clone(), None),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    // Bank B reads bank A's application: 404, recorded.
    let r = call(
        &f.app,
        get(&format!("/v1/applications/{id}"), Some(&f.bank_b)),
    )
    .await;
    assert_problem(&r, StatusCode::NOT_FOUND);
    // Bank B files under bank A's branch: 403, recorded, nothing stored.
    let r = call(
        &f.app,
        post("/v1/applications?paths=1000", &f.bank_b, app.clone(), None),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    assert!(r.text.contains("bank-chengdu-01"), "{}", r.text);
    // Only admins read the trail.
    for key in [&f.bank_a, &f.bureau] {
        let r = call(&f.app, get("/v1/audit", Some(key))).await;
        assert_problem(&r, StatusCode::FORBIDDEN);
    }
    let r = call(&f.app, get("/v1/audit?limit=100", Some(&f.admin))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    let row = |route: &str, status: u64| {
        items
            .iter()
            .find(|e| e["route"] == route && e["status"] == status)
            .unwrap_or_else(|| panic!("no {route} {status} in {}", r.text))
    };
    let created = row("/v1/applications", 201);
    assert_eq!(created["tenant"], "bank-a");
    assert_eq!(created["role"], "bank");
    assert_eq!(created["method"], "POST");
    assert_eq!(created["resource_id"], id.as_str());
    assert!(created["key_id"].as_str().unwrap().starts_with("key_"));
    assert!(!created["request_id"].as_str().unwrap().is_empty());
    let peek = row("/v1/applications/{id}", 404);
    assert_eq!(peek["tenant"], "bank-b");
    assert_eq!(peek["resource_id"], id.as_str());
    let filed = row("/v1/applications", 403);
    assert_eq!(filed["tenant"], "bank-b");
    // Reads of one's own are not writes: not in the trail.
    assert_eq!(items.len(), 3, "{}", r.text);
    // Pages.
    let r = call(&f.app, get("/v1/audit?limit=2", Some(&f.admin))).await;
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = call(
        &f.app,
        get(
            &format!("/v1/audit?limit=2&cursor={cursor}"),
            Some(&f.admin),
        ),
    )
    .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
}
