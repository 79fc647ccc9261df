#!/usr/bin/env python3
"""Make the diff-benchmark file with the real versioned-hdf5 (2.6.0).

    make_diff_file.py OUT.h5

Layout: ``/x``, uint8, shape (100_000_000,), chunks (1_000_000,) (100
chunks, 100 MB, no compression), uniform random bytes from a fixed seed, in
two versions:

* ``v1`` (timestamp 2024-01-01T00:00:00Z): the random data;
* ``v2`` (timestamp 2024-01-02T00:00:00Z), on top of ``v1``: one cell changed
  (old value + 1, mod 256) in each of 3 chunks, at indices 5 (chunk 0),
  42_000_000 (chunk 42) and 99_999_999 (chunk 99, the last).

So a diff of ``v1`` and ``v2`` has 3 changed chunks out of 100 and 3 changed
elements out of 10^8: vh5 finds the chunks from the two chunk maps and reads
only those 3 chunks in each version, where loading both versions and
comparing them reads all 200.

Writes to OUT.h5.tmp and renames at the end, so an interrupted run never
leaves a half-made OUT.h5 behind. Prints the generation time on stderr.
"""

import datetime
import sys
import time

import numpy as np

from bench_util import EPOCH, parse_args, report, versioned, writing

# Must match benches/diff.rs and benches/py_diff_bench.py.
NAME = "x"
LEN = 100_000_000
CHUNKS = (1_000_000,)
CHANGED = (5, 42_000_000, 99_999_999)
V1, V2 = "v1", "v2"
T1 = EPOCH
T2 = EPOCH + datetime.timedelta(days=1)
SEED = 20240102


def main() -> int:
    args = parse_args(__doc__)

    t0 = time.perf_counter()
    data = np.random.default_rng(SEED).integers(0, 256, LEN, dtype=np.uint8)
    with writing(args.out) as tmp:
        with versioned(tmp, "w") as (_, vf):
            with vf.stage_version(V1, timestamp=T1) as g:
                g.create_dataset(NAME, data=data, chunks=CHUNKS)
            with vf.stage_version(V2, prev_version=V1, timestamp=T2) as g:
                x = g[NAME]
                for i in CHANGED:
                    x[i] = np.uint8((int(data[i]) + 1) % 256)

        # Check what was written before publishing it.
        rows = check(tmp, data)

    report(
        "make_diff_file",
        args.out,
        f"{LEN} uint8, chunks {CHUNKS}, versions {V1}, {V2}; "
        f"{V2} changes indices {list(CHANGED)}; "
        f"raw_data {rows} rows = {rows // CHUNKS[0]} chunks; ",
        t0,
    )
    return 0


def check(tmp: str, data: np.ndarray) -> int:
    """Checks the versions written to `tmp` against `data`; returns the rows
    of /x's raw_data."""
    with versioned(tmp, "r") as (f, vf):
        assert vf.current_version == V2, vf.current_version
        a = vf[V1][NAME][:]
        b = vf[V2][NAME][:]
        assert a.dtype == np.uint8 and a.shape == (LEN,), (a.dtype, a.shape)
        assert np.array_equal(a, data)
        changed = np.flatnonzero(a != b).tolist()
        assert changed == list(CHANGED), changed
        return f[f"_version_data/{NAME}/raw_data"].shape[0]


if __name__ == "__main__":
    sys.exit(main())
