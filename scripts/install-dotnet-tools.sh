#!/usr/bin/env bash
# Installs the .NET diagnostic tools docs/diagnostics.md and docs/tracing.md compare Braid with
# (dotnet-counters, dotnet-trace, dotnet-dump, dotnet-stack) from NuGet into .tools/ (git-ignored), not globally.
# Idempotent: a tool already at the pinned version is left alone. Not called by CI: no test needs them.
#   bash scripts/install-dotnet-tools.sh && .tools/dotnet-counters --version
set -euo pipefail
cd "$(dirname "$0")/.."
version=10.0.750501
for tool in dotnet-counters dotnet-trace dotnet-dump dotnet-stack; do
  if [ -x ".tools/$tool" ] && dotnet tool list --tool-path .tools | grep -qi "^$tool[[:space:]]\+$version"; then
    echo "install-dotnet-tools: $tool $version already in .tools"
    continue
  fi
  dotnet tool update --tool-path .tools "$tool" --version "$version"
done
