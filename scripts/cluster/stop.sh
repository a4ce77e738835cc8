#!/usr/bin/env bash
# Stops what scripts/cluster/start.sh started (by the process ids it recorded).
# Usage: scripts/cluster/stop.sh [STATE_DIR]
CACHE=${KUBESCRIBE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-cluster}
W=${1:-$CACHE/state}
for p in apiserver etcd; do
  if [ -f "$W/$p.pid" ]; then
    pid=$(cat "$W/$p.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$W/$p.pid"
  fi
done
