#!/usr/bin/env bash
# Runs the lab, writes its HTML report, and takes a headless-Chromium screenshot of it into
# docs/images/lab-report.png (shown in docs/lab.md). Installs Debian's chromium if it is missing.
# Not part of CI. Usage: scripts/lab-screenshot.sh [extra 'braid lab' options]
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/images
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
  echo "lab-screenshot: installing Debian's chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

dotnet build src/Braid.Cli -c Release -v quiet -nologo >/dev/null
dotnet run --project src/Braid.Cli -c Release --no-build -- lab --no-progress --html "$work/report.html" --json "$out/lab-results.json" "$@" | tee "$out/lab-output.txt"

# The flags keep Chromium off the network this machine does not have (see the machine notes).
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1300,2700 --screenshot="$out/lab-report.png" "file://$work/report.html" 2>/dev/null
echo "lab-screenshot: wrote $out/lab-report.png, $out/lab-output.txt and $out/lab-results.json"
