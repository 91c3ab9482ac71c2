/* attention.c — multi-head attention forward/backward and the cached decode step. */
#include "attention/attention.h"

#include <math.h>

#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/reduce.h"

void attn_layout(attn_weights *w, nn_layout *L, const char *prefix, size_t d, float out_std) {
    /* wq, wk, wv are adjacent (and bq, bk, bv) so a fused QKV product is possible */
    w->wq = nn_layout_add(L, prefix, "wq", d, d, 1, NN_INIT_NORMAL, 0.02f);
    w->wk = nn_layout_add(L, prefix, "wk", d, d, 1, NN_INIT_NORMAL, 0.02f);
    w->wv = nn_layout_add(L, prefix, "wv", d, d, 1, NN_INIT_NORMAL, 0.02f);
    w->wo = nn_layout_add(L, prefix, "wo", d, d, 1, NN_INIT_NORMAL, out_std);
    w->bq = nn_layout_add(L, prefix, "bq", d, 0, 0, NN_INIT_ZERO, 0);
    w->bk = nn_layout_add(L, prefix, "bk", d, 0, 0, NN_INIT_ZERO, 0);
    w->bv = nn_layout_add(L, prefix, "bv", d, 0, 0, NN_INIT_ZERO, 0);
    w->bo = nn_layout_add(L, prefix, "bo", d, 0, 0, NN_INIT_ZERO, 0);
}

void attn_acts_take(attn_acts *a, nn_arena *ar, const attn_shape *s) {
    size_t bt = s->batch * s->t * s->d, bn = s->batch * s->n * s->d;
    a->q = nn_arena_take(ar, bt);
    a->k = nn_arena_take(ar, bn);
    a->v = nn_arena_take(ar, bn);
    a->probs = nn_arena_take(ar, s->batch * s->heads * s->t * s->n);
    a->ctx = nn_arena_take(ar, bt);
}

void attn_scratch_take(attn_scratch *sc, nn_arena *ar, const attn_shape *s) {
    size_t bt = s->batch * s->t * s->d, bn = s->batch * s->n * s->d;
    sc->dctx = nn_arena_take(ar, bt);
    sc->dq = nn_arena_take(ar, bt);
    sc->dk = nn_arena_take(ar, bn);
    sc->dv = nn_arena_take(ar, bn);
    sc->dprobs = nn_arena_take(ar, s->batch * s->heads * s->t * s->n);
}

/* Sets masked scores of one [T, N] head matrix of sequence b to -INFINITY. */
static void apply_mask(float *scores, const attn_shape *s, size_t b) {
    size_t limit = s->kv_len ? (size_t)s->kv_len[b] : s->n;
    if (!s->causal && limit >= s->n) return;
    for (size_t i = 0; i < s->t; i++) {
        float *row = scores + i * s->n;
        for (size_t j = 0; j < s->n; j++)
            if (j >= limit || (s->causal && j > i)) row[j] = -INFINITY;
    }
}

/* What the per-head work of one attention call needs (forward or backward). */
typedef struct {
    const attn_acts *a;
    attn_scratch *sc;
    const attn_shape *s;
    float scale;
} heads_job;

/* Scores, mask, softmax and the weighted sum of values for (sequence, head) pairs
 * [begin, end): pair i is sequence i / H, head i % H. */
static void heads_forward(void *ctx, size_t begin, size_t end) {
    const heads_job *job = ctx;
    const attn_shape *s = job->s;
    const attn_acts *a = job->a;
    const size_t T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    for (size_t i = begin; i < end; i++) {
        size_t b = i / H, h = i % H;
        const float *q = a->q + b * T * d + h * dh;
        const float *k = a->k + b * N * d + h * dh;
        const float *v = a->v + b * N * d + h * dh;
        float *p = a->probs + i * T * N;
        nn_gemm(p, q, k, 0, 1, T, N, dh, d, d, N, job->scale, 0.0f);  /* Q K^T / sqrt(dh) */
        apply_mask(p, s, b);
        nn_softmax_forward(p, p, T, N);
        nn_gemm(a->ctx + b * T * d + h * dh, p, v, 0, 0, T, dh, N, N, d, d, 1.0f, 0.0f);
    }
}

void attn_forward(float *out, attn_acts *a, const float *xq, const float *xkv, const float *params,
                  const attn_weights *w, const attn_shape *s) {
    const size_t B = s->batch, T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    nn_linear_forward(a->q, xq, params + w->wq, params + w->bq, B * T, d, d);
    nn_linear_forward(a->k, xkv, params + w->wk, params + w->bk, B * N, d, d);
    nn_linear_forward(a->v, xkv, params + w->wv, params + w->bv, B * N, d, d);
    heads_job job = {a, NULL, s, 1.0f / sqrtf((float)dh)};
    nn_pool_for(B * H, 1, heads_forward, &job);
    nn_linear_forward(out, a->ctx, params + w->wo, params + w->bo, B * T, d, d);
}

/* dS += scale · (P − target) for the rows of sequence b that have a target. */
static void add_target_grad(float *ds, const float *p, const attn_target *tg, size_t b, size_t T,
                            size_t N) {
    for (size_t i = 0; i < T; i++) {
        const float *want = tg->rows + (b * T + i) * N;
        float total = 0.0f;
        for (size_t j = 0; j < N; j++) total += want[j];
        if (total == 0.0f) continue;
        for (size_t j = 0; j < N; j++) ds[i * N + j] += tg->scale * (p[i * N + j] - want[j]);
    }
}

/* The backward pass of heads_forward for pairs [begin, end): dV, dQ and dK of each pair's
 * columns (each written once). A part works in the dprobs slot of its first pair (parts
 * start at different pairs, so their slots differ, and the slots in use stay in cache). */
static void heads_backward(void *ctx, size_t begin, size_t end) {
    const heads_job *job = ctx;
    const attn_shape *s = job->s;
    const attn_acts *a = job->a;
    attn_scratch *sc = job->sc;
    const size_t T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    for (size_t i = begin; i < end; i++) {
        size_t b = i / H, h = i % H;
        size_t qo = b * T * d + h * dh, ko = b * N * d + h * dh;
        const float *p = a->probs + i * T * N;
        float *dp = sc->dprobs + begin * T * N;
        /* dP = dctx V^T ; dV = P^T dctx */
        nn_gemm(dp, sc->dctx + qo, a->v + ko, 0, 1, T, N, dh, d, d, N, 1.0f, 0.0f);
        nn_gemm(sc->dv + ko, p, sc->dctx + qo, 1, 0, N, dh, T, N, d, d, 1.0f, 0.0f);
        /* dS = softmax'(dP), in place: dS_ij = p_ij (dP_ij - sum_j dP_ij p_ij) */
        for (size_t r = 0; r < T; r++) {
            float *row = dp + r * N;
            const float *pr = p + r * N;
            float dot = nn_lane_dot(row, pr, N);
            for (size_t j = 0; j < N; j++) row[j] = pr[j] * (row[j] - dot);
        }
        if (s->target && s->target->head == h) add_target_grad(dp, p, s->target, b, T, N);
        /* dQ = dS K * scale ; dK = dS^T Q * scale */
        nn_gemm(sc->dq + qo, dp, a->k + ko, 0, 0, T, dh, N, N, d, d, job->scale, 0.0f);
        nn_gemm(sc->dk + ko, dp, a->q + qo, 1, 0, N, dh, T, N, d, d, job->scale, 0.0f);
    }
}

void attn_backward(float *dxq, float *dxkv, float *grads, const float *dout, const attn_acts *a,
                   attn_scratch *sc, const float *xq, const float *xkv, const float *params,
                   const attn_weights *w, const attn_shape *s) {
    const size_t B = s->batch, T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    /* dctx, dq, dk and dv are overwritten, not added to: every head of every sequence
     * writes its own columns of them once (no zeroing pass needed) */
    nn_linear_backward_to(sc->dctx, grads + w->wo, grads + w->bo, dout, a->ctx, params + w->wo,
                          B * T, d, d);
    heads_job job = {a, sc, s, 1.0f / sqrtf((float)dh)};
    nn_pool_for(B * H, 1, heads_backward, &job);
    nn_linear_backward(dxq, grads + w->wq, grads + w->bq, sc->dq, xq, params + w->wq, B * T, d, d);
    nn_linear_backward(dxkv, grads + w->wk, grads + w->bk, sc->dk, xkv, params + w->wk, B * N, d, d);
    nn_linear_backward(dxkv, grads + w->wv, grads + w->bv, sc->dv, xkv, params + w->wv, B * N, d, d);
}

double attn_target_loss(size_t *rows, const float *probs, const attn_target *tg,
                        const attn_shape *s) {
    const size_t T = s->t, N = s->n;
    double sum = 0.0;
    *rows = 0;
    for (size_t b = 0; b < s->batch; b++) {
        const float *p = probs + (b * s->heads + tg->head) * T * N;
        for (size_t i = 0; i < T; i++) {
            const float *want = tg->rows + (b * T + i) * N;
            double ce = 0.0, total = 0.0;
            for (size_t j = 0; j < N; j++) {
                total += want[j];
                if (want[j] > 0.0f) ce -= want[j] * log(fmax(p[i * N + j], 1e-30));
            }
            if (total == 0.0) continue;
            sum += ce;
            (*rows)++;
        }
    }
    return sum;
}

void attn_step(float *ctx, float *probs, const float *q, const float *k, const float *v,
               size_t n_keys, size_t d, size_t heads) {
    const size_t dh = d / heads;
    const float scale = 1.0f / sqrtf((float)dh);
    for (size_t h = 0; h < heads; h++) {
        float *p = probs + h * n_keys;
        nn_gemm(p, q + h * dh, k + h * dh, 0, 1, 1, n_keys, dh, d, d, n_keys, scale, 0.0f);
        nn_softmax_forward(p, p, 1, n_keys);
        nn_gemm(ctx + h * dh, p, v + h * dh, 0, 0, 1, dh, n_keys, n_keys, d, d, 1.0f, 0.0f);
    }
}
