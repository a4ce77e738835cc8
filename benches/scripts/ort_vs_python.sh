#!/usr/bin/env bash
# ort backend vs Python onnxruntime on the same ONNX file (SmolLM2-135M with a KV cache):
# prefill and decode tokens/s, same prompt ids, same thread count, alternating runs.
#   eval "$(bash scripts/models/install.sh)"; bash benches/scripts/ort_vs_python.sh [THREADS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${1:-1}"
ROUNDS="${2:-2}"
: "${KUBESCRIBE_SMOLLM2_ONNX:?run: eval \"\$(bash scripts/models/install.sh)\"}"
export RAYON_NUM_THREADS="$THREADS" BENCH_THREADS="$THREADS"
cargo bench -p kubescribe-benches --bench ort_tokens --no-run 2>/dev/null
for _ in $(seq "$ROUNDS"); do
  cargo bench -q -p kubescribe-benches --bench ort_tokens 2>/dev/null
  "$KUBESCRIBE_MODELS_PYTHON" scripts/models/ort_greedy.py "$KUBESCRIBE_SMOLLM2_ONNX" --bench \
    --prompt-len "${BENCH_PROMPT_LEN:-128}" --max-new "${BENCH_DECODE:-64}" --repeat "${BENCH_REPEAT:-3}" --threads "$THREADS"
done
