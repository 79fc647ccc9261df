#!/usr/bin/env python3
"""Time versioned-hdf5 (Python) doing what `cargo bench --bench commit` times.

    py_commit_bench.py FILE.h5 [--runs N]

FILE.h5 is the file made by benches/make_big_file.py (one version holding
/big, 10^7 float64). It is copied once to a scratch file next to it
(FILE.h5.py-scratch, removed at the end); FILE.h5 itself is never written.
Each run opens the scratch file "r+", stages a new version on top of the
previous one that sets one cell, /big[1234567] = 42.0 (+ i in the i-th timed
run, so that every commit writes a new chunk rather than finding the last one
in the hash table, as in benches/commit.rs), commits it and closes the file.
One untimed warm-up run, then N timed runs (default 11); prints the
median as one JSON object {"one-cell commit on 10^7 elements": seconds} on stdout (the name is
the criterion benchmark name of benches/commit.rs), details on stderr.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time

import h5py
from versioned_hdf5 import VersionedHDF5File

# Must match benches/make_big_file.py and benches/commit.rs.
BIG = "big"
CELL = 1234567
VALUE = 42.0
OP = "one-cell commit on 10^7 elements"


def one_cell_commit(path, name, value):
    with h5py.File(path, "r+") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version(name) as g:
            g[BIG][CELL] = value
        vf.close()


def raw_rows(path):
    with h5py.File(path, "r") as f:
        return f[f"_version_data/{BIG}/raw_data"].shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=11, help="timed runs")
    args = ap.parse_args()

    scratch = args.file + ".py-scratch"
    shutil.copyfile(args.file, scratch)
    try:
        rows0 = raw_rows(scratch)
        one_cell_commit(scratch, "py0", VALUE)  # warm-up, untimed
        rows1 = raw_rows(scratch)
        times = []
        for i in range(1, args.runs + 1):
            t0 = time.perf_counter()
            one_cell_commit(scratch, f"py{i}", VALUE + i)
            times.append(time.perf_counter() - t0)
        with h5py.File(scratch, "r") as f:
            vf = VersionedHDF5File(f)
            current = vf.current_version
            value = vf[current][BIG][CELL]
            vf.close()
        rows2 = raw_rows(scratch)
    finally:
        os.remove(scratch)

    median = statistics.median(times)
    print(
        f"py_commit_bench: raw_data rows {rows0} -> {rows1} after the first "
        f"commit ({rows1 - rows0:+d}), {rows2} after {args.runs + 1}; "
        f"current {current}, {BIG}[{CELL}] = {value}",
        file=sys.stderr,
    )
    print(
        f"py_commit_bench: {OP}: median of {len(times)}: {median * 1e3:.2f} ms "
        f"(min {min(times) * 1e3:.2f}, max {max(times) * 1e3:.2f})",
        file=sys.stderr,
    )
    print(json.dumps({OP: median}))


if __name__ == "__main__":
    main()
