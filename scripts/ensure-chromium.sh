#!/usr/bin/env bash
# Makes sure a Chromium for the real-browser tests (tests/memory/browser-snapshot.test.ts) exists at
# /usr/bin/chromium. Idempotent: a no-op when it is already installed. Otherwise installs Debian's
# chromium package with apt-get when running as root (as on CI); anywhere else it says how to get one, and the
# browser tests skip themselves with that message. (Never downloads a browser any other way: no `npx playwright install`.)
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM missing; installing Debian's chromium with apt-get (takes a minute or two)..." >&2
  start=$(date +%s)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: apt-get install chromium finished but $CHROMIUM is still missing" >&2
    exit 1
  fi
  echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium) in $(( $(date +%s) - start )) s" >&2
  exit 0
fi

echo "ensure-chromium: $CHROMIUM is missing and cannot be installed automatically (needs root and apt-get)." >&2
echo "ensure-chromium: install Chromium yourself, e.g. 'sudo apt-get install chromium' on Debian/Ubuntu," >&2
echo "ensure-chromium: until then the browser tests (tests/memory/browser-snapshot.test.ts) are skipped." >&2
exit 0
