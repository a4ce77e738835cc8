#!/usr/bin/env bash
# Installs what the model study's fine-tuning needs (issue 25), offline once done:
#   - OpenBLAS for Debian's torch (apt `libopenblas0-pthread`): python3-torch links the generic
#     libblas.so.3, which is the reference BLAS (~5 GFLOPS on this VM) until OpenBLAS provides it
#     (~70 GFLOPS); training is 15x slower without it;
#   - Debian's CPU torch (apt `python3-torch` 1.13; PyPI's torch brings ~3 GB of CUDA wheels and the
#     PyTorch CPU index is out of reach, as in .ci/run);
#   - a venv with the system site packages and pinned PyPI packages: transformers 4.46.3 (the last
#     to take torch 1.13), peft 0.13.2 and accelerate 1.1.1 with --no-deps (they ask torch>=1.13.0,
#     which Debian's 1.13.0a0 does not satisfy by version, so pip would fetch a CUDA torch),
#     safetensors, numpy 1.26 (torch 1.13 is built against NumPy 1), matplotlib (the report's
#     plots), pyyaml, jinja2 3.1 (chat templates; Debian's is too old for transformers);
#   - the kubescribe Python module (KUBESCRIBE_WHEEL, else built with maturin);
#   - the models of scripts/models/install.sh (SmolLM2-135M-Instruct: GGUF, f32 HF dir, ONNX).
# stdout carries `export` lines:  eval "$(bash scripts/study/install.sh)"
# Re-running reuses what is there. KUBESCRIBE_STUDY_HOME picks the directory.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HOME_DIR="${KUBESCRIBE_STUDY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-study}"
VENV="$HOME_DIR/venv"
PY="$VENV/bin/python"
mkdir -p "$HOME_DIR"
need_apt=()
/usr/bin/python3 -c "import torch" 2>/dev/null || need_apt+=(python3-torch python3-venv)
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || [ -e /usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3 ] || need_apt+=(libopenblas0-pthread)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== study: apt-get install ${need_apt[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi
if ! "$PY" -c "import numpy, torch, transformers, peft, accelerate, safetensors, matplotlib, yaml, jinja2; assert numpy.__version__ == '1.26.4' and jinja2.__version__ == '3.1.4' and transformers.__version__ == '4.46.3' and peft.__version__ == '0.13.2'" 2>/dev/null; then
  echo "== study: creating $VENV" >&2
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "transformers==4.46.3" "safetensors>=0.4.3" \
    "numpy==1.26.4" "matplotlib==3.9.2" "pyyaml>=6" "jinja2==3.1.4" psutil >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "peft==0.13.2" "accelerate==1.1.1" >&2
fi
# The kubescribe module (canonical YAML, scores, simulation of the study's answers): the wheel in
# KUBESCRIBE_WHEEL when given (.ci/run passes the one it built), else built with maturin as .ci/run
# builds it (the dev profile; minutes on 2 cores the first time).
if [ -n "${KUBESCRIBE_WHEEL:-}" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall "$KUBESCRIBE_WHEEL" >&2
elif ! "$PY" -c "import kubescribe" 2>/dev/null; then
  ROOT="$(cd "$HERE/../.." && pwd)"
  BUILD_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-py/build-venv"
  if [ ! -x "$BUILD_VENV/bin/maturin" ]; then
    python3 -m venv "$BUILD_VENV"
    "$BUILD_VENV/bin/pip" install -q --disable-pip-version-check "maturin==1.16.0" >&2
  fi
  WHEELS=$(mktemp -d)
  echo "== study: building the kubescribe wheel (maturin)" >&2
  "$BUILD_VENV/bin/maturin" build -q -m "$ROOT/kubescribe-py/Cargo.toml" -o "$WHEELS" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$WHEELS"/kubescribe-*.whl >&2
  rm -rf "$WHEELS"
fi
# The models (GGUF, f32 HF dir, ONNX) and ORT_DYLIB_PATH.
bash "$HERE/../models/install.sh"
echo "export KUBESCRIBE_STUDY_PYTHON='$PY'"
echo "export KUBESCRIBE_STUDY_HOME='$HOME_DIR'"
