//! The command-line front door (feature `cli`): parses arguments, reads files, calls the
//! engine, prints JSON or tables, and maps every error to an exit code in one place
//! ([`main`]): 0 ok, 2 bad input, 1 internal.
//!
//! Must stay thin: no model logic here, only translation between files/flags and engine calls.
//! `--format json` prints exactly one JSON document on stdout; progress and logs go to stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[cfg(feature = "server")]
pub mod backtest;
pub mod fund;
pub mod fund_decide;
pub mod fund_tools;
pub mod score;
#[cfg(feature = "server")]
pub mod serve;
pub mod value;

use crate::input::InputErrors;
use crate::model::{Model, ModelError};

/// IP pledge financing engine: value pledged IP, score loan applications, simulate
/// risk-compensation funds.
#[derive(Debug, Parser)]
#[command(name = "ipledge", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Value a pledged IP portfolio (assets.json or assets.csv): income-approach Monte Carlo,
    /// liquidation value, CNIPA high-value verdicts and indicator scores.
    Value(value::ValueArgs),
    /// Score a loan application: PD, LGD, EL, capital, limit, eligibility, decision.
    Score(score::ScoreArgs),
    /// Risk-compensation fund simulation.
    Fund {
        #[command(subcommand)]
        command: fund::FundCommand,
    },
    /// Check any input file (assets, application, scenario, scheme, model) and report every
    /// bad field with its path.
    Validate {
        /// The file to check.
        file: PathBuf,
    },
    /// Run the HTTP API (docs/api.md) until SIGTERM or ctrl-c.
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
    /// Score a stored application again from its stored input, seed, paths and model and
    /// check the result is identical (exit 0) or not (exit 1).
    #[cfg(feature = "server")]
    Replay(serve::ReplayArgs),
    /// Backtest the scored applications of a database against their reported outcomes: PD
    /// calibration by grade, discrimination, realised LGD, stability (same JSON as
    /// `GET /v1/backtests`).
    #[cfg(feature = "server")]
    Backtest(backtest::BacktestArgs),
    /// Create or revoke API keys.
    #[cfg(feature = "server")]
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: serve::KeysCommand,
    },
}

/// Output format of a command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON document on stdout.
    #[default]
    Json,
    /// A human-readable table.
    Table,
}

/// Everything that can stop a command, with its exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// An input file has bad fields (exit 2).
    #[error("{file}: invalid input\n{errors}")]
    BadInput {
        /// The file (or flag) the input came from.
        file: String,
        /// Every bad field.
        errors: InputErrors,
    },
    /// A file could not be read (exit 2: the user named it).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An output file could not be written (exit 2: the user named it).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A bad flag value (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Anything else (exit 1).
    #[error("internal error: {0}")]
    Internal(String),
    /// Standard output was closed by its reader (`ipledge … | head`): the command stops
    /// quietly, without a message, and exits 0 (see [`main`]).
    #[error("standard output closed")]
    StdoutClosed,
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::BadInput { .. }
            | CliError::Read { .. }
            | CliError::Write { .. }
            | CliError::Usage(_) => 2,
            CliError::Internal(_) => 1,
            CliError::StdoutClosed => 0,
        }
    }

    /// Wraps input errors found in `file`.
    pub fn bad_input(file: &Path, errors: InputErrors) -> Self {
        CliError::BadInput {
            file: file.display().to_string(),
            errors,
        }
    }
}

impl From<ModelError> for CliError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::Io { path, source } => CliError::Read { path, source },
            ModelError::Invalid(errors) => CliError::BadInput {
                file: "model".to_string(),
                errors,
            },
        }
    }
}

/// Reads a whole text file, mapping failure to exit 2.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The model named by `--model`, or the embedded default.
pub fn load_model(path: Option<&Path>) -> Result<Model, CliError> {
    match path {
        Some(p) => Ok(Model::from_file(p)?),
        None => Ok(Model::embedded_default()),
    }
}

/// Prints one JSON document on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Internal(e.to_string()))?;
    print_out(&text)
}

/// Writes `text` and a newline on stdout: every command's output goes through here. A reader
/// that closed the pipe early (`ipledge … | head`) stops the command quietly
/// ([`CliError::StdoutClosed`], exit 0, no message) instead of the panic of `println!`; any
/// other write error is internal.
pub fn print_out(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => CliError::StdoutClosed,
            _ => CliError::Internal(format!("cannot write to standard output: {e}")),
        })
}

/// The most `--threads` a command accepts: far above any machine's cores (a pool that size
/// starts in milliseconds), far below what exhausts the process's threads. Results do not
/// depend on the count.
pub const MAX_THREADS: usize = 1024;

/// Parses `--threads`: a whole number from 1 to [`MAX_THREADS`] (clap reports anything else
/// at once, exit 2).
pub fn parse_threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number of threads"))?;
    if (1..=MAX_THREADS).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be from 1 to {MAX_THREADS}"))
    }
}

/// Tells glibc's allocator to keep freed memory for reuse (up to 128 MiB at the top of a heap)
/// and to serve blocks below 32 MiB from its heaps rather than fresh mappings. With the
/// defaults, every valuation or scoring frees its path samples (a few MB), glibc hands the
/// pages back to the kernel, and the next request faults them in again: about 1 ms of system
/// time per 10,000-path scoring on our 2-core machine, 15 % of the request. Process settings,
/// so the binary sets them (the library never does); a no-op on other C libraries.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes allocator parameters, and this runs before the program
    // starts any other thread.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
    }
}

/// Entry point of the binary: runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    keep_freed_memory();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) | Err(CliError::StdoutClosed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Value(args) => value::run(&args),
        Command::Validate { file } => validate(&file),
        Command::Score(args) => score::run(&args),
        Command::Fund { command } => fund::run(command),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::serve(args),
        #[cfg(feature = "server")]
        Command::Replay(args) => serve::replay(args),
        #[cfg(feature = "server")]
        Command::Keys { action } => serve::keys(action),
        #[cfg(feature = "server")]
        Command::Backtest(args) => backtest::run(&args),
    }
}

/// An asset list, if `file` looks like one: any `.csv`, or JSON whose top level is an array
/// or an object with an `assets` key.
fn asset_list(file: &Path, text: &str) -> Option<Result<Vec<crate::asset::Asset>, InputErrors>> {
    if value::is_csv(file) {
        return Some(crate::asset::parse_csv(text));
    }
    if !file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(_)) => Some(crate::asset::parse_json(text)),
        Ok(serde_json::Value::Object(m)) if m.contains_key("assets") => {
            Some(crate::asset::parse_json(text))
        }
        _ => None,
    }
}

/// `ipledge validate FILE`: recognises the kind of input and checks it.
fn validate(file: &Path) -> Result<(), CliError> {
    let text = read_text(file)?;
    if let Some(assets) = asset_list(file, &text) {
        let assets = assets.map_err(|e| CliError::bad_input(file, e))?;
        return print_out(&format!(
            "{}: valid asset list ({} assets)",
            file.display(),
            assets.len()
        ));
    }
    let is_model = file.extension().is_some_and(|e| e == "toml") && text.contains("[model]");
    if is_model {
        let model =
            Model::from_toml_str(&text, crate::model::ModelOrigin::File(file.to_path_buf()))
                .map_err(|e| CliError::bad_input(file, e))?;
        return print_out(&format!(
            "{}: valid model {} (sha256 {})",
            file.display(),
            model.id(),
            model.sha256()
        ));
    }
    if file.extension().is_some_and(|e| e == "toml") {
        let table: Option<toml::Table> = text.parse().ok();
        let has = |key: &str| table.as_ref().is_some_and(|t| t.contains_key(key));
        if has("scenario") || has("book") {
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
            let scenario =
                crate::scenario::Scenario::from_toml_str(&text, &crate::scenario::DirResolver(dir))
                    .map_err(|e| CliError::bad_input(file, e))?;
            return print_out(&format!(
                "{}: valid scenario {} ({} cohorts, {} explicit loans, scheme {})",
                file.display(),
                scenario.name,
                scenario.book.cohorts.len(),
                scenario.book.loans.len(),
                scenario.scheme.name
            ));
        }
        let scheme_keys = ["ratio", "band", "layer", "loss_split", "eu_cap", "trigger"];
        if scheme_keys.iter().any(|k| has(k)) {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let scheme = crate::scheme::Scheme::from_toml_str(&text, &stem)
                .map_err(|e| CliError::bad_input(file, e))?;
            return print_out(&format!("{}: valid scheme {}", file.display(), scheme.name));
        }
    }
    let json: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let is_application = json
        .as_ref()
        .and_then(serde_json::Value::as_object)
        .is_some_and(|o| o.contains_key("borrower") || o.contains_key("loan"));
    if is_application {
        let app = crate::credit::application::Application::from_json(&text)
            .map_err(|e| CliError::bad_input(file, e))?;
        return print_out(&format!(
            "{}: valid application of {} ({} pledged assets, scheme {})",
            file.display(),
            app.borrower.name,
            app.pledged_assets.len(),
            app.scheme.as_ref().map_or("none", |s| s.name.as_str())
        ));
    }
    Err(CliError::Usage(format!(
        "{}: cannot tell what kind of input this is",
        file.display()
    )))
}

/// A probability estimate with its standard error for a table; when no path of `paths` saw the
/// event, the 95 % upper bound `3/N` instead of a bare `0 ± 0`.
pub fn probability_text(p: f64, stderr: f64, paths: u64) -> String {
    if p == 0.0 {
        format!("< {:.5} (0 / {paths})", 3.0 / paths.max(1) as f64)
    } else {
        format!("{p:.4} ± {stderr:.4}")
    }
}
