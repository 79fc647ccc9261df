#!/usr/bin/env python3
"""Whole-process timings of `vh5` commands next to versioned-hdf5 (Python).

    cli_compare.py --vh5 BIN --data DIR [--quick] [--runs N] [--only ID,...]

Run by benches/compare.sh. For every row, the vh5 command and a fresh Python
process doing the same work with versioned-hdf5 and h5py
(benches/py_cli_ops.py, run with this script's own interpreter) are each
run as a whole process and timed from spawn to exit, so both figures include
process start (for Python: the interpreter and the imports of numpy, h5py
and versioned_hdf5). Medians; ratio = versioned-hdf5 / vh5.

Runs: the first run of each side is checked (its JSON against the other
side's, or the file it left behind) and, unless it took over 5 s, thrown
away as a warm-up; then N timed runs (default 7, 3 with --quick), the two
sides' runs taken in turn so that both meet the machine in the same state. A side
whose first run took over 5 s gets 3 runs in all (1 with --quick), over
20 s just that one. Every run has a 300 s timeout ("timeout" in the table).
Rows that write (commit, delete-versions) run on a fresh scratch copy each
time, made (and written back to disk) before the clock starts. Timings of Python's `show` row are kept
in DIR/cli-compare-cache.json, and so are those of Python's
delete-versions row (which runs into the timeout); --quick reuses these
figures instead of running those processes again (or runs them once if
there are none for the file as it is now).

The data files, made if missing (generators in benches/, with this
interpreter, which needs versioned-hdf5 2.6.0), live in DIR:
series1000.h5, wide300.h5, field20.h5 and dump200.h5.

Prints the Markdown table on stdout, progress on stderr.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
PY_OPS = str(HERE / "py_cli_ops.py")
TIMEOUT = 300.0
WARMUP_LIMIT = 5.0  # a first run longer than this counts as a timed run
SLOW = 20.0  # a first run longer than this is the only run

FILES = {
    "series1000.h5": "make_series_file.py",
    "wide300.h5": "make_wide_file.py",
    "field20.h5": "make_field_file.py",
    "dump200.h5": "make_dump_file.py",
}

# Versions deleted by the delete-versions row (v0999 is the current one) and
# the survivors whose data the check compares.
DELETED = [f"v{i:04d}" for i in range(100, 1000, 100)] + ["v0999"]
SURVIVORS = ["v0099", "v0101", "v0500", "v0998"]


def row(id, op, file, vh5, py, check, scratch=False, cache=False, state=()):
    """One table row: `vh5` and `py` are argument lists after the binary /
    py_cli_ops.py, with "{f}" for the file's path."""
    return dict(id=id, op=op, file=file, vh5=vh5, py=py, check=check,
                scratch=scratch, cache=cache, state=list(state))


ROWS = [
    row("start", "process start only (`vh5 --version`; Python imports)", "-",
        ["--version"], ["start"], None),
    row("log", "log (1,000 versions)", "series1000.h5",
        ["log", "{f}", "--json"], ["log", "{f}"], "same"),
    row("cat1000", "cat 1,000 elements `/series[1000:2000]`", "series1000.h5",
        ["cat", "{f}", "--version", "v0500", "/series[1000:2000]", "--json"],
        ["cat", "{f}", "v0500", "/series", "1000:2000"], "cat"),
    row("page-grid", "cat 50x20 page `/grid[1000:1050, 200:220]`", "series1000.h5",
        ["cat", "{f}", "--version", "v0500", "/grid[1000:1050, 200:220]", "--json"],
        ["cat", "{f}", "v0500", "/grid", "1000:1050, 200:220"], "cat"),
    row("page-field", "cat 50x20 page `/field[1000:1050, 200:220]`", "field20.h5",
        ["cat", "{f}", "--version", "v05", "/field[1000:1050, 200:220]", "--json"],
        ["cat", "{f}", "v05", "/field", "1000:1050, 200:220"], "cat"),
    row("show", "show `/series` with chunk_map (v0999)", "series1000.h5",
        ["show", "{f}", "--version", "v0999", "/series", "--json"],
        ["show", "{f}", "v0999", "/series"], "show", cache=True),
    row("diff-adj", "diff adjacent (v0500 v0501)", "series1000.h5",
        ["diff", "{f}", "v0500", "v0501", "--json"], ["diff", "{f}", "v0500", "v0501"], "diff"),
    row("diff-100", "diff 100 apart (v0400 v0500)", "series1000.h5",
        ["diff", "{f}", "v0400", "v0500", "--json"], ["diff", "{f}", "v0400", "v0500"], "diff"),
    row("diff-wide-adj", "diff adjacent, 300 datasets (v050 v051)", "wide300.h5",
        ["diff", "{f}", "v050", "v051", "--json"], ["diff", "{f}", "v050", "v051"], "diff"),
    row("diff-wide-99", "diff 99 apart, 300 datasets (v000 v099)", "wide300.h5",
        ["diff", "{f}", "v000", "v099", "--json"], ["diff", "{f}", "v000", "v099"], "diff"),
    row("diff-field", "diff adjacent, 160 MB field (v10 v11)", "field20.h5",
        ["diff", "{f}", "v10", "v11", "--json"], ["diff", "{f}", "v10", "v11"], "diff"),
    row("commit", "one-cell commit `/series[5]=1.5`", "series1000.h5",
        ["commit", "{f}", "--name", "X", "--set", "/series[5]=1.5"],
        ["commit", "{f}", "X", "/series", "5", "1.5"], "state", scratch=True,
        state=["X", "v0999"]),
    row("commit-wide", "one-cell commit `/g1/d07[5]=1.5`, 300 datasets", "wide300.h5",
        ["commit", "{f}", "--name", "X", "--set", "/g1/d07[5]=1.5"],
        ["commit", "{f}", "X", "/g1/d07", "5", "1.5"], "state", scratch=True,
        state=["X", "v099"]),
    row("dump", "dump --json (200 versions x 2 datasets)", "dump200.h5",
        ["dump", "{f}", "--json"], ["dump", "{f}"], "dump"),
    row("delete", "delete-versions, 10 of 1,000", "series1000.h5",
        ["delete-versions", "{f}", *DELETED], ["delete", "{f}", *DELETED], "state",
        scratch=True, cache=True, state=SURVIVORS),
]


def log(msg):
    print(f"cli_compare: {msg}", file=sys.stderr, flush=True)


# --- data files ----------------------------------------------------------


def ensure_files(data, needed):
    made = {}
    data.mkdir(parents=True, exist_ok=True)
    for name in needed:
        path = data / name
        if path.exists():
            continue
        script = HERE / FILES[name]
        log(f"making {path} with {script.name} ...")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(script), str(path)], check=True)
        made[name] = time.perf_counter() - t0
    for name in needed:
        path = data / name
        extra = f", made in {made[name]:.0f} s" if name in made else ""
        log(f"{name}: {path.stat().st_size / 1e6:.1f} MB{extra}")


# --- running -------------------------------------------------------------


class Side:
    """One side of a row: the argv, and what its runs gave."""

    def __init__(self, name, argv):
        self.name = name
        self.argv = argv
        self.times = []
        self.timeout = False
        self.failed = None
        self.out = None  # the first run's stdout, parsed
        self.state = None  # the first run's scratch file's state
        self.cached = False


def run_once(argv, file_path, scratch):
    """(seconds, stdout, file run on) of one run; a scratch copy is made
    before the clock starts."""
    target = file_path
    if scratch:
        target = file_path.with_name(file_path.name + ".cli-scratch")
        shutil.copyfile(file_path, target)
        # Written back now: the copy's write-back is no part of the run.
        os.sync()
    args = [a.replace("{f}", str(target)) for a in argv]
    t0 = time.perf_counter()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
    return dt, p.stdout, target


def py_state(path, versions):
    p = subprocess.run([sys.executable, PY_OPS, "state", str(path), *versions],
                       stdout=subprocess.PIPE, check=True, timeout=TIMEOUT)
    return json.loads(p.stdout)


def guarded(side, file_path, work):
    """Runs `work()` for `side`, noting a timeout or failure; `False` then."""
    try:
        work()
        return True
    except subprocess.TimeoutExpired:
        side.timeout = True
    except (RuntimeError, subprocess.CalledProcessError, json.JSONDecodeError) as e:
        side.failed = str(e)
    finally:
        scratch = file_path.with_name(file_path.name + ".cli-scratch")
        if scratch.exists():
            os.remove(scratch)
    return False


def check_run(side, r, file_path, runs):
    """The first run of `side`: checked, and kept as a timed run only when
    slow. Returns how many timed runs are still to come."""
    first, out, target = run_once(side.argv, file_path, r["scratch"])
    if r["scratch"]:
        side.state = py_state(target, r["state"])
        os.remove(target)
    else:
        side.out = json.loads(out) if r["check"] and out.strip() else None
    if first > SLOW:
        total = 1
    elif first > WARMUP_LIMIT:
        total = 1 if runs < 5 else 3
    else:
        return runs
    side.times.append(first)
    return total - 1


def timed_run(side, r, file_path):
    dt, _, target = run_once(side.argv, file_path, r["scratch"])
    if r["scratch"]:
        os.remove(target)
    side.times.append(dt)


def measure(sides, r, file_path, runs):
    """Check runs of each side, then their timed runs taken in turn (vh5,
    Python, vh5, ...), so that both sides see the machine in the same
    state: this machine's speed drifts over minutes."""
    left = {}
    for side in sides:
        more = []
        if guarded(side, file_path, lambda: more.append(check_run(side, r, file_path, runs))):
            left[side] = more[0]
    while any(left.values()):
        for side in sides:
            if left.get(side):
                left[side] -= 1
                if not guarded(side, file_path, lambda: timed_run(side, r, file_path)):
                    left[side] = 0


# --- checks --------------------------------------------------------------

SHOW_KEYS = ("path", "kind", "shape", "dtype", "chunks", "fillvalue", "compression",
             "compression_opts", "shuffle", "fletcher32", "attrs", "raw_data", "chunk_map")


def same_values(a, b, dtype):
    if a["shape"] != b["shape"]:
        return f"shape {a['shape']} != {b['shape']}"
    x = np.asarray(a["data"], dtype=dtype)
    y = np.asarray(b["data"], dtype=dtype)
    if not np.array_equal(x, y, equal_nan=True):
        return f"{int(np.count_nonzero(x != y))} values differ"
    return None


def check_row(kind, vh5, py, r):
    """None when both sides agree, else what differs."""
    if kind is None:
        return None
    if kind == "same":
        return None if vh5.out == py.out else "JSON differs"
    if kind == "cat":
        return same_values(vh5.out, py.out, vh5.out["dtype"])
    if kind == "show":
        diff = [k for k in SHOW_KEYS if vh5.out.get(k) != py.out.get(k)]
        return f"differs in {diff}: {vh5.out.get(diff[0])} vs {py.out.get(diff[0])}" if diff else None
    if kind == "diff":
        v, p = vh5.out, py.out
        for k in ("added", "removed"):
            if v[k] != p[k]:
                return f"{k}: {v[k]} vs {p[k]}"
        vm = {m["path"]: m.get("elements_changed") for m in v["modified"]}
        pm = {m["path"]: m.get("elements_changed") for m in p["modified"]}
        if vm != pm:
            return f"modified: {vm} vs {pm}"
        return None
    if kind == "state":
        v, p = vh5.state, py.state
        if v != p:
            return f"files differ after the run: {v} vs {p}"
        if "X" in r["state"]:
            if v["current_version"] != "X":
                return f"current version {v['current_version']}"
            if v["sha256"]["X"] == v["sha256"][r["state"][1]]:
                return "the commit changed nothing"
        return None
    if kind == "dump":
        v, p = vh5.out, py.out
        for k in ("versioned", "data_version", "current_version", "versions"):
            if v[k] != p[k]:
                return f"{k} differs"
        if list(v["trees"]) != list(p["trees"]):
            return "tree names differ"
        for name, tree in v["trees"].items():
            ptree = p["trees"][name]
            if [e["path"] for e in tree] != [e["path"] for e in ptree]:
                return f"{name}: paths differ"
            for e, pe in zip(tree, ptree):
                for k in SHOW_KEYS + ("sha256",):
                    if e.get(k) != pe.get(k):
                        return f"{name} {e['path']}: {k} {e.get(k)} vs {pe.get(k)}"
        return None
    raise ValueError(kind)


# --- table ---------------------------------------------------------------


def fmt(side):
    if side.timeout:
        return f"timeout (> {TIMEOUT:.0f} s{', cached' if side.cached else ''})"
    if side.failed:
        return "failed"
    if not side.times:
        return "-"
    t = statistics.median(side.times)
    s = f"{t:.3f} s" if t < 10 else f"{t:.1f} s"
    notes = []
    if side.cached:
        notes.append("cached" if len(side.times) != 1 else "1 run, cached")
    elif len(side.times) == 1:
        notes.append("1 run")
    return s + (f" ({', '.join(notes)})" if notes else "")


def ratio(vh5, py):
    if vh5.times and py.times:
        return f"{statistics.median(py.times) / statistics.median(vh5.times):.1f}x"
    if vh5.times and py.timeout:
        return f"> {TIMEOUT / statistics.median(vh5.times):.0f}x"
    return "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vh5", required=True, help="the vh5 binary")
    ap.add_argument("--data", required=True, help="the bench-data directory")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, help="timed runs per side (default 7, quick 3)")
    ap.add_argument("--only", help="comma-separated row ids: " + ",".join(r["id"] for r in ROWS))
    args = ap.parse_args()

    runs = args.runs or (3 if args.quick else 7)
    rows = ROWS
    if args.only:
        ids = args.only.split(",")
        unknown = set(ids) - {r["id"] for r in ROWS}
        if unknown:
            sys.exit(f"cli_compare: unknown rows {sorted(unknown)}")
        rows = [r for r in ROWS if r["id"] in ids]
    data = pathlib.Path(args.data)
    ensure_files(data, sorted({r["file"] for r in rows if r["file"] in FILES},
                              key=list(FILES).index))

    cache_path = data / "cli-compare-cache.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}

    table = []
    problems = 0
    for r in rows:
        path = data / r["file"] if r["file"] in FILES else pathlib.Path(PY_OPS)
        vh5 = Side("vh5", [args.vh5, *r["vh5"]])
        py = Side("versioned-hdf5", [sys.executable, PY_OPS, *r["py"]])
        stamp = f"{path.stat().st_size}:{int(path.stat().st_mtime)}"
        measured = []
        for side in (vh5, py):
            hit = cache.get(r["id"]) if r["cache"] and side is py else None
            if args.quick and hit and hit.get("file") == stamp:
                side.times, side.timeout, side.cached = hit["times"], hit["timeout"], True
                side.out, side.state = hit["out"], hit["state"]
                log(f"{r['id']}: {side.name}: cached figure ({fmt(side)})")
                continue
            log(f"{r['id']}: {side.name}: {' '.join(side.argv)}")
            measured.append(side)
        measure(measured, r, path, runs)
        for side in measured:
            if side.times:
                log(f"{r['id']}: {side.name}: median of {len(side.times)}: "
                    f"{statistics.median(side.times):.3f} s "
                    f"(min {min(side.times):.3f}, max {max(side.times):.3f})")
            if side.timeout:
                log(f"{r['id']}: {side.name}: timeout after {TIMEOUT:.0f} s")
            if side.failed:
                problems += 1
                log(f"{r['id']}: {side.name}: FAILED: {side.failed}")
            if r["cache"] and side is py and (side.times or side.timeout):
                cache[r["id"]] = {"file": stamp, "times": side.times, "timeout": side.timeout,
                                  "out": side.out, "state": side.state}
                cache_path.write_text(json.dumps(cache))
        note = ""
        if (vh5.out is not None or vh5.state is not None) and (
                py.out is not None or py.state is not None):
            bad = check_row(r["check"], vh5, py, r)
            if bad:
                problems += 1
                note = " (results differ)"
                log(f"{r['id']}: CHECK FAILED: {bad}")
            else:
                log(f"{r['id']}: check: both give the same result")
        table.append((r["op"], f"`{r['file']}`" if r["file"] in FILES else "-", fmt(vh5), fmt(py), ratio(vh5, py) + note))

    print("| operation | file | vh5 | versioned-hdf5 | ratio |")
    print("|---|---|---:|---:|---:|")
    for cells in table:
        print("| " + " | ".join(cells) + " |")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
