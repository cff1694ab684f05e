#!/usr/bin/env bash
# bench/gpsi_add.sh [BUILD_DIR] [UPDATES] [THREADS]
#
# GPSI-add at the paper's size (MLPs 2x1000 ReLU, z in R^100, T = 6,
# batch 250) on Fashion-MNIST: the CPU training step's time against the time
# the trainer's GEMM library (oneDNN by default) alone needs for the same
# GEMMs (the same calls, shapes and thread count, replayed by
# gps-gemm-replay in the same run). Prints one JSON line; the target is
# ratio <= 1.5.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
updates=${2:-25}
threads=${3:-$(nproc)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bin/gpsc" examples/gpsi_add.gps -o "$work/gpsi_add"
# One traced update: the list of GEMMs a training step makes.
GPS_RT_GEMM_TRACE="$work/gemms.txt" "$work/gpsi_add" train --data fashion-mnist \
  --batch 250 --updates 1 --eval-every 0 --threads "$threads" \
  --out "$work/trace" > /dev/null 2>&1
# The timed run; records average 5 updates, the first record (warm-up) is
# left out.
"$work/gpsi_add" train --data fashion-mnist --batch 250 --updates "$updates" \
  --log-every 5 --eval-every 0 --threads "$threads" --out "$work/run" \
  > /dev/null 2>&1
# The library the trainer names in its --help.
case "$("$work/gpsi_add" --help)" in
  *"go through OpenBLAS"*) library=openblas ;;
  *) library=onednn ;;
esac
"$build/bin/gps-gemm-replay" "$work/gemms.txt" --threads "$threads" --library "$library" \
  > "$work/replay.json"
python3 - "$work/run/metrics.jsonl" "$work/replay.json" "$threads" <<'PY'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])][1:]
rate = sum(r["examples_per_s"] for r in records) / len(records)
step = 250 / rate
replay = json.load(open(sys.argv[2]))
print(json.dumps({
    "model": "gpsi_add", "batch": 250, "steps": 6, "threads": int(sys.argv[3]),
    "step_seconds": round(step, 4),
    "gemm_calls_per_step": replay["gemms"],
    "gemm_gflop_per_step": round(replay["gflop"], 3),
    "gemm_library": replay["library"],
    "gemm_seconds": round(replay["seconds"], 4),
    "gemm_gflop_per_s": replay["gflop_per_s"],
    "step_gflop_per_s": round(replay["gflop"] / step, 2),
    "ratio": round(step / replay["seconds"], 3),
}))
PY
