#!/usr/bin/env bash
# bench/gpu-check.sh prepare [DIR]   on the build machine
# bench/gpu-check.sh run [DIR]       on a machine with an NVIDIA GPU
#
# The checks of the CUDA backend that need a GPU, for a GPU machine that
# cannot build gps (no LLVM/MLIR 22 there). `prepare` compiles, here, the
# CPU and CUDA trainers of test/Integration/cuda-parity.gps and of the
# examples, writes a 2,000-image Fashion-MNIST subset, runs the CPU side of
# every check (the references), and copies the shared libraries the
# trainers need besides the CUDA toolkit's, all into DIR (default
# build/gpu-check, about 55 MB). `run` then checks, with those files only:
#
#   1. evaluation of one checkpoint: GPU vs CPU, every term to 1e-4;
#   2. the GPU's gradient against central differences of its objective;
#   3. 200 updates of the parity model on the GPU vs the CPU reference of
#      the same seed, every logged term to 2e-2;
#   4. 20 updates of each example on the GPU vs the CPU, to 2e-2, and the
#      examples per second of both.
#
# It prints one line per check (PASS/FAIL) and exits 1 when one fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=${1:-}
dir=${2:-$root/build/gpu-check}
build=${GPS_BUILD:-$root/build}
examples=(vae gpsi_add lstm_gen)
metrics="$root/test/Integration/Inputs/metrics.py"

train_flags=(--batch 50 --lr 1e-3 --eval-every 0 --checkpoint-every 0)

prepare() {
  set -e
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/lib" "$dir/ref"
  # A small data set: the first 2,000 training images.
  python3 - "$dir/data.idx.gz" <<'PY'
import gzip, struct, sys
src = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
with gzip.open(src) as f:
    magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
    images = f.read(2000 * rows * cols)
with gzip.open(sys.argv[1], "wb") as out:
    out.write(struct.pack(">IIII", magic, 2000, rows, cols) + images)
PY
  local data="$dir/data.idx.gz"
  # OpenBLAS, not oneDNN (40 MB), so that the trainers and their libraries
  # fit what the device machine can be given.
  local gpsc=("$build/bin/gpsc" --gemm=openblas)
  "${gpsc[@]}" "$root/test/Integration/cuda-parity.gps" -o "$dir/bin/parity-cpu"
  "${gpsc[@]}" "$root/test/Integration/cuda-parity.gps" --target=cuda \
    -o "$dir/bin/parity-cuda"
  for m in "${examples[@]}"; do
    "${gpsc[@]}" "$root/examples/$m.gps" -o "$dir/bin/$m-cpu"
    "${gpsc[@]}" "$root/examples/$m.gps" --target=cuda -o "$dir/bin/$m-cuda"
  done
  # The CPU references.
  "$dir/bin/parity-cpu" train --data "$data" --updates 5 "${train_flags[@]}" \
    --out "$dir/ref/weights" > /dev/null 2>&1
  "$dir/bin/parity-cpu" eval --out "$dir/ref/weights" --batch 100 \
    --data "$data" --json "$dir/ref/eval.json" > /dev/null
  "$dir/bin/parity-cpu" train --data "$data" --updates 200 --log-every 20 \
    "${train_flags[@]}" --out "$dir/ref/parity" > /dev/null 2>&1
  for m in "${examples[@]}"; do
    "$dir/bin/$m-cpu" train --data "$data" --updates 20 --log-every 5 \
      "${train_flags[@]}" --out "$dir/ref/$m" > /dev/null 2>&1
  done
  # Only the metrics of the training references travel.
  find "$dir/ref/parity" "${examples[@]/#/$dir/ref/}" -name '*.safetensors' \
    -delete
  # Shared libraries a machine with only the CUDA toolkit may lack.
  for lib in $(ldd "$dir/bin/parity-cuda" | awk '$3 ~ /^\// {print $3}'); do
    case "$lib" in
      */libc.so*|*/libm.so*|*/libdl.so*|*/libpthread.so*|*/librt.so*) ;;
      */cuda*|*/libcu*) ;;
      *) cp -L "$lib" "$dir/lib/" ;;
    esac
  done
  cp "$metrics" "$dir/metrics.py"
  du -sh "$dir"
}

failures=0
report() { # NAME STATUS DETAIL
  if [ "$2" = 0 ]; then echo "PASS $1: $3"; else echo "FAIL $1: $3"; failures=$((failures + 1)); fi
}

run() {
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local data="$dir/data.idx.gz" out
  out=$(mktemp -d)
  nvidia-smi -L || true
  local missing
  missing=$(ldd "$dir"/bin/*-cuda | grep "not found" | sort -u)
  if [ -n "$missing" ]; then
    echo "FAIL libraries: $missing"
    exit 1
  fi
  # 1. One checkpoint, evaluated on the GPU.
  # The data by its path here: the checkpoint names the path at `prepare`.
  "$dir/bin/parity-cuda" eval --out "$dir/ref/weights" --batch 100 \
    --data "$data" --checkpoint "$dir/ref/weights/last.safetensors" \
    --json "$out/eval.json" > "$out/eval.log" 2>&1
  if [ -f "$out/eval.json" ]; then
    python3 "$dir/metrics.py" agree "$dir/ref/eval.json" "$out/eval.json" \
      1e-4 > "$out/agree.log" 2>&1
    report eval-parity $? "$(tr '\n' ' ' < "$out/agree.log")"
  else
    report eval-parity 1 "$(tail -1 "$out/eval.log")"
  fi
  # 2. The gradient on the GPU.
  "$dir/bin/parity-cuda" gradcheck --data "$data" > "$out/grad.log" 2>&1
  report gradcheck $? "$(tail -1 "$out/grad.log")"
  # 3. 200 updates.
  "$dir/bin/parity-cuda" train --data "$data" --updates 200 --log-every 20 \
    "${train_flags[@]}" --out "$out/parity" > "$out/parity.log" 2>&1
  python3 "$dir/metrics.py" track "$dir/ref/parity/metrics.jsonl" \
    "$out/parity/metrics.jsonl" 2e-2 > "$out/track.log" 2>&1
  report train-parity $? "$(tr '\n' ' ' < "$out/track.log")"
  # 4. The examples.
  for m in "${examples[@]}"; do
    "$dir/bin/$m-cuda" train --data "$data" --updates 20 --log-every 5 \
      "${train_flags[@]}" --out "$out/$m" > "$out/$m.log" 2>&1
    python3 "$dir/metrics.py" track "$dir/ref/$m/metrics.jsonl" \
      "$out/$m/metrics.jsonl" 2e-2 > "$out/$m.track" 2>&1
    local status=$?
    local speed
    speed=$(python3 - "$dir/ref/$m/metrics.jsonl" "$out/$m/metrics.jsonl" <<'PY'
import json, sys
def rate(path):
    rows = [json.loads(l) for l in open(path)][1:]
    return sum(r["examples_per_s"] for r in rows) / max(1, len(rows))
print(f"examples/s cpu {rate(sys.argv[1]):.0f} gpu {rate(sys.argv[2]):.0f}")
PY
)
    report "$m" $status "$(tr '\n' ' ' < "$out/$m.track") $speed"
    [ $status = 0 ] || tail -5 "$out/$m.log"
  done
  rm -rf "$out"
  [ $failures = 0 ]
}

case "$mode" in
  prepare) prepare ;;
  run) run ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
