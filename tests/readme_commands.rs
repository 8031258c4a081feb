//! Every command of `README.md`, run exactly as written: each ```sh block is one bash script
//! (`set -euo pipefail`) in a scratch directory that sees the repository's `scenarios/` and
//! `models/`, with `ipledge` on the PATH as the binary under test and a `cargo` shim that
//! runs `cargo run --release -- ARGS` as that binary (it is the binary that command builds)
//! and skips `cargo test` (this very suite). Slow (real runs of the shipped scenarios): run
//! by name in CI (`.ci/ignored-tests.list`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The ```sh blocks of the README, in order.
fn sh_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn shims(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = env!("CARGO_BIN_EXE_ipledge");
    std::os::unix::fs::symlink(exe, bin.join("ipledge")).unwrap();
    let cargo = format!(
        "#!/usr/bin/env bash\n\
         if [ \"$1 $2 $3\" = \"run --release --\" ]; then shift 3; exec '{exe}' \"$@\"; fi\n\
         if [ \"$1\" = test ]; then echo 'cargo test: this suite' >&2; exit 0; fi\n\
         echo \"cargo shim: unexpected $*\" >&2; exit 1\n"
    );
    let shim = bin.join("cargo");
    std::fs::write(&shim, cargo).unwrap();
    let mut perms = std::fs::metadata(&shim).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&shim, perms).unwrap();
    bin
}

#[test]
#[ignore = "runs every README command on the shipped scenarios (~1-3 min); CI runs it by name"]
fn every_readme_command_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = sh_blocks(&readme);
    assert!(blocks.len() >= 5, "found {} sh blocks", blocks.len());
    // The two opening commands: a fund report from a shipped scenario, then the tests.
    assert!(
        blocks[0].contains("fund simulate scenarios/"),
        "{}",
        blocks[0]
    );
    assert!(blocks[0].contains("cargo test"), "{}", blocks[0]);
    let dir = tempfile::tempdir().unwrap();
    for sub in ["scenarios", "models"] {
        std::os::unix::fs::symlink(root.join(sub), dir.path().join(sub)).unwrap();
    }
    let bin = shims(dir.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (i, block) in blocks.iter().enumerate() {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\n{block}"))
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README block {i} failed ({}):\n{block}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // What the first command promises: the report it writes.
    let report = std::fs::read_to_string(dir.path().join("yichang.html")).unwrap();
    assert!(report.contains("<svg") && report.contains("What the result says"));
}

#[test]
fn the_readme_opens_with_the_two_commands() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let first = &sh_blocks(&readme)[0];
    let lines: Vec<&str> = first.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "{first}");
    assert!(lines[0].starts_with("cargo run --release -- fund simulate scenarios/"));
    assert_eq!(lines[1].trim(), "cargo test");
    // CI runs the README's test command.
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.lines().any(|l| l.trim() == "cargo test"), "{ci}");
}
