#!/usr/bin/env python3
"""bench/table.py — the Markdown table of README "Performance" from the JSON files of one
bench/compare.sh run: xcap's figures, PyTorch's best run per figure, and the ratios.
Standard library only. Usage: table.py xcap.json torch-a.json [torch-b.json ...]"""

import json
import sys

# (label, key, format, higher is better)
ROWS = [
    ("train img/s", "train_img_s", "{:.1f}", True),
    ("train GFLOP/s", "train_gflops", "{:.1f}", True),
    ("forward img/s", "forward_img_s", "{:.1f}", True),
    ("caption ms, cached", "caption_ms_cached", "{:.2f}", False),
    ("caption ms, encoder only", "caption_ms_encoder", "{:.2f}", False),
    ("caption ms, recomputing the prefix", "caption_ms_recompute", "{:.2f}", False),
    ("batched caption img/s (64)", "caption_batch_img_s", "{:.1f}", True),
    ("peak RSS MiB", "peak_rss_mib", "{:.0f}", False),
]


def by_column(path):
    """{(preset, threads): result} of one JSON file."""
    with open(path) as f:
        return {(r["preset"], r["threads"]): r for r in json.load(f)["results"]}


def main():
    xcap = by_column(sys.argv[1])
    torch = [by_column(p) for p in sys.argv[2:]]
    cols = list(xcap)
    head = " | ".join(f"{p}, {t} thr" for p, t in cols)
    print(f"| | {head} |")
    print("| --- |" + " ---: |" * len(cols))

    def best(col, key, higher):
        vals = [t[col][key] for t in torch if col in t]
        return (max if higher else min)(vals)

    for i, (label, key, fmt, _) in enumerate(ROWS):
        name = f"**xcap** {label}" if i == 0 else label
        print(f"| {name} | " + " | ".join(fmt.format(xcap[c][key]) for c in cols) + " |")
    print("| sgemm ceiling GFLOP/s (this run) | " +
          " | ".join(f"{xcap[c]['ceiling_gflops']:.1f}" for c in cols) + " |")
    print("| share of the ceiling | " +
          " | ".join(f"{100 * xcap[c]['ceiling_share']:.1f} %" for c in cols) + " |")
    for i, (label, key, fmt, higher) in enumerate(ROWS):
        name = f"**PyTorch** (best run per figure) {label}" if i == 0 else label
        print(f"| {name} | " + " | ".join(fmt.format(best(c, key, higher)) for c in cols) + " |")
    for i, (label, key, _, higher) in enumerate(ROWS):
        if key in ("train_gflops", "caption_ms_recompute"):
            continue
        name = f"**xcap / PyTorch** {label}" if i == 0 else label
        cells = []
        for c in cols:
            b, x = best(c, key, higher), xcap[c][key]
            cells.append(f"{(x / b) if higher else (b / x):.2f}×")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
