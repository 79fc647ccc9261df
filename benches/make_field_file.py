#!/usr/bin/env python3
"""Make the 2-D field file with the real versioned-hdf5 (2.6.0).

    make_field_file.py OUT.h5 [--versions N]

Used by benches/cli_compare.py (the whole-process table of
benches/compare.sh). Layout (linear history, explicit UTC timestamps):

* versions ``v00`` ... ``v19`` (20 by default), one minute apart from
  2024-01-01T00:00:00Z, each on top of the previous one;
* ``/field``: float32, shape (20000, 2000), chunks (1000, 500), gzip level
  4 (80 chunks of 2 MB, 160 MB uncompressed), created in ``v00`` from a
  smooth pattern plus float32 noise; every later version sets 3 cells at
  pseudo-random positions (one to three new chunks per version).

Writes to OUT.h5.tmp and renames at the end, so an interrupted run never
leaves a half-made OUT.h5 behind. Prints the generation time on stderr.
"""

import sys
import time

import numpy as np

from bench_util import linear_history, parse_args, report

# Must match benches/cli_compare.py.
SHAPE = (20_000, 2000)
CHUNKS = (1000, 500)
CELLS_PER_VERSION = 3
SEED = 20240105


def version_name(i: int) -> str:
    return f"v{i:02d}"


def initial(rng) -> np.ndarray:
    rows = np.sin(np.arange(SHAPE[0], dtype="f4") / 500.0)[:, None]
    cols = np.cos(np.arange(SHAPE[1], dtype="f4") / 300.0)[None, :]
    field = rows * cols
    field += rng.standard_normal(SHAPE, dtype="f4") * np.float32(0.01)
    return field


def main() -> int:
    args = parse_args(__doc__, versions=20)

    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    for i, g in linear_history(args.out, args.versions, version_name):
        if i == 0:
            g.create_dataset(
                "field",
                data=initial(rng),
                chunks=CHUNKS,
                compression="gzip",
                compression_opts=4,
            )
            continue
        field = g["field"]
        for _ in range(CELLS_PER_VERSION):
            r = int(rng.integers(0, SHAPE[0]))
            c = int(rng.integers(0, SHAPE[1]))
            field[r, c] = np.float32(i)
            print(
                f"make_field_file: {i + 1} versions, {time.perf_counter() - t0:.1f}s",
                file=sys.stderr,
            )

    report("make_field_file", args.out, f"{args.versions} versions, ", t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
