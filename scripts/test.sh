#!/usr/bin/env bash
# README command (2): install what is missing, build everything, run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --workflow --preset test
