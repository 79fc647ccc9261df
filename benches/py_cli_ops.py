#!/usr/bin/env python3
"""versioned-hdf5 (Python) doing what one `vh5` command does, in one process.

    py_cli_ops.py OP FILE [ARGS...]

benches/cli_compare.py times each of these as a whole process (interpreter
start, imports of numpy, h5py and versioned_hdf5, the work, the JSON on
stdout), next to the `vh5` command it stands for. Every OP prints one JSON
document, which cli_compare.py checks against vh5's:

  log FILE                 `vh5 log FILE --json`: every version's name,
                           prev_version and timestamp, sorted by timestamp.
  cat FILE V PATH SLICE    `vh5 cat FILE --version V 'PATH[SLICE]' --json`:
                           ``vf[V][PATH][SLICE]`` (SLICE in NumPy syntax).
  show FILE V PATH         `vh5 show FILE --version V PATH --json`: the
                           dataset's metadata and its chunk_map counts,
                           computed the only way Python has: every version's
                           ``Dataset.virtual_sources()`` of PATH.
  diff FILE A B            `vh5 diff FILE A B --json`: the paths only in A
                           or only in B, and for every dataset in both, both
                           arrays read in full and compared with NumPy (NaN
                           equals NaN); attributes compared too.
  commit FILE NAME PATH INDEX VALUE
                           `vh5 commit FILE --name NAME --set
                           'PATH[INDEX]=VALUE'`: ``with vf.stage_version(NAME)
                           as g: g[PATH][INDEX] = VALUE`` (file opened "r+").
  delete FILE V...         `vh5 delete-versions FILE V...`:
                           ``versioned_hdf5.replay.delete_versions(f, [V...])``.
  dump FILE                `vh5 dump FILE --json`: every version's tree (a
                           show object for "/" and everything below it, the
                           chunk_map counts included) and the sha256 of every
                           dataset's values by versioned-hdf5's hash rule.
                           Each version's mappings of each dataset are read
                           once and shared by all the counts.
  start                    nothing: the interpreter and the imports only.
  state FILE V...          not timed: the versions, the current one and the
                           sha256 of each dataset of versions V... (used to
                           check the files commit and delete leave behind).
"""

import datetime
import json
import math
import sys

import h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File
from versioned_hdf5.hashtable import Hashtable

FIRST = "__first_version__"
GROUP_SYSTEM_ATTRS = ("prev_version", "committed", "timestamp")
DATASET_SYSTEM_ATTRS = ("raw_data", "chunks")


def opened(path, mode="r"):
    f = h5py.File(path, mode)
    return f, VersionedHDF5File(f)


def text(x):
    if isinstance(x, np.ndarray):
        x = x[()]
    if isinstance(x, (bytes, np.bytes_)):
        return bytes(x).decode("utf-8")
    return str(x)


def iso(stored):
    t = datetime.datetime.strptime(text(stored), "%Y-%m-%d %H:%M:%S.%f%z")
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def value(x):
    """A JSON value for an attribute, fill value or element (NaN as "NaN")."""
    if isinstance(x, np.ndarray):
        return [value(v) for v in x] if x.ndim else value(x[()])
    if isinstance(x, (bytes, np.bytes_)):
        return bytes(x).rstrip(b"\0").decode("latin-1")
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def attrs(obj, skip=()):
    return {k: value(v) for k, v in obj.attrs.items() if k not in skip}


def log_doc(vf):
    rows = []
    for name in vf.versions:
        a = vf[name].attrs
        if not a.get("committed", False):
            continue
        prev = text(a["prev_version"])
        rows.append({
            "name": name,
            "prev_version": None if prev in (FIRST, "") else prev,
            "timestamp": iso(a["timestamp"]),
        })
    rows.sort(key=lambda r: (r["timestamp"], r["name"].encode()))
    cur = vf.current_version
    return {"current_version": None if cur == FIRST else cur, "versions": rows}


def walk(group):
    """[(path, obj)] of everything below `group`, sorted by path."""
    out = []
    group.visititems(lambda name, obj: out.append(("/" + name, obj)))
    out.sort(key=lambda t: t[0].encode())
    return out


# --- chunk maps ---------------------------------------------------------


def regions(ds, chunks):
    """{chunk position: raw_data region} from a version dataset's mappings."""
    if not ds.is_virtual:
        return {}
    out = {}
    for m in ds.virtual_sources():
        vstart, _ = m.vspace.get_select_bounds()
        pos = tuple(s // c for s, c in zip(vstart, chunks))
        out[pos] = m.src_space.get_select_bounds()
    return out


def chunk_map(vf, name, path, ds, chunks, regions_of):
    """The chunk_map counts of `path` in version `name`; `regions_of(v)` is
    {position: region} of `path` in version v, or None where v lacks it."""
    here = regions_of(name)
    total = math.prod(-(-n // c) for n, c in zip(ds.shape, chunks))
    prev = text(vf[name].attrs["prev_version"])
    prev_regions = (regions_of(prev) if prev not in (FIRST, "") else None) or {}
    elsewhere = set()
    for other in vf.versions:
        if other != name:
            elsewhere.update((regions_of(other) or {}).values())
    return {
        "total": total,
        "stored": len(here),
        "unique_in_version": sum(1 for r in here.values() if r not in elsewhere),
        "shared_with_prev": sum(1 for p, r in here.items() if prev_regions.get(p) == r),
    }


def filters(raw):
    dcpl = raw.id.get_create_plist()
    out = []
    for i in range(dcpl.get_nfilters()):
        code, _flags, values, fname = dcpl.get_filter(i)
        out.append({"id": code, "name": text(fname), "options": [int(v) for v in values]})
    return out


def dataset_doc(f, vf, name, path, ds, regions_of):
    raw = f[text(ds.attrs["raw_data"])]
    chunks = tuple(int(c) for c in raw.attrs["chunks"])
    fv = raw.fillvalue if ds.dtype.kind == "S" else ds.fillvalue
    return {
        "path": path,
        "kind": "dataset",
        "shape": list(ds.shape),
        "dtype": ds.dtype.str,
        "chunks": list(chunks),
        "fillvalue": value(fv),
        "compression": raw.compression,
        "compression_opts": raw.compression_opts,
        "shuffle": raw.shuffle,
        "fletcher32": raw.fletcher32,
        "attrs": attrs(ds, DATASET_SYSTEM_ATTRS),
        "maxshape": list(ds.maxshape),
        "storage_size": raw.id.get_storage_size(),
        "filters": filters(raw),
        "raw_data": text(ds.attrs["raw_data"]),
        "chunk_map": chunk_map(vf, name, path, ds, chunks, regions_of),
    }


def sha256(arr):
    return Hashtable.hash(Hashtable, np.asarray(arr)).hex()


# --- operations ---------------------------------------------------------


def op_log(path):
    f, vf = opened(path)
    return log_doc(vf)


def op_cat(path, version, dspath, slice_text):
    f, vf = opened(path)
    ds = vf[version][dspath.lstrip("/")]
    arr = ds[eval("np.s_[" + slice_text + "]", {"np": np})]
    return {"shape": list(arr.shape), "dtype": ds.dtype.str, "data": arr.tolist()}


def op_show(path, version, dspath):
    f, vf = opened(path)
    rel = dspath.lstrip("/")

    def regions_of(v):
        g = vf[v]
        return regions(g[rel], chunks) if rel in g else None

    ds = vf[version][rel]
    chunks = tuple(int(c) for c in f[text(ds.attrs["raw_data"])].attrs["chunks"])
    return dataset_doc(f, vf, version, dspath, ds, regions_of)


def changed_elements(a, b):
    """Cells that differ inside the common shape (NaN equals NaN) plus every
    cell of either array outside it."""
    if a.shape == b.shape:
        ca, cb = a, b
    else:
        common = tuple(slice(0, min(x, y)) for x, y in zip(a.shape, b.shape))
        ca, cb = a[common], b[common]
    ne = ca != cb
    if ca.dtype.kind in "fc":
        ne &= ~(np.isnan(ca) & np.isnan(cb))
    n = int(np.count_nonzero(ne))
    if a.shape != b.shape:
        n += a.size - ca.size + b.size - cb.size
    return n


def op_diff(path, a_name, b_name):
    f, vf = opened(path)
    ga, gb = vf[a_name], vf[b_name]
    ta, tb = dict(walk(ga)), dict(walk(gb))
    modified = []
    ra = attrs(ga, GROUP_SYSTEM_ATTRS)
    rb = attrs(gb, GROUP_SYSTEM_ATTRS)
    if ra != rb:
        modified.append({"path": "/", "kind": "group"})
    for p in sorted(set(ta) & set(tb), key=str.encode):
        x, y = ta[p], tb[p]
        if isinstance(x, h5py.Dataset) and isinstance(y, h5py.Dataset):
            xa, ya = x[()], y[()]
            n = changed_elements(xa, ya) if xa.dtype == ya.dtype else xa.size + ya.size
            same_attrs = attrs(x, DATASET_SYSTEM_ATTRS) == attrs(y, DATASET_SYSTEM_ATTRS)
            if n or not same_attrs or xa.shape != ya.shape:
                modified.append({"path": p, "kind": "dataset", "elements_changed": n})
        elif isinstance(x, h5py.Group) and isinstance(y, h5py.Group):
            if attrs(x) != attrs(y):
                modified.append({"path": p, "kind": "group"})
    return {
        "a": a_name,
        "b": b_name,
        "added": sorted(set(tb) - set(ta), key=str.encode),
        "removed": sorted(set(ta) - set(tb), key=str.encode),
        "modified": modified,
    }


def op_commit(path, name, dspath, index, val):
    with h5py.File(path, "r+") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version(name) as g:
            g[dspath.lstrip("/")][eval("np.s_[" + index + "]", {"np": np})] = json.loads(val)
        vf.close()
    return {"committed": name}


def op_delete(path, *versions):
    from versioned_hdf5.replay import delete_versions

    with h5py.File(path, "r+") as f:
        delete_versions(f, list(versions))
    return {"deleted": list(versions)}


def op_dump(path):
    f, vf = opened(path)
    log = log_doc(vf)
    names = [v["name"] for v in log["versions"]]
    cache = {}

    def regions_for(rel, chunks):
        def regions_of(v):
            key = (v, rel)
            if key not in cache:
                g = vf[v]
                cache[key] = regions(g[rel], chunks) if rel in g else None
            return cache[key]

        return regions_of

    trees = {}
    for name in names:
        root = vf[name]
        tree = [{"path": "/", "kind": "group", "attrs": attrs(root, GROUP_SYSTEM_ATTRS)}]
        for p, obj in walk(root):
            if isinstance(obj, h5py.Group):
                tree.append({"path": p, "kind": "group", "attrs": attrs(obj)})
                continue
            rel = p.lstrip("/")
            chunks = tuple(int(c) for c in f[text(obj.attrs["raw_data"])].attrs["chunks"])
            doc = dataset_doc(f, vf, name, p, obj, regions_for(rel, chunks))
            doc["sha256"] = sha256(obj[()])
            tree.append(doc)
        trees[name] = tree
    return {
        "versioned": True,
        "data_version": int(f["_version_data/versions"].attrs.get("data_version", 1)),
        "current_version": log["current_version"],
        "versions": log["versions"],
        "trees": trees,
    }


def op_state(path, *versions):
    f, vf = opened(path)
    log = log_doc(vf)
    hashes = {}
    for v in versions:
        if v in vf.versions:
            hashes[v] = {p: sha256(o[()]) for p, o in walk(vf[v]) if isinstance(o, h5py.Dataset)}
    return {
        "current_version": log["current_version"],
        "versions": [r["name"] for r in log["versions"]],
        "sha256": hashes,
    }


def op_start():
    return {}


OPS = {
    "start": op_start,
    "log": op_log,
    "cat": op_cat,
    "show": op_show,
    "diff": op_diff,
    "commit": op_commit,
    "delete": op_delete,
    "dump": op_dump,
    "state": op_state,
}


def main(argv):
    if not argv or argv[0] not in OPS:
        sys.exit(f"usage: py_cli_ops.py {{{'|'.join(OPS)}}} FILE [ARGS...]")
    # versioned-hdf5 2.6.0 with h5py 3.16 reports a harmless "'InMemoryDatasetID'
    # object has no attribute '_dealloc'" when staged datasets are collected.
    default_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: None if "_dealloc" in str(u.exc_value) else default_hook(u)
    doc = OPS[argv[0]](*argv[1:])
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
