#!/usr/bin/env bash
# Installs the Debian packages xcap needs, only those that are missing.
# Usage: scripts/deps.sh [--test]   (--test adds what the test suite needs)
set -euo pipefail

packages=(gcc make cmake pkg-config libopenblas-dev libcmocka-dev libstb-dev libcjson-dev
          fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium clang libclang-rt-14-dev  # clang + libFuzzer: the brief fuzz run
             libcairo2-dev                      # tests/cairo_scenes: the independent renderer
             libopenmpi-dev openmpi-bin)        # the MPI training test
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
