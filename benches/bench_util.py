"""What the benches/make_*_file.py scripts share.

Each script is run as ``python benches/make_X_file.py OUT.h5 ...``, so this
module, next to them, is on ``sys.path``. It holds the command line (OUT and,
for some, ``--versions N``), the fixed UTC timestamps, and the writing of
OUT: into OUT.h5.tmp, renamed to OUT at the end, so an interrupted run never
leaves a half-made OUT behind, and a last line on stderr with the size and
the generation time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import sys
import time

import h5py
from versioned_hdf5 import VersionedHDF5File

#: 2024-01-01T00:00:00Z, where the benchmark files' histories start.
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def minutes_after_epoch(n: int) -> datetime.datetime:
    """EPOCH + n minutes: version n's timestamp in a linear history."""
    return EPOCH + datetime.timedelta(minutes=n)


def parse_args(doc: str, versions: int | None = None) -> argparse.Namespace:
    """``OUT`` and, when `versions` is given, ``--versions N`` (that default).

    The description is the first line of the script's docstring `doc`.
    """
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("out")
    if versions is not None:
        ap.add_argument("--versions", type=int, default=versions)
    return ap.parse_args()


@contextlib.contextmanager
def writing(out: str):
    """Yields OUT.tmp (removed first if an earlier run left it) to be made;
    renames it to OUT when the block ends without an error."""
    tmp = out + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    yield tmp
    os.replace(tmp, out)


@contextlib.contextmanager
def versioned(path: str, mode: str):
    """``h5py.File(path, mode)`` and a VersionedHDF5File on it, both closed
    when the block ends; yields ``(f, vf)``."""
    with h5py.File(path, mode) as f:
        vf = VersionedHDF5File(f)
        yield f, vf
        vf.close()


def linear_history(out: str, count: int, name):
    """Makes OUT (through `writing`) as `count` versions, each on top of the
    one before, named ``name(i)`` and stamped ``minutes_after_epoch(i)``;
    yields ``(i, group)`` inside each staged version. An error leaves no
    OUT behind."""
    with writing(out) as tmp, versioned(tmp, "w") as (_, vf):
        for i in range(count):
            with vf.stage_version(name(i), timestamp=minutes_after_epoch(i)) as g:
                yield i, g


def report(prog: str, out: str, details: str, t0: float, size_digits: int = 0) -> None:
    """Prints ``PROG: wrote OUT (DETAILS<size> MB) in <seconds>s`` on
    stderr: the size of OUT, the time since `t0` (``time.perf_counter()``).
    `details` ends with its own separator (``", "`` or ``"; "``)."""
    elapsed = time.perf_counter() - t0
    size = os.path.getsize(out) / 1e6
    print(
        f"{prog}: wrote {out} ({details}{size:.{size_digits}f} MB) in {elapsed:.1f}s",
        file=sys.stderr,
    )
