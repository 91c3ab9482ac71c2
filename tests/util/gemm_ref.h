/* gemm_ref.h — a naive triple-loop GEMM, the reference nn_gemm is checked against.
 * Tests only: slow on purpose, no BLAS, accumulates in double. */
#ifndef XCAP_TESTS_GEMM_REF_H
#define XCAP_TESTS_GEMM_REF_H

#include <stddef.h>

/* Same contract as nn_gemm (nn/ops.h): C[M,N] = alpha * op(A) op(B) + beta * C, row-major,
 * lda/ldb/ldc are row strides as stored. With beta == 0, C is not read (BLAS convention). */
void ref_gemm(float *C, const float *A, const float *B, int trans_a, int trans_b, size_t M,
              size_t N, size_t K, size_t lda, size_t ldb, size_t ldc, float alpha, float beta);

#endif
