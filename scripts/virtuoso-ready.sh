#!/usr/bin/env bash
# Wait until a Virtuoso started by virtuoso-start.sh is ready: its own log says "Server online at"
# (so that another server on the port cannot answer for it) and /sparql answers an ASK.
#   VIRT_LOG=... VIRT_PID=... VIRT_HTTP_PORT=... [VIRT_TIMEOUT=120] ./virtuoso-ready.sh
set -uo pipefail
: "${VIRT_LOG:?}" "${VIRT_PID:?}" "${VIRT_HTTP_PORT:?}"
deadline=$(( $(date +%s) + ${VIRT_TIMEOUT:-120} ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if ! kill -0 "$VIRT_PID" 2>/dev/null; then
    echo "virtuoso-t exited early; log:" >&2; cat "$VIRT_LOG" >&2; exit 1
  fi
  if grep -q "Server online at" "$VIRT_LOG"; then
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$VIRT_HTTP_PORT/sparql?query=ASK%7B%7D" || true)
    if [ "$code" = "200" ]; then exit 0; fi
  fi
  sleep 0.5
done
echo "virtuoso not ready after ${VIRT_TIMEOUT:-120}s; log:" >&2; tail -50 "$VIRT_LOG" >&2
exit 1
