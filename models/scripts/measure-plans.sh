#!/usr/bin/env bash
# The GPU half of `npm run bench:measured`, for a GPU machine with Python +
# PyTorch but no Node: measures the set specs that `npm run bench:measured --
# --phase prepare` wrote, most useful first, and stops starting new sets after
# BUDGET_S seconds (lines are flushed as measured, so a cut run keeps them).
# Usage (from the repository root):
#   bash models/scripts/measure-plans.sh SPECS_DIR OUT_DIR [BUDGET_S] [DEVICE]
#   SPECS_DIR: holds specs.jsonl (default layout: models/build/measured)
#   OUT_DIR:   gets measured.jsonl, env.json, collector.log
#   BUDGET_S:  default 480; DEVICE: cuda (default) or cpu for a dry run
# Then, where Node is: npm run bench:measured -- --phase report --measured OUT_DIR/measured.jsonl
set -euo pipefail
specs=$(cd "${1:?SPECS_DIR}" && pwd)/specs.jsonl
mkdir -p "${2:?OUT_DIR}"
out=$(cd "$2" && pwd)
budget=${3:-480}
device=${4:-cuda}
py=${PYTHON:-python3}
cd "$(dirname "$0")/.."
[ -f "$specs" ] || { echo "no $specs: run 'npm run bench:measured -- --phase prepare' first" >&2; exit 2; }
: > "$out/measured.jsonl"
PYTHONUNBUFFERED=1 "$py" -m shardlens_cost.collector --specs "$specs" --out "$out/measured.jsonl" \
  --env-out "$out/env.json" --device "$device" --reps 3 --warmup 1 --time-budget-s "$budget" \
  2> "$out/collector.log" || { tail -20 "$out/collector.log" >&2; exit 1; }
tail -2 "$out/collector.log"
wc -l < "$out/measured.jsonl" | xargs echo "sets measured:"
