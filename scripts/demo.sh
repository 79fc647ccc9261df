#!/usr/bin/env bash
# Opens vh5 on the bundled demo file. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
cargo run --release --quiet -- assets/demo.h5 "$@"
