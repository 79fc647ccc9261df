#!/usr/bin/env python3
"""Python's view of a versioned file, for checking files written by `vh5 commit`.

Usage:
  check_files.py dump FILE.h5
      Read-only (h5py "r").  Prints peer.dump_doc(f) plus "raw":
        {"versioned": ..., "data_version": ..., "current_version": ...,
         "versions": [...], "trees": {...},          <- exactly `vh5 dump --json`
         "raw": {"/path": {
             "dtype": "<f8",
             "raw_data_rows": N,                     raw_data.shape[0]
             "raw_data_shape": [N, c1, ...],
             "raw_data_maxshape": [null, c1, ...],   null = unlimited
             "layout_chunks": [c0, ...],             HDF5 chunk dims of raw_data
             "chunks": [c0, ...],                    raw_data.attrs["chunks"]
             "largest_index": N,
             "hash_table_rows": N,                   hash_table.shape[0]
             "hash_rows": [[hexdigest, start, stop], ...],  first largest_index rows
             "filters": {"compression", "compression_opts", "shuffle", "fletcher32"},
             "fillvalue": <raw_data fill value, JSON convention>}}}
      "raw" has one entry per storage group /_version_data/<p> holding both
      raw_data and hash_table, keyed "/<p>", whether or not a version still
      uses it.

  check_files.py continue FILE.h5 NAME
      Opens FILE.h5 "r+" with versioned-hdf5, first reads every dataset of every
      committed version through VersionedHDF5File (the "r+" code path that
      rebuilds chunk maps from the VDS mappings itself) and compares it with
      h5py's plain VDS reading; then stages version NAME on top of the current
      version (prev '' when there is none), setting the LAST element of every
      dataset with size > 0 to a different value (see bump()) and the version
      group attribute "continued" = NAME, with timestamp = latest existing
      timestamp + 1 hour (2030-01-01T00:00:00Z in a file without versions).
      Then re-reads the file "r" and prints the `dump` document plus
        "continued": NAME,
        "rplus_mismatches": ["<version>:/path: why", ...]   (empty = fine)

  check_files.py hashes FILE.h5 PATH VERSION [--with-source]
      For every stored chunk (VDS mapping) of dataset PATH in VERSION, in C
      order of the chunk grid: [grid_index, hexdigest] where the digest is
      versioned_hdf5.hashtable.Hashtable.hash of the chunk's data as read
      back (edge-trimmed).  With --with-source each row gets a third element
      [start, stop], the source rows of raw_data on axis 0.
      Prints {"path": PATH, "version": VERSION, "chunks": [c0, ...],
              "hashes": [[[i0, i1, ...], "hex"], ...]}

Batch forms (one Python start-up for many files; importing h5py +
versioned-hdf5 costs ~0.4 s per process):
  check_files.py dump-many FILE...          {"FILE": <dump doc>, ...}
  check_files.py hashes-all FILE...         {"FILE": {"<version>": {"/path":
                                               [[grid, hex, [start, stop]], ...]}}}
                                            (every committed version, every
                                            dataset, always with the source rows)
  check_files.py continue-many NAME FILE... {"FILE": <continue doc>, ...}
                                            (each FILE modified in place)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import h5py
import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from versioned_hdf5 import VersionedHDF5File  # noqa: E402
from versioned_hdf5.hashtable import Hashtable  # noqa: E402

UTC = dt.timezone.utc


peer.quiet_dealloc_noise()


# ---------------------------------------------------------------------------
# dump


def storage_groups(f):
    """[(path "/p", group)] for every /_version_data/<p> with raw_data and hash_table."""
    out = []
    if "_version_data" not in f:
        return out
    vd = f["_version_data"]

    def rec(g, prefix):
        for name in g.keys():
            if prefix == "" and name in ("versions", "__tmp__"):
                continue
            obj = g.get(name, getlink=True)
            if not isinstance(obj, h5py.HardLink):
                continue
            obj = g[name]
            if not isinstance(obj, h5py.Group):
                continue
            path = prefix + "/" + name
            if isinstance(obj.get("raw_data"), h5py.Dataset) and isinstance(obj.get("hash_table"), h5py.Dataset):
                out.append((path, obj))
            rec(obj, path)

    rec(vd, "")
    out.sort(key=lambda t: t[0].encode("utf-8"))
    return out


def raw_facts(grp):
    raw = grp["raw_data"]
    ht = grp["hash_table"]
    li = int(ht.attrs["largest_index"])
    rows = ht[:li]
    hash_rows = [[bytes(np.asarray(r["hash"], dtype=np.uint8)).hex(), int(r["shape"][0]), int(r["shape"][1])] for r in rows]
    fv = raw.fillvalue
    return {
        "dtype": peer.dtype_json(raw.dtype),
        "raw_data_rows": int(raw.shape[0]),
        "raw_data_shape": [int(n) for n in raw.shape],
        "raw_data_maxshape": [None if m is None else int(m) for m in raw.maxshape],
        "layout_chunks": list(raw.chunks) if raw.chunks is not None else None,
        "chunks": [int(c) for c in raw.attrs["chunks"]],
        "largest_index": li,
        "hash_table_rows": int(ht.shape[0]),
        "hash_rows": hash_rows,
        "filters": peer.filters_json(raw),
        "fillvalue": peer.fillvalue_json(fv, raw.dtype),
    }


def dump_with_raw(f):
    doc = peer.dump_doc(f)
    doc["raw"] = {p: raw_facts(g) for p, g in storage_groups(f)}
    return doc


def cmd_dump(path):
    with h5py.File(path, "r") as f:
        doc = dump_with_raw(f)
    print(json.dumps(doc, ensure_ascii=False))


# ---------------------------------------------------------------------------
# continue


def _different(cands, old, dt_):
    for c in cands:
        a = np.array(c, dtype=dt_)
        if a.tobytes() != np.array(old, dtype=dt_).tobytes() and (dt_.kind != "f" or np.isfinite(a)):
            return a[()]
    raise AssertionError(f"no different value for {old!r}")


def bump(old, dt_):
    """A value of dtype dt_ different from `old` (one element)."""
    dt_ = np.dtype(dt_)
    if peer.is_vlen_str(dt_):
        s = peer._decode_vlen(old)
        return s + "+"
    if dt_.names is not None:
        rec = np.array(old, dtype=dt_)
        first = dt_.names[0]
        rec[first] = bump(rec[first][()], dt_.fields[first][0])
        return rec[()]
    k = dt_.kind
    if k == "b":
        return np.bool_(not bool(old))
    if k in "iu":
        info = np.iinfo(dt_)
        v = int(old)
        return dt_.type(v + 1 if v < info.max else v - 1)
    if k == "f":
        v = float(old)
        if not np.isfinite(v):
            return dt_.type(0.5)
        return _different([v + 1, v - 1, v / 2 if v else 0.5, 0.25], v, dt_)
    if k == "c":
        c = complex(old)
        re = c.real if np.isfinite(c.real) else 0.0
        for d in (1, -1, 0.5):
            n = np.array(complex(re + d, c.imag), dtype=dt_)
            if n.tobytes() != np.array(old, dtype=dt_).tobytes():
                return n[()]
        raise AssertionError
    if k == "S":
        b = bytes(old).rstrip(b"\0")
        n = dt_.itemsize
        return (b"y" * n) if b == b"z" * min(n, 2) else (b"z" * min(n, 2))
    if k == "V":
        b = bytearray(bytes(old))
        b[0] ^= 1
        return np.frombuffer(bytes(b), dtype=dt_)[0]
    raise TypeError(f"cannot bump {dt_!r}")


def _rplus_check(f):
    """Compare VersionedHDF5File's reading (r+ path) with h5py's VDS reading."""
    problems = []
    vf = VersionedHDF5File(f)
    for name in peer.version_names(f):
        g = vf[name]
        for path, obj in peer.walk(f, name)[1:]:
            if not isinstance(obj, h5py.Dataset):
                continue
            want = peer.sha256_of(peer.read_array(obj))
            try:
                ds = g[path.lstrip("/")]
                arr = np.asarray(ds[()])
                if peer.is_vlen_str(obj.dtype):
                    arr = np.array([x.encode("utf-8") if isinstance(x, str) else (b"" if x is None else x) for x in arr.ravel()], dtype=object).reshape(arr.shape)
                got = peer.sha256_of(arr)
            except Exception as e:  # noqa: BLE001
                problems.append(f"{name}:{path}: {type(e).__name__}: {e}")
                continue
            if got != want:
                problems.append(f"{name}:{path}: r+ read differs from r read")
    return problems


def cmd_continue(path, name):
    print(json.dumps(continue_doc(path, name), ensure_ascii=False))


def continue_doc(path, name):
    with h5py.File(path, "r+") as f:
        problems = _rplus_check(f)
        log = peer.log_doc(f)
        if log["versions"]:
            latest = max(dt.datetime.strptime(v["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ") for v in log["versions"])
            ts = latest.replace(tzinfo=UTC) + dt.timedelta(hours=1)
        else:
            ts = dt.datetime(2030, 1, 1, tzinfo=UTC)
        cur = log["current_version"]
        vf = VersionedHDF5File(f)
        prev = cur if cur is not None else ""
        paths = []
        if cur is not None:
            paths = [p for p, o in peer.walk(f, cur)[1:] if isinstance(o, h5py.Dataset) and o.size > 0]
        with vf.stage_version(name, prev_version=prev, timestamp=ts) as g:
            for p in paths:
                ds = g[p.lstrip("/")]
                idx = tuple(n - 1 for n in ds.shape)
                old = ds[idx]
                ds[idx] = bump(old, ds.dtype)
            g.attrs["continued"] = name
    with h5py.File(path, "r") as f:
        doc = dump_with_raw(f)
    doc["continued"] = name
    doc["rplus_mismatches"] = problems
    return doc


# ---------------------------------------------------------------------------
# hashes


def chunk_hashes(f, path, version, with_source=False):
    ds = peer.version_root(f, version)[path.lstrip("/")]
    raw = f[peer._s(ds.attrs["raw_data"])]
    chunks = tuple(int(c) for c in raw.attrs["chunks"])
    rows = []
    for vstart, (ss, se), (vs, ve) in peer.mappings(ds):
        sel = tuple(slice(a, b) for a, b in zip(vs, ve))
        arr = ds[sel]
        if not isinstance(arr, np.ndarray):
            arr = np.asarray(arr, dtype=ds.dtype)
        if arr.dtype.kind == "O":
            arr = np.array([b"" if x is None else x for x in arr.ravel()], dtype=object).reshape(arr.shape)
        grid = [a // c for a, c in zip(vstart, chunks)]
        row = [grid, Hashtable.hash(Hashtable, arr).hex()]
        if with_source:
            row.append([ss[0], se[0]])
        rows.append(row)
    rows.sort(key=lambda r: r[0])
    return {"path": path, "version": version, "chunks": list(chunks), "hashes": rows}


def all_hashes(f):
    """{version: {"/path": [[grid, hex, [start, stop]], ...]}} for every dataset."""
    out = {}
    for v in peer.version_names(f):
        out[v] = {
            p: chunk_hashes(f, p, v, with_source=True)["hashes"]
            for p, o in peer.walk(f, v)[1:]
            if isinstance(o, h5py.Dataset)
        }
    return out


def cmd_hashes(path, dspath, version, with_source=False):
    with h5py.File(path, "r") as f:
        doc = chunk_hashes(f, dspath, version, with_source)
    print(json.dumps(doc))


def main(argv):
    if len(argv) == 2 and argv[0] == "dump":
        cmd_dump(argv[1])
    elif len(argv) == 3 and argv[0] == "continue":
        cmd_continue(argv[1], argv[2])
    elif len(argv) in (4, 5) and argv[0] == "hashes" and (len(argv) == 4 or argv[4] == "--with-source"):
        cmd_hashes(argv[1], argv[2], argv[3], len(argv) == 5)
    elif len(argv) >= 2 and argv[0] == "dump-many":
        out = {}
        for p in argv[1:]:
            with h5py.File(p, "r") as f:
                out[p] = dump_with_raw(f)
        print(json.dumps(out, ensure_ascii=False))
    elif len(argv) >= 2 and argv[0] == "hashes-all":
        out = {}
        for p in argv[1:]:
            with h5py.File(p, "r") as f:
                out[p] = all_hashes(f)
        print(json.dumps(out))
    elif len(argv) >= 3 and argv[0] == "continue-many":
        print(json.dumps({p: continue_doc(p, argv[1]) for p in argv[2:]}, ensure_ascii=False))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
