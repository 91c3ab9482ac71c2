/* test_attention.c — multi-head attention (attention/attention.h) and the pre-LN residual
 * sublayers (attention/block.h).
 *
 * - forward against a naive per-head implementation in double, for cross-attention
 *   (T != N) and self-attention with the causal and key-padding masks;
 * - masks: exact zeros where masked, rows summing to 1, a fully masked row giving zero
 *   probabilities and the bias as output;
 * - attn_backward, blk_attn_* and blk_mlp_* against central finite differences of
 *   L = sum(out * R);
 * - attn_step (one cached decode step) against the rows of attn_forward.
 *
 * Activation and scratch buffers are filled with NaN before use, so a kernel that reads
 * memory it did not write first poisons the result. */
#include "tests/util/check.h"
#include "tests/util/fd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attention/attention.h"
#include "attention/block.h"
#include "nn/ops.h"
#include "nn/rng.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Fills x with uniform values in [lo, hi). */
static void fill_uniform(nn_rng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * nn_rng_uniform(r);
}

/* Hands out buffers from one block: `take` is run once to measure and once for real.
 * The block is filled with NaN; the caller frees the returned pointer. */
typedef void (*take_fn)(void *ctx, nn_arena *ar);
static float *arena_alloc(take_fn take, void *ctx) {
    nn_arena ar = {NULL, 0};
    take(ctx, &ar);
    float *base = fbuf(ar.used);
    for (size_t i = 0; i < ar.used; i++) base[i] = NAN;
    ar.base = base;
    ar.used = 0;
    take(ctx, &ar);
    return base;
}

/* ---- finite differences (as in test_nn_ops.c) -------------------------------------
 *
 * L = sum(out * R) in double over a float forward, central differences; the denominator
 * is the step actually taken. The step is 1e-2 here, not 1e-3 as in test_nn_ops.c: a
 * perturbed weight touches up to B*T*d = 80 outputs of size up to ~5, and the float
 * rounding noise of the difference quotient (~1e-7 * |out| * sqrt(2k) / (2h)) reached
 * 1.9e-3 (err/tol 0.92) at h = 1e-3 in the pre-LN self-attention block, but is ten times
 * smaller at h = 1e-2, while the truncation error h^2/6 * |f'''| ~ 2e-5 * |f'''| stays
 * below it: at h = 1e-2 the worst err/tol over every tensor in this file is 0.09 (max
 * error ~3e-4). Every checked tensor has a numeric gradient of at least 0.05 (asserted)
 * and components are O(0.1..5), so a sign error (2|g|), a missing term or a lost factor
 * is far above FD_ATOL + FD_RTOL * |g|. */

/* Every tensor of layout L: grads against finite differences of params. The key bias gets
 * no gradient in exact arithmetic (softmax ignores a per-row constant): there the analytic
 * value must be ~0 instead of large. */
static void check_param_grads(const nn_layout *L, const float *grads, float *params,
                              const fd_problem *p) {
    for (size_t i = 0; i < L->count; i++) {
        const nn_tensor *t = &L->tensors[i];
        size_t len = strlen(t->name);
        int is_bk = len >= 3 && strcmp(t->name + len - 3, ".bk") == 0;
        check_grad_impl(grads + t->offset, params + t->offset, t->numel, p, is_bk ? 0.0 : 0.05,
                        t->name, __FILE__, __LINE__);
        if (is_bk) assert_true(max_abs(grads + t->offset, t->numel) < 1e-5);
    }
}

/* ---- one attention under test --------------------------------------------------------- */

typedef struct {
    attn_shape s;
    attn_weights w;
    nn_layout L;
    float *params, *grads;
    attn_acts a;
    attn_scratch sc;
    float *block;          /* the arena block behind a and sc */
    float *xq, *xkv;       /* inputs; xkv == xq for self-attention */
    float *out, *R;        /* [B, T, d] */
} attn_world;

static void attn_world_take(void *ctx, nn_arena *ar) {
    attn_world *W = ctx;
    attn_acts_take(&W->a, ar, &W->s);
    attn_scratch_take(&W->sc, ar, &W->s, 1);
}

/* Random weights (uniform in +-wscale), inputs in +-1 and loss weights R in +-1; the
 * attention in the K/V form (reassociate 0) or the reassociated form (1). */
static void attn_world_init_form(attn_world *W, size_t B, size_t T, size_t N, size_t d,
                                 size_t H, int causal, const int *kv_len, int self,
                                 uint64_t seed, int reassociate) {
    memset(W, 0, sizeof *W);
    W->s = (attn_shape){B, T, N, d, H, causal, kv_len, NULL, reassociate};
    attn_layout(&W->w, &W->L, "att", d, 0.02f);
    assert_false(W->L.failed);
    nn_rng r;
    nn_rng_seed(&r, seed);
    W->params = fbuf(W->L.total);
    W->grads = fbuf(W->L.total);
    fill_uniform(&r, W->params, W->L.total, -0.8f, 0.8f);
    W->block = arena_alloc(attn_world_take, W);
    W->xq = fbuf(B * T * d);
    fill_uniform(&r, W->xq, B * T * d, -1, 1);
    if (self) {
        assert_int_equal(T, N);
        W->xkv = W->xq;
    } else {
        W->xkv = fbuf(B * N * d);
        fill_uniform(&r, W->xkv, B * N * d, -1, 1);
    }
    W->out = fbuf(B * T * d);
    W->R = fbuf(B * T * d);
    fill_uniform(&r, W->R, B * T * d, -1, 1);
}

/* attn_world_init_form in the K/V form. */
static void attn_world_init(attn_world *W, size_t B, size_t T, size_t N, size_t d, size_t H,
                            int causal, const int *kv_len, int self, uint64_t seed) {
    attn_world_init_form(W, B, T, N, d, H, causal, kv_len, self, seed, 0);
}

static void attn_world_free(attn_world *W) {
    if (W->xkv != W->xq) free(W->xkv);
    free(W->xq), free(W->out), free(W->R), free(W->block), free(W->params), free(W->grads);
    nn_layout_free(&W->L);
}

/* The forward as a fd_problem function. */
static void attn_world_fwd(void *ctx, float *out) {
    attn_world *W = ctx;
    attn_forward(out, &W->a, W->xq, W->xkv, W->params, &W->w, &W->s);
}

/* 1 when key j is masked for query i of sequence b. */
static int masked(const attn_shape *s, size_t b, size_t i, size_t j) {
    if (s->kv_len && j >= (size_t)s->kv_len[b]) return 1;
    return s->causal && j > i;
}

/* y[rows, d] = x W^T + b in double. */
static void naive_linear(double *y, const float *x, const float *w, const float *bias,
                         size_t rows, size_t d) {
    for (size_t i = 0; i < rows; i++)
        for (size_t o = 0; o < d; o++) {
            double acc = bias[o];
            for (size_t k = 0; k < d; k++) acc += (double)x[i * d + k] * w[o * d + k];
            y[i * d + o] = acc;
        }
}

/* MHA of docs/MODEL.md written out per head in double: out [B, T, d], probs [B, H, T, N]. */
static void naive_attention(float *out, float *probs, const attn_world *W) {
    const attn_shape *s = &W->s;
    size_t B = s->batch, T = s->t, N = s->n, d = s->d, H = s->heads, dh = d / H;
    const float *P = W->params;
    double *Q = calloc(B * T * d, sizeof *Q), *K = calloc(B * N * d, sizeof *K);
    double *V = calloc(B * N * d, sizeof *V), *O = calloc(B * T * d, sizeof *O);
    double *sc = calloc(N, sizeof *sc);
    assert_true(Q && K && V && O && sc);
    naive_linear(Q, W->xq, P + W->w.wq, P + W->w.bq, B * T, d);
    naive_linear(K, W->xkv, P + W->w.wk, P + W->w.bk, B * N, d);
    naive_linear(V, W->xkv, P + W->w.wv, P + W->w.bv, B * N, d);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < T; i++) {
                double mx = -INFINITY, sum = 0.0;
                for (size_t j = 0; j < N; j++) {
                    double dot = 0.0;
                    for (size_t k = 0; k < dh; k++)
                        dot += Q[(b * T + i) * d + h * dh + k] * K[(b * N + j) * d + h * dh + k];
                    sc[j] = masked(s, b, i, j) ? -INFINITY : dot / sqrt((double)dh);
                    mx = fmax(mx, sc[j]);
                }
                for (size_t j = 0; j < N; j++) {
                    sc[j] = mx == -INFINITY || sc[j] == -INFINITY ? 0.0 : exp(sc[j] - mx);
                    sum += sc[j];
                }
                for (size_t j = 0; j < N; j++) {
                    double pj = sum > 0.0 ? sc[j] / sum : 0.0;
                    probs[((b * H + h) * T + i) * N + j] = (float)pj;
                    for (size_t k = 0; k < dh; k++)
                        O[(b * T + i) * d + h * dh + k] += pj * V[(b * N + j) * d + h * dh + k];
                }
            }
    for (size_t i = 0; i < B * T; i++)
        for (size_t o = 0; o < d; o++) {
            double acc = P[W->w.bo + o];
            for (size_t k = 0; k < d; k++) acc += O[i * d + k] * P[W->w.wo + o * d + k];
            out[i * d + o] = (float)acc;
        }
    free(Q), free(K), free(V), free(O), free(sc);
}

/* Forward against the naive version; probability rows sum to 1 (or are all 0 when every
 * key is masked) and masked entries are exactly 0. */
static void check_forward(attn_world *W) {
    const attn_shape *s = &W->s;
    size_t B = s->batch, T = s->t, N = s->n, H = s->heads, np = B * H * T * N;
    float *want = fbuf(B * T * s->d), *want_p = fbuf(np);
    attn_world_fwd(W, W->out);
    naive_attention(want, want_p, W);
    check_close(W->a.probs, want_p, np, 1e-6, 1e-5);
    check_close(W->out, want, B * T * s->d, 1e-5, 1e-4);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < T; i++) {
                const float *row = W->a.probs + ((b * H + h) * T + i) * N;
                double sum = 0.0;
                size_t open = 0;
                for (size_t j = 0; j < N; j++) {
                    sum += row[j];
                    if (masked(s, b, i, j))
                        assert_true(row[j] == 0.0f);
                    else
                        open++;
                }
                if (open)
                    assert_true(fabs(sum - 1.0) < 1e-5);
                else
                    assert_true(sum == 0.0);
            }
    free(want), free(want_p);
}

/* attn_backward against finite differences of every input and weight. In the self case
 * xq == xkv and the same buffer receives dxq and dxkv (as attention/block.c does). */
static void check_backward(attn_world *W) {
    const attn_shape *s = &W->s;
    size_t nq = s->batch * s->t * s->d, nkv = s->batch * s->n * s->d;
    int self = W->xq == W->xkv;
    float *dxq = fbuf(nq), *dxkv = self ? dxq : fbuf(nkv);
    memset(W->grads, 0, W->L.total * sizeof(float));
    attn_world_fwd(W, W->out);
    attn_backward(dxq, dxkv, W->grads, W->R, &W->a, &W->sc, W->xq, W->xkv, W->params, &W->w, s);
    fd_problem p = {attn_world_fwd, W, W->out, W->R, nq, 1e-2f};
    check_grad(dxq, W->xq, nq, &p, 0.05);
    if (!self) check_grad(dxkv, W->xkv, nkv, &p, 0.05);
    check_param_grads(&W->L, W->grads, W->params, &p);
    if (!self) free(dxkv);
    free(dxq);
}

/* ---- tests: attention ------------------------------------------------------------------ */

static void test_cross_attention_forward(void **state) {
    (void)state;
    attn_world W;
    attn_world_init(&W, 2, 3, 7, 8, 2, 0, NULL, 0, 101);  /* T = 3 queries, N = 7 keys */
    check_forward(&W);
    /* the probabilities are far from uniform (1/7 = 0.14), so the comparison says something */
    assert_true(max_abs(W.a.probs, 2 * 2 * 3 * 7) > 0.25);
    attn_world_free(&W);
}

static void test_causal_mask(void **state) {
    (void)state;
    attn_world W;
    attn_world_init(&W, 2, 5, 5, 8, 2, 1, NULL, 1, 102);
    check_forward(&W);  /* exact zeros above the diagonal are checked there as well */
    for (size_t bh = 0; bh < 2 * 2; bh++) {
        const float *P = W.a.probs + bh * 25;
        for (size_t i = 0; i < 5; i++)
            for (size_t j = i + 1; j < 5; j++) assert_true(P[i * 5 + j] == 0.0f);
        assert_true(P[0] == 1.0f);  /* query 0 sees only key 0 */
    }
    attn_world_free(&W);
}

static void test_key_padding(void **state) {
    (void)state;
    const int kv_len[2] = {5, 3};
    attn_world W;
    attn_world_init(&W, 2, 5, 5, 8, 2, 0, kv_len, 1, 103);
    check_forward(&W);
    for (size_t h = 0; h < 2; h++) {
        const float *P = W.a.probs + (1 * 2 + h) * 25;  /* sequence 1 */
        for (size_t i = 0; i < 5; i++) {
            double sum = 0.0;
            for (size_t j = 0; j < 5; j++) sum += P[i * 5 + j];
            for (size_t j = 3; j < 5; j++) assert_true(P[i * 5 + j] == 0.0f);
            assert_true(fabs(sum - 1.0) < 1e-5);
        }
        const float *P0 = W.a.probs + h * 25;  /* sequence 0 is unmasked: all keys get weight */
        for (size_t k = 0; k < 25; k++) assert_true(P0[k] > 0.0f);
    }
    attn_world_free(&W);
}

static void test_fully_masked_row(void **state) {
    (void)state;
    const int kv_len[2] = {0, 4};  /* sequence 0 has no keys at all */
    attn_world W;
    attn_world_init(&W, 2, 2, 4, 8, 2, 0, kv_len, 0, 104);
    check_forward(&W);
    size_t d = 8;
    for (size_t k = 0; k < 2 * 2 * 4; k++) assert_true(W.a.probs[k] == 0.0f);  /* b 0, all h */
    for (size_t k = 0; k < 2 * d; k++) assert_true(W.a.ctx[k] == 0.0f);
    for (size_t t = 0; t < 2; t++)  /* output rows of sequence 0 are exactly the bias bo */
        check_close(W.out + t * d, W.params + W.w.bo, d, 0, 0);
    /* backward stays finite; sequence 0's keys and values get no gradient */
    float *dxq = fbuf(2 * 2 * d), *dxkv = fbuf(2 * 4 * d);
    attn_backward(dxq, dxkv, W.grads, W.R, &W.a, &W.sc, W.xq, W.xkv, W.params, &W.w, &W.s);
    for (size_t k = 0; k < 2 * 2 * d; k++) assert_true(isfinite(dxq[k]));
    for (size_t k = 0; k < 4 * d; k++) assert_true(dxkv[k] == 0.0f);
    for (size_t k = 0; k < W.L.total; k++) assert_true(isfinite(W.grads[k]));
    free(dxq), free(dxkv);
    check_backward(&W);
    attn_world_free(&W);
}

static void test_cross_attention_backward_fd(void **state) {
    (void)state;
    attn_world W;
    attn_world_init(&W, 2, 3, 7, 8, 2, 0, NULL, 0, 105);
    check_backward(&W);
    attn_world_free(&W);
}

/* The alignment loss: out = [attention output (weight 0), scale · CE(target, p of one
 * head)], so the whole gradient comes from the supervised head through softmax and the
 * Q/K projections; rows with an all-zero target are not supervised. */
typedef struct {
    attn_world *W;
    attn_target tg;
    size_t nq;
} target_world;

static void target_fwd(void *ctx, float *out) {
    target_world *X = ctx;
    size_t rows;
    attn_world_fwd(X->W, out);
    out[X->nq] = X->tg.scale * (float)attn_target_loss(&rows, X->W->a.probs, &X->tg, &X->W->s);
    assert_int_equal(rows, 3);
}

static void target_case(int reassociate) {
    attn_world W;
    size_t B = 2, T = 3, N = 7, nq = B * T * 8;
    attn_world_init_form(&W, B, T, N, 8, 2, 0, NULL, 0, 107, reassociate);
    float *want = fbuf(B * T * N), *out = fbuf(nq + 1), *R = fbuf(nq + 1);
    nn_rng r;
    nn_rng_seed(&r, 108);
    const size_t supervised[3] = {0 * T + 1, 1 * T + 0, 1 * T + 2};  /* (b, i) rows */
    for (size_t k = 0; k < 3; k++) {
        float *row = want + supervised[k] * N, sum = 0.0f;
        for (size_t j = 0; j < N; j++) sum += row[j] = nn_rng_uniform(&r) < 0.5f ? nn_rng_uniform(&r) : 0.0f;
        row[k] += 0.5f, sum += 0.5f;
        for (size_t j = 0; j < N; j++) row[j] /= sum;
    }
    target_world X = {&W, {1, want, 0.7f}, nq};
    R[nq] = 1.0f;
    W.s.target = &X.tg;
    float *dxq = fbuf(nq), *dxkv = fbuf(B * N * 8);
    target_fwd(&X, out);
    attn_backward(dxq, dxkv, W.grads, R, &W.a, &W.sc, W.xq, W.xkv, W.params, &W.w, &W.s);
    fd_problem p = {target_fwd, &X, out, R, nq + 1, 1e-2f};
    check_grad(dxq, W.xq, nq, &p, 0.05);
    check_grad(dxkv, W.xkv, B * N * 8, &p, 0.05);
    /* only the supervised head's scores feel the loss: V and O get no gradient */
    for (size_t k = 0; k < 64; k++) assert_true(W.grads[W.w.wv + k] == 0.0f);
    free(want), free(out), free(R), free(dxq), free(dxkv);
    attn_world_free(&W);
}

static void test_attention_target_backward_fd(void **state) {
    (void)state;
    target_case(0);
    target_case(1);
}

static void test_self_attention_masked_backward_fd(void **state) {
    (void)state;
    const int kv_len[2] = {5, 3};
    attn_world W;
    attn_world_init(&W, 2, 5, 5, 8, 2, 1, kv_len, 1, 106);
    check_backward(&W);
    attn_world_free(&W);
}

/* One decode step against the matching row of the full forward: causal self-attention
 * (query i sees keys 0..i) and cross-attention (every query sees all N keys). */
static void step_case_form(int causal, int self, size_t T, size_t N, size_t d, size_t H,
                           uint64_t seed, int reassociate) {
    attn_world W;
    size_t B = 2;
    attn_world_init_form(&W, B, T, N, d, H, causal, NULL, self, seed, reassociate);
    /* the reassociated form sums in another order: its ctx entries (sums of values of
     * size ~4 that cancel to ~0.03) differ by float rounding of the values, ~1e-6 */
    const double atol = reassociate ? 1e-5 : 1e-6;
    attn_world_fwd(&W, W.out);
    float *Q = fbuf(B * T * d), *K = fbuf(B * N * d), *V = fbuf(B * N * d);
    const float *P = W.params;
    nn_linear_forward(Q, W.xq, P + W.w.wq, P + W.w.bq, B * T, d, d);
    nn_linear_forward(K, W.xkv, P + W.w.wk, P + W.w.bk, B * N, d, d);
    nn_linear_forward(V, W.xkv, P + W.w.wv, P + W.w.bv, B * N, d, d);
    float *ctx = fbuf(d), *probs = fbuf(H * N), *want = fbuf(H * N);
    const size_t ldkt = N + 3;  /* a row stride wider than the keys, as in the caches */
    float *Kt = fbuf(d * ldkt);
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < T; i++) {
            size_t nk = causal ? i + 1 : N;
            for (size_t k = 0; k < d * ldkt; k++) Kt[k] = NAN;  /* only keys 0..nk-1 set */
            for (size_t j = 0; j < nk; j++)
                for (size_t c = 0; c < d; c++) Kt[c * ldkt + j] = K[(b * N + j) * d + c];
            for (size_t k = 0; k < d; k++) ctx[k] = NAN;
            attn_step(ctx, probs, Q + (b * T + i) * d, Kt, ldkt, V + b * N * d, nk, d, H);
            for (size_t h = 0; h < H; h++)
                memcpy(want + h * nk, W.a.probs + ((b * H + h) * T + i) * N, nk * sizeof(float));
            check_close(probs, want, H * nk, 1e-6, 1e-5);
            check_close(ctx, W.a.ctx + (b * T + i) * d, d, atol, 1e-5);
        }
    free(Q), free(K), free(V), free(Kt), free(ctx), free(probs), free(want);
    attn_world_free(&W);
}

static void step_case(int causal, int self, size_t T, size_t N, size_t d, size_t H,
                      uint64_t seed) {
    step_case_form(causal, self, T, N, d, H, seed, 0);
}

static void test_attn_step_matches_forward(void **state) {
    (void)state;
    step_case(1, 1, 5, 5, 8, 2, 107);  /* self-attention with a growing cache */
    step_case(0, 0, 3, 7, 8, 2, 108);  /* cross-attention against the whole memory */
    /* heads of 32 channels and 85 keys: attn_step's tiles of 4 x 16 keys, of 16 keys and
     * single keys, and its 16-channel value tiles with a key count not a multiple of 4 */
    step_case(0, 0, 2, 85, 64, 2, 109);
    step_case(1, 1, 70, 70, 48, 3, 110);  /* a causal cache through every tile size */
    /* the decode step (K/V caches) against the teacher-forced reassociated form */
    step_case_form(0, 0, 3, 7, 8, 2, 111, 1);
    step_case_form(0, 0, 5, 85, 64, 4, 112, 1);
}

/* ---- tests: the reassociated form ------------------------------------------------------- */

/* The decoder's cross-attention of both presets and of the tiny fixture model pays for
 * reassociation (so the PyTorch fixtures check that form); self-attention of the encoder
 * (as many queries as keys) does not. */
static void test_reassociation_pays(void **state) {
    (void)state;
    assert_true(attn_reassociation_pays(16, 144, 128, 4));   /* S cross */
    assert_true(attn_reassociation_pays(24, 256, 256, 8));   /* M cross */
    assert_false(attn_reassociation_pays(256, 256, 256, 8)); /* M encoder self */
    assert_false(attn_reassociation_pays(144, 144, 128, 4)); /* S with encoder blocks */
    assert_true(attn_reassociation_pays(8, 24, 32, 2));      /* tiny: 20 480 vs 30 720 */
    assert_false(attn_reassociation_pays(24, 24, 32, 2));    /* tiny encoder self */
}

/* Both forms on the same inputs and weights: output, maps, context and every gradient
 * agree to float rounding (bk's gradient is zero in one form and rounding noise in the
 * other). */
static void forms_case(size_t B, size_t T, size_t N, size_t d, size_t H, const int *kv_len,
                       uint64_t seed) {
    attn_world K, R;
    attn_world_init_form(&K, B, T, N, d, H, 0, kv_len, 0, seed, 0);
    attn_world_init_form(&R, B, T, N, d, H, 0, kv_len, 0, seed, 1);
    size_t nq = B * T * d, nkv = B * N * d;
    float *dq[2] = {fbuf(nq), fbuf(nq)}, *dkv[2] = {fbuf(nkv), fbuf(nkv)};
    attn_world *W[2] = {&K, &R};
    for (int f = 0; f < 2; f++) {
        attn_world_fwd(W[f], W[f]->out);
        attn_backward(dq[f], dkv[f], W[f]->grads, W[f]->R, &W[f]->a, &W[f]->sc, W[f]->xq,
                      W[f]->xkv, W[f]->params, &W[f]->w, &W[f]->s);
    }
    check_close(R.out, K.out, nq, 1e-5, 1e-4);
    check_close(R.a.probs, K.a.probs, B * H * T * N, 1e-6, 1e-4);
    check_close(R.a.ctx, K.a.ctx, nq, 1e-5, 1e-4);
    check_close(dq[1], dq[0], nq, 1e-5, 1e-4);
    check_close(dkv[1], dkv[0], nkv, 1e-5, 1e-4);
    check_close(R.grads, K.grads, K.L.total, 1e-4, 1e-4);
    for (size_t k = 0; k < d; k++) assert_true(R.grads[R.w.bk + k] == 0.0f);
    assert_null(R.a.k);
    assert_null(K.a.qk);
    free(dq[0]), free(dq[1]), free(dkv[0]), free(dkv[1]);
    attn_world_free(&K), attn_world_free(&R);
}

static void test_reassociated_matches_kv_form(void **state) {
    (void)state;
    static const int kv_len[2] = {40, 17};
    forms_case(2, 3, 7, 8, 2, NULL, 121);
    forms_case(2, 16, 40, 32, 4, kv_len, 122);  /* key padding masks too */
    forms_case(3, 5, 144, 64, 2, NULL, 123);
}

static void test_reassociated_forward_and_backward_fd(void **state) {
    (void)state;
    static const int kv_len[2] = {7, 4};
    attn_world W;
    attn_world_init_form(&W, 2, 3, 7, 8, 2, 0, NULL, 0, 131, 1);
    check_forward(&W);
    check_backward(&W);
    attn_world_free(&W);
    attn_world_init_form(&W, 2, 3, 7, 8, 2, 0, kv_len, 0, 132, 1);
    check_forward(&W);
    check_backward(&W);
    attn_world_free(&W);
}

/* ---- tests: pre-LN sublayers ------------------------------------------------------------ */

typedef struct {
    attn_shape s;
    blk_attn_weights w;
    nn_layout L;
    float *params, *grads, *block;
    blk_attn_acts a;
    blk_scratch sc;
    float *x, *mem;  /* mem NULL: self-attention */
} blk_world;

static void blk_world_take(void *ctx, nn_arena *ar) {
    blk_world *W = ctx;
    blk_attn_acts_take(&W->a, ar, &W->s);
    blk_scratch_take(&W->sc, ar, &W->s, 1, W->s.batch * W->s.t, W->s.d, 16);
}

static void blk_world_fwd(void *ctx, float *out) {
    blk_world *W = ctx;
    blk_attn_forward(&W->a, W->x, W->mem, W->params, &W->w, &W->s);
    memcpy(out, W->a.out, W->s.batch * W->s.t * W->s.d * sizeof(float));
}

/* out = x + MHA(LN(x), mem or LN(x)) against finite differences of x, mem and weights. */
static void blk_attn_case(attn_shape s, int cross, uint64_t seed) {
    blk_world W;
    memset(&W, 0, sizeof W);
    W.s = s;
    blk_attn_layout(&W.w, &W.L, "ln", "att", s.d, 0.02f);
    nn_rng r;
    nn_rng_seed(&r, seed);
    W.params = fbuf(W.L.total);
    W.grads = fbuf(W.L.total);
    fill_uniform(&r, W.params, W.L.total, -0.8f, 0.8f);
    fill_uniform(&r, W.params + W.w.ln.w, s.d, 0.5f, 1.5f);  /* LN gain near 1 */
    W.block = arena_alloc(blk_world_take, &W);
    size_t nq = s.batch * s.t * s.d, nkv = s.batch * s.n * s.d;
    W.x = fbuf(nq);
    fill_uniform(&r, W.x, nq, -2, 2);
    if (cross) {
        W.mem = fbuf(nkv);
        fill_uniform(&r, W.mem, nkv, -1, 1);
    }
    float *out = fbuf(nq), *R = fbuf(nq), *dx = fbuf(nq), *dmem = fbuf(nkv);
    fill_uniform(&r, R, nq, -1, 1);
    blk_world_fwd(&W, out);
    blk_attn_backward(dx, cross ? dmem : NULL, W.grads, R, &W.a, &W.sc, W.x, W.mem, W.params,
                      &W.w, &W.s);
    fd_problem p = {blk_world_fwd, &W, out, R, nq, 1e-2f};
    check_grad(dx, W.x, nq, &p, 0.05);
    if (cross) check_grad(dmem, W.mem, nkv, &p, 0.05);
    check_param_grads(&W.L, W.grads, W.params, &p);
    free(out), free(R), free(dx), free(dmem), free(W.x), free(W.mem);
    free(W.params), free(W.grads), free(W.block);
    nn_layout_free(&W.L);
}

static void test_blk_attn_backward_fd(void **state) {
    (void)state;
    static const int kv_len[2] = {5, 3};
    blk_attn_case((attn_shape){2, 5, 5, 8, 2, 1, kv_len, NULL, 0}, 0, 201);  /* decoder self-attention */
    blk_attn_case((attn_shape){2, 3, 7, 8, 2, 0, NULL, NULL, 0}, 1, 202);    /* cross-attention */
    blk_attn_case((attn_shape){2, 4, 4, 8, 2, 0, NULL, NULL, 0}, 0, 203);    /* encoder self-attention */
    blk_attn_case((attn_shape){2, 3, 7, 8, 2, 0, NULL, NULL, 1}, 1, 204); /* reassociated cross */
}

typedef struct {
    blk_mlp_weights w;
    nn_layout L;
    float *params, *grads, *block;
    blk_mlp_acts a;
    blk_scratch sc;
    float *x;
    size_t rows, d, ff;
} mlp_world;

static void mlp_world_take(void *ctx, nn_arena *ar) {
    mlp_world *W = ctx;
    attn_shape s = {1, W->rows, W->rows, W->d, 1, 0, NULL, NULL, 0};
    blk_mlp_acts_take(&W->a, ar, W->rows, W->d, W->ff);
    blk_scratch_take(&W->sc, ar, &s, 1, W->rows, W->d, W->ff);
}

static void mlp_world_fwd(void *ctx, float *out) {
    mlp_world *W = ctx;
    blk_mlp_forward(&W->a, W->x, W->params, &W->w, W->rows, W->d, W->ff);
    memcpy(out, W->a.out, W->rows * W->d * sizeof(float));
}

static void test_blk_mlp_backward_fd(void **state) {
    (void)state;
    mlp_world W;
    memset(&W, 0, sizeof W);
    W.rows = 6, W.d = 8, W.ff = 16;
    blk_mlp_layout(&W.w, &W.L, "ln", "mlp", W.d, W.ff, 0.02f);
    nn_rng r;
    nn_rng_seed(&r, 301);
    W.params = fbuf(W.L.total);
    W.grads = fbuf(W.L.total);
    fill_uniform(&r, W.params, W.L.total, -0.5f, 0.5f);
    fill_uniform(&r, W.params + W.w.ln.w, W.d, 0.5f, 1.5f);
    W.block = arena_alloc(mlp_world_take, &W);
    size_t n = W.rows * W.d;
    W.x = fbuf(n);
    fill_uniform(&r, W.x, n, -2, 2);
    float *out = fbuf(n), *R = fbuf(n), *dx = fbuf(n);
    fill_uniform(&r, R, n, -1, 1);
    mlp_world_fwd(&W, out);
    /* forward = x + proj(GELU(fc(LN(x)))) computed from the kernels one by one */
    float *h = fbuf(W.rows * W.ff), *g = fbuf(W.rows * W.ff), *want = fbuf(n);
    nn_linear_forward(h, W.a.ln.out, W.params + W.w.mlp.fc_w, W.params + W.w.mlp.fc_b, W.rows,
                      W.d, W.ff);
    nn_gelu_forward(g, h, W.rows * W.ff);
    nn_linear_forward(want, g, W.params + W.w.mlp.proj_w, W.params + W.w.mlp.proj_b, W.rows,
                      W.ff, W.d);
    for (size_t i = 0; i < n; i++) want[i] += W.x[i];
    check_close(out, want, n, 1e-6, 1e-6);
    blk_mlp_backward(dx, W.grads, R, &W.a, &W.sc, W.x, W.params, &W.w, W.rows, W.d, W.ff);
    fd_problem p = {mlp_world_fwd, &W, out, R, n, 1e-2f};
    check_grad(dx, W.x, n, &p, 0.05);
    check_param_grads(&W.L, W.grads, W.params, &p);
    free(h), free(g), free(want);
    free(out), free(R), free(dx), free(W.x), free(W.params), free(W.grads), free(W.block);
    nn_layout_free(&W.L);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_attention_forward),
        cmocka_unit_test(test_causal_mask),
        cmocka_unit_test(test_key_padding),
        cmocka_unit_test(test_fully_masked_row),
        cmocka_unit_test(test_cross_attention_backward_fd),
        cmocka_unit_test(test_self_attention_masked_backward_fd),
        cmocka_unit_test(test_attention_target_backward_fd),
        cmocka_unit_test(test_attn_step_matches_forward),
        cmocka_unit_test(test_reassociation_pays),
        cmocka_unit_test(test_reassociated_matches_kv_form),
        cmocka_unit_test(test_reassociated_forward_and_backward_fd),
        cmocka_unit_test(test_blk_attn_backward_fd),
        cmocka_unit_test(test_blk_mlp_backward_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
