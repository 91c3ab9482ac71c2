/* attention_reassoc.c — attention in the reassociated form (attention.h): the scores of
 * head h are (q_h Wk_h) xkv^T and its output (P_h xkv) Wv_h^T, so the N key/value rows
 * are read as they are and never projected. With B·T query rows, per head:
 *
 *   qk_h  = q_h Wk_h / sqrt(dh)   [B·T, d]   one product per head over every sequence
 *   S_b   = qk_b xkv_b^T          [H·T, N]   one product per sequence, all heads stacked
 *   pm_bh = softmax(S_bh) xkv_b   [T, d]     per sequence and head
 *   ctx_h = pm_h Wv_h^T + bv_h    [B·T, dh]  one product per head (rows of P sum to 1)
 *
 * pm (and the per-head products' qk) are [B·T, H·d]: head h's columns h·d .. h·d + d, so
 * that the per-head products over all rows and the per-pair products are plain strided
 * sgemm calls. The saved qk is [B, H, T, d] instead, the order of the probabilities, so
 * that a sequence's scores for all heads are one product of H·T rows: a product with the
 * transposed memory runs at about half speed with T = 16 rows and not with 64 (S). */
#include <math.h>
#include <string.h>

#include "attention/attention_parts.h"
#include "nn/ops.h"
#include "nn/pool.h"

/* Copies sequence b of x [B, T, H, d] into y [B, H, T, d] (heads outermost). */
static void heads_outer(float *y, const float *x, size_t b, size_t T, size_t H, size_t d) {
    for (size_t t = 0; t < T; t++)
        for (size_t h = 0; h < H; h++)
            memcpy(y + ((b * H + h) * T + t) * d, x + ((b * T + t) * H + h) * d,
                   d * sizeof(float));
}

/* Scores, mask, softmax and P·xkv of sequences [begin, end). The per-head products left
 * qk [B, T, H, d] in pm, which is reordered into a->qk first and then overwritten. */
static void sequences_forward(void *ctx, size_t begin, size_t end) {
    const attn_heads_job *job = ctx;
    const attn_shape *s = job->s;
    const attn_acts *a = job->a;
    const size_t T = s->t, N = s->n, d = s->d, H = s->heads, hd = H * d;
    for (size_t b = begin; b < end; b++) {
        const float *kv = job->kv + b * N * d;
        float *p = a->probs + b * H * T * N;
        heads_outer(a->qk, a->pm, b, T, H, d);
        nn_gemm(p, a->qk + b * H * T * d, kv, 0, 1, H * T, N, d, d, d, N, 1.0f, 0.0f);
        for (size_t h = 0; h < H; h++) attn_apply_mask(p + h * T * N, s, b);
        nn_softmax_forward(p, p, H * T, N);
        for (size_t h = 0; h < H; h++)
            nn_gemm(a->pm + b * T * hd + h * d, p + h * T * N, kv, 0, 0, T, d, N, N, d, hd, 1.0f,
                    0.0f);
    }
}

void attn_forward_reassociated(float *out, attn_acts *a, const float *xq, const float *xkv,
                               const float *params, const attn_weights *w, const attn_shape *s) {
    const size_t B = s->batch, T = s->t, d = s->d, H = s->heads, dh = d / H, hd = H * d;
    const size_t rows = B * T;
    const float *wk = params + w->wk, *wv = params + w->wv;
    nn_linear_forward(a->q, xq, params + w->wq, params + w->bq, rows, d, d);
    for (size_t h = 0; h < H; h++)  /* qk_h = q_h Wk_h · scale, into pm for now */
        nn_gemm(a->pm + h * d, a->q + h * dh, wk + h * dh * d, 0, 0, rows, d, dh, d, d, hd,
                1.0f / sqrtf((float)dh), 0.0f);
    attn_heads_job job = {a, NULL, s, xkv, NULL, 0.0f};
    nn_pool_for(B, 1, sequences_forward, &job);
    nn_bias_fill(a->ctx, params + w->bv, rows, d);
    for (size_t h = 0; h < H; h++)  /* ctx_h = pm_h Wv_h^T + bv_h */
        nn_gemm(a->ctx + h * dh, a->pm + h * d, wv + h * dh * d, 0, 1, rows, dh, d, hd, d, d,
                1.0f, 1.0f);
    nn_linear_forward(out, a->ctx, params + w->wo, params + w->bo, rows, d, d);
}

/* The backward pass of sequences_forward for sequences [begin, end) (all heads of a
 * sequence in one part: they add into the same rows of dxkv): dqk of each pair, dxkv +=
 * P^T dpm + dS^T qk. dpm [B, T, H, d] is reordered into dqk's rows of the sequence for the
 * stacked dP product, before the pairs' dqk overwrite them. Sequence b works in its own
 * [H, T, N] slot of dprobs. */
static void sequences_backward(void *ctx, size_t begin, size_t end) {
    const attn_heads_job *job = ctx;
    const attn_shape *s = job->s;
    const attn_acts *a = job->a;
    attn_scratch *sc = job->sc;
    const size_t T = s->t, N = s->n, d = s->d, H = s->heads, hd = H * d;
    for (size_t b = begin; b < end; b++) {
        const float *kv = job->kv + b * N * d;
        float *dkv = job->dkv + b * N * d;
        float *dp = sc->dprobs + b * H * T * N;
        heads_outer(sc->dqk, sc->dpm, b, T, H, d);
        nn_gemm(dp, sc->dqk + b * H * T * d, kv, 0, 1, H * T, N, d, d, d, N, 1.0f, 0.0f);  /* dP */
        for (size_t h = 0; h < H; h++) {
            size_t o = b * T * hd + h * d;
            const float *p = a->probs + (b * H + h) * T * N;
            float *dph = dp + h * T * N;
            nn_gemm(dkv, p, sc->dpm + o, 1, 0, N, d, T, N, hd, d, 1.0f, 1.0f);  /* += P^T dpm */
            attn_scores_backward(dph, p, s, b, h);
            nn_gemm(sc->dqk + o, dph, kv, 0, 0, T, d, N, N, d, hd, 1.0f, 0.0f);  /* dS xkv */
            nn_gemm(dkv, dph, a->qk + (b * H + h) * T * d, 1, 0, N, d, T, N, d, d, 1.0f,
                    1.0f);  /* += dS^T qk */
        }
    }
}

void attn_backward_reassociated(float *dxq, float *dxkv, float *grads, const float *dout,
                                const attn_acts *a, attn_scratch *sc, const float *xq,
                                const float *xkv, const float *params, const attn_weights *w,
                                const attn_shape *s) {
    const size_t B = s->batch, T = s->t, d = s->d, H = s->heads, dh = d / H, hd = H * d;
    const size_t rows = B * T;
    const float *wk = params + w->wk, *wv = params + w->wv;
    const float scale = 1.0f / sqrtf((float)dh);
    /* dctx, dpm, dqk and dq are overwritten: each head writes its own columns once */
    nn_linear_backward_to(sc->dctx, grads + w->wo, grads + w->bo, dout, a->ctx, params + w->wo,
                          rows, d, d);
    nn_linear_backward(NULL, NULL, grads + w->bv, sc->dctx, NULL, NULL, rows, d, d);
    for (size_t h = 0; h < H; h++) {
        /* dWv_h += dctx_h^T pm_h ; dpm_h = dctx_h Wv_h */
        nn_gemm(grads + w->wv + h * dh * d, sc->dctx + h * dh, a->pm + h * d, 1, 0, dh, d, rows,
                d, hd, d, 1.0f, 1.0f);
        nn_gemm(sc->dpm + h * d, sc->dctx + h * dh, wv + h * dh * d, 0, 0, rows, d, dh, d, d, hd,
                1.0f, 0.0f);
    }
    attn_heads_job job = {a, sc, s, xkv, dxkv, 0.0f};
    nn_pool_for(B, 1, sequences_backward, &job);
    for (size_t h = 0; h < H; h++) {
        /* dq_h = dqk_h Wk_h^T · scale ; dWk_h += q_h^T dqk_h · scale */
        nn_gemm(sc->dq + h * dh, sc->dqk + h * d, wk + h * dh * d, 0, 1, rows, dh, d, hd, d, d,
                scale, 0.0f);
        nn_gemm(grads + w->wk + h * dh * d, a->q + h * dh, sc->dqk + h * d, 1, 0, dh, d, rows, d,
                hd, d, scale, 1.0f);
    }
    nn_linear_backward(dxq, grads + w->wq, grads + w->bq, sc->dq, xq, params + w->wq, rows, d,
                       d);
}
