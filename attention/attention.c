/* attention.c — multi-head attention forward/backward in the K/V form and the cached decode
 * step; the reassociated form of cross-attention is in attention_reassoc.c. */
#include "attention/attention.h"

#include "attention/attention_parts.h"

#include <math.h>

#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/reduce.h"
#include "nn/simd.h"

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

int attn_reassociation_pays(size_t t, size_t n, size_t d, size_t heads) {
    double T = (double)t, N = (double)n, D = (double)d, H = (double)heads;
    return T * D * D + H * T * N * D < N * D * D + T * N * D;
}

void attn_acts_take(attn_acts *a, nn_arena *ar, const attn_shape *s) {
    size_t bt = s->batch * s->t * s->d, bn = s->batch * s->n * s->d;
    a->q = nn_arena_take(ar, bt);
    a->k = a->v = a->qk = a->pm = NULL;
    if (s->reassociate) {
        a->qk = nn_arena_take(ar, bt * s->heads);
        a->pm = nn_arena_take(ar, bt * s->heads);
    } else {
        a->k = nn_arena_take(ar, bn);
        a->v = nn_arena_take(ar, bn);
    }
    a->probs = nn_arena_take(ar, s->batch * s->heads * s->t * s->n);
    a->ctx = nn_arena_take(ar, bt);
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

void attn_scratch_take(attn_scratch *sc, nn_arena *ar, const attn_shape *shapes, size_t count) {
    size_t bt = 0, bn = 0, bth = 0, probs = 0;
    for (size_t i = 0; i < count; i++) {
        const attn_shape *s = &shapes[i];
        bt = max_size(bt, s->batch * s->t * s->d);
        if (s->reassociate) bth = max_size(bth, s->batch * s->t * s->heads * s->d);
        else bn = max_size(bn, s->batch * s->n * s->d);
        probs = max_size(probs, s->batch * s->heads * s->t * s->n);
    }
    sc->dctx = nn_arena_take(ar, bt);
    sc->dq = nn_arena_take(ar, bt);
    sc->dk = bn ? nn_arena_take(ar, bn) : NULL;
    sc->dv = bn ? nn_arena_take(ar, bn) : NULL;
    sc->dqk = bth ? nn_arena_take(ar, bth) : NULL;
    sc->dpm = bth ? nn_arena_take(ar, bth) : NULL;
    sc->dprobs = nn_arena_take(ar, probs);
}

void attn_apply_mask(float *scores, const attn_shape *s, size_t b) {
    size_t limit = s->kv_len ? (size_t)s->kv_len[b] : s->n;
    if (!s->causal && limit >= s->n) return;
    for (size_t i = 0; i < s->t; i++) {
        float *row = scores + i * s->n;
        for (size_t j = 0; j < s->n; j++)
            if (j >= limit || (s->causal && j > i)) row[j] = -INFINITY;
    }
}

/* Scores, mask, softmax and the weighted sum of values for (sequence, head) pairs
 * [begin, end): pair i is sequence i / H, head i % H. */
static void heads_forward(void *ctx, size_t begin, size_t end) {
    const attn_heads_job *job = ctx;
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
        attn_apply_mask(p, s, b);
        nn_softmax_forward(p, p, T, N);
        nn_gemm(a->ctx + b * T * d + h * dh, p, v, 0, 0, T, dh, N, N, d, d, 1.0f, 0.0f);
    }
}

void attn_forward(float *out, attn_acts *a, const float *xq, const float *xkv, const float *params,
                  const attn_weights *w, const attn_shape *s) {
    if (s->reassociate) {
        attn_forward_reassociated(out, a, xq, xkv, params, w, s);
        return;
    }
    const size_t B = s->batch, T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    nn_linear_forward(a->q, xq, params + w->wq, params + w->bq, B * T, d, d);
    nn_linear_forward(a->k, xkv, params + w->wk, params + w->bk, B * N, d, d);
    nn_linear_forward(a->v, xkv, params + w->wv, params + w->bv, B * N, d, d);
    attn_heads_job job = {a, NULL, s, NULL, NULL, 1.0f / sqrtf((float)dh)};
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

void attn_scores_backward(float *dp, const float *p, const attn_shape *s, size_t b, size_t h) {
    const size_t T = s->t, N = s->n;
    /* dS = softmax'(dP), in place: dS_ij = p_ij (dP_ij - sum_j dP_ij p_ij) */
    for (size_t r = 0; r < T; r++) {
        float *row = dp + r * N;
        const float *pr = p + r * N;
        float dot = nn_lane_dot(row, pr, N);
        for (size_t j = 0; j < N; j++) row[j] = pr[j] * (row[j] - dot);
    }
    if (s->target && s->target->head == h) add_target_grad(dp, p, s->target, b, T, N);
}

/* The backward pass of heads_forward for pairs [begin, end): dV, dQ and dK of each pair's
 * columns (each written once). A part works in the dprobs slot of its first pair (parts
 * start at different pairs, so their slots differ, and the slots in use stay in cache). */
static void heads_backward(void *ctx, size_t begin, size_t end) {
    const attn_heads_job *job = ctx;
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
        attn_scores_backward(dp, p, s, b, h);
        /* dQ = dS K * scale ; dK = dS^T Q * scale */
        nn_gemm(sc->dq + qo, dp, a->k + ko, 0, 0, T, dh, N, N, d, d, job->scale, 0.0f);
        nn_gemm(sc->dk + ko, dp, a->q + qo, 1, 0, N, dh, T, N, d, d, job->scale, 0.0f);
    }
}

void attn_backward(float *dxq, float *dxkv, float *grads, const float *dout, const attn_acts *a,
                   attn_scratch *sc, const float *xq, const float *xkv, const float *params,
                   const attn_weights *w, const attn_shape *s) {
    if (s->reassociate) {
        attn_backward_reassociated(dxq, dxkv, grads, dout, a, sc, xq, xkv, params, w, s);
        return;
    }
    const size_t B = s->batch, T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    /* dctx, dq, dk and dv are overwritten, not added to: every head of every sequence
     * writes its own columns of them once (no zeroing pass needed) */
    nn_linear_backward_to(sc->dctx, grads + w->wo, grads + w->bo, dout, a->ctx, params + w->wo,
                          B * T, d, d);
    attn_heads_job job = {a, sc, s, NULL, NULL, 1.0f / sqrtf((float)dh)};
    nn_pool_for(B * H, 1, heads_backward, &job);
    nn_linear_backward(dxq, grads + w->wq, grads + w->bq, sc->dq, xq, params + w->wq, B * T, d, d);
    nn_linear_backward(dxkv, grads + w->wk, grads + w->bk, sc->dk, xkv, params + w->wk, B * N, d,
                       d);
    nn_linear_backward(dxkv, grads + w->wv, grads + w->bv, sc->dv, xkv, params + w->wv, B * N, d,
                       d);
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

/* Keys (scores) or value channels (weighted sum) per accumulator of attn_step; four
 * accumulators are kept at once so that the additions do not wait on each other. The two
 * helpers are always inlined so that they are compiled for attn_step's vector clone. */
#define TILE 16

/* One head's scores: p[j] = scale * sum_c qh[c] kh[c * ldkt + j] for j < n, summed over c
 * in order for every j (the tiling does not change the bits). */
__attribute__((always_inline)) static inline void step_scores(
    float *restrict p, const float *restrict qh, const float *restrict kh, size_t ldkt, size_t n,
    size_t dh, float scale) {
    size_t j = 0;
    for (; j + 4 * TILE <= n; j += 4 * TILE) {
        float a0[TILE] = {0}, a1[TILE] = {0}, a2[TILE] = {0}, a3[TILE] = {0};
        for (size_t c = 0; c < dh; c++) {
            const float qc = qh[c];
            const float *restrict r = kh + c * ldkt + j;
            for (size_t k = 0; k < TILE; k++) {
                a0[k] += qc * r[k];
                a1[k] += qc * r[TILE + k];
                a2[k] += qc * r[2 * TILE + k];
                a3[k] += qc * r[3 * TILE + k];
            }
        }
        for (size_t k = 0; k < TILE; k++) {
            p[j + k] = a0[k] * scale;
            p[j + TILE + k] = a1[k] * scale;
            p[j + 2 * TILE + k] = a2[k] * scale;
            p[j + 3 * TILE + k] = a3[k] * scale;
        }
    }
    for (; j + TILE <= n; j += TILE) {
        float a0[TILE] = {0};
        for (size_t c = 0; c < dh; c++) {
            const float qc = qh[c];
            const float *restrict r = kh + c * ldkt + j;
            for (size_t k = 0; k < TILE; k++) a0[k] += qc * r[k];
        }
        for (size_t k = 0; k < TILE; k++) p[j + k] = a0[k] * scale;
    }
    for (; j < n; j++) {
        float a = 0.0f;
        for (size_t c = 0; c < dh; c++) a += qh[c] * kh[c * ldkt + j];
        p[j] = a * scale;
    }
}

/* One head's weighted sum of values: o[c] = sum_j p[j] vh[j * d + c] for c < dh. Key j
 * goes to accumulator j % 4 (in key order), and the four are added pairwise at the end. */
__attribute__((always_inline)) static inline void step_values(
    float *restrict o, const float *restrict p, const float *restrict vh, size_t d, size_t n,
    size_t dh) {
    size_t c0 = 0;
    for (; c0 + TILE <= dh; c0 += TILE) {
        float a0[TILE] = {0}, a1[TILE] = {0}, a2[TILE] = {0}, a3[TILE] = {0};
        const float *restrict vb = vh + c0;
        size_t j = 0;
        for (; j + 4 <= n; j += 4) {
            const float p0 = p[j], p1 = p[j + 1], p2 = p[j + 2], p3 = p[j + 3];
            const float *restrict r0 = vb + j * d, *restrict r1 = r0 + d;
            const float *restrict r2 = r1 + d, *restrict r3 = r2 + d;
            for (size_t k = 0; k < TILE; k++) {
                a0[k] += p0 * r0[k];
                a1[k] += p1 * r1[k];
                a2[k] += p2 * r2[k];
                a3[k] += p3 * r3[k];
            }
        }
        for (; j < n; j++)
            for (size_t k = 0; k < TILE; k++) a0[k] += p[j] * vb[j * d + k];
        for (size_t k = 0; k < TILE; k++) o[c0 + k] = (a0[k] + a1[k]) + (a2[k] + a3[k]);
    }
    for (; c0 < dh; c0++) {
        float a = 0.0f;
        for (size_t j = 0; j < n; j++) a += p[j] * vh[j * d + c0];
        o[c0] = a;
    }
}

NN_VECTOR_CLONES
void attn_step(float *restrict ctx, float *restrict probs, const float *restrict q,
               const float *restrict kt, size_t ldkt, const float *restrict v, size_t n_keys,
               size_t d, size_t heads) {
    const size_t dh = d / heads;
    const float scale = 1.0f / sqrtf((float)dh);
    for (size_t h = 0; h < heads; h++)
        step_scores(probs + h * n_keys, q + h * dh, kt + h * dh * ldkt, ldkt, n_keys, dh, scale);
    nn_softmax_forward(probs, probs, heads, n_keys);
    for (size_t h = 0; h < heads; h++)
        step_values(ctx + h * dh, probs + h * n_keys, v + h * dh, d, n_keys, dh);
}
