/* bench_gemm.c — recording the products of a step and timing them alone (bench_gemm.h). */
#include "demo/bench_gemm.h"

#include <stdlib.h>
#include <string.h>

#include "demo/cli.h"
#include "nn/ops.h"

/* The observer: adds one call to the log's table (a linear search: tables are short). */
static void observe(void *user, int ta, int tb, size_t M, size_t N, size_t K, size_t lda,
                    size_t ldb, size_t ldc, float beta) {
    bench_gemm_log *log = user;
    log->calls++;
    log->flops += 2.0 * (double)M * (double)N * (double)K;
    bench_gemm_shape s = {ta, tb, M, N, K, lda, ldb, ldc, beta, 1};
    for (size_t i = 0; i < log->n; i++) {
        bench_gemm_shape *e = &log->shapes[i];
        if (e->trans_a == ta && e->trans_b == tb && e->M == M && e->N == N && e->K == K &&
            e->lda == lda && e->ldb == ldb && e->ldc == ldc && e->beta == beta) {
            e->count++;
            return;
        }
    }
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 64;
        bench_gemm_shape *grown = realloc(log->shapes, cap * sizeof *grown);
        if (!grown) {
            log->failed = 1;
            return;
        }
        log->shapes = grown;
        log->cap = cap;
    }
    log->shapes[log->n++] = s;
}

void bench_gemm_record(bench_gemm_log *log) {
    log->n = 0;
    log->calls = 0;
    log->flops = 0.0;
    log->failed = 0;
    nn_gemm_observe(observe, log);
}

void bench_gemm_record_stop(void) { nn_gemm_observe(NULL, NULL); }

/* A buffer of n floats filled with small values (no denormals, no overflow under beta 1). */
static float *filled(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; p && i < n; i++) p[i] = 1e-3f * (float)(i % 7 + 1);
    return p;
}

int bench_gemm_replay(double *seconds, double *best_gflops, const bench_gemm_log *log,
                      double min_time, nn_error *err) {
    *seconds = 0.0;
    *best_gflops = 0.0;
    for (size_t i = 0; i < log->n; i++) {
        const bench_gemm_shape *s = &log->shapes[i];
        size_t a_rows = s->trans_a ? s->K : s->M, b_rows = s->trans_b ? s->N : s->K;
        float *A = filled(a_rows * s->lda), *B = filled(b_rows * s->ldb), *C = filled(s->M * s->ldc);
        if (!A || !B || !C) {
            free(A);
            free(B);
            free(C);
            return nn_fail(err, "out of memory for a %zux%zux%zu product", s->M, s->N, s->K);
        }
        nn_gemm_openblas(C, A, B, s->trans_a, s->trans_b, s->M, s->N, s->K, s->lda, s->ldb,
                         s->ldc, 1.0f, s->beta);
        long calls = 0;
        double start = cli_now(), el = 0.0;
        while (calls < 3 || el < min_time) {
            nn_gemm_openblas(C, A, B, s->trans_a, s->trans_b, s->M, s->N, s->K, s->lda, s->ldb,
                             s->ldc, 1.0f, s->beta);
            calls++;
            el = cli_now() - start;
        }
        double per_call = el / (double)calls;
        double rate = 2.0 * (double)s->M * (double)s->N * (double)s->K / per_call * 1e-9;
        if (rate > *best_gflops) *best_gflops = rate;
        *seconds += per_call * (double)s->count;
        free(A);
        free(B);
        free(C);
    }
    return 0;
}

void bench_gemm_log_free(bench_gemm_log *log) {
    free(log->shapes);
    memset(log, 0, sizeof *log);
}
