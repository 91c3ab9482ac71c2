/* ops.h — the numeric kernels of xcap, each a forward/backward pair.
 *
 * Conventions (llm.c style): arguments are outputs, then inputs, then sizes.
 * Row-major float arrays. Forward overwrites its output; backward ADDS (+=) into
 * every gradient buffer it is given, so gradients of shared inputs accumulate.
 * A kernel never allocates and never prints. Linear weights are [out, in]. */
#ifndef XCAP_NN_OPS_H
#define XCAP_NN_OPS_H

#include <stddef.h>

/* The one GEMM of xcap (OpenBLAS cblas_sgemm, row-major):
 * C[M,N] = alpha * op(A)[M,K] op(B)[K,N] + beta * C, op = transpose when trans_* != 0.
 * With several threads (nn_set_threads) a large product is split by rows of C over the
 * pool (nn/pool.h), and a one-row product (a decode step's) by columns, each part one
 * single-threaded sgemm: the same bits as one call on OpenBLAS's SkylakeX and Haswell
 * kernels (measured), within rounding elsewhere.
 * lda/ldb/ldc are the row strides of A, B, C as stored. */
void nn_gemm(float *C, const float *A, const float *B, int trans_a, int trans_b, size_t M,
             size_t N, size_t K, size_t lda, size_t ldb, size_t ldc, float alpha, float beta);

/* The same product by OpenBLAS alone, on its own threads (as many as the pool has): the
 * reference that `xcap bench` measures the sgemm ceiling with. */
void nn_gemm_openblas(float *C, const float *A, const float *B, int trans_a, int trans_b,
                      size_t M, size_t N, size_t K, size_t lda, size_t ldb, size_t ldc,
                      float alpha, float beta);

/* An observer of nn_gemm calls (benchmarks and tests: FLOP counts, the shapes of a step).
 * Called before each product with its arguments; NULL (the default) observes nothing.
 * Not thread-safe: set it while no other thread computes. */
typedef void (*nn_gemm_observer)(void *user, int trans_a, int trans_b, size_t M, size_t N,
                                 size_t K, size_t lda, size_t ldb, size_t ldc, float beta);
void nn_gemm_observe(nn_gemm_observer fn, void *user);

/* Sets the threads of xcap's one pool (nn/pool.h), which splits the products and the
 * elementwise kernels; OpenBLAS is set to one thread (its own pool would spin beside it).
 * n <= 0 keeps them. Until it is called, OpenBLAS uses its default threads and the pool
 * one. */
void nn_set_threads(int n);
/* The thread count OpenBLAS chose when it loaded (OPENBLAS_NUM_THREADS, else the CPUs). */
int nn_default_threads(void);

/* out[n, oc] = inp[n, ic] @ w[oc, ic]^T + b[oc]   (b may be NULL). */
void nn_linear_forward(float *out, const float *inp, const float *w, const float *b, size_t n,
                       size_t ic, size_t oc);
/* Sets every row of out[n, oc] to b[oc] (a product added to it with beta 1 then has its bias). */
void nn_bias_fill(float *out, const float *b, size_t n, size_t oc);
/* dinp += dout @ w; dw += dout^T @ inp; db += column sums of dout. Any of dinp, dw, db may be NULL. */
void nn_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                        const float *w, size_t n, size_t ic, size_t oc);
/* The same, but dinp is overwritten (dinp = dout @ w), which saves zeroing it first. */
void nn_linear_backward_to(float *dinp, float *dw, float *db, const float *dout,
                           const float *inp, const float *w, size_t n, size_t ic, size_t oc);

/* Layer norm over rows of d (eps 1e-5): out = (x - mean) * rstd * w + b; saves mean and rstd per row. */
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, size_t n, size_t d);
void nn_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                           const float *w, const float *mean, const float *rstd, size_t n,
                           size_t d);

/* GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise. */
void nn_gelu_forward(float *out, const float *inp, size_t n);
void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);
/* The backward pass in place, for a gradient that is consumed: d = GELU'(inp) * d (the one
 * kernel that overwrites rather than adds; it saves a buffer and a pass in the MLP). */
void nn_gelu_backward_inplace(float *d, const float *inp, size_t n);

/* Softmax over each row of length d; -INFINITY entries get 0; an all -INFINITY row gives all 0. */
void nn_softmax_forward(float *out, const float *inp, size_t rows, size_t d);
/* dinp += y * (dout - sum(dout * y)) per row, from the softmax output y. */
void nn_softmax_backward(float *dinp, const float *dout, const float *y, size_t rows, size_t d);

/* Cross-entropy over a vocabulary of v for n rows of logits: probs = softmax(logits),
 * losses[i] = -log probs[i, targets[i]]; rows whose target == ignore get loss 0.
 * Returns the number of counted rows. */
size_t nn_crossentropy_forward(float *losses, float *probs, const float *logits,
                               const int *targets, int ignore, size_t n, size_t v);
/* dlogits += scale * (probs - onehot(target)) for counted rows (scale = 1/count for a mean). */
void nn_crossentropy_backward(float *dlogits, const float *probs, const int *targets, int ignore,
                              float scale, size_t n, size_t v);

/* Token embedding: out[i] = table[ids[i]] for n ids, rows of d. Ids must be in range. */
void nn_embedding_forward(float *out, const int *ids, const float *table, size_t n, size_t d);
void nn_embedding_backward(float *dtable, const float *dout, const int *ids, size_t n, size_t d);

/* Learned position embedding added in place: x[b, t] += pos[t] for b < batch, t < len. */
void nn_position_forward(float *x, const float *pos, size_t batch, size_t len, size_t d);
/* dpos[t] += sum over b of dout[b, t]. */
void nn_position_backward(float *dpos, const float *dout, size_t batch, size_t len, size_t d);

/* Residual add: out = a + b (n values). out may alias a. */
void nn_residual_forward(float *out, const float *a, const float *b, size_t n);
/* da += dout; db += dout. */
void nn_residual_backward(float *da, float *db, const float *dout, size_t n);

#endif
