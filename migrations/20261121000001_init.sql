-- ipledge store, version 1. One set of migrations for SQLite and PostgreSQL (through sqlx's
-- Any driver): TEXT ids, TEXT RFC 3339 UTC timestamps, TEXT JSON documents, BIGINT integers,
-- booleans as BIGINT 0/1, money as decimal strings. No native UUID/JSONB/BOOLEAN types.

-- API keys: only the SHA-256 of the secret is stored. A tenant exists through its keys.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    role TEXT NOT NULL,
    key_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Scored applications with everything needed to replay them bit for bit.
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decision TEXT NOT NULL,
    model_id TEXT NOT NULL,
    model_sha256 TEXT NOT NULL,
    seed TEXT NOT NULL,
    paths BIGINT NOT NULL,
    input TEXT NOT NULL,
    output TEXT NOT NULL
);
CREATE INDEX applications_by_tenant ON applications (tenant, id);

-- Outcome reports (repaid / defaulted / recovered amounts) against an application.
CREATE TABLE outcomes (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    tenant TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    repaid TEXT NOT NULL,
    defaulted TEXT NOT NULL,
    recovered TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX outcomes_by_application ON outcomes (application_id, id);

-- Stored responses of POSTs made with an Idempotency-Key, per tenant and route.
CREATE TABLE idempotency_keys (
    tenant TEXT NOT NULL,
    route TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, route, idem_key)
);

-- Background jobs (fund simulations): status, progress and result.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    progress_done BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    input TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX jobs_by_tenant ON jobs (tenant, id);
