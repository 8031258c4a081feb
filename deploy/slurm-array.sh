#!/usr/bin/env bash
# Run one fund simulation as a Slurm job array of shards, then merge them.
#
#   sbatch deploy/slurm-array.sh                      # from the repository root
#
# Each array task runs deploy/shard.sh (the same entrypoint as the Kubernetes Job), which
# runs `--shard I/N` with I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1 and N = SHARDS
# (default: the number of array tasks), and writes its part into PARTS (a directory on a file
# system every node sees). The first task then submits deploy/merge.sh as a job that starts
# only when every task succeeded (afterok) and produces exactly the unsharded result.
#
# Slurm runs a copy of this script from its spool directory, in the directory `sbatch` was
# called from: submit from the repository root, so that deploy/ and scenarios/ are found.
#SBATCH --job-name=ipledge-fund
#SBATCH --array=1-8
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#SBATCH --output=ipledge-fund-%A_%a.log
set -euo pipefail

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  echo "submit with sbatch: this script is a job array" >&2
  exit 2
fi
deploy=${SLURM_SUBMIT_DIR:-$PWD}/deploy

export SHARDS=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:-}}   # shard.sh refuses a mismatch
export SCENARIO=${SCENARIO:-scenarios/yichang-2025.toml}
export PATHS=${PATHS:-1000000}
export SEED=${SEED:-1}
export PARTS=${PARTS:-$PWD/parts}
export IPLEDGE=${IPLEDGE:-ipledge}                      # e.g. $PWD/target/release/ipledge
# THREADS defaults to --cpus-per-task (SLURM_CPUS_PER_TASK) in shard.sh.

sh "$deploy/shard.sh"

# The first task submits the merge, to run once the whole array has succeeded. It inherits
# this environment (sbatch exports it by default): PARTS, IPLEDGE, and RESULT/REPORT if set.
if [ "$SLURM_ARRAY_TASK_ID" = "${SLURM_ARRAY_TASK_MIN:-1}" ]; then
  sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=ipledge-fund-merge \
    --output=ipledge-fund-merge-%j.log --wrap "sh $(printf %q "$deploy/merge.sh")"
fi
