/* gelu.c — GELU activation in its tanh form, forward and backward, split over the pool. */
#include "nn/fast_exp.h"
#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/simd.h"

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_C 0.044715f

/* tanh through one exponential: 1 - 2 / (1 + e^{2u}); saturates correctly at ±inf, and
 * nn_fast_exp lets the loops below vectorise (tanhf and expf are scalar calls). */
static inline float fast_tanh(float u) {
    return 1.0f - 2.0f / (1.0f + nn_fast_exp(2.0f * u));
}

/* dGELU/dx at x. */
static inline float gelu_grad(float x) {
    float u = GELU_K * (x + GELU_C * x * x * x);
    float t = fast_tanh(u);
    float sech2 = 1.0f - t * t;
    return 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * GELU_C * x * x);
}

/* The arrays of one GELU job: out/d is written, inp and dout are read. */
typedef struct {
    float *out;
    const float *inp, *dout;
} gelu_job;

NN_VECTOR_CLONES
static void gelu_forward_part(void *ctx, size_t begin, size_t end) {
    const gelu_job *j = ctx;
    float *out = j->out;
    const float *inp = j->inp;
    for (size_t i = begin; i < end; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + fast_tanh(GELU_K * (x + GELU_C * x * x * x)));
    }
}

NN_VECTOR_CLONES
static void gelu_backward_part(void *ctx, size_t begin, size_t end) {
    const gelu_job *j = ctx;
    float *dinp = j->out;
    const float *inp = j->inp, *dout = j->dout;
    for (size_t i = begin; i < end; i++) dinp[i] += gelu_grad(inp[i]) * dout[i];
}

NN_VECTOR_CLONES
static void gelu_backward_inplace_part(void *ctx, size_t begin, size_t end) {
    const gelu_job *j = ctx;
    float *d = j->out;
    const float *inp = j->inp;
    for (size_t i = begin; i < end; i++) d[i] = gelu_grad(inp[i]) * d[i];
}

void nn_gelu_forward(float *out, const float *inp, size_t n) {
    gelu_job j = {out, inp, NULL};
    nn_pool_for(n, NN_POOL_GRAIN, gelu_forward_part, &j);
}

void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    gelu_job j = {dinp, inp, dout};
    nn_pool_for(n, NN_POOL_GRAIN, gelu_backward_part, &j);
}

void nn_gelu_backward_inplace(float *d, const float *inp, size_t n) {
    gelu_job j = {d, inp, NULL};
    nn_pool_for(n, NN_POOL_GRAIN, gelu_backward_inplace_part, &j);
}
