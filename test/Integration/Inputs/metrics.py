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
  metrics.py agree A.json B.json RTOL
      Every term of two `eval`s (of one checkpoint, by two builds), of each
      section (guided, unguided, imputation), agrees to RTOL relative
      (absolute below 1).
  metrics.py track A.jsonl B.jsonl RTOL
      Two runs log the same updates, and at each the objective and every
      term agree to RTOL relative (absolute below 1).
  metrics.py objective A.txt B.txt RTOL
      The objectives two `gradcheck`s print (of one model, by two builds)
      agree to RTOL relative.
"""
import re
import json
import math
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
    if argv[1] in ("agree", "track"):
        if argv[1] == "agree":
            a, b = json.load(open(argv[2])), json.load(open(argv[3]))
            sections = [k for k in ("guided", "unguided", "imputation")
                        if k in a]
            for k in sections:
                if k not in b:
                    print(f"'{k}' is missing from the second")
                    return 1
            pairs = [(a[k], b[k]) for k in sections]
        else:
            a, b = records(argv[2]), records(argv[3])
            if [r.get("step") for r in a] != [r.get("step") for r in b]:
                print(f"the runs log different updates: {len(a)} vs {len(b)}")
                return 1
            pairs = list(zip(a, b))
        rtol = float(argv[4])
        worst, where = 0.0, None
        for i, (x, y) in enumerate(pairs):
            for key, value in x.items():
                if key in ("step", "lr", "skipped", "examples_per_s"):
                    continue
                other = y.get(key)
                # Per-step terms are lists of numbers.
                values = value if isinstance(value, list) else [value]
                others = other if isinstance(other, list) else [other]
                if len(values) != len(others):
                    print(f"record {i}: '{key}' differs in length")
                    return 1
                for v, o in zip(values, others):
                    if isinstance(v, (bool, str)) or (v is None and o is None):
                        continue
                    # A term written as null on one side only (a NaN, or
                    # missing) agrees with nothing, nor does a NaN.
                    if not isinstance(v, (int, float)) or \
                            not isinstance(o, (int, float)) or \
                            math.isnan(v) or math.isnan(o):
                        print(f"record {i} '{key}': {v} vs {o}")
                        return 1
                    error = abs(v - o) / max(1.0, abs(v))
                    if error > worst:
                        worst, where = error, (i, key, v, o)
        what = "sections" if argv[1] == "agree" else "records"
        print(f"{len(pairs)} {what}, largest relative difference {worst:.2e}")
        if worst > rtol:
            i, key, value, other = where
            print(f"record {i} '{key}': {value} vs {other}, above {rtol}")
            return 1
        return 0
    if argv[1] == "objective":
        def objective(path):
            found = re.search(r"objective (\S+),", open(path).read())
            if not found:
                raise SystemExit(f"{path}: no gradcheck summary")
            return float(found.group(1))

        a, b = objective(argv[2]), objective(argv[3])
        error = abs(a - b) / max(1.0, abs(a))
        print(f"objective {a} vs {b}, relative difference {error:.2e}")
        if not error <= float(argv[4]):
            print(f"above {argv[4]}")
            return 1
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
