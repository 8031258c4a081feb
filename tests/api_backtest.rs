//! `GET /v1/backtests` end to end, in process (`app(state)`, `oneshot`): a bank scores a dozen
//! applications, reports outcomes on them, and reads back the backtest — on SQLite, and on
//! PostgreSQL when `IPLEDGE_TEST_POSTGRES_URL` is set (then both must give the same JSON).
//! Plus `ipledge backtest` on the SQLite file the API wrote.

mod support;

use std::process::Command;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use ipledge::api::{AppState, Limits, app};
use ipledge::model::{DEFAULT_MODEL_TOML, Model, ModelOrigin};
use ipledge::store::{Role, Store};

/// The embedded model with the `[backtest]` minimums lowered so that a dozen loans are tested.
fn small_book_model() -> Model {
    let mut text = DEFAULT_MODEL_TOML.to_string();
    for (from, to) in [
        ("min_observations = 30", "min_observations = 5"),
        ("min_class_observations = 10", "min_class_observations = 2"),
        ("min_lgd_observations = 10", "min_lgd_observations = 2"),
        (
            "min_period_observations = 30",
            "min_period_observations = 2",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    Model::from_toml_str(&text, ModelOrigin::Embedded).unwrap()
}

struct Keys {
    bank_a: String,
    bank_b: String,
    bureau: String,
    admin: String,
}

async fn keys(store: &Store) -> Keys {
    Keys {
        bank_a: store.create_key("bank-a", Role::Bank).await.unwrap().secret,
        bank_b: store.create_key("bank-b", Role::Bank).await.unwrap().secret,
        bureau: store
            .create_key("bureau", Role::Bureau)
            .await
            .unwrap()
            .secret,
        admin: store.create_key("ops", Role::Admin).await.unwrap().secret,
    }
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "text": text }));
    (status, body)
}

fn get(uri: &str, key: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap()
}

fn post(uri: &str, key: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// The sample application `name`, lent by `bank_id`.
fn application(name: &str, bank_id: &str) -> String {
    let path = format!(
        "{}/scenarios/applications/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["bank_id"] = json!(bank_id);
    doc.to_string()
}

/// What the book is expected to show.
struct Book {
    industries: Vec<String>,
}

/// Scores twelve applications for bank-a and reports: 4 defaults (2 of them later recovered,
/// one on the default day, one a year later), 6 performing beyond a year, 1 repaid, 1 not
/// reported. Returns the industries of the twelve.
async fn score_and_report(app: &Router, bank: &str) -> Book {
    let names = ["approve", "refer", "decline", "mixed-pledge"];
    let mut industries = Vec::new();
    for i in 0..12 {
        let (status, body) = call(
            app,
            post(
                &format!("/v1/applications?paths=200&seed={}", i + 1),
                bank,
                application(names[i % 4], "bank-a"),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        industries.push(body["borrower"]["industry"].as_str().unwrap().to_string());
        let id = body["id"].as_str().unwrap().to_string();
        let today = &body["created_at"].as_str().unwrap()[..10];
        let reports: Vec<Value> = match i {
            0 | 1 => vec![json!({"status": "defaulted", "defaulted": "1000000", "as_of": today})],
            2 => vec![
                json!({"status": "defaulted", "defaulted": "1000000", "as_of": today}),
                json!({"status": "recovered", "defaulted": "1000000", "recovered": "400000", "as_of": today}),
            ],
            3 => vec![
                json!({"status": "defaulted", "defaulted": "2000000", "as_of": today}),
                json!({"status": "recovered", "defaulted": "2000000", "recovered": "500000", "as_of": "2099-01-01"}),
            ],
            4..=9 => {
                vec![json!({"status": "performing", "repaid": "100000", "as_of": "2099-01-01"})]
            }
            10 => vec![json!({"status": "repaid", "repaid": "1000000"})],
            _ => vec![],
        };
        for report in reports {
            let (status, body) = call(
                app,
                post(
                    &format!("/v1/applications/{id}/outcome"),
                    bank,
                    report.to_string(),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    Book { industries }
}

/// Checks the backtest of the book against what was reported; returns its JSON.
async fn check_backtest(app: &Router, k: &Keys, book: &Book) -> Value {
    let (status, r) = call(app, get("/v1/backtests", &k.bank_a)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["scope"]["tenant"], "bank-a");
    let p = &r["population"];
    assert_eq!(
        (
            &p["scored"],
            &p["reported"],
            &p["cohort"],
            &p["cohort_defaults"],
            &p["immature"]
        ),
        (&json!(12), &json!(11), &json!(11), &json!(4), &json!(0)),
        "{p}"
    );
    // Calibration: rows add up; below 5 loans a grade is not tested; the overall test is
    // the Jeffreys p-value at the mean PD.
    let cal = &r["calibration"];
    let overall = &cal["overall"];
    assert_eq!(
        (&overall["n"], &overall["defaults"]),
        (&json!(11), &json!(4))
    );
    let rows = cal["grades"].as_array().unwrap();
    let n_sum: u64 = rows.iter().map(|g| g["n"].as_u64().unwrap()).sum();
    let d_sum: u64 = rows.iter().map(|g| g["defaults"].as_u64().unwrap()).sum();
    assert_eq!((n_sum, d_sum), (11, 4));
    for g in rows {
        if g["n"].as_u64().unwrap() < 5 {
            assert_eq!(g["status"], "insufficient_data", "{g}");
            assert!(g["jeffreys_p"].is_null());
        }
    }
    let pd = overall["mean_pd"].as_f64().unwrap();
    let jeffreys = statrs::function::beta::beta_reg(4.5, 7.5, pd);
    assert!((overall["jeffreys_p"].as_f64().unwrap() - jeffreys).abs() < 1e-12);
    let light = if jeffreys >= 0.05 {
        "green"
    } else if jeffreys >= 0.01 {
        "yellow"
    } else {
        "red"
    };
    assert_eq!(overall["status"], light);
    // Discrimination on 4 defaults / 7 non-defaults.
    let d = &r["discrimination"];
    assert_eq!(
        (&d["n_defaults"], &d["n_non_defaults"]),
        (&json!(4), &json!(7))
    );
    assert_eq!(d["status"], "ok");
    let auc = d["auc"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&auc));
    assert!((d["gini"].as_f64().unwrap() - (2.0 * auc - 1.0)).abs() < 1e-12);
    // LGD: two resolved defaults, two still in workout. The first recovered on its default
    // day (no discounting): 1 − 0.4.
    let lgd = &r["lgd"];
    assert_eq!(
        (&lgd["overall"]["n"], &lgd["unresolved"]),
        (&json!(2), &json!(2))
    );
    assert_eq!(lgd["overall"]["exposure"], "3000000.00");
    let realised = lgd["overall"]["mean_realised"].as_f64().unwrap();
    assert!(realised > 0.6 && realised < 1.0, "{realised}");
    // Everything scored today: the recent half of a one-day window is empty.
    assert_eq!(r["stability"]["status"], "insufficient_data");
    assert_eq!(r["stability"]["base"]["n"], 12);

    // Another bank sees an empty book; the admin every tenant's or one; a bureau nothing.
    let (_, other) = call(app, get("/v1/backtests", &k.bank_b)).await;
    assert_eq!(other["population"]["scored"], 0);
    assert_eq!(
        other["calibration"]["overall"]["status"],
        "insufficient_data"
    );
    let (status, all) = call(app, get("/v1/backtests", &k.admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["population"], r["population"]);
    assert!(all["scope"]["tenant"].is_null());
    let (_, one) = call(app, get("/v1/backtests?tenant=bank-b", &k.admin)).await;
    assert_eq!(one["population"]["scored"], 0);
    let (status, _) = call(app, get("/v1/backtests", &k.bureau)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Window and segment.
    let (_, old) = call(app, get("/v1/backtests?to=2000-01-01", &k.bank_a)).await;
    assert_eq!(old["population"]["scored"], 0);
    let it = book
        .industries
        .iter()
        .filter(|i| *i == "next_gen_it")
        .count();
    assert!(it > 0);
    let (status, seg) = call(
        app,
        get("/v1/backtests?segment=industry:next_gen_it", &k.bank_a),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{seg}");
    assert_eq!(seg["population"]["scored"], it);
    assert_eq!(seg["scope"]["segment"], "industry:next_gen_it");

    // Every bad query field is named.
    for (query, path) in [
        ("from=2024-13-01", "query.from"),
        ("to=yesterday", "query.to"),
        ("from=2024-02-01&to=2024-01-01", "query.to"),
        ("segment=grade:BB", "query.segment"),
        ("segment=industry:steel", "query.segment"),
        ("tenant=bank-b", "query.tenant"),
        ("colour=red", "query"),
    ] {
        let (status, body) = call(app, get(&format!("/v1/backtests?{query}"), &k.bank_a)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        let paths: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert!(
            paths.iter().any(|p| p.starts_with(path)),
            "{query}: {paths:?}"
        );
    }
    r
}

async fn run_on(url: &str) -> Value {
    let store = Store::connect(url).await.unwrap();
    let k = keys(&store).await;
    let app = app(AppState::new(
        store.clone(),
        small_book_model(),
        Limits::default(),
    ));
    let book = score_and_report(&app, &k.bank_a).await;
    let r = check_backtest(&app, &k, &book).await;
    store.close().await;
    r
}

#[tokio::test]
async fn backtest_of_a_scored_and_reported_book_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bt.db").display());
    let sqlite = run_on(&url).await;
    if let Some(pg) = support::postgres_url().await {
        let postgres = run_on(&pg).await;
        assert_eq!(sqlite, postgres, "both backends give the same backtest");
    }

    // `ipledge backtest` on the file the API wrote: the same JSON (same thresholds).
    let model_file = dir.path().join("model.toml");
    let text = DEFAULT_MODEL_TOML
        .replace("min_observations = 30", "min_observations = 5")
        .replace("min_class_observations = 10", "min_class_observations = 2")
        .replace("min_lgd_observations = 10", "min_lgd_observations = 2")
        .replace(
            "min_period_observations = 30",
            "min_period_observations = 2",
        );
    std::fs::write(&model_file, text).unwrap();
    let report = dir.path().join("bt.html");
    let out = Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .args([
            "backtest",
            "--database-url",
            &url,
            "--tenant",
            "bank-a",
            "--model",
        ])
        .arg(&model_file)
        .arg("--report")
        .arg(&report)
        .args(["--lang", "zh"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same model bytes from a file: the same thresholds, id and SHA-256.
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli, sqlite);
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("模型回测报告") && page.contains("<svg"));

    let table = Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .args(["backtest", "--database-url", &url, "--format", "table"])
        .output()
        .unwrap();
    assert!(table.status.success());
    let en = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(
        en.contains("Observed DR") && en.contains("Jeffreys p"),
        "{en}"
    );
    let table = Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .args(["backtest", "--database-url", &url, "--format", "table"])
        .args(["--lang", "zh"])
        .output()
        .unwrap();
    assert!(table.status.success());
    let zh = String::from_utf8_lossy(&table.stdout).into_owned();
    assert!(zh.contains("评级") && zh.contains("合计"), "{zh}");
    for english in [
        "Observed",
        "insufficient",
        "defaults",
        "green",
        "red",
        "yellow",
    ] {
        assert!(!zh.contains(english), "{english} in {zh}");
    }
}

#[test]
fn cli_backtest_refuses_a_missing_database_and_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let out = Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .args(["backtest", "--database-url"])
        .arg(format!("sqlite://{}", missing.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nope.db") && stderr.contains("no database at"),
        "{stderr}"
    );
    assert!(!missing.exists(), "the database must not be created");
    for args in [
        &["--from", "2024-02-30"][..],
        &["--from", "2024-02-01", "--to", "2024-01-01"],
        &["--segment", "grade:BB"],
        &["--lang", "fr"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ipledge"))
            .arg("backtest")
            .args(args)
            .args(["--database-url", "sqlite://does-not-matter.db"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(!dir.path().join("does-not-matter.db").exists());
}
