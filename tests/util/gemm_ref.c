/* gemm_ref.c — the naive reference GEMM used by the kernel tests. */
#include "tests/util/gemm_ref.h"

void ref_gemm(float *C, const float *A, const float *B, int trans_a, int trans_b, size_t M,
              size_t N, size_t K, size_t lda, size_t ldb, size_t ldc, float alpha, float beta) {
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < N; j++) {
            double acc = 0.0;
            for (size_t k = 0; k < K; k++) {
                double a = trans_a ? A[k * lda + i] : A[i * lda + k];
                double b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                acc += a * b;
            }
            double c = beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j];
            C[i * ldc + j] = (float)((double)alpha * acc + c);
        }
    }
}
