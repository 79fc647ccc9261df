#!/usr/bin/env python3
"""Interop cases for the vh5 replay subcommands (delete-versions,
modify-metadata, rename-version, compact): starting files, the CLI operations,
and the same operations applied by versioned-hdf5 2.6.0 itself.

Usage:
  replay_cases.py list                      JSON list of case names
  replay_cases.py describe                  JSON {case: one-line description}
  replay_cases.py prepare OUTDIR [CASE...]  for every case (default: all):
      OUTDIR/CASE.base.h5         starting file (versioned-hdf5, explicit
                                  timestamps; never modified: copy it for vh5)
      OUTDIR/CASE.ops.json        [{"args": ["delete-versions", "v2"], "python": "..."}, ...]
                                  `args` = the vh5 arguments WITHOUT the file:
                                  run `vh5 args[0] FILE *args[1:]`, one op after
                                  another on the same file; "python" = what the
                                  Python side did for it (informational)
      OUTDIR/CASE.python.h5       base + the same ops applied by Python
      OUTDIR/CASE.python.dump.json  check_files.dump_with_raw of CASE.python.h5
    prints {case: {"base", "ops", "python", "python_dump": paths,
                   "python_applied": bool}}
    python_applied is true when every op was applied by a versioned-hdf5
    function.  It is false for cases with rename-version (emulated on the
    Python side with plain h5py: move the version group, rewrite the
    children's prev_version and current_version - the result is still the
    expected file) or compact (skipped on the Python side: the file is copied
    unchanged, which is the expected *content* after compaction).  In every
    case CASE.python.h5 is what `compare` should find equal to vh5's result.
  replay_cases.py compare VH5FILE PYFILE
    prints {"equal": bool, "differences": ["...", ...]}; see compare_files().
  replay_cases.py apply-python FILE OPS.json
    apply ops (as in CASE.ops.json) to FILE in place with versioned-hdf5.
  replay_cases.py selftest [--keep DIR]     Python-only: prepare twice
    (determinism), compare each python file with itself and with the second
    run, and check the case's expectations (expect_*).

CLI grammar translated here (reference interpretation):
  delete-versions VERSION...      delete_versions(f, [names]); VERSION may be a
                                  name, 0/-1/..., or @ISO-TIMESTAMP (resolved
                                  before anything is deleted)
  modify-metadata PATH [--dtype D] [--chunks '[c, ...]']
                  [--compression gzip|lzf|none] [--compression-opts N]
                  [--fillvalue F]
      -> modify_metadata(f, PATH without leading '/', dtype=np.dtype(D),
         chunks=tuple(json), compression='gzip'|'lzf'|None,
         compression_opts=int, fillvalue=<F parsed as an element of the NEW
         dtype (the old one without --dtype)>).  Omitted flags are omitted
         (versioned-hdf5's DEFAULT: keep).  D uses cli.md dtype notation.
         F is JSON with "NaN"/"Infinity"/"-Infinity" for floats.
  rename-version OLD NEW          (no Python equivalent; emulated with h5py)
  compact [OUT]                   (no Python equivalent; skipped = copy)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time

import h5py
import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_files  # noqa: E402
import commit_cases  # noqa: E402  (base_ts, parse_dtype, elem_value, resolve_version)
import peer  # noqa: E402
from versioned_hdf5 import VersionedHDF5File  # noqa: E402
from versioned_hdf5.hashtable import Hashtable  # noqa: E402
from versioned_hdf5.replay import delete_versions, modify_metadata  # noqa: E402

UTC = dt.timezone.utc
VLEN = h5py.string_dtype()
base_ts = commit_cases.base_ts


peer.quiet_dealloc_noise()


# ---------------------------------------------------------------------------
# the case table
#
# Each case: build() -> (setup(vf), ops) where ops is a list of vh5 argument
# lists (FILE omitted).  Optional "expect" is a function(f) run by selftest on
# the Python result; it raises AssertionError when versioned-hdf5 did not do
# what the case documents (these document the observed 2.6.0 behaviour).

CASES: dict[str, dict] = {}


def case(name, doc, expect=None):
    def deco(fn):
        CASES[name] = {"name": name, "doc": doc, "build": fn, "expect": expect}
        return fn

    return deco


def _stage(vf, name, i, prev=None, make_current=True):
    kw = {"timestamp": base_ts(i), "make_current": make_current}
    if prev is not None:
        kw["prev_version"] = prev
    return vf.stage_version(name, **kw)


def dv(*names):
    return ["delete-versions", *names]


def mm(path, **kw):
    args = ["modify-metadata", path]
    for k in ("dtype", "chunks", "compression", "compression_opts", "fillvalue"):
        if k in kw:
            v = kw[k]
            if k in ("chunks", "fillvalue") or k == "compression_opts":
                v = json.dumps(v)
            args += ["--" + k.replace("_", "-"), v]
    return args


# --- small helpers for expectations -----------------------------------------


def _vs(f):
    return f["_version_data"]["versions"]


def _raw_rows(f, p):
    return int(f["_version_data"][p.lstrip("/")]["raw_data"].shape[0])


def _li(f, p):
    return int(f["_version_data"][p.lstrip("/")]["hash_table"].attrs["largest_index"])


def _read(f, v, p):
    return peer.read_array(_vs(f)[v][p.lstrip("/")])


def _check(cond, msg):
    if not cond:
        raise AssertionError(msg)


# ---------------------------------------------------------------------------
# delete-versions cases


def _exp_del_linear_middle(f):
    vs = _vs(f)
    _check("v2" not in vs, "v2 still there")
    _check(peer._s(vs["v3"].attrs["prev_version"]) == "v1", "v3.prev != v1")
    _check(peer._s(vs.attrs["current_version"]) == "v4", "current moved")
    # x: v1 0..3,4..7,8..9 ; v2 chunk0 (11) orphaned, edge (99) kept by v3 ; v3 chunk0 (21) ; v4 chunk1 (55)
    _check(_raw_rows(f, "x") == 6 * 4, f"x raw rows {_raw_rows(f, 'x')}")
    _check(_li(f, "x") == 6, "x largest_index")


@case("del_linear_middle", "linear v1..v4 (x f8 c=4 fill -1, y i4 (5,6) c=(2,4)): delete v2; its x chunk 0 is reclaimed, its edge chunk (still used by v3) and y chunk kept; v3.prev -> v1", _exp_del_linear_middle)
def _del_linear_middle():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
            g.create_dataset("y", data=np.arange(30, dtype="i4").reshape(5, 6), chunks=(2, 4))
        with _stage(vf, "v2", 1) as g:
            g["x"][1] = 11.0
            g["x"][9] = 99.0
            g["y"][0, 0] = -5
        with _stage(vf, "v3", 2) as g:
            g["x"][1] = 21.0
        with _stage(vf, "v4", 3) as g:
            g["x"][5] = 55.0
            g["y"][4, 5] = 7

    return setup, [dv("v2")]


def _exp_del_several(f):
    vs = _vs(f)
    for v in ("v1", "v3", "v4", "v5"):
        _check(v not in vs, f"{v} still there")
    _check(peer._s(vs.attrs["current_version"]) == "v2", "current != v2")
    _check(peer._s(vs["v2"].attrs["prev_version"]) == "__first_version__", "v2.prev")


@case("del_several_current", "linear v1..v5, current v5: delete v5 v4 v3 in one call (current moves to v2, the nearest survivor), then delete the root v1 (v2.prev -> __first_version__, log shows null); 1-D f8, 2-D i2 edge chunks, a dataset added in v4", _exp_del_several)
def _del_several_current():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(12.0), chunks=(5,), fillvalue=-1.0)
            g.create_dataset("m", data=np.arange(35, dtype="i2").reshape(5, 7), chunks=(2, 3))
        with _stage(vf, "v2", 1) as g:
            g["x"][0:3] = [7.0, 8.0, 9.0]
            g["m"][4, 6] = -1
        with _stage(vf, "v3", 2) as g:
            g["x"][11] = 1100.0
            g["m"][0:2, 0:3] = 9
        with _stage(vf, "v4", 3) as g:
            g["x"][5] = 55.0
            g.create_dataset("n", data=np.arange(6, dtype="u1"), chunks=(4,))
        with _stage(vf, "v5", 4) as g:
            g["m"][2, 2] = 22
            g["n"][0] = 200

    return setup, [dv("v5", "v4", "v3"), dv("v1")]


def _exp_del_branch_child(f):
    vs = _vs(f)
    _check(peer._s(vs["v3"].attrs["prev_version"]) == "v1", "v3.prev != v1")
    _check(peer._s(vs["b1"].attrs["prev_version"]) == "v1", "b1.prev != v1")
    _check(peer._s(vs.attrs["current_version"]) == "v3", "current")
    # x: v1 3 slots; v2 slot (x[1]=11) kept because b1 wrote the same chunk (dedup);
    # v2 slot (x[5]=50) reclaimed; v3 chunk (51); b1 edge (90); b2 chunk (1 1 1 1)
    _check(_li(f, "x") == 7, f"x largest_index {_li(f, 'x')}")
    raw = f["_version_data/x/raw_data"][:]
    _check(50 not in raw and 11 in raw, "x slots")


@case("del_branch_child", "v1 -> v2 -> v3 (current) and branch v1 -> b1 -> b2: delete v2 (the branch point's child on the main side); a v2 chunk that b1 deduplicated against survives, the other is reclaimed", _exp_del_branch_child)
def _del_branch_child():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(10, dtype="<i8"), chunks=(4,), fillvalue=-1)
            g.create_dataset("s", data=np.arange(6.0) / 3, chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g["x"][1] = 11
            g["x"][5] = 50
        with _stage(vf, "v3", 2) as g:
            g["x"][5] = 51
            g["s"][0] = 9.5
        with _stage(vf, "b1", 3, prev="v1", make_current=False) as g:
            g["x"][1] = 11  # same chunk as v2's -> shares v2's slot
            g["x"][9] = 90
        with _stage(vf, "b2", 4, prev="b1", make_current=False) as g:
            g["x"][0:4] = [1, 1, 1, 1]
            g["s"][5] = -2.0

    return setup, [dv("v2")]


def _exp_del_branch_point(f):
    vs = _vs(f)
    _check(peer._s(vs["v2"].attrs["prev_version"]) == "v0", "v2.prev != v0")
    _check(peer._s(vs["b1"].attrs["prev_version"]) == "v0", "b1.prev != v0")
    _check(peer._s(vs["b2"].attrs["prev_version"]) == "b1", "b2.prev")
    _check(peer._s(vs.attrs["current_version"]) == "b2", "current")


@case("del_branch_point", "v0 -> v1 -> {v2 -> v3, b1 -> b2 (current)}: delete v1 (children on two branches, both re-parented to v0), then delete v3 (a leaf on the non-current branch); 1-D and 2-D data", _exp_del_branch_point)
def _del_branch_point():
    def setup(vf):
        with _stage(vf, "v0", 0) as g:
            g.create_dataset("x", data=np.arange(9.0), chunks=(3,), fillvalue=np.nan)
            g.create_dataset("m", data=np.arange(20, dtype="i4").reshape(4, 5), chunks=(3, 3), fillvalue=-7)
        with _stage(vf, "v1", 1) as g:
            g["x"][4] = 40.0
            g["m"][3, 4] = 34
        with _stage(vf, "v2", 2) as g:
            g["x"][0] = np.nan
            g["m"][0, 0] = 100
        with _stage(vf, "v3", 3) as g:
            g["x"][8] = 80.0
        with _stage(vf, "b1", 4, prev="v1") as g:
            g["x"][3:6] = [1.0, 2.0, 3.0]
        with _stage(vf, "b2", 5) as g:
            g["m"][1:4, 3:5] = -7

    return setup, [dv("v1"), dv("v3")]


def _exp_del_nested(f):
    vd = f["_version_data"]
    _check("g/h/z" not in vd, "storage of /g/h/z still there")
    _check("a/b/c/x" in vd and "a/y" in vd, "storage of kept datasets")
    _check("g/h" in vd and len(vd["g/h"]) == 0, "empty /_version_data/g/h left behind")
    _check(_li(f, "a/b/c/x") == 4 and _li(f, "a/y") == 4, f"li {_li(f, 'a/b/c/x')} {_li(f, 'a/y')}")


@case("del_nested_groups", "datasets /a/b/c/x, /a/y (group attrs) and /g/h/z (only in v2, v3): delete v2 and v3; nested storage /_version_data/g/h/z goes (its now empty parents /_version_data/g and g/h stay, as Python leaves them), v2's /a/b/c/x chunk reclaimed, /a/y's v3 chunk kept (v4 inherits it)", _exp_del_nested)
def _del_nested_groups():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_group("a/b/c")
            g["a"].attrs["note"] = "group a"
            g.create_dataset("a/b/c/x", data=np.arange(8, dtype="<i4"), chunks=(3,))
            g.create_dataset("a/y", data=np.linspace(0, 1, 5), chunks=(2,), fillvalue=0.5)
        with _stage(vf, "v2", 1) as g:
            g["a/b/c/x"][0] = 100
            g.create_dataset("g/h/z", data=np.array([1, 2, 3], dtype="<u2"), chunks=(2,))
            g["g/h"].attrs["made"] = 2
        with _stage(vf, "v3", 2) as g:
            g["a/y"][4] = 44.0
            g["g/h/z"][2] = 33
        with _stage(vf, "v4", 3) as g:
            del g["g"]
            g["a/b/c/x"][0] = 0  # back to v1's chunk: v2's chunk 0 is now used by v2, v3 only
            g["a/b/c/x"][7] = 77
            g["a/b"].attrs["v4"] = True

    return setup, [dv("v2", "v3")]


@case("del_vlen_str", "vlen str 1-D (c=3) and 2-D (3,4) c=(2,2) with edge chunks and non-ASCII text; delete a middle version and a branch leaf")
def _del_vlen_str():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("v", data=np.array(["a", "bb", "ccc", "d", "ee", "fff", "g"], dtype=object), dtype=VLEN, chunks=(3,))
            g.create_dataset("w", data=np.array([["x%d%d" % (i, k) for k in range(4)] for i in range(3)], dtype=object), dtype=VLEN, chunks=(2, 2))
        with _stage(vf, "v2", 1) as g:
            g["v"][0] = "é"
            g["v"][6] = "日本語"
            g["w"][2, 3] = "☃"
        with _stage(vf, "v3", 2) as g:
            g["v"][0] = "second"
            g["w"][0, 0] = ""
        with _stage(vf, "b1", 3, prev="v2", make_current=False) as g:
            g["v"][3:6] = ["🎉", "", "long " * 10]
            g["w"][2, 0] = "b"

    return setup, [dv("v2"), dv("b1")]


def _exp_del_nd_edge(f):
    m = f["_version_data"]["m"]["raw_data"]
    # every edge slot's padding was reset to the fill value
    _check(int(m.fillvalue) == -1, "m raw fill")


@case("del_nd_edge", "2-D i4 (7,10) c=(3,4) fill -1 and 3-D i2 (5,6,7) c=(2,3,4): versions editing edge and corner chunks, a resize (7,10)->(8,9) in v3; delete v2 and v4 (edge slots move down; Python resets an edge slot's padding to the fill value)", _exp_del_nd_edge)
def _del_nd_edge():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("m", data=np.arange(70, dtype="i4").reshape(7, 10), chunks=(3, 4), fillvalue=-1)
            g.create_dataset("cube", data=(np.arange(210, dtype="i2") + 1).reshape(5, 6, 7), chunks=(2, 3, 4))
        with _stage(vf, "v2", 1) as g:
            g["m"][6, 9] = 1000
            g["m"][0, 9] = 900
            g["cube"][4, 5, 6] = -1
        with _stage(vf, "v3", 2) as g:
            g["m"].resize((8, 9))
            g["m"][7, 8] = 78
            g["cube"][0, 0, 0] = -100
        with _stage(vf, "v4", 3) as g:
            g["m"][3:6, 4:8] = 5
            g["cube"][4, :, :] = 3
        with _stage(vf, "v5", 4) as g:
            g["cube"][2:4, 3:6, 4:7] = 0

    return setup, [dv("v2", "v4")]


def _exp_del_only_dataset(f):
    vd = f["_version_data"]
    _check("z" not in vd, "/_version_data/z still there")
    _check("g/w" not in vd, "/_version_data/g/w still there")
    _check("x" in vd, "x storage gone")


@case("del_only_dataset", "z and /g/w exist only in v2 and v3 (deleted again in v4): delete v2 and v3 -> /_version_data/z and /_version_data/g/w removed; x (in every version) compacted", _exp_del_only_dataset)
def _del_only_dataset():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(6.0), chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g.create_dataset("z", data=np.arange(5, dtype="i8") * 10, chunks=(2,), fillvalue=-1)
            g.create_dataset("g/w", data=np.array(["p", "q"], dtype=object), dtype=VLEN, chunks=(4,))
            g["x"][0] = 1.5
        with _stage(vf, "v3", 2) as g:
            g["z"][4] = 44
            g["x"][5] = 5.5
        with _stage(vf, "v4", 3) as g:
            del g["z"]
            del g["g/w"]
            g["x"][1] = -1.0

    return setup, [dv("v2", "v3")]


def _exp_del_recreated(f):
    vs = _vs(f)
    _check("x" in vs["v3"] and "x" not in vs["v2"], "x presence")
    _check(_li(f, "x") == 3, f"x largest_index {_li(f, 'x')}")


@case("del_recreated", "x created in v1, deleted in v2, re-created with other data (same chunks/dtype/fill) in v3, edited in v4: delete v1 -> v1's x slots reclaimed, v3/v4 slots move down", _exp_del_recreated)
def _del_recreated():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(8.0), chunks=(4,), fillvalue=-1.0)
            g.create_dataset("k", data=np.arange(3, dtype="i4"), chunks=(2,))
        with _stage(vf, "v2", 1) as g:
            del g["x"]
        with _stage(vf, "v3", 2) as g:
            g.create_dataset("x", data=np.arange(6.0) + 100, chunks=(4,), fillvalue=-1.0)
        with _stage(vf, "v4", 3) as g:
            g["x"][0] = 0.25

    return setup, [dv("v1")]


def _make_orphans(path):
    """Delete version group o2 behind versioned-hdf5's back (as a crash or a
    manual `del` would), so p and q have slots no version uses."""
    with h5py.File(path, "r+") as f:
        vs = f["_version_data/versions"]
        vs["v3"].attrs["prev_version"] = vs["o2"].attrs["prev_version"]
        del vs["o2"]


def _exp_del_orphans(f):
    # p: not in the deleted version v4 -> untouched, orphan slot stays
    _check(_raw_rows(f, "p") == 3 * 2 and _li(f, "p") == 3, f"p rows {_raw_rows(f, 'p')}")
    # e: empty (shape (0,)) in v4 -> skipped, orphan slot stays
    _check(_li(f, "e") == 3, f"e li {_li(f, 'e')}")
    # q: in v4 -> compacted; its orphan (from o2) is reclaimed too
    _check(_li(f, "q") == 2, f"q li {_li(f, 'q')}")


@case("del_skip_rule", "orphan slots (a version group removed with plain h5py): delete v4 - q (in v4) is compacted and loses its orphan too; p (absent from v4) and e (shape (0,) in v4) are left untouched with their orphans", _exp_del_orphans)
def _del_skip_rule():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("p", data=np.arange(4, dtype="i4"), chunks=(2,))
            g.create_dataset("q", data=np.arange(4, dtype="i4"), chunks=(2,))
            g.create_dataset("e", data=np.arange(4, dtype="i4"), chunks=(2,))
        with _stage(vf, "o2", 1) as g:
            g["p"][0] = 50
            g["q"][0] = 50
            g["e"][3] = 50
        with _stage(vf, "v3", 2, prev="v1") as g:
            del g["p"]
            g["e"].resize((0,))
        with _stage(vf, "v4", 3) as g:
            g["q"][3] = 33
        with _stage(vf, "v5", 4) as g:
            g["q"][3] = 3
            g["e"].resize((4,))
            g["e"][:] = [0, 1, 2, 3]

    return setup, [dv("v4")]


def _exp_del_all_fill(f):
    vs = _vs(f)
    _check(_raw_rows(f, "f") == 0, f"f raw rows {_raw_rows(f, 'f')}")
    _check(_li(f, "f") == 0, "f largest_index")
    _check(np.all(_read(f, "v1", "f") == -1), "f values")


@case("del_all_fill", "f is all fill value in v1 (zero mappings) and edited in v2: delete v2 -> f's raw_data shrinks to 0 rows, empty hash table, v1 still reads all -1; g is 2-D all-fill in every version", _exp_del_all_fill)
def _del_all_fill():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("f", data=np.full(8, -1, dtype="i4"), chunks=(4,), fillvalue=-1)
            g.create_dataset("g", data=np.zeros((4, 4)), chunks=(2, 2))
            g.create_dataset("h", data=np.arange(5.0), chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g["f"][3] = 3
            g["h"][0] = 10.0

    return setup, [dv("v2")]


# ---------------------------------------------------------------------------
# modify-metadata cases


def _linear3(extra=None, **kw):
    """Three linear versions of a 1-D dataset x (and whatever `extra` adds)."""
    data = kw.get("data")
    chunks = kw.get("chunks", (4,))
    fill = kw.get("fillvalue")

    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            ckw = {} if fill is None else {"fillvalue": fill}
            g.create_dataset("x", data=data, chunks=chunks, **ckw)
            if extra:
                extra(g, 1)
        with _stage(vf, "v2", 1) as g:
            g["x"][1] = data[0]
            if extra:
                extra(g, 2)
        with _stage(vf, "v3", 2) as g:
            g["x"][-1] = data[2]
            if extra:
                extra(g, 3)

    return setup


def _exp_dtype(name, want):
    def exp(f):
        for v in ("v1", "v2", "v3"):
            d = _vs(f)[v]["x"]
            _check(d.dtype == np.dtype(want), f"{v} x dtype {d.dtype}")
        _check(f["_version_data/x/raw_data"].dtype == np.dtype(want), "raw dtype")

    return exp


@case("mm_dtype_int_float", "x <i4 c=4 fill -1 in v1..v3 -> --dtype <f8 (values and fill -1 cast; fill becomes -1.0); integer casts of stored values follow HDF5's conversion: w <i8 -> <f8 (2^53+1 rounds to 2^53), u <u8 -> <i8 (2^64-1 and 2^63 saturate to 2^63-1), k <i4 -> <i2 (70000 -> 32767, -70000 -> -32768)", _exp_dtype("x", "<f8"))
def _mm_dtype_int_float():
    def extra(g, i):
        if i == 1:
            g.create_dataset("w", data=np.array([2**53 + 1, 2**63 - 1, -(2**63), 3, 0], dtype="<i8"), chunks=(2,))
            g.create_dataset("u", data=np.array([2**64 - 1, 2**63, 0, 1, 5], dtype="<u8"), chunks=(2,))
            g.create_dataset("k", data=np.array([70000, -70000, 32767, -32768, 1], dtype="<i4"), chunks=(2,))
        elif i == 2:
            g["w"][4] = -(2**62) - 1
            g["k"][4] = 2**31 - 1

    data = np.array([3, -1, 5, 2**31 - 1, -(2**31), 0, 7, 8, 9, 10], dtype="<i4")
    return _linear3(extra, data=data, fillvalue=-1), [mm("/x", dtype="<f8"), mm("/w", dtype="<f8"), mm("/u", dtype="<i8"), mm("/k", dtype="<i2")]


@case("mm_dtype_f4_f8", "x <f4 (0.1, NaN, inf, -0.0, 1e-45 ...) -> --dtype <f8 (exact widening: 0.1f32 becomes 0.10000000149011612)", _exp_dtype("x", "<f8"))
def _mm_dtype_f4_f8():
    data = np.array([0.1, np.nan, np.inf, -0.0, 1e-45, 3.4e38, 1 / 3, -2.5, 0.0, 7.0], dtype="<f4")
    return _linear3(data=data, fillvalue=np.float32(0.5)), [mm("/x", dtype="<f8")]


@case("mm_dtype_float_int", "HDF5 float->int conversion of stored values: x <f8 fill -3.0 -> --dtype <i4 (truncation toward zero 1.7->1, -1.7->-1, 2.5->2; 1e10/inf saturate to 2^31-1, -inf to -2^31; fill -3); y <f8 fill 0 -> <i2 --fillvalue 5 (0.0 and 0.4->0 are not the old fill: only exact 0.0 becomes 5); z <f8 -> |u1 (-1.7 -> 0, 255.9 -> 255, 300 -> 255, -300 -> 0); f <f8 -> <f4 (0.1 rounds, 1e300 -> inf, 3.4028235e38 -> inf under HDF5, unlike NumPy)", _exp_dtype("x", "<i4"))
def _mm_dtype_float_int():
    data = np.array([0.5, 1.7, -1.7, 2.5, -3.0, 1000.9, -0.0, np.inf, -np.inf, 1e10])

    def extra(g, i):
        if i == 1:
            g.create_dataset("y", data=np.array([0.0, 1.9, -2.9, 0.4, 7.0]), chunks=(2,))
            g.create_dataset("z", data=np.array([-1.7, 255.9, 300.0, -300.0, 0.5, 17.0]), chunks=(4,))
            g.create_dataset("f", data=np.array([0.1, 1e300, -1e300, 1e-300, 3.4028235e38, -0.0, 2.5]), chunks=(4,))
        elif i == 3:
            g["y"][0] = 0.7
            g["z"][5] = 1e6

    return _linear3(extra, data=data, fillvalue=-3.0), [mm("/x", dtype="<i4"), mm("/y", dtype="<i2", fillvalue=5), mm("/z", dtype="|u1"), mm("/f", dtype="<f4")]


@case("mm_chunks_1d", "x <f8 (10,) c=4 fill -1 in three versions (plus a resize to 13 in v3 with an implicit-fill tail): --chunks [3], then --chunks [16] (one chunk larger than the dataset); z all fill (no mappings) in v1 and v3, one value in v2: --chunks [2]")
def _mm_chunks_1d():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
            g.create_dataset("z", data=np.zeros(7, dtype="i4"), chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g["x"][0] = 100.0
            g["x"][4:8] = -1.0  # a whole chunk of fill
            g["z"][5] = 5
        with _stage(vf, "v3", 2) as g:
            g["x"].resize((13,))
            g["x"][11] = 11.0
            g["z"][5] = 0

    return setup, [mm("/x", chunks=[3]), mm("/x", chunks=[16]), mm("/z", chunks=[2])]


@case("mm_chunks_2d", "m <i4 (7,10) c=(3,4) fill -1 with edge chunks, a block of fill, v3 resized (8,9): --chunks [2, 5]; cube <u1 (5,6,7) c=(2,3,4) -> [5, 2, 3]")
def _mm_chunks_2d():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("m", data=np.arange(70, dtype="i4").reshape(7, 10), chunks=(3, 4), fillvalue=-1)
            g.create_dataset("cube", data=(np.arange(210) % 251).astype("u1").reshape(5, 6, 7), chunks=(2, 3, 4))
        with _stage(vf, "v2", 1) as g:
            g["m"][0:3, 0:4] = -1
            g["m"][6, 9] = 69
            g["cube"][4, 5, 6] = 0
        with _stage(vf, "v3", 2) as g:
            g["m"].resize((8, 9))
            g["m"][7, 0] = 70

    return setup, [mm("/m", chunks=[2, 5]), mm("/cube", chunks=[5, 2, 3])]


def _exp_compression(f):
    fl = lambda p: peer.filters_json(f[f"_version_data/{p}/raw_data"])  # noqa: E731
    _check(fl("a")["compression"] == "gzip" and fl("a")["compression_opts"] == 9, f"a {fl('a')}")
    _check(fl("b")["compression"] is None and fl("b")["compression_opts"] is None, f"b {fl('b')}")
    _check(fl("c")["compression"] == "lzf", f"c {fl('c')}")
    _check(fl("d")["compression"] == "gzip" and fl("d")["compression_opts"] == 4, f"d {fl('d')}")
    _check(fl("e")["compression"] == "gzip" and fl("e")["compression_opts"] == 1 and fl("e")["shuffle"], f"e {fl('e')}")
    _check(fl("s")["compression"] is None and fl("s")["shuffle"], f"s {fl('s')}")


@case("mm_compression", "a plain -> --compression gzip --compression-opts 9; b gzip 4 -> --compression none; c plain 2-D -> lzf; d lzf -> gzip (no opts: level 4, h5py's default); e gzip 4 + shuffle -> --compression-opts 1 alone (stays gzip, shuffle kept); s lzf + shuffle -> none (shuffle kept)", _exp_compression)
def _mm_compression():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("a", data=np.arange(20.0), chunks=(8,))
            g.create_dataset("b", data=np.arange(20, dtype="i4"), chunks=(8,), compression="gzip", compression_opts=4)
            g.create_dataset("c", data=np.arange(12, dtype="i2").reshape(3, 4), chunks=(2, 2))
            g.create_dataset("d", data=np.arange(10, dtype="u8"), chunks=(4,), compression="lzf")
            g.create_dataset("e", data=np.arange(10, dtype="i2"), chunks=(4,), compression="gzip", shuffle=True)
            g.create_dataset("s", data=np.arange(10, dtype="f4"), chunks=(4,), compression="lzf", shuffle=True)
        with _stage(vf, "v2", 1) as g:
            for n in ("a", "b", "d", "e", "s"):
                g[n][0] = 42
            g["c"][2, 3] = 42

    return setup, [
        mm("/a", compression="gzip", compression_opts=9),
        mm("/b", compression="none"),
        mm("/c", compression="lzf"),
        mm("/d", compression="gzip"),
        mm("/e", compression_opts=1),
        mm("/s", compression="none"),
    ]


def _exp_fillvalue(f):
    x = _read(f, "v3", "x")
    _check(x[0] == 7.5 and x[12] == 7.5, f"x v3 {x}")
    _check(float(_vs(f)["v1"]["x"].fillvalue) == 7.5, "x fill")


@case("mm_fillvalue", "x <f8 c=4 fill -1 with stored -1s (a whole chunk of -1 in v2 is dropped; a partial one stored), values already 7.5, implicit fill after resize 10->14: --fillvalue 7.5 (every -1 becomes 7.5, stored or implicit; the old 7.5s stay 7.5 and full chunks of 7.5 are no longer stored); n <i4 default fill 0 -> --fillvalue 3", _exp_fillvalue)
def _mm_fillvalue():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.array([-1.0, 1, 2, 3, 7.5, 7.5, 7.5, 7.5, 8, -1]), chunks=(4,), fillvalue=-1.0)
            g.create_dataset("n", data=np.array([0, 1, 0, 3, 0, 0, 0, 0, 3], dtype="i4"), chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g["x"][0:4] = -1.0
            g["n"][8] = 0
        with _stage(vf, "v3", 2) as g:
            g["x"].resize((14,))
            g["x"][13] = 13.0

    return setup, [mm("/x", fillvalue=7.5), mm("/n", fillvalue=3)]


def _exp_fillvalue_nan(f):
    a = _read(f, "v2", "a")
    # NaN != NaN: no NaN is replaced, and the formerly implicit NaN chunks are now stored
    _check(np.isnan(a[12:16]).all() and float(_vs(f)["v2"]["a"].fillvalue) == 0.0, f"a {a}")
    b = _read(f, "v1", "b")
    _check(np.isnan(b[0]) and np.isnan(b[1]) and b[2] == 1, f"b {b}")
    d = _read(f, "v1", "d")
    # 0.0 -> -0.0: -0.0 == 0.0 so the values are left alone, only the fill changes
    _check(not np.signbit(d[0]) and np.signbit(d[1]), f"d {d}")
    e = _read(f, "v1", "e")
    _check(e[0] == 1 and e[1] == 1 and e[4] == 1, f"e {e}")


@case("mm_fillvalue_nan", "the fill rule uses ==: a <f8 fill NaN (stored NaNs, implicit NaN chunks after a resize 9->16) -> --fillvalue 0: no NaN becomes 0, the implicit NaN chunks become stored NaN chunks; b <f4 fill 0 -> \"NaN\": stored 0.0 and -0.0 become NaN, all-NaN chunks dropped; c <f8 fill NaN -> \"NaN\" (rewrite only); d <f8 fill 0.0 -> -0.0: values untouched (0.0 == -0.0 so Python sees no change), but full chunks of 0.0 become stored and full chunks of -0.0 dropped (bitwise fill test); e <f8 fill -0.0 -> 1: both 0.0 and -0.0 become 1", _exp_fillvalue_nan)
def _mm_fillvalue_nan():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("a", data=np.array([np.nan, 1, 2, np.nan, 4, 5, 6, 7, 0.0]), chunks=(4,), fillvalue=np.nan)
            g.create_dataset("b", data=np.array([0.0, -0.0, 1, 2, 0, 0, 0, 0, np.nan], dtype="f4"), chunks=(4,))
            g.create_dataset("c", data=np.array([np.nan, 1, 2, 3, 4]), chunks=(2,), fillvalue=np.nan)
            g.create_dataset("d", data=np.array([0.0, -0.0, 1, 2, 0, 0, 0, 0, -0.0, -0.0, -0.0, -0.0]), chunks=(4,))
            g.create_dataset("e", data=np.array([0.0, -0.0, 1, 2, 0, 0, 0, 0, -0.0, -0.0, -0.0, -0.0]), chunks=(4,), fillvalue=-0.0)
        with _stage(vf, "v2", 1) as g:
            g["a"].resize((16,))
            g["a"][4] = np.nan
            g["b"][3] = 0.0
            g["d"].resize((16,))
            g["e"].resize((14,))

    return setup, [mm("/a", fillvalue=0), mm("/b", fillvalue="NaN"), mm("/c", fillvalue="NaN"), mm("/d", fillvalue=-0.0), mm("/e", fillvalue=1)]


@case("mm_combo", "x <i2 (9,) c=4 fill -1 -> --dtype <f4 --chunks [5] --compression gzip --compression-opts 1 --fillvalue 0.5 in one call; m <f8 (4,6) c=(2,2) gzip -> --chunks [3, 4] --compression none --dtype <f4 --fillvalue -2.5")
def _mm_combo():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.array([-1, 0, 1, 2, 3, -1, -1, -1, -1], dtype="<i2"), chunks=(4,), fillvalue=-1)
            g.create_dataset("m", data=np.arange(24.0).reshape(4, 6) / 8, chunks=(2, 2), compression="gzip")
        with _stage(vf, "v2", 1) as g:
            g["x"][8] = 8
            g["m"][3, 5] = 0.0
        with _stage(vf, "v3", 2) as g:
            g["x"][0:4] = -1

    return setup, [
        mm("/x", dtype="<f4", chunks=[5], compression="gzip", compression_opts=1, fillvalue=0.5),
        mm("/m", chunks=[3, 4], compression="none", dtype="<f4", fillvalue=-2.5),
    ]


@case("mm_branches", "branches v1 -> v2 -> v3, v1 -> b1 (current) -> b2; x in all, y only on the branch (created in b1): --chunks [3] --fillvalue 9 on y, --dtype <i8 on x; then delete-versions v2 on the modified file")
def _mm_branches():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(10, dtype="<i4"), chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g["x"][0] = 100
        with _stage(vf, "v3", 2) as g:
            g["x"][9] = 900
        with _stage(vf, "b1", 3, prev="v1") as g:
            g["x"][5] = 500
            g.create_dataset("y", data=np.array([0.0, 1, 2, 3, 4, 5, 6]), chunks=(2,))
        with _stage(vf, "b2", 4, prev="b1", make_current=False) as g:
            g["y"][6] = 0.0
            g["x"][0] = 100

    return setup, [mm("/y", chunks=[3], fillvalue=9), mm("/x", dtype="<i8"), dv("v2")]


@case("mm_nested", "nested /g/h/x <u2 (2-D) and /g/y vlen str: --chunks [2, 2] --compression gzip on /g/h/x, --chunks [2] on /g/y (vlen rechunk), and the path given without the leading '/'")
def _mm_nested():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_group("g/h")
            g["g"].attrs["tag"] = "nested"
            g.create_dataset("g/h/x", data=np.arange(15, dtype="<u2").reshape(3, 5), chunks=(2, 3))
            g.create_dataset("g/y", data=np.array(["a", "é", "", "dd", "e"], dtype=object), dtype=VLEN, chunks=(3,))
            g["g/h/x"].attrs["unit"] = "m"
        with _stage(vf, "v2", 1) as g:
            g["g/h/x"][2, 4] = 99
            g["g/y"][4] = "☃"

    return setup, [mm("/g/h/x", chunks=[2, 2], compression="gzip"), mm("g/y", chunks=[2])]


# ---------------------------------------------------------------------------
# rename-version / compact


@case("rename_version", "v1 -> v2 -> {v3 (current), b1}: rename v2 -> middle (children v3 and b1 re-pointed), rename the current v3 -> head (current_version follows); Python side emulated with h5py")
def _rename_version():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(6.0), chunks=(4,))
        with _stage(vf, "v2", 1) as g:
            g["x"][0] = 1.5
            g.attrs["who"] = "v2"
        with _stage(vf, "v3", 2) as g:
            g["x"][5] = 5.5
        with _stage(vf, "b1", 3, prev="v2", make_current=False) as g:
            g["x"][1] = -1.0

    return setup, [["rename-version", "v2", "middle"], ["rename-version", "v3", "head"]]


@case("compact", "delete-versions v2 v3 (slots reclaimed inside the datasets, file space not), then compact in place; Python side: compact skipped (content is unchanged), so the expected content is the delete result")
def _compact():
    def setup(vf):
        with _stage(vf, "v1", 0) as g:
            g.create_dataset("x", data=np.arange(3000.0), chunks=(500,), compression="gzip")
            g.create_dataset("s", data=np.array(["abc"] * 40, dtype=object), dtype=VLEN, chunks=(16,))
        for i, v in enumerate(("v2", "v3", "v4")):
            with _stage(vf, v, i + 1) as g:
                g["x"][:] = np.arange(3000.0) * (i + 2)
                g["s"][i] = v * 20

    return setup, [dv("v2", "v3"), ["compact"]]


# ---------------------------------------------------------------------------
# setup / python application


def case_names():
    return list(CASES)


def build(name):
    return peer.build_case(CASES, name)


def do_setup(name, out):
    peer.setup_case(CASES, name, out)
    if name == "del_skip_rule":
        _make_orphans(out)


def ops_of(name):
    _setup, ops = build(name)
    return ops


class OpError(ValueError):
    pass


MM_FLAGS = ("--dtype", "--chunks", "--compression", "--compression-opts", "--fillvalue")


def parse_mm(args):
    """modify-metadata args (after the subcommand, FILE omitted) -> (path, kw)."""
    if not args:
        raise OpError("modify-metadata: PATH missing")
    path = args[0]
    rest = args[1:]
    opts = {}
    i = 0
    while i < len(rest):
        a = rest[i]
        if a not in MM_FLAGS or i + 1 >= len(rest):
            raise OpError(f"modify-metadata: bad argument {a!r}")
        if a in opts:
            raise OpError(f"modify-metadata: {a} given twice")
        opts[a] = rest[i + 1]
        i += 2
    return path, opts


def mm_kwargs(f, path, opts):
    """The modify_metadata keyword arguments for the CLI options."""
    rel = path.strip("/")
    kw = {}
    if "--dtype" in opts:
        kw["dtype"] = commit_cases.parse_dtype(opts["--dtype"])
    if "--chunks" in opts:
        c = json.loads(opts["--chunks"])
        if not isinstance(c, list) or not all(isinstance(n, int) and n > 0 for n in c):
            raise OpError(f"--chunks {opts['--chunks']!r}")
        kw["chunks"] = tuple(c)
    if "--compression" in opts:
        comp = opts["--compression"]
        if comp not in ("gzip", "lzf", "none"):
            raise OpError(f"--compression {comp!r}")
        kw["compression"] = None if comp == "none" else comp
    if "--compression-opts" in opts:
        kw["compression_opts"] = int(opts["--compression-opts"])
    if "--fillvalue" in opts:
        raw = f["_version_data"][rel]["raw_data"]
        dt_ = kw.get("dtype", raw.dtype)
        kw["fillvalue"] = np.array(commit_cases.elem_value(json.loads(opts["--fillvalue"]), dt_), dtype=dt_)[()]
    return rel, kw


def _py_repr(kw):
    parts = []
    for k, v in kw.items():
        if k == "dtype":
            parts.append(f"dtype=np.dtype({peer.dtype_json(v)!r})")
        elif isinstance(v, np.generic):
            parts.append(f"{k}=np.{type(v).__name__}({v.item()!r})")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def rename_version_h5py(f, old, new):
    """What `vh5 rename-version` must do, with plain h5py."""
    vs = f["_version_data/versions"]
    if old == "__first_version__" or old not in vs:
        raise OpError(f"rename-version: no version {old!r}")
    if new in vs:
        raise OpError(f"rename-version: {new!r} exists")
    vs.move(old, new)
    for name in vs:
        if name == "__first_version__":
            continue
        if peer._s(vs[name].attrs["prev_version"]) == old:
            vs[name].attrs["prev_version"] = new
    if peer._s(vs.attrs["current_version"]) == old:
        vs.attrs["current_version"] = new


def apply_op(path, args):
    """Apply one op to the file at `path`; -> (applied_by_versioned_hdf5, note)."""
    sub, rest = args[0], list(args[1:])
    if sub == "delete-versions":
        with h5py.File(path, "r+") as f:
            vf = VersionedHDF5File(f)
            names = [commit_cases.resolve_version(vf, v) for v in rest]
            delete_versions(f, names)
        return True, f"delete_versions(f, {names!r})"
    if sub == "modify-metadata":
        p, opts = parse_mm(rest)
        with h5py.File(path, "r+") as f:
            rel, kw = mm_kwargs(f, p, opts)
            modify_metadata(f, rel, **kw)
        return True, f"modify_metadata(f, {rel!r}" + (", " + _py_repr(kw) if kw else "") + ")"
    if sub == "rename-version":
        if len(rest) != 2:
            raise OpError("rename-version OLD NEW")
        with h5py.File(path, "r+") as f:
            rename_version_h5py(f, *rest)
        return False, "emulated with h5py: versions.move(OLD, NEW), children's prev_version and current_version rewritten"
    if sub == "compact":
        return False, "skipped (no Python equivalent; content unchanged)"
    raise OpError(f"unknown op {sub!r}")


def apply_python(path, ops):
    notes = []
    for args in ops:
        notes.append(apply_op(path, args))
    return notes


def dump_file(path):
    with h5py.File(path, "r") as f:
        return check_files.dump_with_raw(f)


def prepare(outdir, names):
    os.makedirs(outdir, exist_ok=True)
    out = {}
    for name in names or case_names():
        base = os.path.join(outdir, f"{name}.base.h5")
        py = os.path.join(outdir, f"{name}.python.h5")
        opsf = os.path.join(outdir, f"{name}.ops.json")
        dj = os.path.join(outdir, f"{name}.python.dump.json")
        do_setup(name, base)
        shutil.copyfile(base, py)
        ops = ops_of(name)
        notes = apply_python(py, ops)
        with open(opsf, "w", encoding="utf-8") as fh:
            json.dump([{"args": a, "python": n} for a, (_ok, n) in zip(ops, notes)], fh, ensure_ascii=False, indent=1)
        with open(dj, "w", encoding="utf-8") as fh:
            json.dump(dump_file(py), fh, ensure_ascii=False)
        out[name] = {"base": base, "ops": opsf, "python": py, "python_dump": dj, "python_applied": all(ok for ok, _n in notes)}
    return out


# ---------------------------------------------------------------------------
# compare


def _slot_sha(raw, start, c0):
    """sha256 (hex) of one whole raw_data slot as stored, padding included."""
    a = raw[start : start + c0]
    if a.dtype.kind == "O":
        a = np.array([b"" if x is None else (x.encode("utf-8") if isinstance(x, str) else bytes(x)) for x in a.ravel()], dtype=object).reshape(a.shape)
    return Hashtable.hash(Hashtable, a).hex()


def _filter_list(ds):
    """[[filter id, flags], ...] of a dataset's pipeline (cd_values left out:
    LZF's depend on how the filter was registered)."""
    dcpl = ds.id.get_create_plist()
    out = []
    for i in range(dcpl.get_nfilters()):
        code, flags, _values, _name = dcpl.get_filter(i)
        out.append([int(code), int(flags)])
    return out


def storage_facts(f):
    """Everything compare needs beyond dump_with_raw, read-only:
    {"tree": sorted paths of every object under /_version_data outside
              /_version_data/versions (groups end with '/'),
     "slots": {"/p": [[digest, stop-start, full-slot sha], ...] sorted},
     "props": {"/p": {raw_data filter ids+flags, hash_table chunks, maxshape,
                      filter ids+flags, dtype}},
     "integrity": [problem, ...]}"""
    tree = []
    vd = f["_version_data"]

    def rec(g, prefix):
        for name in g.keys():
            p = prefix + "/" + name
            if p == "/versions":
                continue
            link = g.get(name, getlink=True)
            if not isinstance(link, h5py.HardLink):
                tree.append(p + " (link)")
                continue
            obj = g[name]
            if isinstance(obj, h5py.Group):
                tree.append(p + "/")
                rec(obj, p)
            else:
                tree.append(p)

    rec(vd, "")
    tree.sort()
    slots, problems, props = {}, [], {}
    used = {}  # "/p" -> set of (start, stop) referenced by some version
    for v in peer.version_names(f):
        for path, obj in peer.walk(f, v)[1:]:
            if isinstance(obj, h5py.Dataset) and obj.is_virtual:
                rp = peer._s(obj.attrs["raw_data"])
                key = rp[len("/_version_data") : -len("/raw_data")] if rp.endswith("/raw_data") else rp
                for _vs0, (ss, se), _v in peer.mappings(obj):
                    used.setdefault(key, {}).setdefault((ss[0], se[0]), []).append(f"{v}:{path}")
    for p, g in check_files.storage_groups(f):
        raw = g["raw_data"]
        ht = g["hash_table"]
        props[p] = {
            "raw_data_filters": _filter_list(raw),
            "hash_table_chunks": list(ht.chunks) if ht.chunks is not None else None,
            "hash_table_maxshape": [None if m is None else int(m) for m in ht.maxshape],
            "hash_table_filters": _filter_list(ht),
            "hash_table_dtype": str(ht.dtype),
        }
        c0 = int(raw.attrs["chunks"][0])
        li = int(ht.attrs["largest_index"])
        rows = ht[:li]
        lst = []
        known = set()
        for r in rows:
            digest = bytes(np.asarray(r["hash"], dtype=np.uint8)).hex()
            start, stop = int(r["shape"][0]), int(r["shape"][1])
            known.add((start, stop))
            if stop > raw.shape[0] or start % c0 or stop <= start:
                problems.append(f"{p}: hash row ({start}, {stop}) outside raw_data ({raw.shape[0]} rows) or misaligned")
                continue
            lst.append([digest, stop - start, _slot_sha(raw, start, c0)])
        lst.sort()
        slots[p] = lst
        for (start, stop), users in sorted(used.get(p, {}).items()):
            if (start, stop) not in known:
                problems.append(f"{p}: slot ({start}, {stop}) used by {users[0]} has no hash_table row")
    return {"tree": tree, "slots": slots, "props": props, "integrity": problems}


RAW_SCALAR_KEYS = ("dtype", "raw_data_rows", "raw_data_shape", "raw_data_maxshape", "layout_chunks", "chunks", "largest_index", "hash_table_rows", "filters", "fillvalue")


def _j(x):
    return json.dumps(x, ensure_ascii=False, sort_keys=True)


def compare_docs(a, b, fa, fb):
    """a/b: dump_with_raw docs of the vh5 / python file; fa/fb: storage_facts."""
    diffs = []

    def d(msg):
        diffs.append(msg)

    for k in ("versioned", "data_version", "current_version"):
        if a.get(k) != b.get(k):
            d(f"{k}: vh5 {_j(a.get(k))} != python {_j(b.get(k))}")
    va = {v["name"]: v for v in a["versions"]}
    vb = {v["name"]: v for v in b["versions"]}
    for n in sorted(set(va) | set(vb)):
        if n not in va:
            d(f"versions: {n} missing in vh5")
        elif n not in vb:
            d(f"versions: {n} only in vh5")
        elif va[n] != vb[n]:
            d(f"versions/{n}: vh5 {_j(va[n])} != python {_j(vb[n])}")
    if [v["name"] for v in a["versions"]] != [v["name"] for v in b["versions"]] and set(va) == set(vb):
        d("versions: order differs")
    for n in sorted(set(a["trees"]) & set(b["trees"])):
        ta = {e["path"]: e for e in a["trees"][n]}
        tb = {e["path"]: e for e in b["trees"][n]}
        for p in sorted(set(ta) | set(tb)):
            if p not in ta:
                d(f"trees/{n}{p}: missing in vh5")
            elif p not in tb:
                d(f"trees/{n}{p}: only in vh5")
            else:
                ea, eb = ta[p], tb[p]
                for k in sorted(set(ea) | set(eb)):
                    if ea.get(k) != eb.get(k):
                        d(f"trees/{n}{p}: {k}: vh5 {_j(ea.get(k))} != python {_j(eb.get(k))}")
    ra, rb = a.get("raw", {}), b.get("raw", {})
    for p in sorted(set(ra) | set(rb)):
        if p not in ra:
            d(f"raw{p}: storage missing in vh5")
            continue
        if p not in rb:
            d(f"raw{p}: storage only in vh5")
            continue
        for k in RAW_SCALAR_KEYS:
            if ra[p].get(k) != rb[p].get(k):
                d(f"raw{p}: {k}: vh5 {_j(ra[p].get(k))} != python {_j(rb[p].get(k))}")
        ca = sorted([h, stop - start] for h, start, stop in ra[p]["hash_rows"])
        cb = sorted([h, stop - start] for h, start, stop in rb[p]["hash_rows"])
        pa, pb = fa["props"].get(p, {}), fb["props"].get(p, {})
        for k in sorted(set(pa) | set(pb)):
            if pa.get(k) != pb.get(k):
                d(f"raw{p}: {k}: vh5 {_j(pa.get(k))} != python {_j(pb.get(k))}")
        if ca != cb:
            only_a = [x for x in ca if x not in cb]
            only_b = [x for x in cb if x not in ca]
            d(f"raw{p}: stored chunks (digest, rows) differ: only in vh5 {_j(only_a)}, only in python {_j(only_b)}")
        else:
            sa, sb = fa["slots"].get(p, []), fb["slots"].get(p, [])
            if sa != sb:
                bad = sorted({x[0][:16] for x in sa if x not in sb} | {x[0][:16] for x in sb if x not in sa})
                d(f"raw{p}: slot contents incl. padding differ for chunk digests {bad}")
    if fa["tree"] != fb["tree"]:
        only_a = [x for x in fa["tree"] if x not in fb["tree"]]
        only_b = [x for x in fb["tree"] if x not in fa["tree"]]
        d(f"storage tree under /_version_data differs: only in vh5 {_j(only_a)}, only in python {_j(only_b)}")
    for x in fa["integrity"]:
        d(f"vh5 integrity: {x}")
    for x in fb["integrity"]:
        d(f"python integrity: {x}")
    return diffs


def compare_files(vh5_path, py_path):
    """{"equal": bool, "differences": [str, ...]}.  Compares, with vh5's file
    first: data_version, current_version, versions (name, prev_version,
    timestamp), every version's tree (every `show --json` key incl. attrs,
    fillvalue, filters, chunks, chunk_map counts, raw_data path and the sha256
    of the whole dataset), and per storage group /_version_data/<p>: the raw
    facts of check_files.raw_facts except hash_rows, the filter pipelines
    (ids, flags) of raw_data and hash_table, hash_table's chunks, maxshape and
    dtype, the multiset of stored
    chunks (digest, stop - start) ignoring slot order, then (only when those
    agree) the multiset with the sha256 of each whole slot as stored (padding
    included); the set of objects under /_version_data outside versions/ (no
    __tmp__, _tmp_hash_table, leftover groups...); and each file's integrity
    (hash rows inside raw_data; every VDS mapping source has a hash row)."""
    with h5py.File(vh5_path, "r") as f:
        a, fa = check_files.dump_with_raw(f), storage_facts(f)
    with h5py.File(py_path, "r") as f:
        b, fb = check_files.dump_with_raw(f), storage_facts(f)
    diffs = compare_docs(a, b, fa, fb)
    return {"equal": not diffs, "differences": diffs}


# ---------------------------------------------------------------------------
# self-test


def selftest(keep_dir=None, names=None):
    import tempfile

    failures = []
    tmp = keep_dir or tempfile.mkdtemp(prefix="vh5-replay-cases-")
    t0 = time.time()
    res1 = prepare(os.path.join(tmp, "a"), names)
    t1 = time.time()
    print(f"prepare: {t1 - t0:.2f}s", file=sys.stderr)
    res2 = prepare(os.path.join(tmp, "b"), names)
    for name, r in res1.items():
        try:
            with open(r["python_dump"], encoding="utf-8") as fh:
                d1 = fh.read()
            with open(res2[name]["python_dump"], encoding="utf-8") as fh:
                d2 = fh.read()
            _check(d1 == d2, "python result not deterministic")
            c = compare_files(r["python"], r["python"])
            _check(c["equal"], f"self-compare: {c['differences']}")
            c = compare_files(r["python"], res2[name]["python"])
            _check(c["equal"], f"compare with 2nd run: {c['differences']}")
            c = compare_files(r["base"], r["python"])
            _check(not c["equal"], "ops changed nothing")
            exp = CASES[name]["expect"]
            if exp:
                with h5py.File(r["python"], "r") as f:
                    exp(f)
            # Python can still read every version through the r+ path and commit on top
            cp = os.path.join(tmp, f"{name}.cont.h5")
            shutil.copyfile(r["python"], cp)
            cont = check_files.continue_doc(cp, "py_next")
            _check(not cont["rplus_mismatches"], f"r+ mismatches {cont['rplus_mismatches']}")
            print(f"ok   {name}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001
            failures.append(name)
            print(f"FAIL {name}: {type(e).__name__}: {e}", file=sys.stderr)
    if not keep_dir:
        shutil.rmtree(tmp, ignore_errors=True)
    return failures


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "list" and not rest:
        print(json.dumps(case_names()))
    elif cmd == "describe" and not rest:
        print(json.dumps({n: c["doc"] for n, c in CASES.items()}, ensure_ascii=False, indent=1))
    elif cmd == "prepare" and rest:
        print(json.dumps(prepare(rest[0], rest[1:])))
    elif cmd == "compare" and len(rest) == 2:
        print(json.dumps(compare_files(rest[0], rest[1]), ensure_ascii=False))
    elif cmd == "apply-python" and len(rest) == 2:
        with open(rest[1], encoding="utf-8") as fh:
            ops = [o["args"] if isinstance(o, dict) else o for o in json.load(fh)]
        apply_python(rest[0], ops)
    elif cmd == "selftest":
        keep = None
        if rest[:1] == ["--keep"]:
            keep, rest = rest[1], rest[2:]
        failures = selftest(keep, rest)
        print(json.dumps({"failures": failures}))
        return 1 if failures else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
