#!/usr/bin/env python3
"""Interop cases for `vh5 commit`: starting files, the CLI edits, and the same
edits applied by versioned-hdf5 2.6.0 itself.

Usage:
  commit_cases.py list                      JSON list of case names
  commit_cases.py describe                  JSON {case: one-line description}
  commit_cases.py setup CASE OUT.h5         create the starting file (versioned-hdf5)
  commit_cases.py edits CASE                JSON [{"name": V, "args": [...]}, ...]
  commit_cases.py apply-python CASE FILE    apply the same commits with stage_version
  commit_cases.py prepare OUTDIR [CASE...]  all of the above for many cases in one
                                            process: OUTDIR/CASE.base.h5,
                                            CASE.edits.json, CASE.python.h5 (base +
                                            commits by Python), CASE.python.dump.json
                                            (check_files.py dump of it); prints
                                            {case: {"base","edits","python","python_dump"}}
  commit_cases.py selftest [--keep DIR] [CASE...]
                                            Python-only check of every case (setup,
                                            apply twice, determinism, hashes, continue)

`args` are the exact `vh5 commit` arguments after FILE, in order, for one commit
each; run them one after another (`vh5 commit FILE *args`).  Every commit has an
explicit `--timestamp`, every starting file explicit UTC timestamps, so the files
Python and vh5 produce from the same case are comparable byte-for-byte in
content (see check_files.py).

`apply-python` does not use any knowledge of the case beyond its `edits`: it
parses the argument lists with the CLI grammar below and translates each edit
into the versioned-hdf5 call a Python user would write.  The translator is
therefore also the reference interpretation of the CLI syntax.

CLI edit syntax as used here (and decisions where cli.md leaves it open)
-------------------------------------------------------------------------
--set 'PATH[INDEX]=VALUE'
    PATH is everything before the first '['; INDEX is the text up to the first
    ']' (NumPy basic indexing: ints, negative ints, start:stop:step incl.
    negative steps, '...'); the next character must be '='; VALUE is the rest,
    JSON.  VALUE must have exactly the selection's shape, or be one element
    (scalar broadcast).  Element spelling per dtype (same as vh5's output):
      integers   JSON integers, exact (uint64 above 2^53 included); out of
                 range -> refused
      floats     JSON numbers (integers allowed), or "NaN" / "Infinity" /
                 "-Infinity"; rounded to nearest for f2/f4 (NaN is the
                 canonical quiet NaN: f2 0x7e00, f4 0x7fc00000,
                 f8 0x7ff8000000000000); -0.0 is kept as -0.0
      complex    [re, im], each part a float as above.  One element is ALWAYS
                 a 2-list: `/c[0:4]=[1.5, -2]` broadcasts 1.5-2j over four
                 cells; two complex cells are [[1, 0], [2, 0]]
      bool       true / false
      S<n>       a JSON string whose code points are all <= U+00FF, stored as
                 its Latin-1 bytes, NUL-padded (same as the output rule)
      vlen str   a JSON string, stored as UTF-8
      compound   a list of the field values in field order, each spelled by
                 its field's dtype (so a complex field is a nested [re, im])
    Because an element can itself be a list (complex, compound), the number of
    array dimensions of VALUE is its maximum JSON list nesting depth minus the
    element's depth (0 for scalars, 1 for complex, 1 + max(field depths) for
    compound).
    Negative slice steps: versioned-hdf5 2.6.0 refuses them when writing
    (NotImplementedError: Slice step must be positive), so no case uses one;
    vh5 should refuse them in --set too (exit 2).
--attr 'PATH@KEY=VALUE'
    PATH before the first '@' ('/' = the version group), KEY up to the first
    '=' after it, VALUE (JSON) the rest.  Rule 11: int -> int64, float
    (JSON number with '.', 'e') -> float64, str -> vlen UTF-8 str, bool ->
    numpy bool; lists (possibly nested, must be rectangular and homogeneous)
    -> arrays by the same rule (a list mixing ints and floats -> float64).
    Strings are always strings ("NaN" is the string "NaN").
--del-attr 'PATH@KEY'
--resize 'PATH=[n, ...]'           a JSON list, one entry per axis
--create 'PATH=VALUE'              followed by its own options:
    --dtype D         dtype notation of cli.md: '<i4', '|u1', '|b1', '|S5',
                      '<c16', 'str' (vlen UTF-8), or a JSON compound list
                      '[["a", "<i4"], ["b", "<f8"]]'
    --chunks '[c, ...]'
    --compression gzip|lzf    gzip without --compression-opts = level 4
    --compression-opts N
    --fillvalue X     JSON element, spelled by the dataset's dtype
    Without --dtype: all leaves ints -> '<i8', numbers with any float ->
    '<f8', all bools -> '|b1', all strings -> 'str'; any other mix is refused
    (also: without --dtype "NaN" is just a string).  Missing intermediate
    groups are created (as create_dataset does).  1-D without --chunks gets
    [4096]; re-creating a path whose storage exists needs the same chunks,
    dtype and fill value (Python refuses otherwise, so the cases always pass
    --chunks/--fillvalue when re-creating).
--mkgroup PATH                     creates missing intermediate groups
--delete PATH                      a dataset or a group (with its contents)
--prev VERSION                     any VERSION syntax (name, 0/-1/..., @TS)
--root                             prev_version '' (__first_version__)
--no-make-current
--timestamp ISO                    e.g. 2026-01-02T03:04:05.000006Z
--allow-empty                      a commit with no edit at all needs it (as in
                                   git; Python allows it anyway) - case no_edits.
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


peer.quiet_dealloc_noise()

BASE_T0 = dt.datetime(2025, 6, 1, 8, 0, 0, tzinfo=UTC)
COMMIT_T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)


def base_ts(i):
    """Timestamp of the i-th starting version (hours apart, with microseconds)."""
    return BASE_T0 + dt.timedelta(hours=i, microseconds=11 * i)


def commit_ts(i):
    """ISO text of the i-th commit's --timestamp (minutes apart, after every base)."""
    t = COMMIT_T0 + dt.timedelta(minutes=i, microseconds=i)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def j(x):
    """Compact-ish JSON the way a user would type it."""
    return json.dumps(x, ensure_ascii=False)


# ---------------------------------------------------------------------------
# the case table

CASES: dict[str, dict] = {}


def case(name, doc):
    def deco(fn):
        CASES[name] = {"name": name, "doc": doc, "build": fn}
        return fn

    return deco


class Commit:
    """Builder for one commit's argument list."""

    def __init__(self, name, ts_index, prev=None, root=False, no_make_current=False):
        self.args = ["--name", name]
        if prev is not None:
            self.args += ["--prev", prev]
        if root:
            self.args.append("--root")
        if no_make_current:
            self.args.append("--no-make-current")
        self.args += ["--timestamp", commit_ts(ts_index)]
        self.name = name

    def add(self, *a):
        self.args += list(a)
        return self

    def attr(self, path, key, value):
        return self.add("--attr", f"{path}@{key}={j(value)}")

    def to_json(self):
        return {"name": self.name, "args": self.args}


def _s(target, value):
    """'--set' argument text: target 'PATH[INDEX]', value a Python JSON value."""
    return f"{target}={j(value)}"


# Each case's build() returns (setup_fn(vf), [Commit, ...]).  setup_fn gets a
# fresh, initialized VersionedHDF5File.


@case("set_1d", "1-D f8/i4: single cells, slices across chunk boundaries, negative index, step slices, scalar broadcast, edge chunk, '...' broadcast, same cell set twice")
def _set_1d():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
            g.create_dataset("y", data=np.arange(20, dtype="i4") * 3, chunks=(5,), fillvalue=-1)
        with vf.stage_version("v2", timestamp=base_ts(1)) as g:
            g["x"][0] = 100.0

    c1 = (Commit("c1", 1)
          .add("--set", _s("/x[1]", 1.5))
          .add("--set", _s("/x[4:9]", [40, 50, 60, 70, 80]))
          .add("--set", _s("/x[-1]", -9.25))
          .add("--set", _s("/y[::3]", 7))
          .add("--set", _s("/y[10:15]", 0)))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/x[8:10]", [1e300, -1e-300]))
          .add("--set", _s("/y[1:20:4]", [1, 2, 3, 4, 5]))
          .add("--set", _s("/x[-3:]", [0.1, 0.2, 0.30000000000000004])))
    c3 = (Commit("c3", 3)
          .add("--set", _s("/y[...]", 5))
          .add("--set", _s("/y[0]", 6))
          .add("--set", _s("/y[0]", 8)))
    return setup, [c1, c2, c3]


@case("set_2d", "2-D i4 (7,10) c=(3,4) and f8 (5,5) c=(2,2): cell, block across 4 chunks, corner edge chunk, column broadcast, row by single index, '...', steps")
def _set_2d():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("m", data=np.arange(70, dtype="i4").reshape(7, 10), chunks=(3, 4), fillvalue=-1)
            g.create_dataset("f", data=np.arange(25.0).reshape(5, 5) / 4, chunks=(2, 2))
        with vf.stage_version("v2", timestamp=base_ts(1)) as g:
            g["m"][0, 0] = 1000

    c1 = (Commit("c1", 1)
          .add("--set", _s("/m[0, 0]", -5))
          .add("--set", _s("/m[2:5, 3:6]", [[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
          .add("--set", _s("/m[6, 8:10]", [11, 12]))
          .add("--set", _s("/m[:, 9]", 42))
          .add("--set", _s("/m[-1, -1]", 99))
          .add("--set", _s("/m[3]", list(range(100, 110))))
          .add("--set", _s("/m[..., 0]", 7)))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/f[::2, 1::2]", [[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]]))
          .add("--set", _s("/f[4, 4]", "NaN"))
          .add("--set", _s("/f[-2:, :2]", -0.0))
          .add("--set", _s("/m[5:7, 0:4]", [[0, 0, 0, 0], [0, 0, 0, 0]])))
    return setup, [c1, c2]


@case("set_3d", "3-D i2 (5,6,7) c=(2,3,4): cell, interior 2x2x2 block, edge along axis 0 ('[4, ...]'), corner column, whole chunk row set to fill (full chunks dropped, edge chunks kept)")
def _set_3d():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("cube", data=(np.arange(210, dtype="i2") + 1).reshape(5, 6, 7), chunks=(2, 3, 4))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/cube[0, 0, 0]", -1))
          .add("--set", _s("/cube[1:3, 2:4, 3:5]", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]))
          .add("--set", _s("/cube[4, ...]", 9))
          .add("--set", _s("/cube[:, 5, 6]", [1, 2, 3, 4, 5])))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/cube[2:4, :, :]", 0))
          .add("--set", _s("/cube[-1, -1, -3:]", [-32768, 32767, 0])))
    return setup, [c1, c2]


INT_DTYPES = ["|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8"]


@case("dtypes_int", "every integer dtype i1..i8/u1..u8: min/max, uint64 2^64-1 and 2^53+1, int64 min/max, broadcast")
def _dtypes_int():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            for d in INT_DTYPES:
                g.create_dataset(np.dtype(d).name, data=np.arange(6, dtype=d), chunks=(4,))

    c1 = Commit("c1", 1)
    c2 = Commit("c2", 2)
    for d in INT_DTYPES:
        info = np.iinfo(np.dtype(d))
        name = "/" + np.dtype(d).name
        c1.add("--set", _s(f"{name}[0]", int(info.min)))
        c1.add("--set", _s(f"{name}[1]", int(info.max)))
        c1.add("--set", _s(f"{name}[4:6]", [int(info.max) - 1, int(info.min) + 1]))
        c2.add("--set", _s(f"{name}[1:5]", int(info.max) // 3))
    c1.add("--set", _s("/uint64[2:4]", [2**53 + 1, 2**63 + 12345]))
    c1.add("--set", _s("/int64[2:4]", [-(2**53) - 1, 2**62 + 3]))
    return setup, [c1, c2]


@case("dtypes_big_endian", "big-endian >u8, >i4, >f8 datasets (hash over big-endian bytes)")
def _dtypes_big_endian():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("bu8", data=np.arange(6, dtype=">u8"), chunks=(4,))
            g.create_dataset("bi4", data=(np.arange(6) - 3).astype(">i4"), chunks=(4,))
            g.create_dataset("bf8", data=(np.arange(6) / 2).astype(">f8"), chunks=(4,))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/bu8[0]", 2**64 - 1))
          .add("--set", _s("/bu8[4:6]", [2**53 + 1, 1]))
          .add("--set", _s("/bi4[1:3]", [-(2**31), 2**31 - 1]))
          .add("--set", _s("/bf8[5]", "-Infinity"))
          .add("--set", _s("/bf8[0:2]", [0.1, "NaN"])))
    return setup, [c1]


@case("dtypes_float", "f2/f4/f8: NaN/Infinity/-Infinity strings, -0.0 (full chunk of -0.0 is stored, not fill), rounding 0.1 to f2/f4, f2 max/subnormal, ints into floats, NaN-fill dataset with a full NaN chunk (dropped)")
def _dtypes_float():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            for d in ("<f2", "<f4", "<f8"):
                g.create_dataset(np.dtype(d).name, data=np.arange(10, dtype=d) / 4, chunks=(4,))
            g.create_dataset("nanfill", data=np.arange(10.0), chunks=(4,), fillvalue=np.nan)

    c1 = (Commit("c1", 1)
          .add("--set", _s("/float16[0:4]", [0.1, "NaN", "Infinity", "-Infinity"]))
          .add("--set", _s("/float16[5]", 65504))
          .add("--set", _s("/float16[6:8]", [-0.0, 1e-7]))
          .add("--set", _s("/float16[8:10]", 2049))
          .add("--set", _s("/float32[0:4]", [0.1, 3.4028234663852886e38, 1e-45, "-Infinity"]))
          .add("--set", _s("/float32[4:8]", "NaN"))
          .add("--set", _s("/float64[0]", 5))
          .add("--set", _s("/float64[1:3]", [2.5e-308, 1.7976931348623157e308]))
          .add("--set", _s("/float64[4:8]", -0.0))
          .add("--set", _s("/float64[8:10]", ["Infinity", "NaN"]))
          .add("--set", _s("/nanfill[4:8]", "NaN"))
          .add("--set", _s("/nanfill[8]", "NaN")))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/float64[4:8]", 0))
          .add("--set", _s("/float32[...]", 0.0))
          .add("--set", _s("/nanfill[0:4]", [1, 2, 3, "NaN"])))
    return setup, [c1, c2]


@case("dtypes_complex", "c8/c16 as [re, im] pairs, NaN/Infinity parts, broadcast of one complex value")
def _dtypes_complex():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("c16", data=np.arange(6) * (1 + 1j), chunks=(4,))
            g.create_dataset("c8", data=(np.arange(6) * (1 - 2j)).astype("c8"), chunks=(4,))
            g.create_dataset("c2d", data=np.zeros((3, 3), dtype="c16") + 1j, chunks=(2, 2))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/c16[0]", [1.5, -2]))
          .add("--set", _s("/c16[1:3]", [[0, 1], ["NaN", "Infinity"]]))
          .add("--set", _s("/c8[0:4]", [0.1, 0.2]))
          .add("--set", _s("/c8[4:6]", [[1, 1], [-0.0, "-Infinity"]]))
          .add("--set", _s("/c2d[1:3, 1:3]", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]))
          .add("--set", _s("/c2d[0, :]", [9, -9])))
    return setup, [c1]


@case("dtypes_bool", "bool: cells, broadcast false over a full chunk (== fill, dropped), edge chunk set to false (kept)")
def _dtypes_bool():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("b", data=np.arange(10) % 2 == 0, chunks=(4,))
            g.create_dataset("bt", data=np.ones(6, dtype=bool), chunks=(4,), fillvalue=True)

    c1 = (Commit("c1", 1)
          .add("--set", _s("/b[1]", True))
          .add("--set", _s("/b[4:8]", False))
          .add("--set", _s("/b[8:10]", [False, False]))
          .add("--set", _s("/bt[0:4]", [True, False, True, False])))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/bt[0:4]", True))
          .add("--set", _s("/b[0:4]", [True, True, True, True])))
    return setup, [c1, c2]


@case("dtypes_bytes", "S5 and S3 (fill 'zz'): Latin-1 strings, '' , 'é' -> 0xE9, full chunk of '' (== NUL fill, dropped), full chunk of 'zz' (== fill, dropped)")
def _dtypes_bytes():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("s", data=np.array([b"a", b"bb", b"ccc", b"dddd", b"eeeee", b"f", b"gg"], dtype="S5"), chunks=(3,))
            g.create_dataset("z", data=np.array([b"ab", b"cd", b"ef", b"gh", b"ij"], dtype="S3"), chunks=(2,), fillvalue=b"zz")

    c1 = (Commit("c1", 1)
          .add("--set", _s("/s[0]", "hello"))
          .add("--set", _s("/s[1:3]", ["ab", ""]))
          .add("--set", _s("/s[6]", "é\u00ff"))
          .add("--set", _s("/s[3:6]", ""))
          .add("--set", _s("/z[0:2]", "zz"))
          .add("--set", _s("/z[4]", "zz")))
    return setup, [c1]


@case("dtypes_vlen_str", "vlen str 1-D and 2-D: non-ASCII (é, ☃, 日本語, emoji), '' , full chunk of '' (== fill, dropped)")
def _dtypes_vlen_str():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("v", data=np.array(["a", "bb", "ccc", "d", "ee", "fff", "g"], dtype=object), dtype=VLEN, chunks=(3,))
            g.create_dataset("v2", data=np.array([["x%d%d" % (i, k) for k in range(4)] for i in range(3)], dtype=object), dtype=VLEN, chunks=(2, 2))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/v[0]", "é"))
          .add("--set", _s("/v[1:3]", ["☃", "日本語"]))
          .add("--set", _s("/v[6]", "🎉 naïve \"quoted\" = [x]"))
          .add("--set", _s("/v[3:6]", ""))
          .add("--set", _s("/v2[1:3, 1:3]", [["ä", ""], ["long string " * 5, "ß"]]))
          .add("--set", _s("/v2[0, ...]", "row")))
    return setup, [c1]


COMPOUND = [("a", "<i4"), ("b", "<f8")]
COMPOUND2 = [("id", "<u2"), ("name", "|S4"), ("val", "<f4"), ("z", "<c8"), ("flag", "|b1")]


@case("dtypes_compound", "compound {a:i4, b:f8} and {id:u2, name:S4, val:f4, z:c8, flag:b1}: records as field lists, NaN fields, broadcast of one record, full chunk of zero records (dropped)")
def _dtypes_compound():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            a = np.zeros(5, dtype=COMPOUND)
            a["a"] = np.arange(5) + 1
            a["b"] = np.arange(5) / 2 + 1
            g.create_dataset("comp", data=a, chunks=(2,))
            b = np.zeros(4, dtype=COMPOUND2)
            b["id"] = [1, 2, 3, 4]
            b["name"] = [b"ab", b"cd", b"", b"wxyz"]
            b["val"] = [0.5, 1.5, 2.5, 3.5]
            b["z"] = [1j, 2, 3 + 3j, 0]
            b["flag"] = [True, False, True, False]
            g.create_dataset("comp2", data=b, chunks=(3,))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/comp[0]", [7, 2.5]))
          .add("--set", _s("/comp[2:4]", [0, 0.0]))
          .add("--set", _s("/comp[4]", [-3, "-Infinity"]))
          .add("--set", _s("/comp2[1:3]", [[65535, "é", "NaN", [1, -1], True], [0, "", 0.1, [0, 0], False]]))
          .add("--set", _s("/comp2[3]", [9, "zz", -2, ["Infinity", 0.5], True])))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/comp[0:2]", [[1, "NaN"], [2, -0.0]])))
    return setup, [c1, c2]


@case("resize_1d", "1-D f8 c=(4,) fill -1: grow 10->17 and write in the new region, shrink 17->6, shrink to 0, regrow 0->5 and write (dedup with slot 0)")
def _resize_1d():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(1.0, 11.0), chunks=(4,), fillvalue=-1.0)

    c1 = Commit("c1", 1).add("--resize", "/x=[17]")
    c2 = Commit("c2", 2).add("--set", _s("/x[15]", 15)).add("--resize", "/x=[6]")
    c3 = Commit("c3", 3).add("--resize", "/x=[0]")
    c4 = Commit("c4", 4).add("--resize", "/x=[5]").add("--set", _s("/x[...]", [1, 2, 3, 4, 5]))
    c5 = Commit("c5", 5).add("--resize", "/x=[16]").add("--set", _s("/x[12:16]", [9, 9, 9, 9]))
    return setup, [c1, c2, c3, c4, c5]


@case("resize_2d", "2-D i4 (3,4) c=(2,3) fill -1: resize (4,2), then (5,5) + a write in the new corner, then shrink (2,3), grow one axis only")
def _resize_2d():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("m", data=np.arange(12, dtype="i4").reshape(3, 4), chunks=(2, 3), fillvalue=-1)

    c1 = Commit("c1", 1).add("--resize", "/m=[4, 2]")
    c2 = Commit("c2", 2).add("--resize", "/m=[5, 5]").add("--set", _s("/m[4, 4]", 1))
    c3 = Commit("c3", 3).add("--resize", "/m=[2, 3]")
    c4 = Commit("c4", 4).add("--resize", "/m=[2, 8]").add("--set", _s("/m[1, 7]", 5))
    return setup, [c1, c2, c3, c4]


@case("create_infer", "--create without --dtype: ints -> <i8, mixed numbers -> <f8, strings -> vlen str, bools -> |b1, default chunks [4096], nested path with missing groups (2-D with --chunks), 10000-element list")
def _create_infer():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(3.0), chunks=(2,))

    c1 = (Commit("c1", 1)
          .add("--create", "/i=" + j([1, -2, 3]))
          .add("--create", "/f=" + j([0.5, 1, -2]))
          .add("--create", "/s=" + j(["a", "é", "", "日本"]))
          .add("--create", "/b=" + j([True, False, True]))
          .add("--create", "/nested/deep/n=" + j([[1, 2, 3], [4, 5, 6]]), "--chunks", "[1, 2]")
          .add("--create", "/big=" + j(list(range(10000)))))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/big[4095:4097]", [-1, -2]))
          .add("--set", _s("/nested/deep/n[1, 2]", 60)))
    return setup, [c1, c2]


@case("create_options", "--create with --dtype (i4, u8, c16, S5, compound, f4 2-D), --chunks, gzip (default 4 and opts 9), lzf, --fillvalue (incl. a full chunk == fill dropped, edge chunk == fill kept, NaN fill with a full NaN chunk dropped, 'zz'); then edits to the compressed datasets")
def _create_options():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(3.0), chunks=(2,))

    c1 = (Commit("c1", 1)
          .add("--create", "/g4=" + j(list(range(20))), "--chunks", "[4]", "--compression", "gzip")
          .add("--create", "/g9=" + j([float(i) / 3 for i in range(12)]), "--dtype", "<f8", "--chunks", "[5]",
               "--compression", "gzip", "--compression-opts", "9")
          .add("--create", "/lz=" + j(list(range(10))), "--dtype", "<i2", "--compression", "lzf", "--chunks", "[4]")
          .add("--create", "/fv=" + j([-1, -1, -1, -1, 5, 6, 7, 8, -1, -1]), "--dtype", "<i4", "--chunks", "[4]", "--fillvalue", "-1")
          .add("--create", "/u8=" + j([2**64 - 1, 2**53 + 1, 0]), "--dtype", "<u8", "--chunks", "[2]")
          .add("--create", "/c=" + j([[1, 2], ["NaN", -0.0], [0, 0]]), "--dtype", "<c16", "--chunks", "[2]")
          .add("--create", "/s5=" + j(["zz", "hello", "é", "zz"]), "--dtype", "|S5", "--chunks", "[2]", "--fillvalue", j("zz"))
          .add("--create", "/comp=" + j([[1, 0.5], [2, "NaN"], [0, 0.0]]), "--dtype", j(COMPOUND), "--chunks", "[2]")
          .add("--create", "/m2=" + j([[1, 2, "NaN"], ["NaN", 5, 6], ["NaN", "NaN", "NaN"], ["NaN", "NaN", "NaN"], [7, 8, 9]]), "--dtype", "<f4", "--chunks", "[2, 3]",
               "--fillvalue", j("NaN"), "--compression", "gzip", "--compression-opts", "1")
          .add("--create", "/vs=" + j(["x", "yy"]), "--dtype", "str", "--chunks", "[1]"))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/g4[5:10]", 0))
          .add("--set", _s("/lz[9]", -7))
          .add("--set", _s("/m2[1, :]", [0, 0, 0]))
          .add("--set", _s("/fv[4:8]", -1)))
    return setup, [c1, c2]


@case("delete_recreate", "delete a dataset and a group (with nested datasets); re-create them with identical data (every chunk deduplicated, raw_data does not grow); delete + re-create with other data in one commit")
def _delete_recreate():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
            g["x"].attrs["units"] = "m"
            g.create_group("grp")
            g["grp"].attrs["kind"] = "group"
            g.create_dataset("grp/y", data=np.arange(12, dtype="i4").reshape(3, 4), chunks=(2, 3), fillvalue=-1)
            g.create_dataset("grp/sub/z", data=np.array(["p", "q", "r"], dtype=object), dtype=VLEN, chunks=(2,))
            g.create_dataset("keep", data=np.arange(5, dtype="u1"), chunks=(2,))
        with vf.stage_version("v2", timestamp=base_ts(1)) as g:
            g["x"][9] = 99.0

    c1 = Commit("c1", 1).add("--delete", "/x").add("--delete", "/grp")
    c2 = (Commit("c2", 2)
          .add("--create", "/x=" + j([float(i) for i in range(10)]), "--dtype", "<f8", "--chunks", "[4]", "--fillvalue", "-1")
          .add("--create", "/grp/y=" + j(np.arange(12).reshape(3, 4).tolist()), "--dtype", "<i4", "--chunks", "[2, 3]", "--fillvalue", "-1")
          .add("--create", "/grp/sub/z=" + j(["p", "q", "r"]), "--dtype", "str", "--chunks", "[2]"))
    c3 = (Commit("c3", 3)
          .add("--delete", "/x")
          .add("--create", "/x=" + j([5.0, 6.0]), "--dtype", "<f8", "--chunks", "[4]", "--fillvalue", "-1")
          .add("--delete", "/grp/sub"))
    return setup, [c1, c2, c3]


@case("mkgroup", "nested empty groups created in one go, attributes on a new group, empty groups carried to the next version, dataset created inside, group deleted")
def _mkgroup():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(3.0), chunks=(2,))

    c1 = (Commit("c1", 1)
          .add("--mkgroup", "/a/b/c")
          .add("--mkgroup", "/empty")
          .add("--attr", "/a/b@level=2"))
    c2 = (Commit("c2", 2)
          .add("--create", "/a/b/c/d=" + j([1, 2]), "--chunks", "[2]")
          .add("--mkgroup", "/a/b2")
          .add("--delete", "/empty"))
    return setup, [c1, c2]


@case("attrs", "attributes on '/', a subgroup and a dataset: int, negative int, float, -0.0, str (non-ASCII), bool, lists of ints/floats/mixed/strings/bools, 2-D list; overwrite with another type; delete inherited ones; attribute-only commit (no data change)")
def _attrs():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(6.0), chunks=(4,))
            g["x"].attrs["units"] = "m"
            g["x"].attrs["scale"] = 0.5
            g.create_group("grp")
            g["grp"].attrs["old"] = 1
            g["grp"].attrs["keep"] = "kept"
            g.attrs["vattr"] = "only in v1"

    c1 = (Commit("c1", 1)
          .attr("/", "int", 42)
          .attr("/", "neg", -7)
          .attr("/", "float", 2.0)
          .attr("/", "negzero", -0.0)
          .attr("/", "str", "héllo ☃")
          .attr("/", "bool", True)
          .attr("/", "ints", [1, 2, 3])
          .attr("/", "floats", [0.5, 1e300, -2.5])
          .attr("/", "mixed", [1, 2.5])
          .attr("/", "strs", ["a", "ÿ", "", "日本"])
          .attr("/", "bools", [True, False])
          .attr("/", "grid", [[1, 2], [3, 4]])
          .attr("/grp", "int", 5)
          .attr("/grp", "list", ["x", "y"])
          .attr("/x", "units", 5)
          .attr("/x", "ünit", "m/s")
          .attr("/x", "flag", False)
          .attr("/x", "big", 2**62)
          .add("--del-attr", "/grp@old")
          .add("--del-attr", "/x@scale"))
    c2 = (Commit("c2", 2)
          .attr("/x", "k", 1)
          .attr("/grp", "keep", "changed"))
    return setup, [c1, c2]


@case("branch", "commits on branches: --prev an older version with --no-make-current, a branch of a branch, a default commit on the (unchanged) current version, --prev -1")
def _branch():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10, dtype="i8"), chunks=(4,))
        with vf.stage_version("v2", timestamp=base_ts(1)) as g:
            g["x"][0] = 100
        with vf.stage_version("v3", timestamp=base_ts(2)) as g:
            g["x"][5] = 500

    c1 = Commit("b1", 1, prev="v1", no_make_current=True).add("--set", _s("/x[5]", 555)).add("--set", _s("/x[9]", 999))
    c2 = Commit("b2", 2, prev="b1", no_make_current=True).add("--set", _s("/x[0:4]", [0, 1, 2, 3]))
    c3 = Commit("v4", 3).add("--set", _s("/x[1]", 11))
    c4 = Commit("w", 4, prev="-1", no_make_current=True).add("--set", _s("/x[2]", 22))
    return setup, [c1, c2, c3, c4]


@case("root_commit", "--root into a file with versions: re-create x identically (dedup against v1), a new dataset; then a commit on top of the root version")
def _root_commit():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
            g.create_dataset("y", data=np.arange(3, dtype="i4"), chunks=(2,))
        with vf.stage_version("v2", timestamp=base_ts(1)) as g:
            g["x"][0] = 7.0

    c1 = (Commit("r1", 1, root=True)
          .add("--create", "/x=" + j([float(i) for i in range(10)]), "--dtype", "<f8", "--chunks", "[4]", "--fillvalue", "-1")
          .add("--create", "/new=" + j([1, 2, 3])))
    c2 = Commit("r2", 2).add("--set", _s("/x[0]", 7)).add("--set", _s("/new[2]", 30))
    return setup, [c1, c2]


@case("empty_file", "commit into an initialized file without versions (no --prev): create 1-D/2-D/vlen/compound datasets and a group; then a second commit")
def _empty_file():
    def setup(vf):
        pass

    c1 = (Commit("v1", 1)
          .add("--create", "/x=" + j([1.5, 2.5, 3.5, 4.5, 5.5]), "--chunks", "[2]")
          .add("--create", "/m=" + j([[1, 2, 3], [4, 5, 6]]), "--dtype", "<i4", "--chunks", "[2, 2]")
          .add("--create", "/g/s=" + j(["é", "b"]), "--chunks", "[4]")
          .add("--create", "/comp=" + j([[1, 2.5]]), "--dtype", j(COMPOUND), "--chunks", "[2]")
          .add("--mkgroup", "/empty")
          .attr("/", "created_by", "vh5"))
    c2 = Commit("v2", 2).add("--set", _s("/x[4]", 0)).add("--set", _s("/m[1, 2]", 60))
    return setup, [c1, c2]


@case("dedup", "chunks identical to stored ones: restore an old chunk (reuse a slot only v1 uses), copy a chunk's content elsewhere, set a value to itself, two new identical chunks in one commit (one slot), 2-D chunk equal to another")
def _dedup():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(1, 11, dtype="i8"), chunks=(4,))
            g.create_dataset("w", data=np.arange(12, dtype="i8"), chunks=(4,))
            g.create_dataset("m", data=np.arange(16, dtype="i4").reshape(4, 4), chunks=(2, 2))
        with vf.stage_version("v2", timestamp=base_ts(1)) as g:
            g["x"][0] = 100

    c1 = (Commit("c1", 1)
          .add("--set", _s("/x[0]", 1))
          .add("--set", _s("/x[4:8]", [1, 2, 3, 4]))
          .add("--set", _s("/x[9]", 10))
          .add("--set", _s("/m[2:4, 2:4]", [[0, 1], [4, 5]])))
    c2 = (Commit("c2", 2)
          .add("--set", _s("/w[0:4]", 9))
          .add("--set", _s("/w[4:8]", [9, 9, 9, 9])))
    return setup, [c1, c2]


@case("fill_drop", "edits that set chunks back to the fill value: full 1-D/2-D chunks dropped (no mapping), edge chunk kept, then the whole dataset fill (VDS with zero mappings), default fill 0")
def _fill_drop():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(12.0) + 1, chunks=(4,), fillvalue=-1.0)
            g.create_dataset("y", data=np.arange(10, dtype="i4") + 1, chunks=(4,), fillvalue=-1)
            g.create_dataset("m", data=np.arange(24, dtype="i4").reshape(4, 6) + 1, chunks=(2, 3))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/x[4:8]", -1))
          .add("--set", _s("/y[8:10]", [-1, -1]))
          .add("--set", _s("/m[0:2, 0:3]", 0))
          .add("--set", _s("/m[2:4, 3:6]", [[0, 0, 0], [0, 0, 0]])))
    c2 = Commit("c2", 2).add("--set", _s("/x[...]", -1)).add("--set", _s("/m[...]", 0))
    return setup, [c1, c2]


@case("edit_order", "one commit with many kinds of edits applied in order: set twice, resize then set beyond the old size, create then set/resize/attr the new dataset, attr set then deleted, mkgroup then create inside, delete")
def _edit_order():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10, dtype="i4"), chunks=(4,))
            g.create_dataset("y", data=np.arange(3, dtype="i4"), chunks=(4,))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/x[0]", 1))
          .add("--set", _s("/x[0]", 2))
          .add("--resize", "/x=[12]")
          .add("--set", _s("/x[11]", 11))
          .add("--create", "/n=" + j([1, 2, 3]), "--dtype", "<i4", "--chunks", "[2]")
          .add("--set", _s("/n[0]", 10))
          .add("--resize", "/n=[5]")
          .attr("/n", "a", 1)
          .add("--del-attr", "/n@a")
          .attr("/n", "b", "kept")
          .add("--mkgroup", "/g")
          .add("--create", "/g/d=" + j([1.5]), "--chunks", "[1]")
          .add("--delete", "/y"))
    return setup, [c1]


@case("no_edits", "a commit with no edit at all (every dataset copied, version-group attrs not carried)")
def _no_edits():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,))
            g.create_group("grp").attrs["a"] = 1
            g.attrs["vattr"] = 1

    return setup, [Commit("c1", 1).add("--allow-empty")]


@case("set_big", "larger data: 1-D 10000 elements with default chunks [4096] created by Python, 2-D (100, 60) c=(10, 16); scattered writes into many chunks")
def _set_big():
    def setup(vf):
        with vf.stage_version("v1", timestamp=base_ts(0)) as g:
            g.create_dataset("x", data=np.arange(10000, dtype="f8"))
            g.create_dataset("m", data=np.arange(6000, dtype="i8").reshape(100, 60), chunks=(10, 16))

    c1 = (Commit("c1", 1)
          .add("--set", _s("/x[4000:4200]", [float(i) for i in range(200)]))
          .add("--set", _s("/x[9999]", -1))
          .add("--set", _s("/m[::7, ::9]", 0))
          .add("--set", _s("/m[95:, 50:]", 1)))
    return setup, [c1]


# ---------------------------------------------------------------------------
# setup / edits


def case_names():
    return list(CASES)


def build(name):
    return peer.build_case(CASES, name)


def do_setup(name, out):
    peer.setup_case(CASES, name, out)


def edits_doc(name):
    _setup, commits = build(name)
    return [c.to_json() for c in commits]


# ---------------------------------------------------------------------------
# the CLI grammar -> versioned-hdf5 translator


class EditError(ValueError):
    pass


VALUE_FLAGS = {"--name", "--prev", "--timestamp", "--set", "--attr", "--del-attr", "--resize", "--create", "--mkgroup", "--delete"}
CREATE_OPTS = {"--dtype", "--chunks", "--compression", "--compression-opts", "--fillvalue"}
BARE_FLAGS = {"--root", "--no-make-current", "--allow-empty"}


def parse_commit_args(args):
    """-> dict(name, prev, root, make_current, timestamp, edits=[(kind, payload), ...])."""
    out = {"name": None, "prev": None, "root": False, "make_current": True, "timestamp": None, "edits": []}
    i = 0
    last_create = None
    while i < len(args):
        a = args[i]
        if a in BARE_FLAGS:
            if a == "--root":
                out["root"] = True
            elif a == "--no-make-current":
                out["make_current"] = False
            i += 1
            continue
        if a not in VALUE_FLAGS and a not in CREATE_OPTS:
            raise EditError(f"unknown argument {a!r}")
        if i + 1 >= len(args):
            raise EditError(f"{a} needs a value")
        v = args[i + 1]
        i += 2
        if a in ("--name", "--prev", "--timestamp"):
            if out[a[2:]] is not None:
                raise EditError(f"{a} given twice")
            out[a[2:]] = v
        elif a in CREATE_OPTS:
            if last_create is None:
                raise EditError(f"{a} must follow a --create")
            key = a[2:].replace("-", "_")
            if key in last_create["opts"]:
                raise EditError(f"{a} given twice for one --create")
            last_create["opts"][key] = v
        elif a == "--create":
            last_create = {"spec": v, "opts": {}}
            out["edits"].append(("create", last_create))
        else:
            last_create = None
            out["edits"].append((a[2:], v))
    if out["name"] is None:
        raise EditError("--name is required")
    if out["root"] and out["prev"] is not None:
        raise EditError("--prev and --root are exclusive")
    return out


def parse_dtype(text):
    text = text.strip()
    if text == "str":
        return VLEN
    if text.startswith("["):
        fields = json.loads(text)
        return np.dtype([(str(n), parse_dtype(d) if not isinstance(d, list) else parse_dtype(json.dumps(d))) for n, d in fields])
    return np.dtype(text)


def _json_depth(v):
    """Maximum list nesting depth of a JSON value (0 for a non-list)."""
    if not isinstance(v, list):
        return 0
    return 1 + max((_json_depth(x) for x in v), default=0)


def elem_depth(dt):
    dt = np.dtype(dt)
    if dt.names is not None:
        return 1 + max(elem_depth(dt.fields[n][0]) for n in dt.names)
    if dt.kind == "c":
        return 1
    return 0


_FLOAT_WORDS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _float(v):
    if isinstance(v, bool):
        raise EditError(f"expected a number, got {v!r}")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v in _FLOAT_WORDS:
        return _FLOAT_WORDS[v]
    raise EditError(f"expected a number, got {v!r}")


def elem_value(v, dt):
    """One JSON element -> a Python/numpy value assignable to an element of dtype dt."""
    dt = np.dtype(dt)
    if peer.is_vlen_str(dt):
        if not isinstance(v, str):
            raise EditError(f"expected a string, got {v!r}")
        return v
    if dt.names is not None:
        if not isinstance(v, list) or len(v) != len(dt.names):
            raise EditError(f"expected a list of {len(dt.names)} field values, got {v!r}")
        return tuple(elem_value(x, dt.fields[n][0]) for x, n in zip(v, dt.names))
    k = dt.kind
    if k == "b":
        if not isinstance(v, bool):
            raise EditError(f"expected true/false, got {v!r}")
        return np.bool_(v)
    if k in "iu":
        if isinstance(v, bool) or not isinstance(v, int):
            raise EditError(f"expected an integer, got {v!r}")
        info = np.iinfo(dt)
        if not info.min <= v <= info.max:
            raise EditError(f"{v} out of range for {dt}")
        return v
    if k == "f":
        return dt.type(_float(v))
    if k == "c":
        if not isinstance(v, list) or len(v) != 2:
            raise EditError(f"expected [re, im], got {v!r}")
        return complex(_float(v[0]), _float(v[1]))
    if k == "S":
        if not isinstance(v, str):
            raise EditError(f"expected a string, got {v!r}")
        b = v.encode("latin-1")  # UnicodeEncodeError above U+00FF
        if len(b) > dt.itemsize:
            raise EditError(f"{v!r} longer than {dt.itemsize} bytes")
        return b
    raise EditError(f"unsupported dtype {dt!r}")


def json_to_array(v, dt):
    """A JSON value (nested lists of elements) -> ndarray of dtype dt."""
    dt = np.dtype(dt)
    nd = _json_depth(v) - elem_depth(dt)
    if nd < 0:
        raise EditError(f"value {v!r} is not an element of {peer.dtype_json(dt)}")
    shape = []
    x = v
    for _ in range(nd):
        shape.append(len(x))
        x = x[0] if x else None
    out = np.empty(tuple(shape), dtype=dt)

    def rec(x, idx, depth):
        if depth == nd:
            out[idx] = elem_value(x, dt)
            return
        if not isinstance(x, list) or len(x) != shape[depth]:
            raise EditError("ragged nested list")
        for i, y in enumerate(x):
            rec(y, idx + (i,), depth + 1)

    rec(v, (), 0)
    return out


def infer_dtype(v):
    """NumPy-like inference for --create without --dtype (rule 10)."""
    leaves = []

    def rec(x):
        if isinstance(x, list):
            for y in x:
                rec(y)
        else:
            leaves.append(x)

    rec(v)
    if not leaves:
        return np.dtype("<f8")  # np.array([]) is float64
    if all(isinstance(x, bool) for x in leaves):
        return np.dtype("|b1")
    if all(isinstance(x, int) and not isinstance(x, bool) for x in leaves):
        if not all(-(2**63) <= x < 2**63 for x in leaves):
            raise EditError("integer out of int64 range without --dtype")
        return np.dtype("<i8")
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in leaves):
        return np.dtype("<f8")
    if all(isinstance(x, str) for x in leaves):
        return VLEN
    raise EditError("mixed element types without --dtype")


def _strip(path):
    p = path.strip()
    if not p.startswith("/"):
        p = "/" + p
    return p


def _rel(path):
    return _strip(path).strip("/")


def _node(g, path):
    rel = _rel(path)
    return g if rel == "" else g[rel]


def _split_set(spec):
    lb = spec.find("[")
    if lb < 0:
        raise EditError(f"--set {spec!r}: expected PATH[INDEX]=VALUE")
    rb = spec.find("]", lb)
    if rb < 0 or rb + 1 >= len(spec) or spec[rb + 1] != "=":
        raise EditError(f"--set {spec!r}: expected PATH[INDEX]=VALUE")
    return spec[:lb], spec[lb : rb + 1], spec[rb + 2 :]


def _index(text):
    return eval("np.s_" + text, {"np": np, "__builtins__": {}})


def _split_attr(spec, with_value=True):
    at = spec.find("@")
    if at < 0:
        raise EditError(f"{spec!r}: expected PATH@KEY")
    path, rest = spec[:at], spec[at + 1 :]
    if not with_value:
        return path, rest, None
    eq = rest.find("=")
    if eq < 0:
        raise EditError(f"{spec!r}: expected PATH@KEY=VALUE")
    return path, rest[:eq], rest[eq + 1 :]


def attr_value(v):
    """Rule 11: the Python value h5py is given for a JSON attribute value."""
    if isinstance(v, bool):
        return np.bool_(v)
    if isinstance(v, int):
        if not -(2**63) <= v < 2**63:
            raise EditError("attribute integer out of int64 range")
        return np.int64(v)
    if isinstance(v, float):
        return np.float64(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return json_to_array(v, infer_dtype(v))
    raise EditError(f"unsupported attribute value {v!r}")


def _split_eq(spec, what):
    eq = spec.find("=")
    if eq < 0:
        raise EditError(f"{what} {spec!r}: expected PATH=VALUE")
    return spec[:eq], spec[eq + 1 :]


def resolve_version(vf, text):
    if text.startswith("@"):
        t = dt.datetime.fromisoformat(text[1:].replace("Z", "+00:00")).astimezone(UTC)
        return os.path.basename(vf[t].name)
    try:
        n = int(text)
    except ValueError:
        return text
    return os.path.basename(vf[n].name)


def parse_timestamp(text):
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise EditError("timestamp without time zone")
    return t.astimezone(UTC)


def apply_edit(g, kind, payload):
    if kind == "set":
        path, idx_text, val_text = _split_set(payload)
        ds = g[_rel(path)]
        idx = _index(idx_text)
        sel_shape = np.broadcast_to(np.zeros((), np.int8), ds.shape)[idx].shape
        arr = json_to_array(json.loads(val_text), ds.dtype)
        if arr.shape not in ((), sel_shape):
            raise EditError(f"--set {payload!r}: value shape {arr.shape} != selection shape {sel_shape}")
        ds[idx] = arr
    elif kind == "attr":
        path, key, val_text = _split_attr(payload)
        _node(g, path).attrs[key] = attr_value(json.loads(val_text))
    elif kind == "del-attr":
        path, key, _ = _split_attr(payload, with_value=False)
        del _node(g, path).attrs[key]
    elif kind == "resize":
        path, val_text = _split_eq(payload, "--resize")
        shape = json.loads(val_text)
        if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise EditError(f"--resize {payload!r}: expected [n, ...]")
        g[_rel(path)].resize(tuple(shape))
    elif kind == "create":
        path, val_text = _split_eq(payload["spec"], "--create")
        opts = payload["opts"]
        if val_text.startswith("@"):
            data = np.load(val_text[1:], allow_pickle=False)
            dtype = parse_dtype(opts["dtype"]) if "dtype" in opts else data.dtype
            if dtype.kind == "U" or data.dtype.kind == "U":
                dtype = VLEN
            data = np.asarray(data, dtype=object if peer.is_vlen_str(dtype) else dtype)
        else:
            value = json.loads(val_text)
            dtype = parse_dtype(opts["dtype"]) if "dtype" in opts else infer_dtype(value)
            data = json_to_array(value, dtype)
        kw = {}
        if "chunks" in opts:
            kw["chunks"] = tuple(json.loads(opts["chunks"]))
        if "compression" in opts:
            comp = opts["compression"]
            if comp not in ("gzip", "lzf"):
                raise EditError(f"--compression {comp!r}: gzip or lzf")
            kw["compression"] = comp
            if comp == "gzip":
                kw["compression_opts"] = int(opts.get("compression_opts", 4))
        if "compression_opts" in opts and kw.get("compression") != "gzip":
            raise EditError("--compression-opts needs --compression gzip")
        if "fillvalue" in opts:
            kw["fillvalue"] = np.array(elem_value(json.loads(opts["fillvalue"]), dtype), dtype=dtype)[()]
        g.create_dataset(_rel(path), data=data, dtype=dtype, **kw)
    elif kind == "mkgroup":
        g.create_group(_rel(payload))
    elif kind == "delete":
        del g[_rel(payload)]
    else:
        raise EditError(f"unknown edit {kind}")


def apply_commit(vf, args):
    c = parse_commit_args(args)
    prev = "" if c["root"] else (resolve_version(vf, c["prev"]) if c["prev"] is not None else None)
    ts = parse_timestamp(c["timestamp"]) if c["timestamp"] is not None else None
    with vf.stage_version(c["name"], prev_version=prev, make_current=c["make_current"], timestamp=ts) as g:
        for kind, payload in c["edits"]:
            apply_edit(g, kind, payload)


def apply_python(name, path):
    _setup, commits = build(name)
    with h5py.File(path, "r+") as f:
        vf = VersionedHDF5File(f)
        for c in commits:
            apply_commit(vf, c.args)


# ---------------------------------------------------------------------------
# self-test (Python only): setup -> copy -> apply-python -> dump / hashes / continue


def selftest(names, keep_dir=None):
    import shutil
    import tempfile
    import time

    import check_files

    failures = []
    tmp = keep_dir or tempfile.mkdtemp(prefix="vh5-commit-cases-")
    os.makedirs(tmp, exist_ok=True)
    for name in names or case_names():
        t0 = time.time()
        try:
            base = os.path.join(tmp, f"{name}.base.h5")
            a = os.path.join(tmp, f"{name}.a.h5")
            b = os.path.join(tmp, f"{name}.b.h5")
            do_setup(name, base)
            for e in edits_doc(name):
                parse_commit_args(e["args"])
            dumps = []
            for out in (a, b):
                shutil.copyfile(base, out)
                apply_python(name, out)
                with h5py.File(out, "r") as f:
                    dumps.append(check_files.dump_with_raw(f))
            if json.dumps(dumps[0]) != json.dumps(dumps[1]):
                raise AssertionError("apply-python is not deterministic")
            doc = dumps[0]
            names_expected = [e["name"] for e in edits_doc(name)]
            got = [v["name"] for v in doc["versions"]]
            missing = [n for n in names_expected if n not in got]
            if missing:
                raise AssertionError(f"versions missing after apply: {missing}")
            # every mapping's digest (recomputed from data) is the hash_table row of its slot
            with h5py.File(a, "r") as f:
                for v, entries in doc["trees"].items():
                    for ent in entries:
                        if ent["kind"] != "dataset":
                            continue
                        h = check_files.chunk_hashes(f, ent["path"], v, with_source=True)
                        raw = doc["raw"][ent["path"]]
                        c0 = raw["chunks"][0]
                        for grid, hexd, (start, stop) in h["hashes"]:
                            row = raw["hash_rows"][start // c0]
                            if row != [hexd, start, stop]:
                                raise AssertionError(f"{v}:{ent['path']} chunk {grid}: {row} != {[hexd, start, stop]}")
            # Python can keep committing on top
            import contextlib
            import io

            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                check_files.cmd_continue(a, "py_next")
            cont = json.loads(buf.getvalue())
            if cont["rplus_mismatches"]:
                raise AssertionError(f"r+ mismatches: {cont['rplus_mismatches']}")
            if cont["current_version"] != "py_next":
                raise AssertionError("continue did not become current")
            print(f"ok   {name} ({time.time() - t0:.2f}s)", file=sys.stderr)
        except Exception as e:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            failures.append(name)
            print(f"FAIL {name}: {type(e).__name__}: {e}", file=sys.stderr)
    if not keep_dir:
        shutil.rmtree(tmp, ignore_errors=True)
    return failures


def prepare(outdir, names):
    """Everything Python-side a Rust test needs, in one process:
    OUTDIR/CASE.base.h5 (starting file, never modified: copy it for vh5),
    OUTDIR/CASE.edits.json (as `edits`), OUTDIR/CASE.python.h5 (base + the
    commits applied by versioned-hdf5) and OUTDIR/CASE.python.dump.json
    (check_files.py dump of it).  Returns {case: {file kind: path}}."""
    import shutil

    import check_files

    os.makedirs(outdir, exist_ok=True)
    out = {}
    for name in names or case_names():
        base = os.path.join(outdir, f"{name}.base.h5")
        py = os.path.join(outdir, f"{name}.python.h5")
        ed = os.path.join(outdir, f"{name}.edits.json")
        dj = os.path.join(outdir, f"{name}.python.dump.json")
        do_setup(name, base)
        with open(ed, "w", encoding="utf-8") as fh:
            json.dump(edits_doc(name), fh, ensure_ascii=False)
        shutil.copyfile(base, py)
        apply_python(name, py)
        with h5py.File(py, "r") as f:
            doc = check_files.dump_with_raw(f)
        with open(dj, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False)
        out[name] = {"base": base, "edits": ed, "python": py, "python_dump": dj}
    return out


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "list" and not rest:
        print(json.dumps(case_names()))
    elif cmd == "describe" and not rest:
        print(json.dumps({n: c["doc"] for n, c in CASES.items()}, ensure_ascii=False, indent=1))
    elif cmd == "setup" and len(rest) == 2:
        do_setup(*rest)
    elif cmd == "edits" and len(rest) == 1:
        print(json.dumps(edits_doc(rest[0]), ensure_ascii=False))
    elif cmd == "apply-python" and len(rest) == 2:
        apply_python(*rest)
    elif cmd == "prepare" and rest:
        print(json.dumps(prepare(rest[0], rest[1:])))
    elif cmd == "selftest":
        keep = None
        if rest[:1] == ["--keep"]:
            keep, rest = rest[1], rest[2:]
        failures = selftest(rest, keep)
        print(json.dumps({"failures": failures}))
        return 1 if failures else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
