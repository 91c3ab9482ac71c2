/* crossentropy.c — softmax cross-entropy over the vocabulary, with an ignored target id. */
#include <math.h>

#include "nn/ops.h"

size_t nn_crossentropy_forward(float *losses, float *probs, const float *logits,
                               const int *targets, int ignore, size_t n, size_t v) {
    nn_softmax_forward(probs, logits, n, v);
    size_t counted = 0;
    for (size_t i = 0; i < n; i++) {
        if (targets[i] == ignore) {
            losses[i] = 0.0f;
            continue;
        }
        /* log-softmax computed from the logits directly for accuracy */
        const float *x = logits + i * v;
        float mx = x[0];
        for (size_t j = 1; j < v; j++)
            if (x[j] > mx) mx = x[j];
        double sum = 0.0;
        for (size_t j = 0; j < v; j++) sum += exp((double)(x[j] - mx));
        losses[i] = (float)(log(sum) - (double)(x[targets[i]] - mx));
        counted++;
    }
    return counted;
}

void nn_crossentropy_backward(float *dlogits, const float *probs, const int *targets, int ignore,
                              float scale, size_t n, size_t v) {
    for (size_t i = 0; i < n; i++) {
        if (targets[i] == ignore) continue;
        const float *p = probs + i * v;
        float *dx = dlogits + i * v;
        for (size_t j = 0; j < v; j++) dx[j] += scale * p[j];
        dx[targets[i]] -= scale;
    }
}
