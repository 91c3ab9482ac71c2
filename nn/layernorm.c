/* layernorm.c — layer normalisation over the last axis, forward and backward, split over
 * the pool: by rows for the outputs and the input gradient, by columns for the weight and
 * bias gradients (each column still sums its rows in order, so the bits do not depend on
 * the thread count). */
#include <math.h>

#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/reduce.h"
#include "nn/simd.h"

#define LN_EPS 1e-5f

/* The arguments of one layer-norm call (forward or backward). */
typedef struct {
    float *out, *mean, *rstd;             /* forward: written */
    float *dinp, *dw, *db;                /* backward: added to */
    const float *inp, *dout, *w, *b;
    const float *saved_mean, *saved_rstd; /* backward: from the forward pass */
    size_t n, d;
} ln_job;

NN_VECTOR_CLONES
static void ln_forward_rows(void *ctx, size_t begin, size_t end) {
    const ln_job *job = ctx;
    const size_t d = job->d;
    const float *w = job->w, *b = job->b;
    for (size_t i = begin; i < end; i++) {
        const float *x = job->inp + i * d;
        float m = nn_lane_sum(x, d) / (float)d;
        float v = nn_lane_sqdev(x, m, d) / (float)d;
        float s = 1.0f / sqrtf(v + LN_EPS);
        float *y = job->out + i * d;
        for (size_t j = 0; j < d; j++) y[j] = (x[j] - m) * s * w[j] + b[j];
        job->mean[i] = m;
        job->rstd[i] = s;
    }
}

void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, size_t n, size_t d) {
    ln_job job = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .w = w, .b = b, .n = n,
                  .d = d};
    nn_pool_for(n, nn_pool_rows(d), ln_forward_rows, &job);
}

/* dinp of rows [begin, end). */
NN_VECTOR_CLONES
static void ln_backward_rows(void *ctx, size_t begin, size_t end) {
    const ln_job *job = ctx;
    const size_t d = job->d;
    const float *w = job->w;
    for (size_t i = begin; i < end; i++) {
        const float *dy = job->dout + i * d;
        const float *x = job->inp + i * d;
        float m = job->saved_mean[i], s = job->saved_rstd[i];
        /* two reductions: mean of dnorm and mean of dnorm * norm */
        float sum_a[NN_LANES] = {0}, sum_b[NN_LANES] = {0};
        size_t j = 0;
        for (; j + NN_LANES <= d; j += NN_LANES)
            for (size_t k = 0; k < NN_LANES; k++) {
                float dnorm = w[j + k] * dy[j + k];
                sum_a[k] += dnorm;
                sum_b[k] += dnorm * ((x[j + k] - m) * s);
            }
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (; j < d; j++) {
            float dnorm = w[j] * dy[j];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * ((x[j] - m) * s);
        }
        for (size_t k = 0; k < NN_LANES; k++) {
            dnorm_mean += sum_a[k];
            dnorm_norm_mean += sum_b[k];
        }
        dnorm_mean /= (float)d;
        dnorm_norm_mean /= (float)d;
        float *dx = job->dinp + i * d;
        for (j = 0; j < d; j++) {
            float norm = (x[j] - m) * s;
            float dnorm = w[j] * dy[j];
            dx[j] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}

/* dw and db of columns [begin, end), every row added in order. */
NN_VECTOR_CLONES
static void ln_backward_columns(void *ctx, size_t begin, size_t end) {
    const ln_job *job = ctx;
    const size_t d = job->d;
    float *dw = job->dw, *db = job->db;
    for (size_t i = 0; i < job->n; i++) {
        const float *dy = job->dout + i * d;
        const float *x = job->inp + i * d;
        float m = job->saved_mean[i], s = job->saved_rstd[i];
        if (db)
            for (size_t j = begin; j < end; j++) db[j] += dy[j];
        if (dw)
            for (size_t j = begin; j < end; j++) dw[j] += ((x[j] - m) * s) * dy[j];
    }
}

void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, size_t n,
                           size_t d) {
    ln_job job = {.dinp = dinp, .dw = dw, .db = db, .inp = inp, .dout = dout, .w = w,
                  .saved_mean = mean, .saved_rstd = rstd, .n = n, .d = d};
    nn_pool_for(n, nn_pool_rows(d), ln_backward_rows, &job);
    if (dw || db) nn_pool_for(d, n ? NN_POOL_GRAIN / n + 1 : d, ln_backward_columns, &job);
}
