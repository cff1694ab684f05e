#!/usr/bin/env python3
"""Size of optimised LLVM IR: the functions defined and their instructions.

  llvm-size.py MODULE.ll MAX_INSTRUCTIONS

Prints each defined function with its instruction count, largest first,
then the total; fails when the total exceeds MAX_INSTRUCTIONS.
"""
import re
import sys


def main(argv):
    path, limit = argv[1], int(argv[2])
    sizes, current = {}, None
    for line in open(path):
        match = re.match(r"define .*@([\w.$]+)\(", line)
        if match:
            current = match.group(1)
            sizes[current] = 0
        elif line.startswith("}"):
            current = None
        elif current and line.startswith("  ") and line.strip():
            sizes[current] += 1
    total = sum(sizes.values())
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"{name} {size}")
    print(f"{len(sizes)} functions, {total} instructions")
    if total > limit:
        print(f"more than {limit} instructions")
        return 1
    print(f"at most {limit} instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
