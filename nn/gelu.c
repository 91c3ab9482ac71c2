/* gelu.c — GELU activation in its tanh form, forward and backward. */
#include <math.h>

#include "nn/ops.h"

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_C 0.044715f

/* tanh through one expf: 1 - 2 / (1 + e^{2u}); saturates correctly at ±inf and is
 * several times faster than tanhf (which goes through expm1f). */
static inline float fast_tanh(float u) {
    return 1.0f - 2.0f / (1.0f + expf(2.0f * u));
}

void nn_gelu_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + fast_tanh(GELU_K * (x + GELU_C * x * x * x)));
    }
}

void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_K * (x + GELU_C * x * x * x);
        float t = fast_tanh(u);
        float sech2 = 1.0f - t * t;
        float grad = 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * GELU_C * x * x);
        dinp[i] += grad * dout[i];
    }
}
