#!/usr/bin/env bash
# Installs wrk (Debian's package), the anchor `braid load` is compared with in bench/load-vs-wrk.sh
# (issue 15; bench/README.md). Idempotent: does nothing when wrk is already on the PATH. Needs root
# (or sudo) for apt-get. No test needs wrk: only the benchmark does, so .ci/setup does not call this.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
  echo "setup-wrk: $(command -v wrk) is already installed"
  exit 0
fi

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; then
  # A fresh machine may have no package lists yet.
  sudo_if_needed apt-get update
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk
fi
command -v wrk >/dev/null
echo "setup-wrk: installed $(command -v wrk)"
