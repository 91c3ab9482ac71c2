#!/usr/bin/env bash
# Builds xcap and runs the whole test suite twice: a plain Release build, and a build
# with AddressSanitizer + UndefinedBehaviorSanitizer; then the MPI training test in a build
# with -DXCAP_MPI=ON (2 ranks against 1 process); then runs each fuzz target for a few
# seconds on the committed seed corpus (fuzz/run.sh brief; clang + libFuzzer come from
# scripts/deps.sh --test). Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test
jobs="$(nproc)"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs" >/dev/null
ctest --test-dir build --output-on-failure -j "$jobs"

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DXCAP_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

# data-parallel training over MPI: mpirun -np 2 against one process (tests/mpi/train_mpi.sh)
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DXCAP_MPI=ON >/dev/null
cmake --build build-mpi -j "$jobs" >/dev/null
ctest --test-dir build-mpi --output-on-failure -R '^mpi_train$'

# brief fuzz run: every target 3 s on fuzz/corpus/ (about 45 s with the build)
if command -v clang >/dev/null && [ -n "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ]; then
  bash fuzz/run.sh brief 3
else
  echo "fuzz: skipped (clang or libFuzzer is not installed)"
fi
