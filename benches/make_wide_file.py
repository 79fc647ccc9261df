#!/usr/bin/env python3
"""Make the 300-dataset file with the real versioned-hdf5 (2.6.0).

    make_wide_file.py OUT.h5 [--versions N]

Used by benches/cli_compare.py (the whole-process table of
benches/compare.sh). Layout (linear history, explicit UTC timestamps):

* versions ``v000`` ... ``v099`` (100 by default), one minute apart from
  2024-01-01T00:00:00Z, each on top of the previous one;
* 300 datasets in 6 groups of 50, ``/g0/d00`` ... ``/g5/d49``, all created
  in ``v000``: 500 elements each, chunks (100,) (5 chunks), int64 in even
  groups and float64 in odd ones, with a ``units`` attribute;
* every later version but each 10th sets one cell in each of 1 to 5
  pseudo-randomly chosen datasets; each 10th version instead sets the
  ``note`` attribute of a group (no data change).

Writes to OUT.h5.tmp and renames at the end, so an interrupted run never
leaves a half-made OUT.h5 behind. Prints the generation time on stderr.
"""

import sys
import time

import numpy as np

from bench_util import linear_history, parse_args, report

# Must match benches/cli_compare.py.
GROUPS = 6
PER_GROUP = 50
LEN = 500
CHUNKS = (100,)
ATTR_EVERY = 10
SEED = 20240104


def version_name(i: int) -> str:
    return f"v{i:03d}"


def dataset_path(group: int, k: int) -> str:
    return f"g{group}/d{k:02d}"


def main() -> int:
    args = parse_args(__doc__, versions=100)

    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    for i, g in linear_history(args.out, args.versions, version_name):
        if i == 0:
            for gi in range(GROUPS):
                grp = g.create_group(f"g{gi}")
                for k in range(PER_GROUP):
                    if gi % 2 == 0:
                        data = rng.integers(0, 1_000_000, LEN, dtype="i8")
                        units = "count"
                    else:
                        data = rng.standard_normal(LEN)
                        units = "m/s"
                    ds = grp.create_dataset(f"d{k:02d}", data=data, chunks=CHUNKS)
                    ds.attrs["units"] = units
            continue
        if i % ATTR_EVERY == 0:
            g[f"g{i % GROUPS}"].attrs["note"] = f"version {i}"
            continue
        for _ in range(int(rng.integers(1, 6))):
            gi = int(rng.integers(0, GROUPS))
            k = int(rng.integers(0, PER_GROUP))
            cell = int(rng.integers(0, LEN))
            g[dataset_path(gi, k)][cell] = i
            if (i + 1) % 10 == 0:
                print(
                    f"make_wide_file: {i + 1} versions, "
                    f"{time.perf_counter() - t0:.1f}s",
                    file=sys.stderr,
                )

    report("make_wide_file", args.out, f"{args.versions} versions x 300 datasets, ", t0, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
