/* softmax.c — row softmax with -INFINITY masking, forward and backward. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn/fast_exp.h"
#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/reduce.h"
#include "nn/simd.h"

/* The bits of f as an int32 that orders as the floats do (-0 just below +0, a NaN with the
 * sign clear above +inf, one with it set below -inf): integer maxima vectorise, float
 * ones do not while floating-point traps are honoured. */
static inline int32_t order_key(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (int32_t)(u ^ ((0u - (u >> 31)) >> 1));
}

/* The float whose order_key is k. */
static inline float order_key_value(int32_t k) {
    uint32_t u = (uint32_t)k;
    u ^= (0u - (u >> 31)) >> 1;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The largest of x[0..d-1] (-INFINITY when all are; a NaN when one has its sign clear, so
 * that the row comes out NaN). */
static inline float row_max(const float *x, size_t d) {
    int32_t m = order_key(-INFINITY);
    for (size_t j = 0; j < d; j++) {
        int32_t k = order_key(x[j]);
        m = k > m ? k : m;
    }
    return order_key_value(m);
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
