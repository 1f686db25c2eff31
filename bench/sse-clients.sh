#!/usr/bin/env bash
# Holds CLIENTS concurrent /events clients against 'braid serve', split over PROCESSES client processes
# (one process may open at most 20,000 files here), and prints each process's report: connect time,
# the server's RSS per client, event lag (issue 15). Usage: bench/sse-clients.sh [CLIENTS] [PROCESSES] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-1000}
processes=${2:-1}
seconds=${3:-10}
dotnet build src/Braid.Cli -c Release -v q -nologo >/dev/null
dotnet build bench/Braid.SseClients -c Release -v q -nologo >/dev/null
dir=$(mktemp -d)
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
src/Braid.Cli/bin/Release/net10.0/braid serve --url-file "$dir/url" --client-buffer 64 >/dev/null 2>"$dir/serve.err" &
server=$!
for _ in $(seq 1 100); do [ -s "$dir/url" ] && break; sleep 0.2; done
url=$(cat "$dir/url")
echo "braid serve at $url (pid $server); $clients clients in $processes processes, ${seconds} s; load $(cut -d' ' -f1-3 /proc/loadavg)"
per=$((clients / processes))
pids=()
for i in $(seq 1 "$processes"); do
  dotnet bench/Braid.SseClients/bin/Release/net10.0/Braid.SseClients.dll --url "$url" --clients "$per" \
    --total-clients "$clients" --seconds "$seconds" --server-pid "$server" >"$dir/client.$i" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done
for i in $(seq 1 "$processes"); do echo "process $i:"; sed 's/^/  /' "$dir/client.$i"; done
echo "server: $(curl -s "$url/health")"
grep -i warning "$dir/serve.err" | head -5 || true
