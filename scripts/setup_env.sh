#!/usr/bin/env bash
# Set up everything on a fresh Debian machine: system packages, a venv, the package.
# Idempotent: re-running only installs what is missing. Source it or run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages: real offline data (Fashion-MNIST IDX files, EmojiOne flags), the SVG
# renderers the converters use (rsvg-convert; libcairo2 for the cairosvg fallback), and
# chromium for the test that opens the run report in a real browser.
# Skipped when present or when apt is unavailable.
debs=(dataset-fashion-mnist ruby-gemojione librsvg2-bin libcairo2 chromium)
missing=()
for pkg in "${debs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: could not install ${missing[*]} (need root + apt-get); real-data tests will skip" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
