/* gemm.c — the single entry point to OpenBLAS's sgemm, its observer, and the thread setting. */
#include <cblas.h>

#include "nn/ops.h"
#include "nn/pool.h"

static nn_gemm_observer observer;
static void *observer_user;

void nn_gemm_observe(nn_gemm_observer fn, void *user) {
    observer = fn;
    observer_user = user;
}

void nn_gemm(float *C, const float *A, const float *B, int trans_a, int trans_b, size_t M,
             size_t N, size_t K, size_t lda, size_t ldb, size_t ldc, float alpha, float beta) {
    if (M == 0 || N == 0) return;
    if (observer) observer(observer_user, trans_a, trans_b, M, N, K, lda, ldb, ldc, beta);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N, (blasint)K, alpha, A,
                (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
}

void nn_set_threads(int n) {
    if (n <= 0) return;
    openblas_set_num_threads(n);
    nn_pool_set_threads(n);
}
