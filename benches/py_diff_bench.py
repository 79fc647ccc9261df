#!/usr/bin/env python3
"""Time versioned-hdf5 (Python) doing what `cargo bench --bench diff` times.

    py_diff_bench.py FILE.h5 [--runs N]

FILE.h5 is the file made by benches/make_diff_file.py: /x, 10^8 uint8 in 100
chunks, in versions v1 and v2, which differ in one cell of each of 3 chunks.
FILE.h5 is only read.

Two operations, each from a closed file (open read-only, work, close):

* "diff of 10^8 elements, 3 changed chunks" (the criterion name of
  benches/diff.rs): the plain way to count changed cells with versioned-hdf5,
  load both versions and compare them,
  ``a = vf['v1']['x'][:]; b = vf['v2']['x'][:]; n = np.count_nonzero(a != b)``
  (checks n == 3);
* "get_diff (versioned-hdf5, chunk-level only)", for reference:
  versioned-hdf5's own ``vf.get_diff('x', 'v1', 'v2')``, which compares the
  two versions' virtual-dataset mappings and reads the changed chunks of both
  versions, but counts no cells (checks that it returns 3 chunks).

One untimed warm-up run of each, then N timed runs (default 7); prints the
medians as one JSON object {name: seconds} on stdout, details on stderr.
"""

import argparse
import json
import statistics
import sys
import time

import h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File

# Must match benches/make_diff_file.py and benches/diff.rs.
NAME = "x"
V1, V2 = "v1", "v2"
CHANGED_ELEMENTS = 3
CHANGED_CHUNKS = 3
OP = "diff of 10^8 elements, 3 changed chunks"
OP_GET_DIFF = "get_diff (versioned-hdf5, chunk-level only)"


def load_and_compare(path):
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        a = vf[V1][NAME][:]
        b = vf[V2][NAME][:]
        n = int(np.count_nonzero(a != b))
        vf.close()
    return n


def get_diff(path):
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        d = vf.get_diff(NAME, V1, V2)
        vf.close()
    return d


def timed(fn, path, runs):
    out = fn(path)  # warm-up, untimed
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t0)
    return out, times


def report(name, times):
    median = statistics.median(times)
    print(
        f"py_diff_bench: {name}: median of {len(times)}: {median * 1e3:.2f} ms "
        f"(min {min(times) * 1e3:.2f}, max {max(times) * 1e3:.2f})",
        file=sys.stderr,
    )
    return median


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each")
    args = ap.parse_args()

    n, t_load = timed(load_and_compare, args.file, args.runs)
    assert n == CHANGED_ELEMENTS, f"load-and-compare found {n} changed elements"
    d, t_get_diff = timed(get_diff, args.file, args.runs)
    assert len(d) == CHANGED_CHUNKS, f"get_diff returned {len(d)} chunks"
    cells = sum(int(np.count_nonzero(x != y)) for x, y in d.values())
    print(
        f"py_diff_bench: load-and-compare: {n} changed elements; get_diff: "
        f"{len(d)} changed chunks {[k.raw for k in d]} ({cells} cells differ in them)",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                OP: report(OP, t_load),
                OP_GET_DIFF: report(OP_GET_DIFF, t_get_diff),
            }
        )
    )


if __name__ == "__main__":
    main()
