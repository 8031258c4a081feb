//! Persistence for the API (feature `server`): API keys, scored applications, outcome
//! reports, idempotency records and background jobs, through sqlx's `AnyPool`.
//!
//! One set of embedded migrations (`migrations/`) serves SQLite (default, a file created if
//! missing, WAL journal, `synchronous=FULL` so an acknowledged write survives `kill -9`) and
//! PostgreSQL (`postgres://…`). The SQL is the common subset both accept: TEXT ids, TEXT RFC
//! 3339 timestamps, TEXT JSON, BIGINT integers; placeholders are `$n` (SQLite reads them by
//! number too). Seeds are stored as decimal TEXT (a `u64` does not fit a BIGINT).
//! Owns no HTTP and no model logic: it stores the documents the API hands it, verbatim.

pub mod clock;

use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use clock::{is_id, new_id, now_rfc3339};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one we serve.
    #[error("unsupported database url {url:?}: use sqlite://FILE or postgres://…")]
    UnsupportedUrl {
        /// The URL given.
        url: String,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL (without password).
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Applying the migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored value could not be read back.
    #[error("corrupt stored value in {column}: {value:?}")]
    Corrupt {
        /// The column.
        column: &'static str,
        /// What was there.
        value: String,
    },
    /// The operating system's RNG failed.
    #[error("os random number generator failed: {0}")]
    Random(String),
    /// A key id that does not exist or is already revoked.
    #[error("no active api key with id {0:?}")]
    NoSuchKey(String),
}

/// The database behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// What a key may do.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A bank: values assets, scores and reads its own applications, reports outcomes.
    Bank,
    /// A finance bureau: runs fund simulations.
    Bureau,
    /// Operator: everything, across tenants.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bank => "bank",
            Role::Bureau => "bureau",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bank" => Ok(Role::Bank),
            "bureau" => Ok(Role::Bureau),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role {other:?} (bank|bureau|admin)")),
        }
    }
}

/// The holder of an active API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The key's id (not secret).
    pub key_id: String,
    /// The tenant the key belongs to.
    pub tenant: String,
    /// Its role.
    pub role: Role,
}

/// A freshly created key: the secret is shown once and never stored.
#[derive(Clone, Debug)]
pub struct NewKey {
    /// The key's id (for `keys revoke`).
    pub id: String,
    /// The secret bearer token: 256 random bits, hex.
    pub secret: String,
}

/// A scored application as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationRecord {
    /// `app_…`.
    pub id: String,
    /// Owning tenant.
    pub tenant: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// `approve|refer|decline`.
    pub decision: String,
    /// Model id used.
    pub model_id: String,
    /// SHA-256 of the model file used.
    pub model_sha256: String,
    /// Seed used.
    pub seed: u64,
    /// Monte Carlo paths used.
    pub paths: u64,
    /// The request body as received (JSON text).
    pub input: String,
    /// The engine's result (JSON text, without `id`/`created_at`).
    pub output: String,
}

/// An outcome report as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeRecord {
    /// `out_…`.
    pub id: String,
    /// The application it reports on.
    pub application_id: String,
    /// Reporting tenant.
    pub tenant: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// `performing|repaid|defaulted|recovered`.
    pub status: String,
    /// Principal repaid (decimal string).
    pub repaid: String,
    /// Amount in default (decimal string).
    pub defaulted: String,
    /// Amount recovered (decimal string).
    pub recovered: String,
    /// The full report (JSON text).
    pub body: String,
}

/// A scored application with the outcome reports a backtest reads
/// ([`Store::backtest_page`]).
#[derive(Clone, Debug, PartialEq)]
pub struct BacktestRow {
    /// `app_…`.
    pub id: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The engine's scoring result (JSON text).
    pub output: String,
    /// The latest outcome report (JSON text), if any.
    pub latest_outcome: Option<String>,
    /// The first report saying `defaulted` or `recovered` (JSON text), if any.
    pub first_default: Option<String>,
}

/// A stored response to a POST made with an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// SHA-256 of the request body that produced it.
    pub request_sha256: String,
    /// HTTP status.
    pub status: u16,
    /// Response body (JSON text).
    pub body: String,
}

/// The idempotency scope of a request: tenant, route and the client's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Tenant.
    pub tenant: String,
    /// Route, e.g. `POST /v1/applications`.
    pub route: String,
    /// The client's `Idempotency-Key` header.
    pub key: String,
}

/// Outcome of an insert guarded by an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Insert {
    /// Written now.
    Inserted,
    /// The key was already used; here is what it stored (the new write was rolled back).
    Replayed(StoredResponse),
}

/// Job states. `interrupted`: the server stopped while the job was queued or running;
/// `cancelled`: the owner cancelled it (`DELETE`) before it finished.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Running.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Lost to a server stop; resubmit.
    Interrupted,
    /// Cancelled by its owner; it has no result.
    Cancelled,
}

impl JobStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
            JobStatus::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            "interrupted" => JobStatus::Interrupted,
            "cancelled" => JobStatus::Cancelled,
            other => {
                return Err(StoreError::Corrupt {
                    column: "jobs.status",
                    value: other.to_string(),
                });
            }
        })
    }
}

/// A background job as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    /// `job_…`.
    pub id: String,
    /// Owning tenant.
    pub tenant: String,
    /// The API key that submitted it (`''` for jobs stored before keys were recorded).
    pub key_id: String,
    /// `fund_simulation`.
    pub kind: String,
    /// Current state.
    pub status: JobStatus,
    /// Work units done (Monte Carlo paths).
    pub progress_done: u64,
    /// Work units in all.
    pub progress_total: u64,
    /// The submitted input (JSON text).
    pub input: String,
    /// The result (JSON text) once succeeded.
    pub result: Option<String>,
    /// A user-facing error once failed.
    pub error: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// When a worker took it.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
}

/// Hex SHA-256 of some bytes (API key secrets, request bodies).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64, column: &'static str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        column,
        value: v.to_string(),
    })
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Connects to `url` (`sqlite://FILE`, created if missing; or `postgres://…`) and applies
    /// the embedded migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let url = if rest.contains("mode=") {
                url.to_string()
            } else if rest.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl { url: redact(url) });
        };
        let connect_err = |source| StoreError::Connect {
            url: redact(&url),
            source,
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // WAL is a property of the file (set once below); `synchronous` is per connection.
            // FULL syncs the WAL on every commit: an acknowledged write survives kill -9 and
            // power loss.
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await.map_err(connect_err)?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(connect_err)?;
        }
        sqlx::migrate!().run(&pool).await?;
        Ok(Store { pool, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- keys -------------------------------------------------------------------------------

    /// Creates a key for `tenant` with `role`; returns the secret, which is not stored.
    pub async fn create_key(&self, tenant: &str, role: Role) -> Result<NewKey, StoreError> {
        let secret = hex::encode(clock::random_bytes::<32>()?);
        let id = new_id("key")?;
        sqlx::query(
            "INSERT INTO api_keys (id, tenant, role, key_sha256, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(id.clone())
        .bind(tenant.to_string())
        .bind(role.as_str())
        .bind(sha256_hex(secret.as_bytes()))
        .bind(now_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(NewKey { id, secret })
    }

    /// Lets `tenant` file applications under `bank_id` (idempotent).
    pub async fn add_bank_id(&self, tenant: &str, bank_id: &str) -> Result<(), StoreError> {
        let exists =
            sqlx::query("SELECT 1 AS one FROM tenant_banks WHERE tenant = $1 AND bank_id = $2")
                .bind(tenant.to_string())
                .bind(bank_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_none() {
            sqlx::query("INSERT INTO tenant_banks (tenant, bank_id) VALUES ($1, $2)")
                .bind(tenant.to_string())
                .bind(bank_id.to_string())
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// True when `tenant` may file an application under `bank_id`: its own name, or a bank
    /// id added with [`Store::add_bank_id`].
    pub async fn tenant_may_file_for(
        &self,
        tenant: &str,
        bank_id: &str,
    ) -> Result<bool, StoreError> {
        if tenant == bank_id {
            return Ok(true);
        }
        if bank_id.contains('\0') {
            // Never a stored bank id (PostgreSQL refuses NUL in text).
            return Ok(false);
        }
        let row =
            sqlx::query("SELECT 1 AS one FROM tenant_banks WHERE tenant = $1 AND bank_id = $2")
                .bind(tenant.to_string())
                .bind(bank_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Revokes a key by id; later requests with it get 401.
    pub async fn revoke_key(&self, key_id: &str) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_rfc3339())
                .bind(key_id.to_string())
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoSuchKey(key_id.to_string()));
        }
        Ok(())
    }

    /// The principal holding the active key `secret`, if any.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, StoreError> {
        let row = sqlx::query(
            "SELECT id, tenant, role FROM api_keys WHERE key_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(sha256_hex(secret.as_bytes()))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        let role = role.parse().map_err(|_| StoreError::Corrupt {
            column: "api_keys.role",
            value: role.clone(),
        })?;
        Ok(Some(Principal {
            key_id: row.try_get("id")?,
            tenant: row.try_get("tenant")?,
            role,
        }))
    }

    // ---- idempotency ------------------------------------------------------------------------

    /// The stored response for an idempotency key, if it was used.
    pub async fn stored_response(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let row = sqlx::query(
            "SELECT request_sha256, status, response FROM idempotency_keys \
             WHERE tenant = $1 AND route = $2 AND idem_key = $3",
        )
        .bind(key.tenant.clone())
        .bind(key.route.clone())
        .bind(key.key.clone())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let status: i64 = row.try_get("status")?;
            Ok(StoredResponse {
                request_sha256: row.try_get("request_sha256")?,
                status: u16::try_from(status).map_err(|_| StoreError::Corrupt {
                    column: "idempotency_keys.status",
                    value: status.to_string(),
                })?,
                body: row.try_get("response")?,
            })
        })
        .transpose()
    }

    /// Stores a response under an idempotency key without any other write. If the key was
    /// taken meanwhile, returns what it holds.
    pub async fn store_response(
        &self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<Insert, StoreError> {
        let tx = self.pool.begin().await?;
        self.finish_guarded(tx, Some((key, response)), None).await
    }

    async fn replayed(&self, key: &IdempotencyKey) -> Result<Insert, StoreError> {
        match self.stored_response(key).await? {
            Some(stored) => Ok(Insert::Replayed(stored)),
            None => Err(StoreError::Corrupt {
                column: "idempotency_keys",
                value: "unique violation but no row".to_string(),
            }),
        }
    }

    // ---- applications -----------------------------------------------------------------------

    /// Stores a scored application and, in the same transaction, its idempotency record.
    /// Nothing is written when the idempotency key was already taken.
    pub async fn insert_application(
        &self,
        record: &ApplicationRecord,
        idempotency: Option<(&IdempotencyKey, &StoredResponse)>,
        audit: Option<&AuditEntry>,
    ) -> Result<Insert, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO applications (id, tenant, created_at, decision, model_id, model_sha256, \
             seed, paths, input, output) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(record.id.clone())
        .bind(record.tenant.clone())
        .bind(record.created_at.clone())
        .bind(record.decision.clone())
        .bind(record.model_id.clone())
        .bind(record.model_sha256.clone())
        .bind(record.seed.to_string())
        .bind(to_i64(record.paths))
        .bind(record.input.clone())
        .bind(record.output.clone())
        .execute(&mut *tx)
        .await?;
        self.finish_guarded(tx, idempotency, audit).await
    }

    /// An application by id, visible to `tenant` (`None` = any tenant, for admins).
    pub async fn application(
        &self,
        id: &str,
        tenant: Option<&str>,
    ) -> Result<Option<ApplicationRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, tenant, created_at, decision, model_id, model_sha256, seed, paths, \
             input, output FROM applications WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let record = application_from_row(&row)?;
        Ok(match tenant {
            Some(t) if t != record.tenant => None,
            _ => Some(record),
        })
    }

    /// Up to `limit` applications of `tenant` (all tenants when `None`) with ids after
    /// `cursor`, oldest first.
    pub async fn applications(
        &self,
        tenant: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ApplicationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant, created_at, decision, model_id, model_sha256, seed, paths, \
             input, output FROM applications \
             WHERE ($1 = '' OR tenant = $1) AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(tenant.unwrap_or("").to_string())
        .bind(cursor.unwrap_or("").to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(application_from_row).collect()
    }

    /// How many applications of `tenant` (all when `None`) were stored with `created_at` in
    /// `[created_from, created_before)` (RFC 3339 text compared as text: pass `YYYY-MM-DD`
    /// day bounds, `""` and `"~"` for open ends).
    pub async fn count_applications_between(
        &self,
        tenant: Option<&str>,
        created_from: &str,
        created_before: &str,
    ) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM applications \
             WHERE ($1 = '' OR tenant = $1) AND created_at >= $2 AND created_at < $3",
        )
        .bind(tenant.unwrap_or("").to_string())
        .bind(created_from.to_string())
        .bind(created_before.to_string())
        .fetch_one(&self.pool)
        .await?;
        to_u64(row.try_get("n")?, "count(applications)")
    }

    /// A page (up to `limit`, ids after `cursor`, in id order) of the applications of `tenant`
    /// (all when `None`) stored in `[created_from, created_before)`, each with the body of its
    /// latest outcome report and of its first `defaulted`/`recovered` report: what a backtest
    /// reads. Callers page through a window whose size they checked with
    /// [`Store::count_applications_between`], so memory stays bounded by the page.
    pub async fn backtest_page(
        &self,
        tenant: Option<&str>,
        created_from: &str,
        created_before: &str,
        cursor: &str,
        limit: u32,
    ) -> Result<Vec<BacktestRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.created_at, a.output, \
             (SELECT o.body FROM outcomes o WHERE o.application_id = a.id \
              ORDER BY o.created_at DESC, o.id DESC LIMIT 1) AS latest_outcome, \
             (SELECT o.body FROM outcomes o WHERE o.application_id = a.id \
              AND o.status IN ('defaulted', 'recovered') \
              ORDER BY o.created_at, o.id LIMIT 1) AS first_default \
             FROM applications a \
             WHERE ($1 = '' OR a.tenant = $1) AND a.created_at >= $2 AND a.created_at < $3 \
             AND a.id > $4 ORDER BY a.id LIMIT $5",
        )
        .bind(tenant.unwrap_or("").to_string())
        .bind(created_from.to_string())
        .bind(created_before.to_string())
        .bind(cursor.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(BacktestRow {
                    id: row.try_get("id")?,
                    created_at: row.try_get("created_at")?,
                    output: row.try_get("output")?,
                    latest_outcome: row.try_get("latest_outcome")?,
                    first_default: row.try_get("first_default")?,
                })
            })
            .collect()
    }

    // ---- outcomes ---------------------------------------------------------------------------

    /// Stores an outcome report and, in the same transaction, its idempotency record.
    pub async fn insert_outcome(
        &self,
        record: &OutcomeRecord,
        idempotency: Option<(&IdempotencyKey, &StoredResponse)>,
        audit: Option<&AuditEntry>,
    ) -> Result<Insert, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO outcomes (id, application_id, tenant, created_at, status, repaid, \
             defaulted, recovered, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(record.id.clone())
        .bind(record.application_id.clone())
        .bind(record.tenant.clone())
        .bind(record.created_at.clone())
        .bind(record.status.clone())
        .bind(record.repaid.clone())
        .bind(record.defaulted.clone())
        .bind(record.recovered.clone())
        .bind(record.body.clone())
        .execute(&mut *tx)
        .await?;
        self.finish_guarded(tx, idempotency, audit).await
    }

    /// Adds the idempotency record and the audit entry to `tx` and commits, or rolls back and
    /// returns the response stored under a key that was taken meanwhile (then nothing is
    /// written, and the caller answers with that stored response).
    async fn finish_guarded(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        idempotency: Option<(&IdempotencyKey, &StoredResponse)>,
        audit: Option<&AuditEntry>,
    ) -> Result<Insert, StoreError> {
        if let Some(entry) = audit {
            insert_audit(&mut tx, entry).await?;
        }
        if let Some((key, response)) = idempotency {
            match insert_idempotency(&mut tx, key, response).await {
                Ok(()) => {}
                Err(e) if is_unique_violation(&e) => {
                    tx.rollback().await?;
                    return self.replayed(key).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(Insert::Inserted)
    }

    /// Every outcome reported against an application, oldest first.
    pub async fn outcomes(&self, application_id: &str) -> Result<Vec<OutcomeRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, application_id, tenant, created_at, status, repaid, defaulted, \
             recovered, body FROM outcomes WHERE application_id = $1 ORDER BY id",
        )
        .bind(application_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OutcomeRecord {
                    id: row.try_get("id")?,
                    application_id: row.try_get("application_id")?,
                    tenant: row.try_get("tenant")?,
                    created_at: row.try_get("created_at")?,
                    status: row.try_get("status")?,
                    repaid: row.try_get("repaid")?,
                    defaulted: row.try_get("defaulted")?,
                    recovered: row.try_get("recovered")?,
                    body: row.try_get("body")?,
                })
            })
            .collect()
    }

    // ---- jobs -------------------------------------------------------------------------------

    /// Stores a new queued job (and, in the same transaction, its idempotency record).
    pub async fn insert_job(
        &self,
        job: &JobRecord,
        idempotency: Option<(&IdempotencyKey, &StoredResponse)>,
        audit: Option<&AuditEntry>,
    ) -> Result<Insert, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO jobs (id, tenant, key_id, kind, status, progress_done, progress_total, \
             input, result, error, created_at, started_at, finished_at) \
             VALUES ($1, $2, $9, $3, $4, $5, $6, $7, NULL, NULL, $8, NULL, NULL)",
        )
        .bind(job.id.clone())
        .bind(job.tenant.clone())
        .bind(job.kind.clone())
        .bind(job.status.as_str())
        .bind(to_i64(job.progress_done))
        .bind(to_i64(job.progress_total))
        .bind(job.input.clone())
        .bind(job.created_at.clone())
        .bind(job.key_id.clone())
        .execute(&mut *tx)
        .await?;
        self.finish_guarded(tx, idempotency, audit).await
    }

    /// Marks a queued job running; `false` (and nothing changed) when it is no longer queued
    /// (cancelled meanwhile), so the worker must not run it.
    pub async fn start_job(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, started_at = $2 WHERE id = $3 AND status = 'queued'",
        )
        .bind(JobStatus::Running.as_str())
        .bind(now_rfc3339())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records progress of a running job; `false` when the job is no longer running (it was
    /// cancelled, possibly through another server on the same database), so its worker
    /// should stop.
    pub async fn job_progress(&self, id: &str, done: u64) -> Result<bool, StoreError> {
        let updated =
            sqlx::query("UPDATE jobs SET progress_done = $1 WHERE id = $2 AND status = $3")
                .bind(to_i64(done))
                .bind(id.to_string())
                .bind(JobStatus::Running.as_str())
                .execute(&self.pool)
                .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Ends a queued or running job without a result: `interrupted` (the server stopped) or
    /// `failed` with a user-facing `error` (its time limit). `false` when it had already
    /// ended (or was cancelled).
    pub async fn end_job(
        &self,
        id: &str,
        status: JobStatus,
        error: Option<String>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, error = $2, finished_at = $3 \
             WHERE id = $4 AND status IN ('queued', 'running')",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(now_rfc3339())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts an `interrupted` job back in the queue, as if just submitted (progress, times
    /// and error cleared), with its audit entry in the same transaction; `false` (nothing
    /// written) when it is not interrupted.
    pub async fn requeue_interrupted_job(
        &self,
        id: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET status = 'queued', progress_done = 0, error = NULL, \
             started_at = NULL, finished_at = NULL WHERE id = $1 AND status = 'interrupted'",
        )
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, done.rows_affected() == 1, audit).await
    }

    /// Jobs of the key `key_id` that are queued or running.
    pub async fn active_jobs_of_key(&self, key_id: &str) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM jobs WHERE key_id = $1 AND status IN ('queued', 'running')",
        )
        .bind(key_id.to_string())
        .fetch_one(&self.pool)
        .await?;
        to_u64(row.try_get("n")?, "jobs.count")
    }

    /// Records the end of a running job: its result (JSON text) or a user-facing error.
    /// `false` (and nothing written) when the job is no longer running: it was cancelled
    /// meanwhile, and its result is dropped.
    pub async fn finish_job(
        &self,
        id: &str,
        outcome: Result<String, String>,
    ) -> Result<bool, StoreError> {
        let (status, result, error) = match outcome {
            Ok(result) => (JobStatus::Succeeded, Some(result), None),
            Err(error) => (JobStatus::Failed, None, Some(error)),
        };
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, result = $2, error = $3, finished_at = $4, \
             progress_done = CASE WHEN $1 = 'succeeded' THEN progress_total ELSE progress_done END \
             WHERE id = $5 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(result)
        .bind(error)
        .bind(now_rfc3339())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a queued or running job `cancelled` (no result is ever stored for it); `true`
    /// when it changed. A finished job is left as it is.
    /// The audit entry, if given, is written in the same transaction when the job changed.
    pub async fn cancel_job(
        &self,
        id: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE jobs SET status = 'cancelled', finished_at = $1 \
             WHERE id = $2 AND status IN ('queued', 'running')",
        )
        .bind(now_rfc3339())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, done.rows_affected() == 1, audit).await
    }

    /// Up to `limit` jobs of `tenant` (all tenants when `None`) with ids after `cursor`,
    /// oldest first, without their input and result (`input` and `result` are empty).
    pub async fn jobs(
        &self,
        tenant: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant, key_id, kind, status, progress_done, progress_total, '' AS input, \
             CAST(NULL AS TEXT) AS result, error, created_at, started_at, finished_at FROM jobs \
             WHERE ($1 = '' OR tenant = $1) AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(tenant.unwrap_or("").to_string())
        .bind(cursor.unwrap_or("").to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from_row).collect()
    }

    /// Marks every job left queued or running (by a server that stopped) `interrupted`;
    /// returns how many. Called once at startup, before any worker runs.
    pub async fn interrupt_unfinished_jobs(&self) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'interrupted', finished_at = $1 \
             WHERE status IN ('queued', 'running')",
        )
        .bind(now_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// A job by id, visible to `tenant` (`None` = any tenant).
    pub async fn job(
        &self,
        id: &str,
        tenant: Option<&str>,
    ) -> Result<Option<JobRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, tenant, key_id, kind, status, progress_done, progress_total, input, result, \
             error, created_at, started_at, finished_at FROM jobs WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let record = job_from_row(&row)?;
        Ok(match tenant {
            Some(t) if t != record.tenant => None,
            _ => Some(record),
        })
    }
}

// ---- audit ----------------------------------------------------------------------------------

/// One line of the audit trail: who did what, with which outcome, when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// `aud_…`.
    pub id: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The API key's id (never its secret).
    pub key_id: String,
    /// The key's tenant.
    pub tenant: String,
    /// The key's role.
    pub role: String,
    /// HTTP method.
    pub method: String,
    /// The route template (`/v1/applications/{id}/outcome`).
    pub route: String,
    /// The resource written or refused, when there is one.
    pub resource_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The request id (`x-request-id`).
    pub request_id: String,
}

/// Commits `tx`, with the audit entry when the write `changed` something; says whether it
/// did.
async fn commit_audited(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    changed: bool,
    audit: Option<&AuditEntry>,
) -> Result<bool, StoreError> {
    if let (true, Some(entry)) = (changed, audit) {
        insert_audit(&mut tx, entry).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    entry: &AuditEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, key_id, tenant, role, method, route, resource_id, \
         status, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(entry.id.clone())
    .bind(entry.at.clone())
    .bind(entry.key_id.clone())
    .bind(entry.tenant.clone())
    .bind(entry.role.clone())
    .bind(entry.method.clone())
    .bind(entry.route.clone())
    .bind(entry.resource_id.clone())
    .bind(i64::from(entry.status))
    .bind(entry.request_id.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records an audit entry on its own (a refused attempt: nothing else is written).
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_audit(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Up to `limit` audit entries with ids after `cursor`, oldest first.
    pub async fn audit_entries(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, key_id, tenant, role, method, route, resource_id, status, \
             request_id FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(cursor.unwrap_or("").to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let status: i64 = row.try_get("status")?;
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    key_id: row.try_get("key_id")?,
                    tenant: row.try_get("tenant")?,
                    role: row.try_get("role")?,
                    method: row.try_get("method")?,
                    route: row.try_get("route")?,
                    resource_id: row.try_get("resource_id")?,
                    status: u16::try_from(status).map_err(|_| StoreError::Corrupt {
                        column: "audit_log.status",
                        value: status.to_string(),
                    })?,
                    request_id: row.try_get("request_id")?,
                })
            })
            .collect()
    }
}

async fn insert_idempotency(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &IdempotencyKey,
    response: &StoredResponse,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO idempotency_keys (tenant, route, idem_key, request_sha256, status, \
         response, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key.tenant.clone())
    .bind(key.route.clone())
    .bind(key.key.clone())
    .bind(response.request_sha256.clone())
    .bind(i64::from(response.status))
    .bind(response.body.clone())
    .bind(now_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn job_from_row(row: &AnyRow) -> Result<JobRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(JobRecord {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant")?,
        key_id: row.try_get("key_id")?,
        kind: row.try_get("kind")?,
        status: JobStatus::parse(&status)?,
        progress_done: to_u64(row.try_get("progress_done")?, "jobs.progress_done")?,
        progress_total: to_u64(row.try_get("progress_total")?, "jobs.progress_total")?,
        input: row.try_get("input")?,
        result: row.try_get("result")?,
        error: row.try_get("error")?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

fn application_from_row(row: &AnyRow) -> Result<ApplicationRecord, StoreError> {
    let seed: String = row.try_get("seed")?;
    Ok(ApplicationRecord {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant")?,
        created_at: row.try_get("created_at")?,
        decision: row.try_get("decision")?,
        model_id: row.try_get("model_id")?,
        model_sha256: row.try_get("model_sha256")?,
        seed: seed.parse().map_err(|_| StoreError::Corrupt {
            column: "applications.seed",
            value: seed.clone(),
        })?,
        paths: to_u64(row.try_get("paths")?, "applications.paths")?,
        input: row.try_get("input")?,
        output: row.try_get("output")?,
    })
}
