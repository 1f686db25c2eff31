#!/usr/bin/env bash
# Runs the lab, writes its HTML report, and takes a headless-Chromium screenshot of it into
# docs/images/lab-report.png (shown in docs/lab.md). The screenshot is scripts/screenshot-html.sh's (it
# installs Debian's chromium if missing). Not part of CI. Usage: scripts/lab-screenshot.sh [extra 'braid lab' options]
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/images
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build src/Braid.Cli -c Release -v quiet -nologo >/dev/null
dotnet run --project src/Braid.Cli -c Release --no-build -- lab --no-progress --html "$work/report.html" --json "$out/lab-results.json" "$@" | tee "$out/lab-output.txt"

bash scripts/screenshot-html.sh "$work/report.html" "$out/lab-report.png" 1300,2700
echo "lab-screenshot: wrote $out/lab-report.png, $out/lab-output.txt and $out/lab-results.json"
