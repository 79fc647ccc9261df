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

import sys
import time

import numpy as np

from bench_util import EPOCH, parse_args, report, versioned, writing

# Must match benches/commit.rs and benches/py_commit_bench.py.
BIG = "big"
LEN = 10_000_000
CHUNKS = (4096,)
VERSION = "v0"
TIMESTAMP = EPOCH
SEED = 20240101


def main() -> int:
    args = parse_args(__doc__)

    t0 = time.perf_counter()
    data = np.random.default_rng(SEED).standard_normal(LEN)
    with writing(args.out) as tmp, versioned(tmp, "w") as (_, vf):
        with vf.stage_version(VERSION, timestamp=TIMESTAMP) as g:
            g.create_dataset(BIG, data=data, chunks=CHUNKS)

    report("make_big_file", args.out, f"{LEN} float64, chunks {CHUNKS}, ", t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
