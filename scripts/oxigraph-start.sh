#!/usr/bin/env bash
# Start Oxigraph's SPARQL server (PyPI package "oxigraph") on loopback with its store in a (temp)
# directory, wait until /query answers, and print OXI_* assignments for eval.
#   [OXIGRAPH=oxigraph] [OXI_DIR=...] [OXI_PORT=17878] eval "$(./oxigraph-start.sh)"
# It has no authentication at all: keep it on loopback.
set -euo pipefail
OXIGRAPH=${OXIGRAPH:-oxigraph}
OXI_DIR=${OXI_DIR:-$(mktemp -d /tmp/oxigraph.XXXXXX)}
OXI_PORT=${OXI_PORT:-17878}
if (exec 3<>"/dev/tcp/127.0.0.1/$OXI_PORT") 2>/dev/null; then
  echo "port $OXI_PORT on 127.0.0.1 is already in use" >&2; exit 1
fi
mkdir -p "$OXI_DIR/db"
"$OXIGRAPH" serve --location "$OXI_DIR/db" --bind "127.0.0.1:$OXI_PORT" > "$OXI_DIR/server.log" 2>&1 < /dev/null &
OXI_PID=$!
echo "$OXI_PID" > "$OXI_DIR/oxigraph.pid"
if ! OXI_PID=$OXI_PID OXI_PORT=$OXI_PORT OXI_LOG="$OXI_DIR/server.log" "$(dirname "$0")/oxigraph-ready.sh"; then
  kill "$OXI_PID" 2>/dev/null || true; exit 1
fi
cat <<OUT
OXI_DIR=$OXI_DIR
OXI_PID=$OXI_PID
OXI_PORT=$OXI_PORT
OUT
