#!/bin/sh
# One command from a fresh clone to green tests: dependencies, build, ctest.
#   scripts/test.sh [BUILD_DIR] [extra cmake args...]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
[ "${PB_SKIP_DEPS:-0}" = 1 ] || scripts/deps.sh
cmake -S . -B "$build" "$@"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j2
