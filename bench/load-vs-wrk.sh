#!/usr/bin/env bash
# `braid load` (closed model) against wrk on the same trivial endpoint, same connections, same run
# (issue 15; the goal is >= 0.8x wrk's requests per second). The server (bench/Braid.LoadTarget, GET /
# answers "ok") is pinned to one core and the generator to another with taskset, so they do not share a
# core; rounds alternate wrk and braid. Client CPU per request: wrk's from /usr/bin/time over its whole
# run; braid's from its JSON (the measured part, after its warm-up) and from /usr/bin/time (the whole
# process, start-up and JIT included). Prints the load average before and after: figures measured on a
# busy machine are provisional.
#
#   bash scripts/setup-wrk.sh            # once
#   bash bench/load-vs-wrk.sh            # CONNECTIONS=50 DURATION=10 ROUNDS=3 SERVER_CPU=0 CLIENT_CPU=1
set -euo pipefail
cd "$(dirname "$0")/.."

connections=${CONNECTIONS:-50}
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}

command -v wrk >/dev/null || { echo "load-vs-wrk: wrk not found; run scripts/setup-wrk.sh" >&2; exit 2; }
dotnet build bench/Braid.LoadTarget -c Release -v q -nologo >/dev/null
dotnet build src/Braid.Cli -c Release -v q -nologo >/dev/null
braid=src/Braid.Cli/bin/Release/net10.0/braid

work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

taskset -c "$server_cpu" dotnet bench/Braid.LoadTarget/bin/Release/net10.0/Braid.LoadTarget.dll 0 >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/server.out" ] && break; sleep 0.1; done
url="$(head -1 "$work/server.out")/"
echo "target $url (server on cpu $server_cpu, generators on cpu $client_cpu), $connections connections, ${duration}s, $rounds rounds"
echo "load average before: $(cat /proc/loadavg)"
# One throw-away wrk run warms the server's JIT before anything is compared.
taskset -c "$client_cpu" wrk -t1 -c"$connections" -d3s "$url" >/dev/null

printf '%-6s %-6s %12s %10s %10s %14s %16s\n' round tool "requests/s" "p50 ms" "p99 ms" "cpu us/req" "whole-run us/req"
for round in $(seq "$rounds"); do
  /usr/bin/time -f '%U %S' -o "$work/wrk.time" taskset -c "$client_cpu" wrk -t1 -c"$connections" -d"${duration}s" --latency "$url" >"$work/wrk.out"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  total=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
  cpu=$(awk -v n="$total" '{printf "%.1f", ($1+$2)*1e6/n}' "$work/wrk.time")
  printf '%-6s %-6s %12s %10s %10s %14s %16s\n' "$round" wrk "$rps" "$p50" "$p99" "$cpu" "$cpu"

  /usr/bin/time -f '%U %S' -o "$work/braid.time" taskset -c "$client_cpu" "$braid" load "$url" -c "$connections" -d "${duration}s" -w 2s --no-progress --json "$work/braid.json" >/dev/null 2>&1
  read -r brps bp50 bp99 bcpu bdone < <(python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
print(r["throughputPerSecond"], r["latency"]["p50Ms"], r["latency"]["p99Ms"], r["generator"]["cpuUsPerRequest"], r["completed"]+r["warmupRequests"])' "$work/braid.json")
  bwhole=$(awk -v n="$bdone" '{printf "%.1f", ($1+$2)*1e6/n}' "$work/braid.time")
  printf '%-6s %-6s %12s %10s %10s %14s %16s\n' "$round" braid "$brps" "${bp50}ms" "${bp99}ms" "$bcpu" "$bwhole"
done
echo "load average after: $(cat /proc/loadavg)"
