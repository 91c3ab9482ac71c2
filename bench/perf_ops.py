#!/usr/bin/env python3
"""bench/perf_ops.py — where a training step's time goes, per op, from a perf profile.

Reads `perf script -F tid,period,ip,sym` of a run recorded with --call-graph dwarf
(bench/profile.sh does both) and keeps the samples whose stack passes through the root
function (default xcap_trainer_step). Each sample goes to the innermost xcap function on
its stack (prefixes nn_ attn_ mlp_ blk_ ln_ txt_ vis_ xcap_); samples in nn_gemm are
split by who called it (a linear layer of attention, MLP, encoder or decoder, or
attention's per-head products), so OpenBLAS, libm and memset time land on their op.
Prints one line an op: share of the step, and the sample count. With --cpu, samples of
the pool's workers count too, and each goes to its innermost function (OpenBLAS, the
pool's polling, memset, or the xcap kernel itself): where the CPU time of all threads goes.
Standard library only."""

import collections
import sys

OWN = ("nn_", "attn_", "mlp_", "blk_", "ln_", "txt_", "vis_", "xcap_")


def own(sym):
    """Is this symbol one of xcap's functions?"""
    return sym.startswith(OWN)


def label(frames):
    """(part, op) a stack (leaf first) is charged to: part is encoder / decoder / step with
    fwd or bwd; op names the module and the kind of work. Tail calls hide some frames, so
    the module is read from the whole stack, not the direct caller."""
    mine = [f for f in frames if own(f)]
    if not mine:
        return ("other", "outside xcap")
    inner = mine[0]
    part = ("encoder" if any(f.startswith("vis_encoder") for f in mine) else
            "decoder" if any(f.startswith("txt_decoder") for f in mine) else "step")
    if part != "step":
        part += " bwd" if any("backward" in f for f in mine) else " fwd"
    module = ("attention" if any(f.startswith(("attn_", "blk_attn")) for f in mine) else
              "MLP" if any(f.startswith(("mlp_", "blk_mlp")) for f in mine) else "")
    if inner == "nn_gemm":
        lin = len(mine) > 1 and mine[1].startswith("nn_linear")
        kind = "sgemm, projections" if lin else "sgemm, per-head QK^T / PV"
        if not module:
            kind = ("sgemm, decode-step projections" if "txt_decoder_step" in mine else
                    "sgemm, cross-attention K/V of the image" if "txt_decoder_prepare_cross" in mine else
                    "sgemm, patch / edge embedding" if part.startswith("encoder") else
                    "sgemm, vocabulary head")
    else:
        kinds = {"nn_softmax_forward": "softmax", "nn_softmax_backward": "softmax",
                 "nn_gelu_forward": "GELU", "nn_gelu_backward": "GELU",
                 "nn_gelu_backward_inplace": "GELU",
                 "nn_layernorm_forward": "layer norm", "nn_layernorm_backward": "layer norm",
                 "nn_adamw_update": "AdamW", "nn_clip_grad_norm": "gradient clipping",
                 "nn_crossentropy_forward": "loss", "nn_crossentropy_backward": "loss",
                 "nn_linear_forward": "bias add", "nn_linear_backward": "bias gradient",
                 "nn_residual_forward": "residual", "nn_residual_backward": "residual"}
        kind = kinds.get(inner, inner + " (its own loops, memset)")
        if kind == "softmax" and module == "" and "txt_decoder_loss" in mine:
            kind = "loss"
    return (part, (module + " " if module else "") + kind)


def leaf_kind(frames):
    """--cpu mode: what the innermost frame of a sample (main thread or pool worker) is."""
    leaf = frames[0]
    if leaf.startswith(("sgemm", "cblas_sgemm")):
        return ("cpu", "OpenBLAS sgemm (kernels and packing)")
    if leaf in ("__sched_yield", "do_sched_yield", "__schedule", "do_syscall_64",
                "entry_SYSCALL_64", "syscall_return_via_sysret", "x64_sys_call", "schedule",
                "finish_task_switch.isra.0", "_raw_spin_unlock_irqrestore", "sched_yield"):
        return ("cpu", "pool threads polling for work (sched_yield)")
    if leaf.startswith(("__memset", "__memmove", "__memcpy")):
        return ("cpu", "memset / memcpy")
    return ("cpu", leaf)


def main():
    args = [a for a in sys.argv[1:] if a != "--cpu"]
    cpu = "--cpu" in sys.argv[1:]
    root = args[0] if args else "xcap_trainer_step"
    counts = collections.Counter()
    total = 0
    frames, period = [], 0

    def flush():
        nonlocal total
        if frames and (root in frames or (cpu and "worker_main" in frames)):
            counts[leaf_kind(frames) if cpu else label(frames)] += period
            total += period

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            frames, period = [], 0
            continue
        if not line.startswith("\t"):  # a sample's header: tid period
            parts = line.split()
            period = int(parts[-1]) if parts and parts[-1].isdigit() else 1
            continue
        parts = line.split(None, 1)
        sym = parts[1] if len(parts) > 1 else "?"
        sym = sym.split("+")[0].replace(" (inlined)", "")
        for clone in (".avx512f", ".avx2", ".default"):  # NN_VECTOR_CLONES versions
            sym = sym[:-len(clone)] if sym.endswith(clone) else sym
        frames.append(sym)
    flush()
    if not total:
        sys.exit(f"perf_ops: no samples under {root}")
    print(f"{'part':12} {'op':52} {'share':>7}")
    for (part, op), n in counts.most_common():
        print(f"{part:12} {op:52} {100.0 * n / total:6.1f}%")
    kinds = collections.Counter()
    for (part, op), n in counts.items():
        kinds["sgemm" if "sgemm" in op else "everything else"] += n
    print("; ".join(f"{k} {100.0 * n / total:.1f}%" for k, n in kinds.most_common()))


if __name__ == "__main__":
    main()
