//! Request bodies and query strings, read so that every failure is a problem+json.
//!
//! [`RawBody`] buffers the body under the body limit (413 problem above it) and keeps the
//! bytes, which idempotency hashes. [`parse_json`] separates malformed JSON (400) from
//! well-formed JSON with wrong types or unknown fields (422, with the field path from
//! [`crate::input::from_json`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::{AppError, AppState};
use crate::input::{FieldPath, InputErrors};

/// The raw request body and its content type.
#[derive(Clone, Debug)]
pub struct RawBody {
    /// The bytes as received.
    pub bytes: Bytes,
    /// The `Content-Type` header, if any (parameters stripped, lower-case).
    pub content_type: Option<String>,
}

impl FromRequest<AppState> for RawBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        let limit = state.limits().max_body_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge { limit }
            } else {
                AppError::Malformed(InputErrors::one(
                    &FieldPath::root(),
                    "the body could not be read",
                ))
            }
        })?;
        Ok(RawBody {
            bytes,
            content_type,
        })
    }
}

impl RawBody {
    /// Fails with 415 unless the body is declared JSON (or undeclared).
    pub fn expect_json(&self) -> Result<(), AppError> {
        match self.content_type.as_deref() {
            None | Some("application/json") => Ok(()),
            Some(ct) if ct.ends_with("+json") => Ok(()),
            Some(other) => Err(AppError::UnsupportedMediaType(other.to_string())),
        }
    }

    /// The body as UTF-8 text (400 otherwise).
    pub fn text(&self) -> Result<&str, AppError> {
        std::str::from_utf8(&self.bytes).map_err(|e| {
            AppError::Malformed(InputErrors::one(
                &FieldPath::root(),
                format!("body is not utf-8: {e}"),
            ))
        })
    }
}

/// Parses a JSON body: syntax errors → 400 `malformed-body`, type errors and unknown fields →
/// 422 `invalid-input`, both with the path.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, AppError> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(AppError::Malformed(InputErrors::one(
            &FieldPath::root(),
            format!("malformed json: {e}"),
        )));
    }
    crate::input::from_json(text).map_err(AppError::Invalid)
}

/// Reads a query string into `T`; failures are 422 naming `query.<field>` where known.
pub fn parse_query<T: DeserializeOwned + Default>(query: Option<&str>) -> Result<T, AppError> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(T::default());
    };
    let de = serde_urlencoded_deserializer(query);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = FieldPath::new("query");
        let path = e
            .path()
            .iter()
            .fold(path, |p, seg| p.field(&seg.to_string()));
        AppError::Invalid(InputErrors::one(&path, e.inner().to_string()))
    })
}

/// A deserializer over `a=1&b=x` pairs, values parsed as numbers where the target asks.
fn serde_urlencoded_deserializer(
    query: &str,
) -> serde::de::value::MapDeserializer<'static, std::vec::IntoIter<(String, QueryValue)>, QueryError>
{
    let pairs: Vec<(String, QueryValue)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), QueryValue(percent_decode(v)))
        })
        .collect();
    serde::de::value::MapDeserializer::new(pairs.into_iter())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Errors of the query deserializer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(String);

impl serde::de::Error for QueryError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        QueryError(msg.to_string())
    }
}

/// One query value: a string that also deserializes as a number or bool when asked.
#[derive(Debug)]
struct QueryValue(String);

impl<'de> serde::de::IntoDeserializer<'de, QueryError> for QueryValue {
    type Deserializer = QueryValue;
    fn into_deserializer(self) -> QueryValue {
        self
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(fn $method<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
            match self.0.parse::<$ty>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => Err(QueryError(format!("invalid number {:?}", self.0))),
            }
        })*
    };
}

impl<'de> serde::de::Deserializer<'de> for QueryValue {
    type Error = QueryError;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        visitor.visit_some(self)
    }

    parse_number! {
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
        deserialize_bool => visit_bool: bool,
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Q {
        paths: Option<u64>,
        cursor: Option<String>,
    }

    #[test]
    fn query_parses_numbers_and_strings() {
        let q: Q = parse_query(Some("paths=500&cursor=app_%30x")).unwrap();
        assert_eq!(
            q,
            Q {
                paths: Some(500),
                cursor: Some("app_0x".into())
            }
        );
        assert_eq!(parse_query::<Q>(None).unwrap(), Q::default());
    }

    #[test]
    fn bad_query_names_the_field() {
        let AppError::Invalid(e) = parse_query::<Q>(Some("paths=-3")).unwrap_err() else {
            panic!("expected invalid input");
        };
        assert_eq!(e.errors[0].path, "query.paths");
        let AppError::Invalid(e) = parse_query::<Q>(Some("nope=1")).unwrap_err() else {
            panic!("expected invalid input");
        };
        assert!(e.errors[0].message.contains("unknown field"), "{e}");
    }

    #[test]
    fn malformed_json_is_400_and_type_errors_422() {
        #[derive(Debug, Deserialize)]
        #[expect(dead_code, reason = "type-checked by serde")]
        struct B {
            n: u32,
        }
        assert!(matches!(
            parse_json::<B>("{\"n\": 1"),
            Err(AppError::Malformed(_))
        ));
        let AppError::Invalid(e) = parse_json::<B>("{\"n\": \"x\"}").unwrap_err() else {
            panic!("expected invalid input");
        };
        assert_eq!(e.errors[0].path, "n");
    }
}
