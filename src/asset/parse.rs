//! Asset lists from JSON and CSV text.
//!
//! JSON: an array of asset records (`[ {...}, ... ]`, paths `[3].filing_date`) or an object
//! `{"assets": [ ... ]}` (paths `assets[3].filing_date`). Each element is read on its own, so a
//! type error in one element does not hide the problems of the others.
//!
//! CSV: one asset per row, a header row with the JSON field names ([`CSV_COLUMNS`]). Nested
//! fields are flattened: `economics.attributable_revenue` or plain `attributable_revenue`,
//! `encumbrances.litigation` or plain `litigation`. List columns (`owners`,
//! `family_countries`, `awards`, `pledge_history`) are `;`-separated. Booleans are
//! `true/false`, `yes/no` or `1/0`. An empty cell is an absent field. Lines starting with `#`
//! are comments. Problems are reported as `row[i].field` with `i` the 0-based data row (the
//! header is not a row; the message of a malformed row names its line).

use std::collections::HashMap;

use super::{Asset, Encumbrances, RawAsset, RawEconomics};
use crate::input::{FieldPath, InputErrors, Problems, from_json, from_json_value};
use crate::money::Money;

/// The CSV columns, by their plain names (the nested ones also accept the
/// `economics.`/`encumbrances.` prefix).
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "filing_date",
    "grant_date",
    "status",
    "owners",
    "ipc",
    "industry",
    "claims",
    "independent_claims",
    "forward_citations",
    "family_countries",
    "awards",
    "pledge_history",
    "already_pledged",
    "exclusive_license",
    "litigation",
    "attributable_revenue",
    "royalty_rate",
    "revenue_growth",
    "revenue_volatility",
    "license_income",
    "economic_life_years",
    "market_value",
    "cost_value",
];

/// Columns a CSV must have.
const REQUIRED_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "filing_date",
    "status",
    "owners",
    "attributable_revenue",
];

const ENCUMBRANCE_COLUMNS: &[&str] = &["already_pledged", "exclusive_license", "litigation"];
const ECONOMICS_COLUMNS: &[&str] = &[
    "attributable_revenue",
    "royalty_rate",
    "revenue_growth",
    "revenue_volatility",
    "license_income",
    "economic_life_years",
    "market_value",
    "cost_value",
];

/// Validates a list of raw assets at `at` (elements at `at[i]`): every bad field of every
/// element, an empty list, and duplicate ids.
pub fn validate_assets(raw: &[RawAsset], at: &FieldPath) -> Result<Vec<Asset>, InputErrors> {
    let mut p = Problems::new();
    if raw.is_empty() {
        p.push(at, "must list at least one asset");
    }
    let mut assets = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        if let Some(a) = p.take(r.validate(&at.index(i))) {
            assets.push(a);
        }
    }
    check_unique_ids(&mut p, raw.iter().map(|r| r.id.trim()), at);
    p.finish(|| assets)
}

fn check_unique_ids<'a>(p: &mut Problems, ids: impl Iterator<Item = &'a str>, at: &FieldPath) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if id.is_empty() {
            continue;
        }
        if let Some(j) = first.get(id) {
            p.push(
                &at.index(i).field("id"),
                format!("duplicate of {}", at.index(*j)),
            );
        } else {
            first.insert(id, i);
        }
    }
}

/// Reads a JSON asset list (an array, or `{"assets": [...]}`), reporting every bad field.
pub fn parse_json(text: &str) -> Result<Vec<Asset>, InputErrors> {
    let value: serde_json::Value = from_json(text)?;
    let (items, at) = match value {
        serde_json::Value::Array(items) => (items, FieldPath::root()),
        serde_json::Value::Object(mut map) => {
            let extra: Vec<String> = map.keys().filter(|k| *k != "assets").cloned().collect();
            if !extra.is_empty() {
                let mut p = Problems::new();
                for k in extra {
                    p.push(
                        &FieldPath::new(k.as_str()),
                        "unknown field (an asset file is an array or {\"assets\": [...]})",
                    );
                }
                return p.finish(Vec::new);
            }
            match map.remove("assets") {
                Some(serde_json::Value::Array(items)) => (items, FieldPath::new("assets")),
                Some(_) => {
                    return Err(InputErrors::one(
                        &FieldPath::new("assets"),
                        "must be an array of asset records",
                    ));
                }
                None => {
                    return Err(InputErrors::one(
                        &FieldPath::new("assets"),
                        "missing field `assets`",
                    ));
                }
            }
        }
        _ => {
            return Err(InputErrors::one(
                &FieldPath::root(),
                "an asset file is a JSON array of asset records or {\"assets\": [...]}",
            ));
        }
    };
    let mut p = Problems::new();
    let raw: Vec<Option<RawAsset>> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            p.take(from_json_value::<RawAsset>(item).map_err(|e| e.within(&at.index(i))))
        })
        .collect();
    let assets = validate_read(&mut p, &raw, &at);
    p.finish(|| assets)
}

/// Validates the records that could be read (`None`: already reported), then checks that
/// ids are unique.
fn validate_read(p: &mut Problems, raw: &[Option<RawAsset>], at: &FieldPath) -> Vec<Asset> {
    if raw.is_empty() {
        p.push(at, "must list at least one asset");
    }
    let assets = raw
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.as_ref()
                .and_then(|r| validate_one(p, r, &at.index(i), &[]))
        })
        .collect();
    check_unique_ids(
        p,
        raw.iter().map(|r| r.as_ref().map_or("", |r| r.id.trim())),
        at,
    );
    assets
}

/// Validates one record at `at`, skipping problems at paths in `reported` (cells that did not
/// convert, already reported).
fn validate_one(
    p: &mut Problems,
    raw: &RawAsset,
    at: &FieldPath,
    reported: &[String],
) -> Option<Asset> {
    match raw.validate(at) {
        Ok(a) => Some(a),
        Err(e) => {
            for err in e.errors {
                if !reported.contains(&err.path) {
                    p.push(&FieldPath::new(err.path), err.message);
                }
            }
            None
        }
    }
}

/// The plain column name for a header cell, or `None` if unknown.
fn column_name(header: &str) -> Option<&'static str> {
    let h = header.trim();
    if let Some(rest) = h.strip_prefix("economics.") {
        ECONOMICS_COLUMNS.iter().find(|c| **c == rest).copied()
    } else if let Some(rest) = h.strip_prefix("encumbrances.") {
        ENCUMBRANCE_COLUMNS.iter().find(|c| **c == rest).copied()
    } else {
        CSV_COLUMNS.iter().find(|c| **c == h).copied()
    }
}

/// The nested field path of a plain column name.
fn column_path(row: &FieldPath, column: &str) -> FieldPath {
    if ECONOMICS_COLUMNS.contains(&column) {
        row.field("economics").field(column)
    } else if ENCUMBRANCE_COLUMNS.contains(&column) {
        row.field("encumbrances").field(column)
    } else {
        row.field(column)
    }
}

fn split_list(cell: Option<&str>) -> Vec<String> {
    cell.map(|c| {
        c.split(';')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Reads a CSV asset list (see the module docs for the columns), reporting every bad cell as
/// `row[i].field`.
pub fn parse_csv(text: &str) -> Result<Vec<Asset>, InputErrors> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header_path = FieldPath::new("header");
    let headers = reader
        .headers()
        .map_err(|e| InputErrors::one(&header_path, format!("cannot read the header row: {e}")))?
        .clone();
    let mut p = Problems::new();
    let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let name = column_name(h);
        match name {
            None => p.push(
                &header_path.index(i),
                format!(
                    "unknown column `{h}` (expected: {}; nested ones may carry an `economics.`/`encumbrances.` prefix)",
                    CSV_COLUMNS.join(", ")
                ),
            ),
            Some(n) if columns.contains(&Some(n)) => {
                p.push(&header_path.index(i), format!("duplicate column `{h}`"))
            }
            Some(_) => {}
        }
        columns.push(name);
    }
    for required in REQUIRED_COLUMNS {
        p.check(
            columns.contains(&Some(*required)),
            &header_path,
            format!("missing column `{required}`"),
        );
    }
    if !p.is_empty() {
        return p.finish(Vec::new);
    }

    let rows_path = FieldPath::new("row");
    let mut ids: Vec<String> = Vec::new();
    let mut assets = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let at = rows_path.index(i);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                p.push(&at, format!("malformed csv record: {e}"));
                ids.push(String::new());
                continue;
            }
        };
        if record.len() != columns.len() {
            let line = record.position().map_or(0, |pos| pos.line());
            p.push(
                &at,
                format!(
                    "malformed row (line {line}): {} fields, the header has {}",
                    record.len(),
                    columns.len()
                ),
            );
            ids.push(String::new());
            continue;
        }
        let cells: HashMap<&'static str, &str> = columns
            .iter()
            .zip(record.iter())
            .filter_map(|(c, v)| c.map(|c| (c, v)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let (row, problems) = raw_from_row(&cells, &at);
        let mut reported = Vec::new();
        if let Some(problems) = problems {
            reported.extend(problems.errors.iter().map(|e| e.path.clone()));
            p.absorb(problems);
        }
        if let Some(a) = validate_one(&mut p, &row, &at, &reported) {
            assets.push(a);
        }
        ids.push(row.id.trim().to_string());
    }
    if ids.is_empty() {
        p.push(&rows_path, "must list at least one asset");
    }
    check_unique_ids(&mut p, ids.iter().map(String::as_str), &rows_path);
    p.finish(|| assets)
}

/// The cell of column `c` parsed as `T`; a cell that does not parse is reported under the
/// column's path with `message(cell, error)` and left out.
fn cell<T: std::str::FromStr>(
    cells: &HashMap<&'static str, &str>,
    p: &mut Problems,
    at: &FieldPath,
    c: &str,
    message: impl Fn(&str, T::Err) -> String,
) -> Option<T> {
    let v = cells.get(c)?;
    match v.parse::<T>() {
        Ok(value) => Some(value),
        Err(e) => {
            p.push(&column_path(at, c), message(v, e));
            None
        }
    }
}

/// Builds the raw record of one CSV row; cells that do not convert are left out of it and
/// reported in the second element.
fn raw_from_row(
    cells: &HashMap<&'static str, &str>,
    at: &FieldPath,
) -> (RawAsset, Option<InputErrors>) {
    let mut p = Problems::new();
    let text = |c: &str| cells.get(c).map(|s| s.to_string());
    let required = |p: &mut Problems, c: &str| -> String {
        match cells.get(c) {
            Some(v) => v.to_string(),
            None => {
                p.push(&column_path(at, c), "is required");
                String::new()
            }
        }
    };
    let id = required(&mut p, "id");
    let kind = required(&mut p, "kind");
    let filing_date = required(&mut p, "filing_date");
    let status = required(&mut p, "status");
    let owners_cell = cells.get("owners").copied();
    let owners = split_list(owners_cell);

    let int = |p: &mut Problems, c: &str| -> Option<i64> {
        cell(cells, p, at, c, |v, _| format!("`{v}` is not an integer"))
    };
    let float = |p: &mut Problems, c: &str| -> Option<f64> {
        cell(cells, p, at, c, |v, _| format!("`{v}` is not a number"))
    };
    let money = |p: &mut Problems, c: &str| -> Option<Money> {
        cell(cells, p, at, c, |_, e: crate::money::MoneyParseError| {
            e.to_string()
        })
    };
    let boolean = |p: &mut Problems, c: &str| -> bool {
        match cells.get(c).map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) => match v.as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => {
                    p.push(
                        &column_path(at, c),
                        format!("`{v}` is not a boolean (true/false, yes/no, 1/0)"),
                    );
                    false
                }
            },
        }
    };

    let mut pledge_history = Vec::new();
    for (i, item) in split_list(cells.get("pledge_history").copied())
        .iter()
        .enumerate()
    {
        match item.parse::<Money>() {
            Ok(m) => pledge_history.push(m),
            Err(e) => p.push(&at.field("pledge_history").index(i), e.to_string()),
        }
    }
    let attributable_revenue = if cells.contains_key("attributable_revenue") {
        money(&mut p, "attributable_revenue").unwrap_or(Money::ZERO)
    } else {
        p.push(&column_path(at, "attributable_revenue"), "is required");
        Money::ZERO
    };
    let raw = RawAsset {
        id,
        kind,
        filing_date,
        grant_date: text("grant_date"),
        status,
        owners,
        ipc: text("ipc"),
        industry: text("industry"),
        claims: int(&mut p, "claims"),
        independent_claims: int(&mut p, "independent_claims"),
        forward_citations: int(&mut p, "forward_citations"),
        family_countries: split_list(cells.get("family_countries").copied()),
        awards: split_list(cells.get("awards").copied()),
        pledge_history,
        encumbrances: Encumbrances {
            already_pledged: boolean(&mut p, "already_pledged"),
            exclusive_license: boolean(&mut p, "exclusive_license"),
            litigation: boolean(&mut p, "litigation"),
        },
        economics: RawEconomics {
            attributable_revenue,
            royalty_rate: float(&mut p, "royalty_rate"),
            revenue_growth: float(&mut p, "revenue_growth"),
            revenue_volatility: float(&mut p, "revenue_volatility"),
            license_income: money(&mut p, "license_income"),
            economic_life_years: float(&mut p, "economic_life_years"),
            market_value: money(&mut p, "market_value"),
            cost_value: money(&mut p, "cost_value"),
        },
    };
    (raw, p.finish(|| ()).err())
}
