"""xcap_ref.py — the PyTorch reference of the xcap model (docs/MODEL.md, exactly).

The same function as the C code, with the same tensor names. Attention is written by
hand (no nn.MultiheadAttention) so that the masking rules match the spec:
scale 1/sqrt(d_head), masked scores are -inf, a row with every key masked gives
all-zero probabilities.

Usage:
    cfg = XcapConfig(...)
    model = XcapRef(cfg, {name: tensor, ...})      # or XcapRef(cfg) for zeros
    out = model(image, tokens, lengths, targets)
    out["logits"], out["loss"], out["memory"], out["xattn"][i], out["selfattn"][i]
The module computes in the dtype of its parameters (use .double() for references).
"""

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn

PAD, BOS, EOS, UNK = 0, 1, 2, 3
LN_EPS = 1e-5


@dataclass
class XcapConfig:
    """The model config as stored in a model file's __metadata__."""
    image_w: int
    image_h: int
    patch: int
    d_model: int
    n_heads: int
    enc_layers: int
    dec_layers: int
    d_ff: int
    max_tokens: int
    vocab: list = field(default_factory=list)
    edge_features: int = 0      # 1: the encoder also embeds the edge channel

    @property
    def grid_w(self):
        return self.image_w // self.patch

    @property
    def grid_h(self):
        return self.image_h // self.patch

    @property
    def n_patches(self):
        return self.grid_w * self.grid_h

    @property
    def d_head(self):
        return self.d_model // self.n_heads

    @property
    def vocab_size(self):
        return len(self.vocab)

    def metadata(self):
        """The config as the str -> str dict of a model file's __metadata__."""
        keys = ["image_w", "image_h", "patch", "d_model", "n_heads", "enc_layers",
                "dec_layers", "d_ff", "max_tokens"]
        meta = {k: str(getattr(self, k)) for k in keys}
        if self.edge_features:
            meta["edge_features"] = "1"
        meta["vocab"] = "\n".join(self.vocab)
        return meta

    def check(self):
        """Raises ValueError when the config is inconsistent."""
        if self.image_w % self.patch or self.image_h % self.patch:
            raise ValueError("image size must be a multiple of patch")
        if self.d_model % self.n_heads:
            raise ValueError("d_model must be a multiple of n_heads")
        if self.vocab[:4] != ["<pad>", "<bos>", "<eos>", "<unk>"]:
            raise ValueError("vocab must start with <pad> <bos> <eos> <unk>")


def param_specs(cfg):
    """The list of (name, shape, decay) of every parameter, in MODEL.md order.
    decay is True for the 2-D weight matrices of linear layers (AdamW weight decay)."""
    d, f, V, P = cfg.d_model, cfg.d_ff, cfg.vocab_size, cfg.patch
    specs = []

    def ln(prefix):
        specs.append((f"{prefix}.w", (d,), False))
        specs.append((f"{prefix}.b", (d,), False))

    def attn(prefix):
        for m in ("wq", "wk", "wv", "wo"):
            specs.append((f"{prefix}.{m}", (d, d), True))
        for m in ("bq", "bk", "bv", "bo"):
            specs.append((f"{prefix}.{m}", (d,), False))

    def mlp(prefix):
        specs.append((f"{prefix}.fc.w", (f, d), True))
        specs.append((f"{prefix}.fc.b", (f,), False))
        specs.append((f"{prefix}.proj.w", (d, f), True))
        specs.append((f"{prefix}.proj.b", (d,), False))

    specs.append(("enc.patch.w", (d, 3 * P * P), True))
    specs.append(("enc.patch.b", (d,), False))
    specs.append(("enc.pos", (cfg.n_patches, d), False))
    if cfg.edge_features:
        specs.append(("enc.edge.w", (d, P * P), True))
    for i in range(cfg.enc_layers):
        ln(f"enc.{i}.ln1")
        attn(f"enc.{i}.attn")
        ln(f"enc.{i}.ln2")
        mlp(f"enc.{i}.mlp")
    ln("enc.ln")
    specs.append(("dec.tok", (V, d), False))
    specs.append(("dec.pos", (cfg.max_tokens, d), False))
    for i in range(cfg.dec_layers):
        ln(f"dec.{i}.ln1")
        attn(f"dec.{i}.self")
        ln(f"dec.{i}.ln2")
        attn(f"dec.{i}.xattn")
        ln(f"dec.{i}.ln3")
        mlp(f"dec.{i}.mlp")
    ln("dec.ln")
    specs.append(("dec.head.w", (V, d), True))
    specs.append(("dec.head.b", (V,), False))
    return specs


# --- building blocks -----------------------------------------------------------------

def linear(x, w, b):
    """x @ w.T + b with w stored [out, in]."""
    return x @ w.t() + b


def layer_norm(x, w, b):
    """Layer norm over the last axis, biased variance, eps 1e-5."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + LN_EPS) * w + b


def gelu_tanh(x):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def masked_softmax(scores, mask):
    """Softmax over the last axis; mask (bool, True = masked, broadcastable) entries get
    probability 0, and a row whose every entry is masked is all zeros (no NaN, also in
    the backward pass)."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    mask = mask.expand_as(scores)
    dead = mask.all(dim=-1, keepdim=True)                 # rows with no visible key
    s = scores.masked_fill(mask, float("-inf")).masked_fill(dead, 0.0)
    return torch.softmax(s, dim=-1) * (~dead).to(scores.dtype)


def image_to_patches(image, patch):
    """[B, H, W, 3] pixel values 0..255 -> [B, N, 3 P^2] model inputs (v/255-0.5)/0.5,
    patches row-major, element (py * P + px) * 3 + ch."""
    B, H, W, C = image.shape
    gh, gw = H // patch, W // patch
    x = (image / 255.0 - 0.5) / 0.5
    x = x.reshape(B, gh, patch, gw, patch, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(B, gh * gw, patch * patch * C)


EDGE_SOFTNESS = 0.3


def edge_channel(x, cfg):
    """[B, N, 3 P^2] model inputs -> [B, N, P^2] edge channel (vision/patch_edges.h):
    g = (sum_c |v(x+1)-v(x-1)| + |v(y+1)-v(y-1)|) / 2 with clamped borders,
    e = 2 g / (g + EDGE_SOFTNESS) - 1."""
    B, P, gh, gw = x.shape[0], cfg.patch, cfg.grid_h, cfg.grid_w
    img = x.reshape(B, gh, gw, P, P, 3).permute(0, 1, 3, 2, 4, 5).reshape(B, gh * P, gw * P, 3)
    pad = torch.cat([img[:, :1], img, img[:, -1:]], dim=1)
    pad = torch.cat([pad[:, :, :1], pad, pad[:, :, -1:]], dim=2)
    dx = (pad[:, 1:-1, 2:] - pad[:, 1:-1, :-2]).abs()
    dy = (pad[:, 2:, 1:-1] - pad[:, :-2, 1:-1]).abs()
    g = 0.5 * (dx + dy).sum(dim=-1)
    e = 2.0 * g / (g + EDGE_SOFTNESS) - 1.0
    return e.reshape(B, gh, P, gw, P).permute(0, 1, 3, 2, 4).reshape(B, gh * gw, P * P)


def decoder_mask(lengths, T):
    """[B, 1, T, T] bool, True = masked: causal (key j > query i) or key padding
    (key j >= length of the sequence)."""
    j = torch.arange(T)
    causal = j[None, :] > j[:, None]                           # [T, T]
    padding = j[None, :] >= lengths.to(torch.long)[:, None]    # [B, T]
    return (causal[None, :, :] | padding[:, None, :])[:, None, :, :]


class XcapRef(nn.Module):
    """The xcap captioner: encoder over image patches, decoder with causal self-attention
    and cross-attention to the memory. Parameters are addressed by their MODEL.md names."""

    def __init__(self, cfg, tensors=None):
        super().__init__()
        cfg.check()
        self.cfg = cfg
        self.specs = param_specs(cfg)
        self.names = [n for n, _, _ in self.specs]
        params = []
        for name, shape, _ in self.specs:
            if tensors is not None:
                t = torch.as_tensor(tensors[name]).clone()
                if tuple(t.shape) != tuple(shape):
                    raise ValueError(f"tensor '{name}' has shape {list(t.shape)}, "
                                     f"expected {list(shape)}")
            else:
                t = torch.zeros(shape)
            params.append(nn.Parameter(t))
        self.plist = nn.ParameterList(params)   # module names cannot contain '.'
        self.index = {n: i for i, n in enumerate(self.names)}

    def p(self, name):
        """The parameter called name."""
        return self.plist[self.index[name]]

    def named_tensors(self):
        """(name, parameter) pairs in MODEL.md order."""
        return [(n, self.plist[i]) for i, n in enumerate(self.names)]

    def mha(self, prefix, xq, xkv, mask):
        """Multi-head attention with parameters prefix.*; returns (out [B,T,d], A [B,H,T,N])."""
        B, T, d = xq.shape
        N = xkv.shape[1]
        H, dh = self.cfg.n_heads, self.cfg.d_head
        q = linear(xq, self.p(prefix + ".wq"), self.p(prefix + ".bq"))
        k = linear(xkv, self.p(prefix + ".wk"), self.p(prefix + ".bk"))
        v = linear(xkv, self.p(prefix + ".wv"), self.p(prefix + ".bv"))
        q = q.reshape(B, T, H, dh).transpose(1, 2)
        k = k.reshape(B, N, H, dh).transpose(1, 2)
        v = v.reshape(B, N, H, dh).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        a = masked_softmax(scores, mask)
        o = (a @ v).transpose(1, 2).reshape(B, T, d)
        return linear(o, self.p(prefix + ".wo"), self.p(prefix + ".bo")), a

    def ln(self, prefix, x):
        """Layer norm with parameters prefix.w, prefix.b."""
        return layer_norm(x, self.p(prefix + ".w"), self.p(prefix + ".b"))

    def mlp(self, prefix, x):
        """proj(GELU(fc(x)))."""
        h = gelu_tanh(linear(x, self.p(prefix + ".fc.w"), self.p(prefix + ".fc.b")))
        return linear(h, self.p(prefix + ".proj.w"), self.p(prefix + ".proj.b"))

    def encode(self, image):
        """[B, H, W, 3] pixels -> memory M [B, N, d]."""
        x = image_to_patches(image.to(self.plist[0].dtype), self.cfg.patch)
        h = linear(x, self.p("enc.patch.w"), self.p("enc.patch.b")) + self.p("enc.pos")
        if self.cfg.edge_features:
            h = h + edge_channel(x, self.cfg) @ self.p("enc.edge.w").t()
        for i in range(self.cfg.enc_layers):
            y = self.ln(f"enc.{i}.ln1", h)
            h = h + self.mha(f"enc.{i}.attn", y, y, None)[0]
            h = h + self.mlp(f"enc.{i}.mlp", self.ln(f"enc.{i}.ln2", h))
        return self.ln("enc.ln", h)

    def decode(self, memory, tokens, lengths):
        """Teacher-forced decoder: returns (logits [B,T,V], [xattn [B,H,T,N]] per layer,
        [selfattn [B,H,T,T]] per layer)."""
        B, T = tokens.shape
        if T > self.cfg.max_tokens:
            raise ValueError(f"T={T} exceeds max_tokens={self.cfg.max_tokens}")
        x = self.p("dec.tok")[tokens.long()] + self.p("dec.pos")[:T]
        mask = decoder_mask(lengths, T)
        xattn, selfattn = [], []
        for i in range(self.cfg.dec_layers):
            y = self.ln(f"dec.{i}.ln1", x)
            o, a_self = self.mha(f"dec.{i}.self", y, y, mask)
            x = x + o
            o, a_x = self.mha(f"dec.{i}.xattn", self.ln(f"dec.{i}.ln2", x), memory, None)
            x = x + o
            x = x + self.mlp(f"dec.{i}.mlp", self.ln(f"dec.{i}.ln3", x))
            selfattn.append(a_self)
            xattn.append(a_x)
        logits = linear(self.ln("dec.ln", x), self.p("dec.head.w"), self.p("dec.head.b"))
        return logits, xattn, selfattn

    def forward(self, image, tokens, lengths=None, targets=None):
        """Full forward pass. lengths defaults to the count of non-pad tokens per row.
        Returns a dict with memory, logits, xattn (list), selfattn (list) and, when
        targets are given, loss (mean cross-entropy over targets != <pad>)."""
        if lengths is None:
            lengths = (tokens != PAD).sum(dim=1)
        memory = self.encode(image)
        logits, xattn, selfattn = self.decode(memory, tokens, lengths)
        out = {"memory": memory, "logits": logits, "xattn": xattn, "selfattn": selfattn}
        if targets is not None:
            out["loss"] = caption_loss(logits, targets)
        return out


def caption_loss(logits, targets):
    """Mean cross-entropy over the positions whose target is not <pad> (id 0)."""
    logp = torch.log_softmax(logits, dim=-1)
    t = targets.long()
    nll = -logp.gather(-1, t.unsqueeze(-1)).squeeze(-1)
    keep = (t != PAD).to(logits.dtype)
    return (nll * keep).sum() / keep.sum()
