//! Asset validation and list parsing: every broken field is reported with its path.

use serde_json::{Value, json};

use super::*;
use crate::input::FieldPath;

fn good() -> Value {
    json!({
        "id": "CN201710601862.3",
        "kind": "invention",
        "filing_date": "2017-07-26",
        "grant_date": "2020-03-10",
        "status": "valid",
        "owners": ["Shenzhen Example Tech Co., Ltd."],
        "ipc": "G06F 16/27",
        "claims": 12,
        "independent_claims": 2,
        "forward_citations": 7,
        "family_countries": ["US", "EP"],
        "awards": ["china_patent_award"],
        "pledge_history": ["5000000"],
        "encumbrances": { "already_pledged": false },
        "economics": { "attributable_revenue": "8000000", "royalty_rate": 0.04 }
    })
}

fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    match v.pointer_mut(pointer) {
        Some(slot) => *slot = new,
        None => {
            let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
            v.pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .expect("parent object")
                .insert(key.to_string(), new);
        }
    }
    v
}

fn parse_one(v: Value) -> Result<Vec<Asset>, crate::input::InputErrors> {
    parse_json(&Value::Array(vec![v]).to_string())
}

#[test]
fn a_good_record_validates_into_an_asset() {
    let assets = parse_one(good()).unwrap();
    let a = &assets[0];
    assert_eq!(a.id(), "CN201710601862.3");
    assert_eq!(a.kind(), AssetKind::Invention);
    assert_eq!(a.ipc_subclass(), Some("G06F"));
    assert_eq!(a.industry(), None);
    assert_eq!(a.overseas_family(), 2);
    assert!(!a.is_co_owned());
    assert_eq!(a.claims(), 12);
    assert_eq!(
        a.economics().attributable_revenue(),
        Money::from_yuan(8_000_000)
    );
    assert_eq!(a.economics().royalty_rate().map(|r| r.get()), Some(0.04));
    let as_of: Date = "2026-01-01".parse().unwrap();
    assert_eq!(a.legal_term_end(as_of).to_string(), "2037-07-26");
}

#[test]
fn each_broken_field_is_reported_with_its_path() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "bad date",
            with(good(), "/filing_date", json!("2017-02-30")),
            "[0].filing_date",
        ),
        (
            "not iso",
            with(good(), "/filing_date", json!("26/07/2017")),
            "[0].filing_date",
        ),
        (
            "grant before filing",
            with(good(), "/grant_date", json!("2016-01-01")),
            "[0].grant_date",
        ),
        (
            "unknown kind",
            with(good(), "/kind", json!("petty_patent")),
            "[0].kind",
        ),
        (
            "unknown status",
            with(good(), "/status", json!("alive")),
            "[0].status",
        ),
        (
            "negative revenue",
            with(good(), "/economics/attributable_revenue", json!("-1")),
            "[0].economics.attributable_revenue",
        ),
        (
            "empty owners",
            with(good(), "/owners", json!([])),
            "[0].owners",
        ),
        (
            "blank owner",
            with(good(), "/owners", json!(["A", " "])),
            "[0].owners[1]",
        ),
        (
            "bad check character",
            with(good(), "/id", json!("CN201710601862.4")),
            "[0].id",
        ),
        (
            "utility number for an invention",
            with(good(), "/id", json!("CN201720601862.9")),
            "[0].id",
        ),
        (
            "malformed id",
            with(good(), "/id", json!("CN2017106018623")),
            "[0].id",
        ),
        (
            "negative claims",
            with(good(), "/claims", json!(-3)),
            "[0].claims",
        ),
        (
            "negative citations",
            with(good(), "/forward_citations", json!(-1)),
            "[0].forward_citations",
        ),
        (
            "more independent than claims",
            with(good(), "/independent_claims", json!(13)),
            "[0].independent_claims",
        ),
        (
            "unknown industry",
            with(good(), "/industry", json!("biotech")),
            "[0].industry",
        ),
        ("bad ipc", with(good(), "/ipc", json!("Z99Q")), "[0].ipc"),
        (
            "bad family code",
            with(good(), "/family_countries", json!(["USA"])),
            "[0].family_countries[0]",
        ),
        (
            "negative pledge",
            with(good(), "/pledge_history", json!(["-5"])),
            "[0].pledge_history[0]",
        ),
        (
            "royalty over one",
            with(good(), "/economics/royalty_rate", json!(1.5)),
            "[0].economics.royalty_rate",
        ),
        (
            "negative volatility",
            with(good(), "/economics/revenue_volatility", json!(-0.1)),
            "[0].economics.revenue_volatility",
        ),
        (
            "negative licence income",
            with(good(), "/economics/license_income", json!("-10")),
            "[0].economics.license_income",
        ),
        (
            "missing grant for a patent",
            {
                let mut v = good();
                v.as_object_mut().unwrap().remove("grant_date");
                v
            },
            "[0].grant_date",
        ),
        (
            "unknown field",
            with(good(), "/colour", json!("red")),
            "[0].colour",
        ),
        (
            "wrong type",
            with(good(), "/claims", json!("twelve")),
            "[0].claims",
        ),
        (
            "bad money text",
            with(good(), "/economics/attributable_revenue", json!("8m")),
            "[0].economics.attributable_revenue",
        ),
    ];
    for (name, value, path) in cases {
        let err = parse_one(value).expect_err(name);
        assert!(err.has_path(path), "{name}: expected {path}, got\n{err}");
    }
}

#[test]
fn every_problem_of_one_record_is_reported_at_once() {
    let mut v = with(good(), "/filing_date", json!("2017-13-01"));
    v = with(v, "/kind", json!("patent"));
    v = with(v, "/owners", json!([]));
    v = with(v, "/economics/attributable_revenue", json!(-5));
    let err = parse_one(v).unwrap_err();
    for path in [
        "[0].filing_date",
        "[0].kind",
        "[0].owners",
        "[0].economics.attributable_revenue",
    ] {
        assert!(err.has_path(path), "{path} in\n{err}");
    }
}

#[test]
fn object_form_paths_and_duplicates() {
    let mut second = good();
    second = with(second, "/grant_date", json!("2010-01-01"));
    let doc = json!({ "assets": [good(), second, good()] });
    let err = parse_json(&doc.to_string()).unwrap_err();
    assert!(err.has_path("assets[1].grant_date"), "{err}");
    assert!(err.has_path("assets[1].id"), "{err}");
    assert!(err.has_path("assets[2].id"), "{err}");
    assert!(
        parse_json(r#"{"assets": [], "x": 1}"#)
            .unwrap_err()
            .has_path("x")
    );
    assert!(parse_json("[]").unwrap_err().has_path(""));
    assert!(parse_json("{not json").is_err());
}

#[test]
fn a_type_error_in_one_element_does_not_hide_the_others() {
    let doc = json!([
        with(good(), "/claims", json!("x")),
        with(
            with(good(), "/id", json!("CN201810601862.8")),
            "/status",
            json!("gone")
        )
    ]);
    let err = parse_json(&doc.to_string()).unwrap_err();
    assert!(err.has_path("[0].claims"), "{err}");
    assert!(err.has_path("[1].status"), "{err}");
}

#[test]
fn kinds_have_their_own_rules() {
    let tm = json!({
        "id": "12345678", "kind": "trademark", "filing_date": "2012-05-01",
        "grant_date": "2013-08-14", "status": "valid", "owners": ["A"],
        "economics": { "attributable_revenue": 1000000 }
    });
    let a = &parse_one(tm.clone()).unwrap()[0];
    let as_of: Date = "2026-01-01".parse().unwrap();
    assert_eq!(a.term_start().to_string(), "2013-08-14");
    assert_eq!(a.legal_term_end(as_of).to_string(), "2033-08-14");
    let sc = json!({
        "id": "2019SR0123456", "kind": "software_copyright", "filing_date": "2019-03-01",
        "status": "under_invalidation", "owners": ["A"],
        "economics": { "attributable_revenue": 1000000 }
    });
    assert!(parse_one(sc).unwrap_err().has_path("[0].status"));
    let design_old = with(
        with(
            with(good(), "/kind", json!("design")),
            "/id",
            json!("CN201930601862.3"),
        ),
        "/filing_date",
        json!("2019-07-26"),
    );
    let design_new = with(
        with(design_old.clone(), "/filing_date", json!("2021-06-01")),
        "/grant_date",
        json!("2021-12-01"),
    );
    let old = &parse_one(design_old).unwrap()[0];
    let new = &parse_one(design_new).unwrap()[0];
    assert_eq!(old.legal_term_end(as_of).to_string(), "2029-07-26");
    assert_eq!(new.legal_term_end(as_of).to_string(), "2036-06-01");
}

const CSV_HEADER: &str = "id,kind,filing_date,grant_date,status,owners,ipc,claims,family_countries,economics.attributable_revenue,encumbrances.litigation,pledge_history\n";

#[test]
fn csv_rows_parse_with_lists_and_flattened_columns() {
    let text = format!(
        "{CSV_HEADER}# a comment line\nCN201710601862.3,invention,2017-07-26,2020-03-10,valid,A;B,G06F 16/27,12,US;EP,8000000,yes,1000000;2000000\n"
    );
    let assets = parse_csv(&text).unwrap();
    let a = &assets[0];
    assert_eq!(a.owners(), ["A", "B"]);
    assert!(a.is_co_owned());
    assert_eq!(a.family_countries(), ["US", "EP"]);
    assert!(a.encumbrances().litigation);
    assert_eq!(a.pledge_history().len(), 2);
}

#[test]
fn csv_problems_are_reported_per_row_and_field() {
    let text = format!(
        "{CSV_HEADER}\
CN201710601862.3,invention,2017-07-26,2020-03-10,valid,A,G06F,12,US,8000000,no,\n\
CN201810601862.8,invention,2018-07-26,2017-03-10,valid,A,G06F,x,US,-5,maybe,\n\
CN201910601862.2,invention,2019-07-26\n\
CN201710601862.3,invention,2017-07-26,2020-03-10,valid,,G06F,12,US,8000000,no,\n"
    );
    let err = parse_csv(&text).unwrap_err();
    for path in [
        "row[1].grant_date",
        "row[1].claims",
        "row[1].economics.attributable_revenue",
        "row[1].encumbrances.litigation",
        "row[2]",
        "row[3].owners",
        "row[3].id",
    ] {
        assert!(err.has_path(path), "{path} in\n{err}");
    }
    assert!(!err.has_path("row[0]"));
    let bad_header = parse_csv("id,kind,colour\n").unwrap_err();
    assert!(bad_header.has_path("header[2]"), "{bad_header}");
    assert!(bad_header.has_path("header"), "{bad_header}");
}

#[test]
fn validate_assets_uses_the_given_prefix() {
    let raw: RawAsset = serde_json::from_value(with(good(), "/status", json!("x"))).unwrap();
    let err = validate_assets(&[raw], &FieldPath::new("pledged_assets")).unwrap_err();
    assert!(err.has_path("pledged_assets[0].status"), "{err}");
    let ok: RawAsset = serde_json::from_value(good()).unwrap();
    assert_eq!(
        validate_assets(&[ok], &FieldPath::new("p")).unwrap().len(),
        1
    );
}
