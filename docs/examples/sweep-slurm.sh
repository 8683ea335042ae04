#!/bin/bash
# The pooler × objective sweep as a Slurm job array: task K of 8 runs shard K/8 (runs i with i mod 8 = K).
#   mkdir -p logs      # Slurm does not create the --output folder: without it every task fails before it starts
#   jid=$(sbatch --parsable docs/examples/sweep-slurm.sh)
#   sbatch --dependency=afterany:$jid --wrap "npx dph sweep merge runs/t4/results-*-of-8.jsonl \
#     --spec docs/examples/sweep-pooler-objective.json --csv > runs/t4/table.csv"
# Resubmitting one task (sbatch --array=3 docs/examples/sweep-slurm.sh) resumes it from its results file.
# Another spec, folder or shard count without editing: DPH_SWEEP_SPEC, DPH_SWEEP_OUT and DPH_SWEEP_SHARDS (the
# size of --array) in the environment of sbatch, which passes it on; tests/scale/slurm.test.ts submits it so.
#SBATCH --job-name=dph-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=logs/dph-sweep-%A_%a.log
set -euo pipefail
cd "$SLURM_SUBMIT_DIR"
: "${SLURM_ARRAY_TASK_ID:?submit this script as an array job: sbatch --array=0-7 docs/examples/sweep-slurm.sh}"
# N is written out (8 = the size of --array) rather than read from SLURM_ARRAY_TASK_COUNT, which is 1 when a single
# failed index is resubmitted with --array=3.
shards=${DPH_SWEEP_SHARDS:-8}
# --jobs: the cores Slurm gave the task, not the node's (dph sweep's default counts the node's cores).
npx dph sweep "${DPH_SWEEP_SPEC:-docs/examples/sweep-pooler-objective.json}" --out "${DPH_SWEEP_OUT:-runs/t4}" \
	--backend wasm --jobs "${SLURM_CPUS_PER_TASK:-1}" --shard "$SLURM_ARRAY_TASK_ID/$shards"
