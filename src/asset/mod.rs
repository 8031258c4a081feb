//! Pledgeable intellectual property: patents (invention, utility model, design), trademarks
//! and software copyrights, as validated domain values.
//!
//! Parse, then build: an asset record (docs/cli.md, JSON or CSV with the same column names)
//! deserialises into a plain [`RawAsset`], then [`RawAsset::validate`] builds an [`Asset`] and
//! reports *every* bad field with its path (`assets[3].grant_date: must not be before
//! filing_date 2019-03-01`). An `Asset` that exists is valid: dates are calendar dates, the
//! grant is not before the filing, a patent's CNIPA application number carries the right check
//! character and type digit, amounts and counts are non-negative, there is at least one owner.
//! [`parse_json`] and [`parse_csv`] read whole asset lists.
//!
//! Owns the asset schema, the legal terms of each kind ([`AssetKind::legal_term_years`]) and
//! the industry list ([`Industry`]). Must not value anything (see `valuation`), read files, or
//! know about the CLI or HTTP. An asset's industry may be absent: the valuation layer resolves
//! it from the IPC code through the model's mapping.

mod cnipa;
mod date;
mod industry;
mod parse;
mod raw;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::money::{Money, Probability, Rate, Years};

pub use cnipa::{CnipaIdError, check_character, check_patent_id};
pub use date::{DAYS_PER_YEAR, Date, DateError};
pub use industry::Industry;
pub use parse::{CSV_COLUMNS, parse_csv, parse_json, validate_assets};
pub use raw::{RawAsset, RawEconomics};

/// The kinds of pledgeable IP.
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
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// Invention patent (发明专利): 20-year term from filing.
    Invention,
    /// Utility model patent (实用新型): 10-year term from filing.
    UtilityModel,
    /// Design patent (外观设计): 15 years from filing if filed on or after 2021-06-01, else 10.
    Design,
    /// Registered trademark (注册商标): 10 years from registration, renewable indefinitely.
    Trademark,
    /// Registered software copyright (软件著作权): 50 years (legal-person owner).
    SoftwareCopyright,
}

impl AssetKind {
    /// All kinds.
    pub const ALL: [AssetKind; 5] = [
        AssetKind::Invention,
        AssetKind::UtilityModel,
        AssetKind::Design,
        AssetKind::Trademark,
        AssetKind::SoftwareCopyright,
    ];

    /// The snake_case name used in files.
    pub fn name(self) -> &'static str {
        match self {
            AssetKind::Invention => "invention",
            AssetKind::UtilityModel => "utility_model",
            AssetKind::Design => "design",
            AssetKind::Trademark => "trademark",
            AssetKind::SoftwareCopyright => "software_copyright",
        }
    }

    /// A human label for messages.
    pub fn label(self) -> &'static str {
        match self {
            AssetKind::Invention => "invention patent",
            AssetKind::UtilityModel => "utility model",
            AssetKind::Design => "design patent",
            AssetKind::Trademark => "trademark",
            AssetKind::SoftwareCopyright => "software copyright",
        }
    }

    /// Parses a file name of a kind.
    pub fn from_name(name: &str) -> Option<AssetKind> {
        AssetKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Invention, utility model and design: granted by CNIPA, with application numbers that
    /// carry a check character and annual fees.
    pub fn is_patent(self) -> bool {
        matches!(
            self,
            AssetKind::Invention | AssetKind::UtilityModel | AssetKind::Design
        )
    }

    /// The legal term in years for an asset filed on `filing_date` (Patent Law 2020 art. 42:
    /// the design term became 15 years for applications filed from 2021-06-01). For a
    /// trademark this is one registration period (renewable, see [`AssetKind::is_renewable`]).
    pub fn legal_term_years(self, filing_date: Date) -> u32 {
        match self {
            AssetKind::Invention => 20,
            AssetKind::UtilityModel => 10,
            AssetKind::Design => {
                if filing_date >= DESIGN_15_YEAR_TERM_FROM {
                    15
                } else {
                    10
                }
            }
            AssetKind::Trademark => 10,
            AssetKind::SoftwareCopyright => 50,
        }
    }

    /// True for trademarks: the term renews every 10 years for as long as the fee is paid.
    pub fn is_renewable(self) -> bool {
        self == AssetKind::Trademark
    }
}

/// Design patents filed on or after this date have a 15-year term (amended Patent Law,
/// effective 2021-06-01).
pub const DESIGN_15_YEAR_TERM_FROM: Date = match Date::const_ymd(2021, 6, 1) {
    Some(d) => d,
    None => panic!("a valid constant date"),
};

/// Legal status of an asset.
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
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// In force.
    Valid,
    /// In force, but an invalidation request is pending (the outcome is drawn in valuation).
    UnderInvalidation,
    /// Lapsed for non-payment of fees.
    Lapsed,
    /// Declared invalid.
    Invalidated,
    /// Term ended.
    Expired,
}

impl AssetStatus {
    /// All statuses.
    pub const ALL: [AssetStatus; 5] = [
        AssetStatus::Valid,
        AssetStatus::UnderInvalidation,
        AssetStatus::Lapsed,
        AssetStatus::Invalidated,
        AssetStatus::Expired,
    ];

    /// The snake_case name used in files.
    pub fn name(self) -> &'static str {
        match self {
            AssetStatus::Valid => "valid",
            AssetStatus::UnderInvalidation => "under_invalidation",
            AssetStatus::Lapsed => "lapsed",
            AssetStatus::Invalidated => "invalidated",
            AssetStatus::Expired => "expired",
        }
    }

    /// Parses a file name of a status.
    pub fn from_name(name: &str) -> Option<AssetStatus> {
        AssetStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// True while the right exists (valid or under invalidation).
    pub fn is_in_force(self) -> bool {
        matches!(self, AssetStatus::Valid | AssetStatus::UnderInvalidation)
    }
}

/// Encumbrances on an asset. Any combination is valid.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Encumbrances {
    /// Already pledged to another creditor.
    #[serde(default)]
    pub already_pledged: bool,
    /// Under an exclusive licence.
    #[serde(default)]
    pub exclusive_license: bool,
    /// In litigation.
    #[serde(default)]
    pub litigation: bool,
}

impl Encumbrances {
    /// True when there is none.
    pub fn is_clear(self) -> bool {
        !(self.already_pledged || self.exclusive_license || self.litigation)
    }
}

/// The economics of an asset, validated: what the income approach values.
#[derive(Clone, Debug, PartialEq)]
pub struct Economics {
    attributable_revenue: Money,
    royalty_rate: Option<Probability>,
    revenue_growth: Option<Rate>,
    revenue_volatility: Option<f64>,
    license_income: Option<Money>,
    economic_life_years: Option<Years>,
    market_value: Option<Money>,
    cost_value: Option<Money>,
}

impl Economics {
    /// Annual revenue attributable to the asset (CNY/yr, ≥ 0).
    pub fn attributable_revenue(&self) -> Money {
        self.attributable_revenue
    }

    /// Royalty rate on that revenue; absent: the model's rate for the industry and kind.
    pub fn royalty_rate(&self) -> Option<Probability> {
        self.royalty_rate
    }

    /// Growth of expected revenue (continuously compounded, per year); absent: the model's.
    pub fn revenue_growth(&self) -> Option<Rate> {
        self.revenue_growth
    }

    /// Annual volatility of log revenue (≥ 0); absent: the model's.
    pub fn revenue_volatility(&self) -> Option<f64> {
        self.revenue_volatility
    }

    /// Current annual licence income (CNY/yr, ≥ 0), received on top of the royalty relief.
    pub fn license_income(&self) -> Option<Money> {
        self.license_income
    }

    /// Economic life in years from the valuation date, capping the legal term; absent: the
    /// legal term (patents) or the model's economic life (trademarks, software).
    pub fn economic_life_years(&self) -> Option<Years> {
        self.economic_life_years
    }

    /// User-supplied market-approach value (cross-check only, CNY).
    pub fn market_value(&self) -> Option<Money> {
        self.market_value
    }

    /// User-supplied cost-approach value (cross-check only, CNY).
    pub fn cost_value(&self) -> Option<Money> {
        self.cost_value
    }
}

/// A validated asset. Built only by [`RawAsset::validate`] (or the list parsers); fields are
/// read through accessors.
#[derive(Clone, Debug, PartialEq)]
pub struct Asset {
    id: String,
    kind: AssetKind,
    filing_date: Date,
    grant_date: Option<Date>,
    status: AssetStatus,
    owners: Vec<String>,
    ipc: Option<String>,
    industry: Option<Industry>,
    claims: u32,
    independent_claims: u32,
    forward_citations: u32,
    family_countries: Vec<String>,
    awards: Vec<String>,
    pledge_history: Vec<Money>,
    encumbrances: Encumbrances,
    economics: Economics,
}

impl Asset {
    /// CNIPA application number (patents) or registration number, as given (trimmed).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Kind.
    pub fn kind(&self) -> AssetKind {
        self.kind
    }

    /// Filing (application) date; for a software copyright, the date its term runs from.
    pub fn filing_date(&self) -> Date {
        self.filing_date
    }

    /// Grant or registration date (required for patents and trademarks).
    pub fn grant_date(&self) -> Option<Date> {
        self.grant_date
    }

    /// Legal status.
    pub fn status(&self) -> AssetStatus {
        self.status
    }

    /// Owners (at least one).
    pub fn owners(&self) -> &[String] {
        &self.owners
    }

    /// True with more than one owner.
    pub fn is_co_owned(&self) -> bool {
        self.owners.len() > 1
    }

    /// Main IPC code, upper-case, e.g. `G06F 16/27`.
    pub fn ipc(&self) -> Option<&str> {
        self.ipc.as_deref()
    }

    /// The IPC subclass (first four characters, e.g. `G06F`).
    pub fn ipc_subclass(&self) -> Option<&str> {
        self.ipc.as_deref().map(|s| &s[..4])
    }

    /// Industry as given; absent means "resolve from the IPC code" (valuation does).
    pub fn industry(&self) -> Option<Industry> {
        self.industry
    }

    /// Number of claims (0 when not given or not a patent).
    pub fn claims(&self) -> u32 {
        self.claims
    }

    /// Number of independent claims.
    pub fn independent_claims(&self) -> u32 {
        self.independent_claims
    }

    /// Forward citations received.
    pub fn forward_citations(&self) -> u32 {
        self.forward_citations
    }

    /// Countries/offices of the patent family (ISO codes or `EP`/`WO`), upper-case.
    pub fn family_countries(&self) -> &[String] {
        &self.family_countries
    }

    /// Family members outside China.
    pub fn overseas_family(&self) -> usize {
        self.family_countries.iter().filter(|c| *c != "CN").count()
    }

    /// Awards, e.g. `china_patent_award`, `national_sci_tech_award`.
    pub fn awards(&self) -> &[String] {
        &self.awards
    }

    /// Past pledge amounts.
    pub fn pledge_history(&self) -> &[Money] {
        &self.pledge_history
    }

    /// Encumbrances.
    pub fn encumbrances(&self) -> Encumbrances {
        self.encumbrances
    }

    /// Economics.
    pub fn economics(&self) -> &Economics {
        &self.economics
    }

    /// The date the legal term runs from: filing date for patents and software copyrights,
    /// registration (grant) date for trademarks.
    pub fn term_start(&self) -> Date {
        match self.kind {
            AssetKind::Trademark => self.grant_date.unwrap_or(self.filing_date),
            _ => self.filing_date,
        }
    }

    /// The end of the legal term (for a trademark: of the current or first registration
    /// period after `as_of`; renewable).
    pub fn legal_term_end(&self, as_of: Date) -> Date {
        let start = self.term_start();
        let term = self.kind.legal_term_years(self.filing_date) as i32;
        if self.kind.is_renewable() {
            let mut end = start.add_years(term);
            while end <= as_of {
                end = end.add_years(term);
            }
            end
        } else {
            start.add_years(term)
        }
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn legal_terms_follow_the_patent_law() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(AssetKind::Invention.legal_term_years(d("2010-01-01")), 20);
        assert_eq!(
            AssetKind::UtilityModel.legal_term_years(d("2010-01-01")),
            10
        );
        assert_eq!(AssetKind::Design.legal_term_years(d("2021-05-31")), 10);
        assert_eq!(AssetKind::Design.legal_term_years(d("2021-06-01")), 15);
        assert_eq!(AssetKind::Trademark.legal_term_years(d("2010-01-01")), 10);
        assert_eq!(
            AssetKind::SoftwareCopyright.legal_term_years(d("2010-01-01")),
            50
        );
        for k in AssetKind::ALL {
            assert_eq!(AssetKind::from_name(k.name()), Some(k));
        }
        for s in AssetStatus::ALL {
            assert_eq!(AssetStatus::from_name(s.name()), Some(s));
        }
    }
}
