//! The deploy entrypoints (`deploy/shard.sh`, `deploy/merge.sh`) run exactly as the schedulers
//! run them, and the promises the `Dockerfile` makes to the Kubernetes and Slurm files.
//!
//! * Kubernetes (`JOB_COMPLETION_INDEX` 0..N-1) and Slurm (`deploy/slurm-array.sh` per array
//!   task, with a stand-in `sbatch` that records the merge it is asked to submit) each shard a
//!   shipped scenario; their merge equals the unsharded `fund simulate --out` byte for byte.
//! * Every scheduler's index maps to the intended `--shard I/N`; the Slurm array's first task,
//!   wherever the array starts, submits the merge, once; every bad setting is refused with
//!   exit 2 before anything runs or is written; a failed shard leaves no part.
//! * The image installs the entrypoints under the names the Kubernetes files invoke, as a
//!   non-root user, with everything the crate embeds in the build stage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ipledge::rng::BATCH_PATHS;

/// A shipped scenario that names its scheme preset relative to itself, as the image's do.
const SCENARIO: &str = "scenarios/zhongshan-fund.toml";
/// Three full batches and a partial one, so that the three shards hold different batches.
const PATHS: u64 = 3 * BATCH_PATHS + BATCH_PATHS / 2;
/// The shard count the runs below set (`SHARDS=3`, a Slurm array of 3 tasks).
const SHARDS: u32 = 3;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `program args` in `dir` with only PATH and `env` set: no variable of the machine running the
/// tests (a CI job inside Slurm or Kubernetes has the very variables read here) leaks in.
fn run(program: &str, args: &[&Path], dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The settings every shard of one run shares, as the Kubernetes Job and the Slurm script
/// pass them.
fn run_env<'a>(scenario: &'a str, paths: &'a str, parts: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("SHARDS", "3"),
        ("SCENARIO", scenario),
        ("PATHS", paths),
        ("SEED", "7"),
        ("PARTS", parts),
        ("IPLEDGE", env!("CARGO_BIN_EXE_ipledge")),
    ]
}

/// The unsharded run's `--out` file, computed once for the tests that compare with it.
fn whole_run() -> &'static [u8] {
    static WHOLE: OnceLock<Vec<u8>> = OnceLock::new();
    WHOLE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ipledge"))
            .current_dir(root())
            .args(["fund", "simulate", SCENARIO, "--seed", "7"])
            .args(["--paths", &PATHS.to_string()])
            .arg("--out")
            .arg(dir.path().join("whole.json"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read(dir.path().join("whole.json")).unwrap()
    })
}

/// Asserts that `parts` holds the three finished parts and nothing else (no temporary part),
/// each from different batches.
fn assert_finished_parts(parts: &Path) {
    let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(parts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, ["part-1.json", "part-2.json", "part-3.json"]);
    let contents: Vec<&Vec<u8>> = files.values().collect();
    assert!(contents[0] != contents[1] && contents[1] != contents[2]);
}

#[test]
fn kubernetes_indexed_job_shards_merge_to_the_unsharded_result() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join(SCENARIO).display().to_string();
    let parts = dir.path().join("parts").display().to_string();
    let paths = PATHS.to_string();
    // Pods run in any order; the index is 0-based.
    for index in (0..SHARDS).rev() {
        let index = index.to_string();
        let mut env = run_env(&scenario, &paths, &parts);
        env.push(("JOB_COMPLETION_INDEX", &index));
        let out = run("sh", &[&root().join("deploy/shard.sh")], dir.path(), &env);
        assert!(out.status.success(), "index {index}: {}", stderr(&out));
    }
    assert_finished_parts(Path::new(&parts));
    // The merge Job.
    let env = [
        ("PARTS", parts.as_str()),
        ("IPLEDGE", env!("CARGO_BIN_EXE_ipledge")),
    ];
    let out = run("sh", &[&root().join("deploy/merge.sh")], dir.path(), &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let merged = std::fs::read(dir.path().join("parts/result.json")).unwrap();
    assert!(
        merged == whole_run(),
        "the merge differs from the unsharded run"
    );
    let report = std::fs::read_to_string(dir.path().join("parts/report.html")).unwrap();
    assert!(report.contains("<svg"));
}

/// A stand-in `sbatch` in `dir/bin` that appends its arguments, one per line, to
/// `dir/sbatch.log` (it submits nothing).
fn fake_sbatch(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("sbatch.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\necho 'Submitted batch job 4243'\n",
        log.display()
    );
    executable(&bin.join("sbatch"), &script);
    bin
}

fn executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(path, perms).unwrap();
}

#[test]
fn slurm_array_tasks_merge_to_the_unsharded_result() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_sbatch(dir.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let submit_dir = root().display().to_string();
    let parts = dir.path().join("parts").display().to_string();
    let paths = PATHS.to_string();
    // What Slurm sets for `sbatch --array=1-3 --cpus-per-task=2` submitted from the
    // repository root; the scenario is relative to that directory, as in the script's default.
    let slurm = [
        ("SLURM_ARRAY_JOB_ID", "4242"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "3"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
        ("SLURM_CPUS_PER_TASK", "2"),
        ("SLURM_SUBMIT_DIR", submit_dir.as_str()),
        ("SCENARIO", SCENARIO),
        ("PATHS", paths.as_str()),
        ("SEED", "7"),
        ("PARTS", parts.as_str()),
        ("IPLEDGE", env!("CARGO_BIN_EXE_ipledge")),
        ("PATH", path.as_str()),
    ];
    for task in 1..=SHARDS {
        let task = task.to_string();
        let mut env = slurm.to_vec();
        env.push(("SLURM_ARRAY_TASK_ID", &task));
        let out = run(
            "bash",
            &[&root().join("deploy/slurm-array.sh")],
            &root(),
            &env,
        );
        assert!(out.status.success(), "task {task}: {}", stderr(&out));
    }
    assert_finished_parts(Path::new(&parts));
    // Exactly one merge was submitted, by the first task, to run after the whole array.
    let log = std::fs::read_to_string(dir.path().join("sbatch.log")).unwrap();
    let args: Vec<&str> = log.lines().collect();
    assert!(args.contains(&"--dependency=afterok:4242"), "{log}");
    let wrap: Vec<&str> = args.iter().filter(|a| **a == "--wrap").copied().collect();
    assert_eq!(wrap.len(), 1, "one submission: {log}");
    let command = args[args.iter().position(|a| *a == "--wrap").unwrap() + 1];
    // The merge job: the submitted command, in the environment sbatch exports to it.
    let out = Command::new("sh")
        .args(["-c", command])
        .current_dir(root())
        .env_clear()
        .envs(slurm)
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {}", stderr(&out));
    let merged = std::fs::read(dir.path().join("parts/result.json")).unwrap();
    assert!(
        merged == whole_run(),
        "the merge differs from the unsharded run"
    );
}

/// A stand-in for the binary that records its arguments in `$ARGS_FILE` and writes its `--out`
/// file, so that the index arithmetic is checked without simulating.
fn fake_ipledge(dir: &Path) -> PathBuf {
    let path = dir.join("fake-ipledge");
    executable(
        &path,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$ARGS_FILE\"\n\
         while [ $# -gt 0 ]; do [ \"$1\" = --out ] && echo '{}' > \"$2\"; shift; done\n",
    );
    path
}

/// `deploy/shard.sh` with the fake binary and `env`: its exit code, stderr, the arguments the
/// binary got (empty if it did not run) and the files left in the parts directory.
fn shard_with_fake(env: &[(&str, &str)]) -> (i32, String, Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_ipledge(dir.path()).display().to_string();
    let args_file = dir.path().join("args").display().to_string();
    let mut all = vec![
        ("IPLEDGE", fake.as_str()),
        ("ARGS_FILE", args_file.as_str()),
        ("PARTS", "parts"),
    ];
    all.extend_from_slice(env);
    let out = run("sh", &[&root().join("deploy/shard.sh")], dir.path(), &all);
    let args = std::fs::read_to_string(&args_file)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let files = std::fs::read_dir(dir.path().join("parts"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    (out.status.code().unwrap_or(-1), stderr(&out), args, files)
}

/// Variables set for one run of a script: (name, value).
type Vars = &'static [(&'static str, &'static str)];

/// The value following `flag` in `args`.
fn flag<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args.iter().position(|a| a == flag);
    at.map_or("", |i| args[i + 1].as_str())
}

#[test]
fn each_scheduler_index_maps_to_its_one_based_shard() {
    let base = [("SHARDS", "3"), ("SCENARIO", "s.toml")];
    let cases: [(Vars, &str, &str); 8] = [
        (&[("JOB_COMPLETION_INDEX", "0")], "1/3", "1"),
        (
            &[("JOB_COMPLETION_INDEX", "2"), ("THREADS", "4")],
            "3/3",
            "4",
        ),
        // A Slurm array 1-3, with and without the bounds Slurm sets.
        (&[("SLURM_ARRAY_TASK_ID", "3")], "3/3", "1"),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "3"),
                ("SLURM_CPUS_PER_TASK", "8"),
            ],
            "1/3",
            "8",
        ),
        // --array=0-2 and --array=5-7: the array's first task is shard 1.
        (
            &[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "0")],
            "1/3",
            "1",
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "7"),
                ("SLURM_ARRAY_TASK_MIN", "5"),
                ("SLURM_CPUS_PER_TASK", "8"),
                ("THREADS", "2"),
            ],
            "3/3",
            "2",
        ),
        (&[("SHARD_INDEX", "2")], "2/3", "1"),
        // Leading zeros are decimal, not octal.
        (&[("SHARD_INDEX", "03")], "3/3", "1"),
    ];
    for (env, shard, threads) in cases {
        let mut all = base.to_vec();
        all.extend_from_slice(env);
        let (code, err, args, files) = shard_with_fake(&all);
        assert_eq!(code, 0, "{env:?}: {err}");
        assert_eq!(args[..3], ["fund", "simulate", "s.toml"], "{env:?}");
        assert_eq!(flag(&args, "--shard"), shard, "{env:?}");
        assert_eq!(flag(&args, "--threads"), threads, "{env:?}");
        let index = shard.split('/').next().unwrap();
        assert_eq!(flag(&args, "--out"), format!("parts/part-{index}.json.tmp"));
        assert_eq!(files, [format!("part-{index}.json")], "{env:?}");
    }
}

#[test]
fn the_first_task_of_a_slurm_array_submits_the_merge_whatever_the_array_start() {
    // --array=5-7: tasks 5, 6, 7 are shards 1, 2, 3; only task 5 submits the merge.
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_sbatch(dir.path());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let fake = fake_ipledge(dir.path()).display().to_string();
    let args_file = dir.path().join("args").display().to_string();
    let submit_dir = root().display().to_string();
    let parts = dir.path().join("parts").display().to_string();
    for (task, submissions) in [("7", 0), ("6", 0), ("5", 1)] {
        let env = [
            ("SLURM_ARRAY_JOB_ID", "4242"),
            ("SLURM_ARRAY_TASK_ID", task),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_SUBMIT_DIR", submit_dir.as_str()),
            ("PARTS", parts.as_str()),
            ("IPLEDGE", fake.as_str()),
            ("ARGS_FILE", args_file.as_str()),
            ("PATH", path.as_str()),
        ];
        let out = run(
            "bash",
            &[&root().join("deploy/slurm-array.sh")],
            &root(),
            &env,
        );
        assert!(out.status.success(), "task {task}: {}", stderr(&out));
        let log = std::fs::read_to_string(dir.path().join("sbatch.log")).unwrap_or_default();
        assert_eq!(
            log.matches("--wrap").count(),
            submissions,
            "task {task}: {log}"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["part-1.json", "part-2.json", "part-3.json"]);
}

#[test]
fn bad_settings_are_refused_with_exit_2_before_anything_runs() {
    let cases: [(Vars, &str); 12] = [
        (&[("SCENARIO", "s.toml"), ("SHARDS", "3")], "no shard index"),
        (
            &[("SCENARIO", "s.toml"), ("JOB_COMPLETION_INDEX", "0")],
            "SHARDS",
        ),
        (
            &[("SCENARIO", "s.toml"), ("SHARDS", ""), ("SHARD_INDEX", "1")],
            "SHARDS",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "three"),
                ("SHARD_INDEX", "1"),
            ],
            "SHARDS='three'",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("JOB_COMPLETION_INDEX", "3"),
            ],
            "outside 1..3",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("SLURM_ARRAY_TASK_ID", "4"),
            ],
            "outside 1..3",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("SHARD_INDEX", "0"),
            ],
            "outside 1..3",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("JOB_COMPLETION_INDEX", "-1"),
            ],
            "JOB_COMPLETION_INDEX='-1'",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("JOB_COMPLETION_INDEX", "0"),
                ("SHARD_INDEX", "1"),
            ],
            "more than one shard index",
        ),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "4 tasks but SHARDS=3",
        ),
        (&[("SHARDS", "3"), ("SHARD_INDEX", "1")], "SCENARIO"),
        (
            &[
                ("SCENARIO", "s.toml"),
                ("SHARDS", "3"),
                ("SHARD_INDEX", "1"),
                ("THREADS", "0"),
            ],
            "THREADS",
        ),
    ];
    for (env, message) in cases {
        let (code, err, args, files) = shard_with_fake(env);
        assert_eq!(code, 2, "{env:?}: {err}");
        assert!(err.contains(message), "{env:?}: `{message}` not in: {err}");
        assert!(args.is_empty(), "{env:?}: the binary ran: {args:?}");
        assert!(files.is_empty(), "{env:?}: wrote {files:?}");
    }
}

#[test]
fn a_failed_shard_leaves_no_part_and_an_empty_merge_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SHARDS", "2"),
        ("SHARD_INDEX", "1"),
        ("SCENARIO", "no-such-scenario.toml"),
        ("PARTS", "parts"),
        ("IPLEDGE", env!("CARGO_BIN_EXE_ipledge")),
    ];
    let out = run("sh", &[&root().join("deploy/shard.sh")], dir.path(), &env);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no part written"), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("parts"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let out = run("sh", &[&root().join("deploy/merge.sh")], dir.path(), &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no part files"), "{}", stderr(&out));
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped, split into its
/// stages: `(INSTRUCTION, arguments)` per stage.
fn dockerfile_stages() -> Vec<Vec<(String, String)>> {
    let text = read("Dockerfile");
    let mut joined = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        match line.strip_suffix('\\') {
            Some(head) => joined.push_str(head),
            None => {
                joined.push_str(line);
                joined.push('\n');
            }
        }
    }
    let mut stages: Vec<Vec<(String, String)>> = Vec::new();
    for line in joined.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let keyword = keyword.to_uppercase();
        if keyword == "FROM" {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push((keyword, rest.trim().to_string()));
        }
    }
    stages
}

/// `COPY` instructions of a stage as (destination, sources, options such as `--from=`).
fn copies(stage: &[(String, String)]) -> Vec<(String, Vec<String>, Vec<String>)> {
    stage
        .iter()
        .filter(|(k, _)| k == "COPY")
        .map(|(_, rest)| {
            let (options, mut paths): (Vec<String>, Vec<String>) = rest
                .split_whitespace()
                .map(str::to_string)
                .partition(|w| w.starts_with("--"));
            let destination = paths.pop().expect("a destination");
            (destination, paths, options)
        })
        .collect()
}

/// The first list item of the `command:` of a Kubernetes manifest's container.
fn k8s_command(file: &str) -> String {
    let text = read(file);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("command:"))
        .unwrap_or_else(|| panic!("{file}: no command"));
    let list = line.split_once('[').expect("command: [...]").1;
    list.split([',', ']'])
        .next()
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_string()
}

#[test]
fn the_image_installs_what_the_kubernetes_and_slurm_files_invoke() {
    let stages = dockerfile_stages();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&stages[0], &stages[1]);
    assert!(
        build
            .iter()
            .any(|(k, r)| k == "RUN" && r.contains("cargo build --release --locked")),
        "{build:?}"
    );

    // Runs as a user that is not root, set in the runtime stage.
    let user = &runtime.iter().rfind(|(k, _)| k == "USER").expect("USER").1;
    let uid = user.split(':').next().unwrap();
    assert!(!matches!(uid, "root" | "0" | ""), "USER {user}");
    // ... the one the Kubernetes pods run as.
    for file in ["deploy/k8s-indexed-job.yaml", "deploy/k8s-merge-job.yaml"] {
        assert!(
            read(file).contains(&format!("runAsUser: {uid}")),
            "{file}: not runAsUser {uid}"
        );
    }
    let entrypoint = &runtime.iter().rfind(|(k, _)| k == "ENTRYPOINT").unwrap().1;
    assert_eq!(entrypoint, r#"["ipledge"]"#);

    // The installed files: the binary from the build stage, the entrypoints, the scenarios.
    let installed: BTreeMap<String, String> = copies(runtime)
        .into_iter()
        .map(|(dest, sources, options)| {
            assert_eq!(sources.len(), 1, "{dest}: {sources:?}");
            let from = options.iter().find_map(|o| o.strip_prefix("--from="));
            let source = match from {
                Some(stage) => format!("{stage}:{}", sources[0]),
                None => sources[0].clone(),
            };
            (dest, source)
        })
        .collect();
    assert_eq!(
        installed["/usr/local/bin/ipledge"],
        "build:/usr/local/bin/ipledge"
    );
    assert_eq!(installed["/scenarios"], "scenarios");
    for (manifest, script) in [
        ("deploy/k8s-indexed-job.yaml", "deploy/shard.sh"),
        ("deploy/k8s-merge-job.yaml", "deploy/merge.sh"),
    ] {
        let command = k8s_command(manifest);
        let installed_as = format!("/usr/local/bin/{command}");
        assert_eq!(
            installed.get(&installed_as).map(String::as_str),
            Some(script),
            "{manifest} runs `{command}`, which the image must install from {script}"
        );
        assert!(read(script).starts_with("#!/bin/sh\n"), "{script}");
    }
    // The Slurm array runs the very same files.
    let slurm = read("deploy/slurm-array.sh");
    assert!(slurm.contains("/shard.sh\"") && slurm.contains("/merge.sh\""));
    // The scenario the shards run is in the image.
    let job = read("deploy/k8s-indexed-job.yaml");
    let scenario = job
        .lines()
        .skip_while(|l| !l.contains("name: SCENARIO"))
        .nth(1)
        .and_then(|l| l.trim().strip_prefix("value: /scenarios/"))
        .expect("SCENARIO: /scenarios/...");
    assert!(
        root().join("scenarios").join(scenario).is_file(),
        "{scenario}"
    );
    // One image name in both Jobs.
    let image = |file: &str| {
        read(file)
            .lines()
            .find_map(|l| l.trim().strip_prefix("image: ").map(str::to_string))
            .unwrap()
    };
    assert_eq!(
        image("deploy/k8s-indexed-job.yaml"),
        image("deploy/k8s-merge-job.yaml")
    );
}

/// The repository-relative top-level directory of every file the crate embeds with
/// `include_str!`/`include_bytes!`.
fn embedded_dirs() -> Vec<String> {
    let mut dirs = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for macro_call in ["include_str!(\"", "include_bytes!(\""] {
                for (at, _) in text.match_indices(macro_call) {
                    let literal = &text[at + macro_call.len()..];
                    let literal = &literal[..literal.find('"').unwrap()];
                    let file = std::fs::canonicalize(dir.join(literal))
                        .unwrap_or_else(|e| panic!("{}: {literal}: {e}", path.display()));
                    let relative = file.strip_prefix(root().canonicalize().unwrap()).unwrap();
                    let top = relative.components().next().unwrap();
                    dirs.push(top.as_os_str().to_string_lossy().into_owned());
                }
            }
        }
    }
    dirs.sort();
    dirs.dedup();
    dirs
}

#[test]
fn the_build_stage_copies_everything_the_crate_compiles() {
    let stages = dockerfile_stages();
    let copied: Vec<String> = copies(&stages[0])
        .into_iter()
        .flat_map(|(_, sources, _)| sources)
        .collect();
    let mut needed = embedded_dirs();
    assert!(needed.contains(&"models".to_string()), "{needed:?}");
    // The manifest and lock file, the benches the manifest names, sqlx's `migrate!()`.
    needed.extend(["Cargo.toml", "Cargo.lock", "benches", "migrations"].map(String::from));
    let missing: Vec<&String> = needed.iter().filter(|n| !copied.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "the build stage does not copy {missing:?}"
    );
    let ignored = read(".dockerignore");
    assert!(ignored.lines().any(|l| l.trim() == "target"), "{ignored}");
}
