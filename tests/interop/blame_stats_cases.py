#!/usr/bin/env python3
"""Interop cases for `vh5 blame` and `vh5 stats`: fixture files written by
versioned-hdf5 2.6.0 and what both commands must print, computed here by
brute force from h5py's `virtual_sources()` (cli.md "History and integrity
subcommands").

Usage:
  blame_stats_cases.py prepare OUTDIR   write OUTDIR/<fixture>.h5 and
                                        OUTDIR/blame_stats_expected.json,
                                        print {"files": [...], ...} on stdout

OUTDIR/blame_stats_expected.json:

  {"blame": [{"file", "version", "path", "expected": <blame --json doc>}],
   "stats": [{"file", "expected": <subset of stats --json>}],
   "deletes": [{"file", "version", "copy": file after delete_versions,
                "freed_bytes", "freed_slots", "size_before", "size_after"}]}

Fixtures: diff_cases.py's "edits" (resizes growing and shrinking, 1-D to
3-D, fill chunks, dedup back to old slots), "tree" (datasets deleted and
re-created under the same name, with other data and then the first data
again) and "branches" (branches of branches, strings); "history" (2-D
resizes on two branches, a dataset re-created, sparse fill); then
"<fixture>_deleted": copies after versioned-hdf5's delete_versions of middle
versions (parents re-linked, raw_data rebuilt), and "orphans": versioned-hdf5
history whose leaf version groups were deleted with plain h5py (their
chunks stay in raw_data, used by no version).

How the expectation is computed:
  * Region of a grid position: the (src start, src stop) bounds of the VDS
    mapping whose virtual start is that position's start (peer.mappings).
  * Blame of position P in version V: V, then while the writer's
    prev_version exists, has a dataset at the path and maps P to V's region,
    that parent; positions with no mapping in V are null. Every position of
    the grid ceil(shape / chunks) in C order.
  * Stats, per `_version_data` storage group with raw_data: raw_slots =
    ceil(raw_data.shape[0] / chunks[0]) (checked equal to the hash table's
    largest_index in files versioned-hdf5 wrote); used_slots = distinct
    src_start[0] // chunks[0] over every version group; orphaned = the rest;
    logical_bytes = sum over committed versions of prod(shape) * itemsize;
    mapped_bytes = sum over committed versions of the chunk sizes of
    virtual_sources() * itemsize; stored_bytes = raw_data's storage size.
    Per committed version (log order): bytes_added = regions it maps that no
    strict ancestor maps; bytes_unique = regions no other version group
    maps; in bytes = prod(region extent) * itemsize.
  * Deletes: a copy per (fixture, version), versioned-hdf5's
    delete_versions(version); freed_slots = sum of raw slots before minus
    after, freed_bytes = the bytes of the distinct regions before minus
    after: what `bytes_unique` of that version must equal.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import h5py
import numpy as np

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diff_cases  # noqa: E402
import peer  # noqa: E402
from versioned_hdf5 import VersionedHDF5File, delete_versions  # noqa: E402

ts = diff_cases.ts


def _history(vf):
    """2-D resizes on two branches, a dataset re-created, sparse fill."""
    with vf.stage_version("h1", timestamp=ts(0)) as g:
        g.create_dataset("m", data=np.arange(48, dtype="f8").reshape(6, 8), chunks=(4, 3), fillvalue=-1.0)
        g.create_dataset("sp", shape=(20,), dtype="i4", chunks=(5,), fillvalue=7)
        g.create_dataset("again", data=np.arange(9, dtype="i2"), chunks=(4,))
    with vf.stage_version("h2", timestamp=ts(1)) as g:
        g["m"][0, 0] = 100.0
        g["sp"][6] = 1
        g["m"].resize((9, 8))  # new row of chunks, edge chunks of row 1 rewritten
    with vf.stage_version("h3", timestamp=ts(2)) as g:
        g["m"].resize((9, 5))  # shrink the other axis
        del g["again"]
    with vf.stage_version("k1", prev_version="h2", make_current=False, timestamp=ts(3)) as g:
        g["m"][8, 7] = 5.0
        g["sp"][19] = 3
    with vf.stage_version("h4", prev_version="h3", timestamp=ts(4)) as g:
        g.create_dataset("again", data=np.arange(9, dtype="i2"), chunks=(4,))
        g["m"][1, 1] = 1.0
    with vf.stage_version("h5", timestamp=ts(5)) as g:
        g["again"][8] = 80
        g["m"].resize((9, 8))
        g["sp"][0:5] = 7  # back to fill: unmapped
    with vf.stage_version("k2", prev_version="k1", make_current=False, timestamp=ts(6)) as g:
        g["sp"][6] = 0
    return []


FIXTURES = {
    "edits": diff_cases.FIXTURES["edits"],
    "tree": diff_cases.FIXTURES["tree"],
    "branches": diff_cases.FIXTURES["branches"],
    "history": _history,
}
# versions deleted in the "_deleted" copies (middle of the history)
DELETED = {"edits": ["v3", "v5"], "tree": ["v2"], "branches": ["b1"], "history": ["h2", "h4"]}
# leaf version groups removed with h5py in "orphans" (from "history")
ORPHANED = ["k2", "h5"]


# ---------------------------------------------------------------------------
# reading versions


def versions_group(f):
    return f["_version_data"]["versions"]


def version_names(f):
    """Every version group but __first_version__."""
    return [n for n in versions_group(f) if n != peer.FIRST]


def prev_of(f, name):
    vs = versions_group(f)
    prev = peer._s(vs[name].attrs["prev_version"])
    return None if prev in (peer.FIRST, "") or prev not in vs else prev


def dataset_in(f, version, path):
    g = versions_group(f)[version]
    rel = path.lstrip("/")
    if rel in g and isinstance(g[rel], h5py.Dataset) and g[rel].is_virtual:
        return g[rel]
    return None


def storage_paths(f):
    out = []

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and "raw_data" in obj and not name.startswith("versions"):
            out.append("/" + name)

    f["_version_data"].visititems(visit)
    return sorted(out, key=lambda p: p.encode("utf-8"))


def chunks_of(f, path):
    raw = f["_version_data" + path]["raw_data"]
    return tuple(int(c) for c in raw.attrs.get("chunks", raw.chunks))


def regions(ds, chunks):
    """{grid position: region} of a version dataset."""
    return peer._position_regions(ds, chunks)


def region_bytes(region, itemsize):
    (start, stop) = region
    return int(np.prod([b - a for a, b in zip(start, stop)])) * itemsize


# ---------------------------------------------------------------------------
# blame


def blame_doc(f, version, path):
    chunks = chunks_of(f, path)
    ds = dataset_in(f, version, path)
    mine = regions(ds, chunks)
    grid = [-(-n // c) for n, c in zip(ds.shape, chunks)]
    entries = []
    for pos in np.ndindex(*grid):
        pos = tuple(int(i) for i in pos)
        writer = None
        if pos in mine:
            writer = version
            parent = prev_of(f, writer)
            while parent is not None:
                pds = dataset_in(f, parent, path)
                if pds is None or regions(pds, chunks).get(pos) != mine[pos]:
                    break
                writer, parent = parent, prev_of(f, parent)
        entries.append({"chunk": list(pos), "version": writer})
    return {"version": version, "path": path, "chunks": list(chunks), "blame": entries}


def blame_cases(f, fname):
    cases = []
    for version in version_names(f):
        for path, obj in peer.walk(f, version)[1:]:
            if isinstance(obj, h5py.Dataset) and obj.is_virtual:
                cases.append({"file": fname, "version": version, "path": path, "expected": blame_doc(f, version, path)})
    return cases


# ---------------------------------------------------------------------------
# stats


def ancestors(f, name):
    out = []
    p = prev_of(f, name)
    while p is not None and p not in out:
        out.append(p)
        p = prev_of(f, p)
    return out


def stats_doc(f):
    names = version_names(f)
    committed = [v["name"] for v in peer.log_doc(f)["versions"]]
    datasets = {}
    added = {v: 0 for v in committed}
    unique = {v: 0 for v in committed}
    for path in storage_paths(f):
        raw = f["_version_data" + path]["raw_data"]
        chunks = chunks_of(f, path)
        item = raw.dtype.itemsize
        used_by = {}  # version -> set of regions
        logical = mapped = 0
        for v in names:
            ds = dataset_in(f, v, path)
            if ds is None:
                continue
            srcs = [region for _vs, region, _v in peer.mappings(ds)]
            used_by[v] = set(srcs)
            if v in committed:
                logical += int(np.prod(ds.shape)) * item
                mapped += sum(region_bytes(r, item) for r in srcs)
        every = set().union(*used_by.values()) if used_by else set()
        raw_slots = -(-raw.shape[0] // chunks[0])
        used_slots = {r[0][0] // chunks[0] for r in every}
        datasets[path] = {
            "raw_slots": raw_slots,
            "used_slots": len(used_slots),
            "orphaned_slots": raw_slots - len(used_slots),
            "logical_bytes": logical,
            "mapped_bytes": mapped,
            "referenced_bytes": sum(region_bytes(r, item) for r in every),
            "stored_bytes": int(raw.id.get_storage_size()),
            "item_size": item,
        }
        for v in committed:
            mine = used_by.get(v, set())
            before = set().union(*(used_by.get(a, set()) for a in ancestors(f, v)))
            others = set().union(*(s for w, s in used_by.items() if w != v))
            added[v] += sum(region_bytes(r, item) for r in mine - before)
            unique[v] += sum(region_bytes(r, item) for r in mine - others)
    versions = [{"name": v, "bytes_added": added[v], "bytes_unique": unique[v]} for v in committed]
    return {"datasets": datasets, "versions": versions}


def hash_rows_match_slots(f, fname):
    for path in storage_paths(f):
        g = f["_version_data" + path]
        rows = int(g["hash_table"].attrs["largest_index"])
        slots = -(-g["raw_data"].shape[0] // chunks_of(f, path)[0])
        if rows != slots:
            raise AssertionError(f"{fname} {path}: {rows} hash rows, {slots} raw slots")


# ---------------------------------------------------------------------------
# files


def build(path, fn):
    if os.path.exists(path):
        os.remove(path)
    with h5py.File(path, "w") as f:
        fn(VersionedHDF5File(f))


def referenced(path):
    """(raw slots, bytes of distinct regions) summed over storage paths."""
    with h5py.File(path, "r") as f:
        doc = stats_doc(f)
    ds = doc["datasets"].values()
    return sum(d["raw_slots"] for d in ds), sum(d["referenced_bytes"] for d in ds)


def delete_case(outdir, fname, version):
    src = os.path.join(outdir, fname)
    copy = f"{fname[:-3]}_without_{version}.h5"
    dst = os.path.join(outdir, copy)
    shutil.copyfile(src, dst)
    slots0, bytes0 = referenced(dst)
    with h5py.File(dst, "r+") as f:
        delete_versions(f, [version])
    slots1, bytes1 = referenced(dst)
    return {
        "file": fname,
        "version": version,
        "copy": copy,
        "freed_slots": slots0 - slots1,
        "freed_bytes": bytes0 - bytes1,
        "size_before": os.path.getsize(src),
        "size_after": os.path.getsize(dst),
    }


def prepare(outdir):
    os.makedirs(outdir, exist_ok=True)
    files = []
    for name, fn in FIXTURES.items():
        build(os.path.join(outdir, f"{name}.h5"), fn)
        files.append(f"{name}.h5")
        deleted = f"{name}_deleted.h5"
        shutil.copyfile(os.path.join(outdir, f"{name}.h5"), os.path.join(outdir, deleted))
        with h5py.File(os.path.join(outdir, deleted), "r+") as f:
            delete_versions(f, DELETED[name])
        files.append(deleted)
    shutil.copyfile(os.path.join(outdir, "history.h5"), os.path.join(outdir, "orphans.h5"))
    with h5py.File(os.path.join(outdir, "orphans.h5"), "r+") as f:
        vs = versions_group(f)
        for v in ORPHANED:
            del vs[v]
        vs.attrs["current_version"] = "h4"
    files.append("orphans.h5")

    doc = {"blame": [], "stats": [], "deletes": []}
    for fname in files:
        with h5py.File(os.path.join(outdir, fname), "r") as f:
            if fname != "orphans.h5":
                hash_rows_match_slots(f, fname)
            doc["blame"] += blame_cases(f, fname)
            doc["stats"].append({"file": fname, "expected": stats_doc(f)})
            leaves = [v["name"] for v in peer.log_doc(f)["versions"]]
        if fname in ("edits.h5", "history.h5", "branches.h5"):
            for v in leaves:
                doc["deletes"].append(delete_case(outdir, fname, v))
    with open(os.path.join(outdir, "blame_stats_expected.json"), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)
    return {"files": files, "blame": len(doc["blame"]), "deletes": len(doc["deletes"])}


if __name__ == "__main__":
    sys.exit(peer.prepare_main(prepare, __doc__, sys.argv[1:]))
