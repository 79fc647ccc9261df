#!/usr/bin/env python3
"""Make the commit-benchmark file with the real versioned-hdf5 (2.6.0).

    make_big_file.py OUT.h5

Layout: one version, ``v0`` (timestamp 2024-01-01T00:00:00Z), holding
``/big``: float64, shape (10_000_000,), chunks (4096,), standard-normal
random data from a fixed seed (80 MB, 2,442 chunks, no compression).

Chunks (4096,) are versioned-hdf5's own default for a 1-D dataset
(``DEFAULT_CHUNK_SIZE = 2**12``), so the benchmark measures the layout a user
gets without asking for one. It also makes "one chunk, not the dataset" as
sharp as it gets: a one-cell commit has to write 32 kB out of 80 MB, while
the version's chunk map (2,442 virtual-dataset mappings) is what every
commit of /big has to rewrite, in Python and in vh5 alike.

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

# Must match benches/commit.rs and benches/py_commit_bench.py.
BIG = "big"
LEN = 10_000_000
CHUNKS = (4096,)
VERSION = "v0"
TIMESTAMP = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
SEED = 20240101


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    args = ap.parse_args()

    t0 = time.perf_counter()
    data = np.random.default_rng(SEED).standard_normal(LEN)
    tmp = args.out + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)

    with h5py.File(tmp, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version(VERSION, timestamp=TIMESTAMP) as g:
            g.create_dataset(BIG, data=data, chunks=CHUNKS)
        vf.close()

    os.replace(tmp, args.out)
    elapsed = time.perf_counter() - t0
    size = os.path.getsize(args.out) / 1e6
    print(
        f"make_big_file: wrote {args.out} ({LEN} float64, chunks {CHUNKS}, "
        f"{size:.0f} MB) in {elapsed:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
