/* layernorm.c — layer normalisation over the last axis, forward and backward. */
#include <math.h>

#include "nn/ops.h"

#define LN_EPS 1e-5f

void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++) {
        const float *x = inp + i * d;
        float m = 0.0f;
        for (size_t j = 0; j < d; j++) m += x[j];
        m /= (float)d;
        float v = 0.0f;
        for (size_t j = 0; j < d; j++) {
            float c = x[j] - m;
            v += c * c;
        }
        v /= (float)d;
        float s = 1.0f / sqrtf(v + LN_EPS);
        float *y = out + i * d;
        for (size_t j = 0; j < d; j++) y[j] = (x[j] - m) * s * w[j] + b[j];
        mean[i] = m;
        rstd[i] = s;
    }
}

void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, size_t n,
                           size_t d) {
    for (size_t i = 0; i < n; i++) {
        const float *dy = dout + i * d;
        const float *x = inp + i * d;
        float m = mean[i], s = rstd[i];
        /* two reductions: mean of dnorm and mean of dnorm * norm */
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (size_t j = 0; j < d; j++) {
            float norm = (x[j] - m) * s;
            float dnorm = w[j] * dy[j];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= (float)d;
        dnorm_norm_mean /= (float)d;
        float *dx = dinp + i * d;
        for (size_t j = 0; j < d; j++) {
            float norm = (x[j] - m) * s;
            float dnorm = w[j] * dy[j];
            if (db) db[j] += dy[j];
            if (dw) dw[j] += norm * dy[j];
            dx[j] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}
