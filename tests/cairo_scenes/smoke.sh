#!/usr/bin/env bash
# Smoke test of xcap-cairo-scenes (ctest "cairo_scenes"): usage errors exit 2, the same seed
# writes the same bytes, an existing captions.json is kept unless --force, and `xcap eval
# --data` reads what it writes.
# Usage: smoke.sh GENERATOR XCAP MODEL
set -euo pipefail
gen="$1" xcap="$2" model="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cairo_scenes smoke: $*" >&2; exit 1; }

"$gen" --help | grep -q "^usage: xcap-cairo-scenes" || fail "--help prints no usage"
for bad in "--count 0 --seed 1 --out $tmp/x" "--count 2 --seed 1" \
           "--count 2 --seed -1 --out $tmp/x" "--count 2 --seed 1 --out $tmp/x --objects 4" \
           "--count 2 --seed 1 --out $tmp/x --style nope" \
           "--count 2 --seed 1 --out $tmp/x --size 20x20" \
           "--count 2 --seed 1 --out $tmp/x --bogus"; do
  rc=0
  # shellcheck disable=SC2086  # the options are meant to split
  "$gen" $bad 2>"$tmp/err" || rc=$?
  [ "$rc" -eq 2 ] || fail "'$bad' exited $rc, expected 2"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "'$bad' printed more than one line"
done

"$gen" --count 24 --seed 7 --out "$tmp/a" 2>/dev/null
"$gen" --count 24 --seed 7 --out "$tmp/b" 2>/dev/null
cmp -s "$tmp/a/captions.json" "$tmp/b/captions.json" || fail "same seed, different captions.json"
for f in "$tmp"/a/images/*; do
  cmp -s "$f" "$tmp/b/images/$(basename "$f")" || fail "same seed, different $(basename "$f")"
done

cp "$tmp/a/captions.json" "$tmp/keep.json"
rc=0
"$gen" --count 3 --seed 8 --out "$tmp/a" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "overwrote an existing captions.json without --force (exit $rc)"
cmp -s "$tmp/a/captions.json" "$tmp/keep.json" || fail "captions.json changed without --force"
"$gen" --count 3 --seed 8 --out "$tmp/a" --force 2>/dev/null || fail "--force did not replace"

"$gen" --count 6 --seed 9 --style plain --objects 2 --out "$tmp/p" 2>/dev/null
"$xcap" eval --model "$model" --data "$tmp/b/captions.json" --threads 1 >"$tmp/eval" 2>&1 ||
  { cat "$tmp/eval" >&2; fail "xcap eval --data could not read the scenes"; }
grep -Eq "^images +24$" "$tmp/eval" || { cat "$tmp/eval" >&2; fail "xcap eval saw no 24 images"; }
echo "cairo_scenes smoke: ok"
