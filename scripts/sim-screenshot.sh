#!/usr/bin/env bash
# Runs 'braid sim' with several policies side by side, writes its HTML report, and takes a
# headless-Chromium screenshot of it into docs/images/sim-report.png (shown in docs/simulation.md).
# Installs Debian's chromium if it is missing. Not part of CI. Usage: scripts/sim-screenshot.sh [extra 'braid sim' options]
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/images
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
  echo "sim-screenshot: installing Debian's chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

dotnet build src/Braid.Cli -c Release -v quiet -nologo >/dev/null
dotnet run --project src/Braid.Cli -c Release --no-build -- sim --agents 10000 --years 20 --policy random,mixed,tit-for-tat,cheat \
  --html "$work/report.html" "$@" | tee "$out/sim-output.txt"

# The flags keep Chromium off the network this machine does not have.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1000,2300 --screenshot="$out/sim-report.png" "file://$work/report.html" 2>/dev/null
echo "sim-screenshot: wrote $out/sim-report.png and $out/sim-output.txt"
