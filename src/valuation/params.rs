//! The `[valuation]` section of the model file: read into [`RawValuationParams`] (plain serde,
//! every key required, unknown keys rejected), then validated into [`ValuationParams`] with
//! every bad number reported at its path (`valuation.industry.biomedicine.royalty_rate: must be
//! in [0, 1]`).
//!
//! Tests and callers that need a variant of the default model edit the raw struct and validate
//! it again; a `ValuationParams` that exists is valid. Must not read files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::asset::{Asset, AssetKind, Industry};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::loss::SaleTerms;
use crate::model::Model;
use crate::money::{Money, Rate};

/// The `[valuation]` section as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawValuationParams {
    /// Discount rate of royalty cash flows.
    pub discount_rate: f64,
    /// Loading of every revenue shock on the common factor.
    pub common_factor_loading: f64,
    /// Share of value kept after a partial invalidation.
    pub partial_invalidation_factor: f64,
    /// High-value criterion (4) threshold.
    pub high_pledge_threshold: Money,
    /// Awards that meet high-value criterion (5).
    pub major_awards: Vec<String>,
    /// Liquidation at default.
    pub liquidation: RawLiquidation,
    /// Per-industry parameters.
    pub industry: RawIndustries,
    /// Per-kind parameters.
    pub kind: RawKinds,
    /// IPC subclass or class → industry name.
    pub ipc_industry: BTreeMap<String, String>,
    /// Indicator score weights and scales.
    pub score: RawScore,
}

/// `[valuation.liquidation]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLiquidation {
    /// Mean of the Beta realisation fraction.
    pub realisation_mean: f64,
    /// Standard deviation of the Beta realisation fraction.
    pub realisation_sd: f64,
    /// Shortest disposal delay (months).
    pub disposal_delay_months_min: f64,
    /// Longest disposal delay (months).
    pub disposal_delay_months_max: f64,
    /// Disposal costs as a share of the sale price.
    pub disposal_cost: f64,
    /// Floor on the realisation fraction (docs/models.md: a sale never realises less than this share
    /// of the value at default); optional, default 0 (no floor).
    #[serde(default)]
    pub min_realisation: f64,
}

/// One industry's parameters as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndustryParams {
    /// Royalty rate on attributable revenue.
    pub royalty_rate: f64,
    /// Growth of expected revenue (continuously compounded).
    pub revenue_growth: f64,
    /// Annual volatility of log revenue.
    pub revenue_volatility: f64,
    /// Decay rate of the attributable share.
    pub obsolescence: f64,
    /// Loading of the revenue shock on the industry factor.
    pub factor_loading: f64,
}

/// `[valuation.industry.*]`: one table per industry, all required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndustries {
    /// `energy_saving_environmental` (see the model file).
    pub energy_saving_environmental: RawIndustryParams,
    /// `next_gen_it` (see the model file).
    pub next_gen_it: RawIndustryParams,
    /// `biomedicine` (see the model file).
    pub biomedicine: RawIndustryParams,
    /// `high_end_equipment` (see the model file).
    pub high_end_equipment: RawIndustryParams,
    /// `new_energy` (see the model file).
    pub new_energy: RawIndustryParams,
    /// `new_materials` (see the model file).
    pub new_materials: RawIndustryParams,
    /// `new_energy_vehicles` (see the model file).
    pub new_energy_vehicles: RawIndustryParams,
    /// `other` (see the model file).
    pub other: RawIndustryParams,
}

impl RawIndustries {
    /// The table of `industry`.
    pub fn get(&self, industry: Industry) -> &RawIndustryParams {
        match industry {
            Industry::EnergySavingEnvironmental => &self.energy_saving_environmental,
            Industry::NextGenIt => &self.next_gen_it,
            Industry::Biomedicine => &self.biomedicine,
            Industry::HighEndEquipment => &self.high_end_equipment,
            Industry::NewEnergy => &self.new_energy,
            Industry::NewMaterials => &self.new_materials,
            Industry::NewEnergyVehicles => &self.new_energy_vehicles,
            Industry::Other => &self.other,
        }
    }

    /// The table of `industry`, to edit.
    pub fn get_mut(&mut self, industry: Industry) -> &mut RawIndustryParams {
        match industry {
            Industry::EnergySavingEnvironmental => &mut self.energy_saving_environmental,
            Industry::NextGenIt => &mut self.next_gen_it,
            Industry::Biomedicine => &mut self.biomedicine,
            Industry::HighEndEquipment => &mut self.high_end_equipment,
            Industry::NewEnergy => &mut self.new_energy,
            Industry::NewMaterials => &mut self.new_materials,
            Industry::NewEnergyVehicles => &mut self.new_energy_vehicles,
            Industry::Other => &mut self.other,
        }
    }
}

/// Outcome probabilities of a pending invalidation request.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvalidationOutcomes {
    /// Probability of being wholly invalidated.
    pub whole: f64,
    /// Probability of being partly invalidated.
    pub partial: f64,
}

/// One bracket of an annual-fee schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeBracket {
    /// First patent year of the bracket (1 = the year from the filing date).
    pub from_year: u32,
    /// Last patent year of the bracket.
    pub to_year: u32,
    /// Fee per year (CNY).
    pub fee: Money,
}

/// One kind's parameters as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKindParams {
    /// Multiplier on the industry royalty rate.
    pub royalty_multiplier: f64,
    /// Yearly probability of being wholly invalidated while valid.
    pub invalidation_hazard: f64,
    /// Outcome of a pending invalidation request.
    pub under_invalidation: InvalidationOutcomes,
    /// Annual fees by patent year (patents: must cover the whole legal term).
    pub annual_fee: Vec<FeeBracket>,
    /// Fee due at each renewal (renewable kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_fee: Option<Money>,
    /// Default economic life from the valuation date (years).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economic_life_years: Option<f64>,
}

/// `[valuation.kind.*]`: one table per kind, all required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKinds {
    /// `invention` (see the model file).
    pub invention: RawKindParams,
    /// `utility_model` (see the model file).
    pub utility_model: RawKindParams,
    /// `design` (see the model file).
    pub design: RawKindParams,
    /// `trademark` (see the model file).
    pub trademark: RawKindParams,
    /// `software_copyright` (see the model file).
    pub software_copyright: RawKindParams,
}

impl RawKinds {
    /// The table of `kind`.
    pub fn get(&self, kind: AssetKind) -> &RawKindParams {
        match kind {
            AssetKind::Invention => &self.invention,
            AssetKind::UtilityModel => &self.utility_model,
            AssetKind::Design => &self.design,
            AssetKind::Trademark => &self.trademark,
            AssetKind::SoftwareCopyright => &self.software_copyright,
        }
    }

    /// The table of `kind`, to edit.
    pub fn get_mut(&mut self, kind: AssetKind) -> &mut RawKindParams {
        match kind {
            AssetKind::Invention => &mut self.invention,
            AssetKind::UtilityModel => &mut self.utility_model,
            AssetKind::Design => &mut self.design,
            AssetKind::Trademark => &mut self.trademark,
            AssetKind::SoftwareCopyright => &mut self.software_copyright,
        }
    }
}

/// `[valuation.score]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScore {
    /// Weight of the legal degree in the composite.
    pub legal_weight: f64,
    /// Weight of the technical degree.
    pub technical_weight: f64,
    /// Weight of the economic degree.
    pub economic_weight: f64,
    /// Minimum composite of grades A–D.
    pub grade_min: GradeMin,
    /// Number of drivers listed.
    pub drivers: usize,
    /// Proxy weights of the legal degree.
    pub legal: LegalWeights,
    /// Proxy weights of the technical degree.
    pub technical: TechnicalWeights,
    /// Proxy weights of the economic degree.
    pub economic: EconomicWeights,
    /// Where proxies reach full marks.
    pub scale: ScoreScale,
}

/// Minimum composite score of each grade (E below D).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeMin {
    /// Grade `A`.
    #[serde(rename = "A")]
    pub a: f64,
    /// Grade `B`.
    #[serde(rename = "B")]
    pub b: f64,
    /// Grade `C`.
    #[serde(rename = "C")]
    pub c: f64,
    /// Grade `D`.
    #[serde(rename = "D")]
    pub d: f64,
}

/// Proxy weights of the legal value degree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalWeights {
    /// `remaining_term` (see the model file).
    pub remaining_term: f64,
    /// `status` (see the model file).
    pub status: f64,
    /// `claims` (see the model file).
    pub claims: f64,
    /// `independent_claims` (see the model file).
    pub independent_claims: f64,
    /// `clear_title` (see the model file).
    pub clear_title: f64,
    /// `sole_ownership` (see the model file).
    pub sole_ownership: f64,
}

/// Proxy weights of the technical value degree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicalWeights {
    /// `citations` (see the model file).
    pub citations: f64,
    /// `family` (see the model file).
    pub family: f64,
    /// `strategic_industry` (see the model file).
    pub strategic_industry: f64,
    /// `awards` (see the model file).
    pub awards: f64,
}

/// Proxy weights of the economic value degree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EconomicWeights {
    /// `revenue` (see the model file).
    pub revenue: f64,
    /// `license_income` (see the model file).
    pub license_income: f64,
    /// `growth` (see the model file).
    pub growth: f64,
}

/// Scales of the score proxies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreScale {
    /// `claims_full` (see the model file).
    pub claims_full: f64,
    /// `independent_claims_full` (see the model file).
    pub independent_claims_full: f64,
    /// `citations_per_year_full` (see the model file).
    pub citations_per_year_full: f64,
    /// `family_full` (see the model file).
    pub family_full: f64,
    /// `under_invalidation_points` (see the model file).
    pub under_invalidation_points: f64,
    /// `co_owned_points` (see the model file).
    pub co_owned_points: f64,
    /// `already_pledged_penalty` (see the model file).
    pub already_pledged_penalty: f64,
    /// `exclusive_license_penalty` (see the model file).
    pub exclusive_license_penalty: f64,
    /// `litigation_penalty` (see the model file).
    pub litigation_penalty: f64,
    /// `other_award_points` (see the model file).
    pub other_award_points: f64,
    /// `revenue_zero` (see the model file).
    pub revenue_zero: Money,
    /// `revenue_full` (see the model file).
    pub revenue_full: Money,
    /// `license_income_zero` (see the model file).
    pub license_income_zero: Money,
    /// `license_income_full` (see the model file).
    pub license_income_full: Money,
    /// `growth_zero` (see the model file).
    pub growth_zero: f64,
    /// `growth_full` (see the model file).
    pub growth_full: f64,
}

/// One industry's parameters, validated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndustryParams {
    /// Royalty rate on attributable revenue, in [0, 1].
    pub royalty_rate: f64,
    /// Growth of expected revenue, in [-0.5, 0.5].
    pub revenue_growth: f64,
    /// Annual volatility of log revenue, in [0, 2].
    pub revenue_volatility: f64,
    /// Decay rate of the attributable share, in [0, 2].
    pub obsolescence: f64,
    /// Loading on the industry factor, in [0, 1], with `a² + b² ≤ 1`.
    pub factor_loading: f64,
}

/// One kind's parameters, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct KindParams {
    /// Multiplier on the industry royalty rate, in [0, 10].
    pub royalty_multiplier: f64,
    /// Yearly probability of whole invalidation, in [0, 1).
    pub invalidation_hazard: f64,
    /// Outcome probabilities of a pending invalidation (sum ≤ 1).
    pub under_invalidation: InvalidationOutcomes,
    /// Renewal fee (CNY) of renewable kinds.
    pub renewal_fee: Option<f64>,
    /// Default economic life from the valuation date (years).
    pub economic_life_years: Option<f64>,
    /// Annual fee (CNY) of patent year `i + 1`.
    annual_fee: Vec<f64>,
}

impl KindParams {
    /// The annual fee (CNY) of patent `year` (1-based); 0 outside the schedule.
    pub fn annual_fee(&self, year: u32) -> f64 {
        if year == 0 {
            return 0.0;
        }
        self.annual_fee
            .get(year as usize - 1)
            .copied()
            .unwrap_or(0.0)
    }
}

/// Liquidation parameters, validated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidationParams {
    /// Beta shape α of the realisation fraction.
    pub realisation_alpha: f64,
    /// Beta shape β of the realisation fraction.
    pub realisation_beta: f64,
    /// Mean of the realisation fraction.
    pub realisation_mean: f64,
    /// Shortest disposal delay (years).
    pub delay_min_years: f64,
    /// Longest disposal delay (years).
    pub delay_max_years: f64,
    /// Disposal cost share, in [0, 1].
    pub disposal_cost: f64,
    /// Floor on the realisation fraction, in [0, 1] (0: none).
    pub min_realisation: f64,
}

impl LiquidationParams {
    /// The terms of the distressed sale for `loss::recovery::distressed_sale`.
    pub fn sale_terms(&self) -> SaleTerms {
        SaleTerms {
            min_realisation: self.min_realisation,
            disposal_cost: self.disposal_cost,
        }
    }
}

/// Score weights and scales, validated (weights non-negative, degree weights sum to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreParams {
    /// Weight of the legal degree.
    pub legal_weight: f64,
    /// Weight of the technical degree.
    pub technical_weight: f64,
    /// Weight of the economic degree.
    pub economic_weight: f64,
    /// Grade thresholds (decreasing A > B > C > D).
    pub grade_min: GradeMin,
    /// Number of drivers listed.
    pub drivers: usize,
    /// Legal proxy weights.
    pub legal: LegalWeights,
    /// Technical proxy weights.
    pub technical: TechnicalWeights,
    /// Economic proxy weights.
    pub economic: EconomicWeights,
    /// Proxy scales.
    pub scale: ScoreScale,
}

/// Every parameter of the valuation layer, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuationParams {
    discount_rate: Rate,
    common_factor_loading: f64,
    partial_invalidation_factor: f64,
    high_pledge_threshold: Money,
    major_awards: Vec<String>,
    liquidation: LiquidationParams,
    industries: [IndustryParams; 8],
    kinds: [KindParams; 5],
    ipc_industry: BTreeMap<String, Industry>,
    score: ScoreParams,
}

impl RawValuationParams {
    /// The `[valuation]` section of `model`, unvalidated (to edit, then [`validate`]).
    ///
    /// [`validate`]: RawValuationParams::validate
    pub fn from_model(model: &Model) -> Result<RawValuationParams, InputErrors> {
        model.section("valuation")
    }

    /// Validates every number, reporting each bad one at `valuation.…`.
    pub fn validate(&self) -> Result<ValuationParams, InputErrors> {
        let at = FieldPath::new("valuation");
        let mut p = Problems::new();
        let unit = |p: &mut Problems, v: f64, path: &FieldPath| {
            p.check(
                v.is_finite() && (0.0..=1.0).contains(&v),
                path,
                format!("must be in [0, 1], got {v}"),
            );
        };
        let range = |p: &mut Problems, v: f64, lo: f64, hi: f64, path: &FieldPath| {
            p.check(
                v.is_finite() && (lo..=hi).contains(&v),
                path,
                format!("must be in [{lo}, {hi}], got {v}"),
            );
        };

        let discount_rate = Rate::new(self.discount_rate)
            .ok()
            .filter(|r| (0.0..=1.0).contains(&r.get()));
        range(
            &mut p,
            self.discount_rate,
            0.0,
            1.0,
            &at.field("discount_rate"),
        );
        let a = self.common_factor_loading;
        unit(&mut p, a, &at.field("common_factor_loading"));
        unit(
            &mut p,
            self.partial_invalidation_factor,
            &at.field("partial_invalidation_factor"),
        );
        p.check(
            !self.high_pledge_threshold.is_negative(),
            &at.field("high_pledge_threshold"),
            "must be >= 0",
        );
        for (i, award) in self.major_awards.iter().enumerate() {
            p.check(
                !award.trim().is_empty(),
                &at.field("major_awards").index(i),
                "must not be empty",
            );
        }

        let lq = &self.liquidation;
        let lat = at.field("liquidation");
        p.check(
            lq.realisation_mean.is_finite()
                && lq.realisation_mean > 0.0
                && lq.realisation_mean < 1.0,
            &lat.field("realisation_mean"),
            format!("must be in (0, 1), got {}", lq.realisation_mean),
        );
        let var_max = lq.realisation_mean * (1.0 - lq.realisation_mean);
        let ok_sd = lq.realisation_sd.is_finite()
            && lq.realisation_sd > 0.0
            && lq.realisation_sd * lq.realisation_sd < var_max;
        p.check(
            ok_sd,
            &lat.field("realisation_sd"),
            format!(
                "must be > 0 with sd² < mean·(1 − mean) (a Beta distribution), got {}",
                lq.realisation_sd
            ),
        );
        range(
            &mut p,
            lq.disposal_delay_months_min,
            0.0,
            120.0,
            &lat.field("disposal_delay_months_min"),
        );
        range(
            &mut p,
            lq.disposal_delay_months_max,
            0.0,
            120.0,
            &lat.field("disposal_delay_months_max"),
        );
        p.check(
            lq.disposal_delay_months_max >= lq.disposal_delay_months_min,
            &lat.field("disposal_delay_months_max"),
            "must be >= disposal_delay_months_min",
        );
        unit(&mut p, lq.disposal_cost, &lat.field("disposal_cost"));
        unit(&mut p, lq.min_realisation, &lat.field("min_realisation"));
        let k = if ok_sd {
            var_max / (lq.realisation_sd * lq.realisation_sd) - 1.0
        } else {
            1.0
        };
        let liquidation = LiquidationParams {
            realisation_alpha: lq.realisation_mean * k,
            realisation_beta: (1.0 - lq.realisation_mean) * k,
            realisation_mean: lq.realisation_mean,
            delay_min_years: lq.disposal_delay_months_min / 12.0,
            delay_max_years: lq.disposal_delay_months_max / 12.0,
            disposal_cost: lq.disposal_cost,
            min_realisation: lq.min_realisation,
        };

        let iat = at.field("industry");
        let industries = Industry::ALL.map(|industry| {
            let r = self.industry.get(industry);
            let path = iat.field(industry.name());
            unit(&mut p, r.royalty_rate, &path.field("royalty_rate"));
            range(
                &mut p,
                r.revenue_growth,
                -0.5,
                0.5,
                &path.field("revenue_growth"),
            );
            range(
                &mut p,
                r.revenue_volatility,
                0.0,
                2.0,
                &path.field("revenue_volatility"),
            );
            range(
                &mut p,
                r.obsolescence,
                0.0,
                2.0,
                &path.field("obsolescence"),
            );
            unit(&mut p, r.factor_loading, &path.field("factor_loading"));
            p.check(
                a * a + r.factor_loading * r.factor_loading <= 1.0,
                &path.field("factor_loading"),
                format!(
                    "common_factor_loading² + factor_loading² must be <= 1, got {}",
                    a * a + r.factor_loading * r.factor_loading
                ),
            );
            IndustryParams {
                royalty_rate: r.royalty_rate,
                revenue_growth: r.revenue_growth,
                revenue_volatility: r.revenue_volatility,
                obsolescence: r.obsolescence,
                factor_loading: r.factor_loading,
            }
        });

        let kat = at.field("kind");
        let kinds = AssetKind::ALL.map(|kind| {
            let r = self.kind.get(kind);
            let path = kat.field(kind.name());
            range(
                &mut p,
                r.royalty_multiplier,
                0.0,
                10.0,
                &path.field("royalty_multiplier"),
            );
            p.check(
                r.invalidation_hazard.is_finite() && (0.0..1.0).contains(&r.invalidation_hazard),
                &path.field("invalidation_hazard"),
                format!("must be in [0, 1), got {}", r.invalidation_hazard),
            );
            let ui = r.under_invalidation;
            let upath = path.field("under_invalidation");
            unit(&mut p, ui.whole, &upath.field("whole"));
            unit(&mut p, ui.partial, &upath.field("partial"));
            p.check(
                ui.whole + ui.partial <= 1.0,
                &upath,
                format!(
                    "whole + partial must be <= 1, got {}",
                    ui.whole + ui.partial
                ),
            );
            if let Some(fee) = r.renewal_fee {
                p.check(
                    !fee.is_negative(),
                    &path.field("renewal_fee"),
                    "must be >= 0",
                );
            }
            if let Some(life) = r.economic_life_years {
                p.check(
                    life.is_finite() && life > 0.0 && life <= 100.0,
                    &path.field("economic_life_years"),
                    format!("must be in (0, 100], got {life}"),
                );
            }
            let annual_fee = fee_schedule(&mut p, kind, &r.annual_fee, &path.field("annual_fee"));
            KindParams {
                royalty_multiplier: r.royalty_multiplier,
                invalidation_hazard: r.invalidation_hazard,
                under_invalidation: ui,
                renewal_fee: r.renewal_fee.map(Money::to_f64),
                economic_life_years: r.economic_life_years,
                annual_fee,
            }
        });

        let mut ipc_industry = BTreeMap::new();
        let mpath = at.field("ipc_industry");
        for (code, name) in &self.ipc_industry {
            let b = code.as_bytes();
            let ok_code = (b.len() == 3 || b.len() == 4)
                && (b'A'..=b'H').contains(&b[0])
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
                && (b.len() == 3 || b[3].is_ascii_uppercase());
            p.check(
                ok_code,
                &mpath.field(code),
                "key must be an IPC class (`C08`) or subclass (`G06F`)",
            );
            match Industry::from_name(name) {
                Some(i) if ok_code => {
                    ipc_industry.insert(code.clone(), i);
                }
                Some(_) => {}
                None => p.push(
                    &mpath.field(code),
                    format!(
                        "unknown industry `{name}` (expected one of {})",
                        Industry::names()
                    ),
                ),
            }
        }

        let score = self.score.validate(&mut p, &at.field("score"));

        let Some(discount_rate) = discount_rate else {
            // A bad discount rate was recorded above; the fallback only guards that invariant.
            return Err(p
                .finish(|| ())
                .err()
                .unwrap_or_else(|| InputErrors::one(&at, "invalid discount_rate")));
        };
        p.finish(|| ValuationParams {
            discount_rate,
            common_factor_loading: a,
            partial_invalidation_factor: self.partial_invalidation_factor,
            high_pledge_threshold: self.high_pledge_threshold,
            major_awards: self
                .major_awards
                .iter()
                .map(|s| s.trim().to_string())
                .collect(),
            liquidation,
            industries,
            kinds,
            ipc_industry,
            score,
        })
    }
}

/// Validates an annual-fee schedule: contiguous brackets from year 1, non-negative fees, and
/// for patents covering the longest legal term of the kind. Returns the fee per year.
fn fee_schedule(
    p: &mut Problems,
    kind: AssetKind,
    brackets: &[FeeBracket],
    at: &FieldPath,
) -> Vec<f64> {
    let mut fees = Vec::new();
    let mut next = 1u32;
    for (i, b) in brackets.iter().enumerate() {
        let path = at.index(i);
        if b.from_year != next || b.to_year < b.from_year || b.to_year > 100 {
            p.push(
                &path,
                format!(
                    "brackets must be contiguous from year 1: expected from_year = {next} and to_year >= from_year, got {}..={}",
                    b.from_year, b.to_year
                ),
            );
            return fees;
        }
        p.check(!b.fee.is_negative(), &path.field("fee"), "must be >= 0");
        for _ in b.from_year..=b.to_year {
            fees.push(b.fee.to_f64());
        }
        next = b.to_year + 1;
    }
    if kind.is_patent() {
        let longest = match kind {
            AssetKind::Design => 15,
            _ => kind.legal_term_years(crate::asset::DESIGN_15_YEAR_TERM_FROM),
        };
        p.check(
            fees.len() >= longest as usize,
            at,
            format!(
                "must cover every year of the {longest}-year term of a {}, covers {}",
                kind.label(),
                fees.len()
            ),
        );
    }
    fees
}

impl RawScore {
    fn validate(&self, p: &mut Problems, at: &FieldPath) -> ScoreParams {
        let weights = [
            ("legal_weight", self.legal_weight),
            ("technical_weight", self.technical_weight),
            ("economic_weight", self.economic_weight),
        ];
        for (name, w) in weights {
            p.check(
                w.is_finite() && w >= 0.0,
                &at.field(name),
                format!("must be >= 0, got {w}"),
            );
        }
        let sum: f64 = weights.iter().map(|(_, w)| w).sum();
        p.check(
            (sum - 1.0).abs() < 1e-9,
            at,
            format!("legal_weight + technical_weight + economic_weight must be 1, got {sum}"),
        );
        let l = self.legal;
        let t = self.technical;
        let e = self.economic;
        let proxies: [(&str, &str, f64); 13] = [
            ("legal", "remaining_term", l.remaining_term),
            ("legal", "status", l.status),
            ("legal", "claims", l.claims),
            ("legal", "independent_claims", l.independent_claims),
            ("legal", "clear_title", l.clear_title),
            ("legal", "sole_ownership", l.sole_ownership),
            ("technical", "citations", t.citations),
            ("technical", "family", t.family),
            ("technical", "strategic_industry", t.strategic_industry),
            ("technical", "awards", t.awards),
            ("economic", "revenue", e.revenue),
            ("economic", "license_income", e.license_income),
            ("economic", "growth", e.growth),
        ];
        for (degree, name, w) in proxies {
            p.check(
                w.is_finite() && w >= 0.0,
                &at.field(degree).field(name),
                format!("must be >= 0, got {w}"),
            );
        }
        for degree in ["legal", "technical", "economic"] {
            let total: f64 = proxies.iter().filter(|x| x.0 == degree).map(|x| x.2).sum();
            p.check(
                total > 0.0,
                &at.field(degree),
                "weights must not all be zero",
            );
        }
        let g = self.grade_min;
        p.check(
            g.a > g.b && g.b > g.c && g.c > g.d && g.d >= 0.0 && g.a <= 100.0,
            &at.field("grade_min"),
            "must satisfy 100 >= A > B > C > D >= 0",
        );
        let s = &self.scale;
        let sat = at.field("scale");
        for (name, v) in [
            ("claims_full", s.claims_full),
            ("independent_claims_full", s.independent_claims_full),
            ("citations_per_year_full", s.citations_per_year_full),
            ("family_full", s.family_full),
        ] {
            p.check(
                v.is_finite() && v > 0.0,
                &sat.field(name),
                format!("must be > 0, got {v}"),
            );
        }
        for (name, v) in [
            ("under_invalidation_points", s.under_invalidation_points),
            ("co_owned_points", s.co_owned_points),
            ("already_pledged_penalty", s.already_pledged_penalty),
            ("exclusive_license_penalty", s.exclusive_license_penalty),
            ("litigation_penalty", s.litigation_penalty),
            ("other_award_points", s.other_award_points),
        ] {
            p.check(
                v.is_finite() && (0.0..=100.0).contains(&v),
                &sat.field(name),
                format!("must be in [0, 100], got {v}"),
            );
        }
        for (zero, full, zname, fname) in [
            (
                s.revenue_zero,
                s.revenue_full,
                "revenue_zero",
                "revenue_full",
            ),
            (
                s.license_income_zero,
                s.license_income_full,
                "license_income_zero",
                "license_income_full",
            ),
        ] {
            p.check(
                zero.to_f64() > 0.0,
                &sat.field(zname),
                "must be > 0 (log scale)",
            );
            p.check(full > zero, &sat.field(fname), format!("must be > {zname}"));
        }
        p.check(
            s.growth_full > s.growth_zero,
            &sat.field("growth_full"),
            "must be > growth_zero",
        );
        ScoreParams {
            legal_weight: self.legal_weight,
            technical_weight: self.technical_weight,
            economic_weight: self.economic_weight,
            grade_min: g,
            drivers: self.drivers,
            legal: l,
            technical: t,
            economic: e,
            scale: s.clone(),
        }
    }
}

impl ValuationParams {
    /// The validated `[valuation]` section of `model`.
    pub fn from_model(model: &Model) -> Result<ValuationParams, InputErrors> {
        RawValuationParams::from_model(model)?.validate()
    }

    /// The embedded default model's parameters.
    pub fn embedded_default() -> ValuationParams {
        ValuationParams::from_model(&Model::embedded_default())
            .expect("the embedded default model's [valuation] section is valid (tested)")
    }

    /// Discount rate of cash flows.
    pub fn discount_rate(&self) -> Rate {
        self.discount_rate
    }

    /// Loading of revenue shocks on the common factor.
    pub fn common_factor_loading(&self) -> f64 {
        self.common_factor_loading
    }

    /// Share of value kept after a partial invalidation.
    pub fn partial_invalidation_factor(&self) -> f64 {
        self.partial_invalidation_factor
    }

    /// High-value criterion (4) threshold.
    pub fn high_pledge_threshold(&self) -> Money {
        self.high_pledge_threshold
    }

    /// Awards meeting high-value criterion (5).
    pub fn major_awards(&self) -> &[String] {
        &self.major_awards
    }

    /// Liquidation parameters.
    pub fn liquidation(&self) -> &LiquidationParams {
        &self.liquidation
    }

    /// Parameters of `industry`.
    pub fn industry(&self, industry: Industry) -> &IndustryParams {
        &self.industries[industry.index()]
    }

    /// Parameters of `kind`.
    pub fn kind(&self, kind: AssetKind) -> &KindParams {
        &self.kinds[kind as usize]
    }

    /// Score weights and scales.
    pub fn score(&self) -> &ScoreParams {
        &self.score
    }

    /// The industry of an IPC code by the model's mapping (subclass before class), if mapped.
    pub fn industry_for_ipc(&self, ipc: &str) -> Option<Industry> {
        let code = ipc.trim();
        [4usize, 3]
            .into_iter()
            .filter(|n| code.len() >= *n)
            .find_map(|n| {
                code.get(..n)
                    .and_then(|k| self.ipc_industry.get(k))
                    .copied()
            })
    }

    /// The asset's industry: as given, else from its IPC code, else `other`.
    pub fn resolve_industry(&self, asset: &Asset) -> Industry {
        asset
            .industry()
            .or_else(|| asset.ipc().and_then(|ipc| self.industry_for_ipc(ipc)))
            .unwrap_or(Industry::Other)
    }

    /// Number of IPC codes mapped.
    pub fn ipc_mapping_len(&self) -> usize {
        self.ipc_industry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawValuationParams {
        RawValuationParams::from_model(&Model::embedded_default()).unwrap()
    }

    #[test]
    fn the_default_model_is_valid_and_has_the_published_numbers() {
        let p = ValuationParams::embedded_default();
        assert_eq!(p.discount_rate().get(), 0.12);
        let inv = p.kind(AssetKind::Invention);
        assert_eq!(inv.under_invalidation.whole, 0.253);
        assert_eq!(inv.under_invalidation.partial, 0.149);
        assert_eq!(
            p.kind(AssetKind::UtilityModel).under_invalidation.whole,
            0.392
        );
        assert_eq!(p.kind(AssetKind::Design).under_invalidation.partial, 0.011);
        let fees: Vec<f64> = (1..=20).map(|y| inv.annual_fee(y)).collect();
        assert_eq!(fees[0], 900.0);
        assert_eq!(fees[3], 1200.0);
        assert_eq!(fees[6], 2000.0);
        assert_eq!(fees[9], 4000.0);
        assert_eq!(fees[12], 6000.0);
        assert_eq!(fees[19], 8000.0);
        let um = p.kind(AssetKind::UtilityModel);
        assert_eq!(
            (1..=10).map(|y| um.annual_fee(y)).collect::<Vec<_>>(),
            [
                600.0, 600.0, 600.0, 900.0, 900.0, 1200.0, 1200.0, 1200.0, 2000.0, 2000.0
            ]
        );
        assert_eq!(p.high_pledge_threshold(), Money::from_yuan(10_000_000));
        let lq = p.liquidation();
        let mean = lq.realisation_alpha / (lq.realisation_alpha + lq.realisation_beta);
        assert!((mean - 0.25).abs() < 1e-12);
        let n = lq.realisation_alpha + lq.realisation_beta;
        let sd = (mean * (1.0 - mean) / (n + 1.0)).sqrt();
        assert!((sd - 0.15).abs() < 1e-12);
        assert!(p.ipc_mapping_len() >= 30);
    }

    #[test]
    fn ipc_codes_map_by_subclass_then_class() {
        let p = ValuationParams::embedded_default();
        assert_eq!(p.industry_for_ipc("G06F 16/27"), Some(Industry::NextGenIt));
        assert_eq!(p.industry_for_ipc("H04W"), Some(Industry::NextGenIt));
        assert_eq!(p.industry_for_ipc("A61K31/00"), Some(Industry::Biomedicine));
        assert_eq!(
            p.industry_for_ipc("H01M 10/05"),
            Some(Industry::NewEnergyVehicles)
        );
        assert_eq!(p.industry_for_ipc("C08L"), Some(Industry::NewMaterials));
        assert_eq!(
            p.industry_for_ipc("B25J 9/16"),
            Some(Industry::HighEndEquipment)
        );
        assert_eq!(p.industry_for_ipc("A01B"), None);
    }

    #[test]
    fn bad_numbers_are_reported_with_their_paths() {
        let mut r = raw();
        r.industry.biomedicine.royalty_rate = 1.5;
        r.industry.next_gen_it.factor_loading = 0.99;
        r.kind.invention.under_invalidation.whole = 0.9;
        r.kind.invention.annual_fee.remove(2);
        r.liquidation.realisation_sd = 0.6;
        r.discount_rate = -0.1;
        r.ipc_industry.insert("G06F".into(), "software".into());
        r.ipc_industry.insert("XX".into(), "other".into());
        r.score.legal_weight = 0.5;
        let err = r.validate().unwrap_err();
        for path in [
            "valuation.industry.biomedicine.royalty_rate",
            "valuation.industry.next_gen_it.factor_loading",
            "valuation.kind.invention.under_invalidation",
            "valuation.kind.invention.annual_fee[2]",
            "valuation.liquidation.realisation_sd",
            "valuation.discount_rate",
            "valuation.ipc_industry.G06F",
            "valuation.ipc_industry.XX",
            "valuation.score",
        ] {
            assert!(err.has_path(path), "{path} in\n{err}");
        }
        assert!(
            err.to_string().contains(
                "valuation.industry.biomedicine.royalty_rate: must be in [0, 1], got 1.5"
            )
        );
    }

    #[test]
    fn min_realisation_is_optional_and_the_old_recovery_floor_is_refused() {
        let default = ValuationParams::embedded_default();
        assert_eq!(
            default.liquidation().sale_terms(),
            SaleTerms {
                min_realisation: 0.0,
                disposal_cost: 0.10,
            }
        );
        let model = |text: String| {
            let model = Model::from_toml_str(&text, crate::model::ModelOrigin::Inline).unwrap();
            ValuationParams::from_model(&model)
        };
        let text = crate::model::DEFAULT_MODEL_TOML;
        let line = "min_realisation = 0.0\n";
        assert!(text.contains(line));
        let without = model(text.replace(line, "")).unwrap();
        assert_eq!(without.liquidation().min_realisation, 0.0);
        let floored = model(text.replace(line, "min_realisation = 0.3\n")).unwrap();
        assert_eq!(floored.liquidation().sale_terms().min_realisation, 0.3);
        let old = model(text.replace(line, "recovery_floor = 0.3\n")).unwrap_err();
        assert!(old.to_string().contains("recovery_floor"), "{old}");
        let mut r = raw();
        r.liquidation.min_realisation = 1.5;
        let err = r.validate().unwrap_err();
        assert!(
            err.has_path("valuation.liquidation.min_realisation"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_industry_table_is_reported_by_the_model_reader() {
        let text = crate::model::DEFAULT_MODEL_TOML.replace(
            "[valuation.industry.biomedicine]",
            "[valuation.industry.biotech]",
        );
        let model = Model::from_toml_str(&text, crate::model::ModelOrigin::Inline).unwrap();
        let err = ValuationParams::from_model(&model).unwrap_err();
        assert!(
            err.errors[0].path.starts_with("valuation.industry"),
            "{err}"
        );
    }
}
