#!/usr/bin/env bash
# bench/t-scaling.sh [BUILD_DIR] [T...]
#
# How compilation and training memory grow with the number of steps T, on a
# tied-step imputation model (GPSI-add's shape with small nets) for
# T = 1, 6, 64, 1000 by default (the canvas is squashed by tanh so that a
# long rollout stays finite at initialisation). For each T: the lines and bytes of
# `gpsc --emit=llvm`, the wall time of `gpsc -o`, and the peak RSS of two
# training updates at batch 50 and batch 100 on Fashion-MNIST. Prints a table
# and, last, one JSON line per T.
#
# Targets: LLVM IR size and compile time at T = 1000 within 1.2x of T = 6;
# the RSS growth per step proportional to the batch (no per-step growth
# that does not depend on the batch, i.e. no per-step parameter-sized
# buffers).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(1 6 64 1000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

model() {
  cat <<GPS
model tied {
  data  x : real[784] in [0, 1]
  mask  m : mar(14, image = 28x28)
  steps T = $1
  net step_p = mlp(1568 -> 64 relu -> gauss(16))
  net step_q = mlp(2352 -> 64 relu -> gauss(16))
  net write  = mlp(16 -> 64 relu -> 784)
  param c0 : real[784]
  primary p(x.known, m) {
    c = c0
    for t in 1..T {
      z[t] ~ step_p(concat(fill(c, x.known, m), m))
      c = tanh(c + write(z[t]))
    }
    x.missing ~ bernoulli(logits = c)
  }
  guide q(x, m) {
    c = c0
    for t in 1..T {
      z[t] ~ step_q(concat(fill(c, x.known, m), m, x))
      c = tanh(c + write(z[t]))
    }
  }
  objective = nll + kl(q || p)
}
GPS
}

rss_kb() { # trainer batch
  rm -rf "$work/run"
  /usr/bin/time -f "%M" -o "$work/rss" "$1" train --data fashion-mnist \
    --updates 2 --batch "$2" --eval-every 0 --threads 1 --out "$work/run" \
    > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  cat "$work/rss"
}

printf "%6s %11s %12s %10s %12s %12s\n" T llvm_lines llvm_bytes compile_s \
  rss_b50_mb rss_b100_mb
json=()
for T in "${steps[@]}"; do
  model "$T" > "$work/m$T.gps"
  "$build/bin/gpsc" "$work/m$T.gps" --emit=llvm -o "$work/m$T.ll"
  lines=$(wc -l < "$work/m$T.ll")
  bytes=$(wc -c < "$work/m$T.ll")
  start=$(date +%s.%N)
  "$build/bin/gpsc" "$work/m$T.gps" -o "$work/m$T"
  end=$(date +%s.%N)
  compile=$(python3 -c "print(round($end - $start, 2))")
  r50=$(rss_kb "$work/m$T" 50)
  r100=$(rss_kb "$work/m$T" 100)
  printf "%6s %11s %12s %10s %12.1f %12.1f\n" "$T" "$lines" "$bytes" \
    "$compile" "$(python3 -c "print($r50 / 1024)")" \
    "$(python3 -c "print($r100 / 1024)")"
  json+=("{\"steps\": $T, \"llvm_lines\": $lines, \"llvm_bytes\": $bytes, \"compile_s\": $compile, \"rss_kb_batch50\": $r50, \"rss_kb_batch100\": $r100}")
done
printf "%s\n" "${json[@]}"
