#!/bin/sh
# The main job: dependencies, build, then drive an autostarted daemon.
set -eu
cd "$(dirname "$0")/.."
[ "${PB_SKIP_DEPS:-0}" = 1 ] || scripts/deps.sh
cmake -S . -B build
cmake --build build -j"$(nproc)"
sh examples/demo.sh
