#!/usr/bin/env bash
# Load test of POST /v1/applications on loopback (SPEC §5 load aim: >= 200 scorings/s on
# 2 cores at 10,000 paths, p99 < 100 ms, zero errors). Not a test: it prints figures.
#
#   bash scripts/load.sh [DURATION_SECONDS=30] [CONNECTIONS=8] [APPLICATION=scenarios/applications/approve.json]
#   BIN=path/to/other/ipledge bash scripts/load.sh   (compare another build in the same run)
#
# Builds the release binary, starts `ipledge serve` on a fresh SQLite file in a temp dir with
# the rate limit raised (one key is the whole load), creates a bank key, and drives the server
# with wrk (installed from Debian if missing). Every request is a new scoring (no
# Idempotency-Key), stored synchronously. Prints wrk's throughput and latency distribution and
# the count of non-2xx responses and socket errors.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30}"
CONNECTIONS="${2:-8}"
APPLICATION="${3:-scenarios/applications/approve.json}"
PORT="${PORT:-18080}"

if ! command -v wrk >/dev/null 2>&1; then
  (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) \
    || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
fi
cargo build --release --quiet
BIN="${BIN:-target/release/ipledge}"
WORK="$(mktemp -d)"
DB="sqlite://${WORK}/load.db"
KEY="$("$BIN" keys create --tenant load-bank --role bank --database-url "$DB" | tail -n1)"
"$BIN" serve --addr "127.0.0.1:${PORT}" --database-url "$DB" --rate-limit 100000 --rate-burst 100000 \
  >"${WORK}/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:${PORT}/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

# One request first, so a broken setup fails loudly instead of measuring errors.
curl -fsS -X POST "http://127.0.0.1:${PORT}/v1/applications?paths=10000" \
  -H "Authorization: Bearer ${KEY}" -H 'Content-Type: application/json' \
  --data-binary @"${APPLICATION}" >/dev/null

cat >"${WORK}/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${KEY}"
local f = assert(io.open("${APPLICATION}", "rb"))
wrk.body = f:read("*all")
f:close()
local non2xx = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, duration %.1f s, throughput %.1f req/s\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  local e = summary.errors
  io.write(string.format("errors: non-2xx %d, connect %d, read %d, write %d, timeout %d\n",
    e.status, e.connect, e.read, e.write, e.timeout))
end
LUA
echo "POST /v1/applications?paths=10000 with ${APPLICATION}, ${CONNECTIONS} connections, ${DURATION} s, $(nproc) cores"
wrk -t2 -c"${CONNECTIONS}" -d"${DURATION}s" --latency -s "${WORK}/post.lua" \
  "http://127.0.0.1:${PORT}/v1/applications?paths=10000"
