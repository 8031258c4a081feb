#!/usr/bin/env bash
# Schemathesis (property-based API tests from /openapi.json) against `ipledge serve`, once on
# SQLite (a temp file) and once on PostgreSQL (a database created for the run and dropped
# after), with every check on. Fails on any finding. Called by .ci/run after the tests.
#
#   bash .ci/schemathesis.sh            # both backends
#   IPLEDGE_BIN=target/release/ipledge SCHEMATHESIS_MAX_EXAMPLES=100 bash .ci/schemathesis.sh
#
# The server runs with high rate limits (so schemathesis is not answered 429) and small Monte
# Carlo bounds (--max-paths, --max-job-paths; /openapi.json documents them, so generated
# requests stay cheap). Settings: .ci/schemathesis.toml; hooks: .ci/schemathesis_hooks.py.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5                        # works on Python 3.11
VENV=target/schemathesis-venv
BIN=${IPLEDGE_BIN:-target/debug/ipledge}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-80}
TIME_LIMIT=${SCHEMATHESIS_TIME_LIMIT:-170}   # seconds per backend, a hard bound
PG_URL=${IPLEDGE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
WORK=$(mktemp -d)
SERVER_PID=""
PG_DB=""

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql "$PG_URL" -qtAc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${IPLEDGE_BIN:-}" ]; then
  cargo build --bin ipledge
fi
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $ST_VERSION" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_backend NAME DATABASE_URL
run_backend() {
  local name=$1 url=$2 key port status
  key=$("$BIN" keys create --tenant schemathesis --role admin --database-url "$url" 2>/dev/null)
  port=$(free_port)
  "$BIN" serve --addr "127.0.0.1:$port" --database-url "$url" \
    --rate-limit 100000 --rate-burst 100000 --max-paths 1000 --max-job-paths 4000 \
    --address-rate-limit 100000 --address-rate-burst 100000 --max-jobs-per-key 100000 \
    --log-format json >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  printf '\n=== schemathesis on %s (port %s) ===\n' "$name" "$port"
  status=0
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=.ci timeout "$TIME_LIMIT" \
    "$VENV/bin/schemathesis" --config-file .ci/schemathesis.toml run \
    "http://127.0.0.1:$port/openapi.json" \
    --checks all \
    --header "Authorization: Bearer $key" \
    --max-examples "$MAX_EXAMPLES" \
    --workers 2 \
    --continue-on-failure \
    --no-color \
    ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} || status=$?
  if grep -q '"level":"ERROR"' "$WORK/$name.log"; then
    echo "server errors logged on $name:"; grep '"level":"ERROR"' "$WORK/$name.log" | head -20
  fi
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  return "$status"
}

failed=0
run_backend sqlite "sqlite://$WORK/schemathesis.db" || failed=1

PG_DB="ipledge_st_$$_$(date +%s)"
if psql "$PG_URL" -qtAc "CREATE DATABASE $PG_DB" >/dev/null; then
  run_backend postgres "${PG_URL%/*}/$PG_DB" || failed=1
else
  echo "postgresql at $PG_URL unreachable: cannot run schemathesis on it"
  PG_DB=""
  failed=1
fi

exit "$failed"
