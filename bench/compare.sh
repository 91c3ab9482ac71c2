#!/usr/bin/env bash
# bench/compare.sh — `xcap bench` next to the PyTorch peer (bench/torch_peer.py) on this
# machine, in one run: both tables, then xcap/PyTorch ratios. PyTorch runs twice, with
# OpenMP's default wait policy and with OMP_WAIT_POLICY=PASSIVE, and for each preset and
# thread count the faster of the two is the one compared (per figure). The three programs
# take turns for ROUNDS rounds (default 3), so that a slow spell of the host hits both
# sides; every figure is the median over the rounds (bench/median.py), and each round's own
# ratios are printed too, so the spread is visible. Not part of CI.
#
#   bash bench/compare.sh                 # presets S and M, 1 and 2 threads, 3 rounds
#   XCAP=build/xcap OUT=bench/out MIN_TIME=2 ROUNDS=5 PRESETS=S bash bench/compare.sh
#
# Skips (exit 0) with a message when python3-torch is not installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
xcap=${XCAP:-}
if [ -z "$xcap" ]; then
  for c in "$root/build-bench/xcap" "$root/build/xcap"; do
    if [ -x "$c" ]; then xcap=$c; break; fi
  done
fi
out=${OUT:-$root/bench/out}
presets=${PRESETS:-S,M}
threads=${THREADS:-1,2}
min_time=${MIN_TIME:-1}

if ! "$py" -c "import torch" 2>/dev/null; then
  echo "bench/compare.sh: skipped: PyTorch is not installed for $py (Debian: apt-get install python3-torch)"
  exit 0
fi
if [ -z "$xcap" ] || [ ! -x "$xcap" ]; then
  echo "bench/compare.sh: no xcap program found; build it (cmake -S . -B build-bench && make -C build-bench xcap) or set XCAP" >&2
  exit 1
fi
if pgrep -f " train " >/dev/null 2>&1; then
  echo "bench/compare.sh: warning: a training process is running; the figures will be low" >&2
fi
mkdir -p "$out"

rounds=${ROUNDS:-3}
# PyTorch's matrix products also run in Debian's OpenBLAS: give it the kernels xcap runs
# with (xcap restarts itself with OPENBLAS_CORETYPE when OpenBLAS does not know the processor)
core=$("$xcap" --version | sed -n 's/^OpenBLAS kernels: //p')
if [ -n "$core" ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then export OPENBLAS_CORETYPE=$core; fi
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-as OpenBLAS picks}; $rounds rounds"
for r in $(seq 1 "$rounds"); do
  echo
  echo "== round $r of $rounds: xcap ($xcap)"
  "$xcap" bench --preset "$presets" --threads "$threads" --min-time "$min_time" \
    --json "$out/xcap-$r.json"
  echo
  echo "== round $r of $rounds: PyTorch, OpenMP default wait policy"
  env -u OMP_WAIT_POLICY "$py" "$root/bench/torch_peer.py" --preset "$presets" \
    --threads "$threads" --min-time "$min_time" --like "$out/xcap-$r.json" \
    --json "$out/torch-default-$r.json"
  echo
  echo "== round $r of $rounds: PyTorch, OMP_WAIT_POLICY=PASSIVE"
  OMP_WAIT_POLICY=PASSIVE "$py" "$root/bench/torch_peer.py" --preset "$presets" \
    --threads "$threads" --min-time "$min_time" --like "$out/xcap-$r.json" \
    --json "$out/torch-passive-$r.json"
  echo
  echo "== round $r of $rounds: ratios"
  "$py" "$root/bench/ratios.py" "$out/xcap-$r.json" "$out/torch-default-$r.json" \
    "$out/torch-passive-$r.json" | tee "$out/ratios-$r.txt"
done
for kind in xcap torch-default torch-passive; do
  files=()
  for r in $(seq 1 "$rounds"); do files+=("$out/$kind-$r.json"); done
  "$py" "$root/bench/median.py" "$out/$kind.json" "${files[@]}"
done
echo
echo "== medians over $rounds rounds"
"$py" "$root/bench/ratios.py" "$out/xcap.json" "$out/torch-default.json" "$out/torch-passive.json" \
  | tee "$out/ratios.txt"
