#!/usr/bin/env python3
"""Create the interop fixture files and Python's expected reading of them.

Usage: make_fixtures.py OUTDIR

Writes OUTDIR/<name>.h5 with the real versioned-hdf5 2.6.0 (plus one plain
h5py file) and OUTDIR/<name>.expected.json computed by peer.py (h5py +
versioned-hdf5 reading, never hardcoded).  Structure of each JSON file:

  {
    "fixture": "<name>", "file": "<name>.h5",
    "log":  <vh5 log --json>,
    "dump": <vh5 dump --json>,
    "ls":   {"<version>": <vh5 ls --json, PATH />, ...},
    "cats": [{"version": "<name>", "target": "/path[slice]", "result": <vh5 cat --json>}, ...],
    "bad_slices": [{"version": "<name>", "target": "/path[bad]", "python_error": "IndexError"}, ...]
  }

Timestamps are explicit, the RNG is seeded: the JSON is deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time

import h5py
import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from versioned_hdf5 import VersionedHDF5File  # noqa: E402

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)


def ts(hours=0.0, us=0):
    return T0 + dt.timedelta(hours=hours, microseconds=us)


peer.quiet_dealloc_noise()

VLEN = h5py.string_dtype()
COMPOUND = np.dtype([("a", "<i4"), ("b", "<f8")])

RICH_ATTRS = {
    "int": 42,
    "neg_int": -7,
    "float": 2.5,
    "neg_zero": -0.0,
    "nan": float("nan"),
    "inf": float("inf"),
    "str": "héllo wörld ☃",
    "empty_str": "",
    "bool_true": True,
    "bool_false": np.False_,
    "int_array": np.array([1, 2, 3], dtype=np.int64),
    "float_array": np.array([0.5, float("nan"), float("-inf"), -0.0]),
    "int2d": np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32),
    "str_list": ["x", "ÿ", "", "日本"],
    # ASCII only: a non-ASCII `bytes` attribute (stored by h5py as a vlen ASCII
    # string) on a subgroup or dataset makes every later stage_version fail in
    # versioned-hdf5 2.6.0 (it copies the attribute as a surrogate-escaped str).
    # Latin-1 bytes are only put on version groups (never copied) and plain files.
    "bytes": b"raw bytes",
    "fixed_bytes": np.bytes_(b"fix"),
    "u64_big": np.uint64(2**64 - 1),
    "u64_2p53p1": np.uint64(2**53 + 1),
    "i8": np.int8(-128),
    "u1": np.uint8(255),
    "f4": np.float32(0.1),
    "f2": np.float16(0.1),
    "c16": np.complex128(1.5 - 2j),
    "bool_array": np.array([True, False, True]),
    "compound": np.array((3, 0.25), dtype=COMPOUND)[()],
}


def set_attrs(obj, attrs):
    for k, v in attrs.items():
        obj.attrs[k] = v


# ---------------------------------------------------------------------------
# fixtures


def make_linear(path):
    """12 versions in a straight line; resize grow/shrink/0/regrow, delete and
    re-create, vlen log growing, empty dataset, version-group attrs not inherited."""
    with h5py.File(path, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v01", timestamp=ts(0)) as g:
            # fill -1.0, not NaN: with a NaN fill value versioned-hdf5 2.6.0 refuses to
            # re-create, replace or regrow-from-0 the dataset ("fillvalues do not
            # match (nan != nan)")
            g.create_dataset("x", data=np.arange(10.0), chunks=(4,), fillvalue=-1.0)
            g["x"].attrs["units"] = "m"
            g["x"].attrs["scale"] = 0.5
            g.create_dataset("temp", data=np.arange(20, dtype="i4") * 3, chunks=(5,), fillvalue=-1)
            g.create_dataset("messages", data=np.array(["created"], dtype=object), dtype=VLEN, chunks=(4,))
            g.create_dataset("empty", shape=(0,), dtype="f4", chunks=(8,))
            g.create_dataset("counter", data=np.array([2**63 + 1], dtype="u8"), chunks=(1,))
            g.attrs["note"] = "initial import"
            g.attrs["index"] = 1

        def msg(g, text):
            m = g["messages"]
            n = m.shape[0]
            m.resize((n + 1,))
            m[n] = text

        with vf.stage_version("v02", timestamp=ts(1, 250000)) as g:
            g["x"][0] = 100.0
            g["x"][9] = 900.0
            msg(g, "fix endpoints")
            g["counter"][0] = 2**63 + 2

        with vf.stage_version("v03", timestamp=ts(2)) as g:
            g["x"].resize((17,))  # grow: [8:12] rewritten padded, [12:17] unmapped
            g["x"][12] = 12.5
            g["temp"][3] = -3
            msg(g, "grow x")
            g["counter"][0] = 2**63 + 3
            g.attrs["tags"] = ["grow", "x"]

        with vf.stage_version("v04", timestamp=ts(3)) as g:
            del g["temp"]
            g["x"][12:16] = -1.0  # full chunk equal to fill -> not stored any more
            msg(g, "drop temp")
            g["counter"][0] = 2**63 + 4

        with vf.stage_version("v05", timestamp=ts(4)) as g:
            g["x"].resize((6,))  # shrink: new edge chunk [4:6]
            msg(g, "ünïcödé ☃ shrink")
            g["counter"][0] = 2**63 + 5

        with vf.stage_version("v06", timestamp=ts(5)) as g:
            # attribute-only change: every chunk shared with v05
            g["x"].attrs["units"] = "cm"
            g.attrs["note"] = "attrs only"

        with vf.stage_version("v07", timestamp=ts(6)) as g:
            g["x"].resize((0,))
            msg(g, "x emptied")
            g["counter"][0] = 2**63 + 7

        with vf.stage_version("v08", timestamp=ts(7)) as g:
            g["x"].resize((5,))
            g["x"][:] = np.array([0.0, 1.0, 2.0, 3.0, -0.0])  # [0:4] dedups to v01's slot
            msg(g, "x regrown")
            g["counter"][0] = 2**63 + 8

        with vf.stage_version("v09", timestamp=ts(8)) as g:
            g.create_dataset("temp", data=np.arange(12, dtype="i4") * 3, chunks=(5,), fillvalue=-1)
            msg(g, "temp is back")
            g["counter"][0] = 2**63 + 9

        with vf.stage_version("v10", timestamp=ts(9)) as g:
            del g["x"].attrs["scale"]
            g["temp"].attrs["source"] = "sensor-7"
            msg(g, "")
            g["counter"][0] = 2**63 + 10

        with vf.stage_version("v11", timestamp=ts(10, 999999)) as g:
            g["x"].resize((9,))
            g["x"][5:9] = np.array([np.inf, -np.inf, np.nan, 1e300])
            msg(g, "specials")
            g["counter"][0] = 2**64 - 1

        with vf.stage_version("v12", timestamp=ts(11)) as g:
            g["temp"].resize((7,))
            msg(g, "final")
            g["counter"][0] = 0
            g.attrs["note"] = "last"
            g.attrs["index"] = 12


def make_branches(path):
    """Branches (prev_version=, make_current=False), a second root, a timestamp
    tie, 3-level nested groups with an empty subgroup, tricky path ordering,
    non-ASCII names, attributes of many types everywhere."""
    rng = np.random.default_rng(7)
    with h5py.File(path, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v1", timestamp=ts(0)) as g:
            set_attrs(g, RICH_ATTRS)
            g.attrs["bytes_latin1"] = b"caf\xe9 \xff"
            a = g.create_group("a")
            set_attrs(a, RICH_ATTRS)
            b = a.create_group("b")
            b.attrs["level"] = 2
            c = b.create_group("c")
            c.attrs["level"] = 3
            c.attrs["names"] = ["alpha", "beta"]
            b.create_group("empty")
            deep = c.create_dataset("deep", data=np.arange(30, dtype="i2").reshape(6, 5), chunks=(4, 4))
            set_attrs(deep, RICH_ATTRS)
            g.create_dataset("a_b", data=np.arange(10, dtype="u1"), chunks=(4,))
            g.create_group("a-b").attrs["dash"] = "yes"
            g["a-b"].create_dataset("z", data=np.array([1.0, 2.0]), chunks=(2,))
            g.create_group("données").attrs["unité"] = "°C"
            g["données"].create_dataset(
                "température", data=np.linspace(-5, 30, 8).astype("f4"), chunks=(3,), fillvalue=np.float32(-273.15)
            )
            grid = g.create_dataset("grid", data=rng.normal(size=(8, 8)), chunks=(3, 3), fillvalue=0.0)
            grid.attrs["desc"] = "8x8 grid"

        with vf.stage_version("v2", timestamp=ts(1)) as g:
            g["grid"][0, 0] = 1000.0
            g["grid"][7, 7] = -1000.0
            g["a/b/c/deep"][5, 4] = -1
            g["a"].attrs["int"] = 43
            del g["a"].attrs["str_list"]
            g.attrs["only_v2"] = "version attrs are not inherited"

        with vf.stage_version("v3", timestamp=ts(2)) as g:
            del g["a_b"]
            g["a/b"].create_dataset("new", data=np.array([True, False, True, True]), chunks=(3,))
            g["grid"][3:6, 3:6] = 0.0  # a full chunk equal to fill -> unmapped

        with vf.stage_version("b1", prev_version="v1", make_current=False, timestamp=ts(1.5)) as g:
            g["grid"][4, 4] = 4.4
            del g["a/b/empty"]
            g["a/b/c"].attrs["branch"] = "b1"
            g["a_b"][:] = np.arange(10, 0, -1, dtype="u1")

        with vf.stage_version("b2", prev_version="b1", make_current=False, timestamp=ts(2.5)) as g:
            g["grid"].resize((10, 9))
            g["grid"][9, 8] = 9.8
            g["données/température"][0] = np.float32(np.nan)

        with vf.stage_version("v4", timestamp=ts(3)) as g:  # prev = current = v3
            g["grid"][1, :] = 1.0
            g["a/b/c/deep"].attrs["int"] = 44

        # same timestamp as v4; sorts before it by name
        with vf.stage_version("alt", prev_version="v2", make_current=False, timestamp=ts(3)) as g:
            g["grid"][2, 2] = 2.2

        # a second root (prev_version '' -> __first_version__)
        with vf.stage_version("root2", prev_version="", make_current=False, timestamp=ts(4, 5)) as g:
            g.create_dataset("grid", data=np.ones((4, 4)), chunks=(3, 3), fillvalue=0.0)
            g.attrs["origin"] = "independent root"


def make_dtypes(path):
    """Every numeric width, big-endian, complex, bool, S5, vlen strings,
    compound; gzip/lzf/shuffle/fletcher32; custom fill values; special values."""
    ii = lambda t: np.iinfo(t)  # noqa: E731
    nums = {}
    for t in ["i1", "i2", "i4", "i8"]:
        i = ii(t)
        nums[t] = np.array([i.min, i.max, 0, -1, 1, i.min + 1, 42], dtype=t)
    for t in ["u1", "u2", "u4", "u8"]:
        i = ii(t)
        nums[t] = np.array([0, i.max, 1, i.max - 1, 42, 2**7, 3], dtype=t)
    nums["u8"][4] = 2**53 + 1
    nums["u8"][5] = 2**63
    for t in ["f2", "f4", "f8"]:
        fi = np.finfo(t)
        nums[t] = np.array(
            [0.1, -0.0, np.nan, np.inf, -np.inf, fi.smallest_subnormal, fi.max], dtype=t
        )
    with h5py.File(path, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v1", timestamp=ts(0, 1)) as g:
            for t, arr in nums.items():
                g.create_dataset(f"num/{t}", data=arr, chunks=(3,))
            g.create_dataset(
                "be/u8", data=np.array([1, 2, 2**64 - 1, 2**53 + 1, 0], dtype=">u8"), chunks=(2,)
            )
            g.create_dataset(
                "be/i4", data=np.array([-(2**31), 2**31 - 1, -1, 0x01020304], dtype=">i4"), chunks=(3,), fillvalue=-1
            )
            g.create_dataset(
                "cplx/c8", data=np.array([1 + 2j, -3.5 + 0j, complex(np.nan, -np.inf), 0.1j], dtype="c8"), chunks=(3,)
            )
            g.create_dataset(
                "cplx/c16", data=np.array([1 + 2j, -0.0 - 0.0j, complex(np.inf, np.nan), 1e-300 + 1e300j]), chunks=(2,),
                fillvalue=1 + 2j,
            )
            g.create_dataset(
                "bool", data=np.array([True, False, True, True, False, False, True]), chunks=(3,), fillvalue=True
            )
            g.create_dataset(
                "s5", data=np.array([b"", b"a", b"hello", b"\xe9t\xe9", b"ab\x00c", b"zz"], dtype="S5"), chunks=(4,),
                fillvalue=b"zz",
            )
            g.create_dataset(
                "vlen",
                data=np.array(["", "a", "héllo", "☃", "日本語", "line\nbreak", 'tab\t"quote"\\'], dtype=object),
                dtype=VLEN,
                chunks=(3,),
            )
            g.create_dataset(
                "compound",
                data=np.array([(1, 2.0), (-3, 4.5), (2**31 - 1, np.nan), (0, -0.0), (5, np.inf)], dtype=COMPOUND),
                chunks=(2,),
                fillvalue=np.array((7, 1.5), dtype=COMPOUND)[()],
            )
            g.create_dataset(
                "compressed/gzip9", data=np.arange(100.0) / 7, chunks=(16,), compression="gzip", compression_opts=9
            )
            g.create_dataset("compressed/lzf", data=np.arange(50, dtype="i4") ** 2, chunks=(8,), compression="lzf")
            g.create_dataset(
                "compressed/shuffle_fletcher",
                data=np.arange(40, dtype="u2") * 1000,
                chunks=(10,),
                compression="gzip",
                compression_opts=1,
                shuffle=True,
                fletcher32=True,
            )
            g.create_dataset("compressed/fletcher_only", data=np.arange(9, dtype="i8"), chunks=(4,), fletcher32=True)
            g.create_dataset("fill/neg1", shape=(20,), dtype="i4", chunks=(4,), fillvalue=-1)
            g["fill/neg1"][5] = 5
            g["fill/neg1"][19] = 19
            g.create_dataset("fill/nan", shape=(12,), dtype="f8", chunks=(4,), fillvalue=np.nan)
            g["fill/nan"][4:8] = np.arange(4.0)
            for name in list(g["num"].keys()):
                g["num"][name].attrs["dtype_name"] = name

        with vf.stage_version("v2", timestamp=ts(1, 2)) as g:
            g["num/i8"][6] = -(2**53) - 1
            g["num/u8"][6] = 2**64 - 2
            g["num/f2"][0] = np.float16(65504)
            g["num/f4"][0] = np.float32(3.4028235e38)
            g["vlen"][0] = "now non-empty"
            g["vlen"].resize((9,))  # [7:9] reads as ""
            g["s5"][1] = b"\xff\xfe"
            g["compound"][4] = (-1, 1e-310)
            g["bool"][6] = False
            g["be/u8"][0] = 2**63 + 12345
            g["compressed/gzip9"][50:60] = -1.0
            g["cplx/c8"].resize((6,))

        with vf.stage_version("v3", timestamp=ts(2, 3)) as g:
            g["vlen"][8] = "tail ✓"
            g["fill/nan"][4:8] = np.nan  # chunk back to all-fill
            g["fill/neg1"].resize((7,))
            g["num/f8"][1] = 0.0


def make_multidim(path):
    """2-D and 3-D data with multi-dimensional chunks and edge chunks, a sparse
    dataset, 2-D vlen strings, 2-D resize grow and shrink, an empty 2-D dataset."""
    rng = np.random.default_rng(12345)
    with h5py.File(path, "w") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("v1", timestamp=ts(0)) as g:
            g.create_dataset("m", data=np.arange(13 * 7, dtype="i4").reshape(13, 7), chunks=(4, 3), fillvalue=-1)
            g.create_dataset(
                "cube",
                data=rng.standard_normal((5, 6, 7)).astype("f4"),
                chunks=(2, 4, 3),
                compression="gzip",
                compression_opts=4,
            )
            g.create_dataset("sparse", shape=(70, 50), dtype="f8", chunks=(16, 16), fillvalue=np.nan)
            g["sparse"][3, 4] = 1.0
            g["sparse"][40:43, 44:49] = 2.5
            g.create_dataset(
                "labels",
                data=np.array([["a", "bb", "ccc", ""], ["é", "☃", "x y", "z"], ["1", "22", "333", "4444"]], dtype=object),
                dtype=VLEN,
                chunks=(2, 2),
            )
            g.create_dataset("flags", data=(np.arange(30).reshape(6, 5) % 3 == 0), chunks=(4, 4))
            g.create_dataset("e2", shape=(0, 3), dtype="i4", chunks=(2, 2))
            g.create_dataset(
                "grid3", data=np.arange(4 * 3 * 5, dtype=">i4").reshape(4, 3, 5), chunks=(3, 2, 2), fillvalue=-9
            )

        with vf.stage_version("v2", timestamp=ts(24)) as g:
            g["m"][5, 5] = -5
            g["cube"][4, 5, 6] = 99.0
            g["sparse"][69, 49] = 1.0
            g["labels"][0, 3] = "filled"

        with vf.stage_version("v3", timestamp=ts(48)) as g:
            g["m"].resize((17, 9))
            g["m"][16, 8] = 1
            g["grid3"][0:3, 0:2, 0:2] = -9  # a full chunk equal to fill -> unmapped
            g["grid3"][3, 2, 4] = -9  # a (1, 1, 1) edge chunk equal to fill -> still stored

        with vf.stage_version("v4", timestamp=ts(72)) as g:
            g["m"].resize((6, 4))
            g["cube"][0] = 0.0
            g["labels"][2, 3] = "x"
            g["labels"].resize((5, 3))

        with vf.stage_version("v5", timestamp=ts(96)) as g:
            g["sparse"][0:16, 0:16] = np.nan  # back to all fill
            g["sparse"][50, 30] = -0.0
            g["e2"].resize((2, 3))
            g["flags"].resize((9, 5))
            g["flags"][8, 4] = True


def make_plain(path):
    """A plain (unversioned) h5py file."""
    rng = np.random.default_rng(99)
    with h5py.File(path, "w") as f:
        set_attrs(f, {k: RICH_ATTRS[k] for k in ["int", "float", "str", "bool_true", "int_array", "str_list", "bytes", "u64_big", "nan"]})
        f.attrs["title"] = "plain h5py file"
        f.attrs["bytes_latin1"] = b"caf\xe9 \xff"
        d = f.create_group("data")
        d.attrs["kind"] = "measurements"
        c = d.create_dataset("contig", data=np.linspace(0, 1, 20))
        c.attrs["units"] = "V"
        ch = d.create_dataset(
            "chunked", shape=(50, 40), dtype="i4", chunks=(16, 16), compression="gzip", compression_opts=4,
            shuffle=True, fillvalue=-7,
        )
        ch[0:20, 0:30] = rng.integers(-1000, 1000, size=(20, 30), dtype="i4")
        d.create_dataset("lzf", data=np.arange(30, dtype="u2"), chunks=(8,), compression="lzf")
        d.create_dataset("fletcher", data=np.arange(10, dtype="i8"), chunks=(4,), fletcher32=True)
        d.create_dataset("bigendian", data=np.array([1, -2, 2**31 - 1], dtype=">i4"))
        d.create_dataset("empty", shape=(0,), dtype="f8")
        d.create_dataset("cube", data=np.arange(4 * 5 * 6, dtype="i2").reshape(4, 5, 6), chunks=(3, 2, 4))
        tdt = np.dtype([("id", "<i8"), ("val", "<f4"), ("name", "S8")])
        t = f.create_group("tables")
        t.create_dataset(
            "compound", data=np.array([(1, 0.5, b"one"), (2, np.nan, b"two"), (2**62, -1.25, b"")], dtype=tdt)
        )
        tx = f.create_group("text")
        tx.create_dataset("vlen", data=np.array(["héllo", "", "☃ snow", "plain"], dtype=object), dtype=VLEN)
        tx.create_dataset("fixed", data=np.array([b"abc", b"", b"hello"], dtype="S5"))
        f.create_dataset("scalar", data=np.float64(3.25))
        f.create_dataset("scalar_str", data="just one string", dtype=VLEN)
        f.create_dataset("enum", data=np.array([0, 2, 1, 1], dtype="u1"),
                         dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype="u1"))
        f.create_dataset("opaque", data=np.array([b"\x01\x02\x03\x04", b"\xff\x00\xab\xcd"], dtype="V4"))
        f.create_group("empty_group")
        n = f.create_group("nested/a/b")
        n.attrs["depth"] = 3
        n.create_dataset("leaf", data=np.array([[1.5, 2.5], [3.5, 4.5]]))


FIXTURES = [
    ("linear", make_linear),
    ("branches", make_branches),
    ("dtypes", make_dtypes),
    ("multidim", make_multidim),
    ("plain", make_plain),
]

# ---------------------------------------------------------------------------
# expected JSON

SLICES = {
    0: ["[...]"],
    1: ["[0]", "[3]", "[-1]", "[-2]", "[2:5]", "[::2]", "[::-1]", "[5:1:-2]", "[...]", "[-3:]", "[5:1]",
        "[1:100]", "[:-2:3]"],
    2: ["[1]", "[-1]", "[0, 0]", "[-1, -2]", "[1, ::2]", "[::-1, 1:3]", "[..., 2]", "[1:3, ...]", "[::2, ::-3]",
        "[5:1:-2, -1]", "[:, 0]", "[2, 3:0:-1]"],
    3: ["[0]", "[0, :, 1:3]", "[..., -1]", "[1, 2, 3]", "[::-1, ::2, 5:1:-2]", "[-1, ..., 0]", "[:, 1]",
        "[1:, -2:, ::3]", "[...]", "[2, ...]"],
}


def cats_for(f, versions):
    cats = []
    for v in versions:
        for path, obj in peer.walk(f, v):
            if not isinstance(obj, h5py.Dataset):
                continue
            cats.append({"version": v, "target": path, "result": peer.cat_doc(f, v, path)})
            if obj.ndim >= 2 or obj.size >= 6 or obj.ndim == 0:
                arr = peer.read_array(obj)
                for sl in SLICES[obj.ndim]:
                    try:
                        peer.eval_slice(arr, sl)
                    except (IndexError, ValueError):
                        continue
                    target = path + sl
                    cats.append({"version": v, "target": target, "result": peer.cat_doc(f, v, target)})
    return cats


def bad_slices_for(f, version):
    """Malformed / out-of-range targets on the version's 1-D and N-D datasets."""
    one_d = multi = empty = None
    for path, obj in peer.walk(f, version):
        if not isinstance(obj, h5py.Dataset):
            continue
        if obj.ndim == 1 and obj.size >= 3 and one_d is None:
            one_d = (path, obj.shape)
        elif obj.ndim >= 2 and obj.size > 0 and multi is None:
            multi = (path, obj.shape)
        elif obj.size == 0 and empty is None:
            empty = (path, obj.shape)
    cands = []
    if one_d:
        p, (n,) = one_d
        cands += [f"{p}[{n}]", f"{p}[-{n + 1}]", f"{p}[1:2:0]", f"{p}[1, 2, 3]", f"{p}[a]", f"{p}[", f"{p}[]",
                  f"{p}[1.5]", f"{p}[..., ...]", f"{p}[1:2:3:4]", f"{p}[0]]", f"{p}[0, 0]"]
    if multi:
        p, shape = multi
        cands += [f"{p}[{shape[0]}]", f"{p}[0, {shape[1]}]", f"{p}[0, -{shape[1] + 1}]",
                  f"{p}[" + ", ".join(["0"] * (len(shape) + 1)) + "]", f"{p}[::0, 1]"]
    if empty:
        p, shape = empty
        cands += [f"{p}[0]", f"{p}[-1]"]
    out = []
    for target in cands:
        path, sl = peer.split_target(target)
        arr = peer.read_dataset(f, version, path)
        try:
            peer.eval_slice(arr, sl)
        except Exception as e:  # noqa: BLE001 - any failure is what we want
            out.append({"version": version, "target": target, "python_error": type(e).__name__})
            continue
        raise AssertionError(f"numpy accepted supposedly bad slice {target!r}")
    return out


def expected_for(path, name):
    with h5py.File(path, "r") as f:
        log = peer.log_doc(f)
        versions = [v["name"] for v in log["versions"]]
        doc = {
            "fixture": name,
            "file": os.path.basename(path),
            "log": log,
            "dump": peer.dump_doc(f),
            "ls": {v: peer.ls_doc(f, v) for v in versions},
            "cats": cats_for(f, versions),
            "bad_slices": bad_slices_for(f, log["current_version"] or versions[-1]),
        }
    return doc


def cross_check(path, doc):
    """Independent checks: versioned-hdf5's own reader (r+ mode rebuilds the chunk
    map itself instead of going through the HDF5 VDS engine, so it is run on a
    throwaway copy) must agree with the sha256 of every dataset; the Cython
    hash_slab must agree with Hashtable.hash."""
    if not doc["dump"]["versioned"]:
        return
    with tempfile.TemporaryDirectory() as td:
        cp = os.path.join(td, "copy.h5")
        shutil.copy(path, cp)
        with h5py.File(cp, "r+") as f:
            vf = VersionedHDF5File(f)
            cur = doc["log"]["current_version"]
            assert vf.current_version == cur, (vf.current_version, cur)
            for v, entries in doc["dump"]["trees"].items():
                g = vf[v]
                for e in entries:
                    if e["kind"] != "dataset":
                        continue
                    arr = np.asarray(g[e["path"].lstrip("/")][()])
                    if arr.dtype == object or arr.dtype.kind == "T":
                        arr = np.array([x.encode() if isinstance(x, str) else x for x in arr.ravel()],
                                       dtype=object).reshape(arr.shape)
                    got = peer.sha256_of(arr)
                    assert got == e["sha256"], (path, v, e["path"])
                    if arr.ndim >= 1:
                        assert peer.sha256_of_hash_slab(arr) == got, (path, v, e["path"])


def main(argv):
    if len(argv) != 2:
        print("usage: make_fixtures.py OUTDIR", file=sys.stderr)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    t0 = time.time()
    names = []
    for name, fn in FIXTURES:
        h5 = os.path.join(outdir, name + ".h5")
        if os.path.exists(h5):
            os.remove(h5)
        fn(h5)
        doc = expected_for(h5, name)
        cross_check(h5, doc)
        text = json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=1)
        with open(os.path.join(outdir, name + ".expected.json"), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        names.append(name)
    print(f"make_fixtures: wrote {len(names)} fixtures ({', '.join(names)}) to {outdir} in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
