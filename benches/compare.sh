#!/usr/bin/env bash
# Benchmarks of vh5 next to versioned-hdf5 doing the same in Python.
#
#   benches/compare.sh              run `cargo bench --bench read`,
#                                   `cargo bench --bench commit` and
#                                   `cargo bench --bench replay`, then
#                                   benches/py_bench.py,
#                                   benches/py_commit_bench.py and
#                                   benches/py_replay_bench.py, and print
#                                   the table
#   benches/compare.sh --no-cargo   reuse the last criterion estimates
#
# Python: $VH5_PYTHON, else .venv/bin/python, else python3 (it needs
# versioned-hdf5 2.6.0 and h5py: scripts/setup.sh --test). The bench file is
# target/bench-data/bench1000.h5 (made by the cargo bench if missing) or
# $VH5_BENCH_FILE; the commit bench's is target/bench-data/big1e7.h5 (made
# by `cargo bench --bench commit` if missing, benches/make_big_file.py) or
# $VH5_BIG_FILE; the replay bench deletes versions from the read bench's file
# and changes a dtype in target/bench-data/replay100.h5 (made by `cargo bench
# --bench replay` if missing, benches/make_replay_file.py) or
# $VH5_REPLAY_FILE. vh5 figures are criterion's median estimates, Python's
# the median of the Python scripts' runs; ratio = Python / vh5.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

run_cargo=1
[ "${1:-}" = "--no-cargo" ] && run_cargo=0

if [ -n "${VH5_PYTHON:-}" ]; then
    py=$VH5_PYTHON
elif [ -x .venv/bin/python ]; then
    py=$repo/.venv/bin/python
else
    py=python3
fi
export VH5_PYTHON=$py

target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$repo/$target ;; esac
file=${VH5_BENCH_FILE:-$target/bench-data/bench1000.h5}
big_file=${VH5_BIG_FILE:-$target/bench-data/big1e7.h5}
replay_file=${VH5_REPLAY_FILE:-$target/bench-data/replay100.h5}
criterion=$target/criterion/read
criterion_commit=$target/criterion/commit
criterion_replay=$target/criterion/replay
diff_file=${VH5_DIFF_FILE:-$target/bench-data/diff1e8.h5}
criterion_diff=$target/criterion/diff

if [ "$run_cargo" -eq 1 ]; then
    echo "compare: cargo bench --bench read" >&2
    cargo bench --bench read >&2
    echo "compare: cargo bench --bench commit" >&2
    cargo bench --bench commit >&2
    echo "compare: cargo bench --bench replay" >&2
    cargo bench --bench replay >&2
    echo "compare: cargo bench --bench diff" >&2
    cargo bench --bench diff >&2
fi
[ -f "$file" ] || { echo "compare: $file is missing (run without --no-cargo)" >&2; exit 1; }
[ -d "$criterion" ] || { echo "compare: no criterion results in $criterion" >&2; exit 1; }
[ -f "$big_file" ] || { echo "compare: $big_file is missing (run without --no-cargo)" >&2; exit 1; }
[ -d "$criterion_commit" ] || { echo "compare: no criterion results in $criterion_commit" >&2; exit 1; }
[ -f "$replay_file" ] || { echo "compare: $replay_file is missing (run without --no-cargo)" >&2; exit 1; }
[ -d "$criterion_replay" ] || { echo "compare: no criterion results in $criterion_replay" >&2; exit 1; }

echo "compare: $py benches/py_bench.py $file" >&2
py_json=$("$py" benches/py_bench.py "$file")
echo "compare: $py benches/py_commit_bench.py $big_file" >&2
py_commit_json=$("$py" benches/py_commit_bench.py "$big_file")
echo "compare: $py benches/py_replay_bench.py $file $replay_file" >&2
py_replay_json=$("$py" benches/py_replay_bench.py "$file" "$replay_file")
echo "compare: $py benches/py_diff_bench.py $diff_file" >&2
py_diff_json=$("$py" benches/py_diff_bench.py "$diff_file")

"$py" - "$py_json" "$py_commit_json" "$py_replay_json" "$py_diff_json" \
    "$criterion" "$criterion_commit" "$criterion_replay" "$criterion_diff" <<'EOF'
import json, pathlib, sys

py = {}
for doc in sys.argv[1:5]:
    py.update(json.loads(doc))
rust = {}
for criterion in map(pathlib.Path, sys.argv[5:]):
    for bench in criterion.glob("*/new/benchmark.json"):
        name = json.loads(bench.read_text())["function_id"]
        est = json.loads((bench.parent / "estimates.json").read_text())
        rust[name] = est["median"]["point_estimate"] / 1e9

def fmt(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.0f} us"

rows = [("operation", "vh5", "Python", "Python / vh5")]
for op in list(py) + [op for op in rust if op not in py]:
    r, p = rust.get(op), py.get(op)
    ratio = f"{p / r:.1f}x" if r and p else "-"
    rows.append((op, fmt(r), fmt(p), ratio))
w = [max(len(row[i]) for row in rows) for i in range(4)]
for k, row in enumerate(rows):
    print("  ".join([row[0].ljust(w[0])] + [c.rjust(w[i + 1]) for i, c in enumerate(row[1:])]))
    if k == 0:
        print("  ".join("-" * x for x in w))
EOF
