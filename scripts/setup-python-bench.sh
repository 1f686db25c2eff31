#!/usr/bin/env bash
# Installs what the Python side of the context-switch pairs needs (bench/README.md, "Context-switch
# pairs"): Debian's python3-trio, for bench/python/context_switch_trio.py. The scripts run with the
# system interpreter, /usr/bin/python3, which is the one Debian's packages install into (a pyenv
# python3 earlier on PATH does not see them). asyncio needs nothing: it is in the standard library.
# Idempotent: does nothing when trio already imports. Not called by CI: the benchmarks are not tests.
set -euo pipefail
if /usr/bin/python3 -c 'import trio' >/dev/null 2>&1; then
  echo "setup-python-bench: trio $(/usr/bin/python3 -c 'import trio; print(trio.__version__)') already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-python-bench: apt-get not found; install python3-trio (Debian) for /usr/bin/python3 by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
# Waits for a dpkg lock held by another install. A fresh machine's package lists may be empty or
# old: update once if the first attempt fails.
if ! $sudo apt-get -o DPkg::Lock::Timeout=300 install -y python3-trio; then
  $sudo apt-get -o DPkg::Lock::Timeout=300 update
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y python3-trio
fi
/usr/bin/python3 -c 'import trio; print("setup-python-bench: trio " + trio.__version__ + " installed")'
