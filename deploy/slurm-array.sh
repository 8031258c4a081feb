#!/usr/bin/env bash
# Run one fund simulation as a Slurm job array of shards, then merge them.
#
#   sbatch deploy/slurm-array.sh                      # submits the array and the merge
#
# Each array task runs `--shard I/N` with I = SLURM_ARRAY_TASK_ID (1..N) and writes its
# part into PARTS (a directory on a file system every node sees). The merge job starts only
# when every task succeeded (afterok) and produces exactly the unsharded result.
#SBATCH --job-name=ipledge-fund
#SBATCH --array=1-8
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#SBATCH --output=ipledge-fund-%A_%a.log
set -euo pipefail

SHARDS=8                                   # = the size of --array above
SCENARIO=${SCENARIO:-scenarios/yichang-2025.toml}
PATHS=${PATHS:-1000000}
SEED=${SEED:-1}
PARTS=${PARTS:-$PWD/parts}
IPLEDGE=${IPLEDGE:-ipledge}                # e.g. target/release/ipledge

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  echo "submit with sbatch: this script is a job array" >&2
  exit 2
fi
mkdir -p "$PARTS"

I=$SLURM_ARRAY_TASK_ID
"$IPLEDGE" fund simulate "$SCENARIO" --paths "$PATHS" --seed "$SEED" \
  --threads "${SLURM_CPUS_PER_TASK:-1}" --shard "$I/$SHARDS" --out "$PARTS/part-$I.json.tmp"
mv "$PARTS/part-$I.json.tmp" "$PARTS/part-$I.json"

# The first task submits the merge, to run once the whole array has succeeded.
if [ "$I" = 1 ]; then
  sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=ipledge-fund-merge \
    --output=ipledge-fund-merge-%j.log --wrap \
    "\"$IPLEDGE\" fund merge \"$PARTS\"/part-*.json --out \"$PARTS/result.json\" && \"$IPLEDGE\" fund merge \"$PARTS\"/part-*.json --report \"$PARTS/report.html\" --format table"
fi
