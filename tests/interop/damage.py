#!/usr/bin/env python3
"""Versioned files made by versioned-hdf5, then damaged on purpose, for the
tests of `vh5 check` (tests/integrity.rs).

Usage:
  damage.py make OUT.h5
      Three versions v1 <- v2 <- v3 (v3 current) of
        /plain  int64, 20 elements, chunks (4,), uncompressed
        /gz     float64 6x5, chunks (4, 2), gzip
      Prints {"gz_slots": N, "plain_slots": N} (slots used by some version).
  damage.py make-big OUT.h5
      Two versions v1 <- v2 of /x: float64, 200,000 elements, chunks
      (2000,), gzip: a file whose commits and rewrites take a while.
  damage.py flip FILE PATH SLOT
      Flips one bit in the middle of the stored bytes of raw_data slot SLOT of
      dataset PATH (the file's bytes, not through HDF5).  Prints
      {"offset": byte offset in the file}.
  damage.py row-outside FILE PATH ROW
      Makes hash-table row ROW of PATH claim rows past the end of raw_data.
  damage.py shrink FILE PATH
      Cuts the last slot off PATH's raw_data (a truncated copy would): the
      mappings and the hash-table row of that slot now point past its end.
  damage.py missing-parent FILE VERSION
      Sets VERSION's prev_version to a version that does not exist.
  damage.py uncommitted FILE NAME
      Leaves a version group NAME on the current version as a commit killed
      part-way does: prev_version, timestamp, committed = False, and the
      current version's datasets copied in (no new chunks).
  damage.py orphan FILE PATH
      Appends one slot to PATH's raw_data with its hash-table row, as a commit
      killed after writing its chunks leaves it: no version reads it.
  damage.py readall FILE
      Lists the versions with versioned-hdf5 and reads every dataset of every
      version in full; prints {version: {path: sha256 of the data}}.  Fails
      (exit 1) when versioned-hdf5 cannot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys

import h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File
from versioned_hdf5.versions import all_versions

sys.dont_write_bytecode = True
UTC = dt.timezone.utc


def ts(hours):
    return dt.datetime(2030, 1, 1, tzinfo=UTC) + dt.timedelta(hours=hours)


def make(out):
    with h5py.File(out, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v1", timestamp=ts(0)) as g:
            g.create_dataset("plain", data=np.arange(20, dtype="i8"), chunks=(4,))
            g.create_dataset(
                "gz",
                data=np.arange(30.0).reshape(6, 5),
                chunks=(4, 2),
                compression="gzip",
            )
        with vf.stage_version("v2", timestamp=ts(1)) as g:
            g["plain"][0] = 100
            g["gz"][5, 4] = -1.5
        with vf.stage_version("v3", timestamp=ts(2)) as g:
            g["plain"][17] = 1700
    with h5py.File(out, "r") as f:
        rows = {p: int(f[f"_version_data/{p}/raw_data"].shape[0]) for p in ("plain", "gz")}
        chunks = {p: f[f"_version_data/{p}/raw_data"].chunks[0] for p in ("plain", "gz")}
    print(json.dumps({f"{p}_slots": rows[p] // chunks[p] for p in rows}))


def make_big(out):
    with h5py.File(out, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v1", timestamp=ts(0)) as g:
            data = np.sin(np.arange(200_000) / 1000.0)
            g.create_dataset("x", data=data, chunks=(2000,), compression="gzip")
        with vf.stage_version("v2", timestamp=ts(1)) as g:
            g["x"][::1000] = -1.0


def chunk_offset(path, name, slot):
    with h5py.File(path, "r") as f:
        raw = f[f"_version_data/{name.strip('/')}/raw_data"]
        start = (slot * raw.chunks[0],) + (0,) * (raw.ndim - 1)
        info = raw.id.get_chunk_info_by_coord(start)
        return info.byte_offset, info.size


def flip(path, name, slot):
    offset, size = chunk_offset(path, name, int(slot))
    at = offset + size // 2
    with open(path, "r+b") as fh:
        fh.seek(at)
        b = fh.read(1)[0]
        fh.seek(at)
        fh.write(bytes([b ^ 0x10]))
    print(json.dumps({"offset": at}))


def row_outside(path, name, row):
    with h5py.File(path, "r+") as f:
        g = f[f"_version_data/{name.strip('/')}"]
        table = g["hash_table"]
        rec = table[int(row)]
        past = g["raw_data"].shape[0] + 8 * g["raw_data"].chunks[0]
        rec["shape"] = (past, past + 1)
        table[int(row)] = rec


def shrink(path, name):
    with h5py.File(path, "r+") as f:
        raw = f[f"_version_data/{name.strip('/')}/raw_data"]
        raw.resize((raw.shape[0] - raw.chunks[0],) + raw.shape[1:])


def missing_parent(path, version):
    with h5py.File(path, "r+") as f:
        f[f"_version_data/versions/{version}"].attrs["prev_version"] = "ghost"


def uncommitted(path, name):
    with h5py.File(path, "r+") as f:
        versions = f["_version_data/versions"]
        current = versions.attrs["current_version"]
        g = versions.create_group(name)
        g.attrs["prev_version"] = current
        g.attrs["committed"] = False
        g.attrs["timestamp"] = "2030-01-02 00:00:00.000000+0000"
        for member in versions[current]:
            versions.copy(versions[current][member], g, name=member)


def orphan(path, name):
    with h5py.File(path, "r+") as f:
        g = f[f"_version_data/{name.strip('/')}"]
        raw, table = g["raw_data"], g["hash_table"]
        c0 = raw.chunks[0]
        n = int(table.attrs["largest_index"])
        start = raw.shape[0]
        data = np.full((c0,) + raw.shape[1:], 7, dtype=raw.dtype)
        raw.resize((start + c0,) + raw.shape[1:])
        raw[start : start + c0] = data
        h = hashlib.sha256(np.ascontiguousarray(data).tobytes())
        h.update(str(data.shape).encode("ascii"))
        if table.shape[0] <= n:
            table.resize((n + 1,))
        rec = np.zeros((), dtype=table.dtype)
        rec["hash"] = np.frombuffer(h.digest(), dtype="u1")
        rec["shape"] = (start, start + c0)
        table[n] = rec
        table.attrs["largest_index"] = n + 1


def readall(path):
    out = {}
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        for v in sorted(all_versions(f)):
            group = vf[v]
            found = {}

            def visit(name, obj, found=found):
                if isinstance(obj, h5py.Dataset):
                    data = np.ascontiguousarray(obj[()])
                    found["/" + name] = hashlib.sha256(data.tobytes()).hexdigest()

            group.visititems(visit)
            out[v] = found
    print(json.dumps(out, sort_keys=True))


def main(argv):
    commands = {
        "make": make,
        "make-big": make_big,
        "flip": flip,
        "row-outside": row_outside,
        "shrink": shrink,
        "missing-parent": missing_parent,
        "uncommitted": uncommitted,
        "orphan": orphan,
        "readall": readall,
    }
    if len(argv) < 3 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    commands[argv[1]](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
