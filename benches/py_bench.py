#!/usr/bin/env python3
"""Time versioned-hdf5 (Python) doing what `cargo bench --bench read` times.

    py_bench.py FILE.h5 [--runs N]

FILE.h5 is the file made by benches/make_bench_file.py. Every operation
starts from a closed file (h5py read-only + VersionedHDF5File), runs once
untimed to warm the caches, then at least N times (default 5) and, for the
quick ones, until a second has been spent (at most 200 runs); the median is
reported. Prints one
JSON object {operation: seconds} on stdout (the names are the criterion
benchmark names of benches/read.rs) and the results of the operations on
stderr, so that they can be checked against vh5's.
"""

import argparse
import json
import math
import statistics
import sys
import time

import h5py
from versioned_hdf5 import VersionedHDF5File

# Must match benches/make_bench_file.py and benches/read.rs.
LARGE = "large"
OLD_VERSION = "v0010"
MAX_RUNS = 200


class Opened:
    """h5py.File(path, "r") + VersionedHDF5File, closed on exit."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.f = h5py.File(self.path, "r")
        self.vf = VersionedHDF5File(self.f)
        return self.f, self.vf

    def __exit__(self, *exc):
        self.vf.close()
        self.f.close()


def open_log(path):
    """`vh5 log`: every version's timestamp, parent and committed flag, sorted
    by timestamp; the number of committed ones and the current version."""
    with Opened(path) as (f, vf):
        versions = vf._versions
        rows = []
        for name in vf.versions:
            attrs = versions[name].attrs
            rows.append(
                (
                    attrs.get("timestamp"),
                    name,
                    attrs.get("prev_version"),
                    bool(attrs.get("committed", False)),
                )
            )
        rows.sort()
        return sum(1 for r in rows if r[3]), vf.current_version


def page(path):
    """A 50 x 20 page of an old version of the large dataset."""
    with Opened(path) as (f, vf):
        return vf[OLD_VERSION][LARGE][1000:1050, 200:220].size


def chunk_map(ds, chunks):
    """{chunk index: source block} from a version dataset's VDS mappings."""
    out = {}
    if not ds.is_virtual:
        return out
    for m in ds.virtual_sources():
        vstart, _ = m.vspace.get_select_bounds()
        index = tuple(s // c for s, c in zip(vstart, chunks))
        out[index] = m.src_space.get_select_bounds()
    return out


def show(path):
    """`vh5 show`: the current version's /large metadata plus the chunk-map
    counts (total, stored, unique to this version, shared with the parent),
    which need every version's mappings."""
    with Opened(path) as (f, vf):
        name = vf.current_version
        version = vf[name]
        ds = version[LARGE]
        raw = f[ds.attrs["raw_data"]]
        chunks = tuple(int(c) for c in raw.attrs["chunks"])
        meta = {
            "dtype": str(ds.dtype),
            "shape": ds.shape,
            "maxshape": ds.maxshape,
            "chunks": chunks,
            "fillvalue": ds.fillvalue,
            "compression": raw.compression,
            "compression_opts": raw.compression_opts,
            "attrs": dict(ds.attrs),
            "storage_size": raw.id.get_storage_size(),
        }
        current = chunk_map(ds, chunks)
        versions = vf._versions
        prev_name = version.attrs.get("prev_version")
        prev = {}
        if prev_name and prev_name != "__first_version__":
            pg = versions[prev_name]
            if LARGE in pg:
                prev = chunk_map(pg[LARGE], chunks)
        elsewhere = set()
        for other in vf.versions:
            if other == name:
                continue
            g = versions[other]
            if LARGE in g:
                elsewhere.update(chunk_map(g[LARGE], chunks).values())
        total = math.prod(-(-n // c) for n, c in zip(ds.shape, chunks))
        summary = {
            "total": total,
            "stored": len(current),
            "unique_in_version": sum(1 for b in current.values() if b not in elsewhere),
            "shared_with_prev": sum(1 for i, b in current.items() if prev.get(i) == b),
        }
        return meta["shape"], summary


OPS = {
    "open+log": open_log,
    "page 50x20 of an old version": page,
    "show": show,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=5, help="fewest timed runs")
    ap.add_argument("--min-time", type=float, default=1.0,
                    help="keep running until this many seconds are spent")
    args = ap.parse_args()

    results = {}
    for op, fn in OPS.items():
        answer = fn(args.file)  # warm-up, untimed
        times = []
        while len(times) < args.runs or (
            sum(times) < args.min_time and len(times) < MAX_RUNS
        ):
            t0 = time.perf_counter()
            fn(args.file)
            times.append(time.perf_counter() - t0)
        results[op] = statistics.median(times)
        print(f"py_bench: {op}: {answer!r}, median of {len(times)}: "
              f"{results[op] * 1e3:.2f} ms", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
