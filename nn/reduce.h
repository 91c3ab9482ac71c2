/* reduce.h — sums over a row in NN_LANES running partial sums, so that the compiler can
 * vectorise them (a single float accumulator is a serial chain it may not reorder). The
 * order of additions is fixed, so results are deterministic; they differ from a
 * left-to-right sum by rounding only. */
#ifndef XCAP_NN_REDUCE_H
#define XCAP_NN_REDUCE_H

#include <stddef.h>

#define NN_LANES 8

/* The sum of x[0..n-1]. */
static inline float nn_lane_sum(const float *x, size_t n) {
    float s[NN_LANES] = {0};
    size_t j = 0;
    for (; j + NN_LANES <= n; j += NN_LANES)
        for (size_t k = 0; k < NN_LANES; k++) s[k] += x[j + k];
    float sum = 0.0f;
    for (; j < n; j++) sum += x[j];
    for (size_t k = 0; k < NN_LANES; k++) sum += s[k];
    return sum;
}

/* The sum of a[j] * b[j]. */
static inline float nn_lane_dot(const float *a, const float *b, size_t n) {
    float s[NN_LANES] = {0};
    size_t j = 0;
    for (; j + NN_LANES <= n; j += NN_LANES)
        for (size_t k = 0; k < NN_LANES; k++) s[k] += a[j + k] * b[j + k];
    float sum = 0.0f;
    for (; j < n; j++) sum += a[j] * b[j];
    for (size_t k = 0; k < NN_LANES; k++) sum += s[k];
    return sum;
}

/* The sum of (x[j] - m)^2. */
static inline float nn_lane_sqdev(const float *x, float m, size_t n) {
    float s[NN_LANES] = {0};
    size_t j = 0;
    for (; j + NN_LANES <= n; j += NN_LANES)
        for (size_t k = 0; k < NN_LANES; k++) {
            float c = x[j + k] - m;
            s[k] += c * c;
        }
    float sum = 0.0f;
    for (; j < n; j++) sum += (x[j] - m) * (x[j] - m);
    for (size_t k = 0; k < NN_LANES; k++) sum += s[k];
    return sum;
}

#endif
