"""Python-side reference reader for the vh5 interop tests.

Computes, with h5py and versioned-hdf5 2.6.0 themselves, the JSON documents
that `vh5 log/ls/show/cat/dump --json` must print for a file (see
/work/shared/docs/cli.md).  Imported by make_fixtures.py and meant to be reused
by later test scripts (e.g. to check files written by `vh5 commit`).

Value conventions (cli.md Precise rule 4 plus project decisions):
  integers exact; floats as Python floats (float16/float32 widened exactly);
  NaN / inf as "NaN" / "Infinity" / "-Infinity"; bool as true/false;
  fixed-length bytes as str (trailing NULs stripped, Latin-1); vlen strings
  as str ("" for NULL); complex as [re, im]; compound as a list of field
  values in field order; enum as its integer; opaque as lowercase hex.
  Attributes: same, a scalar is a bare value, an array a nested list;
  string attributes with cset UTF-8 decode as UTF-8, cset ASCII (what h5py
  writes for a Python `bytes`) as Latin-1.

Public entry points:
  sha256_of(arr)            versioned-hdf5's chunk hash of a whole array (hex)
  dtype_json(dt)            dtype notation
  array_json(arr)           nested-list data (bare scalar for 0-d)
  value_json(x, dt)         one element
  attrs_json(obj)           attributes of an h5py object (all of them)
  log_doc(f)                `vh5 log --json`
  ls_doc(f, version)        `vh5 ls --json` (PATH = /)
  show_doc(f, version, path)
  cat_doc(f, version, target)   target = "/path" or "/path[slice]"
  dump_doc(f)               `vh5 dump --json`
  version_names(f)          committed versions in log order ("." for plain)
  walk(f, version)          [(path, h5py object)] for "/" and everything below,
                            in ls order
`f` is an open h5py.File (read-only is enough).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import sys

import h5py
import numpy as np
from versioned_hdf5.hashtable import Hashtable

FIRST = "__first_version__"
VERSION_GROUP_SYSTEM_ATTRS = ("prev_version", "committed", "timestamp")
DATASET_SYSTEM_ATTRS = ("raw_data", "chunks")

# HDF5 filter ids
_F_DEFLATE, _F_SHUFFLE, _F_FLETCHER32, _F_NBIT, _F_SCALEOFFSET, _F_LZF = 1, 2, 3, 5, 6, 32000


# --------------------------------------------------------------------------
# hashing


def sha256_of(arr) -> str:
    """Hex SHA-256 of the whole array by versioned-hdf5's own chunk hash rule.

    `Hashtable.hash` is an instance method that only uses `self.hash_function`
    (a class attribute, hashlib.sha256), so it can be called with the class
    itself as `self`.  It hashes C-order element bytes (object arrays of
    str/bytes: 8-byte LE length + bytes per element) followed by
    str(arr.shape) in ASCII.
    """
    arr = np.asarray(arr)
    return Hashtable.hash(Hashtable, arr).hex()


def sha256_of_hash_slab(arr) -> str:
    """Same digest through the Cython/OpenSSL path (versioned_hdf5.hash.hash_slab),
    treating the whole array as a single chunk.  Needs ndim >= 1."""
    from versioned_hdf5.hash import hash_slab

    arr = np.asarray(arr)
    out = np.zeros((1, 4), dtype=np.uint64)
    hash_slab(
        arr,
        out,
        np.zeros(1, np.uint64),
        np.zeros(1, np.uint64),
        np.array([arr.shape], dtype=np.uint64),
        tuple(arr.shape),
    )
    return out.tobytes().hex()


# --------------------------------------------------------------------------
# dtypes and values


def is_vlen_str(dt) -> bool:
    return h5py.check_string_dtype(dt) is not None and h5py.check_string_dtype(dt).length is None


def _vlen_encoding(dt) -> str:
    info = h5py.check_string_dtype(dt)
    return info.encoding if info is not None else "utf-8"


def dtype_json(dt):
    dt = np.dtype(dt)
    if is_vlen_str(dt):
        return "str"
    if dt.names is not None:
        return [[name, dtype_json(dt.fields[name][0])] for name in dt.names]
    if dt.kind == "O":
        raise TypeError(f"unsupported object dtype {dt!r}")
    return dt.str


def float_json(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def _decode_vlen(x, encoding="utf-8"):
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    b = bytes(x)
    if encoding == "ascii":
        return b.decode("latin-1")
    return b.decode("utf-8")


def value_json(x, dt):
    """One element `x` (numpy scalar / Python object) of dtype `dt`."""
    dt = np.dtype(dt)
    if is_vlen_str(dt):
        return _decode_vlen(x, _vlen_encoding(dt))
    if dt.names is not None:
        return [value_json(x[name], dt.fields[name][0]) for name in dt.names]
    k = dt.kind
    if k == "b":
        return bool(x)
    if k in "iu":
        return int(x)
    if k == "f":
        return float_json(x)
    if k == "c":
        c = complex(x)
        return [float_json(c.real), float_json(c.imag)]
    if k == "S":
        return bytes(x).rstrip(b"\0").decode("latin-1")
    if k == "V":
        return bytes(x).hex()
    raise TypeError(f"unsupported dtype {dt!r}")


def array_json(arr, dt=None):
    """Nested lists for an array; a bare value for a 0-d array.  Pass the
    dataset's dtype as `dt` for vlen strings (numpy drops h5py's metadata)."""
    arr = np.asarray(arr)
    dt = arr.dtype if dt is None else np.dtype(dt)
    if arr.ndim == 0:
        return value_json(arr[()], dt)
    if dt.names is None and dt.kind in "biu":
        return arr.tolist()  # exact Python ints / bools

    def rec(a):
        if a.ndim == 1:
            return [value_json(a[i], dt) for i in range(a.shape[0])]
        return [rec(a[i]) for i in range(a.shape[0])]

    return rec(arr)


def fillvalue_json(fv, dt):
    dt = np.dtype(dt)
    if is_vlen_str(dt):
        if fv is None or (isinstance(fv, (int, np.integer)) and fv == 0):
            return ""
        return _decode_vlen(fv, _vlen_encoding(dt))
    return value_json(fv, dt)


# --------------------------------------------------------------------------
# attributes


def _attr_string_cset(attrs, name):
    """(is_string, cset) of the attribute's HDF5 type (array element type)."""
    tid = attrs.get_id(name).get_type()
    if isinstance(tid, h5py.h5t.TypeStringID):
        return True, tid.get_cset()
    return False, None


def attr_value_json(attrs, name):
    val = attrs[name]
    is_str, cset = _attr_string_cset(attrs, name)
    if isinstance(val, h5py.Empty):
        return None
    if is_str:
        utf8 = cset == h5py.h5t.CSET_UTF8

        def conv(s):
            if s is None:
                return ""
            if isinstance(s, str):
                b = s.encode("utf-8" if utf8 else "ascii", "surrogateescape")
            else:
                b = bytes(s).rstrip(b"\0")
            return b.decode("utf-8", "surrogateescape") if utf8 else b.decode("latin-1")

        if isinstance(val, np.ndarray) and val.ndim > 0:
            def rec(a):
                if a.ndim == 1:
                    return [conv(a[i]) for i in range(a.shape[0])]
                return [rec(a[i]) for i in range(a.shape[0])]

            return rec(val)
        if isinstance(val, np.ndarray):
            val = val[()]
        return conv(val)
    if isinstance(val, np.ndarray):
        return array_json(val)
    if isinstance(val, np.generic):
        return value_json(val, val.dtype)
    # Python scalars should not come back from h5py, but be lenient
    if isinstance(val, bool):
        return val
    if isinstance(val, int):
        return val
    if isinstance(val, float):
        return float_json(val)
    raise TypeError(f"unsupported attribute {name!r}: {val!r}")


def attrs_json(obj, skip=()):
    return {name: attr_value_json(obj.attrs, name) for name in obj.attrs.keys() if name not in skip}


# --------------------------------------------------------------------------
# versions


def is_versioned(f) -> bool:
    return "_version_data" in f and "versions" in f["_version_data"]


def _s(x):
    if isinstance(x, bytes):
        return x.decode("utf-8")
    if isinstance(x, np.ndarray):
        x = x[()]
    if isinstance(x, (bytes, np.bytes_)):
        return bytes(x).decode("utf-8")
    return str(x)


def iso_timestamp(stored) -> str:
    """'2024-01-02 03:04:05.000006+0000' -> '2024-01-02T03:04:05.000006Z'"""
    t = _dt.datetime.strptime(_s(stored), "%Y-%m-%d %H:%M:%S.%f%z")
    t = t.astimezone(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _versions_group(f):
    return f["_version_data"]["versions"]


def _committed(g) -> bool:
    return "committed" in g.attrs and bool(g.attrs["committed"])


def log_doc(f):
    if not is_versioned(f):
        return {"current_version": ".", "versions": [{"name": ".", "prev_version": None, "timestamp": None}]}
    vs = _versions_group(f)
    out = []
    for name, g in vs.items():
        if name == FIRST or not isinstance(g, h5py.Group) or not _committed(g):
            continue
        prev = _s(g.attrs["prev_version"])
        out.append(
            {
                "name": name,
                "prev_version": None if prev in (FIRST, "") else prev,
                "timestamp": iso_timestamp(g.attrs["timestamp"]),
            }
        )
    out.sort(key=lambda v: (v["timestamp"], v["name"].encode("utf-8")))
    cur = _s(vs.attrs["current_version"])
    return {"current_version": None if cur == FIRST else cur, "versions": out}


def version_names(f):
    return [v["name"] for v in log_doc(f)["versions"]]


def version_root(f, version):
    if not is_versioned(f):
        return f["/"]
    return _versions_group(f)[version]


def _path_key(p):
    return p.encode("utf-8")


def walk(f, version):
    """[(path, obj)]: "/" first, then every group/dataset below, sorted by path bytes."""
    root = version_root(f, version)
    items = []

    def rec(g, prefix):
        for name in g.keys():
            link = g.get(name, getlink=True)
            if not isinstance(link, h5py.HardLink):
                continue  # soft/external links are not part of the contract
            obj = g[name]
            path = prefix + "/" + name
            if isinstance(obj, h5py.Group):
                items.append((path, obj))
                rec(obj, path)
            elif isinstance(obj, h5py.Dataset):
                items.append((path, obj))

    rec(root, "")
    items.sort(key=lambda t: _path_key(t[0]))
    return [("/", root)] + items


def ls_doc(f, version):
    entries = []
    for path, obj in walk(f, version)[1:]:
        if isinstance(obj, h5py.Group):
            entries.append({"path": path, "kind": "group"})
        else:
            entries.append({"path": path, "kind": "dataset", "shape": list(obj.shape), "dtype": dtype_json(obj.dtype)})
    return {"version": version, "entries": entries}


# --------------------------------------------------------------------------
# show


def filters_json(ds):
    """compression, compression_opts, shuffle, fletcher32 from a dataset's dcpl."""
    dcpl = ds.id.get_create_plist()
    comp, opts, shuffle, fletcher = None, None, False, False
    for i in range(dcpl.get_nfilters()):
        code, _flags, values, _name = dcpl.get_filter(i)
        if code == _F_SHUFFLE:
            shuffle = True
        elif code == _F_FLETCHER32:
            fletcher = True
        elif code == _F_SCALEOFFSET:
            continue
        elif comp is None:
            if code == _F_DEFLATE:
                comp, opts = "gzip", int(values[0]) if len(values) else None
            elif code == _F_LZF:
                comp = "lzf"
            else:
                comp = int(code)
    return {"compression": comp, "compression_opts": opts, "shuffle": shuffle, "fletcher32": fletcher}


def _raw_data_of(f, ds):
    return f[_s(ds.attrs["raw_data"])]


def mappings(ds):
    """[(grid start tuple, (src_start tuple, src_end_exclusive tuple), (v_start, v_end))]
    for a version dataset; [] for a non-virtual (placeholder) dataset."""
    if not ds.is_virtual:
        return []
    out = []
    for m in ds.virtual_sources():
        vs, ve = m.vspace.get_select_bounds()
        ss, se = m.src_space.get_select_bounds()
        out.append(
            (
                tuple(int(a) for a in vs),
                (tuple(int(a) for a in ss), tuple(int(b) + 1 for b in se)),
                (tuple(int(a) for a in vs), tuple(int(b) + 1 for b in ve)),
            )
        )
    return out


def _position_regions(ds, chunks):
    """{grid position: source region} for one version dataset."""
    res = {}
    for vstart, region, _v in mappings(ds):
        pos = tuple(s // c for s, c in zip(vstart, chunks))
        res[pos] = region
    return res


def chunk_map_json(f, version, path, ds, chunks):
    shape = ds.shape
    total = 1
    for n, c in zip(shape, chunks):
        total *= -(-n // c)
    here = _position_regions(ds, chunks)
    vs = _versions_group(f)
    rel = path.lstrip("/")

    prev_regions = {}
    prev = _s(vs[version].attrs["prev_version"])
    if prev not in (FIRST, "") and prev in vs:
        pg = vs[prev]
        if rel in pg and isinstance(pg[rel], h5py.Dataset):
            prev_regions = _position_regions(pg[rel], chunks)
    shared = sum(1 for p, r in here.items() if prev_regions.get(p) == r)

    used_elsewhere = set()
    for name, g in vs.items():
        if name in (FIRST, version) or not isinstance(g, h5py.Group):
            continue
        if rel in g and isinstance(g[rel], h5py.Dataset):
            for _vs, region, _v in mappings(g[rel]):
                used_elsewhere.add(region)
    unique = sum(1 for r in here.values() if r not in used_elsewhere)
    return {"total": total, "stored": len(here), "unique_in_version": unique, "shared_with_prev": shared}


def show_doc(f, version, path, with_sha=False):
    root = version_root(f, version)
    versioned = is_versioned(f)
    obj = root if path == "/" else root[path.lstrip("/")]
    if isinstance(obj, h5py.Group):
        skip = VERSION_GROUP_SYSTEM_ATTRS if (versioned and path == "/") else ()
        return {"path": path, "kind": "group", "attrs": attrs_json(obj, skip)}
    ds = obj
    d = {"path": path, "kind": "dataset", "shape": list(ds.shape), "dtype": dtype_json(ds.dtype)}
    if versioned:
        raw = _raw_data_of(f, ds)
        chunks = tuple(int(c) for c in raw.attrs["chunks"])
        # Python prefers raw_data's fill value for fixed-length strings (format doc pitfall 9)
        fv = raw.fillvalue if ds.dtype.kind == "S" else ds.fillvalue
        d["chunks"] = list(chunks)
        d["fillvalue"] = fillvalue_json(fv, ds.dtype)
        d.update(filters_json(raw))
        d["attrs"] = attrs_json(ds, DATASET_SYSTEM_ATTRS)
        d["raw_data"] = _s(ds.attrs["raw_data"])
        d["chunk_map"] = chunk_map_json(f, version, path, ds, chunks)
    else:
        d["chunks"] = list(ds.chunks) if ds.chunks is not None else None
        d["fillvalue"] = fillvalue_json(ds.fillvalue, ds.dtype)
        d.update(filters_json(ds))
        d["attrs"] = attrs_json(ds)
    if with_sha:
        d["sha256"] = sha256_of(read_array(ds))
    return d


def dump_doc(f):
    log = log_doc(f)
    versioned = is_versioned(f)
    trees = {}
    for v in log["versions"]:
        name = v["name"]
        trees[name] = [show_doc(f, name, p, with_sha=True) for p, _ in walk(f, name)]
    if versioned:
        dv = _versions_group(f).attrs.get("data_version", 1)
        data_version = int(dv)
    else:
        data_version = None
    return {
        "versioned": versioned,
        "data_version": data_version,
        "current_version": log["current_version"],
        "versions": log["versions"],
        "trees": trees,
    }


# --------------------------------------------------------------------------
# cat

_TARGET_RE = re.compile(r"^(?P<path>[^\[]*)(?P<slice>\[.*)?$", re.S)


def split_target(target):
    m = _TARGET_RE.match(target)
    return m.group("path"), m.group("slice")


def read_array(ds):
    """The whole dataset as an ndarray (h5py returns a bare bytes/str object for a
    scalar vlen-string dataset)."""
    arr = ds[()]
    if not isinstance(arr, np.ndarray):
        if is_vlen_str(ds.dtype):
            out = np.empty((), dtype=ds.dtype)
            out[()] = arr
            arr = out
        else:
            arr = np.asarray(arr, dtype=ds.dtype)
    return arr


def read_dataset(f, version, path):
    return read_array(version_root(f, version)[path.lstrip("/")])


def eval_slice(arr, slice_text):
    """arr[np.s_<slice_text>]; raises whatever numpy / Python raises."""
    index = eval("np.s_" + slice_text, {"np": np, "__builtins__": {}})
    return arr[index]


def cat_doc(f, version, target):
    path, sl = split_target(target)
    ds = version_root(f, version)[path.lstrip("/")]
    arr = read_array(ds)
    if sl is not None:
        arr = eval_slice(arr, sl)
    if not isinstance(arr, np.ndarray):  # a single element
        out = np.empty((), dtype=ds.dtype)
        out[()] = arr
        arr = out
    return {"shape": list(arr.shape), "dtype": dtype_json(ds.dtype), "data": array_json(arr, ds.dtype)}


# --------------------------------------------------------------------------
# shared by the fixture and case scripts


def quiet_dealloc_noise():
    """versioned-hdf5 2.6.0 with h5py 3.16 prints a harmless "'InMemoryDatasetID'
    object has no attribute '_dealloc'" when staged datasets are collected."""

    def hook(unraisable):
        if isinstance(unraisable.exc_value, AttributeError) and "_dealloc" in str(unraisable.exc_value):
            return
        sys.__unraisablehook__(unraisable)

    sys.unraisablehook = hook


def prepare_main(prepare, doc, argv):
    """`SCRIPT prepare OUTDIR`: runs prepare(OUTDIR), prints its JSON result
    with the seconds it took; anything else prints the usage (doc)."""
    import json
    import time

    if len(argv) == 2 and argv[0] == "prepare":
        t = time.time()
        res = prepare(argv[1])
        res["seconds"] = round(time.time() - t, 2)
        print(json.dumps(res))
        return 0
    print(doc, file=sys.stderr)
    return 2


def build_case(cases, name):
    """(setup, steps) of a case in a table {name: {"build": fn}}."""
    if name not in cases:
        raise SystemExit(f"unknown case {name!r}; known: {', '.join(cases)}")
    return cases[name]["build"]()


def setup_case(cases, name, out):
    """Writes the starting file of a case with versioned-hdf5."""
    from versioned_hdf5 import VersionedHDF5File

    setup, _steps = build_case(cases, name)
    if os.path.exists(out):
        os.remove(out)
    with h5py.File(out, "w") as f:
        setup(VersionedHDF5File(f))
