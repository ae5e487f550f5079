#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: installs only what is missing.
#   System: OpenBLAS, zlib headers, Fashion-MNIST (IDX files), PyTorch (Debian's python3-torch, for the reference
#           trainer under /usr/bin/python3).
#   PyPI:   onnxruntime (loaded by dlopen), onnx (ships the ResNet-50 test model), and the official oracles
#           mlcommons-loadgen and mlperf-logging, for the python3 on PATH.
# Prints one line per step; safe to run again.
set -euo pipefail

APT_PACKAGES=(libopenblas-dev zlib1g-dev pkg-config dataset-fashion-mnist python3-torch)
PIP_PACKAGES=(onnxruntime==1.31.1 onnx mlcommons-loadgen mlperf-logging)
PY=${MLPERF_PYTHON:-python3}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: system packages present"
fi

need_pip=()
for spec in "${PIP_PACKAGES[@]}"; do
  name=${spec%%==*}
  want=${spec#*==}; [ "$want" = "$spec" ] && want=""
  have=$("$PY" -m pip show "$name" 2>/dev/null | awk '/^Version:/{print $2}')
  if [ -z "$have" ] || { [ -n "$want" ] && [ "$have" != "$want" ]; }; then need_pip+=("$spec"); fi
done
if [ ${#need_pip[@]} -gt 0 ]; then
  echo "setup: pip install ${need_pip[*]}"
  "$PY" -m pip install -q --disable-pip-version-check "${need_pip[@]}" 2>&1 | grep -v "Running pip as the 'root' user" || true
else
  echo "setup: python packages present"
fi
echo "setup: done"
