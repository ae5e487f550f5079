#!/usr/bin/env bash
# Installs the serving tools `mlperf bench serving` compares against, each in its own environment under
# .venv-peers/ (never the project's .venv: their dependencies would clash with its pins):
#   .venv-peers/aiperf    PyPI aiperf 0.13.0 (ai-dynamo; ~1.2 GB with its dependencies)
#   .venv-peers/guidellm  PyPI guidellm 0.3.0 (vllm-project; ~0.6 GB; the last release whose data path needs no
#                         PyTorch: 0.8 loads data through torch, which would pull ~5 GB of CUDA wheels)
# Not needed by the tests. Idempotent: a tool already installed at its version is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_PYTHON=/usr/bin/python3
mkdir -p .venv-peers .setup-logs
install() {  # install NAME VERSION
  local name=$1 version=$2 venv=".venv-peers/$1" log=".setup-logs/peer-$1.log"
  if [ -x "$venv/bin/$name" ] && "$venv/bin/pip" show "$name" 2>/dev/null | grep -q "^Version: $version$"; then
    echo "setup_peers: $name $version present"
    return
  fi
  echo "setup_peers: pip install $name==$version into $venv"
  rm -rf "$venv"
  "$BASE_PYTHON" -m venv "$venv" >"$log" 2>&1
  if ! "$venv/bin/pip" install --disable-pip-version-check --no-input --progress-bar off "$name==$version" >>"$log" 2>&1; then
    echo "setup_peers: FAILED: pip could not install $name==$version (see $log)" >&2
    tail -n 15 "$log" | sed 's/^/    | /' >&2
    exit 1
  fi
}
install aiperf 0.13.0
install guidellm 0.3.0
echo "setup_peers: done (mlperf bench serving finds them in .venv-peers/)"
