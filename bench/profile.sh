#!/usr/bin/env bash
# bench/profile.sh — where the time of a training step goes, per op: records `xcap bench`
# with perf (call graphs by DWARF unwinding) and charges every sample taken inside
# xcap_trainer_step to its op with bench/perf_ops.py. Needs perf (Debian: linux-perf).
#
#   bash bench/profile.sh                      # preset M, 1 thread
#   PRESET=S THREADS=2 XCAP=build/xcap bash bench/profile.sh
#   CPU=1 THREADS=2 bash bench/profile.sh      # every thread's CPU time by innermost function
#   ROOT=bench_caption_cached PRESET=S bash bench/profile.sh   # cached captioning instead
#     (one image and the batch of 64 together: xcap bench runs both through it)
#   ROOT=bench_encode PRESET=M bash bench/profile.sh           # the encoder in captioning
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
xcap=${XCAP:-$root/build-bench/xcap}
preset=${PRESET:-M}
threads=${THREADS:-1}
out=${OUT:-$root/bench/out}
tag=${TAG:-$preset-$threads}
root_fn=${ROOT:-xcap_trainer_step}  # samples inside this function are charged
if ! command -v perf >/dev/null 2>&1; then
  echo "bench/profile.sh: perf is not installed (Debian: apt-get install linux-perf)" >&2
  exit 1
fi
mkdir -p "$out"
# the kernels xcap would restart itself with, set up front: perf's call graphs lose their
# way across the restart
core=$("$xcap" --version | sed -n 's/^OpenBLAS kernels: //p')
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$core}
perf record -q -F 250 --call-graph dwarf,8192 -o "$out/perf-$tag.data" -- \
  "$xcap" bench --preset "$preset" --threads "$threads" --min-time 4 >/dev/null 2>&1
perf script -i "$out/perf-$tag.data" -F tid,period,ip,sym 2>/dev/null \
  | /usr/bin/python3 "$root/bench/perf_ops.py" ${CPU:+--cpu} "$root_fn" | tee "$out/profile-$tag.txt"
