#!/usr/bin/env bash
# The runtimes of the runtime suite (test/runtimes, issue 21): Node 22/24/26, Deno, Bun, workerd, playwright-core and
# undici 8 from test/runtimes/package-lock.json, and Debian's Chromium. Prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

# Locked: exactly the versions the matrix names. No install scripts (the binaries ship inside the packages).
npm ci --prefix test/runtimes --no-audit --no-fund --ignore-scripts --loglevel=error

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing: chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

echo "runtimes installed in $((SECONDS - started)) s"
