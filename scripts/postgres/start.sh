#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server from the distribution's package for the store tests and
# for trying `--store postgres://...`: initdb in a temporary folder, run by an unprivileged user
# (when started as root: the system user `kubescribe-pg`, created if missing), listening on
# 127.0.0.1 only, on a free port, trust authentication (loopback only), database `kubescribe`.
#
# Usage: scripts/postgres/start.sh [STATE_DIR]     (default: a new folder under ${TMPDIR:-/tmp})
# Prints:  KUBESCRIBE_PG_URL=postgres://kubescribe@127.0.0.1:PORT/kubescribe
#          KUBESCRIBE_PG_STATE=STATE_DIR          (scripts/postgres/stop.sh STATE_DIR stops it)
# Env:     PG_BIN (default: the newest /usr/lib/postgresql/*/bin, else initdb on PATH),
#          PG_PORT (default: a free port), PG_USER (default: kubescribe-pg when root),
#          PG_SERVER_OPTIONS (more server settings, e.g. "-c shared_buffers=512MB -c max_wal_size=4GB")
set -euo pipefail
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$PG_BIN" ] && command -v initdb >/dev/null; then PG_BIN=$(dirname "$(command -v initdb)"); fi
fi
if [ -z "${PG_BIN:-}" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
  echo "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql, or set PG_BIN" >&2
  exit 1
fi
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/kubescribe-pg.XXXXXX")}
# a server left in that folder by an earlier run is stopped first (stop.sh removes the folder)
[ -d "$W/data" ] && "$(dirname "$0")/stop.sh" "$W"
mkdir -p "$W"
PORT=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

as_user=()
if [ "$(id -u)" = 0 ]; then
  U=${PG_USER:-kubescribe-pg}
  if ! id "$U" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$U" 2>/dev/null \
      || { echo "cannot create user $U; using nobody" >&2; U=nobody; }
  fi
  chown "$U" "$W"
  as_user=(runuser -u "$U" --)
fi
chmod 700 "$W"
"${as_user[@]}" "$PG_BIN/initdb" -D "$W/data" -U kubescribe --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$W/initdb.log" 2>&1 || { cat "$W/initdb.log" >&2; exit 1; }
"${as_user[@]}" "$PG_BIN/pg_ctl" -D "$W/data" -l "$W/server.log" -w -t 60 start \
  -o "-p $PORT -k $W -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_SERVER_OPTIONS:-}" >/dev/null \
  || { cat "$W/server.log" >&2; exit 1; }
echo "$PG_BIN" > "$W/pg_bin"
"$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U kubescribe -d postgres -qAt \
  -c "CREATE DATABASE kubescribe" >/dev/null
echo "KUBESCRIBE_PG_URL=postgres://kubescribe@127.0.0.1:$PORT/kubescribe"
echo "KUBESCRIBE_PG_STATE=$W"
