#!/usr/bin/env python3
"""Make the read-benchmark file with the real versioned-hdf5 (2.6.0).

    make_bench_file.py OUT.h5 [--versions N]

Layout (linear history, explicit UTC timestamps):

* versions ``v0000`` ... ``v0999`` (1,000 by default), one minute apart
  from 2024-01-01T00:00:00Z, each on top of the previous one;
* ``/small``: int64, shape (1000,), chunks (100,); changed in every
  version (one cell, so one new chunk per version);
* ``/large``: float64, shape (20000, 500), chunks (1000, 100) (100 chunks
  of 800 kB, 80 MB of random data), created in ``v0000``; every 10th
  version changes three cells in pseudo-random chunks (one to three new
  chunks each time).

Writes to OUT.h5.tmp and renames at the end, so an interrupted run never
leaves a half-made OUT.h5 behind. Prints the generation time on stderr.
"""

import sys
import time

import numpy as np

from bench_util import linear_history, parse_args, report

LARGE_SHAPE = (20_000, 500)
LARGE_CHUNKS = (1000, 100)
SMALL_LEN = 1000
SMALL_CHUNKS = (100,)
MODIFY_EVERY = 10


def version_name(i: int) -> str:
    return f"v{i:04d}"


def main() -> int:
    args = parse_args(__doc__, versions=1000)

    t0 = time.perf_counter()
    rng = np.random.default_rng(20240101)
    for i, g in linear_history(args.out, args.versions, version_name):
        if i == 0:
            g.create_dataset(
                "small",
                data=np.arange(SMALL_LEN, dtype="i8"),
                chunks=SMALL_CHUNKS,
            )
            g.create_dataset(
                "large",
                data=rng.standard_normal(LARGE_SHAPE),
                chunks=LARGE_CHUNKS,
            )
            continue
        # One cell of /small: a new chunk in every version.
        g["small"][i % SMALL_LEN] = -i
        if i % MODIFY_EVERY == 0:
            large = g["large"]
            rows = rng.integers(0, LARGE_SHAPE[0], 3)
            cols = rng.integers(0, LARGE_SHAPE[1], 3)
            for r, c in zip(rows, cols):
                large[int(r), int(c)] = float(i)
            if (i + 1) % 100 == 0:
                print(
                    f"make_bench_file: {i + 1} versions, "
                    f"{time.perf_counter() - t0:.1f}s",
                    file=sys.stderr,
                )

    report("make_bench_file", args.out, f"{args.versions} versions, ", t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
