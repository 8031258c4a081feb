//! Bearer-key authentication, roles, and the per-key rate limit.
//!
//! `Authorization: Bearer <key>`: the key's SHA-256 is looked up in the store (revoked keys
//! no longer match). The [`Caller`] extractor then charges one token from the key's bucket
//! (a token bucket per key id: `rate_per_second` sustained, `rate_burst` at once) and
//! answers 429 with `Retry-After` when it is empty.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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
        let secret = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(AppError::Unauthorized)?;
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

/// Token buckets keyed by API key id.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// `rate` tokens per second refill, at most `burst` stored.
    pub fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate: rate.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`, or says in how many whole seconds one will be available.
    pub fn admit(&self, key: &str) -> Result<(), u64> {
        self.admit_at(key, Instant::now())
    }

    fn admit_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate;
            // Saturating float→int cast: a rate near zero gives u64::MAX, not a panic.
            Err((wait.ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_admits_burst_then_refills_at_rate() {
        let limiter = RateLimiter::new(2.0, 3.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.admit_at("k", t0).is_ok());
        }
        assert_eq!(limiter.admit_at("k", t0), Err(1));
        // Another key has its own bucket.
        assert!(limiter.admit_at("other", t0).is_ok());
        // Half a second at 2/s refills one token.
        assert!(
            limiter
                .admit_at("k", t0 + Duration::from_millis(500))
                .is_ok()
        );
        assert!(
            limiter
                .admit_at("k", t0 + Duration::from_millis(500))
                .is_err()
        );
    }

    #[test]
    fn slow_rate_reports_long_retry() {
        let limiter = RateLimiter::new(0.1, 1.0);
        let t0 = Instant::now();
        assert!(limiter.admit_at("k", t0).is_ok());
        assert_eq!(limiter.admit_at("k", t0), Err(10));
    }
}
