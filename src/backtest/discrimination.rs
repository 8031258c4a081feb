//! Discrimination: how well the PD ranks defaulters above non-defaulters.
//!
//! AUC = P(score of a defaulter > score of a non-defaulter) + ½ P(tie), the Mann–Whitney U
//! statistic divided by `n₁·n₀`; Gini = 2·AUC − 1. Standard error by DeLong, DeLong and
//! Clarke-Pearson (1988): with the placement values `V₁₀(i)` of each defaulter (the share of
//! non-defaulters it outranks, ties half) and `V₀₁(j)` of each non-defaulter (the share of
//! defaulters that outrank it), `Var(AUC) = S₁₀/n₁ + S₀₁/n₀` with `S` their sample variances.
//! The 95 % interval is AUC ± Φ⁻¹(0.975)·SE, clipped to [0, 1]. One sort: O(n log n).

use serde::Serialize;

use super::{BacktestSettings, DataStatus};

/// Most points of the ROC curve in the output; longer curves are thinned evenly.
pub const MAX_ROC_POINTS: usize = 200;

/// One point of the ROC curve: cutting at `threshold` (approve below, flag at or above).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RocPoint {
    /// Share of non-defaulters flagged (false positive rate).
    pub fpr: f64,
    /// Share of defaulters flagged (true positive rate).
    pub tpr: f64,
    /// The PD at or above which a loan is flagged (`null` for the (0, 0) corner).
    pub threshold: Option<f64>,
}

/// The discrimination figures.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Discrimination {
    /// The score ranked: `pd_1y` (higher = riskier).
    pub score: String,
    /// How the standard error is computed: `delong`.
    pub stderr_method: String,
    /// Defaulted loans of the one-year cohort.
    pub n_defaults: u64,
    /// Non-defaulted loans of the one-year cohort.
    pub n_non_defaults: u64,
    /// `insufficient_data` when either class has fewer than `min_class_observations`.
    pub status: DataStatus,
    /// Area under the ROC curve.
    pub auc: Option<f64>,
    /// DeLong standard error of the AUC.
    pub auc_stderr: Option<f64>,
    /// 95 % interval of the AUC, clipped to [0, 1].
    pub auc_ci95: Option<[f64; 2]>,
    /// `2·AUC − 1`.
    pub gini: Option<f64>,
    /// `2·SE(AUC)`.
    pub gini_stderr: Option<f64>,
    /// 95 % interval of the Gini (`2·CI(AUC) − 1`).
    pub gini_ci95: Option<[f64; 2]>,
    /// The ROC curve from (0, 0) to (1, 1), at most [`MAX_ROC_POINTS`] points.
    pub roc: Vec<RocPoint>,
}

/// AUC and its DeLong standard error from `(score, defaulted)` pairs; `None` unless both
/// classes have at least two members.
pub fn auc_delong(scored: &[(f64, bool)]) -> Option<(f64, f64)> {
    let n1 = scored.iter().filter(|(_, d)| *d).count();
    let n0 = scored.len() - n1;
    if n1 < 2 || n0 < 2 {
        return None;
    }
    let groups = tie_groups(scored);
    let (f1, f0) = (n1 as f64, n0 as f64);
    let mut v10 = Vec::with_capacity(n1);
    let mut v01 = Vec::with_capacity(n0);
    let (mut below_d, mut below_nd) = (0usize, 0usize);
    for g in &groups {
        // A defaulter of this group outranks the non-defaulters below it, ties count half.
        let defaulter = (below_nd as f64 + 0.5 * g.non_defaults as f64) / f0;
        v10.extend(std::iter::repeat_n(defaulter, g.defaults));
        let above_d = n1 - below_d - g.defaults;
        let non_defaulter = (above_d as f64 + 0.5 * g.defaults as f64) / f1;
        v01.extend(std::iter::repeat_n(non_defaulter, g.non_defaults));
        below_d += g.defaults;
        below_nd += g.non_defaults;
    }
    let auc = v10.iter().sum::<f64>() / f1;
    let var = |v: &[f64]| v.iter().map(|x| (x - auc).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    let se = (var(&v10) / f1 + var(&v01) / f0).sqrt();
    Some((auc, se))
}

/// Loans sharing one score.
struct TieGroup {
    score: f64,
    defaults: usize,
    non_defaults: usize,
}

/// The distinct scores, ascending, with the count of each class at each.
fn tie_groups(scored: &[(f64, bool)]) -> Vec<TieGroup> {
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<TieGroup> = Vec::new();
    for (score, defaulted) in sorted {
        match groups.last_mut() {
            Some(g) if g.score == score => {}
            _ => groups.push(TieGroup {
                score,
                defaults: 0,
                non_defaults: 0,
            }),
        }
        if let Some(g) = groups.last_mut() {
            if defaulted {
                g.defaults += 1;
            } else {
                g.non_defaults += 1;
            }
        }
    }
    groups
}

/// The ROC curve: one point per distinct score, from the highest down, after (0, 0).
pub fn roc_curve(scored: &[(f64, bool)]) -> Vec<RocPoint> {
    let n1 = scored.iter().filter(|(_, d)| *d).count().max(1) as f64;
    let n0 = (scored.len() - scored.iter().filter(|(_, d)| *d).count()).max(1) as f64;
    let mut points = vec![RocPoint {
        fpr: 0.0,
        tpr: 0.0,
        threshold: None,
    }];
    let (mut tp, mut fp) = (0usize, 0usize);
    for g in tie_groups(scored).iter().rev() {
        tp += g.defaults;
        fp += g.non_defaults;
        points.push(RocPoint {
            fpr: fp as f64 / n0,
            tpr: tp as f64 / n1,
            threshold: Some(g.score),
        });
    }
    thin(points, MAX_ROC_POINTS)
}

/// At most `max` of `points`, evenly spaced by index, first and last kept.
fn thin(points: Vec<RocPoint>, max: usize) -> Vec<RocPoint> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..max)
        .map(|k| points[(k * last + (max - 1) / 2) / (max - 1)])
        .collect()
}

/// The discrimination figures of the one-year cohort (`(pd_1y, defaulted within a year)`).
pub fn discriminate(scored: &[(f64, bool)], settings: &BacktestSettings) -> Discrimination {
    let n_defaults = scored.iter().filter(|(_, d)| *d).count() as u64;
    let n_non_defaults = scored.len() as u64 - n_defaults;
    let enough = n_defaults >= settings.min_class_observations
        && n_non_defaults >= settings.min_class_observations;
    let fit = if enough { auc_delong(scored) } else { None };
    let z = crate::loss::normal::inverse_cdf(0.975);
    let ci = fit.map(|(auc, se)| [(auc - z * se).max(0.0), (auc + z * se).min(1.0)]);
    Discrimination {
        score: "pd_1y".to_string(),
        stderr_method: "delong".to_string(),
        n_defaults,
        n_non_defaults,
        status: if fit.is_some() {
            DataStatus::Ok
        } else {
            DataStatus::InsufficientData
        },
        auc: fit.map(|f| f.0),
        auc_stderr: fit.map(|f| f.1),
        auc_ci95: ci,
        gini: fit.map(|f| 2.0 * f.0 - 1.0),
        gini_stderr: fit.map(|f| 2.0 * f.1),
        gini_ci95: ci.map(|[lo, hi]| [2.0 * lo - 1.0, 2.0 * hi - 1.0]),
        roc: if fit.is_some() {
            roc_curve(scored)
        } else {
            Vec::new()
        },
    }
}
