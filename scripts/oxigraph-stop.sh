#!/usr/bin/env bash
# Stop an Oxigraph server started by oxigraph-start.sh, by its PID only.
#   OXI_DIR=... ./oxigraph-stop.sh [--rm]     (--rm also deletes OXI_DIR)
set -uo pipefail
: "${OXI_DIR:?set OXI_DIR}"
PID=$(cat "$OXI_DIR/oxigraph.pid" 2>/dev/null || true)
if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
  echo "stopped oxigraph pid $PID" >&2
fi
rm -f "$OXI_DIR/oxigraph.pid"
if [ "${1:-}" = "--rm" ]; then rm -rf "$OXI_DIR"; fi
