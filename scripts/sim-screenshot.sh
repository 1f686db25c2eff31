#!/usr/bin/env bash
# Runs 'braid sim' with several policies side by side, writes its HTML report, and takes a
# headless-Chromium screenshot of it into docs/images/sim-report.png (shown in docs/simulation.md).
# The screenshot is scripts/screenshot-html.sh's (it installs Debian's chromium if missing). Not part of CI.
# Usage: scripts/sim-screenshot.sh [extra 'braid sim' options]
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/images
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build src/Braid.Cli -c Release -v quiet -nologo >/dev/null
dotnet run --project src/Braid.Cli -c Release --no-build -- sim --agents 10000 --years 20 --policy random,mixed,tit-for-tat,cheat \
  --html "$work/report.html" "$@" | tee "$out/sim-output.txt"

bash scripts/screenshot-html.sh "$work/report.html" "$out/sim-report.png" 1000,2300
echo "sim-screenshot: wrote $out/sim-report.png and $out/sim-output.txt"
