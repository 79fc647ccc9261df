#!/usr/bin/env bash
# Installs what vh5 needs and is missing, idempotently, saying what it does.
#   scripts/setup.sh          HDF5 C library and tools (to build and run vh5)
#   scripts/setup.sh --test   also tmux and the Python venv (.venv) with the
#                             real versioned-hdf5 for the interop tests
set -euo pipefail
cd "$(dirname "$0")/.."

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

apt_install libhdf5-dev hdf5-tools pkg-config

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
