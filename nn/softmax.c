/* softmax.c — row softmax with -INFINITY masking, forward and backward. */
#include <math.h>
#include <string.h>

#include "nn/fast_exp.h"
#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/reduce.h"
#include "nn/simd.h"

/* The largest of x[0..d-1] (-INFINITY when all are), in NN_LANES running maxima. */
static inline float row_max(const float *x, size_t d) {
    float m[NN_LANES];
    for (size_t k = 0; k < NN_LANES; k++) m[k] = -INFINITY;
    size_t j = 0;
    for (; j + NN_LANES <= d; j += NN_LANES)
        for (size_t k = 0; k < NN_LANES; k++)
            m[k] = nn_fast_select(x[j + k] > m[k], x[j + k], m[k]);
    float mx = -INFINITY;
    for (; j < d; j++) mx = x[j] > mx ? x[j] : mx;
    for (size_t k = 0; k < NN_LANES; k++) mx = m[k] > mx ? m[k] : mx;
    return mx;
}

/* The arrays of one softmax job over rows of d. */
typedef struct {
    float *out;
    const float *inp, *dout;
    size_t d;
} softmax_job;

NN_VECTOR_CLONES
static void softmax_forward_rows(void *ctx, size_t begin, size_t end) {
    const softmax_job *job = ctx;
    float *out = job->out;
    const float *inp = job->inp;
    const size_t d = job->d;
    for (size_t i = begin; i < end; i++) {
        const float *x = inp + i * d;
        float *y = out + i * d;
        float mx = row_max(x, d);
        if (mx == -INFINITY) {
            for (size_t j = 0; j < d; j++) y[j] = 0.0f;
            continue;
        }
        if (y != x) memcpy(y, x, d * sizeof *y);  /* then every pass works on y alone */
        for (size_t j = 0; j < d; j++) y[j] = nn_fast_exp(y[j] - mx);
        float inv = 1.0f / nn_lane_sum(y, d);
        for (size_t j = 0; j < d; j++) y[j] *= inv;
    }
}

NN_VECTOR_CLONES
static void softmax_backward_rows(void *ctx, size_t begin, size_t end) {
    const softmax_job *job = ctx;
    float *dinp = job->out;
    const float *y = job->inp, *dout = job->dout;
    const size_t d = job->d;
    for (size_t i = begin; i < end; i++) {
        const float *dy = dout + i * d;
        const float *p = y + i * d;
        float dot = nn_lane_dot(dy, p, d);
        float *dx = dinp + i * d;
        for (size_t j = 0; j < d; j++) dx[j] += p[j] * (dy[j] - dot);
    }
}

void nn_softmax_forward(float *out, const float *inp, size_t rows, size_t d) {
    softmax_job job = {out, inp, NULL, d};
    nn_pool_for(rows, nn_pool_rows(d), softmax_forward_rows, &job);
}

void nn_softmax_backward(float *dinp, const float *dout, const float *y, size_t rows, size_t d) {
    softmax_job job = {dinp, y, dout, d};
    nn_pool_for(rows, nn_pool_rows(d), softmax_backward_rows, &job);
}
