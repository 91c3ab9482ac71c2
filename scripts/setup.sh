#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to captions: installs what is missing,
# builds xcap (Release), and captions the example images with the shipped model,
# writing per-word overlays, a JSON file and an HTML viewer under out/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
mkdir -p out
./build/xcap caption --overlays out/overlays --json out/captions.json --html out/html examples/*.png
echo "overlays: out/overlays/   JSON: out/captions.json   viewer: out/html/index.html" >&2
