/* attention.h — multi-head attention where the queries come from one sequence
 * (T rows) and the keys/values from another (N rows). Self-attention is the case
 * where both are the same sequence; cross-attention is the decoder's words (T)
 * attending to the image patches (N), so its score matrix is T x N.
 *
 * Two forms compute the same function. The K/V form projects the N key/value rows
 * (K = xkv Wk^T, V = xkv Wv^T) and works per head in d/H columns. The reassociated form
 * never forms K and V: a head's scores are (q_h Wk_h) xkv^T and its output
 * (P_h xkv) Wv_h^T (Wk_h, Wv_h: the head's d/H rows of Wk, Wv). Per sequence it costs
 * T·d² + H·T·N·d multiply-adds where the K/V form costs N·d² + T·N·d (the parts that
 * differ), so it pays when many keys meet few queries: the decoder's cross-attention.
 * bk adds the same number to every score of a row, which softmax cancels, so the
 * reassociated form leaves its gradient zero (as is the exact gradient).
 *
 * Weights live in a shared parameter buffer; attn_weights holds their offsets
 * (the same offsets index the gradient buffer). Buffers are the caller's. */
#ifndef XCAP_ATTENTION_ATTENTION_H
#define XCAP_ATTENTION_ATTENTION_H

#include <stddef.h>

#include "nn/arena.h"
#include "nn/layout.h"

typedef struct {
    size_t wq, wk, wv, wo, bq, bk, bv, bo;  /* offsets into the parameter buffer */
} attn_weights;

/* Supervision of one head's attention (the alignment loss of training): for every query
 * row whose target row is not all zero, attn_backward adds scale · (p − target) to the
 * gradient of that head's scores, which is the gradient of scale · CE(target, p). */
typedef struct {
    size_t head;         /* which head is supervised */
    const float *rows;   /* [B, T, N]: per query a distribution over the keys, or all zero */
    float scale;         /* the loss weight divided by the number of supervised rows */
} attn_target;

typedef struct {
    size_t batch;        /* B sequences */
    size_t t;            /* queries per sequence */
    size_t n;            /* keys per sequence */
    size_t d;            /* model width */
    size_t heads;        /* H; d_head = d / H */
    int causal;          /* key j > query i is masked (self-attention, t == n) */
    const int *kv_len;   /* per sequence: keys >= kv_len[b] are masked; NULL = none */
    const attn_target *target;  /* backward only: supervision of one head; NULL = none */
    int reassociate;     /* 1 = the reassociated form (never with causal or self-attention) */
} attn_shape;

/* Saved by the forward pass for the backward pass (and for reading the maps). */
typedef struct {
    float *q;      /* [B, T, d] */
    float *k, *v;  /* [B, N, d] (K/V form; NULL in the reassociated form) */
    float *qk;     /* [B, H, T, d]: q_h Wk_h / sqrt(d/H) (reassociated form; else NULL) */
    float *pm;     /* [B, T, H, d]: P_h xkv (reassociated form; else NULL) */
    float *probs;  /* [B, H, T, N]: the attention probabilities */
    float *ctx;    /* [B, T, d]: heads concatenated, before the output projection */
} attn_acts;

/* Scratch of the backward pass. */
typedef struct {
    float *dctx, *dq;     /* [B, T, d] */
    float *dk, *dv;       /* [B, N, d] (K/V form) */
    float *dqk, *dpm;     /* [B, T, H, d]: gradients of qk and pm (reassociated form) */
    float *dprobs;        /* [B, H, T, N]: room for a [T, N] slot per part of a pool job */
} attn_scratch;

/* Appends "prefix.wq" … "prefix.bo" (MODEL.md) for width d; out_std is the init std of wo. */
void attn_layout(attn_weights *w, nn_layout *L, const char *prefix, size_t d, float out_std);

/* 1 when the reassociated form needs fewer multiply-adds than the K/V form for t queries
 * and n keys of width d with `heads` heads (see the top of this file). */
int attn_reassociation_pays(size_t t, size_t n, size_t d, size_t heads);

/* Takes the activation buffers for shape s from an arena (see nn/arena.h). */
void attn_acts_take(attn_acts *a, nn_arena *ar, const attn_shape *s);
/* Takes backward scratch large enough for each of the `count` shapes (one at a time). */
void attn_scratch_take(attn_scratch *sc, nn_arena *ar, const attn_shape *shapes, size_t count);

/* out[B, T, d] = MHA(xq [B, T, d], xkv [B, N, d]); fills a (probs included). */
void attn_forward(float *out, attn_acts *a, const float *xq, const float *xkv, const float *params,
                  const attn_weights *w, const attn_shape *s);

/* Backward of attn_forward: dxq += ..., dxkv += ..., grads += ... (dxq may equal dxkv for
 * self-attention). sc is overwritten. */
void attn_backward(float *dxq, float *dxkv, float *grads, const float *dout, const attn_acts *a,
                   attn_scratch *sc, const float *xq, const float *xkv, const float *params,
                   const attn_weights *w, const attn_shape *s);

/* The alignment loss of head tg->head: the sum over supervised rows of CE(target, p) from
 * probs [B, H, T, N]; *rows gets the number of supervised rows. */
double attn_target_loss(size_t *rows, const float *probs, const attn_target *tg,
                        const attn_shape *s);

/* One decode step for one query, every head at once: q [d] (already projected) against
 * n_keys cached keys and values. The keys are kept transposed: kt holds d rows, ldkt
 * floats apart, and row c holds channel c of every key (so a head's scores are sums of
 * contiguous rows, with no reduction across lanes); v is [n_keys, d]. Writes probs
 * [H, n_keys] and ctx [d] (heads concatenated, before the output projection). Plain loops,
 * not one sgemm call per head and product: a one-row product that small is mostly call
 * overhead. */
void attn_step(float *ctx, float *probs, const float *q, const float *kt, size_t ldkt,
               const float *v, size_t n_keys, size_t d, size_t heads);

#endif
