/* test_adamw.c — the optimiser of nn/adamw.h: three AdamW steps against
 * torch.optim.AdamW (tests/fixtures/adamw.safetensors, made by
 * tests/reference/make_fixtures.py), the learning-rate schedule and gradient clipping. */
#include "tests/util/check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/adamw.h"
#include "nn/rng.h"
#include "nn/safetensors.h"

/* ---- AdamW against PyTorch ---------------------------------------------------------- */

/* A float from the fixture's __metadata__ (fails the test when missing or malformed). */
static float meta_float(const nn_st_reader *r, const char *key) {
    const char *s = nn_st_meta(r, key);
    if (!s) fail_msg("adamw.safetensors: metadata '%s' missing", key);
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0') fail_msg("adamw.safetensors: metadata '%s' = '%s'", key, s);
    return (float)v;
}

/* Reads F32 tensor name of the given shape into dst (fails the test on error). */
static void read_tensor(const nn_st_reader *r, const char *name, const size_t *shape, int ndim,
                        float *dst) {
    nn_error err;
    if (nn_st_read_f32(r, name, shape, ndim, dst, &err) != 0) fail_msg("%s", err.msg);
}

static void test_adamw_matches_torch(void **state) {
    (void)state;
    nn_error err;
    nn_st_reader *r = nn_st_open(source_path("tests/fixtures/adamw.safetensors"), &err);
    if (!r) fail_msg("%s", err.msg);
    nn_adamw_hparams h = {meta_float(r, "lr"), meta_float(r, "beta1"), meta_float(r, "beta2"),
                          meta_float(r, "eps"), meta_float(r, "weight_decay")};
    assert_true(h.weight_decay > 0.0f);  /* otherwise the decay path is not exercised */

    const size_t wshape[2] = {4, 3}, bshape[1] = {3};
    float w[12], b[3], mw[12] = {0}, vw[12] = {0}, mb[3] = {0}, vb[3] = {0};
    float gw[12], gb[3], want_w[12], want_b[3], start_w[12];
    read_tensor(r, "w.0", wshape, 2, w);
    read_tensor(r, "b.0", bshape, 1, b);
    memcpy(start_w, w, sizeof w);
    for (long k = 1; k <= 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "w.grad.%ld", k);
        read_tensor(r, name, wshape, 2, gw);
        snprintf(name, sizeof name, "b.grad.%ld", k);
        read_tensor(r, name, bshape, 1, gb);
        nn_adamw_update(w, mw, vw, gw, 12, 1, &h, k);
        nn_adamw_update(b, mb, vb, gb, 3, 0, &h, k);
        snprintf(name, sizeof name, "w.%ld", k);
        read_tensor(r, name, wshape, 2, want_w);
        snprintf(name, sizeof name, "b.%ld", k);
        read_tensor(r, name, bshape, 1, want_b);
        check_close(w, want_w, 12, 1e-6, 0);
        check_close(b, want_b, 3, 1e-6, 0);
    }
    /* the parameters did move (by about lr per step), so matching is not vacuous */
    double moved = 0.0;
    for (size_t i = 0; i < 12; i++) moved = fmax(moved, fabs(w[i] - start_w[i]));
    assert_true(moved > 0.01);
    nn_st_close(r);
}

/* Decay is decoupled: with a zero gradient the only change is p *= 1 - lr * wd, and
 * without decay nothing changes. */
static void test_adamw_decay_is_decoupled(void **state) {
    (void)state;
    nn_adamw_hparams h = {0.01f, 0.9f, 0.999f, 1e-8f, 0.1f};
    float p[2] = {2.0f, -3.0f}, q[2] = {2.0f, -3.0f}, m[2] = {0}, v[2] = {0}, g[2] = {0};
    nn_adamw_update(p, m, v, g, 2, 1, &h, 1);
    float want[2] = {2.0f * (1.0f - 0.001f), -3.0f * (1.0f - 0.001f)};
    check_close(p, want, 2, 1e-7, 0);
    nn_adamw_update(q, m, v, g, 2, 0, &h, 1);
    float same[2] = {2.0f, -3.0f};
    check_close(q, same, 2, 0, 0);
    /* the first step moves every parameter by about lr against its gradient's sign */
    float x[3] = {0.5f, 0.5f, 0.5f}, gx[3] = {3.0f, -0.2f, 1e-3f}, mx[3] = {0}, vx[3] = {0};
    nn_adamw_update(x, mx, vx, gx, 3, 0, &h, 1);
    float want_x[3] = {0.49f, 0.51f, 0.49f};
    check_close(x, want_x, 3, 1e-6, 0);
}

/* ---- learning-rate schedule ----------------------------------------------------------- */

static void test_lr_schedule(void **state) {
    (void)state;
    const long total = 100, warmup = 10;
    const float lr = 1e-3f, lr_min = 1e-5f;
    /* warm-up: linear from lr / warmup up to lr */
    for (long s = 0; s < warmup; s++) {
        float want = lr * (float)(s + 1) / (float)warmup;
        float got = nn_lr_schedule(s, total, warmup, lr, lr_min);
        check_close(&got, &want, 1, 0, 1e-6);
    }
    float first = nn_lr_schedule(0, total, warmup, lr, lr_min), want0 = lr / warmup;
    check_close(&first, &want0, 1, 0, 1e-6);
    /* the peak: lr at the end of warm-up, and never above */
    float peak = nn_lr_schedule(warmup - 1, total, warmup, lr, lr_min);
    check_close(&peak, &lr, 1, 0, 1e-6);
    float after = nn_lr_schedule(warmup, total, warmup, lr, lr_min);
    check_close(&after, &lr, 1, 0, 1e-6);
    for (long s = 0; s < total; s++)
        assert_true(nn_lr_schedule(s, total, warmup, lr, lr_min) <= lr * (1 + 1e-6f));
    /* cosine: monotone decreasing after warm-up, lr_min at the last step */
    for (long s = warmup; s + 1 < total; s++)
        assert_true(nn_lr_schedule(s + 1, total, warmup, lr, lr_min) <=
                    nn_lr_schedule(s, total, warmup, lr, lr_min));
    float last = nn_lr_schedule(total - 1, total, warmup, lr, lr_min);
    check_close(&last, &lr_min, 1, 0, 1e-5);
    /* the shape in between is the cosine (checked in double at every step) */
    for (long s = warmup; s < total; s++) {
        double prog = (double)(s - warmup) / (double)(total - warmup - 1);
        float want = (float)(lr_min + (lr - lr_min) * 0.5 * (1.0 + cos(M_PI * prog)));
        float got = nn_lr_schedule(s, total, warmup, lr, lr_min);
        check_close(&got, &want, 1, 1e-9, 1e-5);
    }
    /* halfway through the decay it is the mean of lr and lr_min */
    const long total2 = warmup + 91;  /* 91 decay steps: step warmup + 45 is the middle */
    float mid = nn_lr_schedule(warmup + 45, total2, warmup, lr, lr_min);
    float want_mid = 0.5f * (lr + lr_min);
    check_close(&mid, &want_mid, 1, 0, 1e-5);
    /* no warm-up: starts at lr; past the end it stays at lr_min */
    float s0 = nn_lr_schedule(0, total, 0, lr, lr_min);
    check_close(&s0, &lr, 1, 0, 1e-6);
    float past = nn_lr_schedule(total + 50, total, warmup, lr, lr_min);
    check_close(&past, &lr_min, 1, 0, 1e-5);
}

/* ---- gradient clipping ------------------------------------------------------------------ */

static void test_clip_grad_norm(void **state) {
    (void)state;
    enum { N = 1000 };
    static float g[N], orig[N], want[N];
    nn_rng r;
    nn_rng_seed(&r, 5);
    for (size_t i = 0; i < N; i++) orig[i] = nn_rng_normal(&r);
    double sum = 0.0;
    for (size_t i = 0; i < N; i++) sum += (double)orig[i] * orig[i];
    float norm = (float)sqrt(sum);

    /* above max_norm: the norm is returned and the gradient scaled to max_norm */
    memcpy(g, orig, sizeof g);
    float max_norm = 0.25f * norm;
    float got = nn_clip_grad_norm(g, N, max_norm);
    check_close(&got, &norm, 1, 0, 1e-6);
    double after = 0.0;
    for (size_t i = 0; i < N; i++) after += (double)g[i] * g[i];
    float after_norm = (float)sqrt(after);
    check_close(&after_norm, &max_norm, 1, 0, 1e-5);
    for (size_t i = 0; i < N; i++) want[i] = orig[i] * (max_norm / norm);  /* same direction */
    check_close(g, want, N, 1e-7, 1e-5);

    /* below max_norm, or max_norm 0 (off): untouched, norm still returned */
    memcpy(g, orig, sizeof g);
    got = nn_clip_grad_norm(g, N, 2.0f * norm);
    check_close(&got, &norm, 1, 0, 1e-6);
    check_close(g, orig, N, 0, 0);
    got = nn_clip_grad_norm(g, N, 0.0f);
    check_close(&got, &norm, 1, 0, 1e-6);
    check_close(g, orig, N, 0, 0);

    /* a hand case: (3, 4) has norm 5; clipped to 1 it is (0.6, 0.8) */
    float v[2] = {3.0f, 4.0f}, unit[2] = {0.6f, 0.8f}, five = 5.0f;
    got = nn_clip_grad_norm(v, 2, 1.0f);
    check_close(&got, &five, 1, 0, 1e-7);
    check_close(v, unit, 2, 1e-6, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_matches_torch),
        cmocka_unit_test(test_adamw_decay_is_decoupled),
        cmocka_unit_test(test_lr_schedule),
        cmocka_unit_test(test_clip_grad_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
