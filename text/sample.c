/* sample.c — choosing the next token: argmax, or temperature / top-k / top-p sampling. */
#include <math.h>

#include "text/generate.h"

/* Index of the largest of n values (the first on ties). */
static int argmax(const float *x, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return (int)best;
}

/* Moves idx[root] down the min-heap idx[0..n) keyed by key[idx[.]]. */
static void sift_down(int *idx, const float *key, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && key[idx[child + 1]] < key[idx[child]]) child++;
        if (key[idx[root]] <= key[idx[child]]) return;
        int t = idx[root];
        idx[root] = idx[child];
        idx[child] = t;
        root = child;
    }
}

/* Sorts idx[0..n) by descending key[idx] (heap sort: no allocation, no global state). */
static void sort_desc(int *idx, const float *key, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_down(idx, key, i, n);
    for (size_t end = n; end-- > 1;) {
        int t = idx[0];
        idx[0] = idx[end];
        idx[end] = t;
        sift_down(idx, key, 0, end);
    }
}

int txt_sample(const float *logits, size_t v, float temperature, int top_k, float top_p,
               float coin, float *sort, int *idx) {
    if (temperature <= 0.0f) return argmax(logits, v);
    float mx = logits[argmax(logits, v)];
    double sum = 0.0;
    for (size_t i = 0; i < v; i++) {
        sort[i] = expf((logits[i] - mx) / temperature);
        sum += sort[i];
        idx[i] = (int)i;
    }
    for (size_t i = 0; i < v; i++) sort[i] = (float)(sort[i] / sum);
    sort_desc(idx, sort, v);
    size_t keep = (top_k > 0 && (size_t)top_k < v) ? (size_t)top_k : v;
    if (top_p > 0.0f && top_p < 1.0f) {
        double mass = 0.0;
        for (size_t i = 0; i < keep; i++) {
            mass += sort[idx[i]];
            if (mass >= top_p) {
                keep = i + 1;
                break;
            }
        }
    }
    double total = 0.0;
    for (size_t i = 0; i < keep; i++) total += sort[idx[i]];
    double target = coin * total, acc = 0.0;
    for (size_t i = 0; i < keep; i++) {
        acc += sort[idx[i]];
        if (target < acc) return idx[i];
    }
    return idx[keep - 1];
}
