#!/usr/bin/env bash
# Stops a cluster started by scripts/postgres-start.sh: SIGINT (PostgreSQL's fast shutdown) to the
# server's pid from DIR/pid, waits up to 30 s for it to exit (then SIGQUIT, then SIGKILL), and removes
# DIR. Safe to call twice and on a folder whose server never started.
set -uo pipefail
dir=${1:?usage: postgres-stop.sh DIR}
[ -d "$dir" ] || exit 0
if [ -f "$dir/pid" ]; then
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -QUIT "$pid" 2>/dev/null; sleep 2; fi
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
    echo "postgres-stop: stopped the server (pid $pid)" >&2
  fi
fi
rm -rf "$dir"
