//! Storage tests, run against SQLite (always) and PostgreSQL (when
//! `IPLEDGE_TEST_POSTGRES_URL` is set; then an unreachable server FAILS the test). Each
//! PostgreSQL run uses its own fresh schema so reruns never collide.

mod support;

use support::postgres_url;

use ipledge::store::{
    ApplicationRecord, IdempotencyKey, Insert, JobRecord, JobStatus, OutcomeRecord, Role, Store,
    StoredResponse, new_id, now_rfc3339,
};

fn application(tenant: &str, seed: u64) -> ApplicationRecord {
    ApplicationRecord {
        id: new_id("app").unwrap(),
        tenant: tenant.to_string(),
        created_at: now_rfc3339(),
        decision: "approve".into(),
        model_id: "default-2026".into(),
        model_sha256: "ab".repeat(32),
        seed,
        paths: 10_000,
        input: r#"{"bank_id":"B1","loan":{"amount":"1000000.00"}}"#.into(),
        output: r#"{"decision":"approve","pd_1y":0.021}"#.into(),
    }
}

async fn exercise(store: &Store) {
    store.ping().await.unwrap();

    // Keys: only hashes stored; revoked keys stop authenticating.
    let key = store.create_key("bank-a", Role::Bank).await.unwrap();
    assert_eq!(key.secret.len(), 64);
    let who = store.authenticate(&key.secret).await.unwrap().unwrap();
    assert_eq!((who.tenant.as_str(), who.role), ("bank-a", Role::Bank));
    assert!(store.authenticate("not-a-key").await.unwrap().is_none());
    store.revoke_key(&key.id).await.unwrap();
    assert!(store.authenticate(&key.secret).await.unwrap().is_none());
    assert!(store.revoke_key(&key.id).await.is_err());

    // Applications: stored verbatim (u64 seed round-trips), tenant-scoped, paginated.
    let a = application("bank-a", u64::MAX);
    let b = application("bank-a", 1);
    let c = application("bank-b", 2);
    for r in [&a, &b, &c] {
        assert_eq!(
            store.insert_application(r, None, None).await.unwrap(),
            Insert::Inserted
        );
    }
    assert_eq!(
        store.application(&a.id, Some("bank-a")).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store.application(&a.id, Some("bank-b")).await.unwrap(),
        None
    );
    assert_eq!(
        store.application(&a.id, None).await.unwrap(),
        Some(a.clone())
    );
    let page = store.applications(Some("bank-a"), None, 1).await.unwrap();
    assert_eq!(page, vec![a.clone()]);
    let page = store
        .applications(Some("bank-a"), Some(&a.id), 10)
        .await
        .unwrap();
    assert_eq!(page, vec![b.clone()]);
    assert_eq!(store.applications(None, None, 10).await.unwrap().len(), 3);

    // Idempotency: the second insert under the same key writes nothing and returns the first.
    let key = IdempotencyKey {
        tenant: "bank-a".into(),
        route: "POST /v1/applications".into(),
        key: "idem-1".into(),
    };
    let first = StoredResponse {
        request_sha256: "11".repeat(32),
        status: 201,
        body: r#"{"id":"first"}"#.into(),
    };
    let d = application("bank-a", 3);
    assert_eq!(
        store
            .insert_application(&d, Some((&key, &first)), None)
            .await
            .unwrap(),
        Insert::Inserted
    );
    let e = application("bank-a", 4);
    let second = StoredResponse {
        body: r#"{"id":"second"}"#.into(),
        ..first.clone()
    };
    assert_eq!(
        store
            .insert_application(&e, Some((&key, &second)), None)
            .await
            .unwrap(),
        Insert::Replayed(first.clone())
    );
    assert_eq!(store.application(&e.id, None).await.unwrap(), None);
    assert_eq!(store.stored_response(&key).await.unwrap(), Some(first));

    // Outcomes.
    let outcome = OutcomeRecord {
        id: new_id("out").unwrap(),
        application_id: a.id.clone(),
        tenant: "bank-a".into(),
        created_at: now_rfc3339(),
        status: "defaulted".into(),
        repaid: "0".into(),
        defaulted: "1000000.00".into(),
        recovered: "250000.00".into(),
        body: "{}".into(),
    };
    store.insert_outcome(&outcome, None, None).await.unwrap();
    assert_eq!(store.outcomes(&a.id).await.unwrap(), vec![outcome]);

    // Jobs: queued → running → progress → succeeded; unfinished ones become interrupted.
    let job = |status| JobRecord {
        id: new_id("job").unwrap(),
        tenant: "bureau".into(),
        key_id: String::new(),
        kind: "fund_simulation".into(),
        status,
        progress_done: 0,
        progress_total: 4096,
        input: "{}".into(),
        result: None,
        error: None,
        created_at: now_rfc3339(),
        started_at: None,
        finished_at: None,
    };
    let done = job(JobStatus::Queued);
    let lost = job(JobStatus::Queued);
    store.insert_job(&done, None, None).await.unwrap();
    store.insert_job(&lost, None, None).await.unwrap();
    store.start_job(&done.id).await.unwrap();
    store.job_progress(&done.id, 1024).await.unwrap();
    let running = store.job(&done.id, Some("bureau")).await.unwrap().unwrap();
    assert_eq!(
        (running.status, running.progress_done),
        (JobStatus::Running, 1024)
    );
    store
        .finish_job(&done.id, Ok(r#"{"paths":4096}"#.into()))
        .await
        .unwrap();
    store.start_job(&lost.id).await.unwrap();
    assert_eq!(store.interrupt_unfinished_jobs().await.unwrap(), 1);
    let finished = store.job(&done.id, None).await.unwrap().unwrap();
    assert_eq!(finished.status, JobStatus::Succeeded);
    assert_eq!(finished.progress_done, 4096);
    assert_eq!(finished.result.as_deref(), Some(r#"{"paths":4096}"#));
    assert!(finished.finished_at.is_some());
    let lost = store.job(&lost.id, None).await.unwrap().unwrap();
    assert_eq!(lost.status, JobStatus::Interrupted);
    assert!(store.job(&lost.id, Some("other")).await.unwrap().is_none());

    // Cancelling: a cancelled queued job is never started; a cancelled running job keeps no
    // result; a finished job cannot be cancelled.
    let queued = job(JobStatus::Queued);
    let busy = job(JobStatus::Queued);
    store.insert_job(&queued, None, None).await.unwrap();
    store.insert_job(&busy, None, None).await.unwrap();
    assert!(store.start_job(&busy.id).await.unwrap());
    assert!(store.cancel_job(&queued.id, None).await.unwrap());
    assert!(!store.start_job(&queued.id).await.unwrap());
    assert!(store.cancel_job(&busy.id, None).await.unwrap());
    assert!(!store.finish_job(&busy.id, Ok("{}".into())).await.unwrap());
    let busy = store.job(&busy.id, None).await.unwrap().unwrap();
    assert_eq!((busy.status, busy.result), (JobStatus::Cancelled, None));
    assert!(!store.cancel_job(&done.id, None).await.unwrap());
    assert!(!store.cancel_job(&queued.id, None).await.unwrap());
    // Listing: oldest first, paged by id, without inputs and results.
    let page = store.jobs(Some("bureau"), None, 3).await.unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[0].id, done.id);
    assert_eq!(page[0].status, JobStatus::Succeeded);
    assert!(
        page.iter()
            .all(|j| j.input.is_empty() && j.result.is_none())
    );
    let rest = store
        .jobs(Some("bureau"), Some(&page[2].id), 3)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].status, JobStatus::Cancelled);
    assert!(store.jobs(Some("other"), None, 3).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = Store::connect(&url).await.unwrap();
    exercise(&store).await;
    // Reopening runs the migrations again without harm and keeps the data.
    store.close().await;
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(again.applications(None, None, 100).await.unwrap().len(), 4);
}

#[tokio::test]
async fn postgres_store() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    exercise(&store).await;
    store.close().await;
    let again = Store::connect(&url).await.unwrap();
    assert_eq!(again.applications(None, None, 100).await.unwrap().len(), 4);
}

#[tokio::test]
async fn unsupported_url_is_rejected() {
    assert!(Store::connect("mysql://x").await.is_err());
}
