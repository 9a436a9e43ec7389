#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cd build
ctest --output-on-failure --timeout 900 "$@"
