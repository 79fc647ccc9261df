#!/usr/bin/env bash
# Installs what vh5 needs and is missing, idempotently, saying what it does.
#   scripts/setup.sh          a C compiler, make and a CMake >= 3.26 (vh5
#                             builds the HDF5 2.x that hdf5-metno bundles)
#   scripts/setup.sh --test   also tmux and the Python venv (.venv) with the
#                             real versioned-hdf5 for the interop tests
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { echo "setup: $*" >&2; }

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing with apt-get: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

apt_install gcc make

if ! cmake_ok "$CMAKE"; then
    say "installing CMake >= 3.26 with pip into $vh5_tools (Debian's is older; HDF5 2.x needs it)"
    python3 -m venv "$vh5_tools"
    "$vh5_tools/bin/pip" install -q --disable-pip-version-check cmake
fi

if [ ! -d "$CARGO_TARGET_DIR" ]; then
    say "first build: compiles HDF5 2.x from source into $CARGO_TARGET_DIR" \
        "(about 3 minutes on 2 cores, once per profile; later builds reuse it)"
fi

if [ "$want_test" -eq 1 ]; then
    apt_install tmux
    venv=.venv
    py="$venv/bin/python"
    if ! "$py" -c 'import versioned_hdf5, h5py, sys; sys.exit(versioned_hdf5.__version__ != "2.6.0")' 2>/dev/null; then
        say "creating the Python venv $venv with versioned-hdf5 2.6.0 (for the interop tests)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check versioned-hdf5==2.6.0 h5py
    fi
fi
