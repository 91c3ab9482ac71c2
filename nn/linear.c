/* linear.c — fully connected layer y = x W^T + b, forward and backward: the products via
 * nn_gemm, the bias loops split over the pool (rows for the bias, columns for its gradient,
 * so that each column sums its rows in order whatever the thread count). */
#include <string.h>

#include "nn/ops.h"
#include "nn/pool.h"

/* The bias loops of one call: rows of oc values. */
typedef struct {
    float *rows_out;        /* forward: out, each row set to the bias */
    float *db;              /* backward: db, column sums of dout added */
    const float *b, *dout;
    size_t n, oc;
} bias_job;

/* Copies the bias into rows [begin, end) of the output (the product is added to it). */
static void bias_fill_rows(void *ctx, size_t begin, size_t end) {
    const bias_job *job = ctx;
    for (size_t i = begin; i < end; i++)
        memcpy(job->rows_out + i * job->oc, job->b, job->oc * sizeof(float));
}

static void bias_grad_columns(void *ctx, size_t begin, size_t end) {
    const bias_job *job = ctx;
    for (size_t i = 0; i < job->n; i++) {
        const float *row = job->dout + i * job->oc;
        for (size_t o = begin; o < end; o++) job->db[o] += row[o];
    }
}

void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, size_t n,
                       size_t ic, size_t oc) {
    if (!b) {
        nn_gemm(out, inp, w, 0, 1, n, oc, ic, ic, ic, oc, 1.0f, 0.0f);
        return;
    }
    /* the bias is written where sgemm would write zeros, and the product added to it:
     * one pass over the output fewer than adding the bias afterwards */
    nn_bias_fill(out, b, n, oc);
    nn_gemm(out, inp, w, 0, 1, n, oc, ic, ic, ic, oc, 1.0f, 1.0f);
}

void nn_bias_fill(float *out, const float *b, size_t n, size_t oc) {
    bias_job job = {.rows_out = out, .b = b, .n = n, .oc = oc};
    nn_pool_for(n, nn_pool_rows(oc), bias_fill_rows, &job);
}

/* The backward pass with dinp = beta · dinp + dout @ w (beta 1 adds, 0 overwrites). */
static void linear_backward(float *dinp, float dinp_beta, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, size_t n, size_t ic, size_t oc) {
    if (dinp) nn_gemm(dinp, dout, w, 0, 0, n, ic, oc, oc, ic, ic, 1.0f, dinp_beta);
    if (dw) nn_gemm(dw, dout, inp, 1, 0, oc, ic, n, oc, ic, ic, 1.0f, 1.0f);
    if (db) {
        bias_job job = {.db = db, .dout = dout, .n = n, .oc = oc};
        nn_pool_for(oc, n ? NN_POOL_GRAIN / n + 1 : oc, bias_grad_columns, &job);
    }
}

void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, size_t n, size_t ic, size_t oc) {
    linear_backward(dinp, 1.0f, dw, db, dout, inp, w, n, ic, oc);
}

void nn_linear_backward_to(float *dinp, float *dw, float *db, const float *dout,
                           const float *inp, const float *w, size_t n, size_t ic, size_t oc) {
    linear_backward(dinp, 0.0f, dw, db, dout, inp, w, n, ic, oc);
}
