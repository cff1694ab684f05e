#!/usr/bin/env python3
"""Memory growth of a training update with the number of steps.

  memory.py LOWERED.mlir STEPS_LO TRAINER_LO STEPS_HI TRAINER_HI BATCH RATIO

Runs one update of each trainer (the same model compiled with STEPS_LO and
STEPS_HI steps) at batch BATCH on Fashion-MNIST and reads each run's peak
RSS. The tape of one step is what the forward loop stores for the reversed
one: the allocations `memref<STEPS_HI x ? x N x f32>` of the lowered IR of
the STEPS_HI model, N floats per example each. Passes when the peak grows
by at most RATIO times the tape per added step.
"""
import re
import resource
import subprocess
import sys
import tempfile


def peak_kb(trainer, batch):
    with tempfile.TemporaryDirectory() as run:
        subprocess.run([trainer, "train", "--data", "fashion-mnist",
                        "--updates", "1", "--batch", str(batch),
                        "--eval-every", "0", "--threads", "1",
                        "--out", run + "/r"],
                       check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss of children is the largest child so far: run the
        # smaller model first.
        return after


def main(argv):
    lowered, lo, trainer_lo, hi, trainer_hi, batch, ratio = argv[1:]
    lo, hi, batch, ratio = int(lo), int(hi), int(batch), float(ratio)
    text = open(lowered).read()
    pattern = (r"memref\.alloc\(%\w+\)( \{[^}]*\})? : memref<" + str(hi) +
               r"x\?x(\d+)xf32>")
    widths = [int(m.group(2)) for m in re.finditer(pattern, text)]
    tape = 4 * batch * sum(widths)
    rss_lo = peak_kb(trainer_lo, batch)
    rss_hi = peak_kb(trainer_hi, batch)
    growth = (rss_hi - rss_lo) * 1024 / (hi - lo)
    print(f"tape per step {tape / 2**20:.2f} MiB ({len(widths)} tapes), "
          f"peak RSS {rss_lo / 1024:.0f} MiB at {lo} steps, "
          f"{rss_hi / 1024:.0f} MiB at {hi}: {growth / 2**20:.2f} MiB per step")
    if not widths:
        print("no tapes found in the lowered IR")
        return 1
    if growth > ratio * tape:
        print(f"memory grows by {growth / tape:.2f} times the tape per step, "
              f"more than {ratio}")
        return 1
    print(f"memory grows by at most {ratio} times the tape per step")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
