#!/usr/bin/python3
"""make_fixtures.py — writes the numeric fixtures the C tests compare against.

    /usr/bin/python3 tests/reference/make_fixtures.py [--out tests/fixtures]

Outputs (deterministic, torch.manual_seed(0)):
  tiny_weights.safetensors  a complete tiny model file (weights + config metadata)
  tiny_case.safetensors     one batch (B=2, T=8, lengths 8 and 5) with the expected
                            memory, logits, loss, attention maps and every gradient
  adamw.safetensors         three torch.optim.AdamW steps on two parameters
  tiny_edges_*.safetensors  the same pair for the tiny config with the edge channel
                            (vision/patch_edges.h) and one encoder layer

Weights and inputs are drawn in float32; every expected value is computed in float64
from those float32 values and then stored as float32. Before writing, the script checks
itself: autograd against central finite differences (float64), attention rows sum to 1,
a fully masked row gives zeros, the hand-written pieces against torch's own, and that a
float32 run of the same model meets the tolerance policy stored in tiny_case.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402
from xcap_ref import (BOS, EOS, PAD, XcapConfig, XcapRef, caption_loss,  # noqa: E402
                      gelu_tanh, layer_norm, masked_softmax)

ATOL, RTOL = 1e-5, 1e-4
TOLERANCE = "atol 1e-5 rtol 1e-4"

VOCAB = ["<pad>", "<bos>", "<eos>", "<unk>",
         "a", "small", "large", "red", "green", "blue", "circle", "square", "triangle",
         "left", "of", "right", "above", "below", ",", "and"]

CAPTIONS = ["a small red circle above a triangle",   # 7 words: length 8 = max_tokens
            "a large blue square"]                   # 4 words: length 5, then padding


def tiny_config():
    """The tiny config: 48x32 image, patch 8 -> 6x4 grid (rows != columns)."""
    return XcapConfig(image_w=48, image_h=32, patch=8, d_model=32, n_heads=2,
                      enc_layers=2, dec_layers=2, d_ff=64, max_tokens=8, vocab=list(VOCAB))


def random_weights(cfg):
    """float32 weights big enough that attention is far from uniform and every gradient
    shows: matrices and embeddings N(0, 0.2), biases U(-0.1, 0.1), LN w 1 + U(-0.2, 0.2)."""
    out = {}
    for name, shape, _ in XcapRef(cfg).specs:
        leaf = name.rsplit(".", 1)[-1]
        is_ln = ".ln" in name and leaf in ("w", "b")
        if is_ln and leaf == "w":
            t = 1.0 + (torch.rand(shape) * 0.4 - 0.2)
        elif len(shape) == 1:                     # biases and LN shifts
            t = torch.rand(shape) * 0.2 - 0.1
        else:                                     # matrices and embeddings
            t = torch.randn(shape) * 0.2
        out[name] = t.float()
    return out


def random_image(cfg, seed_shift):
    """[H, W, 3] integer pixels 0..255 (as float): a colour gradient, two solid
    rectangles and light noise, so the patches differ in a structured way."""
    H, W = cfg.image_h, cfg.image_w
    yy, xx = torch.meshgrid(torch.arange(H, dtype=torch.float32),
                            torch.arange(W, dtype=torch.float32), indexing="ij")
    base = torch.rand(3) * 120 + 40
    img = torch.stack([base[0] + 60 * xx / W, base[1] + 60 * yy / H,
                       base[2] + 30 * (xx + yy) / (W + H)], dim=-1)
    for _ in range(2):
        h, w = int(torch.randint(6, 14, ())), int(torch.randint(6, 18, ()))
        r, c = int(torch.randint(0, H - h, ())), int(torch.randint(0, W - w, ()))
        img[r:r + h, c:c + w] = torch.rand(3) * 255
    img = img + torch.randn(H, W, 3) * 8 + seed_shift
    return img.round().clamp(0, 255)


def encode_batch(cfg, captions):
    """tokens, targets [B, T] and lengths [B] for the captions, T = max_tokens."""
    T = cfg.max_tokens
    ids = {w: i for i, w in enumerate(cfg.vocab)}
    tokens = torch.full((len(captions), T), PAD, dtype=torch.long)
    targets = torch.full((len(captions), T), PAD, dtype=torch.long)
    lengths = torch.zeros(len(captions), dtype=torch.long)
    for b, text in enumerate(captions):
        words = [ids[w] for w in text.split(" ")]
        assert len(words) + 1 <= T, text
        seq = [BOS] + words
        tgt = words + [EOS]
        tokens[b, :len(seq)] = torch.tensor(seq)
        targets[b, :len(tgt)] = torch.tensor(tgt)
        lengths[b] = len(seq)
    return tokens, targets, lengths


def run(cfg, weights, dtype, image, tokens, lengths, targets, grads=True):
    """Forward (+ backward) of the reference in dtype; returns (out dict, {name: grad})."""
    model = XcapRef(cfg, {k: v.to(dtype) for k, v in weights.items()}).to(dtype)
    out = model(image.to(dtype), tokens, lengths, targets)
    g = {}
    if grads:
        out["loss"].backward()
        g = {n: p.grad.detach().clone() for n, p in model.named_tensors()}
    return out, g


def check_finite_differences(cfg, weights, image, tokens, lengths, targets, grads, rng):
    """Central differences in float64 on a random entry and the largest-gradient entry
    of every parameter; asserts |fd - autograd| <= 1e-8 + 1e-6 |autograd|.
    Returns (entries checked, worst error as a fraction of that allowance)."""
    model = XcapRef(cfg, {k: v.double() for k, v in weights.items()}).double()
    img = image.double()
    h = 1e-6
    worst, checked = 0.0, 0
    with torch.no_grad():
        for name, p in model.named_tensors():
            g = grads[name].reshape(-1)
            picks = {int(rng.integers(g.numel())), int(g.abs().argmax())}
            for k in sorted(picks):
                flat = p.view(-1)
                orig = float(flat[k])
                flat[k] = orig + h
                lp = float(model(img, tokens, lengths, targets)["loss"])
                flat[k] = orig - h
                lm = float(model(img, tokens, lengths, targets)["loss"])
                flat[k] = orig
                fd, ag = (lp - lm) / (2 * h), float(g[k])
                allow = 1e-8 + 1e-6 * abs(ag)
                assert abs(fd - ag) <= allow, \
                    f"gradient of {name}[{k}]: autograd {ag:.12g}, finite difference {fd:.12g}"
                worst = max(worst, abs(fd - ag) / allow)
                checked += 1
    return checked, worst


def check_attention_rows(out, lengths, T):
    """Every attention row sums to 1; self-attention puts no weight on masked keys."""
    for a in out["xattn"] + out["selfattn"]:
        s = a.sum(dim=-1)
        assert torch.allclose(s, torch.ones_like(s), atol=1e-12), "attention row sum != 1"
    for a in out["selfattn"]:
        for b in range(a.shape[0]):
            for i in range(T):
                visible = min(i + 1, int(lengths[b]))
                assert float(a[b, :, i, visible:].abs().max() if visible < T else 0) == 0.0
                assert float(a[b, :, i, :visible].min()) > 0.0


def check_pieces():
    """The hand-written pieces against torch's own, and the fully masked row rule."""
    x = torch.randn(5, 7, dtype=torch.float64)
    w, b = torch.randn(7, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    assert torch.allclose(layer_norm(x, w, b), F.layer_norm(x, (7,), w, b, eps=1e-5),
                          atol=1e-12)
    assert torch.allclose(gelu_tanh(x), F.gelu(x, approximate="tanh"), atol=1e-12)
    logits = torch.randn(2, 4, 6, dtype=torch.float64)
    targets = torch.tensor([[3, 1, 0, 0], [2, 5, 4, 0]])
    want = F.cross_entropy(logits.reshape(-1, 6), targets.reshape(-1), ignore_index=0)
    assert torch.allclose(caption_loss(logits, targets), want, atol=1e-12)
    scores = torch.randn(1, 1, 3, 4, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[False, True, False, True], [True] * 4, [False] * 4])[None, None]
    a = masked_softmax(scores, mask)
    assert float(a[0, 0, 1].abs().sum()) == 0.0, "a fully masked row must be all zeros"
    assert float(a[0, 0, 0, 1]) == 0.0 and abs(float(a[0, 0, 0].sum()) - 1) < 1e-12
    a.sum().backward()
    assert torch.isfinite(scores.grad).all(), "masked softmax backward produced NaN"


def check_float32_policy(cfg, weights, image, tokens, lengths, targets, ref, ref_grads):
    """A float32 run of the same model must meet the tolerance policy (so the policy is
    achievable for the C code). Returns the worst |err| / (atol + rtol |want|)."""
    out32, g32 = run(cfg, weights, torch.float32, image, tokens, lengths, targets)
    pairs = [("memory", out32["memory"], ref["memory"]), ("logits", out32["logits"], ref["logits"]),
             ("loss", out32["loss"], ref["loss"])]
    for i in range(cfg.dec_layers):
        pairs.append((f"xattn.{i}", out32["xattn"][i], ref["xattn"][i]))
        pairs.append((f"selfattn.{i}", out32["selfattn"][i], ref["selfattn"][i]))
    pairs += [(f"grad.{n}", g32[n], ref_grads[n]) for n in ref_grads]
    worst, worst_name = 0.0, ""
    for name, got, want in pairs:
        want32 = want.detach().float().double()
        ratio = float(((got.detach().double() - want32).abs() /
                       (ATOL + RTOL * want32.abs())).max())
        if ratio > worst:
            worst, worst_name = ratio, name
    assert worst <= 1.0, f"float32 reference breaks '{TOLERANCE}' on {worst_name} ({worst:.3g}x)"
    return worst, worst_name


def make_model_fixtures(out_dir, cfg=None, prefix="tiny"):
    """PREFIX_weights and PREFIX_case for cfg (default: the tiny config); returns the
    config and the written paths."""
    cfg = cfg or tiny_config()
    weights = random_weights(cfg)
    image = torch.stack([random_image(cfg, 0.0), random_image(cfg, 3.0)])
    tokens, targets, lengths = encode_batch(cfg, CAPTIONS)
    B, T = tokens.shape

    out, grads = run(cfg, weights, torch.float64, image, tokens, lengths, targets)
    check_pieces()
    check_attention_rows(out, lengths, T)
    for name, g in grads.items():
        # softmax ignores a per-row constant, so d loss / d key bias is exactly 0
        if not name.endswith(".bk"):
            assert float(g.abs().max()) > 1e-6, f"gradient of {name} is trivial"
        else:
            assert float(g.abs().max()) < 1e-12, f"gradient of {name} should vanish"
    n_fd, worst_fd = check_finite_differences(cfg, weights, image, tokens, lengths, targets,
                                              grads, np.random.default_rng(0))
    worst32, worst32_name = check_float32_policy(cfg, weights, image, tokens, lengths,
                                                 targets, out, grads)

    w_path = os.path.join(out_dir, f"{prefix}_weights.safetensors")
    write_safetensors(w_path, [(n, weights[n]) for n in XcapRef(cfg).names], cfg.metadata())

    case = [("image", image), ("tokens", tokens.float()), ("targets", targets.float()),
            ("lengths", lengths.float()), ("memory", out["memory"]), ("logits", out["logits"]),
            ("loss", out["loss"].reshape(1))]
    case += [(f"xattn.{i}", a) for i, a in enumerate(out["xattn"])]
    case += [(f"selfattn.{i}", a) for i, a in enumerate(out["selfattn"])]
    case += [(f"grad.{n}", grads[n]) for n in XcapRef(cfg).names]
    meta = {"tolerance": TOLERANCE, "B": str(B), "T": str(T),
            "captions": "\n".join(CAPTIONS),
            "note": "expected values computed in float64 from the float32 weights and inputs; "
                    "tokens/targets/lengths are ids stored as floats; loss = mean cross-entropy "
                    "over targets != 0; grad.* = d loss / d parameter",
            "generator": "tests/reference/make_fixtures.py"}
    c_path = os.path.join(out_dir, f"{prefix}_case.safetensors")
    write_safetensors(c_path, case, meta)

    print(f"{prefix} model: N={cfg.n_patches} ({cfg.grid_w}x{cfg.grid_h}) d={cfg.d_model} "
          f"H={cfg.n_heads} V={cfg.vocab_size}, {len(weights)} tensors, "
          f"{sum(w.numel() for w in weights.values())} floats")
    print(f"loss {float(out['loss']):.6f} over {int((targets != PAD).sum())} positions; "
          f"max xattn prob {float(max(a.max() for a in out['xattn'])):.3f} "
          f"(uniform {1 / cfg.n_patches:.3f})")
    print(f"finite differences: {n_fd} entries agree with autograd, worst {worst_fd:.3f} "
          f"of the allowance 1e-8 + 1e-6|g|")
    print(f"float32 run meets '{TOLERANCE}': worst {worst32:.3f} of the allowance ({worst32_name})")
    return cfg, [w_path, c_path]


def make_adamw_fixture(out_dir):
    """Three torch.optim.AdamW steps (float32): w [4,3] with weight decay, b [3] without."""
    lr, beta1, beta2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    w = torch.randn(4, 3).requires_grad_()
    b = torch.randn(3).requires_grad_()
    entries = [("w.0", w.detach().clone()), ("b.0", b.detach().clone())]
    opt = torch.optim.AdamW([{"params": [w], "weight_decay": wd},
                             {"params": [b], "weight_decay": 0.0}],
                            lr=lr, betas=(beta1, beta2), eps=eps, foreach=False)
    # float64 re-derivation of the update, as a check of the stored values
    ref = {"w": w.detach().double().clone(), "b": b.detach().double().clone()}
    m = {k: torch.zeros_like(v) for k, v in ref.items()}
    v2 = {k: torch.zeros_like(v) for k, v in ref.items()}
    for k in range(1, 4):
        gw, gb = torch.randn(4, 3), torch.randn(3)
        w.grad, b.grad = gw.clone(), gb.clone()
        opt.step()
        entries += [(f"w.grad.{k}", gw), (f"b.grad.{k}", gb),
                    (f"w.{k}", w.detach().clone()), (f"b.{k}", b.detach().clone())]
        for name, g, decay in (("w", gw.double(), wd), ("b", gb.double(), 0.0)):
            ref[name] = ref[name] * (1 - lr * decay)
            m[name] = beta1 * m[name] + (1 - beta1) * g
            v2[name] = beta2 * v2[name] + (1 - beta2) * g * g
            mhat, vhat = m[name] / (1 - beta1 ** k), v2[name] / (1 - beta2 ** k)
            ref[name] = ref[name] - lr * mhat / (vhat.sqrt() + eps)
        assert torch.allclose(w.detach().double(), ref["w"], atol=1e-6, rtol=0)
        assert torch.allclose(b.detach().double(), ref["b"], atol=1e-6, rtol=0)
    meta = {"lr": repr(lr), "beta1": repr(beta1), "beta2": repr(beta2), "eps": repr(eps),
            "weight_decay": repr(wd), "steps": "3",
            "note": "w decays (weight_decay), b does not; float32 torch.optim.AdamW",
            "generator": "tests/reference/make_fixtures.py"}
    path = os.path.join(out_dir, "adamw.safetensors")
    write_safetensors(path, entries, meta)
    print("adamw: 3 steps match the float64 re-derivation to 1e-6")
    return path


def edges_config():
    """The tiny config with the edge channel and one encoder layer."""
    cfg = tiny_config()
    cfg.edge_features = 1
    cfg.enc_layers = 1
    return cfg


def expected_names(cfg, prefix="tiny"):
    """Every tensor each fixture must hold."""
    names = XcapRef(cfg).names
    case = ["image", "tokens", "targets", "lengths", "memory", "logits", "loss"]
    case += [f"xattn.{i}" for i in range(cfg.dec_layers)]
    case += [f"selfattn.{i}" for i in range(cfg.dec_layers)]
    case += [f"grad.{n}" for n in names]
    adamw = ["w.0", "b.0"] + [f"{p}.{s}{k}" for k in range(1, 4) for p in ("w", "b")
                              for s in ("grad.", "")]
    out = {f"{prefix}_weights.safetensors": names, f"{prefix}_case.safetensors": case}
    if prefix == "tiny":
        out["adamw.safetensors"] = adamw
    return out


def verify_files(cfg, out_dir, prefix="tiny"):
    """Reads the files back: every expected tensor present (and nothing else), config round-trips."""
    total = 0
    for fname, names in expected_names(cfg, prefix).items():
        path = os.path.join(out_dir, fname)
        tensors, meta = read_safetensors(path)
        assert sorted(tensors) == sorted(names), f"{fname}: tensor names differ"
        total += os.path.getsize(path)
        print(f"{fname}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")
        if fname == f"{prefix}_weights.safetensors":
            assert meta == cfg.metadata(), "tiny_weights metadata differs from the config"
            for n, shape, _ in XcapRef(cfg).specs:
                assert tensors[n].shape == tuple(shape), n
        if fname == f"{prefix}_case.safetensors":
            assert meta["tolerance"] == TOLERANCE
    assert total < 1 << 20, "fixtures should stay well under 1 MB"


def main():
    """Writes the three fixtures into --out (default: tests/fixtures next to this script)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(here, "..", "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    cfg, _ = make_model_fixtures(args.out)
    make_adamw_fixture(args.out)
    verify_files(cfg, args.out)
    edges, _ = make_model_fixtures(args.out, edges_config(), "tiny_edges")
    verify_files(edges, args.out, "tiny_edges")
    print("ok")


if __name__ == "__main__":
    main()
