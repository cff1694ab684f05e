#!/usr/bin/env python3
"""Kills a trainer at random moments and resumes it until it finishes.

  kill-resume.py SEED KILLS TRAINER DIR TRAIN-FLAGS...

Starts `TRAINER train --out DIR TRAIN-FLAGS...`, sends SIGKILL at a random
moment (random.Random(SEED)) up to KILLS times, each time resuming with
`TRAINER train --out DIR --resume`, and lets the last attempt finish. After
every kill the checkpoint, when there is one, must load (`TRAINER eval`
exits 0). Prints how many runs were killed and how they ended.
"""
import os
import random
import signal
import subprocess
import sys
import time


def main(argv):
    rng = random.Random(int(argv[1]))
    kills, trainer, out = int(argv[2]), argv[3], argv[4]
    fresh = [trainer, "train", "--out", out] + argv[5:]
    checkpoint = os.path.join(out, "last.safetensors")
    killed = 0
    for attempt in range(4 * kills + 10):
        started = os.path.exists(checkpoint)
        args = [trainer, "train", "--out", out, "--resume"] if started else fresh
        if not started and os.path.exists(out):
            subprocess.run(["rm", "-rf", out], check=True)
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        if killed < kills:
            time.sleep(rng.uniform(0.02, 0.25))
            child.send_signal(signal.SIGKILL)
        _, err = child.communicate()
        if child.returncode == -signal.SIGKILL:
            killed += 1
            if os.path.exists(checkpoint):
                check = subprocess.run([trainer, "eval", "--out", out],
                                       stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
                if check.returncode != 0:
                    print("torn checkpoint:", check.stderr.decode())
                    return 1
            continue
        if child.returncode != 0:
            print("run failed:", err.decode())
            return 1
        print(f"finished after {killed} kills")
        return 0
    print("the run never finished")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
