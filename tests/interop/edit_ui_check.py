"""Checks, with the real versioned-hdf5, what the browser's edits wrote.

  edit_ui_check.py edits FILE     the commit from tests/e2e_tmux.rs's editing run
  edit_ui_check.py history FILE   the delete / rename / restore run

Exits non-zero with the first problem on stderr.
"""

import sys

import h5py
import numpy as np
from versioned_hdf5 import VersionedHDF5File
from versioned_hdf5.versions import all_versions


def walk(g, p=""):
    for k in g:
        o = g[k]
        if isinstance(o, h5py.Dataset) or hasattr(o, "shape"):
            yield p + "/" + k, o
        else:
            yield from walk(o, p + "/" + k)


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def attrs(o):
    return {k: np.asarray(v).tolist() for k, v in o.attrs.items()}


def contents(g, skip=()):
    out = {}
    for p, ds in walk(g):
        out[p] = (ds[()], attrs(ds))
    return out


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def edits(path):
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        check(vf.current_version == "e2e-commit", f"current is {vf.current_version}")
        new = vf["e2e-commit"]
        check(new.attrs["prev_version"] == "eod-2025-05-30", f"parent {new.attrs['prev_version']}")
        parent = vf["eod-2025-05-30"]
        a, b = contents(parent), contents(new)
        check(set(a) == set(b), f"datasets differ: {set(a) ^ set(b)}")
        prices_a, prices_b = a["/market/prices"][0].copy(), b["/market/prices"][0]
        check(prices_b[1, 1] == 123.5, f"prices[1, 1] = {prices_b[1, 1]}")
        prices_a[1, 1] = 123.5
        check(same(prices_a, prices_b), "prices: more than [1, 1] changed (the undone edit?)")
        tick_a, tick_b = list(a["/market/tickers"][0]), list(b["/market/tickers"][0])
        dec = lambda x: x.decode() if isinstance(x, bytes) else x
        check(dec(tick_b[0]) == "NEWT", f"tickers[0] = {tick_b[0]!r}")
        check([dec(x) for x in tick_a[1:]] == [dec(x) for x in tick_b[1:]], "tickers: others changed")
        units = new["market/prices"].attrs["units"]
        check(dec(units) == "EUR", f"units = {units!r}")
        check(
            new["market/prices"].attrs["units"].__class__ == parent["market/prices"].attrs["units"].__class__,
            "units changed type",
        )
        for p in a:
            if p in ("/market/prices", "/market/tickers"):
                continue
            check(same(a[p][0], b[p][0]), f"{p}: values differ from the parent")
            check(a[p][1] == b[p][1], f"{p}: attributes differ from the parent")
        pa, pb = a["/market/prices"][1], b["/market/prices"][1]
        pa = dict(pa, units="EUR")
        check({k: v for k, v in pa.items()} == pb, f"prices attrs: {pa} vs {pb}")
    # versioned-hdf5 commits on top of the browser's commit.
    with h5py.File(path, "r+") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("py-on-top") as g:
            g["market/prices"][0, 0] = -1.0
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        check(vf.current_version == "py-on-top", "python commit not current")
        top = vf["py-on-top"]
        check(top.attrs["prev_version"] == "e2e-commit", "python commit's parent")
        check(top["market/prices"][1, 1] == 123.5, "python commit lost the edit")
        check(top["market/prices"][0, 0] == -1.0, "python commit's own edit")


def history(path):
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        names = set(all_versions(f))
        check("rebalance" not in names, f"rebalance still there: {sorted(names)}")
        check("cleanup" not in names and "tidy" in names, f"rename: {sorted(names)}")
        check(vf.current_version == "restored", f"current is {vf.current_version}")
        r = vf["restored"]
        check(r.attrs["prev_version"] == "eod-2025-05-30", f"restored's parent {r.attrs['prev_version']}")
        a, b = contents(vf["eod-2025-04-30"]), contents(r)
        check(set(a) == set(b), f"restored datasets differ: {set(a) ^ set(b)}")
        for p in a:
            check(same(a[p][0], b[p][0]), f"{p}: restored values differ from eod-2025-04-30")
            check(a[p][1] == b[p][1], f"{p}: restored attributes differ")
        # The renamed version reads as before.
        check(vf["tidy"]["market/prices"][()].size > 0, "tidy unreadable")
    with h5py.File(path, "r+") as f:
        vf = VersionedHDF5File(f)
        with vf.stage_version("py-after") as g:
            g["market/prices"][0, 0] = -2.0
    with h5py.File(path, "r") as f:
        vf = VersionedHDF5File(f)
        check(vf["py-after"].attrs["prev_version"] == "restored", "python commit's parent")


if __name__ == "__main__":
    {"edits": edits, "history": history}[sys.argv[1]](sys.argv[2])
