#!/usr/bin/env bash
# Installs the CUDA compiler and headers that candle's `cuda` feature needs at build time, from
# NVIDIA's PyPI wheels (no GPU, no driver, no system CUDA needed):
#   nvidia-cuda-nvcc (nvcc, ptxas, fatbinary), nvidia-nvvm (cicc, which nvcc runs),
#   nvidia-cuda-crt (crt/ headers), nvidia-cuda-runtime (cuda_runtime.h, libcudart_static.a),
#   nvidia-cuda-cccl (cub/thrust/libcu++ headers).
# Pinned to CUDA 13.0: the GPU machines we target run driver 580 (CUDA 13.0), and PTX written by
# a newer nvcc (13.1+) does not load on an older driver. The wheels are checked against sha256
# sums. They unpack into one toolkit-shaped tree, <cache>/13.0/nvidia/cu13/{bin,include,lib,nvvm}.
#
# Progress goes to stderr; stdout carries `export` lines, so use it as
#   eval "$(bash scripts/gpu/install-cuda-toolchain.sh)"
# which sets PATH (nvcc), CUDA_ROOT/CUDA_PATH/CUDA_HOME (cudarc's and cudaforge's search), the
# include dir, CUDARC_CUDA_VERSION=13000 (cudarc's API version, instead of parsing nvcc's banner)
# and CUDA_COMPUTE_CAP (candle-kernels compiles its PTX and static kernels for that one
# architecture instead of asking nvidia-smi, which a machine without a GPU lacks). The default,
# 90, is the H100/H200 (Hopper, sm_90); set CUDA_COMPUTE_CAP beforehand for another GPU (e.g. 80
# for A100, 89 for L4/RTX 40xx). Re-running reuses what is there; KUBESCRIBE_CUDA_CACHE picks
# the directory (default ~/.cache/kubescribe-cuda).
set -euo pipefail
CACHE="${KUBESCRIBE_CUDA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-cuda}"
CUDA_VERSION=13.0
DIR="$CACHE/$CUDA_VERSION"
ROOT="$DIR/nvidia/cu13"
# name==version sha256 (manylinux x86_64 wheels)
WHEELS=(
  "nvidia-cuda-nvcc==13.0.88 56fe502eb77625a12f25172caa3cdddb4e4c8ba2c8c17dba44b164761b380f03"
  "nvidia-nvvm==13.0.88 c5f41ffeb6466944a026dfa5317d7d85355c119bbec279205d22f1869d1054e0"
  "nvidia-cuda-crt==13.0.88 2c8043c7c9e02492716426e9919fc78d2c5b3b2a7a768a88e952676b08aa55a4"
  "nvidia-cuda-runtime==13.0.96 7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548"
  "nvidia-cuda-cccl==13.0.85 e0da7ad981f3a8aff08241b5bfc1af868742a63e2762f53a5171c492ef242649"
)
if [ "$(uname -m)" != x86_64 ]; then
  echo "install-cuda-toolchain: only x86_64 wheels are pinned (this is $(uname -m))" >&2
  exit 1
fi
if [ ! -x "$ROOT/bin/nvcc" ] || [ ! -f "$DIR/.complete" ]; then
  echo "== cuda: NVIDIA CUDA $CUDA_VERSION compiler + headers from PyPI -> $DIR" >&2
  rm -rf "$DIR"
  mkdir -p "$DIR/wheels"
  REQ="$DIR/wheels/requirements.txt"
  : >"$REQ"
  for w in "${WHEELS[@]}"; do
    echo "${w%% *} --hash=sha256:${w##* }" >>"$REQ"
  done
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$REQ" -d "$DIR/wheels" >&2
  python3 - "$DIR" "$DIR"/wheels/*.whl <<'PYEOF'
import sys, zipfile
dest = sys.argv[1]
for whl in sys.argv[2:]:
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            path = z.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                import os
                os.chmod(path, mode)
PYEOF
  rm -rf "$DIR/wheels"
  touch "$DIR/.complete"
fi
if ! "$ROOT/bin/nvcc" --version | grep -q "release $CUDA_VERSION,"; then
  echo "install-cuda-toolchain: $ROOT/bin/nvcc is not CUDA $CUDA_VERSION" >&2
  "$ROOT/bin/nvcc" --version >&2 || true
  exit 1
fi
echo "export PATH='$ROOT/bin':\"\$PATH\""
echo "export CUDA_ROOT='$ROOT'"
echo "export CUDA_PATH='$ROOT'"
echo "export CUDA_HOME='$ROOT'"
echo "export CUDA_INCLUDE_DIR='$ROOT/include'"
echo "export CUDARC_CUDA_VERSION=13000"
echo "export CUDA_COMPUTE_CAP='${CUDA_COMPUTE_CAP:-90}'"
