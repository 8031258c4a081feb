//! Cross-cutting layers: request timeout (503 problem), Prometheus metrics per route, one
//! log line per request, and tracing spans carrying the request id (`x-request-id`, set or
//! propagated).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

use super::AppError;

/// Answers 503 `timeout` when the inner service takes longer than the configured time.
/// Work already on the blocking pool finishes on its own; its result is dropped.
pub async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout {
            secs: limit.as_secs().max(1),
        }
        .into_response(),
    }
}

/// Counts requests and records latencies by route template, method and status.
pub async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let mut response = next.run(req).await;
    response
        .extensions_mut()
        .insert(RouteTemplate(route.clone()));
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("ipledge_http_requests_total", &labels).increment(1);
    metrics::histogram!("ipledge_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}

/// The route template a response was answered by (set by [`record_metrics`], read by
/// [`log_request`], which runs outside the router and cannot see the matched path).
#[derive(Clone, Debug)]
struct RouteTemplate(String);

/// Writes one log line per request when its response is ready: request id, method, route
/// template (`unmatched` for a path no route serves), status and latency.
pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let response = next.run(req).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or("unmatched", |r| r.0.as_str());
    tracing::info!(
        target: "ipledge::request",
        request_id = %request_id,
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = start.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    response
}

/// The process-wide Prometheus recorder (installed once; later apps share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            const BUCKETS: &[f64] = &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                60.0, 300.0,
            ];
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be global (e.g. in a test binary): then metrics go
            // there and this handle renders an empty registry, which is harmless.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}

/// Tracing spans per request with method, path and request id.
pub fn trace_layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, impl Fn(&Request) -> tracing::Span + Clone>
{
    TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let request_id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "request",
            method = %req.method(),
            path = %req.uri().path(),
            request_id = %request_id,
        )
    })
}
