//! The HTTP API (feature `server`): `ipledge serve`; the routes are documented in docs/api.md.
//!
//! [`app`] builds the whole axum `Router` from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] binds it to a socket with graceful
//! shutdown. Handlers are thin: authenticate, read the body with [`body`] (every parse error
//! becomes a problem+json with field paths), call the engine on the blocking pool, store
//! through [`crate::store`], answer JSON. Bodies are exactly the CLI's input schemas; run
//! settings (`paths`, `seed`) are query parameters. Must not contain model logic.

pub mod audit;
pub mod auth;
pub mod body;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub use error::AppError;

use crate::model::Model;
use crate::store::{Store, StoreError};

/// Limits that protect the server; every one is a flag of `ipledge serve`.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body in bytes (413 above).
    pub max_body_bytes: usize,
    /// Most pledged assets in one application or asset list (422 above).
    pub max_assets: usize,
    /// Most Monte Carlo paths a synchronous request may ask for (422 above).
    pub max_paths: u64,
    /// Most paths a fund simulation job may ask for (422 above).
    pub max_job_paths: u64,
    /// Most work of one synchronous valuation or scoring: pledged assets × paths (422 above).
    pub max_asset_paths: u64,
    /// Paths used when a request does not say.
    pub default_paths: u64,
    /// Largest page of a list.
    pub max_page: u32,
    /// Requests per second admitted per API key (sustained).
    pub rate_per_second: f64,
    /// Requests admitted per API key in a burst.
    pub rate_burst: f64,
    /// Time after which a request is answered 503.
    pub request_timeout: Duration,
    /// Fund simulations running at once.
    pub job_workers: usize,
    /// Most work one fund job may ask for, in loan-months × path evaluations (the book's
    /// loans × the horizon's months × paths × books drawn × points evaluated; 422 above).
    pub max_job_work: u64,
    /// Most memory the default events a decision-tool job keeps may take in the worst case
    /// (every loan of every book copy defaulting on every path), in bytes (422 above).
    pub max_job_draw_bytes: u64,
    /// Fund jobs one API key may have queued or running at once (429 above).
    pub max_jobs_per_key: u64,
    /// Time a fund job may run before it is stopped and marked failed.
    pub job_time_limit: Duration,
    /// Time a client has to send a request's headers (the connection is closed after).
    pub header_read_timeout: Duration,
    /// Connections served at once (more wait to be accepted).
    pub max_connections: usize,
    /// Requests per second admitted per client address, before authentication (sustained).
    pub address_rate_per_second: f64,
    /// Requests admitted per client address in a burst.
    pub address_rate_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_assets: 200,
            max_paths: 100_000,
            max_job_paths: 1_000_000,
            max_asset_paths: 5_000_000,
            default_paths: 10_000,
            max_page: 100,
            rate_per_second: 1_000.0,
            rate_burst: 2_000.0,
            request_timeout: Duration::from_secs(30),
            job_workers: 1,
            max_job_work: 2_000_000_000_000,
            max_job_draw_bytes: 4 << 30,
            max_jobs_per_key: 4,
            job_time_limit: Duration::from_secs(3600),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 256,
            address_rate_per_second: 1_000.0,
            address_rate_burst: 2_000,
        }
    }
}

/// Shared state of every handler: the store, the model, limits and the job pool.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    model: Model,
    limits: Limits,
    limiter: auth::KeyLimiter,
    jobs: jobs::JobPool,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The model's scoring parameters, read once (an error if the model's sections are bad).
    scoring: Result<Arc<crate::credit::ScoringParams>, String>,
}

impl AppState {
    /// State over an open store with `model` (the embedded default or a bank's file).
    /// Must be created inside a tokio runtime (the job pool spawns on it).
    pub fn new(store: Store, model: Model, limits: Limits) -> AppState {
        let limiter = auth::KeyLimiter::new(limits.rate_per_second, limits.rate_burst);
        let jobs = jobs::JobPool::new(store.clone(), limits.job_workers, limits.job_time_limit);
        let scoring = crate::credit::ScoringParams::from_model(&model)
            .map(Arc::new)
            .map_err(|e| format!("server model: {e}"));
        AppState {
            inner: Arc::new(Inner {
                scoring,
                store,
                model,
                limits,
                limiter,
                jobs,
                metrics: middleware::metrics_handle(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The model every request is computed with.
    pub fn model(&self) -> &Model {
        &self.inner.model
    }

    /// The model's credit and valuation parameters, validated once when the state was made.
    pub fn scoring_params(&self) -> Result<Arc<crate::credit::ScoringParams>, AppError> {
        self.inner.scoring.clone().map_err(AppError::Internal)
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The background job pool.
    pub fn jobs(&self) -> &jobs::JobPool {
        &self.inner.jobs
    }

    fn limiter(&self) -> &auth::KeyLimiter {
        &self.inner.limiter
    }
}

/// The whole API as a router (no socket): resource routes, ops routes, docs, and the
/// middleware stack (request id, tracing, metrics, timeout, body limit).
pub fn app(state: AppState) -> Router {
    let limits = state.limits().clone();
    let api = routes::router()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/models", get(ops::models))
        .route("/v1/schemes", get(ops::schemes))
        .route_layer(axum::middleware::from_fn(middleware::record_metrics))
        .fallback(ops::no_route)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(state.clone());
    let docs = openapi::docs_router(&limits);
    // Outermost last: the request id is set first, then the log line, the per-address limit
    // (before any authentication or body is read), the span, the body limit and the timeout.
    api.merge(docs)
        .layer(axum::middleware::from_fn_with_state(
            limits.request_timeout,
            middleware::timeout,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::trace_layer())
        .layer(auth::address_limit(
            limits.address_rate_per_second,
            limits.address_rate_burst,
        ))
        .layer(axum::middleware::from_fn(middleware::log_request))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Runs engine work on the blocking pool under a fresh stop flag that is raised when the
/// request's future is dropped: a request answered 503 by the timeout layer (or whose
/// client went away) stops computing at the engine's next check instead of running on.
pub(crate) async fn compute<T, F>(what: &'static str, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    struct RaiseOnDrop(crate::rng::stop::StopFlag);
    impl Drop for RaiseOnDrop {
        fn drop(&mut self) {
            self.0.stop();
        }
    }
    let flag = crate::rng::stop::StopFlag::new();
    let _raise = RaiseOnDrop(flag.clone());
    match tokio::task::spawn_blocking(move || flag.run(work)).await {
        Ok(Ok(result)) => result,
        Ok(Err(crate::rng::stop::Stopped)) => Err(AppError::Internal(format!(
            "{what} stopped while its request was still waiting"
        ))),
        Err(e) => Err(AppError::Internal(format!("{what} task: {e}"))),
    }
}

/// Everything `ipledge serve` needs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Address to bind (`127.0.0.1:8080`; port 0 picks a free port).
    pub addr: SocketAddr,
    /// `sqlite://FILE` or `postgres://…`.
    pub database_url: String,
    /// Limits.
    pub limits: Limits,
}

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound or the server failed.
    #[error("cannot serve on {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Opens the store, marks jobs a previous run left unfinished `interrupted`, binds, prints
/// `listening on ADDR` to stderr, and serves until SIGTERM or ctrl-c.
///
/// Each connection must send its request headers within `header_read_timeout`; at most
/// `max_connections` are served at once (more wait in the listen backlog). On SIGTERM the
/// listener closes, running jobs are stopped and marked `interrupted` (within seconds), and
/// in-flight requests get up to the request timeout to finish before it returns.
pub async fn serve(config: ServeConfig, model: Model) -> Result<(), ServeError> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto;
    use tower::ServiceExt;

    let store = Store::connect(&config.database_url).await?;
    let interrupted = store.interrupt_unfinished_jobs().await?;
    if interrupted > 0 {
        tracing::warn!(jobs = interrupted, "marked unfinished jobs interrupted");
    }
    let limits = config.limits.clone();
    let state = AppState::new(store.clone(), model, config.limits);
    let io_err = |source| ServeError::Io {
        addr: config.addr,
        source,
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(io_err)?;
    let local = listener.local_addr().map_err(io_err)?;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    eprintln!("listening on {local}");
    tracing::info!(addr = %local, "listening");

    let router = app(state.clone());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = router.clone().map_request(
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req.map(axum::body::Body::new)
            },
        );
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let left = state.jobs().shutdown(JOB_STOP_GRACE).await;
    if left > 0 {
        tracing::warn!(
            jobs = left,
            "jobs still stopping at exit; the next start marks them interrupted"
        );
    }
    let drain = limits.request_timeout + Duration::from_secs(5);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open after {} s; closing",
            drain.as_secs()
        );
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server waits for its jobs to record that they were interrupted.
pub const JOB_STOP_GRACE: Duration = Duration::from_secs(10);

/// Resolves on ctrl-c or SIGTERM. The handlers are installed when this is called (before the
/// server announces itself), not when the future is first polled, so an early SIGTERM is
/// still a graceful stop.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tracing::info!("shutdown signal received; finishing in-flight requests");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Sets its flag when dropped, also while unwinding.
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_times_out_stops_its_computation() {
        let ended = Arc::new(AtomicBool::new(false));
        let guard = SetOnDrop(Arc::clone(&ended));
        let work = compute("endless work", move || {
            let _guard = guard;
            loop {
                crate::rng::stop::check();
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        // What the timeout layer does: give up on the future.
        let answered: Result<Result<(), AppError>, _> =
            tokio::time::timeout(Duration::from_millis(50), work).await;
        assert!(answered.is_err());
        for _ in 0..500 {
            if ended.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the computation kept running after its request was dropped");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_computation_that_finishes_is_answered() {
        let out = compute("quick work", || Ok::<_, AppError>(41 + 1)).await;
        assert_eq!(out.unwrap(), 42);
    }
}
