//! The indicator score (docs/models.md, GB/T 42748-2023 structure): legal, technical and economic
//! value degrees, each 0–100, from observable proxies; a weighted composite, a grade A–E and
//! the drivers behind it.
//!
//! Every proxy scores 0–100. A proxy that does not apply to the asset's kind (the claims of a
//! trademark) drops out and the remaining weights of its degree are renormalised, so a
//! degree is always a weighted mean of the proxies that apply. A proxy's contribution is the
//! points it adds to the composite (`degree weight × normalised proxy weight × proxy score`);
//! contributions sum to the composite. Weights and scales come from `[valuation.score]`.

use serde::{Deserialize, Serialize};

use super::params::ScoreParams;
use crate::asset::{Asset, AssetKind, AssetStatus, Date, Industry};

/// Grade of a composite score.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Grade {
    /// Composite at or above the model's A minimum.
    A,
    /// At or above the B minimum.
    B,
    /// At or above the C minimum.
    C,
    /// At or above the D minimum.
    D,
    /// Below the D minimum.
    E,
}

impl Grade {
    /// The grade of `composite` under the model's thresholds.
    pub fn of(composite: f64, params: &ScoreParams) -> Grade {
        let g = params.grade_min;
        if composite >= g.a {
            Grade::A
        } else if composite >= g.b {
            Grade::B
        } else if composite >= g.c {
            Grade::C
        } else if composite >= g.d {
            Grade::D
        } else {
            Grade::E
        }
    }

    /// The letter.
    pub fn letter(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
        }
    }
}

/// The value degree a proxy belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Degree {
    /// Legal value degree (法律价值度).
    Legal,
    /// Technical value degree (技术价值度).
    Technical,
    /// Economic value degree (经济价值度).
    Economic,
}

/// One proxy's part in the composite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Driver {
    /// Proxy name (`remaining_term`, `claims`, `citations`, `revenue`, …).
    pub proxy: String,
    /// Its degree.
    pub degree: Degree,
    /// The proxy's score, 0–100.
    pub score: f64,
    /// Points it adds to the composite.
    pub contribution: f64,
    /// What was observed, in words.
    pub detail: String,
}

/// The indicator score of one asset (or, without drivers, of a portfolio).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValueScore {
    /// Legal value degree, 0–100.
    pub legal: f64,
    /// Technical value degree, 0–100.
    pub technical: f64,
    /// Economic value degree, 0–100.
    pub economic: f64,
    /// Weighted composite, 0–100.
    pub composite: f64,
    /// Grade of the composite.
    pub grade: Grade,
    /// The largest contributions to the composite, largest first.
    pub drivers: Vec<Driver>,
}

/// What the score needs beyond the asset: resolved industry, remaining life and growth used
/// by the valuation, and the valuation date.
#[derive(Clone, Copy, Debug)]
pub struct ScoreInputs {
    /// Resolved industry.
    pub industry: Industry,
    /// Remaining legal life in years (0 when not in force).
    pub remaining_legal_years: f64,
    /// Revenue growth used in the valuation.
    pub revenue_growth: f64,
    /// Valuation date.
    pub as_of: Date,
    /// True when one of the asset's awards is a major award of the model.
    pub major_award: bool,
}

struct Proxy {
    name: &'static str,
    degree: Degree,
    weight: f64,
    score: Option<f64>,
    detail: String,
}

fn ratio_score(value: f64, full: f64) -> f64 {
    (100.0 * value / full).clamp(0.0, 100.0)
}

fn log_score(value: f64, zero: f64, full: f64) -> f64 {
    if value <= zero {
        0.0
    } else {
        (100.0 * (value / zero).ln() / (full / zero).ln()).clamp(0.0, 100.0)
    }
}

/// Scores `asset`.
pub fn value_score(asset: &Asset, inputs: ScoreInputs, params: &ScoreParams) -> ValueScore {
    let s = &params.scale;
    let kind = asset.kind();
    let patent = kind.is_patent();
    let has_claims = matches!(kind, AssetKind::Invention | AssetKind::UtilityModel);
    let in_force = asset.status().is_in_force();
    let l = params.legal;
    let t = params.technical;
    let e = params.economic;

    let term_years = f64::from(kind.legal_term_years(asset.filing_date()));
    let remaining_term = if !in_force {
        0.0
    } else if kind.is_renewable() {
        100.0
    } else {
        ratio_score(inputs.remaining_legal_years, term_years)
    };
    let status = match asset.status() {
        AssetStatus::Valid => 100.0,
        AssetStatus::UnderInvalidation => s.under_invalidation_points,
        _ => 0.0,
    };
    let enc = asset.encumbrances();
    let clear_title = (100.0
        - if enc.already_pledged {
            s.already_pledged_penalty
        } else {
            0.0
        }
        - if enc.exclusive_license {
            s.exclusive_license_penalty
        } else {
            0.0
        }
        - if enc.litigation {
            s.litigation_penalty
        } else {
            0.0
        })
    .max(0.0);
    let age = asset.filing_date().years_until(inputs.as_of).max(1.0);
    let cites_per_year = f64::from(asset.forward_citations()) / age;
    let overseas = asset.overseas_family() as f64;
    let awards = if inputs.major_award {
        100.0
    } else if asset.awards().is_empty() {
        0.0
    } else {
        s.other_award_points
    };
    let revenue = asset.economics().attributable_revenue().to_f64();
    let licence = asset
        .economics()
        .license_income()
        .map_or(0.0, |m| m.to_f64());

    let proxies = [
        Proxy {
            name: "remaining_term",
            degree: Degree::Legal,
            weight: l.remaining_term,
            score: Some(remaining_term),
            detail: if kind.is_renewable() {
                "renewable term".to_string()
            } else {
                format!(
                    "{:.1} of {term_years:.0} years left",
                    inputs.remaining_legal_years
                )
            },
        },
        Proxy {
            name: "status",
            degree: Degree::Legal,
            weight: l.status,
            score: Some(status),
            detail: asset.status().name().to_string(),
        },
        Proxy {
            name: "claims",
            degree: Degree::Legal,
            weight: l.claims,
            score: has_claims.then(|| ratio_score(f64::from(asset.claims()), s.claims_full)),
            detail: format!("{} claims", asset.claims()),
        },
        Proxy {
            name: "independent_claims",
            degree: Degree::Legal,
            weight: l.independent_claims,
            score: has_claims.then(|| {
                ratio_score(
                    f64::from(asset.independent_claims()),
                    s.independent_claims_full,
                )
            }),
            detail: format!("{} independent claims", asset.independent_claims()),
        },
        Proxy {
            name: "clear_title",
            degree: Degree::Legal,
            weight: l.clear_title,
            score: Some(clear_title),
            detail: if enc.is_clear() {
                "no encumbrance".to_string()
            } else {
                let mut v = Vec::new();
                if enc.already_pledged {
                    v.push("already pledged");
                }
                if enc.exclusive_license {
                    v.push("exclusive licence");
                }
                if enc.litigation {
                    v.push("litigation");
                }
                v.join(", ")
            },
        },
        Proxy {
            name: "sole_ownership",
            degree: Degree::Legal,
            weight: l.sole_ownership,
            score: Some(if asset.is_co_owned() {
                s.co_owned_points
            } else {
                100.0
            }),
            detail: format!("{} owner(s)", asset.owners().len()),
        },
        Proxy {
            name: "citations",
            degree: Degree::Technical,
            weight: t.citations,
            score: has_claims.then(|| ratio_score(cites_per_year, s.citations_per_year_full)),
            detail: format!(
                "{} forward citations, {cites_per_year:.2}/yr",
                asset.forward_citations()
            ),
        },
        Proxy {
            name: "family",
            degree: Degree::Technical,
            weight: t.family,
            score: patent.then(|| ratio_score(overseas, s.family_full)),
            detail: format!("{overseas:.0} overseas family members"),
        },
        Proxy {
            name: "strategic_industry",
            degree: Degree::Technical,
            weight: t.strategic_industry,
            score: Some(if inputs.industry.is_strategic() {
                100.0
            } else {
                0.0
            }),
            detail: inputs.industry.name().to_string(),
        },
        Proxy {
            name: "awards",
            degree: Degree::Technical,
            weight: t.awards,
            score: Some(awards),
            detail: if asset.awards().is_empty() {
                "no award".to_string()
            } else {
                asset.awards().join(", ")
            },
        },
        Proxy {
            name: "revenue",
            degree: Degree::Economic,
            weight: e.revenue,
            score: Some(log_score(
                revenue,
                s.revenue_zero.to_f64(),
                s.revenue_full.to_f64(),
            )),
            detail: format!("attributable revenue CNY {:.2} m/yr", revenue / 1e6),
        },
        Proxy {
            name: "license_income",
            degree: Degree::Economic,
            weight: e.license_income,
            score: Some(log_score(
                licence,
                s.license_income_zero.to_f64(),
                s.license_income_full.to_f64(),
            )),
            detail: format!("licence income CNY {:.2} m/yr", licence / 1e6),
        },
        Proxy {
            name: "growth",
            degree: Degree::Economic,
            weight: e.growth,
            score: Some(ratio_score(
                inputs.revenue_growth - s.growth_zero,
                s.growth_full - s.growth_zero,
            )),
            detail: format!("revenue growth {:.1} %/yr", inputs.revenue_growth * 100.0),
        },
    ];

    let degree_weight = |d: Degree| match d {
        Degree::Legal => params.legal_weight,
        Degree::Technical => params.technical_weight,
        Degree::Economic => params.economic_weight,
    };
    let applicable_weight = |d: Degree| -> f64 {
        proxies
            .iter()
            .filter(|p| p.degree == d && p.score.is_some())
            .map(|p| p.weight)
            .sum()
    };
    let totals = [Degree::Legal, Degree::Technical, Degree::Economic].map(applicable_weight);
    let total_of = |d: Degree| match d {
        Degree::Legal => totals[0],
        Degree::Technical => totals[1],
        Degree::Economic => totals[2],
    };
    let mut degrees = [0.0f64; 3];
    let mut drivers: Vec<Driver> = Vec::new();
    for p in &proxies {
        let Some(score) = p.score else { continue };
        let total = total_of(p.degree);
        if total <= 0.0 {
            continue;
        }
        let share = p.weight / total;
        degrees[p.degree as usize] += share * score;
        drivers.push(Driver {
            proxy: p.name.to_string(),
            degree: p.degree,
            score,
            contribution: degree_weight(p.degree) * share * score,
            detail: p.detail.clone(),
        });
    }
    let composite = params.legal_weight * degrees[0]
        + params.technical_weight * degrees[1]
        + params.economic_weight * degrees[2];
    // Stable sort: ties keep the proxies' fixed order, so output is deterministic.
    drivers.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    drivers.truncate(params.drivers);
    ValueScore {
        legal: degrees[0],
        technical: degrees[1],
        economic: degrees[2],
        composite,
        grade: Grade::of(composite, params),
        drivers,
    }
}

/// The value-weighted score of a portfolio (equal weights when every value is zero); no
/// drivers (each asset carries its own).
pub fn portfolio_score(scores: &[(f64, &ValueScore)], params: &ScoreParams) -> ValueScore {
    let total: f64 = scores.iter().map(|(v, _)| v.max(0.0)).sum();
    let weight = |v: f64| {
        if total > 0.0 {
            v.max(0.0) / total
        } else {
            1.0 / scores.len().max(1) as f64
        }
    };
    let mut out = [0.0f64; 4];
    for (v, s) in scores {
        let w = weight(*v);
        out[0] += w * s.legal;
        out[1] += w * s.technical;
        out[2] += w * s.economic;
        out[3] += w * s.composite;
    }
    ValueScore {
        legal: out[0],
        technical: out[1],
        economic: out[2],
        composite: out[3],
        grade: Grade::of(out[3], params),
        drivers: Vec::new(),
    }
}
