#!/usr/bin/env bash
# Measures a model on pictures it was not made from: the shapes world's val and held-out
# scenes (seeds training never uses), 1000 scenes of the independent cairo renderer, the
# named pictures drawn with other tools, patch alignment on val and on the cairo set, and
# how well its confidence tells pictures of the world from pictures outside it.
# Usage: bench/robustness.sh [MODEL] [OUT_DIR]   (defaults: the shipped model, bench/out/robust)
# Needs a build in build/ with xcap-cairo-scenes (cairo: scripts/deps.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-models/shapes-S.safetensors}"
out="${2:-bench/out/robust}"
xcap=build/xcap
cairo=build/xcap-cairo-scenes
[ -x "$xcap" ] && [ -x "$cairo" ] || { echo "robustness.sh: build first (build/xcap, build/xcap-cairo-scenes)" >&2; exit 1; }
mkdir -p "$out"

echo "== shapes world, val (1000 scenes, seed 424242)"
"$xcap" eval --model "$model" --split val --count 1000 --outside tests/fixtures/outside \
  --json "$out/val.json" | tee "$out/val.txt"
echo "== shapes world, held-out colour-shape pairs (1000 scenes)"
"$xcap" eval --model "$model" --split heldout --count 1000 --json "$out/heldout.json" | tee "$out/heldout.txt"
echo "== cairo renderer (1000 scenes, seed 1)"
"$cairo" --count 1000 --seed 1 --out "$out/cairo" --force >/dev/null
"$xcap" eval --model "$model" --data "$out/cairo/captions.json" --outside tests/fixtures/outside \
  --json "$out/cairo.json" | tee "$out/cairo.txt"
echo "== named pictures (tests/fixtures/drawn/expected.tsv)"
while IFS=$'\t' read -r path refs; do
  got="$("$xcap" caption --model "$model" "$path" 2>/dev/null | cut -f1)"
  ok=no
  IFS='|' read -ra alts <<< "$refs"
  for r in "${alts[@]}"; do [ "$(echo "$r" | xargs)" = "$got" ] && ok=yes; done
  printf '%-4s %s: %s\n' "$ok" "$path" "$got"
done < tests/fixtures/drawn/expected.tsv | tee "$out/named.txt"
echo "== alignment, val (200 scenes) and cairo (1000 scenes)"
"$xcap" align --model "$model" --count 200 --json "$out/align-val.json" | tee "$out/align-val.txt"
"$xcap" align --model "$model" --data "$out/cairo/captions.json" --json "$out/align-cairo.json" \
  | tee "$out/align-cairo.txt"
