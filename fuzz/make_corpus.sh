#!/usr/bin/env bash
# Writes the committed seed corpus fuzz/corpus/<target>/: tiny files made by the library's
# own writers (fuzz_make_seeds, built by fuzz/run.sh into build-fuzz/), a few hand-written
# inputs, and small copies from tests/fixtures. Run it again after a format change.
# Usage: fuzz/make_corpus.sh [BUILD_DIR]   (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-fuzz}"
out=fuzz/corpus
[ -x "$build/fuzz_make_seeds" ] || { echo "make_corpus.sh: $build/fuzz_make_seeds is missing (run fuzz/run.sh build)" >&2; exit 1; }

for t in safetensors image dataset vocab model_meta checkpoint; do
  rm -rf "$out/$t"
  mkdir -p "$out/$t"
done
ASAN_OPTIONS=detect_leaks=1 "$build/fuzz_make_seeds" "$out"

# safetensors: the AdamW fixture, and a few broken ones
cp tests/fixtures/adamw.safetensors "$out/safetensors/"
printf '\x02\x00\x00\x00\x00\x00\x00\x00{}' > "$out/safetensors/empty-header.safetensors"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"__metadata__":' > "$out/safetensors/truncated.safetensors"

# image: a 1x1 GIF, a PNG header claiming 20000x20000, a binary PPM
printf 'GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;' > "$out/image/1x1.gif"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x4e\x20\x00\x00\x4e\x20\x08\x02\x00\x00\x00' > "$out/image/huge-header.png"
printf 'P6\n2 1\n255\n\xff\x00\x00\x00\xff\x00' > "$out/image/2x1.ppm"

# dataset: the hand-written test file and a minimal one
cp tests/fixtures/dataset/coco_small.json "$out/dataset/"
printf '{"images":[{"id":1,"file_name":"a.png","split":"train","objects":[{"bbox":[0,0,2,2]}]}],"annotations":[{"image_id":1,"caption":"A red circle.","grounding":[-1,0,0],"kinds":[0,2,3]}]}' \
  > "$out/dataset/minimal.json"

# vocab: the special tokens alone, and with punctuation
printf '<pad>\n<bos>\n<eos>\n<unk>' > "$out/vocab/special.txt"
printf '<pad>\n<bos>\n<eos>\n<unk>\na\n,\nleft\nof\n' > "$out/vocab/words.txt"

ls -R "$out" | head -50
du -sh "$out"
