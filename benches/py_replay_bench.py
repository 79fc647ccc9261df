#!/usr/bin/env python3
"""Time versioned-hdf5 (Python) doing what `cargo bench --bench replay` times.

    py_replay_bench.py BENCH1000.h5 REPLAY100.h5 [--delete-runs N] [--dtype-runs N]

BENCH1000.h5 is the file made by benches/make_bench_file.py (1,000 versions
v0000 ... v0999), REPLAY100.h5 the one made by benches/make_replay_file.py
(100 versions of /data, 200,000 float64). Neither is ever written: every run
works on a fresh copy next to the input (FILE.h5.py-replay-scratch, removed
afterwards); the copy is made before the clock starts. The timed operation
opens the copy with h5py "r+", runs versioned_hdf5.replay's function and
closes the file:

* "delete 10 of 1,000 versions": delete_versions(f, [v0100, v0200, ...,
  v0900, v0999]) on BENCH1000.h5 (v0999 is the current version);
* "dtype change on 100 versions": modify_metadata(f, "data",
  dtype="float32") on REPLAY100.h5.

Each operation runs once untimed (a warm-up whose result is checked: the
deleted versions are gone and the current version is v0998; /data is
float32 in every version), then N times (default 3 for the delete, 5 for the
dtype change). Prints the medians as one JSON object {operation: seconds} on
stdout (the names are the criterion benchmark names of benches/replay.rs),
details on stderr.
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
from versioned_hdf5.replay import delete_versions, modify_metadata

# Must match benches/make_bench_file.py, benches/make_replay_file.py and
# benches/replay.rs.
BENCH_VERSIONS = 1000
DELETED = [f"v{i:04d}" for i in range(100, 1000, 100)] + ["v0999"]
CURRENT_AFTER_DELETE = "v0998"
REPLAY_VERSIONS = 100
DATA = "data"
NEW_DTYPE = "float32"
OP_DELETE = "delete 10 of 1,000 versions"
OP_DTYPE = "dtype change on 100 versions"


def delete(path):
    with h5py.File(path, "r+") as f:
        delete_versions(f, DELETED)


def change_dtype(path):
    with h5py.File(path, "r+") as f:
        modify_metadata(f, DATA, dtype=NEW_DTYPE)


def versions(path):
    """The versions' names (without __first_version__) and the current one."""
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        names = [n for n in vf.versions if n != "__first_version__"]
        current = vf.current_version
        vf.close()
    return names, current


def data_dtypes(path):
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        out = {n: str(vf[n][DATA].dtype) for n in vf.versions
               if n != "__first_version__"}
        vf.close()
    return out


def check_delete(source, copy):
    before, _ = versions(source)
    after, current = versions(copy)
    assert len(before) == BENCH_VERSIONS, f"{len(before)} versions before"
    gone = [n for n in DELETED if n not in after]
    assert gone == DELETED, f"still there: {set(DELETED) - set(gone)}"
    assert len(after) == BENCH_VERSIONS - len(DELETED), f"{len(after)} versions after"
    assert current == CURRENT_AFTER_DELETE, f"current {current}"
    return (f"{len(after)} versions left, current {current}; "
            f"{os.path.getsize(source)} -> {os.path.getsize(copy)} bytes")


def check_dtype(source, copy):
    before = data_dtypes(source)
    after = data_dtypes(copy)
    assert len(before) == REPLAY_VERSIONS, f"{len(before)} versions"
    assert set(before.values()) == {"float64"}, f"before: {set(before.values())}"
    assert len(after) == REPLAY_VERSIONS, f"{len(after)} versions after"
    assert set(after.values()) == {NEW_DTYPE}, f"after: {set(after.values())}"
    return (f"/{DATA} {NEW_DTYPE} in all {len(after)} versions; "
            f"{os.path.getsize(source)} -> {os.path.getsize(copy)} bytes")


def bench(op, fn, source, runs, check):
    scratch = source + ".py-replay-scratch"
    try:
        shutil.copyfile(source, scratch)
        t0 = time.perf_counter()
        fn(scratch)  # warm-up, untimed
        warm = time.perf_counter() - t0
        print(f"py_replay_bench: {op}: {check(source, scratch)} "
              f"({warm:.2f}s untimed check run)", file=sys.stderr)
        times = []
        for _ in range(runs):
            shutil.copyfile(source, scratch)
            t0 = time.perf_counter()
            fn(scratch)
            times.append(time.perf_counter() - t0)
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)
    median = statistics.median(times)
    print(f"py_replay_bench: {op}: median of {len(times)}: {median:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f})", file=sys.stderr)
    return median


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bench1000")
    ap.add_argument("replay100")
    ap.add_argument("--delete-runs", type=int, default=3)
    ap.add_argument("--dtype-runs", type=int, default=5)
    args = ap.parse_args()

    results = {
        OP_DELETE: bench(OP_DELETE, delete, args.bench1000, args.delete_runs,
                         check_delete),
        OP_DTYPE: bench(OP_DTYPE, change_dtype, args.replay100, args.dtype_runs,
                        check_dtype),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
