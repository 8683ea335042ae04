#!/bin/bash
# The pooler × objective sweep as a Slurm job array: task K of 8 runs shard K/8 (runs i with i mod 8 = K).
#   jid=$(sbatch --parsable docs/examples/sweep-slurm.sh)
#   sbatch --dependency=afterany:$jid --wrap "npx dph sweep merge runs/t4/results-*-of-8.jsonl \
#     --spec docs/examples/sweep-pooler-objective.json --csv > runs/t4/table.csv"
# Resubmitting one task (sbatch --array=3 docs/examples/sweep-slurm.sh) resumes it from its results file.
#SBATCH --job-name=dph-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --output=logs/dph-sweep-%A_%a.log
set -euo pipefail
cd "$SLURM_SUBMIT_DIR"
# N is written out (8 = the size of --array) rather than read from SLURM_ARRAY_TASK_COUNT, which is 1 when a single
# failed index is resubmitted with --array=3.
npx dph sweep docs/examples/sweep-pooler-objective.json --out runs/t4 --backend wasm --shard "$SLURM_ARRAY_TASK_ID/8"
