//! Bearer-key authentication, roles, and the two rate limits.
//!
//! `Authorization: Bearer <key>` (the scheme in any case): the key's SHA-256 is looked up in
//! the store (revoked keys no longer match). The [`Caller`] extractor then charges the key's
//! own limit ([`KeyLimiter`], governor's GCRA keyed by key id: `rate_per_second` sustained,
//! `rate_burst` at once) and answers 429 with `Retry-After` when it is spent.
//!
//! Before any of that, every request is charged to its client address ([`address_limit`],
//! tower_governor keyed by the peer IP): requests with no key or a bad one are limited too,
//! and a flood costs no database lookup.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use governor::{Quota, RateLimiter, clock::Clock};
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::{AppError, AppState};
use crate::store::{Principal, Role};

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl Caller {
    /// Fails with 403 unless the caller's role is one of `roles`.
    pub fn require(&self, roles: &[Role], action: &'static str) -> Result<(), AppError> {
        if roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                role: self.0.role.as_str(),
                action,
            })
        }
    }

    /// The tenant whose records this caller may see: its own, or all (`None`) for admins.
    pub fn visible_tenant(&self) -> Option<&str> {
        match self.0.role {
            Role::Admin => None,
            Role::Bank | Role::Bureau => Some(&self.0.tenant),
        }
    }

    /// The caller's tenant.
    pub fn tenant(&self) -> &str {
        &self.0.tenant
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::Unauthorized)?;
        let secret = bearer_secret(header).ok_or(AppError::Unauthorized)?;
        let principal = state
            .store()
            .authenticate(secret)
            .await?
            .ok_or(AppError::Unauthorized)?;
        state
            .limiter()
            .admit(&principal.key_id)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
        Ok(Caller(principal))
    }
}

/// The secret of an `Authorization` header value whose scheme is `Bearer` in any case
/// (RFC 9110: auth schemes are case-insensitive).
fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim_start().split_once(' ')?;
    let secret = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// Each API key's own rate limit (GCRA, keyed by key id; bounded by the number of keys).
#[derive(Debug)]
pub struct KeyLimiter(governor::DefaultKeyedRateLimiter<String>);

impl KeyLimiter {
    /// `rate` requests per second sustained (fractions allowed), `burst` at once.
    pub fn new(rate: f64, burst: f64) -> KeyLimiter {
        KeyLimiter(RateLimiter::keyed(quota(rate, burst)))
    }

    /// Admits one request of `key`, or says in how many whole seconds one will be admitted.
    pub fn admit(&self, key: &str) -> Result<(), u64> {
        self.0.check_key(&key.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The quota of `rate` per second (a period of 1/rate; rates below one per hour are one per
/// hour) with bursts of `burst` (at least 1).
fn quota(rate: f64, burst: f64) -> Quota {
    let period = if rate.is_finite() && rate > 1.0 / 3600.0 {
        Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1))
    } else {
        Duration::from_secs(3600)
    };
    let burst =
        NonZeroU32::new(burst.clamp(1.0, f64::from(u32::MAX)) as u32).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// The client address of a request: the peer of its connection, or the unspecified address
/// for a request that came without one (a test driving the router directly).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress;

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        Ok(req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()))
    }
}

/// The per-address limit, applied to every request before authentication: `rate` per second
/// sustained, `burst` at once; 429 problem+json with `Retry-After` beyond.
pub fn address_limit(
    rate: f64,
    burst: u32,
) -> tower_governor::GovernorLayer<
    ClientAddress,
    governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>,
    axum::body::Body,
> {
    let period = quota(rate, f64::from(burst)).replenish_interval();
    let config = GovernorConfigBuilder::default()
        .period(period)
        .burst_size(burst.max(1))
        .key_extractor(ClientAddress)
        .finish()
        .unwrap_or_else(|| {
            // Only a zero period or burst fails, and both are clamped above zero.
            GovernorConfigBuilder::default()
                .key_extractor(ClientAddress)
                .finish()
                .unwrap_or_else(|| unreachable!("the default governor config is valid"))
        });
    let config = std::sync::Arc::new(config);
    let limiter = config.limiter().clone();
    // Forget addresses not seen for a while, so the table stays bounded (a task of the
    // runtime serving the app; it ends with it).
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
    }
    tower_governor::GovernorLayer::new(config).error_handler(|e| match e {
        GovernorError::TooManyRequests { wait_time, .. } => AppError::RateLimited {
            retry_after_secs: wait_time.max(1),
        }
        .into_response(),
        other => AppError::Internal(format!("rate limiter: {other}")).into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_secret("Bearer abc"), Some("abc"));
        assert_eq!(bearer_secret("BEARER abc "), Some("abc"));
        assert_eq!(bearer_secret("bEaReR   abc"), Some("abc"));
        assert_eq!(bearer_secret("Basic abc"), None);
        assert_eq!(bearer_secret("Bearer "), None);
        assert_eq!(bearer_secret("Bearerabc"), None);
    }

    #[test]
    fn a_key_gets_its_burst_then_waits() {
        let limiter = KeyLimiter::new(2.0, 3.0);
        for _ in 0..3 {
            assert!(limiter.admit("k").is_ok());
        }
        assert_eq!(limiter.admit("k"), Err(1));
        // Another key has its own allowance.
        assert!(limiter.admit("other").is_ok());
    }

    #[test]
    fn a_slow_rate_reports_a_long_wait() {
        let limiter = KeyLimiter::new(0.1, 1.0);
        assert!(limiter.admit("k").is_ok());
        let wait = limiter.admit("k").unwrap_err();
        assert!((9..=10).contains(&wait), "{wait}");
    }
}
