#!/usr/bin/env bash
# Installs Debian's PostgreSQL server (the `postgresql` package, version 15 on Debian 12) for the
# Braid.Data tests and `braid db`. Idempotent: does nothing when initdb is already there. Needs root
# (CI runs as root); a developer without root installs the package themselves. Never starts the
# distribution's own cluster: scripts/postgres-start.sh makes a throwaway one (docs/databases.md).
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
if [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ]; then
  echo "postgres-setup: PostgreSQL 15 already installed in $bin"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "postgres-setup: not root; install Debian's postgresql package (15) yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1 \
  || { apt-get update >/dev/null && apt-get install -y --no-install-recommends postgresql >/dev/null; }
# The package's post-install may start the distribution cluster on 5432; it is not ours to leave running.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
test -x "$bin/initdb"
echo "postgres-setup: PostgreSQL 15 installed in $bin"
