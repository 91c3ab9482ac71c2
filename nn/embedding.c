/* embedding.c — token and learned position embeddings, and the residual add. */
#include <string.h>

#include "nn/ops.h"
#include "nn/pool.h"

void nn_embedding_forward(float *out, const int *ids, const float *table, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++) memcpy(out + i * d, table + (size_t)ids[i] * d, d * sizeof(float));
}

void nn_embedding_backward(float *dtable, const float *dout, const int *ids, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++) {
        float *row = dtable + (size_t)ids[i] * d;
        const float *g = dout + i * d;
        for (size_t j = 0; j < d; j++) row[j] += g[j];
    }
}

void nn_position_forward(float *x, const float *pos, size_t batch, size_t len, size_t d) {
    for (size_t b = 0; b < batch; b++)
        for (size_t t = 0; t < len; t++) {
            float *row = x + (b * len + t) * d;
            const float *p = pos + t * d;
            for (size_t j = 0; j < d; j++) row[j] += p[j];
        }
}

void nn_position_backward(float *dpos, const float *dout, size_t batch, size_t len, size_t d) {
    for (size_t b = 0; b < batch; b++)
        for (size_t t = 0; t < len; t++) {
            const float *g = dout + (b * len + t) * d;
            float *p = dpos + t * d;
            for (size_t j = 0; j < d; j++) p[j] += g[j];
        }
}

/* The arrays of one residual add: out (or da, db) written, a, b (or dout) read. */
typedef struct {
    float *out, *db;
    const float *a, *b;
} residual_job;

static void residual_forward_part(void *ctx, size_t begin, size_t end) {
    const residual_job *j = ctx;
    for (size_t i = begin; i < end; i++) j->out[i] = j->a[i] + j->b[i];
}

static void residual_backward_part(void *ctx, size_t begin, size_t end) {
    const residual_job *j = ctx;
    for (size_t i = begin; i < end; i++) {
        j->out[i] += j->a[i];
        j->db[i] += j->a[i];
    }
}

void nn_residual_forward(float *out, const float *a, const float *b, size_t n) {
    residual_job j = {out, NULL, a, b};
    nn_pool_for(n, NN_POOL_GRAIN, residual_forward_part, &j);
}

void nn_residual_backward(float *da, float *db, const float *dout, size_t n) {
    residual_job j = {da, db, dout, NULL};
    nn_pool_for(n, NN_POOL_GRAIN, residual_backward_part, &j);
}
