#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the Braid.Data tests and `braid db` (docs/databases.md):
# initdb into DIR (default: a new temporary folder) with SCRAM-SHA-256 authentication and a random
# password, the socket directory inside DIR, listening on 127.0.0.1 only, on a free port probed here.
# As root the cluster is created and run as the postgres user (runuser); otherwise as the caller.
#
# Prints shell assignments on stdout, progress on stderr:
#   eval "$(bash scripts/postgres-start.sh)"     # sets BRAID_POSTGRES and BRAID_POSTGRES_DIR
#   dotnet test tests/Braid.Data.Tests -c Release
#   bash scripts/postgres-stop.sh "$BRAID_POSTGRES_DIR"   # SIGINT to the server's pid, then removes DIR
# The connection string is also written to DIR/connection, the server's pid to DIR/pid.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "postgres-start: no PostgreSQL 15 in $bin (run scripts/postgres-setup.sh as root)" >&2; exit 1; }

dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/braid-postgres.XXXXXX")}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ ! -e "$dir/data" ] || { echo "postgres-start: $dir/data already exists; give an empty folder" >&2; exit 1; }

as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  chmod 700 "$dir"
fi

password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
user=braid
as_owner mkdir -p "$dir/socket"
umask 077
printf '%s\n' "$password" > "$dir/pwfile"
[ "$(id -u)" -ne 0 ] || chown postgres: "$dir/pwfile"
as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" -A scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; echo "postgres-start: initdb failed" >&2; exit 1; }
rm -f "$dir/pwfile"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
started=""
for attempt in 1 2 3 4 5 6 7 8; do
  port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
  port_free "$port" || continue
  # pg_ctl -w waits until the server accepts connections (or fails: then another port is tried).
  if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir/socket' -c shared_buffers=32MB -c max_connections=100" \
      >/dev/null 2>&1; then
    started=yes
    break
  fi
  echo "postgres-start: port $port did not work (attempt $attempt), trying another" >&2
done
[ -n "$started" ] || { tail -5 "$dir/server.log" >&2; echo "postgres-start: the server did not start" >&2; exit 1; }

pid=$(head -1 "$dir/data/postmaster.pid")
echo "$pid" > "$dir/pid"
PGPASSWORD=$password "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qAt -c "CREATE DATABASE braid" >/dev/null \
  || { kill -INT "$pid"; echo "postgres-start: could not create the braid database" >&2; exit 1; }
connection="Host=127.0.0.1;Port=$port;Username=$user;Password=$password;Database=braid"
printf '%s\n' "$connection" > "$dir/connection"
[ "$(id -u)" -ne 0 ] || chmod 755 "$dir"
echo "postgres-start: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (pid $pid, folder $dir)" >&2
printf "export BRAID_POSTGRES='%s'\nexport BRAID_POSTGRES_DIR='%s'\n" "$connection" "$dir"
