#!/usr/bin/env bash
# Sets up (idempotent), builds the release binary and runs the main job: `mlperf suite`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product mlperf
# The Go reference trainer's self-play and GnuGo games (references/pytorch/train_go.py runs it).
swift build -c release --product go-selfplay
exec .build/release/mlperf suite "$@"
