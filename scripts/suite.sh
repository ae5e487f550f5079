#!/usr/bin/env bash
# Sets up (idempotent), builds the release binary and runs the main job: `mlperf suite`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product mlperf
exec .build/release/mlperf suite "$@"
