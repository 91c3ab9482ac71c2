#!/usr/bin/env python3
"""bench/ratios.py — xcap/PyTorch ratios from the JSON of `xcap bench` and of one or more
runs of bench/torch_peer.py (e.g. with and without OMP_WAIT_POLICY=PASSIVE). For every
preset, thread count and figure, the best PyTorch run is the one compared. Standard
library only. Usage: ratios.py xcap.json torch-a.json [torch-b.json ...]"""

import json
import sys

# (label, key, higher is better)
FIGURES = [
    ("train img/s", "train_img_s", True),
    ("forward img/s", "forward_img_s", True),
    ("caption ms, cached", "caption_ms_cached", False),
    ("caption ms, encoder only", "caption_ms_encoder", False),
    ("caption ms, recompute", "caption_ms_recompute", False),
    ("batched caption img/s", "caption_batch_img_s", True),
    ("peak RSS MiB", "peak_rss_mib", False),
]


def targets(preset, key):
    """The issue-7 target of a figure as (minimum advantage, description), or None."""
    if key == "train_img_s":
        return (2.0, ">= 2x") if preset == "S" else (1.5, ">= 1.5x")
    if key == "caption_ms_cached":
        return (10.0, ">= 10x lower")
    return None


def main():
    xcap_doc = json.load(open(sys.argv[1]))
    xcap = xcap_doc["results"]
    peers = []
    for path in sys.argv[2:]:
        doc = json.load(open(path))
        for r in doc["results"]:
            r["_policy"] = doc.get("omp_wait_policy") or "default"
            peers.append(r)
    rounds = xcap_doc.get("rounds")
    print("xcap / PyTorch (PyTorch: best of its runs per figure; policy in brackets"
          + (f"; every figure the median of {rounds} rounds)" if rounds else ")"))
    print(f"{'':24}" + "".join(f" {x['preset'] + ' / ' + str(x['threads']) + ' thr':>22}"
                               for x in xcap))
    for label, key, higher in FIGURES:
        cells = []
        for x in xcap:
            runs = [p for p in peers if p["preset"] == x["preset"] and p["threads"] == x["threads"]]
            if not runs:
                cells.append(f"{'-':>22}")
                continue
            best = max(runs, key=lambda p: p[key]) if higher else min(runs, key=lambda p: p[key])
            adv = x[key] / best[key] if higher else best[key] / x[key]
            t = targets(x["preset"], key)
            mark = "" if t is None else (" ok" if adv >= t[0] else " MISS")
            cells.append(f"{adv:8.2f}x [{best['_policy'][:7]}]{mark:>5}")
        print(f"{label:24}" + "".join(f" {c:>22}" for c in cells))
    print("(ratios are advantages: xcap/PyTorch for rates, PyTorch/xcap for ms and MiB)")
    print()
    print("caption latency if decoding were free: "
          "PyTorch's best cached caption / xcap's encoder alone")
    for x in xcap:
        runs = [p for p in peers if p["preset"] == x["preset"] and p["threads"] == x["threads"]]
        if not runs or "caption_ms_encoder" not in x:
            continue
        best = min(p["caption_ms_cached"] for p in runs)
        print(f"  {x['preset']} / {x['threads']} thr: {best:.2f} / {x['caption_ms_encoder']:.2f} ms"
              f" = {best / x['caption_ms_encoder']:.2f}x at most")
    print()
    print("share of the OpenBLAS sgemm ceiling (measured by xcap on the step's own products)")
    for x in xcap:
        runs = [p for p in peers if p["preset"] == x["preset"] and p["threads"] == x["threads"]]
        torch_best = max((p["train_gflops"] for p in runs), default=float("nan"))
        ok = "" if x["preset"] != "M" else ("  (target >= 60%: " +
                                            ("ok" if x["ceiling_share"] >= 0.6 else "MISS") + ")")
        print(f"  {x['preset']} / {x['threads']} thr: ceiling {x['ceiling_gflops']:.1f} GFLOP/s;"
              f" xcap {x['train_gflops']:.1f} ({100 * x['ceiling_share']:.1f}%),"
              f" PyTorch {torch_best:.1f} ({100 * torch_best / x['ceiling_gflops']:.1f}%){ok}")


if __name__ == "__main__":
    main()
