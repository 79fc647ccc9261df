#!/usr/bin/env python3
"""Make the modify-metadata benchmark file with the real versioned-hdf5 (2.6.0).

    make_replay_file.py OUT.h5 [--versions N]

Layout (linear history, explicit UTC timestamps):

* versions ``v000`` ... ``v099`` (100 by default), one minute apart from
  2024-01-01T00:00:00Z, each on top of the previous one;
* ``/data``: float64, shape (200000,), chunks (4096,) (49 chunks, 1.6 MB
  of random data), created in ``v000``; every later version changes three
  cells in pseudo-random chunks, so each version shares most of its chunks
  with its parent (one to three new chunks each time).

Used by benches/replay.rs and benches/py_replay_bench.py for the dtype
change (float64 -> float32 in every version). Writes to OUT.h5.tmp and
renames at the end, so an interrupted run never leaves a half-made OUT.h5
behind. Prints the generation time on stderr.
"""

import sys
import time

import numpy as np

from bench_util import linear_history, parse_args, report

# Must match benches/replay.rs and benches/py_replay_bench.py.
LEN = 200_000
CHUNKS = (4096,)
CELLS_PER_VERSION = 3


def version_name(i: int) -> str:
    return f"v{i:03d}"


def main() -> int:
    args = parse_args(__doc__, versions=100)

    t0 = time.perf_counter()
    rng = np.random.default_rng(20240102)
    for i, g in linear_history(args.out, args.versions, version_name):
        if i == 0:
            g.create_dataset(
                "data",
                data=rng.standard_normal(LEN),
                chunks=CHUNKS,
            )
            continue
        data = g["data"]
        for cell in rng.integers(0, LEN, CELLS_PER_VERSION):
            data[int(cell)] = float(i)

    report(
        "make_replay_file", args.out, f"{args.versions} versions, ", t0, size_digits=1
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
