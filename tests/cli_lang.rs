//! `--lang zh|en` on the CLI tables, through the real binary: headers, labels, reasons and
//! amounts in the chosen language (English by default); JSON is unchanged by it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ipledge(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ipledge"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo(relative: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .to_string_lossy()
        .into_owned()
}

/// Runs a table command in both languages (and without `--lang`), checks the default is
/// English, and returns (zh, en).
fn both(args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--format", "table"]);
        all.extend(extra);
        let (code, out, err) = ipledge(dir.path(), &all);
        assert_eq!(code, 0, "{all:?}: {err}");
        out
    };
    let zh = run(&["--lang", "zh"]);
    let en = run(&["--lang", "en"]);
    assert_eq!(run(&[]), en, "{args:?}: English by default");
    (zh, en)
}

/// No word of two or more Latin letters outside the allowed ones (ids, codes, units).
fn latin_words<'a>(text: &'a str, allowed: &[&str]) -> Vec<&'a str> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1 && !allowed.contains(w))
        .collect()
}

#[test]
fn value_table_in_chinese_and_english() {
    let (zh, en) = both(&[
        "value",
        &repo("scenarios/samples/next-gen-it-10.json"),
        "--paths",
        "300",
    ]);
    for text in [
        "编号",
        "评估价值",
        "组合合计",
        "万元",
        "发明专利",
        "新一代信息技术",
    ] {
        assert!(zh.contains(text), "{text} missing from\n{zh}");
    }
    assert!(!zh.contains("CNY") && !zh.contains("PORTFOLIO"), "{zh}");
    for text in ["appraised", "PORTFOLIO", "CNY ", "invention"] {
        assert!(en.contains(text), "{text} missing from\n{en}");
    }
    assert!(!en.contains("万元"), "{en}");
}

#[test]
fn score_table_reasons_and_eligibility_in_the_chosen_language_only() {
    let application = repo("scenarios/applications/refer.json");
    let (zh, en) = both(&["score", &application, "--paths", "300"]);
    for text in ["审批结论", "转人工审查", "质押额度", "理由"] {
        assert!(zh.contains(text), "{text} missing from\n{zh}");
    }
    for text in ["decision", "refer", "max loan", "CNY "] {
        assert!(en.contains(text), "{text} missing from\n{en}");
    }
    // The reasons column carries one language: Chinese reason texts hold no English words
    // beyond the abbreviations a Chinese credit officer reads (the code column is machine
    // text and is checked in the JSON instead).
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = ipledge(dir.path(), &["score", &application, "--paths", "300"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The master-scale grade (`CC`) and the scheme's name are names, not English.
    let grade = v["grade"].as_str().unwrap();
    let scheme = v["eligibility"]["scheme"].as_str().unwrap_or("-");
    for r in v["reasons"].as_array().unwrap() {
        let zh = r["zh"].as_str().unwrap();
        let en = r["en"].as_str().unwrap();
        assert!(!zh.is_ascii(), "{zh}");
        let words = zh.replace(scheme, "");
        assert!(
            latin_words(&words, &["GB", "LPR", grade]).is_empty(),
            "{zh}"
        );
        assert!(!en.contains('元'), "{en}");
    }
    for d in v["eligibility"]["details"].as_array().unwrap() {
        let zh = d["zh"].as_str().unwrap();
        assert!(latin_words(zh, &["LPR"]).is_empty(), "{zh}");
        assert!(d["rule"].as_str().is_some() && d["en"].as_str().is_some());
    }
}

#[test]
fn fund_tables_in_chinese_and_english() {
    let scenario = repo("scenarios/zhongshan-fund.toml");
    let (zh, en) = both(&["fund", "simulate", &scenario, "--paths", "200"]);
    for text in ["年度", "缺口概率", "清算期", "全部存续期", "随机种子"] {
        assert!(zh.contains(text), "{text} missing from\n{zh}");
    }
    assert!(zh.contains("万元") || zh.contains("亿元"), "{zh}");
    for text in ["year", "P(shortfall)", "run-off", "lifetime", "CNY "] {
        assert!(en.contains(text), "{text} missing from\n{en}");
    }
    let (zh, en) = both(&[
        "fund",
        "sweep",
        &scenario,
        "--set",
        "scheme.ratio=0.3,0.5",
        "--paths",
        "100",
    ]);
    assert!(zh.contains("存续期缺口概率") && zh.contains("情景"), "{zh}");
    assert!(en.contains("lifetime P(shortfall)"), "{en}");
}
