//! The model file: every calibrated parameter of the engine, with its identity.
//!
//! A model is a TOML document (`models/default.toml` ships embedded in the binary; a bank
//! points `--model` at its own). It opens with `[model] id = "…"`; each engine layer reads its
//! own section with [`Model::section`] into its own parameter struct and validates it there.
//! Every result carries the model's `id` and the SHA-256 of the exact bytes it was read from
//! (`model_sha256`), so a stored result names the model that produced it.
//! Must not know about the CLI or HTTP.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::input::{FieldPath, InputErrors};

/// The shipped default model, byte for byte as in `models/default.toml`.
pub const DEFAULT_MODEL_TOML: &str = include_str!("../models/default.toml");

/// Where a model was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelOrigin {
    /// The embedded `models/default.toml`.
    Embedded,
    /// A file given by the user.
    File(PathBuf),
    /// Text handed over directly (an API request, a test).
    Inline,
}

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The file could not be read.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid model.
    #[error("invalid model: {0}")]
    Invalid(#[from] InputErrors),
}

/// A loaded model document with its identity.
#[derive(Clone, Debug)]
pub struct Model {
    id: String,
    sha256: String,
    origin: ModelOrigin,
    table: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    id: String,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the file")]
    description: Option<String>,
}

impl Model {
    /// The embedded default model.
    pub fn embedded_default() -> Model {
        Model::from_toml_str(DEFAULT_MODEL_TOML, ModelOrigin::Embedded)
            .expect("the embedded default model is valid (checked by tests)")
    }

    /// Reads a model file.
    pub fn from_file(path: &Path) -> Result<Model, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Model::from_toml_str(
            &text,
            ModelOrigin::File(path.to_path_buf()),
        )?)
    }

    /// Parses model text; the identity is the SHA-256 of exactly these bytes.
    pub fn from_toml_str(text: &str, origin: ModelOrigin) -> Result<Model, InputErrors> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            InputErrors::one(&FieldPath::root(), format!("invalid toml: {}", e.message()))
        })?;
        let header_value = table
            .get("model")
            .cloned()
            .ok_or_else(|| InputErrors::one(&FieldPath::new("model"), "missing [model] section"))?;
        let header: Header = header_value.try_into().map_err(|e: toml::de::Error| {
            InputErrors::one(&FieldPath::new("model"), e.message())
        })?;
        if header.id.trim().is_empty() {
            return Err(InputErrors::one(
                &FieldPath::new("model.id"),
                "must not be empty",
            ));
        }
        Ok(Model {
            id: header.id,
            sha256: sha256_hex(text.as_bytes()),
            origin,
            table,
        })
    }

    /// The model id from `[model] id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Lower-case hex SHA-256 of the model text.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Where it was read from.
    pub fn origin(&self) -> &ModelOrigin {
        &self.origin
    }

    /// Deserialises section `name` (a top-level table) into `T`; errors carry the full path
    /// (`valuation.industry.next_gen_it.royalty_rate: …`).
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<T, InputErrors> {
        let prefix = FieldPath::new(name);
        let value = self
            .table
            .get(name)
            .cloned()
            .ok_or_else(|| InputErrors::one(&prefix, format!("missing [{name}] section")))?;
        let text = toml::to_string(&value)
            .map_err(|e| InputErrors::one(&prefix, format!("cannot re-read section: {e}")))?;
        crate::input::from_toml::<T>(&text).map_err(|e| e.within(&prefix))
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_loads_with_its_identity() {
        let m = Model::embedded_default();
        assert!(!m.id().is_empty());
        assert_eq!(m.sha256(), sha256_hex(DEFAULT_MODEL_TOML.as_bytes()));
        assert_eq!(m.sha256().len(), 64);
    }

    #[test]
    fn missing_header_is_reported() {
        let err = Model::from_toml_str("[valuation]\nx = 1\n", ModelOrigin::Inline).unwrap_err();
        assert!(err.has_path("model"));
    }

    #[test]
    fn section_errors_carry_the_full_path() {
        #[derive(Debug, Deserialize)]
        #[expect(dead_code, reason = "type-checked by serde only")]
        struct Sec {
            rate: f64,
        }
        let m = Model::from_toml_str(
            "[model]\nid = \"t\"\n[sec]\nrate = \"x\"\n",
            ModelOrigin::Inline,
        )
        .unwrap();
        let err = m.section::<Sec>("sec").unwrap_err();
        assert!(err.has_path("sec.rate"), "{err}");
    }
}
