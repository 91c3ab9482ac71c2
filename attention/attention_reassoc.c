/* attention_reassoc.c — attention in the reassociated form (attention.h): the scores of
 * head h are (q_h Wk_h) xkv^T and its output (P_h xkv) Wv_h^T, so the N key/value rows
 * are read as they are and never projected. With B·T query rows, per head:
 *
 *   qk_h  = q_h Wk_h / sqrt(dh)   [B·T, d]   one product per head over every sequence
 *   S_bh  = qk_bh xkv_b^T         [T, N]     per sequence and head
 *   pm_bh = softmax(S_bh) xkv_b   [T, d]     per sequence and head
 *   ctx_h = pm_h Wv_h^T + bv_h    [B·T, dh]  one product per head (rows of P sum to 1)
 *
 * qk and pm are [B·T, H·d]: head h's columns h·d .. h·d + d, so that both the per-head
 * products over all rows and the per-sequence products are plain strided sgemm calls. */
#include <math.h>

#include "attention/attention_parts.h"
#include "nn/ops.h"
#include "nn/pool.h"

/* Scores, mask, softmax and P·xkv for (sequence, head) pairs [begin, end): pair i is
 * sequence i / H, head i % H. */
static void pairs_forward(void *ctx, size_t begin, size_t end) {
    const attn_heads_job *job = ctx;
    const attn_shape *s = job->s;
    const attn_acts *a = job->a;
    const size_t T = s->t, N = s->n, d = s->d, H = s->heads, hd = H * d;
    for (size_t i = begin; i < end; i++) {
        size_t b = i / H, h = i % H, o = b * T * hd + h * d;
        const float *kv = job->kv + b * N * d;
        float *p = a->probs + i * T * N;
        nn_gemm(p, a->qk + o, kv, 0, 1, T, N, d, hd, d, N, 1.0f, 0.0f);
        attn_apply_mask(p, s, b);
        nn_softmax_forward(p, p, T, N);
        nn_gemm(a->pm + o, p, kv, 0, 0, T, d, N, N, d, hd, 1.0f, 0.0f);
    }
}

void attn_forward_reassociated(float *out, attn_acts *a, const float *xq, const float *xkv,
                               const float *params, const attn_weights *w, const attn_shape *s) {
    const size_t B = s->batch, T = s->t, d = s->d, H = s->heads, dh = d / H, hd = H * d;
    const size_t rows = B * T;
    const float *wk = params + w->wk, *wv = params + w->wv;
    nn_linear_forward(a->q, xq, params + w->wq, params + w->bq, rows, d, d);
    for (size_t h = 0; h < H; h++)  /* qk_h = q_h Wk_h · scale */
        nn_gemm(a->qk + h * d, a->q + h * dh, wk + h * dh * d, 0, 0, rows, d, dh, d, d, hd,
                1.0f / sqrtf((float)dh), 0.0f);
    attn_heads_job job = {a, NULL, s, xkv, NULL, 0.0f};
    nn_pool_for(B * H, 1, pairs_forward, &job);
    nn_bias_fill(a->ctx, params + w->bv, rows, d);
    for (size_t h = 0; h < H; h++)  /* ctx_h = pm_h Wv_h^T + bv_h */
        nn_gemm(a->ctx + h * dh, a->pm + h * d, wv + h * dh * d, 0, 1, rows, dh, d, hd, d, d,
                1.0f, 1.0f);
    nn_linear_forward(out, a->ctx, params + w->wo, params + w->bo, rows, d, d);
}

/* The backward pass of pairs_forward for sequences [begin, end), all heads of a sequence
 * in one part (they add into the same rows of dxkv): dqk of each pair, dxkv += P^T dpm +
 * dS^T qk. A part works in the dprobs slot of its first sequence's first pair. */
static void sequences_backward(void *ctx, size_t begin, size_t end) {
    const attn_heads_job *job = ctx;
    const attn_shape *s = job->s;
    const attn_acts *a = job->a;
    attn_scratch *sc = job->sc;
    const size_t T = s->t, N = s->n, d = s->d, H = s->heads, hd = H * d;
    float *dp = sc->dprobs + begin * H * T * N;
    for (size_t b = begin; b < end; b++) {
        const float *kv = job->kv + b * N * d;
        float *dkv = job->dkv + b * N * d;
        for (size_t h = 0; h < H; h++) {
            size_t o = b * T * hd + h * d;
            const float *p = a->probs + (b * H + h) * T * N;
            nn_gemm(dp, sc->dpm + o, kv, 0, 1, T, N, d, hd, d, N, 1.0f, 0.0f);  /* dP */
            nn_gemm(dkv, p, sc->dpm + o, 1, 0, N, d, T, N, hd, d, 1.0f, 1.0f);  /* += P^T dpm */
            attn_scores_backward(dp, p, s, b, h);
            nn_gemm(sc->dqk + o, dp, kv, 0, 0, T, d, N, N, d, hd, 1.0f, 0.0f);  /* dS xkv */
            nn_gemm(dkv, dp, a->qk + o, 1, 0, N, d, T, N, hd, d, 1.0f, 1.0f);   /* += dS^T qk */
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
