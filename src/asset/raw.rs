//! The asset record as it arrives (field names of docs/cli.md), and its validation into an [`Asset`].
//!
//! Fields whose content can be wrong in more than one way (kind, status, dates, industry,
//! counts) arrive as text or signed integers, so that validation can report every bad field
//! rather than stop at serde's first type error.

use serde::{Deserialize, Serialize};

use super::{
    Asset, AssetKind, AssetStatus, Date, Economics, Encumbrances, Industry, check_patent_id,
};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::{Money, Probability, Rate, Years};

/// Most claims a patent is believed to have; more is a typo.
const MAX_CLAIMS: i64 = 10_000;
/// Revenue growth outside ±50 %/yr is not a plausible long-run assumption.
const MAX_ABS_GROWTH: f64 = 0.5;
/// Annual log-revenue volatility above 200 % is not a plausible assumption.
const MAX_VOLATILITY: f64 = 2.0;
/// Longest economic life accepted (years).
const MAX_ECONOMIC_LIFE: f64 = 50.0;

/// One asset record as read from JSON or CSV. Validate with [`RawAsset::validate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAsset {
    /// CNIPA application number with check character (`CN201710601862.3`) for patents; the
    /// registration number for trademarks and software copyrights.
    pub id: String,
    /// `invention`, `utility_model`, `design`, `trademark` or `software_copyright`.
    #[schemars(with = "AssetKind")]
    pub kind: String,
    /// Filing date, `YYYY-MM-DD`.
    #[schemars(with = "Date")]
    pub filing_date: String,
    /// Grant (registration) date; required for patents and trademarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Date>")]
    pub grant_date: Option<String>,
    /// `valid`, `under_invalidation`, `lapsed`, `invalidated` or `expired`.
    #[schemars(with = "AssetStatus")]
    pub status: String,
    /// Owners; more than one = co-owned.
    pub owners: Vec<String>,
    /// Main IPC code, e.g. `G06F 16/27`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    /// Industry; derived from `ipc` through the model's mapping when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Industry>")]
    pub industry: Option<String>,
    /// Number of claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<i64>,
    /// Number of independent claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independent_claims: Option<i64>,
    /// Forward citations received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_citations: Option<i64>,
    /// Patent family offices, e.g. `["US", "EP", "JP"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub family_countries: Vec<String>,
    /// Awards, e.g. `china_patent_award`, `national_sci_tech_award`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<String>,
    /// Past pledge-financing amounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pledge_history: Vec<Money>,
    /// Encumbrances.
    #[serde(default)]
    pub encumbrances: Encumbrances,
    /// Economics.
    pub economics: RawEconomics,
}

/// The `economics` object of an asset record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEconomics {
    /// Annual revenue attributable to the asset (CNY/yr).
    pub attributable_revenue: Money,
    /// Royalty rate on that revenue (0–1); default: the model's for the industry and kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub royalty_rate: Option<f64>,
    /// Growth rate of expected revenue, continuously compounded per year
    /// (`E[R_t] = R_0·e^(g·t)`); default: the model's for the industry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_growth: Option<f64>,
    /// Annual volatility of log revenue; default: the model's for the industry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_volatility: Option<f64>,
    /// Current annual licence income (CNY/yr).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_income: Option<Money>,
    /// Economic life from the valuation date in years (caps the legal term).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economic_life_years: Option<f64>,
    /// Market-approach value supplied as a cross-check (CNY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market_value: Option<Money>,
    /// Cost-approach value supplied as a cross-check (CNY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_value: Option<Money>,
}

fn parse_date(p: &mut Problems, text: &str, path: &FieldPath) -> Option<Date> {
    match text.trim().parse::<Date>() {
        Ok(d) => Some(d),
        Err(e) => {
            p.push(path, e.to_string());
            None
        }
    }
}

fn count(p: &mut Problems, value: Option<i64>, path: &FieldPath) -> Option<u32> {
    match value {
        None => Some(0),
        Some(v) if (0..=MAX_CLAIMS).contains(&v) => Some(v as u32),
        Some(v) if v < 0 => {
            p.push(path, format!("must be >= 0, got {v}"));
            None
        }
        Some(v) => {
            p.push(path, format!("must be <= {MAX_CLAIMS}, got {v}"));
            None
        }
    }
}

fn non_negative(p: &mut Problems, value: Money, path: &FieldPath) {
    p.check(
        !value.is_negative(),
        path,
        format!("must be >= 0, got {value}"),
    );
}

/// Normalises an IPC code (`g06f16/27` → `G06F16/27`) and checks its subclass part.
fn normalise_ipc(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_uppercase();
    let b = t.as_bytes();
    let ok = b.len() >= 4
        && (b'A'..=b'H').contains(&b[0])
        && b[1].is_ascii_digit()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_uppercase()
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_digit() || *c == b'/' || *c == b' ');
    if ok {
        Ok(t)
    } else {
        Err(format!(
            "`{text}` is not an IPC code (section A-H, class, subclass, optional group: `G06F 16/27`)"
        ))
    }
}

impl RawEconomics {
    /// Validates the economics at `at`.
    pub fn validate(&self, at: &FieldPath) -> Result<Economics, InputErrors> {
        let mut p = Problems::new();
        non_negative(
            &mut p,
            self.attributable_revenue,
            &at.field("attributable_revenue"),
        );
        let royalty_rate = self.royalty_rate.and_then(|r| {
            let path = at.field("royalty_rate");
            p.take(
                Probability::new(r)
                    .map_err(|_| InputErrors::one(&path, format!("must be in [0, 1], got {r}"))),
            )
        });
        let revenue_growth = self.revenue_growth.and_then(|g| {
            let path = at.field("revenue_growth");
            if g.is_finite() && g.abs() <= MAX_ABS_GROWTH {
                Rate::new(g).ok()
            } else {
                p.push(
                    &path,
                    format!("must be in [-{MAX_ABS_GROWTH}, {MAX_ABS_GROWTH}], got {g}"),
                );
                None
            }
        });
        if let Some(v) = self.revenue_volatility {
            p.check(
                v.is_finite() && (0.0..=MAX_VOLATILITY).contains(&v),
                &at.field("revenue_volatility"),
                format!("must be in [0, {MAX_VOLATILITY}], got {v}"),
            );
        }
        for (name, value) in [
            ("license_income", self.license_income),
            ("market_value", self.market_value),
            ("cost_value", self.cost_value),
        ] {
            if let Some(v) = value {
                non_negative(&mut p, v, &at.field(name));
            }
        }
        let economic_life_years = self.economic_life_years.and_then(|y| {
            let ok = y.is_finite() && y > 0.0 && y <= MAX_ECONOMIC_LIFE;
            p.check(
                ok,
                &at.field("economic_life_years"),
                format!("must be in (0, {MAX_ECONOMIC_LIFE}], got {y}"),
            );
            if ok { Years::new(y).ok() } else { None }
        });
        p.finish(|| Economics {
            attributable_revenue: self.attributable_revenue,
            royalty_rate,
            revenue_growth,
            revenue_volatility: self.revenue_volatility,
            license_income: self.license_income,
            economic_life_years,
            market_value: self.market_value,
            cost_value: self.cost_value,
        })
    }
}

impl RawAsset {
    /// Builds the asset, reporting every bad field under `at` (e.g. `assets[3]`).
    pub fn validate(&self, at: &FieldPath) -> Result<Asset, InputErrors> {
        let mut p = Problems::new();

        let kind_text = self.kind.trim();
        let kind = AssetKind::from_name(kind_text);
        if kind.is_none() {
            let known: Vec<&str> = AssetKind::ALL.iter().map(|k| k.name()).collect();
            p.push(
                &at.field("kind"),
                format!(
                    "unknown kind `{kind_text}` (expected one of {})",
                    known.join(", ")
                ),
            );
        }

        let id = self.id.trim().to_string();
        if id.is_empty() {
            p.push(&at.field("id"), "must not be empty");
        } else if id.chars().count() > 64 || id.chars().any(char::is_control) {
            p.push(&at.field("id"), "must be at most 64 printable characters");
        } else if let Some(k) = kind.filter(|k| k.is_patent()) {
            if let Err(e) = check_patent_id(&id, k) {
                p.push(&at.field("id"), e.to_string());
            }
        }

        let filing_date = parse_date(&mut p, &self.filing_date, &at.field("filing_date"));
        let grant_path = at.field("grant_date");
        let grant_date = match &self.grant_date {
            None => Some(None),
            Some(text) => parse_date(&mut p, text, &grant_path).map(Some),
        };
        if let (Some(filing), Some(Some(grant))) = (filing_date, grant_date) {
            p.check(
                grant >= filing,
                &grant_path,
                format!("must not be before filing_date {filing}, got {grant}"),
            );
        }
        if let (Some(k), None) = (kind, &self.grant_date) {
            p.check(
                !(k.is_patent() || k == AssetKind::Trademark),
                &grant_path,
                format!("is required for a {}", k.label()),
            );
        }

        let status_text = self.status.trim();
        let status = AssetStatus::from_name(status_text);
        match status {
            None => {
                let known: Vec<&str> = AssetStatus::ALL.iter().map(|s| s.name()).collect();
                p.push(
                    &at.field("status"),
                    format!(
                        "unknown status `{status_text}` (expected one of {})",
                        known.join(", ")
                    ),
                );
            }
            Some(AssetStatus::UnderInvalidation) => p.check(
                kind != Some(AssetKind::SoftwareCopyright),
                &at.field("status"),
                "under_invalidation does not apply to a software copyright",
            ),
            Some(_) => {}
        }

        let owners_path = at.field("owners");
        p.check(
            !self.owners.is_empty(),
            &owners_path,
            "must list at least one owner",
        );
        for (i, o) in self.owners.iter().enumerate() {
            p.check(
                !o.trim().is_empty(),
                &owners_path.index(i),
                "must not be empty",
            );
        }
        let owners: Vec<String> = self.owners.iter().map(|o| o.trim().to_string()).collect();

        let ipc = self
            .ipc
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| {
                normalise_ipc(s)
                    .map_err(|m| p.push(&at.field("ipc"), m))
                    .ok()
            });

        let industry = match self.industry.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(name) => match Industry::from_name(name) {
                Some(i) => Some(Some(i)),
                None => {
                    p.push(
                        &at.field("industry"),
                        format!(
                            "unknown industry `{name}` (expected one of {})",
                            Industry::names()
                        ),
                    );
                    None
                }
            },
        };

        let claims = count(&mut p, self.claims, &at.field("claims"));
        let independent_claims = count(
            &mut p,
            self.independent_claims,
            &at.field("independent_claims"),
        );
        let forward_citations = count(
            &mut p,
            self.forward_citations,
            &at.field("forward_citations"),
        );
        if let (Some(c), Some(ic)) = (claims, independent_claims) {
            p.check(
                self.claims.is_none() || ic <= c,
                &at.field("independent_claims"),
                format!("must not exceed claims ({c}), got {ic}"),
            );
        }

        let mut family_countries = Vec::with_capacity(self.family_countries.len());
        for (i, c) in self.family_countries.iter().enumerate() {
            let code = c.trim().to_ascii_uppercase();
            if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                family_countries.push(code);
            } else {
                p.push(
                    &at.field("family_countries").index(i),
                    format!("`{c}` is not a two-letter country or office code"),
                );
            }
        }

        let awards: Vec<String> = self.awards.iter().map(|a| a.trim().to_string()).collect();
        for (i, a) in awards.iter().enumerate() {
            p.check(
                !a.is_empty(),
                &at.field("awards").index(i),
                "must not be empty",
            );
        }

        for (i, amount) in self.pledge_history.iter().enumerate() {
            non_negative(&mut p, *amount, &at.field("pledge_history").index(i));
        }

        let economics = p.take(self.economics.validate(&at.field("economics")));

        let built = match (
            kind,
            filing_date,
            grant_date,
            status,
            industry,
            claims,
            independent_claims,
            forward_citations,
            economics,
        ) {
            (
                Some(kind),
                Some(filing_date),
                Some(grant_date),
                Some(status),
                Some(industry),
                Some(claims),
                Some(independent_claims),
                Some(forward_citations),
                Some(economics),
            ) => Some(Asset {
                id,
                kind,
                filing_date,
                grant_date,
                status,
                owners,
                ipc,
                industry,
                claims,
                independent_claims,
                forward_citations,
                family_countries,
                awards,
                pledge_history: self.pledge_history.clone(),
                encumbrances: self.encumbrances,
                economics,
            }),
            _ => None,
        };
        match built {
            Some(asset) => p.finish(|| asset),
            // Every `None` above recorded a problem; the fallback only guards that invariant.
            None => Err(p
                .finish(|| ())
                .err()
                .unwrap_or_else(|| InputErrors::one(at, "invalid asset"))),
        }
    }
}
