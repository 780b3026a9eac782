#!/usr/bin/env bash
# Wait until the Oxigraph server with this PID answers an ASK on /query.
#   OXI_PID=... OXI_PORT=... [OXI_LOG=...] [OXI_TIMEOUT=30] ./oxigraph-ready.sh
set -uo pipefail
: "${OXI_PID:?}" "${OXI_PORT:?}"
deadline=$(( $(date +%s) + ${OXI_TIMEOUT:-30} ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if ! kill -0 "$OXI_PID" 2>/dev/null; then
    echo "oxigraph exited early" >&2; [ -n "${OXI_LOG:-}" ] && cat "$OXI_LOG" >&2; exit 1
  fi
  if curl -sf -o /dev/null "http://127.0.0.1:$OXI_PORT/query?query=ASK%7B%7D"; then exit 0; fi
  sleep 0.2
done
echo "oxigraph not ready after ${OXI_TIMEOUT:-30}s" >&2
exit 1
