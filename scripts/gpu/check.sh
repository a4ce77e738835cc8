#!/usr/bin/env bash
# The prepared GPU check (docs/gpu.md): candle on CUDA against transformers on random models of
# SmolLM2-135M's and DeepSeek-Coder-6.7B's shapes. Two steps, on two machines:
#
#   bash scripts/gpu/check.sh prepare [--cpu]
#       Here, where Rust and the network are: builds the `cuda` binaries (scripts/gpu/build.sh;
#       --cpu: the default CPU build instead, to try the check on this machine) and fills .gpu/
#       (ignored by git): bin/decode_speed.xz and bin/kubescribe.xz (stripped, xz: the cuda
#       builds are ~100 MiB each with their GPU kernels, ~18 MiB compressed), the
#       bundled SmolLM2 tokenizer and its config.json (scripts/models/install.sh). Prints what
#       travels: the working tree and .gpu/ must stay under the device machine's 64 MiB.
#
#   bash scripts/gpu/check.sh run [check.py options: --device cuda[:N]|cpu, --steps, --batch,
#                                  --shapes, --out-dir DIR]
#       There, with PyTorch and transformers and no Rust or network (PYTHON picks the
#       interpreter, default python3): unpacks .gpu/ to a temp folder and runs
#       scripts/gpu/check.py, which prints the tables (and writes them to --out-dir).
#       On the device tool: command `bash scripts/gpu/check.sh run --out-dir $OUT`, carry [".gpu"].
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PAYLOAD="${KUBESCRIBE_GPU_PAYLOAD:-$ROOT/.gpu}"
MODE="${1:-run}"
[ $# -gt 0 ] && shift

case "$MODE" in
prepare)
  CPU=0
  [ "${1:-}" = --cpu ] && CPU=1
  if [ "$CPU" = 1 ]; then
    (cd "$ROOT" && CARGO_INCREMENTAL=0 cargo build --release -p kubescribe-cli -p kubescribe-infer \
      --bin kubescribe --example decode_speed) >&2
    BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
  else
    bash "$ROOT/scripts/gpu/build.sh" build >&2
    BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target/cuda}/release"
  fi
  eval "$(bash "$ROOT/scripts/models/install.sh")"
  rm -rf "$PAYLOAD"
  mkdir -p "$PAYLOAD/bin" "$PAYLOAD/tokenizer"
  for b in examples/decode_speed kubescribe; do
    strip -o "$PAYLOAD/bin/$(basename "$b")" "$BIN_DIR/$b"
    xz -6 -T2 "$PAYLOAD/bin/$(basename "$b")"
  done
  cp "$KUBESCRIBE_SMOLLM2_HF/tokenizer.json" "$KUBESCRIBE_SMOLLM2_HF/tokenizer_config.json" \
    "$PAYLOAD/tokenizer/"
  cp "$KUBESCRIBE_SMOLLM2_HF/config.json" "$PAYLOAD/smollm2-config.json"
  if [ "$CPU" = 1 ]; then echo cpu >"$PAYLOAD/BUILD"; else echo cuda >"$PAYLOAD/BUILD"; fi
  # What the device tool sends: tracked and untracked-not-ignored files, and the carried .gpu/.
  TREE=$(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  GPU=$(du -sb "$PAYLOAD" | cut -f1)
  MIB=$(( (TREE + GPU) / 1048576 ))
  du -h "$PAYLOAD"/bin/* "$PAYLOAD"/tokenizer/* >&2
  echo "gpu check payload: $PAYLOAD ($(( GPU / 1048576 )) MiB) + working tree $(( TREE / 1048576 )) MiB = $MIB MiB of the 64 MiB that travel" >&2
  if [ "$MIB" -ge 64 ]; then
    echo "check.sh: over the 64 MiB the device machine takes" >&2
    exit 1
  fi
  echo "next, on the GPU machine: bash scripts/gpu/check.sh run --out-dir DIR   (carry .gpu)" >&2
  ;;
run)
  PY="${PYTHON:-python3}"
  if [ ! -f "$PAYLOAD/BUILD" ]; then
    echo "check.sh: no payload in $PAYLOAD: run 'bash scripts/gpu/check.sh prepare' where Rust is" >&2
    exit 2
  fi
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$WORK/payload/bin"
  cp -r "$PAYLOAD/tokenizer" "$PAYLOAD/smollm2-config.json" "$WORK/payload/"
  for xz in "$PAYLOAD"/bin/*.xz; do
    b="$WORK/payload/bin/$(basename "$xz" .xz)"
    # Python's lzma: the GPU machine may have no xz tool
    "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$xz" "$b"
    chmod +x "$b"
  done
  echo "check.sh: $(cat "$PAYLOAD/BUILD") build; $("$WORK/payload/bin/kubescribe" --version 2>/dev/null || true)" >&2
  export PYTHONUNBUFFERED=1
  "$PY" "$ROOT/scripts/gpu/check.py" --payload "$WORK/payload" --work "$WORK/models" "$@"
  ;;
*)
  echo "usage: $0 prepare [--cpu] | run [check.py options]" >&2
  exit 2
  ;;
esac
