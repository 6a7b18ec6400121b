#!/usr/bin/env bash
# Small GPU sample of the collector (the file committed as models/data/h200-sample.jsonl).
# Usage: models/scripts/gpu-sample.sh OUT_DIR [DEVICE]   (DEVICE: cuda (default) or cpu for a dry run)
# Measures 40 single-table and 20 multi-table sets (<= 16 tables, <= 8 GiB) with
# torch.embedding_bag, the H100 campaign's kernel, and stops starting new sets after 150 s.
set -euo pipefail
out=${1:?OUT_DIR}
device=${2:-cuda}
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
mkdir -p "$out"
"$py" - "$out/env.json" "$device" <<'PY'
import json, sys, torch
d = sys.argv[2]
env = {"torch": torch.__version__, "cuda": torch.version.cuda}
if d == "cuda":
    p = torch.cuda.get_device_properties(0)
    env.update(gpu=p.name, sm_count=p.multi_processor_count, memory_bytes=p.total_memory)
json.dump(env, open(sys.argv[1], "w")); print(env)
PY
"$py" -m shardlens_cost.collector --out "$out/h200-sample.jsonl" --device "$device" --kernel torch \
  --singles 40 --multis 20 --seed 7 --id-prefix h200-sample --tables-max 16 --set-gib 8 \
  --time-budget-s "${BUDGET_S:-150}" 2> "$out/collector.log" || { tail -20 "$out/collector.log"; exit 1; }
tail -3 "$out/collector.log"
if "$py" -c "import fbgemm_gpu" 2>/dev/null && [ "$device" = cuda ]; then
  "$py" -m shardlens_cost.collector --out "$out/h200-sample-fbgemm.jsonl" --kernel fbgemm \
    --singles 6 --multis 4 --seed 8 --id-prefix h200-fbgemm --tables-max 8 --set-gib 4 --time-budget-s 30 \
    2> "$out/collector-fbgemm.log" || tail -5 "$out/collector-fbgemm.log"
fi
wc -l "$out"/*.jsonl
