#!/usr/bin/env python3
"""Plain HDF5 files with the features the seed documents teach, for
tests/features.rs, and what h5py says about them.

Usage: feature_fixtures.py OUTDIR

  refs.h5     object references (a dataset of them, a null one, attributes)
              and region references (as the h5py advanced tutorial makes
              them with `regionref`).
  scales.h5   dimension scales: two scales on one axis, a named scale, a
              labelled axis, an axis without a scale.
  vds.h5      virtual datasets (the h5py VDS guide): rows from src.h5, a
              row from missing.h5 (never created), a mapping into the same
              file ("."), and one with 25 mappings.
  filters.h5  a chunk stored through blosc (32001), a filter this build
              lacks (the pipeline entry is optional so that h5py can create
              the dataset without the plugin; the chunk is written directly
              as if blosc had compressed it), a dataset whose optional zstd
              (32015) was skipped at write, gzip with shuffle.

Prints one JSON document: what h5py reads back from each file.
"""

from __future__ import annotations

import json
import os
import sys

import h5py
import numpy as np
from h5py import h5d, h5p, h5r, h5s, h5t, h5z


def box_text(bounds, extent):
    """A one-box selection as slice text, from h5py's select bounds."""
    lo, hi = bounds
    axes = []
    for a, b, n in zip(lo, hi, extent):
        if a == b:
            axes.append(str(a))
        elif a == 0 and b + 1 == n:
            axes.append(":")
        else:
            axes.append(f"{a}:{b + 1}")
    return "[" + ", ".join(axes) + "]"


def refs(path):
    with h5py.File(path, "w") as f:
        g = f.create_group("group")
        ds = g.create_dataset("ds", data=np.arange(50).reshape(10, 5))
        f["plain"] = np.arange(5)
        r = f.create_dataset("refs", (4,), dtype=h5py.ref_dtype)
        r[0], r[1], r[2] = ds.ref, f["plain"].ref, g.ref
        rr = f.create_dataset("rrefs", (2,), dtype=h5py.regionref_dtype)
        rr[0] = ds.regionref[0:5, 2]
        rr[1] = ds.regionref[1:3, 1:4]
        f.attrs["target"] = ds.ref
        f.attrs["region"] = ds.regionref[2:4, :]
        f.attrs["title"] = "references"
    out = {}
    with h5py.File(path, "r") as f:
        out["/refs"] = [f[x].name if x else None for x in f["refs"][:]]
        regions = []
        for x in f["rrefs"][:]:
            target = f[x]
            space = h5r.get_region(x, f.id)
            regions.append(target.name + box_text(space.get_select_bounds(), target.shape))
        out["/rrefs"] = regions
        out["attrs"] = {
            "target": f[f.attrs["target"]].name,
            "region": f[f.attrs["region"]].name
            + box_text(
                h5r.get_region(f.attrs["region"], f.id).get_select_bounds(),
                f[f.attrs["region"]].shape,
            ),
        }
    return out


def scale_name(scale):
    name = h5py.h5ds.get_scale_name(scale.id)
    return name.decode() if name else ""


def scales(path):
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(24.0).reshape(2, 3, 4)
        f["x"] = np.array([10.0, 20.0, 30.0, 40.0])
        f["x2"] = np.array([1, 2, 3, 4])
        f["t"] = np.array([100, 200])
        f["x"].make_scale("X")
        f["x2"].make_scale("x in mm")
        f["t"].make_scale()
        f["data"].dims[0].attach_scale(f["t"])
        f["data"].dims[2].attach_scale(f["x"])
        f["data"].dims[2].attach_scale(f["x2"])
        f["data"].dims[0].label = "time"
        f["data"].dims[1].label = "row"
    with h5py.File(path, "r") as f:
        dims = []
        for d in f["data"].dims:
            dims.append(
                {
                    "label": d.label,
                    "scales": [
                        {"path": s.name, "name": scale_name(s)} for s in d.values()
                    ],
                }
            )
        return {"/data": dims}


def vds(path, src):
    with h5py.File(src, "w") as f:
        f["data"] = np.arange(10)
    layout = h5py.VirtualLayout(shape=(3, 10), dtype="i8")
    layout[0] = h5py.VirtualSource(os.path.basename(src), "data", shape=(10,))
    layout[1, 0:5] = h5py.VirtualSource("missing.h5", "data", shape=(10,))[0:5]
    with h5py.File(path, "w") as f:
        f.create_virtual_dataset("v", layout, fillvalue=-1)
        f["local"] = np.arange(100)
        here = h5py.VirtualSource(".", "local", shape=(100,))
        many = h5py.VirtualLayout(shape=(25, 4), dtype="i8")
        for i in range(25):
            many[i, :] = here[i * 4 : (i + 1) * 4]
        f.create_virtual_dataset("many", many, fillvalue=-1)
    out = {}
    with h5py.File(path, "r") as f:
        for name in ("v", "many"):
            ds = f[name]
            maps = []
            for m in ds.virtual_sources():
                src_type = m.src_space.get_select_type()
                maps.append(
                    {
                        "file": m.file_name,
                        "dataset": m.dset_name,
                        "virtual": box_text(m.vspace.get_select_bounds(), ds.shape),
                        # An "all" source selection has no bounds h5py can
                        # read (its extent is unknown until the file is open).
                        "source_all": src_type == h5s.SEL_ALL,
                        "source_bounds": None
                        if src_type == h5s.SEL_ALL
                        else [list(b) for b in m.src_space.get_select_bounds()],
                    }
                )
            out["/" + name] = {"mappings": maps, "values": ds[...].tolist()}
    return out


def filters(path):
    with h5py.File(path, "w") as f:
        space = h5s.create_simple((8,))
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_chunk((4,))
        dcpl.set_filter(32001, h5z.FLAG_OPTIONAL, (2, 2, 4, 16))
        blosc = h5d.create(f.id, b"blosc", h5t.STD_I32LE, space, dcpl=dcpl)
        blosc.write_direct_chunk((0,), b"\0" * 16, filter_mask=0)
        dcpl = h5p.create(h5p.DATASET_CREATE)
        dcpl.set_chunk((4,))
        dcpl.set_filter(32015, h5z.FLAG_OPTIONAL, (3,))
        h5d.create(f.id, b"zstd_skipped", h5t.STD_I32LE, space, dcpl=dcpl)
        f["zstd_skipped"][:] = np.arange(8)
        f.create_dataset("gz", data=np.arange(8), compression="gzip", shuffle=True)
    out = {}
    with h5py.File(path, "r") as f:
        for name in ("blosc", "zstd_skipped", "gz"):
            dcpl = f[name].id.get_create_plist()
            ids = [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]
            try:
                values = f[name][:].tolist()
            except OSError:
                values = None
            out["/" + name] = {
                "filters": [{"id": i, "available": bool(h5z.filter_avail(i))} for i in ids],
                "values": values,
            }
    return out


def main():
    d = sys.argv[1]
    doc = {
        "refs": refs(os.path.join(d, "refs.h5")),
        "scales": scales(os.path.join(d, "scales.h5")),
        "vds": vds(os.path.join(d, "vds.h5"), os.path.join(d, "src.h5")),
        "filters": filters(os.path.join(d, "filters.h5")),
    }
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
