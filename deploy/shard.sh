#!/bin/sh
# Runs one shard of a sharded fund simulation and writes PARTS/part-I.json atomically.
#
# The one entrypoint of every scheduler: the Kubernetes Indexed Job runs it as `ipledge-shard`
# (the image installs it there), the Slurm array (slurm-array.sh) as `sh deploy/shard.sh`.
# Which shard this is comes from exactly one of
#   JOB_COMPLETION_INDEX   Kubernetes Indexed Job, 0-based        -> I = index + 1
#   SLURM_ARRAY_TASK_ID    Slurm array task; with SLURM_ARRAY_TASK_MIN set (Slurm sets it)
#                          I = id - min + 1, so --array=0-7 and --array=1-8 both work;
#                          without it the array must be 1..N
#   SHARD_INDEX            any other scheduler, 1-based           -> I = index
# and the shard count from SHARDS. Anything else (a missing or non-numeric index, two index
# variables at once, I outside 1..SHARDS, a missing SHARDS, a Slurm array whose size is not
# SHARDS) is refused with exit 2 before anything is computed or written.
#
#   SCENARIO  scenario file (required)         PATHS, SEED  override the scenario's (optional)
#   THREADS   worker threads (default: SLURM_CPUS_PER_TASK under Slurm, else 1)
#   PARTS     directory of the part files (default: parts, created if missing)
#   IPLEDGE   the binary (default: ipledge on the PATH)
# Further arguments are passed to `ipledge fund simulate` (e.g. --model FILE); every shard of
# one run must get the same ones.
#
# The part is written as part-I.json.tmp and renamed to part-I.json only when the simulation
# succeeded, so `ipledge fund merge PARTS/part-*.json` never reads a half-written part. A retried
# shard recomputes exactly the same numbers and replaces its part.
set -eu

refuse() {
  echo "ipledge-shard: $*" >&2
  exit 2
}

# Checks that variable `$1` holds `$2`, digits only; refuses anything else.
digits() {
  case $2 in
    '' | *[!0-9]*) refuse "$1='$2' is not a whole number" ;;
  esac
}

# Sets `n` to `$2` (the value of variable `$1`) as a number for shell arithmetic: digits only,
# at most 9 of them, leading zeros dropped (a shell would read 08 as octal).
number() {
  digits "$1" "$2"
  [ ${#2} -le 9 ] || refuse "$1='$2' is too large"
  n=${2#"${2%%[!0]*}"}
  n=${n:-0}
}

sources=0
for v in ${JOB_COMPLETION_INDEX+JOB_COMPLETION_INDEX} ${SLURM_ARRAY_TASK_ID+SLURM_ARRAY_TASK_ID} \
  ${SHARD_INDEX+SHARD_INDEX}; do
  sources=$((sources + 1))
  source_name=$v
done
case $sources in
  0) refuse "no shard index: set JOB_COMPLETION_INDEX (Kubernetes, 0-based)," \
    "SLURM_ARRAY_TASK_ID (Slurm) or SHARD_INDEX (1-based)" ;;
  1) ;;
  *) refuse "more than one shard index is set (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID," \
    "SHARD_INDEX): set exactly one" ;;
esac

[ -n "${SHARDS:-}" ] || refuse "SHARDS (the number of shards) is not set"
number SHARDS "$SHARDS"
shards=$n
[ "$shards" -ge 1 ] || refuse "SHARDS must be at least 1"

case $source_name in
  JOB_COMPLETION_INDEX)
    number JOB_COMPLETION_INDEX "$JOB_COMPLETION_INDEX"
    index=$((n + 1))
    ;;
  SLURM_ARRAY_TASK_ID)
    number SLURM_ARRAY_TASK_ID "$SLURM_ARRAY_TASK_ID"
    id=$n
    number SLURM_ARRAY_TASK_MIN "${SLURM_ARRAY_TASK_MIN:-1}"
    min=$n
    [ "$id" -ge "$min" ] || refuse "SLURM_ARRAY_TASK_ID=$id is below SLURM_ARRAY_TASK_MIN=$min"
    index=$((id - min + 1))
    if [ -n "${SLURM_ARRAY_TASK_COUNT:-}" ]; then
      number SLURM_ARRAY_TASK_COUNT "$SLURM_ARRAY_TASK_COUNT"
      [ "$n" -eq "$shards" ] ||
        refuse "the Slurm array has $n tasks but SHARDS=$shards: give --array SHARDS tasks"
    fi
    ;;
  SHARD_INDEX)
    number SHARD_INDEX "$SHARD_INDEX"
    index=$n
    ;;
esac
if [ "$index" -lt 1 ] || [ "$index" -gt "$shards" ]; then
  case $source_name in
    SLURM_ARRAY_TASK_ID) hint="; a Slurm array must be contiguous, step 1, of SHARDS tasks" ;;
    *) hint= ;;
  esac
  refuse "shard $index (from $source_name) is outside 1..$shards$hint"
fi

[ -n "${SCENARIO:-}" ] || refuse "SCENARIO (the scenario file) is not set"
number THREADS "${THREADS:-${SLURM_CPUS_PER_TASK:-1}}"
threads=$n
[ "$threads" -ge 1 ] || refuse "THREADS must be at least 1"
if [ -n "${SEED:-}" ]; then
  digits SEED "$SEED"
  set -- --seed "$SEED" "$@"
fi
if [ -n "${PATHS:-}" ]; then
  digits PATHS "$PATHS"
  set -- --paths "$PATHS" "$@"
fi
parts=${PARTS:-parts}
ipledge=${IPLEDGE:-ipledge}

mkdir -p "$parts"
part="$parts/part-$index.json"
tmp="$part.tmp"

# The simulation runs as a child so that a SIGTERM (Kubernetes stops a pod by signalling its
# PID 1, this shell) reaches it: a shell waiting for a foreground child would sit out the
# grace period instead.
"$ipledge" fund simulate "$SCENARIO" --threads "$threads" --shard "$index/$shards" \
  --out "$tmp" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || :' TERM INT HUP
while :; do
  status=0
  wait "$child" || status=$?
  # `wait` also returns early when a trapped signal arrives; then the child is still there.
  kill -0 "$child" 2>/dev/null || break
done
trap - TERM INT HUP
if [ "$status" -ne 0 ]; then
  rm -f "$tmp"
  echo "ipledge-shard: shard $index/$shards failed (exit $status); no part written" >&2
  exit "$status"
fi
mv -f "$tmp" "$part"
echo "ipledge-shard: shard $index/$shards written to $part" >&2
