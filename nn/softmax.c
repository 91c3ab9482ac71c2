/* softmax.c — row softmax with -INFINITY masking, forward and backward. */
#include <math.h>

#include "nn/ops.h"

void nn_softmax_forward(float *out, const float *inp, size_t rows, size_t d) {
    for (size_t i = 0; i < rows; i++) {
        const float *x = inp + i * d;
        float *y = out + i * d;
        float mx = -INFINITY;
        for (size_t j = 0; j < d; j++)
            if (x[j] > mx) mx = x[j];
        if (mx == -INFINITY) {
            for (size_t j = 0; j < d; j++) y[j] = 0.0f;
            continue;
        }
        float sum = 0.0f;
        for (size_t j = 0; j < d; j++) {
            y[j] = expf(x[j] - mx);
            sum += y[j];
        }
        float inv = 1.0f / sum;
        for (size_t j = 0; j < d; j++) y[j] *= inv;
    }
}

void nn_softmax_backward(float *dinp, const float *dout, const float *y, size_t rows, size_t d) {
    for (size_t i = 0; i < rows; i++) {
        const float *dy = dout + i * d;
        const float *p = y + i * d;
        float dot = 0.0f;
        for (size_t j = 0; j < d; j++) dot += dy[j] * p[j];
        float *dx = dinp + i * d;
        for (size_t j = 0; j < d; j++) dx[j] += p[j] * (dy[j] - dot);
    }
}
