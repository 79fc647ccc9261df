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

import argparse
import datetime
import os
import sys
import time

import h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File

# Must match benches/diff.rs and benches/py_diff_bench.py.
NAME = "x"
LEN = 100_000_000
CHUNKS = (1_000_000,)
CHANGED = (5, 42_000_000, 99_999_999)
V1, V2 = "v1", "v2"
T1 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
T2 = datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)
SEED = 20240102


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = np.random.default_rng(SEED).integers(0, 256, LEN, dtype=np.uint8)
    tmp = args.out + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)

    with h5py.File(tmp, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version(V1, timestamp=T1) as g:
            g.create_dataset(NAME, data=data, chunks=CHUNKS)
        with vf.stage_version(V2, prev_version=V1, timestamp=T2) as g:
            x = g[NAME]
            for i in CHANGED:
                x[i] = np.uint8((int(data[i]) + 1) % 256)
        vf.close()

    # Check what was written before publishing it.
    with h5py.File(tmp, "r") as f:
        vf = VersionedHDF5File(f)
        assert vf.current_version == V2, vf.current_version
        a = vf[V1][NAME][:]
        b = vf[V2][NAME][:]
        assert a.dtype == np.uint8 and a.shape == (LEN,), (a.dtype, a.shape)
        assert np.array_equal(a, data)
        changed = np.flatnonzero(a != b).tolist()
        assert changed == list(CHANGED), changed
        rows = f[f"_version_data/{NAME}/raw_data"].shape[0]
        vf.close()

    os.replace(tmp, args.out)
    elapsed = time.perf_counter() - t0
    size = os.path.getsize(args.out) / 1e6
    print(
        f"make_diff_file: wrote {args.out} ({LEN} uint8, chunks {CHUNKS}, "
        f"versions {V1}, {V2}; {V2} changes indices {list(CHANGED)}; "
        f"raw_data {rows} rows = {rows // CHUNKS[0]} chunks; "
        f"{size:.0f} MB) in {elapsed:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
