#!/usr/bin/env python3
"""bench/median.py — one bench JSON from several rounds of the same program (`xcap bench` or
bench/torch_peer.py): every number of every (preset, threads) result is the median over the
rounds, and the share of the sgemm ceiling is recomputed from the medians. The output says
how many rounds it has. Standard library only.
Usage: median.py out.json round1.json round2.json [...]"""

import json
import os
import statistics
import sys


def merged_result(rows):
    """The median of every numeric field of the same result over the rounds."""
    out = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
            if any(v != value for v in values):  # sizes and counts are the same in every round
                out[key] = statistics.median(values)
    if out.get("ceiling_gflops") and out.get("train_gflops") is not None:
        out["ceiling_share"] = out["train_gflops"] / out["ceiling_gflops"]
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: median.py out.json round1.json [round2.json ...]")
    rounds = [json.load(open(p)) for p in sys.argv[2:]]
    merged = {k: v for k, v in rounds[0].items() if k != "results"}
    merged["rounds"] = len(rounds)
    merged["results"] = []
    for first in rounds[0]["results"]:
        key = (first["preset"], first["threads"])
        rows = [r for doc in rounds for r in doc["results"] if (r["preset"], r["threads"]) == key]
        merged["results"].append(merged_result(rows))
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(merged, f, indent=1)
    os.replace(tmp, sys.argv[1])


if __name__ == "__main__":
    main()
