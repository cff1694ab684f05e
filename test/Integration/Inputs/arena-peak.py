#!/usr/bin/env python3
"""The arena peak gpsc --report=memory predicts against the trainer's.

  arena-peak.py GPSC MODEL.gps TRAINER BATCH... --rtol R

For each batch size, reads the predicted peak of gps_model_train from
`gpsc MODEL.gps --report=memory --batch B`, runs one update of TRAINER at
batch B with GPS_TRAINER_ARENA_PEAK set, and compares the arena's
high-water mark the trainer wrote with the prediction. Passes when every
relative difference is at most R.
"""
import os
import subprocess
import sys
import tempfile


def predicted(gpsc, model, batch):
    report = subprocess.run([gpsc, model, "--report=memory", "--batch",
                             str(batch)], check=True, capture_output=True,
                            text=True).stdout
    for line in report.splitlines():
        fields = line.split()
        if fields and fields[0] == "gps_model_train":
            return int(fields[2])
    raise SystemExit("no gps_model_train line in the report:\n" + report)


def measured(trainer, batch):
    with tempfile.TemporaryDirectory() as run:
        peak = os.path.join(run, "peak")
        env = dict(os.environ, GPS_TRAINER_ARENA_PEAK=peak)
        subprocess.run([trainer, "train", "--data", "fashion-mnist",
                        "--updates", "1", "--batch", str(batch),
                        "--eval-every", "0", "--threads", "1",
                        "--out", os.path.join(run, "r")],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        return int(open(peak).read())


def main(argv):
    gpsc, model, trainer = argv[1:4]
    rtol = float(argv[argv.index("--rtol") + 1])
    batches = [int(b) for b in argv[4:argv.index("--rtol")]]
    name = os.path.basename(model)
    failed = False
    for batch in batches:
        want, got = predicted(gpsc, model, batch), measured(trainer, batch)
        error = abs(want - got) / got
        print(f"{name} batch {batch}: predicted {want} bytes, arena peak "
              f"{got} bytes, relative difference {error:.4f}")
        failed |= error > rtol
    print("outside the tolerance" if failed else f"within {rtol}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
