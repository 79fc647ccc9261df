#!/usr/bin/env python3
"""Make the small 200-version dump file with the real versioned-hdf5 (2.6.0).

    make_dump_file.py OUT.h5 [--versions N]

Used by benches/cli_compare.py (the whole-process table of
benches/compare.sh) for `vh5 dump --json`. Layout (linear history, explicit
UTC timestamps):

* versions ``v000`` ... ``v199`` (200 by default), one minute apart from
  2024-01-01T00:00:00Z, each on top of the previous one;
* ``/a``: float64, shape (5000,), chunks (500,), no compression; every
  later version sets one cell (one new 4 kB chunk per version);
* ``/meta/b``: int32, shape (20, 20), chunks (10, 10), with a ``units``
  attribute; every 5th version sets one cell.

About 1.9 MB. Writes to OUT.h5.tmp and renames at the end, so an
interrupted run never leaves a half-made OUT.h5 behind. Prints the
generation time on stderr.
"""

import sys
import time

import numpy as np

from bench_util import linear_history, parse_args, report

A_LEN = 5000
A_CHUNKS = (500,)
B_SHAPE = (20, 20)
B_CHUNKS = (10, 10)
B_EVERY = 5
SEED = 20240106


def version_name(i: int) -> str:
    return f"v{i:03d}"


def main() -> int:
    args = parse_args(__doc__, versions=200)

    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    for i, g in linear_history(args.out, args.versions, version_name):
        if i == 0:
            g.create_dataset("a", data=rng.standard_normal(A_LEN), chunks=A_CHUNKS)
            meta = g.create_group("meta")
            b = meta.create_dataset(
                "b",
                data=rng.integers(0, 1000, B_SHAPE, dtype="i4"),
                chunks=B_CHUNKS,
            )
            b.attrs["units"] = "count"
            continue
        g["a"][int(rng.integers(0, A_LEN))] = float(i)
        if i % B_EVERY == 0:
            r = int(rng.integers(0, B_SHAPE[0]))
            c = int(rng.integers(0, B_SHAPE[1]))
            g["meta/b"][r, c] = -i

    report("make_dump_file", args.out, f"{args.versions} versions, ", t0, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
