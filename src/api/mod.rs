//! The HTTP API (feature `server`): `ipledge serve`; the routes are documented in docs/api.md.
//!
//! [`app`] builds the whole axum `Router` from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket; [`serve`] binds it to a socket with graceful
//! shutdown. Handlers are thin: authenticate, read the body with [`body`] (every parse error
//! becomes a problem+json with field paths), call the engine on the blocking pool, store
//! through [`crate::store`], answer JSON. Bodies are exactly the CLI's input schemas; run
//! settings (`paths`, `seed`) are query parameters. Must not contain model logic.

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_assets: 200,
            max_paths: 100_000,
            max_job_paths: 1_000_000,
            default_paths: 10_000,
            max_page: 100,
            rate_per_second: 1_000.0,
            rate_burst: 2_000.0,
            request_timeout: Duration::from_secs(30),
            job_workers: 1,
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
    limiter: auth::RateLimiter,
    jobs: jobs::JobPool,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The model's scoring parameters, read once (an error if the model's sections are bad).
    scoring: Result<Arc<crate::credit::ScoringParams>, String>,
}

impl AppState {
    /// State over an open store with `model` (the embedded default or a bank's file).
    /// Must be created inside a tokio runtime (the job pool spawns on it).
    pub fn new(store: Store, model: Model, limits: Limits) -> AppState {
        let limiter = auth::RateLimiter::new(limits.rate_per_second, limits.rate_burst);
        let jobs = jobs::JobPool::new(store.clone(), limits.job_workers);
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

    fn limiter(&self) -> &auth::RateLimiter {
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
    api.merge(docs)
        .layer(axum::middleware::from_fn_with_state(
            limits.request_timeout,
            middleware::timeout,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::trace_layer())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
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
/// `listening on ADDR` to stderr, and serves until SIGTERM or ctrl-c; in-flight requests
/// finish before it returns.
pub async fn serve(config: ServeConfig, model: Model) -> Result<(), ServeError> {
    let store = Store::connect(&config.database_url).await?;
    let interrupted = store.interrupt_unfinished_jobs().await?;
    if interrupted > 0 {
        tracing::warn!(jobs = interrupted, "marked unfinished jobs interrupted");
    }
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
    eprintln!("listening on {local}");
    tracing::info!(addr = %local, "listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(io_err)?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

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
