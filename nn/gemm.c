/* gemm.c — the single entry point to OpenBLAS's sgemm (large products split over the pool),
 * its observer, and the thread setting. */
#include <cblas.h>
#include <pthread.h>

#include "nn/ops.h"
#include "nn/pool.h"

/* Products of at least this many multiply-adds are split over the pool's threads (smaller
 * ones cost less than waking a worker); each part has at least GEMM_MIN_PART rows. */
#define GEMM_SPLIT_MACS (1u << 20)
#define GEMM_MIN_PART 16
/* A one-row product (a decode step's) of at least this many multiply-adds is split by
 * columns, in parts of whole GEMM_COLUMN_BLOCKs: then each core reads only its share of
 * the weights, and a model whose weights overflow one core's L2 fits in two. */
#define GEMM_ROW_SPLIT_MACS (1u << 14)
#define GEMM_COLUMN_BLOCK 16

static pthread_mutex_t observer_lock = PTHREAD_MUTEX_INITIALIZER;
static nn_gemm_observer observer;
static void *observer_user;

void nn_gemm_observe(nn_gemm_observer fn, void *user) {
    observer = fn;
    observer_user = user;
}

/* One cblas_sgemm call, row-major. */
static void sgemm(float *C, const float *A, const float *B, int trans_a, int trans_b, size_t M,
                  size_t N, size_t K, size_t lda, size_t ldb, size_t ldc, float alpha,
                  float beta) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N, (blasint)K, alpha, A,
                (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
}

/* A product split over the pool by rows of C. */
typedef struct {
    float *C;
    const float *A, *B;
    int trans_a, trans_b;
    size_t M, N, K, lda, ldb, ldc;
    float alpha, beta;
} gemm_job;

/* Rows [begin, end) of C: the same sums in the same order as the whole product, so that
 * the bits do not depend on the split. (Splitting a product of many rows by columns does
 * not keep the bits: OpenBLAS picks other kernels for a narrower product.) */
static void gemm_part(void *ctx, size_t begin, size_t end) {
    const gemm_job *g = ctx;
    sgemm(g->C + begin * g->ldc, g->trans_a ? g->A + begin : g->A + begin * g->lda, g->B,
          g->trans_a, g->trans_b, end - begin, g->N, g->K, g->lda, g->ldb, g->ldc, g->alpha,
          g->beta);
}

/* Column blocks [begin, end) of a one-row C: for a single row, OpenBLAS's SkylakeX and
 * Haswell kernels sum every column of a part as in the whole product (measured on this
 * project's shapes, parts of whole 16-column blocks); elsewhere the parts may differ from
 * one call by rounding. */
static void gemm_column_part(void *ctx, size_t begin, size_t end) {
    const gemm_job *g = ctx;
    const size_t j0 = begin * GEMM_COLUMN_BLOCK, j1 = end * GEMM_COLUMN_BLOCK;
    const size_t cols = (j1 < g->N ? j1 : g->N) - j0;
    sgemm(g->C + j0, g->A, g->trans_b ? g->B + j0 * g->ldb : g->B + j0, g->trans_a, g->trans_b,
          1, cols, g->K, g->lda, g->ldb, g->ldc, g->alpha, g->beta);
}

void nn_gemm(float *C, const float *A, const float *B, int trans_a, int trans_b, size_t M,
             size_t N, size_t K, size_t lda, size_t ldb, size_t ldc, float alpha, float beta) {
    if (M == 0 || N == 0) return;
    if (observer) {  /* one call at a time: pool threads may multiply at once */
        pthread_mutex_lock(&observer_lock);
        if (observer) observer(observer_user, trans_a, trans_b, M, N, K, lda, ldb, ldc, beta);
        pthread_mutex_unlock(&observer_lock);
    }
    if (nn_pool_threads() > 1 && (double)M * (double)N * (double)K >= GEMM_SPLIT_MACS) {
        gemm_job g = {C, A, B, trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta};
        nn_pool_for(M, GEMM_MIN_PART, gemm_part, &g);
        return;
    }
    if (M == 1 && nn_pool_threads() > 1 && (double)N * (double)K >= GEMM_ROW_SPLIT_MACS &&
        N >= 2 * GEMM_COLUMN_BLOCK) {
        gemm_job g = {C, A, B, trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta};
        nn_pool_for((N + GEMM_COLUMN_BLOCK - 1) / GEMM_COLUMN_BLOCK, 1, gemm_column_part, &g);
        return;
    }
    sgemm(C, A, B, trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta);
}

void nn_gemm_openblas(float *C, const float *A, const float *B, int trans_a, int trans_b,
                      size_t M, size_t N, size_t K, size_t lda, size_t ldb, size_t ldc,
                      float alpha, float beta) {
    int threads = nn_pool_threads();
    if (threads > 1) openblas_set_num_threads(threads);
    sgemm(C, A, B, trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta);
    if (threads > 1) openblas_set_num_threads(1);
}

int nn_default_threads(void) {
    static int first;  /* OpenBLAS's count before nn_set_threads changed it */
    if (!first) first = openblas_get_num_threads();
    return first > 0 ? first : 1;
}

void nn_set_threads(int n) {
    nn_default_threads();
    if (n <= 0) return;
    /* one pool: xcap's own threads split the products, OpenBLAS runs each part on the
     * thread that calls it (its own threads would spin beside the pool's) */
    openblas_set_num_threads(1);
    nn_pool_set_threads(n);
}
