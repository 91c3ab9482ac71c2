#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ (clang, ASan + UBSan) and runs them.
#
#   fuzz/run.sh build                  only build
#   fuzz/run.sh TARGET SECONDS [ARGS]  run one target (safetensors, image, dataset, vocab,
#                                      model_meta, checkpoint) for SECONDS; extra ARGS go to
#                                      libFuzzer (e.g. -runs=2000000)
#   fuzz/run.sh all SECONDS            run every target in turn, SECONDS each
#   fuzz/run.sh brief SECONDS          CI: every target in turn on the committed seeds only
#                                      (new inputs go to a temporary folder), SECONDS each
#
# New inputs go to build-fuzz/corpus/<target>/ (the committed seeds in fuzz/corpus/<target>/
# are only read); crashes are written to build-fuzz/artifacts/<target>/ and make the script
# fail. Each run ends with libFuzzer's "Done N runs in S second(s)" and its cov: figure; a
# summary line per target goes to build-fuzz/fuzz-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
targets=(safetensors image dataset vocab model_meta checkpoint)

build_all() {
  command -v clang >/dev/null || { echo "fuzz/run.sh: clang is not installed" >&2; exit 1; }
  CC=clang cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXCAP_FUZZ=ON -DXCAP_TESTS=OFF >/dev/null
  local list=() name
  for name in "${targets[@]}"; do list+=("fuzz_$name"); done
  cmake --build "$build" -j "$(nproc)" --target "${list[@]}" fuzz_make_seeds >/dev/null
}

# run_one TARGET SECONDS [libFuzzer args]; the working corpus is $work/TARGET, the log
# $logs/fuzz-TARGET.log
work="$build/corpus"
logs="$build"
run_one() {
  local t="$1" secs="$2"
  shift 2
  [ -x "$build/fuzz_$t" ] || { echo "fuzz/run.sh: unknown target '$t'" >&2; exit 2; }
  mkdir -p "$work/$t" "$build/artifacts/$t"
  local log="$logs/fuzz-$t.log"
  local status=0
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$build/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$t/" "$@" "$work/$t" "fuzz/corpus/$t" \
      >"$log" 2>&1 || status=$?
  local done_line cov execs
  done_line="$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)"
  cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)"
  execs="$(grep -E 'stat::number_of_executed_units' "$log" | grep -oE '[0-9]+$' || true)"
  echo "$t: status=$status execs=${execs:-?} ${cov:-cov: ?} ${done_line:-(no Done line)}" | tee -a "$build/fuzz-summary.txt"
  if [ "$status" -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 >&2
    return 1
  fi
}

case "${1:-}" in
  build) build_all ;;
  brief)
    secs="${2:?usage: fuzz/run.sh brief SECONDS}"
    build_all
    work="$(mktemp -d)"
    logs="$work"  # the long runs' logs in build-fuzz/ stay as they are
    trap 'rm -rf "$work"' EXIT
    passed=0 failed=0
    for t in "${targets[@]}"; do
      if run_one "$t" "$secs"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
    echo "fuzz: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] ;;
  all)
    secs="${2:?usage: fuzz/run.sh all SECONDS}"
    build_all
    rc=0
    for t in "${targets[@]}"; do run_one "$t" "$secs" || rc=1; done
    exit $rc ;;
  "" | -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
  *)
    t="$1"
    secs="${2:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer args]}"
    shift 2
    build_all
    run_one "$t" "$secs" "$@" ;;
esac
