#!/usr/bin/env bash
# Runs every test program under valgrind memcheck (the xcap program that some tests start
# is traced too): any invalid read or write, use of uninitialised memory, or definite /
# indirect leak fails. Builds into build-valgrind/ (Debug, no sanitizers).
# Usage: scripts/valgrind.sh [TEST_NAME_REGEX]    (needs: apt-get install valgrind)
# test_alloc replaces malloc itself to count calls: valgrind is told to leave that copy
# alone (--soname-synonyms=somalloc=nouserintercepts), so the counts stay real and memcheck
# still sees every block through glibc's allocator, which the wrappers call.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 1; }
build=build-valgrind
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
logs="$PWD/$build/valgrind"  # absolute: some tests chdir before starting xcap
mkdir -p "$logs"
filter="${1:-.}"
export XCAP_SOURCE_DIR="$PWD" XCAP_BINARY="$PWD/$build/xcap" OPENBLAS_NUM_THREADS=1
rc=0 passed=0 failed=0
for exe in "$build"/test_*; do
  name="$(basename "$exe")"
  [ -x "$exe" ] && [[ "$name" =~ $filter ]] || continue
  extra=()
  [ "$name" = test_alloc ] && extra=(--soname-synonyms=somalloc=nouserintercepts)
  rm -f "$logs/$name".*.log
  start=$SECONDS
  if valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect --error-exitcode=99 --track-origins=yes \
       --trace-children=yes --trace-children-skip='/bin/*,/usr/bin/*,*/sh' "${extra[@]}" \
       --log-file="$logs/$name.%p.log" "$exe" >"$logs/$name.out" 2>&1 &&
     ! grep -qE "ERROR SUMMARY: [1-9]" "$logs/$name".*.log; then
    echo "valgrind: $name clean ($((SECONDS - start)) s)"
    passed=$((passed + 1))
  else
    echo "valgrind: $name FAILED ($((SECONDS - start)) s; logs: $build/valgrind/$name.*.log)"
    grep -hE "ERROR SUMMARY|definitely lost|indirectly lost|Invalid|uninitialised" "$logs/$name".*.log | sort | uniq -c | head -10
    failed=$((failed + 1))
    rc=1
  fi
done
echo "valgrind: $passed passed, $failed failed"
exit $rc
