#!/bin/sh
# Merges the parts that shard.sh wrote into the result JSON and its HTML report.
#
# The merge step of every scheduler: the Kubernetes merge Job runs it as `ipledge-merge` (the
# image installs it there), the Slurm array's dependent job as `sh deploy/merge.sh`.
#   PARTS    directory of the part files (default: parts)
#   RESULT   the result JSON (default: PARTS/result.json)
#   REPORT   the HTML report (default: PARTS/report.html; empty: no report)
#   IPLEDGE  the binary (default: ipledge on the PATH)
# Further arguments are passed to `ipledge fund merge` (e.g. --lang zh).
#
# `ipledge fund merge` refuses (exit 2) parts of different runs, a missing shard or a shard
# given twice, so a merge that succeeds is exactly the unsharded result. Only finished parts
# (part-I.json, never part-I.json.tmp) are read. The result is written under a temporary name
# and renamed, like the parts.
set -eu

parts=${PARTS:-parts}
result=${RESULT:-$parts/result.json}
report=${REPORT-$parts/report.html}
ipledge=${IPLEDGE:-ipledge}

for part in "$parts"/part-*.json; do
  [ -f "$part" ] || {
    echo "ipledge-merge: no part files in $parts (expected $parts/part-I.json)" >&2
    exit 2
  }
  break
done

if [ -n "$report" ]; then
  set -- --report "$report" "$@"
fi
"$ipledge" fund merge "$parts"/part-*.json --out "$result.tmp" "$@" || {
  status=$?
  rm -f "$result.tmp"
  exit "$status"
}
mv -f "$result.tmp" "$result"
echo "ipledge-merge: result written to $result${report:+, report to $report}" >&2
