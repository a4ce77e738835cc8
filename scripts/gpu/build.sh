#!/usr/bin/env bash
# Builds (or checks) kubescribe with candle's `cuda` feature on a machine without a GPU, such
# that the binary loads the CUDA libraries at run time: one binary runs with or without a GPU.
#
#   bash scripts/gpu/build.sh check   # cargo check of kubescribe-infer + kubescribe-cli (CI)
#   bash scripts/gpu/build.sh build   # release: target/cuda/release/kubescribe and
#                                     # target/cuda/release/examples/decode_speed (the GPU check's)
#
# Why not plain `cargo build --features cuda`: candle-core 0.11.1 asks cudarc for
# `dynamic-linking`, and candle-kernels links libcudart dynamically, so that binary needs
# libcuda.so.1, libcublas.so.13, libnvrtc.so.13, ... to *start* (and to link: the driver's
# libcuda and cuBLAS at build time). Upstream has the fix open (huggingface/candle#3900, #3916).
# Until a release has it, this script builds from a copy of the workspace (tracked and
# untracked-not-ignored files; the checkout and its Cargo.lock stay untouched) with a
# [patch.crates-io] of two crates copied from cargo's registry and changed in two places:
#   - candle-core: cudarc's `dynamic-linking` -> `fallback-dynamic-loading` (cudarc dlopens the
#     driver, NVRTC, cuBLAS(Lt) and cuRAND when a GPU is first used);
#   - candle-kernels: its statically compiled quantized/MoE kernels link `cudart_static` (which
#     itself loads the driver at run time) instead of libcudart.so.
# The build fails if either edit no longer applies (a new candle version: drop this then).
#
# Needs: nvcc + headers (scripts/gpu/install-cuda-toolchain.sh, run from here), cargo.
# CUDA_COMPUTE_CAP (default 90: H100/H200) picks the GPU architecture the kernels are built for.
# CARGO_TARGET_DIR defaults to <repo>/target/cuda. candle-kernels' nvcc work (~10 of the ~13
# minutes of a cold `check` on 2 cores) is redone only when its sources or CUDA_COMPUTE_CAP change.
set -euo pipefail
MODE="${1:-build}"
case "$MODE" in check|build) ;; *) echo "usage: $0 check|build" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
eval "$(bash "$ROOT/scripts/gpu/install-cuda-toolchain.sh")"
export CARGO_INCREMENTAL=0
TARGET="${CARGO_TARGET_DIR:-$ROOT/target/cuda}"
export CARGO_TARGET_DIR="$TARGET"
STAGE="$TARGET/stage"
mkdir -p "$STAGE"

echo "== gpu: patched candle-core / candle-kernels (cudarc loaded at run time)" >&2
PATCHED="$STAGE/patched"
python3 - "$ROOT" "$PATCHED" <<'PYEOF'
import json, os, re, shutil, subprocess, sys
root, out = sys.argv[1], sys.argv[2]
meta = json.loads(subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--locked", "--features", "kubescribe-infer/cuda",
     "--manifest-path", os.path.join(root, "Cargo.toml")],
    check=True, capture_output=True, text=True).stdout)
src = {p["name"]: os.path.dirname(p["manifest_path"]) for p in meta["packages"]
       if p["name"] in ("candle-core", "candle-kernels") and p["source"]}
versions = {p["name"]: p["version"] for p in meta["packages"] if p["name"] in src}
assert set(src) == {"candle-core", "candle-kernels"}, src

def copy(name, edits):
    """The registry's sources with `edits` ({file: (old, new)}), written only where they differ
    from the copy already there: cargo rebuilds a path crate whose files are newer."""
    dst = os.path.join(out, f"{name}-{versions[name]}")
    want = {}
    for d, _, files in os.walk(src[name]):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), src[name])
            want[rel] = open(os.path.join(d, f), "rb").read()
    for rel, (old, new) in edits.items():
        text = want[rel].decode()
        if text.count(old) != 1:
            sys.exit(f"scripts/gpu/build.sh: {name}/{rel}: expected one {old!r} to replace, found "
                     f"{text.count(old)} (a new candle version? check whether it loads CUDA at "
                     "run time by itself and drop the patch)")
        want[rel] = text.replace(old, new).encode()
    for rel, data in want.items():
        path = os.path.join(dst, rel)
        if os.path.isfile(path) and open(path, "rb").read() == data:
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if rel not in edits:
            shutil.copystat(os.path.join(src[name], rel), path)
    return dst

# only the cudarc dependency's feature list names dynamic-linking
core = copy("candle-core", {"Cargo.toml": ('"dynamic-linking",', '"fallback-dynamic-loading",')})
kernels = copy("candle-kernels", {"build.rs": ('println!("cargo:rustc-link-lib=dylib=cudart");',
     'if let Ok(root) = env::var("CUDA_ROOT") { println!("cargo:rustc-link-search=native={root}/lib"); }\n'
     '    println!("cargo:rerun-if-env-changed=CUDA_ROOT");\n'
     '    println!("cargo:rustc-link-lib=static=cudart_static");\n'
     '    println!("cargo:rustc-link-lib=dylib=dl");\n'
     '    println!("cargo:rustc-link-lib=dylib=rt");')})
with open(os.path.join(out, "patch.toml"), "w") as f:
    f.write("[patch.crates-io]\n")
    f.write(f'candle-core = {{ path = "{core}" }}\n')
    f.write(f'candle-kernels = {{ path = "{kernels}" }}\n')
PYEOF

echo "== gpu: workspace copy in $STAGE/ws" >&2
WS="$STAGE/ws"
mkdir -p "$WS"
# Mirror the checkout's files (only changed ones are rewritten, so cargo's fingerprints hold).
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) | python3 -c '
import os, shutil, sys
root, ws = sys.argv[1], sys.argv[2]
keep = set()
for rel in sys.stdin.buffer.read().decode().split("\0"):
    src = os.path.join(root, rel)
    if not rel or not os.path.isfile(src):
        continue
    keep.add(rel)
    dst = os.path.join(ws, rel)
    if os.path.isfile(dst) and open(src, "rb").read() == open(dst, "rb").read():
        continue
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst)
for d, _, files in os.walk(ws):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), ws)
        if rel not in keep and rel != "Cargo.lock":
            os.remove(os.path.join(d, f))
' "$ROOT" "$WS"
cp "$ROOT/Cargo.lock" "$WS/Cargo.lock"
cat "$PATCHED/patch.toml" >>"$WS/Cargo.toml"
cd "$WS"
START=$(date +%s)
if [ "$MODE" = check ]; then
  cargo check -p kubescribe-infer -p kubescribe-cli --all-targets --features kubescribe-cli/cuda
  echo "== gpu: cargo check --features cuda took $(( $(date +%s) - START )) s" >&2
  exit 0
fi
cargo build --release -p kubescribe-cli -p kubescribe-infer --bin kubescribe \
  --example decode_speed --features kubescribe-cli/cuda,kubescribe-infer/cuda
echo "== gpu: cargo build --release --features cuda took $(( $(date +%s) - START )) s" >&2
for BIN in "$TARGET/release/kubescribe" "$TARGET/release/examples/decode_speed"; do
  # The point of the patch: nothing of CUDA is needed to start.
  if readelf -d "$BIN" | grep NEEDED | grep -E -i 'cuda|cublas|nvrtc|curand'; then
    echo "scripts/gpu/build.sh: $BIN links CUDA libraries at start (see above)" >&2
    exit 1
  fi
  strip -o "$STAGE/stripped" "$BIN"
  STRIPPED=$(wc -c <"$STAGE/stripped")
  echo "$BIN: $(( STRIPPED / 1048576 )) MiB stripped; needs $(readelf -d "$BIN" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')" >&2
done
"$TARGET/release/kubescribe" --version >&2
echo "$TARGET/release/kubescribe"
