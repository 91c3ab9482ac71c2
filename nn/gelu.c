/* gelu.c — GELU activation in its tanh form, forward and backward. */
#include "nn/fast_exp.h"
#include "nn/ops.h"
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

NN_VECTOR_CLONES
void nn_gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + fast_tanh(GELU_K * (x + GELU_C * x * x * x)));
    }
}

NN_VECTOR_CLONES
void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] += gelu_grad(inp[i]) * dout[i];
}

NN_VECTOR_CLONES
void nn_gelu_backward_inplace(float *d, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) d[i] = gelu_grad(inp[i]) * d[i];
}
