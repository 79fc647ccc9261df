#!/usr/bin/env bash
# The whole test suite: unit, interop (against the real versioned-hdf5),
# bad-input, damaged-file, UI and end-to-end tests. Installs what is missing
# first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
. scripts/env.sh
export VH5_PYTHON="$PWD/.venv/bin/python"
cargo test --locked "$@"
