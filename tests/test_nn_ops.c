/* test_nn_ops.c — the numeric kernels of nn/ops.h and the RNG of nn/rng.h.
 *
 * - nn_gemm against a naive double-accumulating reference (tests/util/gemm_ref.h) for all
 *   four transpose combinations, non-square sizes, strided submatrices and alpha/beta.
 * - every backward against central finite differences of L = sum(out * R), R fixed random;
 *   backward ADDS into its gradient buffers.
 * - forward values against formulas evaluated in double (GELU, softmax, layer norm,
 *   cross-entropy), including the edge cases the model relies on (-INFINITY masks,
 *   saturation at large |x|).
 * - nn_rng: determinism, ranges, and rough moments. */
#include "tests/util/check.h"
#include "tests/util/fd.h"
#include "tests/util/gemm_ref.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ops.h"
#include "nn/rng.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Fills x with uniform values in [lo, hi). */
static void fill_uniform(nn_rng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * nn_rng_uniform(r);
}

/* ---- finite differences ---------------------------------------------------------
 *
 * A forward under test reads its inputs through ctx and writes n_out floats to out.
 * The scalar loss is L = sum(out * R) accumulated in double, so dL/dout = R and the
 * analytic gradient is the backward with dout = R.
 *
 * Tolerances (FD_ATOL 1e-3, FD_RTOL 1e-2) and why they are safe and still sharp:
 * the forward runs in float, so each output carries a rounding error of a few ulps,
 * ~|out| * 1e-7. Only outputs that depend on the perturbed input change, so with k such
 * outputs of size <= c the noise of (L+ - L-) / (2h) is about sqrt(2k) * c * 1e-7 / 2e-3
 * = 5e-5 * sqrt(2k) * c; here k <= 8 (one layer-norm row) and c <= ~2, giving <= 4e-4;
 * the measured worst error is 1.7e-4 (err/tol 0.14, GELU). The step actually taken,
 * (float)(x+h) - (float)(x-h), is the denominator, so rounding of x +- h costs nothing.
 * The truncation error of the central difference is h^2/6 * |f'''| ~ 2e-7 * |f'''|,
 * negligible for these smooth functions.
 * On the other side, every tensor checked has a numeric gradient of size >= 0.05
 * (asserted by check_grad), and the components are O(0.1..1): a sign error changes a
 * component by 2|g|, a missing term by that term's size, a wrong factor of 2 by |g| —
 * all far above 1e-3 + 1e-2 |g|. */

/* Fails unless twice == 2 * once elementwise (backward accumulates) and once is not all 0. */
#define check_doubles(once, twice, n) \
    check_doubles_impl((once), (twice), (n), #twice, __FILE__, __LINE__)
static void check_doubles_impl(const float *once, const float *twice, size_t n, const char *what,
                               const char *file, int line) {
    float *want = fbuf(n);
    for (size_t i = 0; i < n; i++) want[i] = 2.0f * once[i];
    if (max_abs(once, n) == 0.0) {
        print_error("%s:%d: %s: gradient is all zero\n", file, line, what);
        free(want);
        _fail(file, line);
        return;
    }
    check_close_impl(twice, want, n, 1e-6, 1e-6, what, file, line);
    free(want);
}

/* ---- GEMM ------------------------------------------------------------------------- */

/* One nn_gemm case: op(A) is M x K, op(B) K x N; every operand is a submatrix that starts
 * `pad` columns into rows of stride width + 2 * pad (as a head inside a [rows, d] buffer).
 * Padding of A and B is NaN (reading it would poison C); C's padding must stay untouched. */
static void gemm_case(size_t M, size_t N, size_t K, int ta, int tb, size_t pad, float alpha,
                      float beta, uint64_t seed) {
    nn_rng r;
    nn_rng_seed(&r, seed);
    size_t ar = ta ? K : M, ac = ta ? M : K;  /* A as stored */
    size_t br = tb ? N : K, bc = tb ? K : N;  /* B as stored */
    size_t lda = ac + 2 * pad, ldb = bc + 2 * pad, ldc = N + 2 * pad;
    float *A = fbuf(ar * lda), *B = fbuf(br * ldb), *C = fbuf(M * ldc), *Cref = fbuf(M * ldc);
    for (size_t i = 0; i < ar * lda; i++) A[i] = NAN;
    for (size_t i = 0; i < br * ldb; i++) B[i] = NAN;
    for (size_t i = 0; i < M * ldc; i++) C[i] = 1234.5f;
    for (size_t i = 0; i < ar; i++) fill_uniform(&r, A + i * lda + pad, ac, -1.0f, 1.0f);
    for (size_t i = 0; i < br; i++) fill_uniform(&r, B + i * ldb + pad, bc, -1.0f, 1.0f);
    for (size_t i = 0; i < M; i++) fill_uniform(&r, C + i * ldc + pad, N, -1.0f, 1.0f);
    memcpy(Cref, C, M * ldc * sizeof(float));

    nn_gemm(C + pad, A + pad, B + pad, ta, tb, M, N, K, lda, ldb, ldc, alpha, beta);
    ref_gemm(Cref + pad, A + pad, B + pad, ta, tb, M, N, K, lda, ldb, ldc, alpha, beta);

    /* the whole C buffer, padding included: logical part close, padding unchanged (1234.5) */
    check_close(C, Cref, M * ldc, 1e-5, 1e-5);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < ldc; j++)
            if (j < pad || j >= pad + N) assert_true(C[i * ldc + j] == 1234.5f);
    /* and the reference itself did something: C changed where it should */
    assert_true(max_abs(Cref + pad, N) > 0.0);
    free(A);
    free(B);
    free(C);
    free(Cref);
}

static void test_gemm_matches_reference(void **state) {
    (void)state;
    uint64_t seed = 1;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            gemm_case(7, 5, 3, ta, tb, 0, 1.0f, 0.0f, seed++);
            gemm_case(7, 5, 3, ta, tb, 3, -0.75f, 0.5f, seed++);
            gemm_case(33, 17, 65, ta, tb, 5, 1.25f, -2.0f, seed++);
            gemm_case(33, 17, 65, ta, tb, 0, 1.0f, 1.0f, seed++);
            gemm_case(1, 9, 4, ta, tb, 2, 0.5f, 0.0f, seed++);  /* one query row, as attn_step */
        }
}

/* beta == 0 must not read C: kernels write into uninitialised activation buffers. */
static void test_gemm_beta_zero_ignores_c(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 7);
    size_t M = 6, N = 4, K = 5;
    float *A = fbuf(M * K), *B = fbuf(K * N), *C = fbuf(M * N), *Cref = fbuf(M * N);
    fill_uniform(&r, A, M * K, -1, 1);
    fill_uniform(&r, B, K * N, -1, 1);
    for (size_t i = 0; i < M * N; i++) C[i] = NAN;
    nn_gemm(C, A, B, 0, 0, M, N, K, K, N, N, 1.0f, 0.0f);
    ref_gemm(Cref, A, B, 0, 0, M, N, K, K, N, N, 1.0f, 0.0f);
    check_close(C, Cref, M * N, 1e-5, 1e-5);
    free(A);
    free(B);
    free(C);
    free(Cref);
}

/* ---- linear ----------------------------------------------------------------------- */

typedef struct {
    float *inp, *w, *b;
    size_t n, ic, oc;
} lin_ctx;

static void lin_fwd(void *c, float *out) {
    lin_ctx *x = c;
    nn_linear_forward(out, x->inp, x->w, x->b, x->n, x->ic, x->oc);
}

static void test_linear_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 11);
    lin_ctx c = {fbuf(4 * 5), fbuf(3 * 5), fbuf(3), 4, 5, 3};
    fill_uniform(&r, c.inp, 20, -1, 1);
    fill_uniform(&r, c.w, 15, -1, 1);
    fill_uniform(&r, c.b, 3, -1, 1);
    float *out = fbuf(12), *R = fbuf(12);
    fill_uniform(&r, R, 12, -1, 1);
    float *dinp = fbuf(20), *dw = fbuf(15), *db = fbuf(3);
    nn_linear_backward(dinp, dw, db, R, c.inp, c.w, c.n, c.ic, c.oc);
    fd_problem p = {lin_fwd, &c, out, R, 12, 1e-3f};
    check_grad(dinp, c.inp, 20, &p, 0.1);
    check_grad(dw, c.w, 15, &p, 0.1);
    check_grad(db, c.b, 3, &p, 0.1);

    /* NULL gradients are skipped; the others are the same */
    float *db2 = fbuf(3);
    nn_linear_backward(NULL, NULL, db2, R, c.inp, c.w, c.n, c.ic, c.oc);
    check_close(db2, db, 3, 0, 0);
    /* without a bias the forward is x W^T */
    nn_linear_forward(out, c.inp, c.w, NULL, c.n, c.ic, c.oc);
    float *want = fbuf(12);
    ref_gemm(want, c.inp, c.w, 0, 1, 4, 3, 5, 5, 5, 3, 1.0f, 0.0f);
    check_close(out, want, 12, 1e-6, 1e-5);
    free(want);
    free(db2);
    free(c.inp), free(c.w), free(c.b), free(out), free(R), free(dinp), free(dw), free(db);
}

/* ---- layer norm ------------------------------------------------------------------- */

typedef struct {
    float *inp, *w, *b, *mean, *rstd;
    size_t n, d;
} ln_ctx;

static void ln_fwd(void *c, float *out) {
    ln_ctx *x = c;
    nn_layernorm_forward(out, x->mean, x->rstd, x->inp, x->w, x->b, x->n, x->d);
}

static void test_layernorm_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 12);
    size_t n = 3, d = 8;
    ln_ctx c = {fbuf(n * d), fbuf(d), fbuf(d), fbuf(n), fbuf(n), n, d};
    fill_uniform(&r, c.inp, n * d, -2, 2);
    for (size_t j = 0; j < d; j++) c.inp[d + j] += 3.0f;  /* a row with an offset */
    fill_uniform(&r, c.w, d, 0.5f, 1.5f);
    fill_uniform(&r, c.b, d, -0.5f, 0.5f);
    float *out = fbuf(n * d), *R = fbuf(n * d);
    fill_uniform(&r, R, n * d, -1, 1);
    ln_fwd(&c, out);  /* saves mean and rstd for the backward */
    float *dinp = fbuf(n * d), *dw = fbuf(d), *db = fbuf(d);
    nn_layernorm_backward(dinp, dw, db, R, c.inp, c.w, c.mean, c.rstd, n, d);
    fd_problem p = {ln_fwd, &c, out, R, n * d, 1e-3f};
    check_grad(dinp, c.inp, n * d, &p, 0.1);
    check_grad(dw, c.w, d, &p, 0.1);
    check_grad(db, c.b, d, &p, 0.1);
    free(c.inp), free(c.w), free(c.b), free(c.mean), free(c.rstd);
    free(out), free(R), free(dinp), free(dw), free(db);
}

/* ---- GELU ------------------------------------------------------------------------- */

typedef struct {
    float *inp;
    size_t n;
} gelu_ctx;

static void gelu_fwd(void *c, float *out) {
    gelu_ctx *x = c;
    nn_gelu_forward(out, x->inp, x->n);
}

static void test_gelu_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 13);
    size_t n = 33;
    gelu_ctx c = {fbuf(n), n};
    for (size_t i = 0; i < n; i++) c.inp[i] = -4.0f + 8.0f * (float)i / (float)(n - 1) + 0.01f;
    float *out = fbuf(n), *R = fbuf(n), *dinp = fbuf(n);
    fill_uniform(&r, R, n, -1, 1);
    nn_gelu_backward(dinp, R, c.inp, n);
    fd_problem p = {gelu_fwd, &c, out, R, n, 1e-3f};
    check_grad(dinp, c.inp, n, &p, 0.1);
    free(c.inp), free(out), free(R), free(dinp);
}

/* GELU in double, the formula of docs/MODEL.md. */
static double gelu_ref(double x) {
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void test_gelu_forward_values(void **state) {
    (void)state;
    enum { NPTS = 1200 + 12 };
    float x[NPTS], y[NPTS], want[NPTS], dy[NPTS], ones[NPTS];
    size_t n = 0;
    for (int i = 0; i < 1200; i++) x[n++] = -6.0f + 12.0f * (float)i / 1199.0f;
    const float extra[] = {20.0f, -20.0f, 1e4f, -1e4f, 1e-6f, -1e-6f, 1e-3f, -1e-3f, 0.0f,
                           8.0f, -8.0f, 1e6f};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) x[n++] = extra[i];
    assert_int_equal(n, NPTS);
    nn_gelu_forward(y, x, n);
    for (size_t i = 0; i < n; i++) want[i] = (float)gelu_ref(x[i]);
    check_close(y, want, n, 1e-6, 1e-5);
    /* saturation: identity on the right, zero on the left, no NaN */
    for (size_t i = 1200; i < n; i++) assert_true(isfinite(y[i]));
    assert_true(y[1200] == 20.0f);
    assert_true(fabsf(y[1201]) < 1e-30f);
    assert_true(y[1202] == 1e4f);
    assert_true(y[1203] == 0.0f);
    assert_true(y[1211] == 1e6f);
    /* the derivative saturates to 1 and 0 as well, and is never NaN */
    for (size_t i = 0; i < n; i++) ones[i] = 1.0f, dy[i] = 0.0f;
    nn_gelu_backward(dy, ones, x, n);
    for (size_t i = 0; i < n; i++) assert_true(isfinite(dy[i]));
    assert_true(fabsf(dy[1200] - 1.0f) < 1e-6f);
    assert_true(fabsf(dy[1201]) < 1e-6f);
    assert_true(dy[1202] == 1.0f);
    assert_true(dy[1203] == 0.0f);
    assert_true(fabsf(dy[1208] - 0.5f) < 1e-6f);  /* GELU'(0) = 1/2 */
}

/* ---- softmax ---------------------------------------------------------------------- */

typedef struct {
    float *inp;
    size_t rows, d;
} sm_ctx;

static void sm_fwd(void *c, float *out) {
    sm_ctx *x = c;
    nn_softmax_forward(out, x->inp, x->rows, x->d);
}

static void test_softmax_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 14);
    size_t rows = 4, d = 6, n = rows * d;
    sm_ctx c = {fbuf(n), rows, d};
    fill_uniform(&r, c.inp, n, -2, 2);
    c.inp[1 * d + 2] = -INFINITY;  /* row 1: two masked entries */
    c.inp[1 * d + 5] = -INFINITY;
    for (size_t j = 0; j < d; j++) c.inp[3 * d + j] = -INFINITY;  /* row 3: fully masked */
    float *y = fbuf(n), *R = fbuf(n), *dinp = fbuf(n);
    fill_uniform(&r, R, n, -1, 1);
    sm_fwd(&c, y);
    nn_softmax_backward(dinp, R, y, rows, d);
    fd_problem p = {sm_fwd, &c, fbuf(n), R, n, 1e-3f};
    check_grad(dinp, c.inp, n, &p, 0.05);
    /* masked entries get exactly zero gradient */
    assert_true(dinp[1 * d + 2] == 0.0f);
    assert_true(dinp[1 * d + 5] == 0.0f);
    for (size_t j = 0; j < d; j++) assert_true(dinp[3 * d + j] == 0.0f);
    free(p.out);
    free(c.inp), free(y), free(R), free(dinp);
}

static void test_softmax_forward_values(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 15);
    size_t rows = 5, d = 9, n = rows * d;
    float *x = fbuf(n), *y = fbuf(n), *want = fbuf(n);
    fill_uniform(&r, x, n, -5, 5);
    for (size_t j = 0; j < d; j++) x[1 * d + j] += 1000.0f;  /* needs max subtraction */
    x[2 * d + 0] = -INFINITY;
    x[2 * d + 7] = -INFINITY;
    for (size_t j = 0; j < d; j++) x[3 * d + j] = -INFINITY;  /* all masked */
    x[4 * d + 4] = 80.0f;                                      /* nearly one-hot */
    nn_softmax_forward(y, x, rows, d);
    for (size_t i = 0; i < rows; i++) {
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < d; j++) mx = fmax(mx, x[i * d + j]);
        for (size_t j = 0; j < d; j++)
            s += mx == -INFINITY ? 0.0 : exp((double)x[i * d + j] - mx);
        for (size_t j = 0; j < d; j++)
            want[i * d + j] = s == 0.0 ? 0.0f : (float)(exp((double)x[i * d + j] - mx) / s);
    }
    check_close(y, want, n, 1e-7, 1e-5);
    for (size_t i = 0; i < rows; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++) s += y[i * d + j];
        if (i == 3) {
            for (size_t j = 0; j < d; j++) assert_true(y[i * d + j] == 0.0f);  /* not NaN */
        } else {
            assert_true(fabs(s - 1.0) < 1e-6);
        }
    }
    assert_true(y[2 * d + 0] == 0.0f && y[2 * d + 7] == 0.0f);
    /* in place (as attention uses it) gives the same */
    float *inplace = fbuf(n);
    memcpy(inplace, x, n * sizeof(float));
    nn_softmax_forward(inplace, inplace, rows, d);
    check_close(inplace, y, n, 0, 0);
    free(inplace);
    free(x), free(y), free(want);
}

/* The row maximum that softmax subtracts, where a wrong one shows: rows long enough for the
 * vector loop and its tail, all far below zero (subtracting anything but the largest
 * overflows or underflows the exponentials), signed zeros, and a NaN, which makes its
 * whole row NaN. */
static void test_softmax_row_max_edges(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 16);
    const size_t rows = 4, d = 37, n = rows * d;
    float *x = fbuf(n), *y = fbuf(n);
    fill_uniform(&r, x, n, -1000, -900);  /* rows 0 and 3 */
    x[0 * d + 34] = -880.0f;  /* the largest, in the tail of a vector loop of 8 or 16 lanes */
    for (size_t j = 0; j < d; j++) x[1 * d + j] = -INFINITY;
    x[1 * d + 3] = -0.0f;
    x[1 * d + 20] = 0.0f;
    for (size_t j = 0; j < d; j++) x[2 * d + j] = (float)j - 50.0f;
    x[2 * d + 11] = NAN;
    nn_softmax_forward(y, x, rows, d);
    for (size_t i = 0; i < rows; i += 3) {
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < d; j++) mx = fmax(mx, x[i * d + j]);
        for (size_t j = 0; j < d; j++) s += exp((double)x[i * d + j] - mx);
        float want[37];
        for (size_t j = 0; j < d; j++) want[j] = (float)(exp((double)x[i * d + j] - mx) / s);
        check_close(y + i * d, want, d, 1e-7, 1e-5);
    }
    assert_true(y[0 * d + 34] > 0.99f);
    for (size_t j = 0; j < d; j++) {
        float want = j == 3 || j == 20 ? 0.5f : 0.0f;
        assert_true(y[1 * d + j] == want);
        assert_true(isnan(y[2 * d + j]));
    }
    free(x), free(y);
}

/* ---- cross-entropy ---------------------------------------------------------------- */

typedef struct {
    float *logits, *probs;
    const int *targets;
    size_t n, v;
} ce_ctx;

static void ce_fwd(void *c, float *losses) {
    ce_ctx *x = c;
    nn_crossentropy_forward(losses, x->probs, x->logits, x->targets, 0, x->n, x->v);
}

static void test_crossentropy_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 16);
    size_t n = 5, v = 7;
    const int targets[5] = {3, 0, 6, 1, 3};  /* row 1 has the ignored id 0 */
    ce_ctx c = {fbuf(n * v), fbuf(n * v), targets, n, v};
    fill_uniform(&r, c.logits, n * v, -2, 2);
    float *losses = fbuf(n);
    size_t count = nn_crossentropy_forward(losses, c.probs, c.logits, targets, 0, n, v);
    assert_int_equal(count, 4);
    float scale = 1.0f / (float)count;
    float *R = fbuf(n), *dlogits = fbuf(n * v);
    for (size_t i = 0; i < n; i++) R[i] = scale;  /* L = mean loss over counted rows */
    nn_crossentropy_backward(dlogits, c.probs, targets, 0, scale, n, v);
    fd_problem p = {ce_fwd, &c, losses, R, n, 1e-3f};
    check_grad(dlogits, c.logits, n * v, &p, 0.05);
    for (size_t j = 0; j < v; j++) assert_true(dlogits[1 * v + j] == 0.0f);  /* ignored row */
    free(c.logits), free(c.probs), free(losses), free(R), free(dlogits);
}

static void test_crossentropy_forward_values(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 17);
    size_t n = 6, v = 11;
    const int targets[6] = {4, 0, 10, 0, 1, 7};
    float *logits = fbuf(n * v), *probs = fbuf(n * v), *losses = fbuf(n);
    float *want = fbuf(n), *want_p = fbuf(n * v);
    fill_uniform(&r, logits, n * v, -30, 30);  /* large spread: needs a stable log-softmax */
    for (size_t i = 0; i < n; i++) losses[i] = NAN;
    size_t count = nn_crossentropy_forward(losses, probs, logits, targets, 0, n, v);
    assert_int_equal(count, 4);
    for (size_t i = 0; i < n; i++) {
        const float *x = logits + i * v;
        double mx = x[0], s = 0.0;
        for (size_t j = 1; j < v; j++) mx = fmax(mx, x[j]);
        for (size_t j = 0; j < v; j++) s += exp((double)x[j] - mx);
        for (size_t j = 0; j < v; j++) want_p[i * v + j] = (float)(exp((double)x[j] - mx) / s);
        want[i] = targets[i] == 0 ? 0.0f : (float)(log(s) - ((double)x[targets[i]] - mx));
    }
    check_close(losses, want, n, 1e-6, 1e-6);
    check_close(probs, want_p, n * v, 1e-7, 1e-5);
    assert_true(losses[1] == 0.0f && losses[3] == 0.0f);
    /* every row ignored: nothing counted */
    const int none[2] = {0, 0};
    assert_int_equal(nn_crossentropy_forward(losses, probs, logits, none, 0, 2, v), 0);
    free(logits), free(probs), free(losses), free(want), free(want_p);
}

/* ---- embeddings and residual -------------------------------------------------------- */

typedef struct {
    float *table;
    const int *ids;
    size_t n, d;
} emb_ctx;

static void emb_fwd(void *c, float *out) {
    emb_ctx *x = c;
    nn_embedding_forward(out, x->ids, x->table, x->n, x->d);
}

static void test_embedding_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 18);
    size_t V = 5, d = 4, n = 5;
    const int ids[5] = {2, 0, 2, 3, 2};  /* id 2 three times; ids 1 and 4 unused */
    emb_ctx c = {fbuf(V * d), ids, n, d};
    fill_uniform(&r, c.table, V * d, -1, 1);
    float *out = fbuf(n * d), *R = fbuf(n * d), *dtable = fbuf(V * d);
    fill_uniform(&r, R, n * d, -1, 1);
    emb_fwd(&c, out);
    for (size_t i = 0; i < n; i++)
        check_close(out + i * d, c.table + (size_t)ids[i] * d, d, 0, 0);
    nn_embedding_backward(dtable, R, ids, n, d);
    fd_problem p = {emb_fwd, &c, out, R, n * d, 1e-3f};
    check_grad(dtable, c.table, V * d, &p, 0.1);
    /* repeated ids accumulate: row 2 is the sum of dout rows 0, 2 and 4 */
    float want[4];
    for (size_t j = 0; j < d; j++) want[j] = R[0 * d + j] + R[2 * d + j] + R[4 * d + j];
    check_close(dtable + 2 * d, want, d, 1e-6, 1e-6);
    for (size_t j = 0; j < d; j++) {
        assert_true(dtable[1 * d + j] == 0.0f);
        assert_true(dtable[4 * d + j] == 0.0f);
    }
    free(c.table), free(out), free(R), free(dtable);
}

typedef struct {
    float *x0, *pos;
    size_t batch, len, d;
} pos_ctx;

static void pos_fwd(void *c, float *out) {
    pos_ctx *x = c;
    memcpy(out, x->x0, x->batch * x->len * x->d * sizeof(float));
    nn_position_forward(out, x->pos, x->batch, x->len, x->d);
}

static void test_position_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 19);
    size_t B = 2, len = 3, maxlen = 5, d = 4, n = B * len * d;
    pos_ctx c = {fbuf(n), fbuf(maxlen * d), B, len, d};
    fill_uniform(&r, c.x0, n, -1, 1);
    fill_uniform(&r, c.pos, maxlen * d, -1, 1);
    float *out = fbuf(n), *R = fbuf(n), *dpos = fbuf(maxlen * d);
    fill_uniform(&r, R, n, -1, 1);
    pos_fwd(&c, out);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < len; t++) {
            size_t row = (b * len + t) * d;
            for (size_t j = 0; j < d; j++)
                assert_true(out[row + j] == c.x0[row + j] + c.pos[t * d + j]);
        }
    nn_position_backward(dpos, R, B, len, d);
    fd_problem p = {pos_fwd, &c, out, R, n, 1e-3f};
    check_grad(dpos, c.pos, maxlen * d, &p, 0.1);  /* rows >= len: 0 both ways */
    for (size_t j = len * d; j < maxlen * d; j++) assert_true(dpos[j] == 0.0f);
    free(c.x0), free(c.pos), free(out), free(R), free(dpos);
}

typedef struct {
    float *a, *b;
    size_t n;
} res_ctx;

static void res_fwd(void *c, float *out) {
    res_ctx *x = c;
    nn_residual_forward(out, x->a, x->b, x->n);
}

static void test_residual_backward_fd(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 20);
    size_t n = 10;
    res_ctx c = {fbuf(n), fbuf(n), n};
    fill_uniform(&r, c.a, n, -1, 1);
    fill_uniform(&r, c.b, n, -1, 1);
    float *out = fbuf(n), *R = fbuf(n), *da = fbuf(n), *db = fbuf(n);
    fill_uniform(&r, R, n, -1, 1);
    nn_residual_backward(da, db, R, n);
    fd_problem p = {res_fwd, &c, out, R, n, 1e-3f};
    check_grad(da, c.a, n, &p, 0.1);
    check_grad(db, c.b, n, &p, 0.1);
    /* out may alias a */
    float *want = fbuf(n);
    for (size_t i = 0; i < n; i++) want[i] = c.a[i] + c.b[i];
    nn_residual_forward(c.a, c.a, c.b, n);
    check_close(c.a, want, n, 0, 0);
    free(want);
    free(c.a), free(c.b), free(out), free(R), free(da), free(db);
}

/* ---- backward accumulates ------------------------------------------------------------ */

/* Every backward called twice on the same (zeroed) buffers gives twice the single result,
 * and once more on top of arbitrary contents adds exactly the single result. */
static void test_backward_accumulates(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 21);
    size_t n = 3, ic = 4, oc = 5, d = 6;
    float inp[3 * 4], w[5 * 4], dout[3 * 5];
    fill_uniform(&r, inp, sizeof inp / sizeof *inp, -1, 1);
    fill_uniform(&r, w, sizeof w / sizeof *w, -1, 1);
    fill_uniform(&r, dout, sizeof dout / sizeof *dout, -1, 1);

    /* linear: dinp, dw, db */
    float di1[12] = {0}, dw1[20] = {0}, db1[5] = {0}, di2[12] = {0}, dw2[20] = {0}, db2[5] = {0};
    nn_linear_backward(di1, dw1, db1, dout, inp, w, n, ic, oc);
    nn_linear_backward(di2, dw2, db2, dout, inp, w, n, ic, oc);
    nn_linear_backward(di2, dw2, db2, dout, inp, w, n, ic, oc);
    check_doubles(di1, di2, 12);
    check_doubles(dw1, dw2, 20);
    check_doubles(db1, db2, 5);
    float pre[20], want[20];
    fill_uniform(&r, pre, 20, -3, 3);
    for (size_t i = 0; i < 20; i++) want[i] = pre[i] + dw1[i];
    nn_linear_backward(NULL, pre, NULL, dout, inp, w, n, ic, oc);
    check_close(pre, want, 20, 1e-6, 1e-6);

    /* layer norm: dinp, dw, db */
    float x[3 * 6], g[3 * 6], lw[6], lb[6], y[3 * 6], mean[3], rstd[3];
    fill_uniform(&r, x, 18, -2, 2);
    fill_uniform(&r, g, 18, -1, 1);
    fill_uniform(&r, lw, 6, 0.5f, 1.5f);
    fill_uniform(&r, lb, 6, -1, 1);
    nn_layernorm_forward(y, mean, rstd, x, lw, lb, n, d);
    float lx1[18] = {0}, lw1[6] = {0}, lb1[6] = {0}, lx2[18] = {0}, lw2[6] = {0}, lb2[6] = {0};
    nn_layernorm_backward(lx1, lw1, lb1, g, x, lw, mean, rstd, n, d);
    for (int k = 0; k < 2; k++) nn_layernorm_backward(lx2, lw2, lb2, g, x, lw, mean, rstd, n, d);
    check_doubles(lx1, lx2, 18);
    check_doubles(lw1, lw2, 6);
    check_doubles(lb1, lb2, 6);

    /* GELU, softmax, cross-entropy, embedding, position, residual */
    float a1[18] = {0}, a2[18] = {0};
    nn_gelu_backward(a1, g, x, 18);
    for (int k = 0; k < 2; k++) nn_gelu_backward(a2, g, x, 18);
    check_doubles(a1, a2, 18);

    float sm[18], s1[18] = {0}, s2[18] = {0};
    nn_softmax_forward(sm, x, n, d);
    nn_softmax_backward(s1, g, sm, n, d);
    for (int k = 0; k < 2; k++) nn_softmax_backward(s2, g, sm, n, d);
    check_doubles(s1, s2, 18);

    const int targets[3] = {2, 0, 5};
    float losses[3], c1[18] = {0}, c2[18] = {0};
    nn_crossentropy_forward(losses, sm, x, targets, 0, n, d);
    nn_crossentropy_backward(c1, sm, targets, 0, 0.5f, n, d);
    for (int k = 0; k < 2; k++) nn_crossentropy_backward(c2, sm, targets, 0, 0.5f, n, d);
    check_doubles(c1, c2, 18);

    const int ids[3] = {1, 1, 0};
    float e1[2 * 6] = {0}, e2[2 * 6] = {0};
    nn_embedding_backward(e1, g, ids, n, d);
    for (int k = 0; k < 2; k++) nn_embedding_backward(e2, g, ids, n, d);
    check_doubles(e1, e2, 12);

    float p1[3 * 6] = {0}, p2[3 * 6] = {0};
    nn_position_backward(p1, g, 1, n, d);
    for (int k = 0; k < 2; k++) nn_position_backward(p2, g, 1, n, d);
    check_doubles(p1, p2, 18);

    float ra1[18] = {0}, rb1[18] = {0}, ra2[18] = {0}, rb2[18] = {0};
    nn_residual_backward(ra1, rb1, g, 18);
    for (int k = 0; k < 2; k++) nn_residual_backward(ra2, rb2, g, 18);
    check_doubles(ra1, ra2, 18);
    check_doubles(rb1, rb2, 18);
}

/* ---- layer norm forward --------------------------------------------------------------- */

static void test_layernorm_forward_values(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 22);
    size_t n = 4, d = 32;
    float *x = fbuf(n * d), *y = fbuf(n * d), *w = fbuf(d), *b = fbuf(d), *want = fbuf(n * d);
    float mean[4], rstd[4];
    for (size_t i = 0; i < n; i++) fill_uniform(&r, x + i * d, d, -3, 3);
    for (size_t j = 0; j < d; j++) x[2 * d + j] = 10.0f + 0.5f * x[2 * d + j];  /* offset row */
    for (size_t j = 0; j < d; j++) w[j] = 1.0f, b[j] = 0.0f;
    nn_layernorm_forward(y, mean, rstd, x, w, b, n, d);
    for (size_t i = 0; i < n; i++) {
        double m = 0.0, v = 0.0;
        for (size_t j = 0; j < d; j++) m += y[i * d + j];
        m /= (double)d;
        for (size_t j = 0; j < d; j++) v += (y[i * d + j] - m) * (y[i * d + j] - m);
        v /= (double)d;
        assert_true(fabs(m) < 1e-5);
        assert_true(fabs(v - 1.0) < 1e-3);
    }
    /* with random w, b against double, and the saved mean / rstd */
    fill_uniform(&r, w, d, -2, 2);
    fill_uniform(&r, b, d, -1, 1);
    nn_layernorm_forward(y, mean, rstd, x, w, b, n, d);
    float want_mean[4], want_rstd[4];
    for (size_t i = 0; i < n; i++) {
        double m = 0.0, v = 0.0;
        for (size_t j = 0; j < d; j++) m += x[i * d + j];
        m /= (double)d;
        for (size_t j = 0; j < d; j++) v += (x[i * d + j] - m) * (x[i * d + j] - m);
        v /= (double)d;
        double s = 1.0 / sqrt(v + 1e-5);
        want_mean[i] = (float)m;
        want_rstd[i] = (float)s;
        for (size_t j = 0; j < d; j++)
            want[i * d + j] = (float)((x[i * d + j] - m) * s * w[j] + b[j]);
    }
    check_close(mean, want_mean, n, 1e-6, 1e-6);
    check_close(rstd, want_rstd, n, 0, 1e-4);
    check_close(y, want, n * d, 1e-4, 1e-4);
    free(x), free(y), free(w), free(b), free(want);
}

/* ---- RNG --------------------------------------------------------------------------- */

static void test_rng_deterministic(void **state) {
    (void)state;
    nn_rng a, b, c;
    nn_rng_seed(&a, 42);
    nn_rng_seed(&b, 42);
    nn_rng_seed(&c, 43);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = nn_rng_u32(&a), y = nn_rng_u32(&b), z = nn_rng_u32(&c);
        assert_true(x == y);
        same_c += x == z;
    }
    assert_true(same_c < 5);
    /* the state is a value: a copy continues the same stream */
    nn_rng fork = a;
    for (int i = 0; i < 100; i++) assert_true(nn_rng_u32(&fork) == nn_rng_u32(&a));
    /* seeds 0 and 1 differ from the first draw on; seed mixing spreads neighbours */
    nn_rng z0, z1;
    nn_rng_seed(&z0, 0);
    nn_rng_seed(&z1, 1);
    assert_true(nn_rng_u32(&z0) != nn_rng_u32(&z1));
    assert_true(nn_seed_mix(5, 0) != nn_seed_mix(5, 1));
    assert_true(nn_seed_mix(5, 0) == nn_seed_mix(5, 0));
}

static void test_rng_ranges(void **state) {
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 123);
    for (uint32_t n = 1; n <= 10; n++) {
        int hits[10] = {0};
        for (int i = 0; i < 2000; i++) {
            uint32_t x = nn_rng_below(&r, n);
            assert_true(x < n);
            hits[x]++;
        }
        for (uint32_t v = 0; v < n; v++) assert_true(hits[v] > 0);
    }
    const uint32_t big[] = {3000000000u, 0xFFFFFFFFu, 0x80000001u};
    for (size_t k = 0; k < 3; k++)
        for (int i = 0; i < 1000; i++) assert_true(nn_rng_below(&r, big[k]) < big[k]);

    const int N = 100000;
    double s = 0.0, s2 = 0.0, mn = 1.0, mx = 0.0;
    for (int i = 0; i < N; i++) {
        float u = nn_rng_uniform(&r);
        assert_true(u >= 0.0f && u < 1.0f);
        s += u;
        mn = fmin(mn, u);
        mx = fmax(mx, u);
    }
    assert_true(fabs(s / N - 0.5) < 0.01);
    assert_true(mn < 0.001 && mx > 0.999);

    s = 0.0;
    for (int i = 0; i < N; i++) {
        float z = nn_rng_normal(&r);
        assert_true(isfinite(z));
        s += z;
        s2 += (double)z * z;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    assert_true(fabs(mean) < 0.02);      /* sd of the mean ~0.003 */
    assert_true(fabs(var - 1.0) < 0.03); /* sd of the variance ~0.0045 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_matches_reference),
        cmocka_unit_test(test_gemm_beta_zero_ignores_c),
        cmocka_unit_test(test_linear_backward_fd),
        cmocka_unit_test(test_layernorm_backward_fd),
        cmocka_unit_test(test_gelu_backward_fd),
        cmocka_unit_test(test_gelu_forward_values),
        cmocka_unit_test(test_softmax_backward_fd),
        cmocka_unit_test(test_softmax_forward_values),
        cmocka_unit_test(test_softmax_row_max_edges),
        cmocka_unit_test(test_crossentropy_backward_fd),
        cmocka_unit_test(test_crossentropy_forward_values),
        cmocka_unit_test(test_embedding_backward_fd),
        cmocka_unit_test(test_position_backward_fd),
        cmocka_unit_test(test_residual_backward_fd),
        cmocka_unit_test(test_backward_accumulates),
        cmocka_unit_test(test_layernorm_forward_values),
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_rng_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
