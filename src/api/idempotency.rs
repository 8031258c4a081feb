//! `Idempotency-Key` on POST: the same key with the same body returns the stored response
//! (header `Idempotent-Replayed: true`); the same key with another body is a 422 problem.
//!
//! Scope: tenant + route + key. The request is identified by the SHA-256 of its body and its
//! query string (`paths`, `seed`: a retry with other parameters is another request). The stored
//! response is written in the same transaction as the resource it created, so a retried
//! request after a crash either finds both or neither.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppError;
use crate::input::{FieldPath, InputErrors};
use crate::store::{IdempotencyKey, Insert, Store, StoredResponse, sha256_hex};

/// The header name.
pub const HEADER: &str = "idempotency-key";

/// The idempotency context of one POST.
#[derive(Clone, Debug)]
pub struct Idempotency {
    key: Option<IdempotencyKey>,
    request_sha256: String,
}

impl Idempotency {
    /// Reads the header (1–255 visible ASCII characters, else 422) for `tenant` on `route`,
    /// fingerprinting the request's `query` (as sent) and `body`.
    pub fn from_request(
        headers: &HeaderMap,
        tenant: &str,
        route: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Idempotency, AppError> {
        let key = match headers.get(HEADER) {
            None => None,
            Some(v) => {
                let ok = v
                    .to_str()
                    .ok()
                    .filter(|s| !s.is_empty() && s.len() <= 255)
                    .filter(|s| s.bytes().all(|b| b.is_ascii_graphic()));
                let Some(text) = ok else {
                    return Err(AppError::Invalid(InputErrors::one(
                        &FieldPath::new("header.idempotency-key"),
                        "must be 1 to 255 visible ascii characters",
                    )));
                };
                Some(IdempotencyKey {
                    tenant: tenant.to_string(),
                    route: route.to_string(),
                    key: text.to_string(),
                })
            }
        };
        Ok(Idempotency {
            key,
            request_sha256: fingerprint(query, body),
        })
    }

    /// The stored response if this key was used before with this request; 422 if with
    /// another.
    pub async fn lookup(&self, store: &Store) -> Result<Option<Response>, AppError> {
        match self.lookup_stored(store).await? {
            None => Ok(None),
            Some(stored) => self.replay(stored).map(Some),
        }
    }

    /// The stored response itself if this key was used before with this request (422 if
    /// with another), for a route that answers a replay with more than the stored text.
    pub async fn lookup_stored(&self, store: &Store) -> Result<Option<StoredResponse>, AppError> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        match store.stored_response(key).await? {
            Some(stored) if stored.request_sha256 != self.request_sha256 => {
                Err(AppError::IdempotencyMismatch)
            }
            other => Ok(other),
        }
    }

    /// What to store with the new resource, if a key was given.
    pub fn record(
        &self,
        status: StatusCode,
        body: &str,
    ) -> Option<(IdempotencyKey, StoredResponse)> {
        self.key.as_ref().map(|key| {
            (
                key.clone(),
                StoredResponse {
                    request_sha256: self.request_sha256.clone(),
                    status: status.as_u16(),
                    body: body.to_string(),
                },
            )
        })
    }

    /// The response for the outcome of an insert: `fresh` if written now, else the stored one.
    pub fn respond(&self, insert: Insert, fresh: Response) -> Result<Response, AppError> {
        match insert {
            Insert::Inserted => Ok(fresh),
            Insert::Replayed(stored) => self.replay(stored),
        }
    }

    /// The response for a stored one (422 if it was stored for another request).
    pub fn replay(&self, stored: StoredResponse) -> Result<Response, AppError> {
        if stored.request_sha256 != self.request_sha256 {
            return Err(AppError::IdempotencyMismatch);
        }
        let status = StatusCode::from_u16(stored.status)
            .map_err(|_| AppError::Internal(format!("stored status {}", stored.status)))?;
        let mut response = (status, stored.body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        Ok(response)
    }
}

/// The fingerprint of a request: the SHA-256 of its body when there is no query (the hash
/// of earlier versions), else of a tag, the body's length, the body and the query (the length
/// keeps `body + query` splits apart).
fn fingerprint(query: Option<&str>, body: &[u8]) -> String {
    match query.filter(|q| !q.is_empty()) {
        None => sha256_hex(body),
        Some(q) => {
            let mut bytes = Vec::with_capacity(body.len() + q.len() + 32);
            bytes.extend_from_slice(b"ipledge-request-v2\0");
            bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
            bytes.extend_from_slice(body);
            bytes.extend_from_slice(q.as_bytes());
            sha256_hex(&bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_part_of_the_fingerprint() {
        let body = br#"{"a":1}"#;
        assert_eq!(fingerprint(None, body), sha256_hex(body));
        assert_eq!(fingerprint(Some(""), body), sha256_hex(body));
        let a = fingerprint(Some("paths=1000"), body);
        assert_ne!(a, fingerprint(Some("paths=2000"), body));
        assert_ne!(a, fingerprint(None, body));
        assert_eq!(a, fingerprint(Some("paths=1000"), body));
        // Moving bytes between body and query is another request.
        assert_ne!(fingerprint(Some("b"), b"a"), fingerprint(Some("ab"), b""));
    }
}
