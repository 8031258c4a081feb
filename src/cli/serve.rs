//! `ipledge serve` and `ipledge keys create|revoke`: flags → [`crate::api::serve`] and the
//! key store. Runs its own tokio runtime; logs go to stderr (`--log-format json|text`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::{CliError, load_model};
use crate::api::{Limits, ServeConfig};
use crate::store::{Role, Store};

/// Default database: a SQLite file in the working directory (`serve` and `keys create` create
/// it if missing; `replay` and `keys revoke` require it).
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ipledge.db";

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags of `ipledge serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// `sqlite://FILE` (created if missing) or `postgres://user@host/db`.
    #[arg(long, env = "IPLEDGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Model file (default: the embedded `models/default.toml`).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Log format on stderr (filter with RUST_LOG, default `info`).
    #[arg(long, value_enum, default_value_t)]
    log_format: LogFormat,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Most pledged assets per application or asset list.
    #[arg(long, default_value_t = Limits::default().max_assets)]
    max_assets: usize,
    /// Most Monte Carlo paths per synchronous request.
    #[arg(long, default_value_t = Limits::default().max_paths)]
    max_paths: u64,
    /// Most paths per fund simulation job.
    #[arg(long, default_value_t = Limits::default().max_job_paths)]
    max_job_paths: u64,
    /// Requests per second per API key (sustained).
    #[arg(long, default_value_t = Limits::default().rate_per_second)]
    rate_limit: f64,
    /// Requests per API key in a burst.
    #[arg(long, default_value_t = Limits::default().rate_burst)]
    rate_burst: f64,
    /// Seconds before a request is answered 503.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs())]
    request_timeout_secs: u64,
    /// Fund simulation jobs running at once.
    #[arg(long, default_value_t = Limits::default().job_workers)]
    job_workers: usize,
    /// Most pledged assets × paths per valuation or scoring request.
    #[arg(long, default_value_t = Limits::default().max_asset_paths)]
    max_asset_paths: u64,
    /// Most work per fund job, in loan-months × path evaluations.
    #[arg(long, default_value_t = Limits::default().max_job_work)]
    max_job_work: u64,
    /// Most memory (MiB) the default events a decision-tool job keeps may take, worst case.
    #[arg(long, default_value_t = Limits::default().max_job_draw_bytes >> 20)]
    max_job_draw_mib: u64,
    /// Fund jobs one API key may have queued or running at once.
    #[arg(long, default_value_t = Limits::default().max_jobs_per_key)]
    max_jobs_per_key: u64,
    /// Seconds a fund job may run before it is stopped and marked failed.
    #[arg(long, default_value_t = Limits::default().job_time_limit.as_secs())]
    job_time_limit_secs: u64,
    /// Seconds a client has to send a request's headers.
    #[arg(long, default_value_t = Limits::default().header_read_timeout.as_secs())]
    header_read_timeout_secs: u64,
    /// Connections served at once.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Requests per second per client address, before authentication (sustained).
    #[arg(long, default_value_t = Limits::default().address_rate_per_second)]
    address_rate_limit: f64,
    /// Requests per client address in a burst.
    #[arg(long, default_value_t = Limits::default().address_rate_burst)]
    address_rate_burst: u32,
}

/// `ipledge keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints the secret (once) on stdout and its id on stderr.
    Create {
        /// Tenant name (a bank or bureau).
        #[arg(long)]
        tenant: String,
        /// What the key may do.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A bank id the tenant files applications under besides its own name (repeatable;
        /// an application's `bank_id` must be one of them, else 403).
        #[arg(long = "bank-id")]
        bank_ids: Vec<String>,
        /// Database URL (a missing SQLite file is created, and the file named on stderr).
        #[arg(long, env = "IPLEDGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Revoke a key by id; requests with it then get 401.
    Revoke {
        /// The key id printed by `keys create`.
        key_id: String,
        /// Database URL (a SQLite file must exist).
        #[arg(long, env = "IPLEDGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
        database_url: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start runtime: {e}")))
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Colour codes only for a person at a terminal: a redirected stderr (a file, journald, a
    // log shipper) gets plain text, and JSON lines never carry them.
    let _ = match format {
        LogFormat::Json => builder.with_ansi(false).json().try_init(),
        LogFormat::Text => builder.with_ansi(log_colour()).try_init(),
    };
}

/// True when text logs may carry colour codes: stderr is a terminal.
pub fn log_colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

/// Runs `ipledge serve` until SIGTERM or ctrl-c.
pub fn serve(args: ServeArgs) -> Result<(), CliError> {
    init_logging(args.log_format);
    let model = load_model(args.model.as_deref())?;
    if args.rate_limit <= 0.0 || args.rate_burst < 1.0 {
        return Err(CliError::Usage(
            "--rate-limit must be > 0 and --rate-burst >= 1".to_string(),
        ));
    }
    if args.address_rate_limit <= 0.0 || args.address_rate_burst < 1 {
        return Err(CliError::Usage(
            "--address-rate-limit must be > 0 and --address-rate-burst >= 1".to_string(),
        ));
    }
    if args.max_jobs_per_key == 0 || args.max_connections == 0 || args.job_time_limit_secs == 0 {
        return Err(CliError::Usage(
            "--max-jobs-per-key, --max-connections and --job-time-limit-secs must be >= 1"
                .to_string(),
        ));
    }
    let config = ServeConfig {
        addr: args.addr,
        database_url: args.database_url,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            max_assets: args.max_assets,
            max_paths: args.max_paths,
            max_job_paths: args.max_job_paths,
            rate_per_second: args.rate_limit,
            rate_burst: args.rate_burst,
            request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
            job_workers: args.job_workers.max(1),
            max_asset_paths: args.max_asset_paths,
            max_job_work: args.max_job_work,
            max_job_draw_bytes: args.max_job_draw_mib.saturating_mul(1 << 20),
            max_jobs_per_key: args.max_jobs_per_key,
            job_time_limit: Duration::from_secs(args.job_time_limit_secs),
            header_read_timeout: Duration::from_secs(args.header_read_timeout_secs.max(1)),
            max_connections: args.max_connections,
            address_rate_per_second: args.address_rate_limit,
            address_rate_burst: args.address_rate_burst,
            ..Limits::default()
        },
    };
    runtime()?
        .block_on(crate::api::serve(config, model))
        .map_err(|e| CliError::Internal(e.to_string()))
}

/// Runs `ipledge keys create|revoke`.
pub fn keys(command: KeysCommand) -> Result<(), CliError> {
    let rt = runtime()?;
    rt.block_on(async move {
        match command {
            KeysCommand::Create {
                tenant,
                role,
                bank_ids,
                database_url,
            } => {
                let tenant = tenant.trim();
                if tenant.is_empty() || tenant.len() > 200 || tenant.chars().any(char::is_control) {
                    return Err(CliError::Usage(
                        "--tenant must be 1 to 200 characters without control characters"
                            .to_string(),
                    ));
                }
                let bank_ids: Vec<&str> = bank_ids.iter().map(|b| b.trim()).collect();
                if bank_ids
                    .iter()
                    .any(|b| b.is_empty() || b.len() > 200 || b.chars().any(char::is_control))
                {
                    return Err(CliError::Usage(
                        "--bank-id must be 1 to 200 characters without control characters"
                            .to_string(),
                    ));
                }
                let store = open_or_create(&database_url).await?;
                let key = store.create_key(tenant, role).await.map_err(internal)?;
                for bank_id in &bank_ids {
                    store.add_bank_id(tenant, bank_id).await.map_err(internal)?;
                }
                eprintln!(
                    "created key {} for tenant {tenant} ({}); the secret is shown only once",
                    key.id,
                    role.as_str()
                );
                store.close().await;
                super::print_out(&key.secret)
            }
            KeysCommand::Revoke {
                key_id,
                database_url,
            } => {
                let store = open_existing(&database_url).await?;
                match store.revoke_key(&key_id).await {
                    Ok(()) => {
                        eprintln!("revoked key {key_id}");
                        store.close().await;
                        Ok(())
                    }
                    Err(crate::store::StoreError::NoSuchKey(id)) => {
                        Err(CliError::Usage(format!("no active api key with id {id:?}")))
                    }
                    Err(e) => Err(internal(e)),
                }
            }
        }
    })
}

fn internal(e: crate::store::StoreError) -> CliError {
    CliError::Internal(e.to_string())
}

async fn connect(url: &str) -> Result<Store, CliError> {
    Store::connect(url).await.map_err(|e| match e {
        crate::store::StoreError::UnsupportedUrl { .. } => CliError::Usage(e.to_string()),
        other => CliError::Internal(other.to_string()),
    })
}

/// The file of a SQLite URL (`sqlite://FILE`, `sqlite:FILE`, `?options` dropped); `None` for
/// an in-memory database and for other backends, whose databases are not files.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("//").unwrap_or(path);
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// How a path is shown in messages: a bare relative name as `./NAME`, so that it reads as a
/// file in the working directory.
fn shown(path: &std::path::Path) -> String {
    if path.is_relative() && path.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        format!("./{}", path.display())
    } else {
        path.display().to_string()
    }
}

/// Opens the database of a command that reads (`replay`, `keys revoke`): a SQLite file must
/// already exist (exit 2 naming it, nothing created); the connection is opened read-write
/// without the create flag, so it cannot appear meanwhile either.
pub async fn open_existing(url: &str) -> Result<Store, CliError> {
    let Some(file) = sqlite_file(url) else {
        return connect(url).await;
    };
    if !file.is_file() {
        return Err(CliError::Usage(format!(
            "no database at {}; pass --database-url (or set IPLEDGE_DATABASE_URL)",
            shown(&file)
        )));
    }
    let url = if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rw")
    } else {
        format!("{url}?mode=rw")
    };
    connect(&url).await
}

/// Opens the database of `keys create`, creating a missing SQLite file and saying so on
/// stderr (only when it did).
pub async fn open_or_create(url: &str) -> Result<Store, CliError> {
    let created = sqlite_file(url).filter(|f| !f.exists());
    let store = connect(url).await?;
    if let Some(file) = created {
        eprintln!("created database {}", shown(&file));
    }
    Ok(store)
}

/// Arguments of `ipledge replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The stored application's id (`app_…`).
    pub id: String,
    /// Database URL (a SQLite file must exist).
    #[arg(long, env = "IPLEDGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The model file the application was scored with (default: the embedded model).
    #[arg(long)]
    pub model: Option<PathBuf>,
}

/// `ipledge replay ID`: scores a stored application again from its stored input, seed, paths
/// and model, prints the replay (JSON) and exits 0 when the result is identical byte for byte,
/// 1 when it is not (a broken reproducibility promise is an internal error).
pub fn replay(args: ReplayArgs) -> Result<(), CliError> {
    let model = super::load_model(args.model.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async move {
        let store = open_existing(&args.database_url).await?;
        let record = store
            .application(&args.id, None)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                CliError::Usage(format!("no application {} in the database", args.id))
            })?;
        store.close().await;
        let replay = crate::api::routes::applications::replay_record(&record, &model)
            .await
            .map_err(|e| match e {
                crate::api::AppError::Conflict(message) => CliError::Usage(message),
                other => CliError::Internal(other.to_string()),
            })?;
        // A closed stdout must not hide a failed replay: the verdict decides the exit code.
        let printed = super::print_json(&replay);
        if replay.identical {
            eprintln!("{}: identical to the stored result", replay.id);
            printed
        } else {
            Err(CliError::Internal(format!(
                "{}: the replay differs from the stored result",
                replay.id
            )))
        }
    })
}
