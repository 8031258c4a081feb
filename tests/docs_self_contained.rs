//! The repository documents itself: a user who clones it alone finds everything in `docs/`.
//!
//! * No user-facing file (sources, models, scenarios, docs, benches, `README.md`,
//!   `ARCHITECTURE.md`) points at documents outside the repository.
//! * Every relative Markdown link of `docs/*.md`, `README.md` and `ARCHITECTURE.md` resolves,
//!   anchors included.
//! * Every scheme preset is named in `docs/schemes.md`; every key a preset or a shipped scenario
//!   uses is documented on its page; the complete example of `docs/scenario-format.md`
//!   validates; every API route and every CLI subcommand and flag is documented.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Strings that point outside the repository (written in pieces so this file does not match).
const FORBIDDEN: [&str; 4] = [
    concat!("SPEC", ".md"),
    concat!("SPEC ", "§"),
    concat!("SOURCES", ".md"),
    concat!("..", "/shared"),
];

/// Directories and files whose text users read.
const SCANNED_DIRS: [&str; 5] = ["src", "models", "scenarios", "docs", "benches"];
const SCANNED_FILES: [&str; 2] = ["README.md", "ARCHITECTURE.md"];

/// Markdown files whose relative links must resolve (besides `docs/*.md`).
const LINKED_FILES: [&str; 2] = ["README.md", "ARCHITECTURE.md"];

/// Scenario keys whose children are data (weight tables), not keys.
const MAP_KEYS: [&str; 4] = ["industry", "bank", "tenor_months", "grades"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `path` relative to the repository root, with `/` separators.
fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .expect("inside the repository")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `file:line: string` for every forbidden string in `text`.
fn forbidden_mentions(file: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for f in FORBIDDEN {
            if line.contains(f) {
                out.push(format!("{file}:{}: `{f}` in {}", i + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn the_scan_catches_a_forbidden_mention() {
    for f in FORBIDDEN {
        let text = format!("fine\n// see {f} for this\n");
        assert_eq!(forbidden_mentions("x.rs", &text).len(), 1, "{f}");
    }
    assert!(forbidden_mentions("x.rs", "// docs/models.md\n").is_empty());
}

#[test]
fn no_file_points_outside_the_repository() {
    let mut files: Vec<PathBuf> = SCANNED_DIRS
        .iter()
        .flat_map(|d| files_under(&root().join(d)))
        .collect();
    files.extend(SCANNED_FILES.iter().map(|f| root().join(f)));
    let mut problems = Vec::new();
    let mut scanned = 0;
    for path in &files {
        let rel = relative(path);
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        problems.extend(forbidden_mentions(&rel, &String::from_utf8_lossy(&bytes)));
        scanned += 1;
    }
    assert!(scanned > 50, "only {scanned} files scanned");
    assert!(
        problems.is_empty(),
        "these lines point outside the repository; point them at the right docs/ page:\n{}",
        problems.join("\n")
    );
}

/// A Markdown text with the lines of fenced code blocks blanked (line numbers kept).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `text` with the content of its inline code spans (which may cross lines) blanked,
/// newlines kept.
fn without_code(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, s)| {
            if i % 2 == 0 {
                s.to_string()
            } else {
                s.chars().map(|c| if c == '\n' { c } else { ' ' }).collect()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings.
fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

/// `(line, target)` of every link `[text](target)` outside code.
fn links(text: &str) -> Vec<(usize, String)> {
    let plain = without_code(&prose(text));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = plain[from..].find("](") {
        let start = from + at + 2;
        let Some(len) = plain[start..].find(')') else {
            break;
        };
        let line = plain[..start].matches('\n').count() + 1;
        out.push((line, plain[start..start + len].trim().to_string()));
        from = start + len;
    }
    out
}

#[test]
fn relative_markdown_links_resolve() {
    let mut pages: Vec<String> = files_under(&root().join("docs"))
        .iter()
        .map(|p| relative(p))
        .filter(|p| p.ends_with(".md"))
        .collect();
    assert!(pages.len() >= 6, "docs/ has {pages:?}");
    pages.extend(LINKED_FILES.iter().map(|f| f.to_string()));
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = read(page);
        let dir = root()
            .join(page)
            .parent()
            .expect("a directory")
            .to_path_buf();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (file, anchor) = target.split_once('#').unwrap_or((target.as_str(), ""));
            let resolved = if file.is_empty() {
                root().join(page)
            } else {
                dir.join(file)
            };
            if !resolved.exists() {
                problems.push(format!("{page}:{line}: `{target}`: no such file"));
                continue;
            }
            if !anchor.is_empty() && resolved.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&resolved).expect("readable");
                if !anchors(&text).contains(anchor) {
                    problems.push(format!("{page}:{line}: `{target}`: no such heading"));
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} links checked");
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_link_checker_sees_links_and_headings() {
    let text = "# The loans file (`book.loans_file`)\n[a](x.md#y) `[b](not-a-link)`\n```\n[c](code)\n```\n";
    assert_eq!(links(text), vec![(2, "x.md#y".to_string())]);
    assert!(anchors(text).contains("the-loans-file-bookloans_file"));
    assert_eq!(
        slug("Income approach (relief from royalty) Monte Carlo"),
        "income-approach-relief-from-royalty-monte-carlo"
    );
}

/// The words of a Markdown page's inline code spans (identifier-like tokens).
fn documented_words(page: &str) -> BTreeSet<String> {
    prose(&read(page))
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| span.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every key name in `value` (all levels), as `path` → name; children of `MAP_KEYS` tables are
/// data, not keys, when `skip_maps`.
fn keys(value: &toml::Value, path: &str, skip_maps: bool, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push((p.clone(), k.clone()));
                if !(skip_maps && MAP_KEYS.contains(&k.as_str())) {
                    keys(v, &p, skip_maps, out);
                }
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                keys(item, path, skip_maps, out);
            }
        }
        _ => {}
    }
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn parse_toml(path: &Path) -> toml::Value {
    let text = std::fs::read_to_string(path).expect("readable");
    toml::Value::Table(
        text.parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

#[test]
fn every_scheme_preset_is_named_in_schemes_md() {
    let page = read("docs/schemes.md");
    let presets = toml_files("scenarios/schemes");
    assert!(presets.len() >= 10, "{presets:?}");
    let missing: Vec<String> = presets
        .iter()
        .map(|p| {
            p.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !page.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "presets not named in docs/schemes.md: {missing:?}"
    );
}

#[test]
fn every_key_of_a_scheme_preset_is_documented() {
    let words = documented_words("docs/schemes.md");
    let mut missing = BTreeSet::new();
    for file in toml_files("scenarios/schemes") {
        let mut found = Vec::new();
        keys(&parse_toml(&file), "", false, &mut found);
        assert!(!found.is_empty());
        for (path, key) in found {
            if !words.contains(&key) {
                missing.insert(format!("{}: {path}", relative(&file)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "scheme keys not documented in docs/schemes.md: {missing:?}"
    );
}

#[test]
fn every_key_of_a_shipped_scenario_is_documented() {
    let scenario_words = documented_words("docs/scenario-format.md");
    let scheme_words = documented_words("docs/schemes.md");
    let mut missing = BTreeSet::new();
    let files = toml_files("scenarios");
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let mut found = Vec::new();
        keys(&parse_toml(&file), "", true, &mut found);
        for (path, key) in found {
            let (page, words) = if path.starts_with("scheme.") {
                ("docs/schemes.md", &scheme_words)
            } else {
                ("docs/scenario-format.md", &scenario_words)
            };
            if !words.contains(&key) {
                missing.insert(format!("{}: {path} (in {page})", relative(&file)));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "scenario keys not documented: {missing:?}"
    );
}

/// The first fenced block of `lang` after the heading line `heading`.
fn fenced_block(text: &str, heading: &str, lang: &str) -> String {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no heading {heading}"));
    let open = format!("```{lang}\n");
    let from = start + text[start..].find(&open).expect("a fenced block") + open.len();
    let len = text[from..].find("```").expect("a closing fence");
    text[from..from + len].to_string()
}

struct DocFiles {
    loans_csv: String,
}

impl ipledge::scenario::Resolver for DocFiles {
    fn read(&self, relative: &str) -> Result<String, String> {
        match relative {
            "loans.csv" => Ok(self.loans_csv.clone()),
            other => Err(format!("the docs example has no file `{other}`")),
        }
    }
}

#[test]
fn the_complete_scenario_example_validates() {
    let page = read("docs/scenario-format.md");
    let scenario = fenced_block(&page, "## A complete example", "toml");
    let loans_csv = fenced_block(&page, "### The loans file", "csv");
    let s = ipledge::scenario::Scenario::from_toml_str(&scenario, &DocFiles { loans_csv })
        .unwrap_or_else(|e| panic!("the example of docs/scenario-format.md is invalid:\n{e}"));
    assert_eq!(s.book.loans.len(), 2);
    assert_eq!(s.horizon_years, 3);
    // Every key the format page documents in its tables is used by the example or a shipped
    // scenario, so the example stays complete.
    let mut used = Vec::new();
    keys(
        &toml::Value::Table(scenario.parse().expect("toml")),
        "",
        true,
        &mut used,
    );
    let used: BTreeSet<String> = used.into_iter().map(|(_, k)| k).collect();
    for key in [
        "valuation_fee_rate",
        "insurance_premium_rate",
        "repayment",
        "annual_rate",
        "pd_multiplier",
        "lpr_1y",
        "paid_from",
        "loans_file",
        "levels",
        "grades",
    ] {
        assert!(used.contains(key), "the example does not use `{key}`");
    }
}

#[test]
fn every_api_route_is_documented() {
    let page = read("docs/api.md");
    let mut routes = Vec::new();
    for file in ["src/api/mod.rs", "src/api/routes/mod.rs"] {
        let text = read(file);
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(\"") {
            let after = &rest[at + 8..];
            let end = after.find('"').expect("a closing quote");
            routes.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    assert!(routes.len() >= 10, "{routes:?}");
    let missing: Vec<&String> = routes
        .iter()
        .filter(|r| !page.contains(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "routes not documented in docs/api.md: {missing:?}"
    );
}

#[cfg(feature = "cli")]
#[test]
fn every_cli_subcommand_and_flag_is_documented() {
    use clap::CommandFactory;

    fn walk(cmd: &clap::Command, prefix: &str, page: &str, missing: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{prefix} {}", sub.get_name());
            if !page.contains(&format!("`{name}")) {
                missing.push(name.clone());
            }
            for arg in sub.get_arguments() {
                if let Some(long) = arg.get_long() {
                    if !matches!(long, "help" | "version") && !page.contains(&format!("--{long}")) {
                        missing.push(format!("{name} --{long}"));
                    }
                }
            }
            walk(sub, &name, page, missing);
        }
    }

    let page = read("docs/cli.md");
    let mut missing = Vec::new();
    walk(
        &ipledge::cli::Cli::command(),
        "ipledge",
        &page,
        &mut missing,
    );
    assert!(
        missing.is_empty(),
        "not documented in docs/cli.md: {missing:?}"
    );
}
