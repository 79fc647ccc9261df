#!/usr/bin/env python3
"""Interop cases for `vh5 diff`: fixture files written by versioned-hdf5 2.6.0
and, for many version pairs and paths, the `vh5 diff --json` document computed
here independently (cli.md `vh5 diff` and Precise rules 1, 4, 5, 7), together
with versioned-hdf5's own `get_diff` for every dataset both versions hold.

Usage:
  diff_cases.py prepare OUTDIR    write OUTDIR/<fixture>.h5 and
                                  OUTDIR/diff_expected.json, self-check them,
                                  print {"files": [...], "cases": N} on stdout

OUTDIR/diff_expected.json is a list of cases:

  {"file": "edits.h5",            fixture, relative to OUTDIR
   "a": A, "b": B,                the CLI arguments, exactly as to be passed
                                  (`vh5 diff FILE A B PATH --json`); usually a
                                  version name, a few are "0", "-1", "@TS"
   "path": PATH,                  CLI argument ("/" included; one case omits
                                  the leading slash)
   "expected": {"a": name, "b": name, "added": [...], "removed": [...],
                "modified": [...]},   the full stdout document (a/b resolved)
   "get_diff": {"/dset": [[[start, stop], ...per axis], ...]},
                                  versioned-hdf5 `get_diff(dset, a, b)` keys
                                  (virtual slices, step 1), sorted; one entry
                                  per dataset at or below PATH present in both
                                  versions (possibly [])
   "cells": {"/dset": [[[i, j, ...], old, new], ...]}}
                                  for datasets present in both versions with at
                                  most 400 cells in each: every changed cell in
                                  C order over the bounding box of both shapes;
                                  old/new are peer.py JSON values, null when the
                                  cell is outside that version's shape
                                  (len(cells) == elements_changed)

`modified` entries (sorted by path bytes, groups and datasets interleaved):
  {"path", "kind": "dataset", "shape": [shapeA, shapeB], "dtype": [dtA, dtB],
   "attrs": {"added": [...], "removed": [...], "changed": [...]},
   "chunks_changed": N, "chunks_total": N, "elements_changed": N}
  {"path", "kind": "group", "attrs": {"added", "removed", "changed"}}
Attribute name lists are sorted by UTF-8 bytes.

How the expectation is computed (decisions where cli.md leaves room):
  * Paths: "/" and every group/dataset (hard links) of a version; added /
    removed = paths at or below PATH (PATH itself included; "/sub" does not
    cover "/sub2") present in only one version, sorted by UTF-8 bytes.
    A PATH is only used for a pair when it exists in both versions.
  * User attributes: rule 1 (version group "/" without prev_version,
    committed, timestamp; datasets without raw_data, chunks).  Values
    compared through their peer.py JSON form (`json.dumps` text), so NaN
    equals NaN and arrays compare elementwise.  The fixtures never change an
    attribute to an equal value of another type (1 -> 1.0), which the
    contract leaves open.
  * Chunk grid from the dataset's `raw_data.attrs["chunks"]` (identical in both
    versions: a path's raw_data is pinned).  A position's extent is the chunk
    trimmed to the shape; its mapping the (raw_data path, source start, source
    stop) of the VDS mapping whose virtual start is that position, or none
    (fill).  chunks_total = |positions A ∪ positions B|; chunks_changed =
    positions in one grid only, or with different extent, or different
    mapping.  Computed from the mappings only.
  * elements_changed from the data read with h5py (VDS engine): cells that
    differ inside the common shape (NaN == NaN, strings by value; fixtures
    avoid -0.0 vs 0.0) plus every cell of either version outside it.
  * A dataset is listed when shape, dtype or user attributes differ or
    chunks_changed > 0; a group when its user attributes differ.

Self-checks (raise on failure): identical versions give empty lists;
diff(A, B) mirrors diff(B, A); a PATH diff equals the "/" diff restricted to
PATH; elements_changed > 0 implies chunks_changed > 0; len(cells) ==
elements_changed; and get_diff agrees with the chunk maps: its keys are
exactly the extents of the changed positions that are mapped in A or B.
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

UTC = dt.timezone.utc
VLEN = h5py.string_dtype()
T0 = dt.datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
CELLS_MAX = 400


peer.quiet_dealloc_noise()


def ts(i):
    """Timestamp of the i-th version of a fixture: hours apart, with microseconds."""
    return T0 + dt.timedelta(hours=i, microseconds=7 * i)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def vstr(items):
    return np.array(items, dtype=object)


# ---------------------------------------------------------------------------
# fixtures: each builder gets a fresh VersionedHDF5File and returns the list of
# (A, B, [PATH, ...]) pairs to emit (each pair is also emitted reversed).

FIXTURES = {}


def fixture(name):
    def deco(fn):
        FIXTURES[name] = fn
        return fn

    return deco


@fixture("edits")
def _edits(vf):
    """Numeric data: cell edits in 1-D/2-D/3-D incl. edge chunks, NaN, grow,
    shrink, one axis grows while the other shrinks, size 0, sparse data,
    fill-valued edge chunks (stored) vs full fill chunks (unmapped), a version
    identical to its parent, chunks reverted to older content (dedup)."""
    with vf.stage_version("v1", timestamp=ts(0)) as g:
        g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
        g.create_dataset("m", data=np.arange(70, dtype="i4").reshape(7, 10), chunks=(3, 4), fillvalue=-1)
        g.create_dataset("n", data=np.array([0, np.nan, 2, np.nan, np.nan, np.nan, 6, 7, 8]), chunks=(3,))
        g.create_dataset("nf", data=np.arange(8.0), chunks=(4,), fillvalue=np.nan)
        g.create_dataset("cube", data=(np.arange(210, dtype="i2") + 1).reshape(5, 6, 7), chunks=(2, 3, 4))
        g.create_dataset("sp", shape=(10,), dtype="i4", chunks=(4,), fillvalue=-1)
        g.create_dataset("z", shape=(0,), dtype="i8", chunks=(4,))
        g.create_group("grid")
        g.create_dataset("grid/t", data=np.arange(20, dtype="f4").reshape(4, 5) / 2, chunks=(2, 2))
        g.create_dataset("grid/u", data=np.arange(3, dtype="u1"), chunks=(2,))
        # Compressed: decoded outside HDF5 (engine::codec) when diffed.
        g.create_dataset("zm", data=np.arange(70, dtype="f8").reshape(7, 10), chunks=(3, 4),
                         compression="gzip", shuffle=True, fletcher32=True)
        g.create_dataset("zg", data=np.arange(50, dtype="i4"), chunks=(8,), compression="gzip",
                         compression_opts=9, fillvalue=-3)
    with vf.stage_version("v2", timestamp=ts(1)) as g:
        g["zm"][0, 0] = np.nan
        g["zm"][6, 9] = -7.5  # corner edge chunk
        g["zm"][2:4, 3:5] = 0.25  # across four chunks
        g["zg"][0:8] = -3  # full chunk of fill: unmapped
        g["zg"][48] = 1  # edge chunk
        g["x"][1] = 1.5
        g["m"][0, 0] = 1000
        g["m"][6, 9] = -7  # corner edge chunk, extent (1, 2)
        g["m"][2:4, 3:5] = 0  # across four chunks
        g["n"][1] = np.nan  # NaN written over NaN: same content, same slot
        g["n"][3:6] = np.nan  # whole NaN chunk rewritten identically
        g["n"][7] = 70.0
        g["nf"][4:8] = np.nan  # full chunk equal to the NaN fill: unmapped
        g["sp"][8:10] = -1  # edge chunk of fill values: stored, data unchanged
        g["sp"][0:4] = -1  # full chunk of fill values: still unmapped
        g["cube"][4, 5, 6] = 0  # corner edge chunk
        g["grid/t"][0, 0] = np.nan
    with vf.stage_version("v3", timestamp=ts(2)) as g:
        g["x"].resize((14,))  # grow: edge [8:10] -> [8:12], [12:14] new
        g["x"][12] = 5.0
        g["m"].resize((10, 4))  # axis 0 grows, axis 1 shrinks: grid 3x3 -> 4x1
        g["m"][9, 0:4] = [1, 2, 3, 4]
        g["z"].resize((3,))
        g["z"][:] = [1, 2, 3]
        g["sp"].resize((11,))  # only extents change (the stored edge chunk is rewritten)
    with vf.stage_version("v4", timestamp=ts(3)) as g:
        g["x"].resize((6,))  # shrink
        g["m"].resize((5, 7))
        g["m"][4, 6] = 99
        g["cube"][0:2, 0:3, 0:4] = 0  # full chunk back to fill 0: unmapped
        g["grid/u"][2] = 9
        g["zm"].resize((9, 12))
        g["zm"][8, 11] = 2.0
    with vf.stage_version("v5", timestamp=ts(4)):
        pass  # identical to v4 (no version-group attributes in this file)
    with vf.stage_version("v6", timestamp=ts(5)) as g:
        g["x"][0:4] = -1.0  # full chunk set to fill: unmapped
        g["m"][3:5, 4:7] = -1  # edge chunk (extent (2, 3)) set to fill: stored
        g["z"][0] = 0
    with vf.stage_version("v7", timestamp=ts(6)) as g:
        g["x"][0:4] = [0.0, 1.0, 2.0, 3.0]  # v1's chunk again (dedup to its slot)
        g["cube"][0:2, 0:3, 0:4] = (np.arange(210, dtype="i2") + 1).reshape(5, 6, 7)[0:2, 0:3, 0:4]
        g["n"][7] = 7.0  # n is v1's again
        g["nf"][4:8] = [4.0, 5.0, 6.0, 7.0]
        g["z"][0] = 1

    vs = ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
    paths = ["/", "/grid", "/x"]
    pairs = [(a, b, paths) for a, b in zip(vs, vs[1:])]
    pairs += [(a, b, paths) for a, b in [("v1", "v3"), ("v1", "v7"), ("v2", "v6"), ("v1", "v5"), ("v3", "v7"), ("v2", "v4")]]
    pairs += [("v1", "v1", paths), ("v5", "v5", ["/"]), ("v4", "v5", ["/", "/grid"])]
    pairs += [("-1", "0", ["/"]), ("v1", "0", ["/", "grid"]), ("-3", "-1", ["/"]), ("@" + iso(ts(2) + dt.timedelta(minutes=1)), "v7", ["/"])]
    return pairs


@fixture("tree")
def _tree(vf):
    """Structure and attributes: groups/datasets added and removed (nested),
    a dataset deleted and re-created (different data, then the original
    data), attributes added/removed/changed on "/", subgroups and datasets,
    version-group attributes not carried, path sorting by bytes, prefix
    traps (/sub vs /sub2, /a vs /a-b)."""
    with vf.stage_version("v1", timestamp=ts(0)) as g:
        g.attrs["a"] = 1
        g.attrs["s"] = "hello"
        g.attrs["arr"] = np.array([1.0, np.nan])
        grp = g.create_group("g")
        grp.attrs["ga"] = 1
        grp.attrs["gb"] = np.array([1, 2, 3])
        grp.attrs["keep"] = "same"
        d = g.create_dataset("g/d", data=np.arange(6, dtype="i8"), chunks=(4,))
        d.attrs["units"] = "m"
        d.attrs["scale"] = 1.5
        d.attrs["nanattr"] = np.nan
        g.create_group("g/h/deep")
        g.create_dataset("g/h/deep/e", data=np.array([1.0, 2.0]), chunks=(2,))
        g.create_dataset("a-b", data=np.array([1], dtype="i4"), chunks=(2,))
        g.create_group("a")
        g.create_dataset("a/x", data=np.array([1, 2, 3], dtype="i4"), chunks=(2,))
        g.create_group("sub").attrs["k"] = "v"
        g.create_dataset("sub/y", data=np.arange(5, dtype="i4"), chunks=(2,))
        g.create_group("sub2")
        g.create_dataset("sub2/z", data=np.array([1], dtype="i4"), chunks=(2,))
        g.create_dataset("gone", data=np.array([1.0, 2.0, 3.0]), chunks=(2,))
        g.create_group("old")
        g.create_dataset("old/k", data=np.array([5, 6], dtype="i4"), chunks=(2,))
        g.create_group("old/inner").attrs["x"] = 1
        g.create_dataset("recreate", data=np.arange(6, dtype="i4"), chunks=(4,))
        g.create_dataset("B", data=np.array([1], dtype="i4"), chunks=(2,))
        g.create_dataset("é", data=np.array([2], dtype="i4"), chunks=(2,))
        g.create_dataset("const", data=np.array([1, 2], dtype="i4"), chunks=(2,))
    with vf.stage_version("v2", timestamp=ts(1)) as g:
        g.attrs["a"] = 1  # set again (not carried): unchanged
        g.attrs["arr"] = np.array([1.0, np.nan])  # unchanged (NaN == NaN)
        g.attrs["new"] = 2  # "s" is gone
        g["g"].attrs["ga"] = 2
        g["g"].attrs["gb"] = np.array([1, 2, 4])
        g["g"].attrs["gc"] = "c"
        del g["g/d"].attrs["units"]
        g["g/d"].attrs["scale"] = 2.5
        g["g/d"].attrs["desc"] = "d"
        del g["gone"]
        g.create_dataset("added", data=np.array([1.0]), chunks=(2,))
        g.create_group("newgrp/sub")
        g.create_dataset("newgrp/sub/leaf", data=np.array([1, 2], dtype="i4"), chunks=(2,))
        g.create_group("empty")
        del g["old"]
        del g["recreate"]
        g["sub"].attrs["k"] = "w"
    with vf.stage_version("v3", timestamp=ts(2)) as g:
        g.create_dataset("recreate", data=np.full(6, 9, dtype="i4"), chunks=(4,))
        g["recreate"].attrs["a"] = 1
        g["g/d"].attrs["scale"] = "2.5"  # float -> str
        g["a-b"].attrs["note"] = "n"
        g["g/h/deep/e"][1] = 20.0
    with vf.stage_version("v4", timestamp=ts(3)) as g:
        del g["recreate"]
        del g["newgrp/sub"]
        g.attrs["only4"] = np.array(["x", "y"], dtype=object)
    with vf.stage_version("v5", timestamp=ts(4)) as g:
        g.create_dataset("recreate", data=np.arange(6, dtype="i4"), chunks=(4,))  # v1's data again

    vs = ["v1", "v2", "v3", "v4", "v5"]
    paths = ["/", "/g", "/sub", "/newgrp", "/g/d", "/a"]
    pairs = [(a, b, paths) for a, b in zip(vs, vs[1:])]
    pairs += [(a, b, paths) for a, b in [("v1", "v3"), ("v1", "v5"), ("v3", "v5"), ("v2", "v5")]]
    pairs += [("v2", "v2", paths), ("-2", "0", ["/"])]
    return pairs


@fixture("branches")
def _branches(vf):
    """Branches and strings: variable-length (incl. non-ASCII) and fixed-length
    strings, a branch and a branch of a branch, diffs across branches, string
    chunks set to fill (full chunk unmapped, edge chunk stored)."""
    with vf.stage_version("v1", timestamp=ts(0)) as g:
        g.create_dataset("s", data=vstr(["a", "b", "c", "d", "e", "f", "g"]), dtype=VLEN, chunks=(3,))
        g.create_dataset("fs", data=np.array([b"one", b"two", b"three", b"four", b"five"], dtype="S5"), chunks=(2,))
        g.create_dataset("x", data=np.arange(10, dtype="i8"), chunks=(4,))
        g.create_group("t")
        g.create_dataset("t/u", data=vstr(["é", "☃", "naïve"]), dtype=VLEN, chunks=(2,))
    with vf.stage_version("v2", timestamp=ts(1)) as g:
        g["s"][0] = "é"
        g["x"][0] = 100
        g["fs"][4] = b"FIVE"
    with vf.stage_version("b1", prev_version="v1", make_current=False, timestamp=ts(2)) as g:
        g["s"][4] = "branch"
        g["fs"][1] = b"ab"
        g["x"][5] = 555
        g.create_dataset("bonly", data=np.array([1, 2], dtype="i4"), chunks=(2,))
        g["t/u"][1] = "snow"
    with vf.stage_version("b2", prev_version="b1", make_current=False, timestamp=ts(3)) as g:
        g["x"].resize((13,))
        g["x"][12] = 12
        g["s"].resize((5,))
        g["t/u"].resize((4,))
        g["t/u"][3] = "new"
    with vf.stage_version("v3", prev_version="v2", timestamp=ts(4)) as g:
        g["fs"][0:2] = b""  # full chunk of fill: unmapped
        g["s"][3:6] = ""  # full chunk of fill: unmapped
        g["s"][6] = ""  # edge chunk of fill: stored
        g.attrs["br"] = "main"

    paths = ["/", "/t", "/s"]
    pairs = [(a, b, paths) for a, b in [("v1", "v2"), ("v2", "b1"), ("v1", "b1"), ("b1", "b2"), ("v1", "b2"), ("b2", "v3"), ("v2", "v3"), ("v1", "v3")]]
    pairs += [("b2", "b2", paths), ("0", "b1", ["/"]), ("b1", "-1", ["/"])]
    return pairs


# ---------------------------------------------------------------------------
# the expectation


def _key(p):
    return p.encode("utf-8")


def resolve(f, arg):
    """Version name for a CLI VERSION argument (name, 0/-n, @TIMESTAMP)."""
    vs = f["_version_data"]["versions"]
    if arg.startswith("@"):
        q = dt.datetime.strptime(arg[1:].replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
        best = None
        for v in peer.log_doc(f)["versions"]:
            t = dt.datetime.strptime(v["timestamp"].replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
            if t <= q and (best is None or t >= best[0]):
                best = (t, v["name"])
        return best[1]
    try:
        n = int(arg)
    except ValueError:
        return arg
    assert n <= 0
    name = peer._s(vs.attrs["current_version"])
    for _ in range(-n):
        name = peer._s(vs[name].attrs["prev_version"])
        assert name not in ("", peer.FIRST)
    return name


def under(p, path):
    return path == "/" or p == path or p.startswith(path + "/")


def attr_diff(obj_a, obj_b, skip):
    ja = {k: json.dumps(v, sort_keys=True) for k, v in peer.attrs_json(obj_a, skip).items()}
    jb = {k: json.dumps(v, sort_keys=True) for k, v in peer.attrs_json(obj_b, skip).items()}
    srt = lambda names: sorted(names, key=_key)  # noqa: E731
    return {
        "added": srt(k for k in jb if k not in ja),
        "removed": srt(k for k in ja if k not in jb),
        "changed": srt(k for k in ja if k in jb and ja[k] != jb[k]),
    }


def attrs_empty(d):
    return not (d["added"] or d["removed"] or d["changed"])


def grid(shape, chunks):
    """{position: extent} of a shape's chunk grid."""
    dims = [-(-n // c) for n, c in zip(shape, chunks)]
    out = {}
    for pos in np.ndindex(*dims) if dims else [()]:
        out[tuple(int(p) for p in pos)] = tuple(min(c, n - p * c) for p, n, c in zip(pos, shape, chunks))
    return out


def position_mappings(ds, chunks):
    """{position: (raw_data path, src start, src stop)} from the VDS mappings."""
    raw = peer._s(ds.attrs["raw_data"])
    out = {}
    for vstart, region, _v in peer.mappings(ds):
        assert all(s % c == 0 for s, c in zip(vstart, chunks)), (ds.name, vstart)
        pos = tuple(s // c for s, c in zip(vstart, chunks))
        assert pos not in out, (ds.name, pos)
        out[pos] = (raw, region[0], region[1])
    return out


def chunk_diff(f, da, db):
    chunks = tuple(int(c) for c in f[peer._s(da.attrs["raw_data"])].attrs["chunks"])
    chunks_b = tuple(int(c) for c in f[peer._s(db.attrs["raw_data"])].attrs["chunks"])
    assert chunks == chunks_b
    ga, gb = grid(da.shape, chunks), grid(db.shape, chunks)
    ma, mb = position_mappings(da, chunks), position_mappings(db, chunks)
    assert set(ma) <= set(ga) and set(mb) <= set(gb)
    union = set(ga) | set(gb)
    changed = set()
    for p in union:
        if p not in ga or p not in gb or ga[p] != gb[p] or ma.get(p) != mb.get(p):
            changed.add(p)
    return {"chunks": chunks, "union": union, "changed": changed, "ga": ga, "gb": gb, "ma": ma, "mb": mb}


def equal_cells(a, b, dt_):
    """Elementwise equality of two same-shape arrays (NaN == NaN, strings by value)."""
    dt_ = np.dtype(dt_)
    if peer.is_vlen_str(dt_) or dt_.kind == "O":
        enc = lambda x: peer.value_json(x, dt_)  # noqa: E731
        fa = np.frompyfunc(enc, 1, 1)(a) if a.size else a
        fb = np.frompyfunc(enc, 1, 1)(b) if b.size else b
        return np.asarray(fa == fb, dtype=bool).reshape(a.shape)
    if dt_.kind in "fc":
        return (a == b) | (np.isnan(a) & np.isnan(b))
    if dt_.names is not None:
        raise TypeError("compound data not used by these fixtures")
    return a == b


def elements(da, db):
    a, b = peer.read_array(da), peer.read_array(db)
    common = tuple(min(x, y) for x, y in zip(a.shape, b.shape))
    sl = tuple(slice(0, n) for n in common)
    eq = equal_cells(a[sl], b[sl], da.dtype)
    csize = int(np.prod(common, dtype=np.int64))
    n = int(np.count_nonzero(~eq)) + (a.size - csize) + (b.size - csize)
    cells = None
    if a.size <= CELLS_MAX and b.size <= CELLS_MAX:
        cells = []
        box = tuple(max(x, y) for x, y in zip(a.shape, b.shape))
        for idx in np.ndindex(*box):
            in_a = all(i < s for i, s in zip(idx, a.shape))
            in_b = all(i < s for i, s in zip(idx, b.shape))
            if not in_a and not in_b:
                continue
            if in_a and in_b and eq[idx]:
                continue
            old = peer.value_json(a[idx], da.dtype) if in_a else None
            new = peer.value_json(b[idx], db.dtype) if in_b else None
            cells.append([[int(i) for i in idx], old, new])
        assert len(cells) == n, (da.name, len(cells), n)
    return n, cells


def get_diff_slices(vf, rel, a, b):
    res = vf.get_diff(rel, a, b)
    out = []
    for key in res:
        axes = []
        for s in key.args:
            s = s.reduce()
            assert s.step == 1, s
            axes.append([int(s.start), int(s.stop)])
        out.append(axes)
    return sorted(out)


def compute(f, vf, arg_a, arg_b, path):
    """(expected document, get_diff, cells, internal chunk info) for one case."""
    a, b = resolve(f, arg_a), resolve(f, arg_b)
    norm = "/" + path.strip("/") if path.strip("/") else "/"
    ta, tb = dict(peer.walk(f, a)), dict(peer.walk(f, b))
    assert norm in ta and norm in tb, (a, b, norm)
    pa = {p for p in ta if under(p, norm)}
    pb = {p for p in tb if under(p, norm)}
    added = sorted(pb - pa, key=_key)
    removed = sorted(pa - pb, key=_key)
    modified, gdiff, cells, info = [], {}, {}, {}
    for p in sorted(pa & pb, key=_key):
        oa, ob = ta[p], tb[p]
        if isinstance(oa, h5py.Group) != isinstance(ob, h5py.Group):
            raise AssertionError(f"{p}: kind changes between {a} and {b} (left open by the contract)")
        if isinstance(oa, h5py.Group):
            skip = peer.VERSION_GROUP_SYSTEM_ATTRS if p == "/" else ()
            ad = attr_diff(oa, ob, skip)
            if not attrs_empty(ad):
                modified.append({"path": p, "kind": "group", "attrs": ad})
            continue
        ad = attr_diff(oa, ob, peer.DATASET_SYSTEM_ATTRS)
        cd = chunk_diff(f, oa, ob)
        n, c = elements(oa, ob)
        info[p] = cd
        entry = {
            "path": p,
            "kind": "dataset",
            "shape": [list(oa.shape), list(ob.shape)],
            "dtype": [peer.dtype_json(oa.dtype), peer.dtype_json(ob.dtype)],
            "attrs": ad,
            "chunks_changed": len(cd["changed"]),
            "chunks_total": len(cd["union"]),
            "elements_changed": n,
        }
        if n > 0:
            assert entry["chunks_changed"] > 0, (p, a, b)
        if (entry["shape"][0] != entry["shape"][1] or entry["dtype"][0] != entry["dtype"][1]
                or not attrs_empty(ad) or entry["chunks_changed"] > 0):
            modified.append(entry)
        gdiff[p] = get_diff_slices(vf, p.lstrip("/"), a, b)
        if c is not None:
            cells[p] = c
    doc = {"a": a, "b": b, "added": added, "removed": removed, "modified": modified}
    return doc, gdiff, cells, info


# ---------------------------------------------------------------------------
# self-checks


def check_get_diff(where, p, slices, cd):
    """get_diff's keys are exactly the extents (as virtual slices) of the changed
    positions mapped in A or B: the A extent where A maps it and B does not or
    maps a different region, the B extent likewise (equal keys collapse)."""
    chunks = cd["chunks"]
    want = set()
    for pos in cd["changed"]:
        for g, m in ((cd["ga"], cd["ma"]), (cd["gb"], cd["mb"])):
            if pos in m:
                want.add(tuple((q * c, q * c + e) for q, c, e in zip(pos, chunks, g[pos])))
    got = {tuple((s, e) for s, e in axes) for axes in slices}
    if got != want:
        raise AssertionError(f"{where} {p}: get_diff {sorted(got)} != changed mapped chunks {sorted(want)}")
    for axes in slices:  # every slice inside one changed position
        pos = tuple(s // c for (s, _e), c in zip(axes, chunks))
        if pos not in cd["changed"]:
            raise AssertionError(f"{where} {p}: get_diff slice {axes} in unchanged chunk {pos}")


def mirror(doc):
    def flip_attrs(d):
        return {"added": d["removed"], "removed": d["added"], "changed": d["changed"]}

    mods = []
    for m in doc["modified"]:
        m = dict(m)
        m["attrs"] = flip_attrs(m["attrs"])
        if m["kind"] == "dataset":
            m["shape"] = m["shape"][::-1]
            m["dtype"] = m["dtype"][::-1]
        mods.append(m)
    return {"a": doc["b"], "b": doc["a"], "added": doc["removed"], "removed": doc["added"], "modified": mods}


def restrict(doc, path):
    norm = "/" + path.strip("/") if path.strip("/") else "/"
    keep = lambda p: under(p, norm)  # noqa: E731
    return {
        "a": doc["a"],
        "b": doc["b"],
        "added": [p for p in doc["added"] if keep(p)],
        "removed": [p for p in doc["removed"] if keep(p)],
        "modified": [m for m in doc["modified"] if keep(m["path"])],
    }


def self_check(cases):
    by = {(c["file"], c["expected"]["a"], c["expected"]["b"], c["path"]): c for c in cases}
    for c in cases:
        e = c["expected"]
        where = f'{c["file"]} {c["a"]} {c["b"]} {c["path"]}'
        for lst in ("added", "removed"):
            assert e[lst] == sorted(set(e[lst]), key=_key), where
        assert [m["path"] for m in e["modified"]] == sorted({m["path"] for m in e["modified"]}, key=_key), where
        assert not (set(e["added"]) & set(e["removed"])), where
        if e["a"] == e["b"]:
            assert e["added"] == e["removed"] == e["modified"] == [], where
            assert all(v == [] for v in c["get_diff"].values()), where
        for m in e["modified"]:
            if m["kind"] == "dataset":
                assert len(c["cells"].get(m["path"], [None] * m["elements_changed"])) == m["elements_changed"], where
        rev = by.get((c["file"], e["b"], e["a"], c["path"]))
        if rev is None:
            raise AssertionError(f"{where}: no reverse case")
        if mirror(rev["expected"]) != e:
            raise AssertionError(f"{where}: not the mirror of diff(B, A)")
        full = by.get((c["file"], e["a"], e["b"], "/"))
        if full is not None and restrict(full["expected"], c["path"]) != e:
            raise AssertionError(f"{where}: differs from the '/' diff restricted to the path")
        for p, sl in c["get_diff"].items():
            revs = rev["get_diff"][p]
            if sorted(sl) != sorted(revs):
                raise AssertionError(f"{where} {p}: get_diff keys not symmetric")


# ---------------------------------------------------------------------------


def prepare(outdir):
    os.makedirs(outdir, exist_ok=True)
    cases = []
    files = []
    for name, build in FIXTURES.items():
        fname = f"{name}.h5"
        path = os.path.join(outdir, fname)
        if os.path.exists(path):
            os.remove(path)
        with h5py.File(path, "w") as f:
            pairs = build(VersionedHDF5File(f))
        files.append(fname)
        with h5py.File(path, "r") as f:
            vf = VersionedHDF5File(f)
            seen = set()
            todo = []
            for a, b, paths in pairs:
                for x, y in ((a, b), (b, a)):
                    for p in paths:
                        if (x, y, p) not in seen:
                            seen.add((x, y, p))
                            todo.append((x, y, p))
            for a, b, p in todo:
                ra, rb = resolve(f, a), resolve(f, b)
                norm = "/" + p.strip("/") if p.strip("/") else "/"
                ta, tb = dict(peer.walk(f, ra)), dict(peer.walk(f, rb))
                if norm not in ta or norm not in tb:
                    continue  # PATH must exist in both versions
                doc, gdiff, cells, info = compute(f, vf, a, b, p)
                for dp, sl in gdiff.items():
                    check_get_diff(f"{fname} {a} {b}", dp, sl, info[dp])
                cases.append({"file": fname, "a": a, "b": b, "path": p, "expected": doc, "get_diff": gdiff, "cells": cells})
    self_check(cases)
    with open(os.path.join(outdir, "diff_expected.json"), "w", encoding="utf-8") as fh:
        json.dump(cases, fh, ensure_ascii=False, indent=1, allow_nan=False)
    return {"files": files, "cases": len(cases)}


if __name__ == "__main__":
    sys.exit(peer.prepare_main(prepare, __doc__, sys.argv[1:]))
