#!/usr/bin/env python3
"""Shares of a server's CPU time by function, from `perf script` text of a call-graph profile.

    perf-shares.py PROFILE.script                 # inclusive and self shares of every function
    perf-shares.py PROFILE.script SUBSTRING ...   # each function's share and its direct callees

A sample counts for a function when the function is on the sample's stack (inclusive share);
inlined frames are left out, so names are those of real (not inlined) functions. With a
substring, the outermost frame whose name contains it is the focus, and the share of each frame
it called directly is listed: where that function's time went. See docs/performance.md.
"""
import collections
import sys


def read_samples(path):
    samples, current = [], None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            if not line.startswith("\t"):
                current = []
                samples.append(current)
                continue
            if current is not None:
                parts = line.strip().split(" ", 1)
                current.append(parts[1] if len(parts) > 1 else "?")
    return [[f for f in s if not f.endswith("(inlined)")] or s for s in samples]


def overview(samples):
    total = len(samples)
    inclusive, own = collections.Counter(), collections.Counter()
    for frames in samples:
        for name in set(f[:150] for f in frames):
            inclusive[name] += 1
        own[frames[0][:150]] += 1
    print(f"{total} samples")
    for name, n in inclusive.most_common(80):
        print(f"{100 * n / total:6.2f}%  {name}")
    print("--- self")
    for name, n in own.most_common(40):
        print(f"{100 * n / total:6.2f}%  {name}")


def focus(samples, needle):
    total = len(samples)
    hits, callees = 0, collections.Counter()
    for frames in samples:
        at = [i for i, f in enumerate(frames) if needle in f]
        if not at:
            continue
        hits += 1
        outer = at[-1]
        callees[frames[outer - 1][:150] if outer > 0 else "<self>"] += 1
    print(f"{needle}: {100 * hits / max(total, 1):.2f}% of {total} samples")
    for name, n in callees.most_common(25):
        print(f"  {100 * n / total:6.2f}%  {100 * n / max(hits, 1):6.2f}% of it  {name}")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    samples = read_samples(sys.argv[1])
    if len(sys.argv) == 2:
        overview(samples)
    for needle in sys.argv[2:]:
        focus(samples, needle)


if __name__ == "__main__":
    main()
