#!/usr/bin/env bash
# Benchmarks of vh5 next to versioned-hdf5 doing the same in Python.
#
#   benches/compare.sh               both tables below
#   benches/compare.sh --quick       the first table only, with fewer runs,
#                                    and Python's slow `show` and
#                                    `delete-versions` figures reused from the
#                                    last run (benches/cli_compare.py)
#   benches/compare.sh --no-criterion  the first table only
#   benches/compare.sh --no-cli      the second table only
#   benches/compare.sh --no-cargo    reuse the last criterion estimates in
#                                    the second table
#
# 1. Whole processes (benches/cli_compare.py): each row times a `vh5`
#    command and a fresh Python process doing the same work with
#    versioned-hdf5 and h5py (benches/py_cli_ops.py), process start and
#    imports included, as medians of several runs; ratio = versioned-hdf5 /
#    vh5. Its files, made if missing by benches/make_{series,wide,field,dump}_file.py,
#    are target/bench-data/{series1000,wide300,field20,dump200}.h5.
#    The vh5 binary is $VH5_BIN (scripts/env.sh names the one it builds;
#    built with `cargo build --release` if missing).
# 2. In-process (criterion): `cargo bench --bench read`, `commit`, `replay`
#    and `diff`, next to benches/py_bench.py, py_commit_bench.py,
#    py_replay_bench.py and py_diff_bench.py timing the same calls inside
#    one Python process. Their files are target/bench-data/bench1000.h5 (made
#    by the cargo bench if missing) or $VH5_BENCH_FILE, big1e7.h5 or
#    $VH5_BIG_FILE, replay100.h5 or $VH5_REPLAY_FILE, diff1e8.h5 or
#    $VH5_DIFF_FILE. vh5 figures are criterion's median estimates, Python's
#    the median of the Python scripts' runs; ratio = Python / vh5.
#
# target is $CARGO_TARGET_DIR (scripts/env.sh). Python: $VH5_PYTHON, else
# .venv/bin/python, else python3 (it needs versioned-hdf5 2.6.0 and h5py:
# scripts/setup.sh --test). Tables on stdout (Markdown), progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
. scripts/env.sh

run_cargo=1
quick=0
criterion_table=1
cli_table=1
for arg in "$@"; do
    case $arg in
        --quick) quick=1; criterion_table=0 ;;
        --no-criterion) criterion_table=0 ;;
        --no-cli) cli_table=0 ;;
        --no-cargo) run_cargo=0 ;;
        *) echo "compare: unknown option $arg (--quick, --no-criterion, --no-cli, --no-cargo)" >&2; exit 2 ;;
    esac
done

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

# --- 1. whole processes ------------------------------------------------------

status=0
vh5=$VH5_BIN
if [ "$cli_table" -eq 1 ] && [ ! -x "$vh5" ]; then
    echo "compare: $vh5 is missing: cargo build --release" >&2
    cargo build --release >&2
    [ -x "$vh5" ] || { echo "compare: VH5_BIN=$vh5 is not an executable" >&2; exit 1; }
fi

if [ "$cli_table" -eq 1 ]; then
    quick_flag=()
    [ "$quick" -eq 1 ] && quick_flag=(--quick)
    echo "## vh5 commands vs versioned-hdf5, whole processes (median seconds)"
    echo
    "$py" benches/cli_compare.py --vh5 "$vh5" --data "$target/bench-data" \
        "${quick_flag[@]}" || status=$?
fi

[ "$criterion_table" -eq 1 ] || exit $status

# --- 2. in-process (criterion) ----------------------------------------------

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
[ -f "$diff_file" ] || { echo "compare: $diff_file is missing (run without --no-cargo)" >&2; exit 1; }
[ -d "$criterion_diff" ] || { echo "compare: no criterion results in $criterion_diff" >&2; exit 1; }

echo "compare: $py benches/py_bench.py $file" >&2
py_json=$("$py" benches/py_bench.py "$file")
echo "compare: $py benches/py_commit_bench.py $big_file" >&2
py_commit_json=$("$py" benches/py_commit_bench.py "$big_file")
echo "compare: $py benches/py_replay_bench.py $file $replay_file" >&2
py_replay_json=$("$py" benches/py_replay_bench.py "$file" "$replay_file")
echo "compare: $py benches/py_diff_bench.py $diff_file" >&2
py_diff_json=$("$py" benches/py_diff_bench.py "$diff_file")

echo
echo "## vh5 library vs versioned-hdf5, in-process (criterion medians)"
echo
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

print("| operation | vh5 | Python | Python / vh5 |")
print("|---|---:|---:|---:|")
for op in list(py) + [op for op in rust if op not in py]:
    r, p = rust.get(op), py.get(op)
    ratio = f"{p / r:.1f}x" if r and p else "-"
    print(f"| {op} | {fmt(r)} | {fmt(p)} | {ratio} |")
EOF
exit $status
