//! The command line against a hostile user: a reader that closes stdout early, absurd
//! `--threads`, commands that read a database which is not there, and logs redirected to a
//! file. Through the real binary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ipledge");

fn ipledge(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("IPLEDGE_DATABASE_URL")
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

/// Runs the binary with its stdout a pipe whose reading end is closed before the command
/// writes anything (as `ipledge … | head -c0` would); returns the exit code and stderr.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env_remove("IPLEDGE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), err)
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let assets = repo("scenarios/samples/portfolio-60.csv");
    let scenario = repo("scenarios/zhongshan-fund.toml");
    let application = repo("scenarios/applications/refer.json");
    let db = format!("sqlite://{}", dir.path().join("keys.db").display());
    let cases: Vec<Vec<&str>> = vec![
        vec!["value", &assets, "--paths", "200"],
        vec!["value", &assets, "--paths", "200", "--format", "table"],
        vec!["score", &application, "--paths", "200", "--format", "table"],
        vec![
            "fund", "simulate", &scenario, "--paths", "100", "--format", "table",
        ],
        vec!["fund", "simulate", &scenario, "--paths", "100"],
        vec!["validate", &scenario],
        vec![
            "keys",
            "create",
            "--tenant",
            "bank-a",
            "--role",
            "bank",
            "--database-url",
            &db,
        ],
    ];
    for args in cases {
        let (code, err) = with_closed_stdout(dir.path(), &args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn threads_out_of_range_is_a_usage_error_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let assets = repo("scenarios/samples/portfolio-60.csv");
    let scenario = repo("scenarios/zhongshan-fund.toml");
    for threads in ["100000", "0", "1025", "-3", "many"] {
        let flag = format!("--threads={threads}");
        for args in [
            vec!["value", assets.as_str(), &flag],
            vec!["fund", "simulate", scenario.as_str(), &flag],
            vec![
                "fund",
                "size",
                scenario.as_str(),
                "--max-shortfall-prob",
                "0.1",
                &flag,
            ],
        ] {
            let start = Instant::now();
            let (code, out, err) = ipledge(dir.path(), &args);
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains("--threads"), "{args:?}: {err}");
            assert!(out.is_empty(), "{args:?}: {out}");
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{args:?} took {:?}",
                start.elapsed()
            );
        }
    }
    let (code, _, err) = ipledge(
        dir.path(),
        &["value", &assets, "--paths", "100", "--threads", "1024"],
    );
    assert_eq!(code, 0, "the bound itself is accepted: {err}");
}

#[test]
fn reading_commands_require_an_existing_database_and_create_none() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = ipledge(dir.path(), &["replay", "app_0123"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("no database at ./ipledge.db") && err.contains("--database-url"),
        "{err}"
    );
    let (code, _, err) = ipledge(dir.path(), &["keys", "revoke", "key_0123"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no database at ./ipledge.db"), "{err}");
    let elsewhere = dir.path().join("sub/other.db");
    let url = format!("sqlite://{}", elsewhere.display());
    let (code, _, err) = ipledge(dir.path(), &["replay", "app_0123", "--database-url", &url]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&elsewhere.display().to_string()), "{err}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(names.is_empty(), "nothing created: {names:?}");
}

#[test]
fn keys_create_names_the_database_it_creates_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let create = ["keys", "create", "--tenant", "bank-a", "--role", "bank"];
    let (code, out, err) = ipledge(dir.path(), &create);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("created database ./ipledge.db"), "{err}");
    assert!(out.trim().len() > 20, "the secret: {out}");
    assert!(dir.path().join("ipledge.db").is_file());
    let (code, _, err) = ipledge(dir.path(), &create);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("created database"), "{err}");
    // Now the reading commands find it: an unknown key or application is a usage error about
    // that id, not about the database.
    let (code, _, err) = ipledge(dir.path(), &["keys", "revoke", "key_0123"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no active api key"), "{err}");
    let (code, _, err) = ipledge(dir.path(), &["replay", "app_0123"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no application app_0123"), "{err}");
}

#[test]
fn serve_logs_carry_no_colour_codes_when_stderr_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let log = dir.path().join(format!("serve-{format}.log"));
        let mut child = Command::new(BIN)
            .current_dir(dir.path())
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--database-url",
                &format!("sqlite://{}", dir.path().join("serve.db").display()),
                "--log-format",
                format,
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start ipledge serve");
        let deadline = Instant::now() + Duration::from_secs(60);
        let text = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("INFO") {
                break text;
            }
            assert!(Instant::now() < deadline, "no log line: {text}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let _ = child.kill();
        let _ = child.wait();
        assert!(!text.contains('\u{1b}'), "{format}: {text:?}");
    }
}
