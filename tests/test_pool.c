/* test_pool.c — the worker pool of the elementwise kernels (nn/pool.h): every item of a job
 * is run exactly once, parts really run on a worker, jobs from two threads at once both
 * finish, every elementwise kernel split over the pool gives the same bits on 1 and 2
 * threads, and a product split by rows agrees to rounding. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/adamw.h"
#include "nn/ops.h"
#include "nn/pool.h"
#include "nn/rng.h"
#include "tests/util/check.h"

/* A job that counts the visits of each item and notes the threads that ran parts. */
typedef struct {
    int *visits;
    pthread_t caller;
    int other_thread_ran;  /* written by a worker part, read after nn_pool_for returned */
} count_job;

static void count_part(void *ctx, size_t begin, size_t end) {
    count_job *j = ctx;
    for (size_t i = begin; i < end; i++) j->visits[i]++;
    if (begin < end && !pthread_equal(pthread_self(), j->caller))
        __atomic_store_n(&j->other_thread_ran, 1, __ATOMIC_RELAXED);  /* parts may race here */
}

static void test_every_item_once(void **state) {
    (void)state;
    const size_t sizes[] = {0, 1, 2, 7, 1000, 100003};
    for (int threads = 1; threads <= 3; threads++) {
        assert_int_equal(nn_pool_set_threads(threads), threads);
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (size_t min_part = 1; min_part <= 1000; min_part *= 10) {
                size_t n = sizes[s];
                int *visits = calloc(n + 1, sizeof *visits);
                assert_non_null(visits);
                count_job j = {visits, pthread_self(), 0};
                nn_pool_for(n, min_part, count_part, &j);
                for (size_t i = 0; i < n; i++) assert_int_equal(visits[i], 1);
                /* a job of many parts runs some of them on a worker */
                if (threads > 1 && n >= 2 * min_part && n >= 2) assert_true(j.other_thread_ran);
                if (threads == 1) assert_false(j.other_thread_ran);
                free(visits);
            }
    }
    nn_pool_set_threads(1);
}

/* A thread that runs many counting jobs; returns NULL when every count was right. */
static void *many_jobs(void *arg) {
    int *visits = arg;
    for (int round = 1; round <= 200; round++) {
        count_job j = {visits, pthread_self(), 0};
        nn_pool_for(5000, 10, count_part, &j);
        for (size_t i = 0; i < 5000; i++)
            if (visits[i] != round) return (void *)1;
    }
    return NULL;
}

static void test_two_callers_at_once(void **state) {
    (void)state;
    nn_pool_set_threads(2);
    int *a = calloc(5000, sizeof *a), *b = calloc(5000, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, many_jobs, a), 0);
    assert_int_equal(pthread_create(&tb, NULL, many_jobs, b), 0);
    void *ra, *rb;
    pthread_join(ta, &ra);
    pthread_join(tb, &rb);
    assert_null(ra);
    assert_null(rb);
    free(a);
    free(b);
    nn_pool_set_threads(1);
}

/* n random values in [-3, 3). */
static float *random_values(size_t n, unsigned long long seed) {
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) x[i] = 6.0f * nn_rng_uniform(&rng) - 3.0f;
    return x;
}

enum { ROWS = 300, D = 256, N = ROWS * D };

/* Every output of the split kernels for one thread count, in out (N * 17 floats). */
static void run_kernels(float *out, int threads) {
    nn_pool_set_threads(threads);
    float *x = random_values(N, 1), *dy = random_values(N, 2), *w = random_values(D, 3),
          *b = random_values(D, 4);
    float *o = out;
    nn_gelu_forward(o, x, N);
    o += N;
    memcpy(o, dy, N * sizeof *o);
    nn_gelu_backward(o, dy, x, N);
    o += N;
    memcpy(o, dy, N * sizeof *o);
    nn_gelu_backward_inplace(o, x, N);
    o += N;
    nn_softmax_forward(o, x, ROWS, D);
    float *probs = o;
    o += N;
    memset(o, 0, N * sizeof *o);
    nn_softmax_backward(o, dy, probs, ROWS, D);
    o += N;
    float mean[ROWS], rstd[ROWS];
    nn_layernorm_forward(o, mean, rstd, x, w, b, ROWS, D);
    o += N;
    float *dx = o, *dw = o + N, *db = o + N + D;
    memset(o, 0, 2 * N * sizeof *o);
    nn_layernorm_backward(dx, dw, db, dy, x, w, mean, rstd, ROWS, D);
    o += 2 * N;
    /* a linear layer's bias add and bias gradient (W is [D, D]: the first D rows of x) */
    nn_linear_forward(o, x, x, b, ROWS, D, D);
    o += N;
    memset(o, 0, D * sizeof *o);
    nn_linear_backward(NULL, NULL, o, dy, x, x, ROWS, D, D);
    o += N;
    /* AdamW on N parameters, two steps */
    float *p = o, *m = o + N, *v = o + 2 * N;
    memcpy(p, x, N * sizeof *p);
    memset(m, 0, 2 * N * sizeof *m);
    nn_adamw_hparams h = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f};
    nn_adamw_update(p, m, v, dy, N, 1, &h, 1);
    nn_adamw_update(p, m, v, x, N, 1, &h, 2);
    o += 3 * N;
    /* residual add, and its backward into two gradients */
    nn_residual_forward(o, x, dy, N);
    o += N;
    memcpy(o, x, N * sizeof *o);
    memcpy(o + N, dy, N * sizeof *o);
    nn_residual_backward(o, o + N, dy, N);
    o += 2 * N;
    /* one-row products (a decode step's), split by columns over the pool: W [D, D] as
     * weights (transposed) and as a plain right-hand side, and a D-wide layer with bias */
    nn_gemm(o, dy, x, 0, 1, 1, D, D, D, D, D, 1.0f, 0.0f);
    nn_gemm(o + D, dy, x, 0, 0, 1, D, D, D, D, D, 1.0f, 0.0f);
    nn_linear_forward(o + 2 * D, dy + D, x + N - D * D, b, 1, D, D);
    free(x);
    free(dy);
    free(w);
    free(b);
    nn_pool_set_threads(1);
}

static void test_same_bits_on_one_and_two_threads(void **state) {
    (void)state;
    const size_t total = (size_t)N * 17;
    float *one = calloc(total, sizeof *one), *two = calloc(total, sizeof *two);
    assert_non_null(one);
    assert_non_null(two);
    run_kernels(one, 1);
    run_kernels(two, 2);
    /* block 8 is a linear layer's product split by rows over the pool, block 16 one-row
     * products split by columns: the same bits when OpenBLAS's kernel for a part sums
     * like the whole (SkylakeX does; Haswell's and Prescott's may not), so they are held
     * to rounding; every other block to the bit */
    const size_t product = 8, one_row = 16;
    for (size_t i = 0; i < total; i++)
        if (i / N != product && i / N != one_row && memcmp(&one[i], &two[i], sizeof *one) != 0)
            fail_msg("value %zu (block %zu) differs: %.9g on 1 thread, %.9g on 2", i, i / N,
                     one[i], two[i]);
    check_close(two + product * N, one + product * N, N, 2e-4, 1e-5);  /* terms up to 9, sums ~50 */
    check_close(two + one_row * N, one + one_row * N, 3 * D, 2e-4, 1e-5);
    free(one);
    free(two);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_once),
        cmocka_unit_test(test_two_callers_at_once),
        cmocka_unit_test(test_same_bits_on_one_and_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
