-- ipledge store, version 2: the audit trail, and the key that submitted each job (for the
-- per-key queue limit). Same dialect rules as version 1.

-- Which key submitted a job ('' for jobs stored before this version).
ALTER TABLE jobs ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_by_key_status ON jobs (key_id, status);

-- Every write through the API, and every refused attempt on another tenant's resource:
-- who (key, tenant, role) did what (method, route template, resource id), with which status,
-- under which request id, when. Written in the same transaction as the write it records.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    key_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    role TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    resource_id TEXT,
    status BIGINT NOT NULL,
    request_id TEXT NOT NULL
);

-- The bank ids (an application's `bank_id`) a tenant may file applications under, besides
-- its own name (`ipledge keys create --bank-id`).
CREATE TABLE tenant_banks (
    tenant TEXT NOT NULL,
    bank_id TEXT NOT NULL,
    PRIMARY KEY (tenant, bank_id)
);
