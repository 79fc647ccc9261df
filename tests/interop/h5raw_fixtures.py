#!/usr/bin/env python3
"""Extra files for tests/h5raw_interop.rs (the raw VDS mapping reader).

Usage: h5raw_fixtures.py OUTDIR

  big.h5      versioned-hdf5, default file format: a version with hundreds of
              chunk mappings, 2-d and nested datasets, an all-fill dataset,
              a size-0 dataset, several versions.
  vlatest.h5  the same library on a file opened with libver="latest"
              (object header v2, VDS mapping list encoding 1).
  latest.h5   plain h5py virtual datasets, libver="latest" (one with
              continuation chunks in its header): contiguous and
              tiled mappings, a source in another file, an "all" virtual
              selection, and datasets whose names start with "unsupported_"
              that the raw reader must refuse (strided selections, an
              "all" source selection).
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import h5py
import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from versioned_hdf5 import VersionedHDF5File  # noqa: E402

peer.quiet_dealloc_noise()
T0 = dt.datetime(2025, 3, 1, 9, 0, 0, tzinfo=dt.timezone.utc)


def versioned(path, libver=None):
    kw = {"libver": libver} if libver else {}
    with h5py.File(path, "w", **kw) as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v1", timestamp=T0) as g:
            g.create_dataset("big", data=np.arange(1, 6113, dtype="i8"), chunks=(10,))
            g.create_dataset("m", data=np.arange(1, 1 + 37 * 23, dtype="f4").reshape(37, 23),
                             chunks=(8, 5))
            g.create_group("sub").create_dataset("deep/x", data=np.arange(1, 100, dtype="u2"),
                                                 chunks=(16,))
            g.create_dataset("fill", data=np.zeros(50, dtype="i4"), chunks=(10,))
            g.create_dataset("empty", data=np.zeros((0, 3), dtype="i4"), chunks=(4, 3))
        with vf.stage_version("v2", timestamp=T0 + dt.timedelta(hours=1)) as g:
            g["big"][100:150] = -1
            g["m"].resize((40, 23))
            g["m"][38:40] = 7
        with vf.stage_version("v3", timestamp=T0 + dt.timedelta(hours=2)) as g:
            del g["sub/deep/x"]
            g["big"][0] = 5


def latest(path, other):
    with h5py.File(other, "w") as f:
        f["ext"] = np.arange(20, dtype="i4")
    with h5py.File(path, "w", libver="latest") as f:
        f["src"] = np.arange(100, dtype="i4")
        f["src2"] = np.arange(60, dtype="i4").reshape(6, 10)
        src = h5py.VirtualSource(f["src"])
        src2 = h5py.VirtualSource(f["src2"])
        ext = h5py.VirtualSource(os.path.basename(other), "ext", shape=(20,))

        lay = h5py.VirtualLayout(shape=(50,), dtype="i4")
        for k in range(5):  # tiles, shuffled sources
            lay[k * 10:(k + 1) * 10] = src[(4 - k) * 10:(5 - k) * 10]
        tiles = f.create_virtual_dataset("tiles", lay, fillvalue=-1)
        for k in range(6):  # compact attributes that overflow into OCHK chunks
            tiles.attrs[f"a{k}"] = np.arange(200, dtype="i8") + k

        lay = h5py.VirtualLayout(shape=(30,), dtype="i4", maxshape=(None,))
        lay[0:10] = src[0:10]
        lay[10:30] = ext[0:20]
        lay[25:27] = ext[3:5]
        f.create_virtual_dataset("mixed", lay, fillvalue=0)

        lay = h5py.VirtualLayout(shape=(2, 5), dtype="i4")
        lay[...] = src2[3:5, 2:7]
        f.create_virtual_dataset("all_virtual", lay)

        lay = h5py.VirtualLayout(shape=(4, 5), dtype="i4")
        lay[0:2, 0:5] = src2[1:3, 5:10]
        lay[2:4, 1:3] = src2[4:6, 0:2]
        f.create_virtual_dataset("blocks2d", lay)

        lay = h5py.VirtualLayout(shape=(10,), dtype="i4")
        f.create_virtual_dataset("nomaps", lay, fillvalue=3)

        lay = h5py.VirtualLayout(shape=(6, 10), dtype="i4")
        lay[...] = src2
        f.create_virtual_dataset("unsupported_all_source", lay)

        lay = h5py.VirtualLayout(shape=(10,), dtype="i4")
        lay[0:10] = src[0:20:2]
        f.create_virtual_dataset("unsupported_strided_source", lay)

        lay = h5py.VirtualLayout(shape=(20,), dtype="i4")
        lay[0:20:2] = src[0:10]
        f.create_virtual_dataset("unsupported_strided_virtual", lay)


def main(argv):
    if len(argv) != 2:
        print("usage: h5raw_fixtures.py OUTDIR", file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    versioned(os.path.join(out, "big.h5"))
    versioned(os.path.join(out, "vlatest.h5"), libver="latest")
    latest(os.path.join(out, "latest.h5"), os.path.join(out, "latest_ext.h5"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
