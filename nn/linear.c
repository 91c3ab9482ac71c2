/* linear.c — fully connected layer y = x W^T + b, forward and backward, via nn_gemm. */
#include "nn/ops.h"

void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, size_t n,
                       size_t ic, size_t oc) {
    nn_gemm(out, inp, w, 0, 1, n, oc, ic, ic, ic, oc, 1.0f, 0.0f);
    if (!b) return;
    for (size_t i = 0; i < n; i++) {
        float *row = out + i * oc;
        for (size_t o = 0; o < oc; o++) row[o] += b[o];
    }
}

void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, size_t n, size_t ic, size_t oc) {
    if (dinp) nn_gemm(dinp, dout, w, 0, 0, n, ic, oc, oc, ic, ic, 1.0f, 1.0f);
    if (dw) nn_gemm(dw, dout, inp, 1, 0, oc, ic, n, oc, ic, ic, 1.0f, 1.0f);
    if (db) {
        for (size_t i = 0; i < n; i++) {
            const float *row = dout + i * oc;
            for (size_t o = 0; o < oc; o++) db[o] += row[o];
        }
    }
}
