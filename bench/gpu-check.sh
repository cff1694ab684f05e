#!/usr/bin/env bash
# bench/gpu-check.sh prepare [DIR]          on the build machine
# bench/gpu-check.sh run [DIR [JSON]]       on a machine with an NVIDIA GPU
# bench/gpu-check.sh bench [DIR [JSON]]     there too, with PyTorch
#
# The checks of the CUDA backend that need a GPU, for a GPU machine that
# cannot build gps (no LLVM/MLIR 22 there). `prepare` compiles, here, the
# CUDA trainers of test/Integration/cuda-parity.gps and of the examples
# (and TF32 ones of gpsi_add and lstm_gen), writes a 5,000-image
# Fashion-MNIST subset, runs the CPU side of every check with the
# trainers' CPU halves (--device cpu: the references),
# and copies the shared libraries the trainers need besides the CUDA
# toolkit's and the PyTorch peers, all into DIR (default build/gpu-check,
# about 60 MB). `run` then checks, with those files only:
#
#   1. evaluation of one checkpoint: GPU vs CPU, every term to 1e-4;
#   2. the GPU's gradient against central differences of its objective;
#   3. 200 updates of the parity model on the GPU vs the CPU reference of
#      the same seed, every logged term to 2e-2;
#   4. the GPU's run of 3. resumed on the CPU, then on the GPU again, and
#      20 updates whose Adam step runs on the host (--adam runtime)
#      against the compiled one on the GPU (the default): the same
#      checkpoint, bit for bit;
#   5. 20 updates of each example on the GPU vs the CPU, to 2e-2, and the
#      examples per second of both;
#   6. 20 updates of the parity model and of lstm_gen with each training
#      step (the gradient and the Adam update) replayed from one CUDA
#      Graph (the default: 18 of the 20 steps replayed,
#      GPS_CUDA_GRAPH_STATS) against the same runs enqueued launch by
#      launch (GPS_CUDA_GRAPHS=0): the same checkpoint, bit for bit;
#   7. 20 updates of the parity model (MCAR masks) and of gpsi_add (MAR)
#      with the batches gathered and the masks drawn on the GPU (the
#      default) against the host's (--gather host --masks host): the same
#      checkpoint, bit for bit.
#
# It prints one line per check (PASS/FAIL), writes them to JSON (with the
# GPU and the date) and exits 1 when one fails. `bench` measures updates
# per second of gpsi_add and lstm_gen at batch 250 and gpsi_add at batch
# 2500: the gps trainers in FP32 and TF32 (and in FP32 without CUDA
# Graphs, GPS_CUDA_GRAPHS=0: the row gps-nograph) against bench/peers in
# PyTorch eager (FP32, TF32) and torch.compile(mode="max-autotune") (FP32;
# TF32 too with GPS_BENCH_COMPILE_TF32=1), alternating, each peer run within
# GPS_PEER_TIMEOUT seconds (default 240; compiling counts); it writes the
# rows, the GPU memory peaks and the GPU operations per update to JSON.
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
  # A small data set: the first 5,000 training images.
  python3 - "$dir/data.idx.gz" <<'PY'
import gzip, struct, sys
src = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
with gzip.open(src) as f:
    magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
    images = f.read(5000 * rows * cols)
with gzip.open(sys.argv[1], "wb") as out:
    out.write(struct.pack(">IIII", magic, 5000, rows, cols) + images)
PY
  local data="$dir/data.idx.gz"
  # OpenBLAS, not oneDNN (40 MB), so that the trainers and their libraries
  # fit what the device machine can be given.
  local gpsc=("$build/bin/gpsc" --gemm=openblas)
  "${gpsc[@]}" "$root/test/Integration/cuda-parity.gps" --target=cuda \
    -o "$dir/bin/parity-cuda"
  for m in "${examples[@]}"; do
    "${gpsc[@]}" "$root/examples/$m.gps" --target=cuda -o "$dir/bin/$m-cuda"
  done
  for m in gpsi_add lstm_gen; do
    "${gpsc[@]}" "$root/examples/$m.gps" --target=cuda --tf32 \
      -o "$dir/bin/$m-cuda-tf32"
    "${gpsc[@]}" "$root/examples/$m.gps" --target=cuda --report=launches \
      > "$dir/launches-$m.txt"
  done
  # The CPU references, from the trainers' CPU halves.
  local parity=("$dir/bin/parity-cuda")
  "${parity[@]}" train --device cpu --data "$data" --updates 5 \
    "${train_flags[@]}" --out "$dir/ref/weights" > /dev/null 2>&1
  "${parity[@]}" eval --device cpu --out "$dir/ref/weights" --batch 100 \
    --data "$data" --json "$dir/ref/eval.json" > /dev/null
  "${parity[@]}" train --device cpu --data "$data" --updates 200 \
    --log-every 20 "${train_flags[@]}" --out "$dir/ref/parity" \
    > /dev/null 2>&1
  for m in "${examples[@]}"; do
    "$dir/bin/$m-cuda" train --device cpu --data "$data" --updates 20 \
      --log-every 5 "${train_flags[@]}" --out "$dir/ref/$m" > /dev/null 2>&1
  done
  # Only the metrics of the training references travel, and the trainers.
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
  mkdir -p "$dir/peers"
  cp "$root"/bench/peers/*.py "$dir/peers/"
  du -sh "$dir"
}

# mean_rate METRICS.jsonl: a run's mean examples/s after its first log
# interval (which holds the start-up), or "null".
mean_rate() {
  python3 - "$1" <<'PY'
import json, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1])][1:]
    print("%.1f" % (sum(r["examples_per_s"] for r in rows) / len(rows)))
except (OSError, ValueError, ZeroDivisionError):
    print("null")
PY
}

# json_string: standard input as one JSON string.
json_string() {
  python3 -c 'import json, sys; print(json.dumps(sys.stdin.read()))'
}

failures=0
checks=$(mktemp)
report() { # NAME STATUS DETAIL
  if [ "$2" = 0 ]; then echo "PASS $1: $3"; else echo "FAIL $1: $3"; failures=$((failures + 1)); fi
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$checks"
}

# The GPU's name, the driver's and the CUDA versions, as JSON fields.
gpu_fields() {
  python3 - <<'PY'
import json, subprocess
def query(field):
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=" + field,
                              "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
        return out.splitlines()[0] if out else None
    except (OSError, subprocess.SubprocessError):
        return None
print(json.dumps({"gpu": query("name"), "driver": query("driver_version")})[1:-1])
PY
}

# write_checks JSON: the checks of `run` as a JSON file.
write_checks() {
  python3 - "$checks" "$1" "$(gpu_fields)" <<'PY'
import datetime, json, sys
rows = [line.rstrip("\n").split("\t", 2) for line in open(sys.argv[1])]
result = json.loads("{" + sys.argv[3] + "}")
result["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
result["checks"] = [{"name": n, "pass": s == "0", "detail": d} for n, s, d in rows]
json.dump(result, open(sys.argv[2], "w"), indent=2)
PY
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
  # 4. That run resumed on the CPU (the bundled OpenBLAS), then on the GPU:
  # one checkpoint format.
  "$dir/bin/parity-cuda" train --device cpu --resume --updates 210 \
    --out "$out/parity" > "$out/resume.log" 2>&1 &&
    "$dir/bin/parity-cuda" train --device cuda --resume --updates 220 \
      --out "$out/parity" >> "$out/resume.log" 2>&1
  report resume-cpu-gpu $? "$(tail -1 "$out/resume.log")"
  local adam_flags=(--data "$data" --updates 20 --batch 50 --lr 1e-3
    --eval-every 0 --checkpoint-every 0)
  "$dir/bin/parity-cuda" train "${adam_flags[@]}" --out "$out/adam-gpu" \
    > "$out/adam.log" 2>&1 &&
    "$dir/bin/parity-cuda" train "${adam_flags[@]}" --adam runtime \
      --out "$out/adam-host" >> "$out/adam.log" 2>&1 &&
    cmp "$out/adam-gpu/last.safetensors" "$out/adam-host/last.safetensors" \
      >> "$out/adam.log" 2>&1
  report adam-gpu-vs-host $? "$(tail -1 "$out/adam.log")"
  # 5. The examples.
  for m in "${examples[@]}"; do
    "$dir/bin/$m-cuda" train --data "$data" --updates 20 --log-every 5 \
      "${train_flags[@]}" --out "$out/$m" > "$out/$m.log" 2>&1
    python3 "$dir/metrics.py" track "$dir/ref/$m/metrics.jsonl" \
      "$out/$m/metrics.jsonl" 2e-2 > "$out/$m.track" 2>&1
    local status=$?
    local speed
    speed="examples/s cpu $(mean_rate "$dir/ref/$m/metrics.jsonl") gpu $(mean_rate "$out/$m/metrics.jsonl")"
    report "$m" $status "$(tr '\n' ' ' < "$out/$m.track") $speed"
    [ $status = 0 ] || tail -5 "$out/$m.log"
  done
  # 6. Graphs replay exactly what the launches compute.
  for m in parity lstm_gen; do
    local graph_flags=(--data "$data" --updates 20 --batch 50 --lr 1e-3
      --eval-every 0 --checkpoint-every 0)
    GPS_CUDA_GRAPH_STATS="$out/$m.stats" "$dir/bin/$m-cuda" train \
      "${graph_flags[@]}" --out "$out/$m-graphs" > "$out/graphs.log" 2>&1 &&
      GPS_CUDA_GRAPHS=0 "$dir/bin/$m-cuda" train "${graph_flags[@]}" \
        --out "$out/$m-launches" >> "$out/graphs.log" 2>&1 &&
      cmp "$out/$m-graphs/last.safetensors" \
        "$out/$m-launches/last.safetensors" >> "$out/graphs.log" 2>&1 &&
      grep -q "^entry 0 eager 1 record 1 replay 18$" "$out/$m.stats" \
        >> "$out/graphs.log" 2>&1 &&
      grep -q "^step eager 1 record 1 replay 18$" "$out/$m.stats" \
        >> "$out/graphs.log" 2>&1
    report "graphs-vs-launches-$m" $? \
      "$(tail -1 "$out/graphs.log") $(head -1 "$out/$m.stats" 2>/dev/null) $(grep '^step' "$out/$m.stats" 2>/dev/null)"
  done
  # 7. Batches and masks made on the GPU are the host's.
  for m in parity gpsi_add; do
    local batch_flags=(--data "$data" --updates 20 --batch 50 --lr 1e-3
      --eval-every 0 --checkpoint-every 0)
    "$dir/bin/$m-cuda" train "${batch_flags[@]}" --out "$out/$m-device" \
      > "$out/batches.log" 2>&1 &&
      "$dir/bin/$m-cuda" train "${batch_flags[@]}" --gather host \
        --masks host --out "$out/$m-host" >> "$out/batches.log" 2>&1 &&
      cmp "$out/$m-device/last.safetensors" "$out/$m-host/last.safetensors" \
        >> "$out/batches.log" 2>&1
    report "batches-device-vs-host-$m" $? "$(tail -1 "$out/batches.log")"
  done
  rm -rf "$out"
  [ -z "$json" ] || write_checks "$json"
  [ $failures = 0 ]
}

# gps_rate TRAINER BATCH UPDATES OUT: the trainer's examples/s (mean_rate)
# over UPDATES updates at BATCH, its run in OUT.
gps_rate() {
  "$1" train --data "$dir/data.idx.gz" --batch "$2" --updates "$3" \
    --log-every 10 --eval-every 0 --checkpoint-every 0 --out "$4" \
    > "$4.log" 2>&1
  mean_rate "$4/metrics.jsonl"
}

bench() {
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local out rows timeout=${GPS_PEER_TIMEOUT:-240}
  out=$(mktemp -d)
  rows="$out/rows.jsonl"
  nvidia-smi -L || true
  python3 -c "import torch; print('PyTorch', torch.__version__)" || exit 1
  local row=0
  for spec in "gpsi_add 250 40" "lstm_gen 250 40" "gpsi_add 2500 20"; do
    set -- $spec
    local m=$1 batch=$2 updates=$3
    row=$((row + 1))
    # Two rounds, alternating; the compiled peers once (compiling is most
    # of their time).
    for round in 1 2; do
      for kind in gps gps-tf32 gps-nograph eager eager-tf32 compiled \
        compiled-tf32; do
        local rate="null" peer_json="null" flags=()
        case $kind in
          gps|gps-tf32|gps-nograph)
            local trainer="$dir/bin/$m-cuda" run="$out/r$row-$round-$kind"
            [ $kind != gps-tf32 ] || trainer="$trainer-tf32"
            if [ $kind = gps-nograph ]; then
              rate=$(GPS_CUDA_GRAPHS=0 gps_rate "$trainer" "$batch" \
                "$updates" "$run")
            else
              rate=$(gps_rate "$trainer" "$batch" "$updates" "$run")
            fi
            # A failed run's last words stand where a peer's result would.
            [ "$rate" != null ] || peer_json="{\"error\": $(tail -1 "$run.log" | json_string)}" ;;
          *)
            case $kind in
              eager-tf32) flags=(--tf32) ;;
              compiled) flags=(--compile); [ $round = 1 ] || continue ;;
              compiled-tf32)
                flags=(--compile --tf32)
                [ $round = 1 ] && [ "${GPS_BENCH_COMPILE_TF32:-0}" = 1 ] || continue ;;
            esac
            timeout "$timeout" python3 "$dir/peers/peer.py" bench --model "$m" \
              --batch "$batch" --updates "$updates" --device cuda \
              --data "$dir/data.idx.gz" "${flags[@]}" \
              > "$out/peer.json" 2> "$out/peer.err"
            local status=$?
            if [ $status = 0 ]; then
              peer_json=$(cat "$out/peer.json")
            else
              peer_json="{\"error\": $(tail -3 "$out/peer.err" | json_string), \"status\": $status}"
            fi ;;
        esac
        printf '{"model": "%s", "batch": %s, "round": %s, "kind": "%s", "gps_examples_per_s": %s, "peer": %s}\n' \
          "$m" "$batch" "$round" "$kind" "$rate" "$peer_json" >> "$rows"
        echo "$m batch $batch round $round $kind done"
      done
    done
  done
  python3 - "$rows" "${json:-/dev/stdout}" "$(gpu_fields)" "$dir" <<'PY'
import datetime, json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
result = json.loads("{" + sys.argv[3] + "}")
result["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
def peer_rate(peer):
    if not peer or "update_seconds" not in peer:
        return None
    # The later half of the updates: past compilation, autotuning, warm-up.
    secs = peer["update_seconds"][len(peer["update_seconds"]) // 2:]
    return peer["batch"] / statistics.median(secs)
table = {}
for r in rows:
    key = (r["model"], r["batch"])
    rate = r["gps_examples_per_s"] if r["kind"].startswith("gps") else peer_rate(r["peer"])
    entry = table.setdefault(key, {}).setdefault(r["kind"], {"examples_per_s": []})
    entry["examples_per_s"].append(rate)
    if isinstance(r["peer"], dict):
        for k in ("max_gpu_bytes", "gpu_ops_per_update", "torch", "error"):
            if k in r["peer"]:
                entry[k] = r["peer"][k]
summary = []
for (model, batch), kinds in table.items():
    best = {k: max([x for x in v["examples_per_s"] if x] or [0]) or None
            for k, v in kinds.items()}
    row = {"model": model, "batch": batch, "best_examples_per_s": best, "runs": kinds}
    for precision, gps_kind, eager, compiled in (("fp32", "gps", "eager", "compiled"),
                                                 ("tf32", "gps-tf32", "eager-tf32", "compiled-tf32")):
        g = best.get(gps_kind)
        for peer in (eager, compiled):
            p = best.get(peer)
            row["%s_vs_%s" % (gps_kind, peer)] = round(g / p, 3) if g and p else None
    g, p = best.get("gps"), best.get("gps-nograph")
    row["gps_vs_gps-nograph"] = round(g / p, 3) if g and p else None
    summary.append(row)
# What one gps training step launches (gpsc --report=launches, at prepare:
# its last row sums the step's entries, the gather, masks, train, the sum
# of squares and adam).
for row in summary:
    try:
        for line in open("%s/launches-%s.txt" % (sys.argv[4], row["model"])):
            if line.startswith("(training step)"):
                fields = line[len("(training step)"):].split()
                row["gps_kernels_per_update"] = int(fields[0])
                row["gps_sgemm_per_update"] = int(fields[1])
                row["gps_step_graph"] = fields[4] == "yes"
    except OSError:
        pass
result["rows"] = summary
with open(sys.argv[2], "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
PY
  rm -rf "$out"
}

json=${3:-}
case "$mode" in
  prepare) prepare ;;
  run) run ;;
  bench) bench ;;
  *) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
