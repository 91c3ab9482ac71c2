/* bench_gemm.h — the sgemm ceiling of `xcap bench`: the matrix products a piece of work
 * really runs are recorded through nn_gemm's observer (shape, transposes, strides, beta,
 * how often), then each distinct product is timed alone on buffers of its own. The time
 * the whole list takes that way is what the work would cost if everything but its
 * products were free; its FLOPs over that time are the ceiling.
 *
 * A log owns its table: bench_gemm_log_free releases it. */
#ifndef XCAP_DEMO_BENCH_GEMM_H
#define XCAP_DEMO_BENCH_GEMM_H

#include <stddef.h>

#include "nn/error.h"

typedef struct {
    int trans_a, trans_b;
    size_t M, N, K, lda, ldb, ldc;
    float beta;
    size_t count;       /* calls with exactly these arguments */
} bench_gemm_shape;

typedef struct {
    bench_gemm_shape *shapes;
    size_t n, cap;
    size_t calls;       /* products recorded */
    double flops;       /* 2·M·N·K summed over the calls */
    int failed;         /* the table could not grow (out of memory) */
} bench_gemm_log;

/* Starts recording every nn_gemm call into log (emptied first). */
void bench_gemm_record(bench_gemm_log *log);
/* Stops recording (the observer is removed). */
void bench_gemm_record_stop(void);

/* Times each distinct product of log alone for at least min_time seconds; *seconds gets
 * the time of the whole list (sum of count × time per call), *best_gflops the fastest
 * product's rate. -1 when a buffer cannot be allocated. */
int bench_gemm_replay(double *seconds, double *best_gflops, const bench_gemm_log *log,
                      double min_time, nn_error *err);

void bench_gemm_log_free(bench_gemm_log *log);

#endif
