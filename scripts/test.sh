#!/usr/bin/env bash
# Sets up (idempotent) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
# The allocation check runs LoadGen as users do: a release build of its probe (and the malloc interposer).
swift build -c release --product loadgen-alloc-probe
swift test --skip-build
