#!/usr/bin/env bash
# Takes a headless-Chromium screenshot of an HTML file (the lab's and the simulation's reports), installing
# Debian's chromium if it is missing. Not part of CI.
# Usage: scripts/screenshot-html.sh REPORT.html OUT.png WIDTH,HEIGHT
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: scripts/screenshot-html.sh REPORT.html OUT.png WIDTH,HEIGHT" >&2; exit 2; }
html=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
  echo "screenshot-html: installing Debian's chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# The flags keep Chromium off the network this machine does not have.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars \
  --window-size="$3" --screenshot="$2" "file://$html" 2>/dev/null
