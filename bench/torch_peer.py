#!/usr/bin/env python3
"""bench/torch_peer.py — the PyTorch peer of `xcap bench`.

The model is tests/reference/xcap_ref.py (the same function and tensor names as the C
code, imported, not copied), with random weights, at the presets of model/config.c (as
`xcap bench` reports them in its JSON, with --like; else a copy of them below). It
prints the same figures as `xcap bench`, counted with the same FLOP formula (in its
K/V form of the cross-attention, X = 4*N*d^2 + 4*T*N*d, which is what this model runs;
xcap reassociates the cross-attention of S and M and counts X = 4*T*d^2 + 4*H*T*N*d):

  train     images/s of a training step at --batch (default 32): forward, loss, backward,
            gradient clipping, AdamW (weight decay on the 2-D weights only, as in C)
  forward   images/s of the forward pass and loss under torch.no_grad()
  caption   ms to caption one image, greedy to max_tokens with no stop at <eos>: with
            caches (cross K/V once, self K/V appended per step) and recomputing the
            decoder over the whole prefix at every step; and the encoder alone (image to
            memory), the part no decoder can save
  batched   images/s of cached captioning of --caption-batch (default 64) images
  GFLOP/s   training-step FLOPs (formula below) / median step time
  peak RSS  getrusage's high-water mark after each column

The sgemm ceiling is xcap's (OpenBLAS on the step's own products); bench/compare.sh
prints PyTorch's share of it. Thread pools: torch.set_num_threads(N); whether OpenMP
threads spin or sleep is set from outside with OMP_WAIT_POLICY (compare.sh tries both).

Usage: /usr/bin/python3 bench/torch_peer.py [--preset S,M] [--threads 1,2]
                                            [--min-time SEC] [--like xcap.json] [--json FILE]
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "reference"))
from xcap_ref import BOS, EOS, PAD, XcapConfig, XcapRef, linear  # noqa: E402

CONFIG_KEYS = ("image_w", "image_h", "patch", "d_model", "n_heads", "enc_layers", "dec_layers",
               "d_ff", "max_tokens", "edge_features")
# model/config.c as of this writing; `--like xcap.json` takes the configs `xcap bench` ran
PRESETS = {
    "S": dict(zip(CONFIG_KEYS, (96, 96, 8, 128, 4, 0, 2, 512, 16, 1))),
    "M": dict(zip(CONFIG_KEYS, (128, 128, 8, 256, 8, 4, 4, 1024, 24, 0))),
}
SHAPES_VOCAB = 28  # the shapes world's vocabulary (xcap_shapes_vocab), <pad> .. <unk> included

FLOP_FORMULA = ("F = 2*N*3P^2*d + E*2*N*P^2*d + Le*(8*N*d^2 + 4*N^2*d + 4*N*d*f) + "
                "Ld*(8*T*d^2 + 4*T^2*d + 4*T*d^2 + X + 4*T*d*f) + 2*T*d*V, "
                "X = 4*N*d^2 + 4*T*N*d (cross-attention with K, V projected); "
                "train step = B*(3*F - 2*N*3P^2*d - E*2*N*P^2*d)")


def embed_flops(cfg):
    """2*N*3P^2*d + E*2*N*P^2*d: the patch and edge embeddings of one image."""
    return 2 * cfg.n_patches * (3 + (1 if cfg.edge_features else 0)) * cfg.patch ** 2 * cfg.d_model


def flops_forward(cfg):
    """Matrix-product FLOPs of the forward pass of one image (model/flops.h)."""
    N, d, f = cfg.n_patches, cfg.d_model, cfg.d_ff
    T, V = cfg.max_tokens, cfg.vocab_size
    enc = 8 * N * d * d + 4 * N * N * d + 4 * N * d * f
    dec = (8 * T * d * d + 4 * T * T * d + 4 * T * d * d + 4 * N * d * d + 4 * T * N * d
           + 4 * T * d * f)
    return embed_flops(cfg) + cfg.enc_layers * enc + cfg.dec_layers * dec + 2 * T * d * V


def flops_train_step(cfg, batch):
    """FLOPs of one training step over batch images (the embeddings' inputs need no
    gradient)."""
    return batch * (3 * flops_forward(cfg) - embed_flops(cfg))


def make_model(config, vocab, seed):
    """XcapRef of config (a dict of CONFIG_KEYS) with random weights (normal 0.02, LN 1,
    biases 0)."""
    words = ["<pad>", "<bos>", "<eos>", "<unk>"] + [f"w{i}" for i in range(vocab - 4)]
    cfg = XcapConfig(**{k: int(config.get(k, 0)) for k in CONFIG_KEYS}, vocab=words)
    model = XcapRef(cfg)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for pname, t in model.named_tensors():
            if pname.split(".")[-2].startswith("ln"):  # layer norms: w = 1, b = 0
                t.fill_(1.0 if pname.endswith(".w") else 0.0)
            elif t.dim() == 2:
                t.normal_(0.0, 0.02, generator=g)
            else:
                t.zero_()
    return cfg, model


def make_batch(cfg, batch, seed):
    """Random images and captions of 3..T-1 words: images, tokens, lengths, targets."""
    g = torch.Generator().manual_seed(seed)
    T, V = cfg.max_tokens, cfg.vocab_size
    image = torch.randint(0, 256, (batch, cfg.image_h, cfg.image_w, 3), generator=g).float()
    tokens = torch.full((batch, T), PAD, dtype=torch.long)
    targets = torch.full((batch, T), PAD, dtype=torch.long)
    lengths = torch.zeros(batch, dtype=torch.long)
    for i in range(batch):
        n = int(torch.randint(3, T, (1,), generator=g))
        words = torch.randint(4, V, (n,), generator=g)
        tokens[i, 0] = BOS
        tokens[i, 1:n + 1] = words
        targets[i, :n] = words
        targets[i, n] = EOS
        lengths[i] = n + 1
    return image, tokens, lengths, targets


def make_optimizer(model):
    """AdamW as model/train.c: lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01 on the
    2-D weights of linear layers only (docs/MODEL.md)."""
    decay, rest = [], []
    for (name, _, dec), (_, t) in zip(model.specs, model.named_tensors()):
        (decay if dec else rest).append(t)
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}]
    try:
        return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=True)
    except TypeError:
        return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)


def measure(fn, min_time, min_reps):
    """Median seconds of fn() after one warm-up run, timed until min_time and min_reps."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 4096:
            break
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])


def greedy(logits):
    """The most likely token of each row other than <pad> and <bos>."""
    logits = logits.clone()
    logits[:, PAD] = -math.inf
    logits[:, BOS] = -math.inf
    return logits.argmax(dim=-1)


@torch.no_grad()
def caption_cached(model, image):
    """Greedy captions of image [n, H, W, 3] to max_tokens with KV caches: every layer's
    cross K/V once, self K/V appended per step. Returns tokens [n, T]."""
    cfg, p = model.cfg, model.p
    n, T, L, H, dh, d = image.shape[0], cfg.max_tokens, cfg.dec_layers, cfg.n_heads, cfg.d_head, cfg.d_model
    memory = model.encode(image)
    N = memory.shape[1]
    heads = lambda x, rows: x.reshape(n, rows, H, dh).transpose(1, 2)  # noqa: E731
    cross = []
    for i in range(L):
        pre = f"dec.{i}.xattn"
        cross.append((heads(linear(memory, p(pre + ".wk"), p(pre + ".bk")), N),
                      heads(linear(memory, p(pre + ".wv"), p(pre + ".bv")), N)))
    self_k = torch.zeros(L, n, H, T, dh)
    self_v = torch.zeros(L, n, H, T, dh)
    tok = torch.full((n,), BOS, dtype=torch.long)
    out = torch.zeros(n, T, dtype=torch.long)
    scale = 1.0 / math.sqrt(dh)
    for pos in range(T):
        x = p("dec.tok")[tok] + p("dec.pos")[pos]
        for i in range(L):
            pre = f"dec.{i}.self"
            y = model.ln(f"dec.{i}.ln1", x)
            q = linear(y, p(pre + ".wq"), p(pre + ".bq")).reshape(n, H, 1, dh)
            self_k[i, :, :, pos] = linear(y, p(pre + ".wk"), p(pre + ".bk")).reshape(n, H, dh)
            self_v[i, :, :, pos] = linear(y, p(pre + ".wv"), p(pre + ".bv")).reshape(n, H, dh)
            a = torch.softmax(q @ self_k[i, :, :, :pos + 1].transpose(-1, -2) * scale, dim=-1)
            o = (a @ self_v[i, :, :, :pos + 1]).reshape(n, d)
            x = x + linear(o, p(pre + ".wo"), p(pre + ".bo"))
            pre = f"dec.{i}.xattn"
            y = model.ln(f"dec.{i}.ln2", x)
            q = linear(y, p(pre + ".wq"), p(pre + ".bq")).reshape(n, H, 1, dh)
            a = torch.softmax(q @ cross[i][0].transpose(-1, -2) * scale, dim=-1)  # the maps
            o = (a @ cross[i][1]).reshape(n, d)
            x = x + linear(o, p(pre + ".wo"), p(pre + ".bo"))
            x = x + model.mlp(f"dec.{i}.mlp", model.ln(f"dec.{i}.ln3", x))
        logits = linear(model.ln("dec.ln", x), p("dec.head.w"), p("dec.head.b"))
        tok = greedy(logits)
        out[:, pos] = tok
    return out


@torch.no_grad()
def encode(model, image):
    """The memory of image [n, H, W, 3]: the encoder alone, the first part of a caption."""
    return model.encode(image)


@torch.no_grad()
def caption_recompute(model, image):
    """Greedy caption of image [1, H, W, 3] running the whole decoder over tokens 0..t at
    every step t. Returns tokens [1, T]."""
    T = model.cfg.max_tokens
    memory = model.encode(image)
    tokens = torch.full((1, T + 1), BOS, dtype=torch.long)
    for t in range(T):
        logits, _, _ = model.decode(memory, tokens[:, :t + 1], torch.tensor([t + 1]))
        tokens[0, t + 1] = greedy(logits[:, t])[0]
    return tokens[:, 1:]


def peak_rss_mib():
    """getrusage's high-water mark of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_preset(name, config, vocab, threads, args):
    """The figures of one preset at each thread count."""
    cfg, model = make_model(config, vocab, args.seed)
    opt = make_optimizer(model)
    image, tokens, lengths, targets = make_batch(cfg, args.batch, args.seed)
    cap_images = image.repeat((args.caption_batch + args.batch - 1) // args.batch, 1, 1, 1)
    cap_images = cap_images[:args.caption_batch].contiguous()
    params = list(model.parameters())

    def train():
        opt.zero_grad(set_to_none=True)
        loss = model(image, tokens, lengths, targets)["loss"]
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    def forward():
        with torch.no_grad():
            model(image, tokens, lengths, targets)

    rows = []
    flops = flops_train_step(cfg, args.batch)
    for t in threads:
        torch.set_num_threads(t)
        note = lambda what: print(f"torch_peer: {name}, {t} thread{'s' if t > 1 else ''}: {what}",  # noqa: E731
                                  file=sys.stderr, flush=True)
        note("training step")
        train_s = measure(train, args.min_time, 3)
        note("forward")
        forward_s = measure(forward, args.min_time, 3)
        note("captioning")
        one = cap_images[:1]
        cached_ms = measure(lambda: caption_cached(model, one), args.min_time, 5) * 1e3
        encoder_ms = measure(lambda: encode(model, one), args.min_time, 5) * 1e3
        recompute_ms = measure(lambda: caption_recompute(model, one), args.min_time, 5) * 1e3
        agree = bool(torch.equal(caption_cached(model, one), caption_recompute(model, one)))
        batched_s = measure(lambda: caption_cached(model, cap_images), args.min_time, 3)
        rows.append({
            "preset": name, "threads": t, "config": {k: getattr(cfg, k) for k in CONFIG_KEYS},
            "params": sum(x.numel() for x in params), "vocab": cfg.vocab_size,
            "batch": args.batch, "caption_batch": args.caption_batch,
            "train_step_s": train_s, "train_img_s": args.batch / train_s,
            "train_gflop": flops * 1e-9, "train_gflops": flops / train_s * 1e-9,
            "ceiling_gflops": None, "ceiling_share": None, "best_sgemm_gflops": None,
            "forward_img_s": args.batch / forward_s,
            "caption_ms_cached": cached_ms, "caption_ms_encoder": encoder_ms,
            "caption_ms_recompute": recompute_ms,
            "caption_batch_img_s": args.caption_batch / batched_s,
            "peak_rss_mib": peak_rss_mib(), "tokens_agree": agree,
        })
    return rows


def print_table(rows, f):
    """The table of `xcap bench`, the rows PyTorch has."""
    print(f"{'':30}" + "".join(f" {r['preset'] + ' / ' + str(r['threads']) + ' thr':>12}"
                               for r in rows), file=f)
    spec = [("train img/s (batch)", "train_img_s", 1, ".1f"),
            ("train step ms", "train_step_s", 1e3, ".1f"),
            ("train GFLOP/s", "train_gflops", 1, ".1f"),
            ("forward img/s (batch)", "forward_img_s", 1, ".1f"),
            ("caption ms, cached", "caption_ms_cached", 1, ".3f"),
            ("caption ms, encoder only", "caption_ms_encoder", 1, ".3f"),
            ("caption ms, recompute", "caption_ms_recompute", 1, ".3f"),
            ("batched caption img/s", "caption_batch_img_s", 1, ".1f"),
            ("peak RSS MiB", "peak_rss_mib", 1, ".1f"),
            ("step GFLOP (formula)", "train_gflop", 1, ".3f")]
    for label, key, scale, fmt in spec:
        print(f"{label:30}" + "".join(f" {r[key] * scale:12{fmt}}" for r in rows), file=f)
    for r in rows:
        if not r["tokens_agree"]:
            print(f"note: {r['preset']}/{r['threads']}: cached and recomputed captions differ",
                  file=f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="S,M")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--caption-batch", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=SHAPES_VOCAB)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--like", default=None,
                    help="JSON of `xcap bench`: take each preset's config and vocabulary from it")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    seen = {}
    if args.like:
        for r in json.load(open(args.like))["results"]:
            seen.setdefault(r["preset"].upper(), (r["config"], r["vocab"]))
    rows = []
    for name in args.preset.upper().split(","):
        if name not in seen and name not in PRESETS:
            sys.exit(f"torch_peer: unknown preset '{name}' (use S or M)")
        config, vocab = seen.get(name, (PRESETS.get(name), args.vocab))
        rows += bench_preset(name, config, vocab, threads, args)
    print_table(rows, sys.stdout)
    if args.json:
        doc = {"tool": "pytorch", "torch": torch.__version__,
               "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
               "flops": FLOP_FORMULA, "results": rows}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
