#!/usr/bin/env bash
# An OpenAI-compatible server for the bundled SmolLM2-135M: llama.cpp's, as PyPI's
# `llama-cpp-python[server]` ships it (PyPI has its source only: pip builds llama.cpp with the
# cmake wheel from PyPI and the machine's C/C++ compiler, about 15-30 minutes on 2 cores, once;
# the venv is reused after that).
#
#   eval "$(bash scripts/models/openai_server.sh start)"   # exports KUBESCRIBE_OPENAI_URL, _CTX
#   kubescribe generate --intent-file examples/intents/nginx-www.json \
#       --backend openai --model "$KUBESCRIBE_OPENAI_URL" --model-name smollm2-135m --schema-field json-object \
#       --context-window "$KUBESCRIBE_OPENAI_CTX"
#   bash scripts/models/openai_server.sh stop
#
# `--schema-field json-object`: llama-cpp-python's server takes `response_format` only as `text`
# or `json_object` (with `schema`), and compiles that schema to its own GBNF grammar.
#
# `start` installs what is missing, starts the server on a free port of 127.0.0.1 with the GGUF
# of scripts/models/install.sh (KUBESCRIBE_SMOLLM2_GGUF, else install.sh is run), one thread
# (KUBESCRIBE_OPENAI_THREADS), the model's 8,192-token context (KUBESCRIBE_OPENAI_CTX: the longest
# policies, Cilium's "deny ICMP" listing every ICMP type, need ~4,300 tokens of answer), waits until /v1/models answers and prints
# `export` lines on stdout (progress on stderr). `stop` ends the server it started (its pid is
# kept in the models directory). The server's log: $HOME_DIR/openai-server.log.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HOME_DIR="${KUBESCRIBE_MODELS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-models}"
VENV="$HOME_DIR/llamacpp-venv"
PIDFILE="$HOME_DIR/openai-server.pid"
LOG="$HOME_DIR/openai-server.log"
LLAMA_CPP_PYTHON_VERSION=0.3.36
MODEL_NAME="${KUBESCRIBE_OPENAI_MODEL_NAME:-smollm2-135m}"

install() {
  if "$VENV/bin/python" -c "import llama_cpp.server, uvicorn, sse_starlette" 2>/dev/null; then
    return
  fi
  echo "== openai server: building llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION into $VENV (llama.cpp from source, once)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >&2
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" CMAKE_ARGS="${CMAKE_ARGS:--DLLAMA_CURL=OFF}" \
    "$VENV/bin/pip" install -q "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" >&2
}

stop() {
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      echo "== openai server: stopped (pid $pid)" >&2
    fi
    rm -f "$PIDFILE"
  fi
}

start() {
  mkdir -p "$HOME_DIR"
  install
  if [ -z "${KUBESCRIBE_SMOLLM2_GGUF:-}" ]; then
    eval "$(bash "$HERE/install.sh")"
  fi
  stop
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "== openai server: $KUBESCRIBE_SMOLLM2_GGUF on 127.0.0.1:$port (log $LOG)" >&2
  nohup "$VENV/bin/python" -m llama_cpp.server --model "$KUBESCRIBE_SMOLLM2_GGUF" \
    --model_alias "$MODEL_NAME" --host 127.0.0.1 --port "$port" \
    --n_threads "${KUBESCRIBE_OPENAI_THREADS:-1}" --n_threads_batch "${KUBESCRIBE_OPENAI_THREADS:-1}" \
    --n_ctx "${KUBESCRIBE_OPENAI_CTX:-8192}" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if python3 -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/v1/models', timeout=2)" 2>/dev/null; then
      echo "export KUBESCRIBE_OPENAI_URL='http://127.0.0.1:$port/v1'"
      echo "export KUBESCRIBE_OPENAI_MODEL_NAME='$MODEL_NAME'"
      # the server's context, for `--context-window` (its /models does not say it)
      echo "export KUBESCRIBE_OPENAI_CTX='${KUBESCRIBE_OPENAI_CTX:-8192}'"
      return
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      echo "== openai server: exited; its log:" >&2
      tail -20 "$LOG" >&2
      exit 1
    fi
    sleep 1
  done
  echo "== openai server: no answer on 127.0.0.1:$port after 120 s" >&2
  stop
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  install) install ;;
  *) echo "usage: $0 start|stop|install" >&2; exit 2 ;;
esac
