#!/usr/bin/env python3
"""Checks on a trainer's JSON output, for the integration tests.

  metrics.py same A.jsonl B.jsonl
      The two metrics files hold the same records, bit for bit, except the
      timing column examples_per_s.
  metrics.py improves BEFORE.json AFTER.json MARGIN [SECTION.TERM[+TERM...]]
      The guided objective of `eval` (or another term, e.g. guided.nll or
      unguided.nll_missing, or a sum of terms, e.g. the bound
      guided.nll+kl(q||p)) fell by at least MARGIN.
  metrics.py close EXACT.json ESTIMATE.json TERM RTOL
      The guided TERM of two `eval`s differs, but by at most RTOL of the
      first: a Monte Carlo estimate against its closed form.
"""
import json
import sys


def records(path):
    with open(path) as f:
        out = []
        for line in f:
            record = json.loads(line)
            record.pop("examples_per_s", None)
            out.append(record)
        return out


def main(argv):
    if argv[1] == "same":
        a, b = records(argv[2]), records(argv[3])
        if a != b:
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    print(f"record {i} differs:\n  {x}\n  {y}")
                    break
            print(f"{len(a)} vs {len(b)} records")
            return 1
        print(f"same: {len(a)} records")
        return 0
    if argv[1] == "improves":
        section, term = (argv[5] if len(argv) > 5
                         else "guided.objective").split(".", 1)

        def value(path):
            terms = json.load(open(path))[section]
            return sum(terms[t] for t in term.split("+"))

        before, after = value(argv[2]), value(argv[3])
        margin = float(argv[4])
        name = "objective" if term == "objective" else f"{section} {term}"
        print(f"test {name} {before:.2f} -> {after:.2f}")
        if not before - after >= margin:
            print(f"improved by {before - after:.2f}, less than {margin}")
            return 1
        print(f"improved by more than {margin}")
        return 0
    if argv[1] == "close":
        exact = json.load(open(argv[2]))["guided"][argv[4]]
        estimate = json.load(open(argv[3]))["guided"][argv[4]]
        rtol = float(argv[5])
        error = abs(exact - estimate) / abs(exact)
        print(f"{argv[4]}: {exact:.4f} closed form, {estimate:.4f} estimated")
        if estimate == exact:
            print("identical: the estimate is not a Monte Carlo estimate")
            return 1
        if error > rtol:
            print(f"relative error {error:.4f} above {rtol}")
            return 1
        print(f"relative error below {rtol}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
