//! Reading inputs into plain structs and reporting *every* bad field with its path.
//!
//! The shape of validation in ipledge: a file or request body deserialises into a plain serde
//! struct ([`from_json`], [`from_toml`]: type errors carry the path serde was at), then a
//! `validate` step builds domain values and pushes each problem into a [`Problems`] collector
//! under a [`FieldPath`]. The result is either a valid domain value or an [`InputErrors`]
//! listing every bad field (`book.cohort[2].amount.median: must be > 0`).
//! Must not know about the CLI or HTTP; both render `InputErrors` their own way.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A dotted path to a field, with `[i]` for list elements: `assets[3].filing_date`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldPath(String);

impl FieldPath {
    /// The root of a document (empty path).
    pub fn root() -> Self {
        FieldPath(String::new())
    }

    /// A path from its text.
    pub fn new(text: impl Into<String>) -> Self {
        FieldPath(text.into())
    }

    /// The path of a named field inside this one.
    pub fn field(&self, name: &str) -> FieldPath {
        if self.0.is_empty() {
            FieldPath(name.to_string())
        } else {
            FieldPath(format!("{}.{name}", self.0))
        }
    }

    /// The path of element `i` of the list at this path.
    pub fn index(&self, i: usize) -> FieldPath {
        FieldPath(format!("{}[{i}]", self.0))
    }

    /// The path text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("(document)")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// One bad field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldError {
    /// Where: `assets[3].grant_date`.
    pub path: String,
    /// What is wrong, lower-case, no trailing period: `must not be before filing_date`.
    pub message: String,
}

/// Every bad field of one input. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", render(.errors))]
pub struct InputErrors {
    /// The problems in the order they were found.
    pub errors: Vec<FieldError>,
}

fn render(errors: &[FieldError]) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            if e.path.is_empty() {
                e.message.clone()
            } else {
                format!("{}: {}", e.path, e.message)
            }
        })
        .collect();
    lines.join("\n")
}

impl InputErrors {
    /// A single problem.
    pub fn one(path: &FieldPath, message: impl Into<String>) -> Self {
        InputErrors {
            errors: vec![FieldError {
                path: path.as_str().to_string(),
                message: message.into(),
            }],
        }
    }

    /// Prefixes every path with `prefix` (for a document embedded in another).
    pub fn within(mut self, prefix: &FieldPath) -> Self {
        for e in &mut self.errors {
            e.path = if e.path.is_empty() {
                prefix.as_str().to_string()
            } else if prefix.as_str().is_empty() {
                e.path.clone()
            } else if e.path.starts_with('[') {
                format!("{}{}", prefix.as_str(), e.path)
            } else {
                format!("{}.{}", prefix.as_str(), e.path)
            };
        }
        self
    }

    /// True when some problem is at `path` exactly.
    pub fn has_path(&self, path: &str) -> bool {
        self.errors.iter().any(|e| e.path == path)
    }
}

/// Collects problems while a domain value is built.
#[derive(Debug, Default)]
pub struct Problems {
    errors: Vec<FieldError>,
}

impl Problems {
    /// No problems yet.
    pub fn new() -> Self {
        Problems::default()
    }

    /// Records a problem at `path`.
    pub fn push(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.as_str().to_string(),
            message: message.into(),
        });
    }

    /// Records a problem at `path` unless `ok`.
    pub fn check(&mut self, ok: bool, path: &FieldPath, message: impl Into<String>) {
        if !ok {
            self.push(path, message);
        }
    }

    /// Takes over the problems of a nested build.
    pub fn absorb(&mut self, errors: InputErrors) {
        self.errors.extend(errors.errors);
    }

    /// Keeps the value of a nested build, or records its problems and yields `None`.
    pub fn take<T>(&mut self, result: Result<T, InputErrors>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.absorb(e);
                None
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value())` when nothing was recorded, else every problem. `value` is only called
    /// when there were no problems, so it may unwrap the `Option`s gathered with [`take`].
    ///
    /// [`take`]: Problems::take
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, InputErrors> {
        if self.errors.is_empty() {
            Ok(value())
        } else {
            Err(InputErrors {
                errors: self.errors,
            })
        }
    }
}

/// Deserialises JSON into `T`; a syntax or type error is reported at the path serde reached.
/// The whole text must be one JSON document: anything after it but whitespace (`{…}xx`, a
/// second object) is an error at the root.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, InputErrors> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = serde_path(e.path());
        let message = e.inner().to_string();
        InputErrors::one(&FieldPath::new(path), strip_serde_position(&message))
    })?;
    de.end().map_err(|e| {
        InputErrors::one(
            &FieldPath::root(),
            format!(
                "{} (one json document only)",
                strip_serde_position(&e.to_string())
            ),
        )
    })?;
    Ok(value)
}

/// Deserialises an already-parsed JSON value into `T`, reporting the path of a type error.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, InputErrors> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = serde_path(e.path());
        InputErrors::one(&FieldPath::new(path), e.inner().to_string())
    })
}

/// Deserialises TOML into `T`; a syntax or type error is reported at the path serde reached.
pub fn from_toml<T: DeserializeOwned>(text: &str) -> Result<T, InputErrors> {
    let de = toml::Deserializer::parse(text).map_err(|e| {
        InputErrors::one(&FieldPath::root(), format!("invalid toml: {}", e.message()))
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = serde_path(e.path());
        InputErrors::one(&FieldPath::new(path), e.inner().message().to_string())
    })
}

/// Renders serde_path_to_error's path as `a.b[2].c` (its own rendering uses `.` for `[2]`).
fn serde_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = FieldPath::root();
    for seg in path.iter() {
        out = match seg {
            Segment::Seq { index } => out.index(*index),
            Segment::Map { key } => out.field(key),
            Segment::Enum { variant } => out.field(variant),
            Segment::Unknown => out,
        };
    }
    out.0
}

/// serde_json appends " at line L column C"; keep the position but lower-case and tidy.
fn strip_serde_position(message: &str) -> String {
    message.trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be type-checked by serde")]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "fields exist to be type-checked by serde")]
    struct Item {
        count: u32,
    }

    #[test]
    fn json_type_error_names_the_path() {
        let err = from_json::<Doc>(r#"{"items":[{"count":1},{"count":"x"}]}"#).unwrap_err();
        assert_eq!(err.errors[0].path, "items[1].count");
    }

    #[test]
    fn json_with_trailing_data_is_refused() {
        let doc = r#"{"items":[{"count":1}]}"#;
        assert!(from_json::<Doc>(&format!("{doc} \n")).is_ok());
        for bad in [
            format!("{doc}xx"),
            format!("{doc}{doc}"),
            format!("{doc} 1"),
        ] {
            let err = from_json::<Doc>(&bad).unwrap_err();
            assert_eq!(err.errors[0].path, "", "{bad}");
            assert!(err.to_string().contains("trailing"), "{err}");
        }
    }

    #[test]
    fn toml_type_error_names_the_path() {
        let err = from_toml::<Doc>("[[items]]\ncount = 1\n[[items]]\ncount = -3\n").unwrap_err();
        assert_eq!(err.errors[0].path, "items[1].count");
    }

    #[test]
    fn problems_collect_every_field() {
        let mut p = Problems::new();
        let root = FieldPath::root().field("book").field("cohort").index(2);
        p.check(false, &root.field("count"), "must be > 0");
        p.check(true, &root.field("year"), "never");
        p.push(&root.field("amount").field("median"), "must be > 0");
        let err = p.finish(|| ()).unwrap_err();
        assert_eq!(err.errors.len(), 2);
        assert_eq!(
            err.to_string(),
            "book.cohort[2].count: must be > 0\nbook.cohort[2].amount.median: must be > 0"
        );
        let nested = err.within(&FieldPath::new("scenario"));
        assert!(nested.has_path("scenario.book.cohort[2].count"));
    }
}
