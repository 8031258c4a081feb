//! Explicit loan files (`book.loans_file = "loans.csv"`): one loan per row, header required.
//!
//! Columns (see [`LOANS_FILE_COLUMNS`]): `id`, `year` (1-based origination year), `amount`,
//! `tenor_months`, `pd_1y` are required; `month` (1..=12, default 1), `industry` (default
//! `other`), `bank` (default `bank`), `pledge_rate` (default 0.3), `repayment`
//! (`bullet`|`amortising`, default bullet) and `annual_rate` (default 0.045) are optional.
//! Errors name the data row (0-based) and column: `book.loans_file[3].amount`.

use std::collections::BTreeMap;

use super::raw::{DEFAULT_ANNUAL_RATE, DEFAULT_PLEDGE_RATE};
use super::{Industry, LoanSpec, Repayment};
use crate::input::{FieldPath, InputErrors, Problems};
use crate::money::Money;

/// The columns a loan file may have, required first.
pub const LOANS_FILE_COLUMNS: [&str; 11] = [
    "id",
    "year",
    "amount",
    "tenor_months",
    "pd_1y",
    "month",
    "industry",
    "bank",
    "pledge_rate",
    "repayment",
    "annual_rate",
];

const REQUIRED: usize = 5;

/// Parses a loan file.
pub(crate) fn parse(text: &str, horizon: u32) -> Result<Vec<LoanSpec>, InputErrors> {
    let mut p = Problems::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            return Err(InputErrors::one(
                &FieldPath::root(),
                format!("bad csv: {e}"),
            ));
        }
    };
    for h in &headers {
        p.check(
            LOANS_FILE_COLUMNS.contains(&h.as_str()),
            &FieldPath::root(),
            format!(
                "unknown column `{h}` (known: {})",
                LOANS_FILE_COLUMNS.join(", ")
            ),
        );
    }
    for col in &LOANS_FILE_COLUMNS[..REQUIRED] {
        p.check(
            headers.iter().any(|h| h == col),
            &FieldPath::root(),
            format!("missing column `{col}`"),
        );
    }
    if !p.is_empty() {
        return p.finish(Vec::new);
    }
    let mut loans = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let at = FieldPath::root().index(row);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                p.push(&at, format!("bad csv row: {e}"));
                continue;
            }
        };
        let cells: BTreeMap<&str, &str> = headers
            .iter()
            .map(String::as_str)
            .zip(record.iter())
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let num = |p: &mut Problems, name: &str| -> Option<f64> {
            cells.get(name).and_then(|v| match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    p.push(&at.field(name), format!("`{v}` is not a number"));
                    None
                }
            })
        };
        let int = |p: &mut Problems, name: &str, lo: i64, hi: i64| -> Option<u32> {
            cells.get(name).and_then(|v| match v.parse::<i64>() {
                Ok(x) if (lo..=hi).contains(&x) => Some(x as u32),
                _ => {
                    p.push(
                        &at.field(name),
                        format!("`{v}` is not a whole number in {lo}..={hi}"),
                    );
                    None
                }
            })
        };
        let id = cells.get("id").map(|s| s.to_string());
        p.check(id.is_some(), &at.field("id"), "must not be empty");
        let year = int(&mut p, "year", 1, i64::from(horizon));
        p.check(
            cells.contains_key("year"),
            &at.field("year"),
            "must not be empty",
        );
        let month = int(&mut p, "month", 1, 12).unwrap_or(1);
        let amount = cells.get("amount").and_then(|v| match v.parse::<Money>() {
            Ok(m) if m > Money::ZERO => Some(m),
            _ => {
                p.push(
                    &at.field("amount"),
                    format!("must be an amount > 0 (got `{v}`)"),
                );
                None
            }
        });
        p.check(
            cells.contains_key("amount"),
            &at.field("amount"),
            "must not be empty",
        );
        let tenor = int(&mut p, "tenor_months", 1, 600);
        p.check(
            cells.contains_key("tenor_months"),
            &at.field("tenor_months"),
            "must not be empty",
        );
        let pd = num(&mut p, "pd_1y");
        if let Some(v) = pd {
            p.check(
                v > 0.0 && v < 1.0,
                &at.field("pd_1y"),
                format!("must be a probability in (0, 1) (got {v})"),
            );
        }
        p.check(
            cells.contains_key("pd_1y"),
            &at.field("pd_1y"),
            "must not be empty",
        );
        let industry = match cells.get("industry") {
            None => Some(Industry::Other),
            Some(v) => {
                let i = Industry::from_name(v);
                p.check(
                    i.is_some(),
                    &at.field("industry"),
                    format!("unknown industry `{v}`"),
                );
                i
            }
        };
        let repayment = match cells.get("repayment").copied() {
            None => Some(Repayment::Bullet),
            Some(v) => {
                let r = Repayment::from_name(v);
                p.check(
                    r.is_some(),
                    &at.field("repayment"),
                    format!(
                        "must be bullet, annuity (or amortising) or equal_principal (got `{v}`)"
                    ),
                );
                r
            }
        };
        let pledge_rate = num(&mut p, "pledge_rate").unwrap_or(DEFAULT_PLEDGE_RATE);
        p.check(
            pledge_rate > 0.0 && pledge_rate <= 1.0,
            &at.field("pledge_rate"),
            format!("must be in (0, 1] (got {pledge_rate})"),
        );
        let annual_rate = num(&mut p, "annual_rate").unwrap_or(DEFAULT_ANNUAL_RATE);
        p.check(
            (0.0..=1.0).contains(&annual_rate),
            &at.field("annual_rate"),
            format!("must be between 0 and 1 (got {annual_rate})"),
        );
        if let (
            Some(id),
            Some(year),
            Some(amount),
            Some(tenor),
            Some(pd),
            Some(industry),
            Some(repayment),
        ) = (id, year, amount, tenor, pd, industry, repayment)
        {
            loans.push(LoanSpec {
                id,
                year,
                month,
                amount,
                tenor_months: tenor,
                pd_1y: pd,
                industry,
                bank: cells.get("bank").unwrap_or(&"bank").to_string(),
                pledge_rate,
                repayment,
                annual_rate,
            });
        }
    }
    p.finish(|| loans)
}
