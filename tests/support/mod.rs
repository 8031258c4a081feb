//! Helpers shared by the integration tests.

use ipledge::store::new_id;

/// `IPLEDGE_TEST_POSTGRES_URL` with a fresh schema selected, or `None` (notice printed).
pub async fn postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("IPLEDGE_TEST_POSTGRES_URL") else {
        eprintln!("IPLEDGE_TEST_POSTGRES_URL not set: skipping the PostgreSQL store tests");
        return None;
    };
    sqlx::any::install_default_drivers();
    let schema = format!("ipledge_test_{}", new_id("s").unwrap().replace("s_", ""));
    let pool = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("IPLEDGE_TEST_POSTGRES_URL={base} unreachable: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

/// The database the API tests run on: a SQLite file in `dir`, or, when
/// `IPLEDGE_TEST_API_BACKEND=postgres`, a fresh schema of `IPLEDGE_TEST_POSTGRES_URL` (CI runs
/// the API suites once on each, so both backends answer hostile requests alike).
#[allow(dead_code, reason = "not every test binary runs the API")]
pub async fn api_database_url(dir: &std::path::Path) -> String {
    if std::env::var("IPLEDGE_TEST_API_BACKEND").as_deref() == Ok("postgres") {
        postgres_url()
            .await
            .expect("IPLEDGE_TEST_API_BACKEND=postgres needs IPLEDGE_TEST_POSTGRES_URL")
    } else {
        format!("sqlite://{}", dir.join("api.db").display())
    }
}
