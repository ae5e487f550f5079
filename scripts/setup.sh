#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine; installs only what is missing, and a second run is a no-op.
#   Debian: OpenBLAS, zlib and liblzma headers, pkg-config, Fashion-MNIST (IDX files), PyTorch (python3-torch),
#           python3-venv, Pillow (python3-pil) and the DejaVu fonts (text-detection's generated images), flite (the
#           voices that speak the speech corpus), GnuGo (the Go engine our rules are checked against).
#   Models: the PP-OCRv4 text detector, extracted from the PyPI wheel rapidocr-onnxruntime 1.4.4 (downloaded with
#           `pip download --no-deps`, never installed) into data/models/, SHA-256 checked.
#   Generated: seeded test sets made once by our scripts and checked by SHA-256 (data/generated/): text-detection's
#           rendered words, object-detection's scenes of Fashion-MNIST items, speech's flite utterances, translation's
#           English→German pairs aligned from the LibreOffice help pages (split by page), the Go benchmark's 9×9
#           GnuGo games (GnuGo playing itself from seeded random openings), and the tiny
#           random-weight Llama model (GGUF) that the OpenAI-API server of the network tests runs.
#   Data:   Debian packages that hold data sets but would pull in R if installed (r-cran-dslabs: MovieLens;
#           r-cran-modeldata: fine-food reviews), and pocketsphinx-testdata (real recordings: speech's real-speech
#           gap), and libreoffice-help-en-us + libreoffice-help-de (translation's English→German pairs; they would
#           pull in LibreOffice), are fetched with `apt-get download` and unpacked with `dpkg -x`
#           into data/pkgs/<package>/ (ignored by git); the extracted data files are checked against SHA-256 sums.
#   Python: the project's own environment .venv/ inside the checkout, made from Debian's /usr/bin/python3 with
#           --system-site-packages (so Debian's torch and numpy stay visible), holding the pinned PyPI packages of
#           requirements.txt (onnxruntime, onnx, pycocotools, the official oracles mlcommons-loadgen and
#           mlperf-logging, and the real servers of the network tests: mlserver, llama-cpp-python[server]).
#           Every part of the project uses .venv/bin/python3 unless MLPERF_PYTHON names another interpreter.
# Every step prints one line; a failing step prints what failed, the command, and the fix, and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

APT_PACKAGES=(libopenblas-dev zlib1g-dev liblzma-dev pkg-config dataset-fashion-mnist python3-torch python3-venv
              python3-pil fonts-dejavu-core flite gnugo)
DATA_DIR="$ROOT/data/pkgs"
# package=version, then the extracted files (relative to data/pkgs/<package>/) and their SHA-256.
DATA_PACKAGES=("r-cran-dslabs=0.7.4-1" "r-cran-modeldata=1.1.0-1" "pocketsphinx-testdata=0.8+5prealpha+1-15"
               "libreoffice-help-en-us=4:7.4.7-1+deb12u14" "libreoffice-help-de=4:7.4.7-1+deb12u14")
DATA_SUMS="
r-cran-dslabs usr/lib/R/site-library/dslabs/data/Rdata.rdb 7f740c8802abcf5de56096417560b2d5be317c59f30d50c9d37548695952aa3b
r-cran-dslabs usr/lib/R/site-library/dslabs/data/Rdata.rdx 97e59cc21906407fe85a369cd92a765ea050e69346d4043545471972bd02a6b3
r-cran-modeldata usr/lib/R/site-library/modeldata/data/Rdata.rdb 2ecef5e8da0f782ae4e3f65d928fe769702accffd8981cc358a3097f6736f58f
r-cran-modeldata usr/lib/R/site-library/modeldata/data/Rdata.rdx c23e1be60f2730fb526ce158a307e154c91a953169fcb8e73350c4e032e14538
pocketsphinx-testdata usr/share/pocketsphinx/test/data/tidigits/dhd.2934z.raw 60c14412ad1412b83f37061e29c9e76f74cce0f90637debb8087f10cd559e552
pocketsphinx-testdata usr/share/pocketsphinx/test/data/goforward.raw f15c60ec54059d8b66e410d0064945a0b0a04ea56e1ddca1958e493c0cf70e71
libreoffice-help-en-us usr/share/libreoffice/help/en-US/text/shared/find_toolbar.html 578593fbcf3011067f35b215c45858146890869982748747bfb2e8a419d81b00
libreoffice-help-en-us usr/share/libreoffice/help/en-US/text/swriter/main0000.html abef7e7fe7004f75f6ac303a0cee8d7c5e8c80f1e7a6c57c0eb8291a886405e8
libreoffice-help-de usr/share/libreoffice/help/de/text/shared/find_toolbar.html 1eef93e55c47e238e5dabafdd21dc7951b3b35fc89edca892bb1958a4fad02e4
libreoffice-help-de usr/share/libreoffice/help/de/text/swriter/main0000.html 77cee9305d40a0977793caadae63a6c14f4a02a38149567e5e1c5d662b983193
"
BASE_PYTHON=/usr/bin/python3          # Debian's interpreter: the one python3-torch is built for
VENV="$ROOT/.venv"
VPY="$VENV/bin/python3"
REQUIREMENTS="$ROOT/requirements.txt"
STAMP="$VENV/.mlperf-setup"           # what the environment was built from (requirements hash, base interpreter)
LOG_DIR="$ROOT/.setup-logs"

# Any command that fails without a handler below still says where and what.
trap 'status=$?; echo "setup: FAILED (exit $status) at scripts/setup.sh:$LINENO: $BASH_COMMAND" >&2; exit $status' ERR

# fail STEP COMMAND FIX [LOG]: one clear failure report, then exit 1.
fail() {
  trap - ERR
  echo "setup: FAILED: $1" >&2
  echo "  command: $2" >&2
  echo "  fix:     $3" >&2
  if [ -n "${4:-}" ] && [ -s "$4" ]; then
    echo "  last lines of $4:" >&2
    tail -n 15 "$4" | sed 's/^/    | /' >&2
  fi
  exit 1
}

[ -r /etc/debian_version ] || fail "this is not a Debian system" "test -r /etc/debian_version" \
  "run on Debian 12 (bookworm), or install the packages listed in scripts/setup.sh by hand"
mkdir -p "$LOG_DIR"

# --- Debian packages -------------------------------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "installing Debian packages needs root" "apt-get install ${missing[*]}" \
      "run as root, or install them first: apt-get install ${missing[*]}"
    SUDO="sudo"
  fi
  log="$LOG_DIR/apt.log"
  $SUDO apt-get update >"$log" 2>&1 || fail "apt-get update could not read the Debian package lists" \
    "${SUDO:+$SUDO }apt-get update" "check that the Debian mirror in /etc/apt/sources.list is reachable, then run again" "$log"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
    fail "apt-get could not install ${missing[*]}" "${SUDO:+$SUDO }apt-get install -y --no-install-recommends ${missing[*]}" \
      "check that these Debian 12 packages exist and the mirror is reachable (apt-cache policy NAME)" "$log"
else
  echo "setup: Debian packages present"
fi

# --- data sets from Debian packages, unpacked, never installed ---------------------------------------------------
# data_ok PACKAGE: every listed file of PACKAGE is there with its SHA-256.
data_ok() {
  local ok=1 p file sum
  while read -r p file sum; do
    [ "$p" = "$1" ] || continue
    [ -r "$DATA_DIR/$p/$file" ] && [ "$(sha256sum "$DATA_DIR/$p/$file" | cut -d' ' -f1)" = "$sum" ] || return 1
    ok=0
  done <<<"$DATA_SUMS"
  return $ok
}
for spec in "${DATA_PACKAGES[@]}"; do
  pkg=${spec%%=*}
  if data_ok "$pkg"; then
    echo "setup: data $pkg present (checksums match)"
    continue
  fi
  echo "setup: apt-get download $spec, dpkg -x into data/pkgs/$pkg"
  log="$LOG_DIR/data-$pkg.log"
  tmp=$(mktemp -d)
  # apt-get download writes into the current directory; as root it warns about the _apt sandbox (harmless).
  (cd "$tmp" && apt-get download "$spec") >"$log" 2>&1 ||
    (cd "$tmp" && apt-get download "$pkg") >>"$log" 2>&1 ||
    fail "apt-get could not download $pkg (a data set)" "apt-get download $spec" \
      "check that the Debian mirror is reachable (apt-get update; apt-cache policy $pkg), then run again" "$log"
  rm -rf "${DATA_DIR:?}/$pkg"
  mkdir -p "$DATA_DIR/$pkg"
  dpkg -x "$tmp"/*.deb "$DATA_DIR/$pkg" >>"$log" 2>&1 ||
    fail "dpkg -x could not unpack $pkg" "dpkg -x $tmp/*.deb $DATA_DIR/$pkg" "see the log; remove data/pkgs/$pkg and run again" "$log"
  rm -rf "$tmp"
  data_ok "$pkg" || fail "the data files of $pkg do not have the expected SHA-256 (another package version?)" \
    "grep $pkg scripts/setup.sh (the files and sums), then sha256sum them under data/pkgs/$pkg/" \
    "the benchmarks are calibrated on $spec: install that version's files (apt-get download $spec), or update DATA_SUMS after recalibrating"
done

# --- the project's Python environment --------------------------------------------------------------------------
[ -x "$BASE_PYTHON" ] || fail "Debian's $BASE_PYTHON is missing" "test -x $BASE_PYTHON" "apt-get install python3"
[ -r "$REQUIREMENTS" ] || fail "$REQUIREMENTS is missing" "test -r $REQUIREMENTS" "restore it: git checkout requirements.txt"
want="requirements $(sha256sum "$REQUIREMENTS" | cut -d' ' -f1); base $($BASE_PYTHON -c 'import sys; print(sys.version.split()[0])')"

# The environment is current when its stamp matches and its interpreter still starts (a venv whose base
# interpreter was upgraded or removed does not).
if [ -x "$VPY" ] && [ -r "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && "$VPY" -c "" 2>/dev/null; then
  echo "setup: Python environment .venv current ($(grep -c "==" "$REQUIREMENTS") pinned packages)"
else
  log="$LOG_DIR/venv.log"
  if [ ! -x "$VPY" ] || ! "$VPY" -c "" 2>/dev/null; then
    echo "setup: creating the Python environment .venv from $BASE_PYTHON (with Debian's site packages)"
    rm -rf "$VENV"
    "$BASE_PYTHON" -m venv --system-site-packages "$VENV" >"$log" 2>&1 ||
      fail "could not create the Python environment $VENV" "$BASE_PYTHON -m venv --system-site-packages $VENV" \
        "apt-get install python3-venv, then run again" "$log"
  fi
  echo "setup: pip install -r requirements.txt into .venv (pinned versions)"
  log="$LOG_DIR/pip.log"
  if ! "$VPY" -m pip install --disable-pip-version-check --no-input --progress-bar off -r "$REQUIREMENTS" >"$log" 2>&1; then
    if grep -qiE "NewConnectionError|Temporary failure in name resolution|Network is unreachable|ConnectTimeout|Max retries exceeded|\(from versions: none\)" "$log"; then
      pkg=$(grep -oE "satisfies the requirement [^ ]+" "$log" | head -1 | cut -d' ' -f4)
      fix="pip found no version of ${pkg:-a package} at all: the package registry (PyPI) could not be reached, or pip's index settings point elsewhere (see: $VPY -m pip config list); check the network, then run again"
    elif grep -qiE "No matching distribution|Could not find a version" "$log"; then
      fix="a pinned version in requirements.txt is not available for $($BASE_PYTHON --version 2>&1) (the log lists the versions there are): change that pin"
    else
      fix="read the log above; the environment can be rebuilt from nothing with: rm -rf .venv && bash scripts/setup.sh"
    fi
    fail "pip could not install the pinned Python packages" "$VPY -m pip install -r requirements.txt" "$fix" "$log"
  fi
  echo "$want" >"$STAMP"
  export MLPERF_SETUP_BUILT=1
fi

# --- check that the environment is whole: every package imports, torch and numpy are Debian's ------------------
log="$LOG_DIR/check.log"
"$VPY" - >"$log" 2>&1 <<'EOF' || fail "the Python environment .venv is incomplete" "$VPY -c 'import ...'" \
  "rebuild it: rm -rf .venv && bash scripts/setup.sh (see the log for the package that failed)" "$log"
import importlib.util, sys
need = ["onnxruntime", "onnx", "mlperf_loadgen", "mlperf_logging", "rdata", "pycocotools", "jiwer", "torch", "numpy",
        "mlserver", "llama_cpp", "gguf"]
missing = [m for m in need if importlib.util.find_spec(m) is None]
if missing:
    sys.exit("missing modules: " + ", ".join(missing))
# Import the compiled ones: a wheel built against another numpy, or a broken install, fails here, not in a test
# (torch, which takes over a second, only right after the environment was built).
import os
import numpy, onnxruntime, mlperf_loadgen
if os.environ.get("MLPERF_SETUP_BUILT") == "1":
    import torch
if not numpy.__file__.startswith("/usr/lib/python3/"):
    sys.exit("numpy comes from %s, not Debian's python3-numpy: a pinned wheel pulled in another numpy, which "
             "breaks Debian's torch; pin numpy in requirements.txt to Debian's version" % numpy.__file__)
EOF
# --- text-detection: the pretrained detector from its wheel ------------------------------------------------------
MODEL_DIR="$ROOT/data/models"
DET_MODEL="$MODEL_DIR/ch_PP-OCRv4_det_infer.onnx"
DET_SUM=d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9
if [ -r "$DET_MODEL" ] && [ "$(sha256sum "$DET_MODEL" | cut -d' ' -f1)" = "$DET_SUM" ]; then
  echo "setup: model data/models/ch_PP-OCRv4_det_infer.onnx present (checksum matches)"
else
  echo "setup: pip download rapidocr-onnxruntime==1.4.4 (no install), extract its PP-OCRv4 detector into data/models"
  log="$LOG_DIR/det-model.log"
  tmp=$(mktemp -d)
  "$VPY" -m pip download --disable-pip-version-check --no-deps --no-input --progress-bar off -d "$tmp" \
    rapidocr-onnxruntime==1.4.4 >"$log" 2>&1 ||
    fail "pip could not download the rapidocr-onnxruntime wheel (the text detector's weights)" \
      "$VPY -m pip download --no-deps rapidocr-onnxruntime==1.4.4" "check that PyPI is reachable, then run again" "$log"
  mkdir -p "$MODEL_DIR"
  "$VPY" -c 'import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/rapidocr_onnxruntime-*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"))' "$tmp" "$DET_MODEL" >>"$log" 2>&1 ||
    fail "could not extract the detector from the wheel" \
      "unzip rapidocr_onnxruntime-1.4.4-py3-none-any.whl rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx" "see the log" "$log"
  rm -rf "$tmp"
  [ "$(sha256sum "$DET_MODEL" | cut -d' ' -f1)" = "$DET_SUM" ] ||
    fail "the extracted detector does not have the expected SHA-256" "sha256sum $DET_MODEL" \
      "remove data/models and run again; if it persists, the wheel on PyPI changed"
fi
# --- generated test sets: made once by our seeded scripts, checked by SHA-256 ----------------------------------------
# sums_ok DIR SUMS: every "file sha256" line of SUMS names a file of DIR with that SHA-256.
sums_ok() {
  local f sum
  while read -r f sum; do
    [ -r "$1/$f" ] && [ "$(sha256sum "$1/$f" | cut -d' ' -f1)" = "$sum" ] || return 1
  done <<<"$2"
}
# generated NAME SUMS DOING DIFFERS FIX SCRIPT [ARGS...]: data/generated/NAME is there with SUMS, or SCRIPT (run as
# `SCRIPT ARGS... data/generated/NAME`) makes it anew; DOING says what it does, DIFFERS and FIX what to do when the
# result has other sums.
generated() {
  local name=$1 sums=$2 doing=$3 differs=$4 fix=$5 script=$6
  shift 6
  local dir="$ROOT/data/generated/$name" log="$LOG_DIR/$name.log"
  if sums_ok "$dir" "$sums"; then
    echo "setup: data/generated/$name present (checksums match)"
    return
  fi
  echo "setup: $doing ($script, seeded)"
  rm -rf "$dir"
  "$VPY" "$ROOT/$script" "$@" "$dir" >"$log" 2>&1 ||
    fail "could not make data/generated/$name" "$VPY $script $* $dir" "see the log" "$log"
  sums_ok "$dir" "$sums" || fail "data/generated/$name differs from the calibrated set ($differs)" \
    "sha256sum data/generated/$name/*" "$fix"
}
generated text-detection "images.u8 cadab5ea85f739cd8d2d4e01f5645bcd41b2be8fb0b7b1568148b05e88845ba4
boxes.json 60f5e840ec126b74d2ef565d30bb0baf7e796cf47548dcc8f3fb9e53578462eb" \
  "rendering the text-detection images" "another Pillow, FreeType or font version?" \
  "use Debian 12's python3-pil 9.4 and fonts-dejavu-core 2.37; or re-measure TextDetectionBenchmark.referenceF1 and update the sums in scripts/setup.sh" \
  scripts/data/text_detection.py
generated object-detection "test.u8 0f59fc8b77df7772362c98bec13d931b6638fa7d48ceb16076068c4c028c5501
instances_test.json 1037489a31dcc4ee1cd6109cbf57acd69bdbf485682013242f7a067a93d209ac" \
  "drawing the object-detection test scenes" "another Pillow or numpy version?" \
  "use Debian 12's python3-pil 9.4 and python3-numpy 1.24; or recalibrate ObjectDetectionBenchmark.qualityTarget and update the sums in scripts/setup.sh" \
  scripts/data/object_detection.py /usr/share/datasets/fashion-mnist
generated speech "train.pcm 4675eafb12deafd7b3df52e1b2803635b8b3accde500a2ce91cea2cd77f2e6d4
train.json 4b9c53d652871f64563fdbc958f52b499eed4297299a359f82d2d0160458f661
test.pcm 1a92cd4539cd031b4e5eaf038714dc2013a6989ad70432d731510b25f6c2429a
test.json 93aac829cf11a264a34c6a8eceda865cfebbcea690db66650b4638672930de02" \
  "synthesising the speech corpus with flite (about a minute)" "another flite or numpy version?" \
  "use Debian 12's flite 2.2-5 and python3-numpy 1.24; or recalibrate SpeechBenchmark.qualityTarget and update the sums in scripts/setup.sh" \
  scripts/data/speech.py
generated tiny-llama "model.gguf a65cadb503e5fe927138b62ec7b00a2a6f81f4674061d2babb3221a37ed5f467
tokenizer.json 1a694eea741f919c31a1180624e2025a15806d88764529e71f417e5bf4ed8a8d
tokenizer_config.json 45f0fa4d3e1dc7f52c4f501ab37e0cc41617687d6e686579216df1c4018e6df2" \
  "writing the tiny random-weight Llama model the OpenAI-API server tests run" "another gguf or numpy version?" \
  "use gguf 0.19.0 from requirements.txt and Debian's python3-numpy 1.24; or update the sum in scripts/setup.sh" \
  references/servers/tiny_llama_gguf.py
HELP_DIR="$DATA_DIR/libreoffice-help-%s/usr/share/libreoffice/help/%s"
generated translation "train.jsonl 0917e107a2dbd92729bd316e9e17a0ce5147fe04169539d79f6f870e0ea62a9c
test.jsonl f66560d46e17ff3615e299a480ee2405a3330e5411d62badc2d9a44040e8ac40" \
  "aligning the English and German LibreOffice help pages into translation pairs" "another Python html.parser?" \
  "use Debian 12's python3 3.11; or recalibrate TranslationBenchmark.qualityTarget and update the sums in scripts/setup.sh" \
  scripts/data/translation.py "$(printf "$HELP_DIR" en-us en-US)" "$(printf "$HELP_DIR" de de)"
generated go "heldout.jsonl ac9605a730495f78e3fbac6b9477c921bd9911bd2a0d8c04f3a17b3816205a81
bootstrap.jsonl 5965865959d792c4c3f608b8e70c83b4c26de1e374beabb21b25aaaec109d57c" \
  "playing the 9x9 GnuGo games of the Go benchmark (11 minutes of CPU: about 6 on both cores)" "another GnuGo build?" \
  "use Debian 12's gnugo 3.8-11; or recalibrate GoBenchmark.qualityTarget and update the sums in scripts/setup.sh" \
  scripts/data/go.py

echo "setup: done (Python: $VPY)"

