# Sourced by the scripts: where builds and tools live, outside the clone so
# that every clone on this machine (CI's included) reuses one build cache.
#   VH5_CACHE         default ~/.cache/vh5
#   CARGO_TARGET_DIR  default $VH5_CACHE/target
#   CARGO_BUILD_TARGET  on Linux with glibc, the host triple, so that the
#                     target alone is linked statically (crt-static; the
#                     build's proc macros cannot be): a static vh5 starts
#                     about 0.4 ms sooner (no dynamic loader, no
#                     relocations), which is a tenth of a `cat`
#   VH5_BIN           the release binary those settings build
#   CMAKE             a CMake >= 3.26 for the bundled HDF5 2.x build: the one
#                     on PATH if new enough, else $VH5_CACHE/tools/bin/cmake
#                     (installed by scripts/setup.sh)
VH5_CACHE=${VH5_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vh5}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$VH5_CACHE/target}
vh5_tools=$VH5_CACHE/tools

vh5_host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p') || vh5_host=
case ${CARGO_BUILD_TARGET:-$vh5_host} in
*-linux-gnu)
    export CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$vh5_host}
    vh5_flags_var=CARGO_TARGET_$(echo "$CARGO_BUILD_TARGET" | tr 'a-z.-' 'A-Z__')_RUSTFLAGS
    export "$vh5_flags_var=${!vh5_flags_var:-"-C target-feature=+crt-static"}"
    ;;
esac
export VH5_BIN=${VH5_BIN:-$CARGO_TARGET_DIR/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}release/vh5}

# Whether a cmake binary is at least 3.26 (HDF5 2.x's minimum).
cmake_ok() {
    local v
    v=$("$1" --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9]+' | head -n 1) || return 1
    [ -n "$v" ] || return 1
    local major=${v%%.*} minor=${v#*.}
    [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 26 ]; }
}

if [ -z "${CMAKE:-}" ]; then
    if command -v cmake >/dev/null 2>&1 && cmake_ok cmake; then
        export CMAKE=cmake
    else
        export CMAKE=$vh5_tools/bin/cmake
    fi
fi
