//! `oneshot` tests of the fund jobs of the HTTP API: the decision tools (`size`, `capacity`,
//! `compare`, `optimise`) queued next to simulations, their HTML reports, cancel and list.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

mod support;

use ipledge::api::{AppState, Limits, app};
use ipledge::model::Model;
use ipledge::store::{JobRecord, JobStatus, Role, Store, new_id, now_rfc3339};

struct Fixture {
    app: Router,
    state: AppState,
    store: Store,
    bureau: String,
    other_bureau: String,
    bank: String,
    _dir: tempfile::TempDir,
}

async fn fixture_with(limits: Limits) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = support::api_database_url(dir.path()).await;
    let store = Store::connect(&url).await.unwrap();
    let bureau = store
        .create_key("bureau", Role::Bureau)
        .await
        .unwrap()
        .secret;
    let other_bureau = store
        .create_key("bureau-2", Role::Bureau)
        .await
        .unwrap()
        .secret;
    let bank = store.create_key("bank-a", Role::Bank).await.unwrap().secret;
    let state = AppState::new(store.clone(), Model::embedded_default(), limits);
    Fixture {
        app: app(state.clone()),
        state,
        store,
        bureau,
        other_bureau,
        bank,
        _dir: dir,
    }
}

async fn fixture() -> Fixture {
    fixture_with(Limits::default()).await
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

fn get(uri: &str, key: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap()
}

fn delete(uri: &str, key: &str) -> Request<Body> {
    Request::delete(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap()
}

fn post_json(uri: &str, key: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn post_toml(uri: &str, key: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/toml")
        .body(Body::from(body.to_string()))
        .unwrap()
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
}

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

/// A small two-year book with an inline scheme (the ratio can be varied) and a leverage limit.
const SMALL: &str = r#"
[scenario]
name = "api-jobs-small"
horizon_years = 2
paths = 400
seed = 3
[[book.cohort]]
year = 1
origination = "uniform"
count = 60
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.04 }
[[book.cohort]]
year = 2
origination = "uniform"
count = 60
amount = { fixed = "1000000" }
tenor_months = 12
pd_1y = { fixed = 0.04 }
[risk]
asset_correlation = 0.2
lgd = 0.6
[scheme]
ratio = 0.5
[fund]
initial_capital = "3000000"
leverage_limit = 12
"#;

/// The scenario as a JSON document, with `extra` members added at its top level.
fn small_with(extra: Value) -> Value {
    let mut doc: Value =
        serde_json::to_value(toml::from_str::<toml::Value>(SMALL).unwrap()).unwrap();
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    doc
}

async fn submit(f: &Fixture, body: &Value) -> String {
    let r = call(
        &f.app,
        post_json("/v1/fund/simulations?paths=300", &f.bureau, body),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.headers[header::LOCATION],
        format!("/v1/fund/simulations/{id}").as_str()
    );
    id
}

async fn wait_for_job(f: &Fixture, id: &str) -> Reply {
    for _ in 0..2400 {
        let r = call(
            &f.app,
            get(&format!("/v1/fund/simulations/{id}"), &f.bureau),
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

/// Runs a job to its end and checks its reports in both languages; returns the job.
async fn run_job(f: &Fixture, body: &Value, kind: &str) -> Value {
    let id = submit(f, body).await;
    let done = wait_for_job(f, &id).await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.text);
    assert_eq!(done.body["job"], kind);
    assert_eq!(
        done.body["progress"]["done"],
        done.body["progress"]["total"]
    );
    assert_eq!(done.body["result"]["paths"], 300, "{}", done.text);
    for lang in ["zh", "en"] {
        let r = call(
            &f.app,
            get(
                &format!("/v1/fund/simulations/{id}/report?lang={lang}"),
                &f.bureau,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
        );
        assert!(r.text.contains("<html"), "{kind} {lang}");
        assert!(r.text.contains("api-jobs-small"), "{kind} {lang}");
    }
    // Another bureau sees neither the job nor its report.
    for uri in [
        format!("/v1/fund/simulations/{id}"),
        format!("/v1/fund/simulations/{id}/report?lang=en"),
    ] {
        let r = call(&f.app, get(&uri, &f.other_bureau)).await;
        assert_problem(&r, StatusCode::NOT_FOUND);
    }
    done.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_job_runs_and_reports() {
    let f = fixture().await;
    let job = run_job(
        &f,
        &small_with(json!({
            "job": "size",
            "size": {"max_shortfall_prob": 0.05, "resolution": "100000"}
        })),
        "size",
    )
    .await;
    let r = &job["result"];
    assert!(r["initial_capital"].is_string(), "{r}");
    assert!(
        ["leverage", "shortfall"].contains(&r["binding"].as_str().unwrap()),
        "{r}"
    );
    assert!(r["shortfall_probability"].as_f64().unwrap() <= 0.05);
    assert_eq!(r["result"]["scenario"], "api-jobs-small");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_job_from_toml_runs_and_reports() {
    let f = fixture().await;
    // In TOML the job keys sit at the top level: `job` before the first table.
    let text = format!(
        "job = \"capacity\"\n{SMALL}\n[capacity]\nmax_shortfall_prob = 0.1\nmin_enrolled_share = 0.3\nresolution = 0.25\nmax_multiple = 4\n"
    );
    let r = call(
        &f.app,
        post_toml("/v1/fund/simulations?paths=300", &f.bureau, &text),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["job"], "capacity");
    // Progress counts path evaluations: 4 books drawn × 300 paths.
    assert_eq!(r.body["progress"]["total"], 1200);
    let id = r.body["id"].as_str().unwrap().to_string();
    let done = wait_for_job(&f, &id).await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.text);
    let m = done.body["result"]["book_multiple"].as_f64().unwrap();
    assert!((0.0..=4.0).contains(&m), "{}", done.text);
    assert!(done.body["result"]["binding"].is_string());
    for lang in ["zh", "en"] {
        let r = call(
            &f.app,
            get(
                &format!("/v1/fund/simulations/{id}/report?lang={lang}"),
                &f.bureau,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("api-jobs-small"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_job_runs_and_reports() {
    let f = fixture().await;
    let job = run_job(
        &f,
        &small_with(json!({"compare": {"schemes": ["eu-capped-guarantee", "sba-7a"]}})),
        "compare",
    )
    .await;
    let schemes = job["result"]["schemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 3);
    assert_eq!(schemes[0]["label"], "(scenario)");
    assert_eq!(schemes[1]["label"], "eu-capped-guarantee");
    assert_eq!(schemes[2]["scheme"], "sba-7a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimise_job_runs_and_reports() {
    let f = fixture().await;
    let job = run_job(
        &f,
        &small_with(json!({
            "job": "optimise",
            "optimise": {
                "vary": ["scheme.ratio=0.2..0.8:4", "fund.initial_capital=2000000..6000000:3"],
                "objective": "scheme.ratio",
                "max_shortfall_prob": 0.2,
                "refine": 2
            }
        })),
        "optimise",
    )
    .await;
    let r = &job["result"];
    assert_eq!(r["points"].as_array().unwrap().len(), 12, "{r}");
    assert!(r["optimum"].is_object(), "{r}");
    assert!(!r["frontier"].as_array().unwrap().is_empty());
    assert!(r["ledger_passes"].as_u64().unwrap() >= 12);
    // The stored result is the engine's, byte for byte.
    let vary = [
        ipledge::fund::optimise::Vary::parse("scheme.ratio=0.2..0.8:4").unwrap(),
        ipledge::fund::optimise::Vary::parse("fund.initial_capital=2000000..6000000:3").unwrap(),
    ];
    let scenario =
        ipledge::scenario::Scenario::from_toml_str(SMALL, &ipledge::scenario::NoFiles).unwrap();
    let mut settings = ipledge::fund::Settings::for_scenario(
        &scenario,
        ipledge::fund::FundModel::embedded_default(),
    );
    settings.paths = 300;
    let mut evaluator = ipledge::fund::Evaluator::new(&settings, 1);
    // The API converts the JSON document to TOML; the engine reads the same keys.
    let text = toml::to_string(&toml::from_str::<toml::Value>(SMALL).unwrap()).unwrap();
    let expected = ipledge::fund::optimise::optimise(
        &text,
        &ipledge::scenario::NoFiles,
        &vary,
        &ipledge::fund::optimise::Objective::parse("scheme.ratio").unwrap(),
        &ipledge::fund::optimise::OptimiseSettings {
            target: 0.2,
            budget: None,
            refine: 2,
        },
        &mut evaluator,
    )
    .unwrap();
    assert_eq!(
        r["optimum"],
        serde_json::to_value(&expected.optimum).unwrap()
    );
}

#[tokio::test]
async fn bad_job_fields_are_422_with_their_paths_before_queueing() {
    let f = fixture_with(Limits {
        max_job_paths: 2000,
        ..Limits::default()
    })
    .await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"job": "sizing"}), "job"),
        (json!({"job": "size"}), "size"),
        (
            json!({"size": {"max_shortfall_prob": 1.5}}),
            "size.max_shortfall_prob",
        ),
        (
            json!({"size": {"max_shortfall_prob": 0.05, "resolution": "0"}}),
            "size.resolution",
        ),
        (
            json!({"size": {"max_shortfall": 0.05}}),
            "size.max_shortfall",
        ),
        (
            json!({"job": "capacity", "size": {"max_shortfall_prob": 0.05}}),
            "size",
        ),
        (
            json!({"capacity": {"max_shortfall_prob": 0.05, "min_enrolled_share": 0}}),
            "capacity.min_enrolled_share",
        ),
        // 16 books × 300 paths is above the 2000 path evaluations allowed.
        (
            json!({"capacity": {"max_shortfall_prob": 0.05, "max_multiple": 16}}),
            "capacity.max_multiple",
        ),
        (json!({"compare": {"schemes": []}}), "compare.schemes"),
        (
            json!({"compare": {"schemes": ["sba-7a", "no-such-preset"]}}),
            "compare.schemes[1]",
        ),
        (
            json!({"optimise": {
                "vary": ["scheme.ratio=0.2..0.6:3", "fund.initial_capital=1..oops"],
                "objective": "credit_enabled", "max_shortfall_prob": 0.05}}),
            "optimise.vary[1]",
        ),
        (
            json!({"optimise": {
                "vary": ["scheme.ratio=0.2..0.6:3"],
                "objective": "fund.leverage_limit", "max_shortfall_prob": 0.05}}),
            "optimise.objective",
        ),
        (
            json!({"optimise": {
                "vary": ["scheme.ratio=0.2..0.6:3", "scheme.ratio=0.3"],
                "objective": "credit_enabled", "max_shortfall_prob": 0.05}}),
            "optimise.vary[1]",
        ),
        // A value a scenario cannot take: the grid point fails validation.
        (
            json!({"optimise": {
                "vary": ["fund.initial_capital=1000000", "scheme.ratio=0.5..1.5:3"],
                "objective": "credit_enabled", "max_shortfall_prob": 0.05}}),
            "optimise.vary[1]",
        ),
        // 9 points + 6 refinement steps, × 300 paths: above the limit.
        (
            json!({"optimise": {
                "vary": ["scheme.ratio=0.2..0.6:9"],
                "objective": "scheme.ratio", "max_shortfall_prob": 0.05}}),
            "optimise.vary",
        ),
        (
            json!({"optimise": {
                "vary": ["scheme.ratio=0.2..0.6:3"], "refine": 99,
                "objective": "scheme.ratio", "max_shortfall_prob": 0.05}}),
            "optimise.refine",
        ),
    ];
    for (extra, path) in cases {
        let r = call(
            &f.app,
            post_json(
                "/v1/fund/simulations?paths=300",
                &f.bureau,
                &small_with(extra.clone()),
            ),
        )
        .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
        let paths = error_paths(&r);
        assert!(
            paths.iter().any(|p| p == path),
            "{extra}: expected {path}, got {paths:?}: {}",
            r.text
        );
    }
    // Nothing was queued.
    let r = call(&f.app, get("/v1/fund/simulations", &f.bureau)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
    // Banks run no fund jobs.
    let r = call(
        &f.app,
        post_json(
            "/v1/fund/simulations",
            &f.bank,
            &small_with(json!({"compare": {"schemes": ["sba-7a"]}})),
        ),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
}

async fn stored_job(store: &Store, tenant: &str, status: JobStatus) -> String {
    let id = new_id("job").unwrap();
    let job = JobRecord {
        id: id.clone(),
        tenant: tenant.into(),
        key_id: String::new(),
        kind: "fund_size".into(),
        status,
        progress_done: 0,
        progress_total: 300,
        input: "{}".into(),
        result: None,
        error: None,
        created_at: now_rfc3339(),
        started_at: None,
        finished_at: None,
    };
    store.insert_job(&job, None, None).await.unwrap();
    id
}

#[tokio::test]
async fn cancel_list_and_reports_of_unfinished_jobs() {
    let f = fixture().await;
    // Jobs stored directly, so none is taken by a worker.
    let queued = stored_job(&f.store, "bureau", JobStatus::Queued).await;
    let running = stored_job(&f.store, "bureau", JobStatus::Queued).await;
    assert!(f.store.start_job(&running).await.unwrap());
    let theirs = stored_job(&f.store, "bureau-2", JobStatus::Queued).await;

    // A report of a job without a result is 409.
    let r = call(
        &f.app,
        get(
            &format!("/v1/fund/simulations/{queued}/report?lang=zh"),
            &f.bureau,
        ),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT);
    let r = call(
        &f.app,
        get(
            &format!("/v1/fund/simulations/{queued}/report?lang=fr"),
            &f.bureau,
        ),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_paths(&r), vec!["query.lang"]);

    // The list shows the caller's jobs only, oldest first, in pages.
    let r = call(&f.app, get("/v1/fund/simulations?limit=1", &f.bureau)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"][0]["id"], queued.as_str());
    assert_eq!(r.body["items"][0]["job"], "size");
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = call(
        &f.app,
        get(
            &format!("/v1/fund/simulations?limit=1&cursor={cursor}"),
            &f.bureau,
        ),
    )
    .await;
    assert_eq!(r.body["items"][0]["id"], running.as_str());
    assert_eq!(r.body["items"][0]["status"], "running");
    let r = call(&f.app, get("/v1/fund/simulations?limit=0", &f.bureau)).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);

    // Cancel: queued and running jobs become cancelled (again: the same answer); another
    // tenant's job is 404 and stays queued.
    for id in [&queued, &running] {
        for _ in 0..2 {
            let r = call(
                &f.app,
                delete(&format!("/v1/fund/simulations/{id}"), &f.bureau),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["status"], "cancelled");
            assert!(r.body["finished_at"].is_string());
        }
    }
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{theirs}"), &f.bureau),
    )
    .await;
    assert_problem(&r, StatusCode::NOT_FOUND);
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{theirs}"), &f.bank),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN);
    // The queue does not run a cancelled job; a cancelled running job keeps no result.
    assert!(!f.store.start_job(&queued).await.unwrap());
    assert!(!f.store.finish_job(&running, Ok("{}".into())).await.unwrap());
    let r = call(
        &f.app,
        get(&format!("/v1/fund/simulations/{running}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled");
    assert!(r.body.get("result").is_none());
    let r = call(
        &f.app,
        get(&format!("/v1/fund/simulations/{running}/report"), &f.bureau),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT);
    let r = call(
        &f.app,
        get(&format!("/v1/fund/simulations/{theirs}"), &f.other_bureau),
    )
    .await;
    assert_eq!(r.body["status"], "queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_skips_cancelled_jobs_and_drops_the_result_of_a_cancelled_running_one() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let f = fixture().await;
    // Cancelled while queued: the worker never runs it.
    let queued = stored_job(&f.store, "bureau", JobStatus::Queued).await;
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{queued}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    f.state.jobs().spawn(queued.clone(), move |_| {
        flag.store(true, Ordering::SeqCst);
        Ok("{}".into())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!ran.load(Ordering::SeqCst));
    let r = call(
        &f.app,
        get(&format!("/v1/fund/simulations/{queued}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled");
    assert!(r.body.get("started_at").is_none(), "{}", r.text);

    // Cancelled while running: it runs to its end, and its result is dropped.
    let running = stored_job(&f.store, "bureau", JobStatus::Queued).await;
    let finished = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&finished);
    f.state.jobs().spawn(running.clone(), move |_| {
        std::thread::sleep(std::time::Duration::from_millis(400));
        flag.store(true, Ordering::SeqCst);
        Ok(r#"{"paths":300}"#.into())
    });
    for _ in 0..100 {
        let r = call(
            &f.app,
            get(&format!("/v1/fund/simulations/{running}"), &f.bureau),
        )
        .await;
        if r.body["status"] == "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{running}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    assert!(r.body["started_at"].is_string());
    while !finished.load(Ordering::SeqCst) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = call(
        &f.app,
        get(&format!("/v1/fund/simulations/{running}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled");
    assert!(r.body.get("result").is_none(), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_simulation_cannot_be_cancelled_and_has_a_report() {
    let f = fixture().await;
    let first = submit(&f, &small_with(json!({}))).await;
    let done = wait_for_job(&f, &first).await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.text);
    assert_eq!(done.body["job"], "simulate");
    assert_eq!(done.body["progress"]["done"], 300);
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{first}"), &f.bureau),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT);
    for lang in ["zh", "en"] {
        let r = call(
            &f.app,
            get(
                &format!("/v1/fund/simulations/{first}/report?lang={lang}"),
                &f.bureau,
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("api-jobs-small"));
    }
    let r = call(&f.app, get("/v1/fund/simulations", &f.bureau)).await;
    assert_eq!(r.body["items"][0]["id"], first.as_str());
    assert!(r.body["items"][0].get("result").is_none());
    assert!(r.body.get("next_cursor").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_example_of_a_job_request_is_accepted() {
    let f = fixture().await;
    let doc = ipledge::api::openapi::document();
    let example = &doc["components"]["schemas"]["FundJobRequest"]["examples"][0];
    let r = call(
        &f.app,
        post_json("/v1/fund/simulations?paths=200", &f.bureau, example),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.body["job"], "optimise");
}

/// A job that takes minutes unless stopped: 10,000 five-year loans at 200,000 paths (within
/// every cost bound of the default limits).
fn heavy() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/bench-10k.toml"
    ))
    .unwrap();
    let mut doc: Value =
        serde_json::to_value(toml::from_str::<toml::Value>(&text).unwrap()).unwrap();
    doc["scenario"]["paths"] = json!(200_000);
    doc
}

async fn submit_as(f: &Fixture, key: &str, body: &Value) -> Reply {
    call(&f.app, post_json("/v1/fund/simulations", key, body)).await
}

async fn status_of(f: &Fixture, id: &str) -> Reply {
    call(
        &f.app,
        get(&format!("/v1/fund/simulations/{id}"), &f.bureau),
    )
    .await
}

async fn wait_until(f: &Fixture, id: &str, wanted: &str, within: std::time::Duration) -> Reply {
    let start = std::time::Instant::now();
    loop {
        let r = status_of(f, id).await;
        if r.body["status"] == wanted {
            return r;
        }
        assert!(
            start.elapsed() < within,
            "job {id} not {wanted} after {within:?}: {}",
            r.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_running_job_and_frees_its_worker() {
    let f = fixture().await;
    let r = submit_as(&f, &f.bureau, &heavy()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    wait_until(&f, &id, "running", std::time::Duration::from_secs(30)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{id}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    // The only worker is free again within seconds: a small job queued behind it succeeds
    // (it would wait minutes for the heavy one to run to its end).
    let start = std::time::Instant::now();
    let small = submit(&f, &small_with(json!({}))).await;
    let done = wait_until(&f, &small, "succeeded", std::time::Duration::from_secs(60)).await;
    assert!(done.body["result"].is_object());
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(f.state.jobs().held_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_past_its_time_limit_is_stopped_and_fails_saying_so() {
    let f = fixture_with(Limits {
        job_time_limit: std::time::Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let r = submit_as(&f, &f.bureau, &heavy()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = wait_until(&f, &id, "failed", std::time::Duration::from_secs(30)).await;
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("time limit of 1 s"),
        "{}",
        r.text
    );
    assert!(r.body.get("result").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_may_have_only_so_many_jobs_queued_or_running() {
    let f = fixture_with(Limits {
        max_jobs_per_key: 2,
        ..Limits::default()
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = submit_as(&f, &f.bureau, &heavy()).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let r = submit_as(&f, &f.bureau, &heavy()).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.body["type"], "/problems/queue-full");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // Another key has its own allowance.
    let r = submit_as(&f, &f.other_bureau, &small_with(json!({}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let theirs = r.body["id"].as_str().unwrap().to_string();
    // Cancelling one makes room.
    let r = call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{}", ids[1]), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    let r = submit_as(&f, &f.bureau, &small_with(json!({}))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let last = r.body["id"].as_str().unwrap().to_string();
    for id in [&ids[0], &last] {
        call(
            &f.app,
            delete(&format!("/v1/fund/simulations/{id}"), &f.bureau),
        )
        .await;
    }
    call(
        &f.app,
        delete(&format!("/v1/fund/simulations/{theirs}"), &f.other_bureau),
    )
    .await;
    assert_eq!(
        f.state
            .jobs()
            .shutdown(std::time::Duration::from_secs(30))
            .await,
        0
    );
}

#[tokio::test]
async fn hostile_books_and_work_are_refused_before_anything_is_allocated() {
    let f = fixture().await;
    // 30 cohorts of 10 million loans each: every cohort passes on its own.
    let mut doc = small_with(json!({}));
    let cohort = doc["book"]["cohort"][0].clone();
    let mut cohorts = Vec::new();
    for _ in 0..30 {
        let mut c = cohort.clone();
        c["count"] = json!(10_000_000);
        cohorts.push(c);
    }
    doc["book"]["cohort"] = json!(cohorts);
    let r = submit_as(&f, &f.bureau, &doc).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_paths(&r).contains(&"book".to_string()), "{}", r.text);

    // One cohort growing tenfold a year for 50 years.
    let mut doc = small_with(json!({}));
    doc["scenario"]["horizon_years"] = json!(50);
    doc["book"]["cohort"] = json!([cohort.clone()]);
    doc["book"]["growth"] = json!({"annual_growth": 10});
    let r = submit_as(&f, &f.bureau, &doc).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_paths(&r).contains(&"book.growth.annual_growth".to_string()),
        "{}",
        r.text
    );

    // A legal book at a legal path count whose product is too much work.
    let mut doc = heavy();
    doc["scenario"]["horizon_years"] = json!(50);
    let r = call(
        &f.app,
        post_json("/v1/fund/simulations?paths=1000000", &f.bureau, &doc),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_paths(&r).contains(&"paths".to_string()), "{}", r.text);
    assert!(r.text.contains("loan-months"), "{}", r.text);

    // A decision tool whose kept draws could outgrow memory.
    let mut doc = heavy();
    doc["job"] = json!("size");
    doc["size"] = json!({"max_shortfall_prob": 0.05});
    let r = call(
        &f.app,
        post_json("/v1/fund/simulations?paths=100000", &f.bureau, &doc),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("MiB"), "{}", r.text);
    // Nothing was queued.
    let r = call(&f.app, get("/v1/fund/simulations", &f.bureau)).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idempotency_fingerprint_covers_the_query() {
    let f = fixture().await;
    let body = small_with(json!({}));
    let with_key = |paths: u64| {
        Request::post(format!("/v1/fund/simulations?paths={paths}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", f.bureau))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "retry-1")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let first = call(&f.app, with_key(300)).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    let again = call(&f.app, with_key(300)).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let other = call(&f.app, with_key(600)).await;
    assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["type"], "/problems/idempotency-key-reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_interrupts_its_jobs_and_they_can_be_resubmitted() {
    let f = fixture().await;
    let body = heavy().to_string();
    let with_key = |app: Router| {
        let req = Request::post("/v1/fund/simulations")
            .header(header::AUTHORIZATION, format!("Bearer {}", f.bureau))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "nightly-run")
            .body(Body::from(body.clone()))
            .unwrap();
        async move { call(&app, req).await }
    };
    let first = with_key(f.app.clone()).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    let id = first.body["id"].as_str().unwrap().to_string();
    wait_until(&f, &id, "running", std::time::Duration::from_secs(30)).await;
    // What SIGTERM does: the running job stops within seconds and is marked interrupted.
    let start = std::time::Instant::now();
    assert_eq!(
        f.state
            .jobs()
            .shutdown(std::time::Duration::from_secs(10))
            .await,
        0
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let r = status_of(&f, &id).await;
    assert_eq!(r.body["status"], "interrupted", "{}", r.text);

    // The next server on the same database takes the same request again.
    let state = AppState::new(
        f.store.clone(),
        Model::embedded_default(),
        Limits::default(),
    );
    let restarted = app(state.clone());
    let again = with_key(restarted.clone()).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    assert_eq!(again.body["id"], id.as_str());
    assert!(
        ["queued", "running"].contains(&again.body["status"].as_str().unwrap()),
        "{}",
        again.text
    );
    assert!(again.body.get("finished_at").is_none(), "{}", again.text);
    let r = call(
        &restarted,
        delete(&format!("/v1/fund/simulations/{id}"), &f.bureau),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.text);
    assert_eq!(
        state
            .jobs()
            .shutdown(std::time::Duration::from_secs(30))
            .await,
        0
    );
}
