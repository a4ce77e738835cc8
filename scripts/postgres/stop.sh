#!/usr/bin/env bash
# Stops the server scripts/postgres/start.sh started in STATE_DIR and removes the folder.
# Usage: scripts/postgres/stop.sh STATE_DIR      (start.sh printed it as KUBESCRIBE_PG_STATE)
set -uo pipefail
W=${1:?usage: scripts/postgres/stop.sh STATE_DIR}
[ -d "$W/data" ] || { rm -rf "$W"; exit 0; }
PG_BIN=$(cat "$W/pg_bin" 2>/dev/null || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
OWNER=$(stat -c %U "$W/data")
if [ "$(id -u)" = 0 ] && [ "$OWNER" != root ]; then
  runuser -u "$OWNER" -- "$PG_BIN/pg_ctl" -D "$W/data" -m fast -w stop >/dev/null 2>&1 || true
else
  "$PG_BIN/pg_ctl" -D "$W/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$W"
