#!/usr/bin/env bash
# bench/compile-time.sh [BUILD_DIR] [ROUNDS]
#
# How long gpsc takes on every example (examples/*.gps): to an object file
# (--emit=obj) and to a linked trainer (-o trainer), the best wall-clock and
# CPU (user + system) seconds over ROUNDS runs (default 3), and the size of
# the generated code (LLVM functions and instructions after optimisation).
# Prints one JSON line per example; the target is every wall time under 3 s
# (docs/performance.md, "Compile time"). For where the time goes, run
#   gpsc MODEL.gps --emit=obj -o /tmp/m.o --mlir-timing --time-llvm
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
gpsc="$build/bin/gpsc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# best_of OUT -- COMMAND...: the best "wall cpu" pair of ROUNDS runs.
best_of() {
  local best_wall="" best_cpu=""
  for _ in $(seq "$rounds"); do
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" > /dev/null
    read -r wall user sys < "$work/time"
    cpu=$(python3 -c "print(round($user + $sys, 2))")
    if [ -z "$best_wall" ] || python3 -c "import sys; sys.exit(not $wall < $best_wall)"; then
      best_wall=$wall
    fi
    if [ -z "$best_cpu" ] || python3 -c "import sys; sys.exit(not $cpu < $best_cpu)"; then
      best_cpu=$cpu
    fi
  done
  echo "$best_wall $best_cpu"
}

for model in examples/*.gps; do
  name=$(basename "$model" .gps)
  read -r obj_wall obj_cpu <<< "$(best_of "$gpsc" "$model" --emit=obj -o "$work/$name.o")"
  read -r exe_wall exe_cpu <<< "$(best_of "$gpsc" "$model" -o "$work/$name")"
  "$gpsc" "$model" --emit=llvm -o "$work/$name.ll"
  functions=$(grep -c '^define ' "$work/$name.ll" || true)
  instructions=$(awk '/^define /{f=1; next} /^}/{f=0} f && /^  /{n++} END{print n+0}' "$work/$name.ll")
  echo "{\"model\": \"$name\", \"obj_seconds\": $obj_wall, \"obj_cpu_seconds\": $obj_cpu, \"trainer_seconds\": $exe_wall, \"trainer_cpu_seconds\": $exe_cpu, \"llvm_functions\": $functions, \"llvm_instructions\": $instructions}"
done
