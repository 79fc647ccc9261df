#!/usr/bin/env python3
"""Make the 1,000-version series file with the real versioned-hdf5 (2.6.0).

    make_series_file.py OUT.h5 [--versions N]

Used by benches/cli_compare.py (the whole-process table of
benches/compare.sh). Layout (linear history, explicit UTC timestamps):

* versions ``v0000`` ... ``v0999`` (1,000 by default), one minute apart
  from 2024-01-01T00:00:00Z, each on top of the previous one;
* ``/series``: float64, shape (3_000_000,), chunks (5000,), gzip level 4
  (600 chunks, so every version's virtual dataset has 600 mappings),
  standard-normal data from a fixed seed, created in ``v0000``; every later
  version sets 3 cells at pseudo-random indices to the version number (one
  to three new chunks per version);
* ``/grid``: float64, shape (2000, 500), chunks (200, 100), gzip level 4
  (50 chunks), created in ``v0000``; every 10th version sets one cell.

Writes to OUT.h5.tmp and renames at the end, so an interrupted run never
leaves a half-made OUT.h5 behind. Prints the generation time on stderr.
"""

import sys
import time

import numpy as np

from bench_util import linear_history, parse_args, report

# Must match benches/cli_compare.py.
SERIES_LEN = 3_000_000
SERIES_CHUNKS = (5000,)
GRID_SHAPE = (2000, 500)
GRID_CHUNKS = (200, 100)
CELLS_PER_VERSION = 3
GRID_EVERY = 10
SEED = 20240103


def version_name(i: int) -> str:
    return f"v{i:04d}"


def main() -> int:
    args = parse_args(__doc__, versions=1000)

    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    for i, g in linear_history(args.out, args.versions, version_name):
        if i == 0:
            g.create_dataset(
                "series",
                data=rng.standard_normal(SERIES_LEN),
                chunks=SERIES_CHUNKS,
                compression="gzip",
                compression_opts=4,
            )
            g.create_dataset(
                "grid",
                data=rng.standard_normal(GRID_SHAPE),
                chunks=GRID_CHUNKS,
                compression="gzip",
                compression_opts=4,
            )
            continue
        series = g["series"]
        for cell in rng.integers(0, SERIES_LEN, CELLS_PER_VERSION):
            series[int(cell)] = float(i)
        if i % GRID_EVERY == 0:
            r = int(rng.integers(0, GRID_SHAPE[0]))
            c = int(rng.integers(0, GRID_SHAPE[1]))
            g["grid"][r, c] = float(i)
            if (i + 1) % 100 == 0:
                print(
                    f"make_series_file: {i + 1} versions, "
                    f"{time.perf_counter() - t0:.1f}s",
                    file=sys.stderr,
                )

    report("make_series_file", args.out, f"{args.versions} versions, ", t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
