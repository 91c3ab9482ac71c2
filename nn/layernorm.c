/* layernorm.c — layer normalisation over the last axis, forward and backward. */
#include <math.h>

#include "nn/ops.h"
#include "nn/reduce.h"
#include "nn/simd.h"

#define LN_EPS 1e-5f

NN_VECTOR_CLONES
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++) {
        const float *x = inp + i * d;
        float m = nn_lane_sum(x, d) / (float)d;
        float v = nn_lane_sqdev(x, m, d) / (float)d;
        float s = 1.0f / sqrtf(v + LN_EPS);
        float *y = out + i * d;
        for (size_t j = 0; j < d; j++) y[j] = (x[j] - m) * s * w[j] + b[j];
        mean[i] = m;
        rstd[i] = s;
    }
}

NN_VECTOR_CLONES
void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, size_t n,
                           size_t d) {
    for (size_t i = 0; i < n; i++) {
        const float *dy = dout + i * d;
        const float *x = inp + i * d;
        float m = mean[i], s = rstd[i];
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
        float *dx = dinp + i * d;
        for (j = 0; j < d; j++) {
            float norm = (x[j] - m) * s;
            float dnorm = w[j] * dy[j];
            if (db) db[j] += dy[j];
            if (dw) dw[j] += norm * dy[j];
            dx[j] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}
