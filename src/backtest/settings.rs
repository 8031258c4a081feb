//! The `[backtest]` section of the model file, read and validated into [`BacktestSettings`]:
//! the traffic-light thresholds, the minimum numbers of observations below which a test says
//! `insufficient_data`, the LGD discount rate and buckets, and the PSI bands. Must not read
//! files: the caller hands over a loaded [`Model`].

use serde::{Deserialize, Serialize};

use crate::credit::params::CreditParams;
use crate::input::{FieldPath, InputErrors, Problems};
use crate::model::Model;
use crate::money::Rate;

/// Every threshold of the backtest, validated, with the grade order of the model's master
/// scale (the rows of the calibration table and the bins of the PSI).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BacktestSettings {
    /// A PD test (per grade and overall) needs at least this many loans in the one-year
    /// cohort; below it the row says `insufficient_data`.
    pub min_observations: u64,
    /// Jeffreys p-value at or above which a grade is green.
    pub green_min_p: f64,
    /// Jeffreys p-value below which a grade is red (yellow in between).
    pub red_below_p: f64,
    /// The AUC needs at least this many defaulted and this many non-defaulted loans.
    pub min_class_observations: u64,
    /// The LGD comparison needs at least this many resolved defaults (overall and per bucket).
    pub min_lgd_observations: u64,
    /// Annual rate discounting recoveries back to the default date.
    pub lgd_discount_rate: Rate,
    /// Upper edges of the buckets of predicted LGD (the last bucket ends at 1).
    pub lgd_bucket_edges: Vec<f64>,
    /// The PSI needs at least this many scored applications in each period.
    pub min_period_observations: u64,
    /// PSI at or above which the score distribution has shifted enough to watch.
    pub psi_watch: f64,
    /// PSI at or above which the shift is significant (act).
    pub psi_shift: f64,
    /// Grades of the master scale, best first, then `D`.
    pub grades: Vec<String>,
    /// Id of the model the thresholds come from.
    pub model_id: String,
    /// SHA-256 of that model file.
    pub model_sha256: String,
}

/// The `[backtest]` table as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    min_observations: u64,
    green_min_p: f64,
    red_below_p: f64,
    min_class_observations: u64,
    min_lgd_observations: u64,
    lgd_discount_rate: f64,
    lgd_bucket_edges: Vec<f64>,
    min_period_observations: u64,
    psi_watch: f64,
    psi_shift: f64,
}

impl BacktestSettings {
    /// Reads and validates the `[backtest]` section (and the grade order of
    /// `[[credit.master_scale]]`), reporting every bad field with its path.
    pub fn from_model(model: &Model) -> Result<BacktestSettings, InputErrors> {
        let raw: RawSettings = model.section("backtest")?;
        let credit = CreditParams::from_model(model)?;
        let mut grades: Vec<String> = credit
            .master_scale
            .iter()
            .map(|b| b.grade.clone())
            .collect();
        grades.push(crate::credit::master_scale::DEFAULT_GRADE.to_string());
        BacktestSettings::new(
            raw,
            grades,
            model.id().to_string(),
            model.sha256().to_string(),
        )
    }

    fn new(
        raw: RawSettings,
        grades: Vec<String>,
        model_id: String,
        model_sha256: String,
    ) -> Result<BacktestSettings, InputErrors> {
        let root = FieldPath::new("backtest");
        let mut p = Problems::new();
        p.check(
            raw.min_observations >= 1,
            &root.field("min_observations"),
            "must be >= 1",
        );
        let open_unit = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        p.check(
            open_unit(raw.green_min_p),
            &root.field("green_min_p"),
            "must be in (0, 1)",
        );
        p.check(
            open_unit(raw.red_below_p) && raw.red_below_p <= raw.green_min_p,
            &root.field("red_below_p"),
            "must be in (0, green_min_p]",
        );
        p.check(
            raw.min_class_observations >= 2,
            &root.field("min_class_observations"),
            "must be >= 2 (the AUC's standard error needs two of each class)",
        );
        p.check(
            raw.min_lgd_observations >= 2,
            &root.field("min_lgd_observations"),
            "must be >= 2 (a mean's standard error needs two values)",
        );
        let rate_path = root.field("lgd_discount_rate");
        let rate_problem = "must be a finite rate >= 0";
        let rate = Rate::new(raw.lgd_discount_rate)
            .ok()
            .filter(|r| r.get() >= 0.0);
        p.check(rate.is_some(), &rate_path, rate_problem);
        let edges = &raw.lgd_bucket_edges;
        p.check(
            edges.iter().all(|e| open_unit(*e)) && edges.windows(2).all(|w| w[0] < w[1]),
            &root.field("lgd_bucket_edges"),
            "must be increasing and each in (0, 1)",
        );
        p.check(
            raw.min_period_observations >= 1,
            &root.field("min_period_observations"),
            "must be >= 1",
        );
        p.check(
            raw.psi_watch.is_finite() && raw.psi_watch > 0.0,
            &root.field("psi_watch"),
            "must be > 0",
        );
        p.check(
            raw.psi_shift.is_finite() && raw.psi_shift >= raw.psi_watch,
            &root.field("psi_shift"),
            "must be >= psi_watch",
        );
        p.finish(|| ())?;
        let Some(lgd_discount_rate) = rate else {
            return Err(InputErrors::one(&rate_path, rate_problem));
        };
        Ok(BacktestSettings {
            min_observations: raw.min_observations,
            green_min_p: raw.green_min_p,
            red_below_p: raw.red_below_p,
            min_class_observations: raw.min_class_observations,
            min_lgd_observations: raw.min_lgd_observations,
            lgd_discount_rate,
            lgd_bucket_edges: raw.lgd_bucket_edges,
            min_period_observations: raw.min_period_observations,
            psi_watch: raw.psi_watch,
            psi_shift: raw.psi_shift,
            grades,
            model_id,
            model_sha256,
        })
    }

    /// The settings of the embedded default model.
    pub fn embedded_default() -> BacktestSettings {
        BacktestSettings::from_model(&Model::embedded_default())
            .expect("the embedded model's [backtest] section is valid (tested)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_has_valid_settings() {
        let s = BacktestSettings::embedded_default();
        assert!(s.red_below_p < s.green_min_p);
        assert_eq!(s.grades.first().map(String::as_str), Some("AAA"));
        assert_eq!(s.grades.last().map(String::as_str), Some("D"));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let text = crate::model::DEFAULT_MODEL_TOML;
        // Swap the real values for bad ones, key by key.
        let mut bad = String::new();
        let mut in_section = false;
        for line in text.lines() {
            if line.starts_with('[') {
                in_section = line == "[backtest]";
            }
            let replaced = if in_section {
                match line.split_once(" = ").map(|(k, _)| k) {
                    Some("min_observations") => "min_observations = 0".to_string(),
                    Some("green_min_p") => "green_min_p = 0.01".to_string(),
                    Some("red_below_p") => "red_below_p = 0.05".to_string(),
                    Some("lgd_discount_rate") => "lgd_discount_rate = -0.5".to_string(),
                    Some("lgd_bucket_edges") => "lgd_bucket_edges = [0.5, 0.2]".to_string(),
                    Some("psi_shift") => "psi_shift = 0.01".to_string(),
                    _ => line.to_string(),
                }
            } else {
                line.to_string()
            };
            bad.push_str(&replaced);
            bad.push('\n');
        }
        let model =
            Model::from_toml_str(&bad, crate::model::ModelOrigin::Embedded).expect("toml parses");
        let e = BacktestSettings::from_model(&model).unwrap_err();
        for path in [
            "backtest.min_observations",
            "backtest.red_below_p",
            "backtest.lgd_discount_rate",
            "backtest.lgd_bucket_edges",
            "backtest.psi_shift",
        ] {
            assert!(e.has_path(path), "{path} missing in {e}");
        }
    }
}
