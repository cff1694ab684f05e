#!/bin/sh
# emulate-gpu.sh GPSC MODEL.gps TMP PYTHON
#
# Checks what --target=cuda makes of MODEL against the CPU, on a machine
# without a GPU: the CPU trainer and one whose GPU kernels run on the host
# (gpsc --emulate-gpu, every kernel access checked for bounds and data
# races) log the same two updates to 1e-4 (the emulated one with the GPU's
# compiled optimizer, gather and masks), evaluate one checkpoint to 1e-5,
# and the emulated trainer draws samples. Prints what metrics.py prints.
set -e
gpsc=$1 model=$2 t=$3 python=$4
metrics=$(dirname "$0")/metrics.py
data="--data fashion-mnist --batch 20 --lr 1e-3 --test-fraction 0.005"
"$gpsc" "$model" -o "$t.cpu"
"$gpsc" "$model" --target=cuda --emulate-gpu -o "$t.emu"
rm -rf "$t.cpu.run" "$t.emu.run"
"$t.cpu" train $data --updates 2 --log-every 1 --eval-every 0 --out "$t.cpu.run" > /dev/null 2>&1
# The GPU's defaults: the optimizer, the batch's gather and its masks
# (where the model has any) as the model's compiled entry points. A failed
# check of the emulation says why on stderr.
compiled="--adam compiled --gather compiled"
if "$t.emu" train --help | grep -q -- "--masks "; then
  compiled="$compiled --masks compiled"
fi
"$t.emu" train $data $compiled --updates 2 --log-every 1 --eval-every 0 --out "$t.emu.run" > /dev/null 2> "$t.emu.err" ||
  { cat "$t.emu.err"; exit 1; }
"$python" "$metrics" track "$t.cpu.run/metrics.jsonl" "$t.emu.run/metrics.jsonl" 1e-4
"$t.cpu" eval --out "$t.cpu.run" --batch 100 --json "$t.cpu.json" > /dev/null
"$t.emu" eval --out "$t.cpu.run" --batch 100 --json "$t.emu.json" > /dev/null 2> "$t.emu.err" ||
  { cat "$t.emu.err"; exit 1; }
"$python" "$metrics" agree "$t.cpu.json" "$t.emu.json" 1e-5
"$t.emu" sample --out "$t.cpu.run" --png "$t.emu.png" > /dev/null 2> "$t.emu.err" ||
  { cat "$t.emu.err"; exit 1; }
echo "sampled"
