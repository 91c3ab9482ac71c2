/* pool.h — xcap's one thread pool: worker threads that share the large matrix products
 * (split by rows or columns, each part one single-threaded OpenBLAS call), attention's
 * per-head work and the elementwise kernels (layer norm, softmax, GELU, AdamW, residual and
 * bias adds) with the calling thread.
 *
 * One pool per process, sized by nn_set_threads, which also sets OpenBLAS to one thread:
 * OpenBLAS's own threads spin (yielding) after each call and would fight the pool for the
 * cores. The workers sleep on a condition variable between jobs and never spin. A job
 * splits [0, n) into one contiguous part per thread, and every job splits its work so that
 * each value is computed by the same operations in the same order as on one thread:
 * results do not depend on the thread count. A job started inside a job, or while another
 * thread's job runs (contexts on several threads share the pool), runs on its caller alone.
 * Until nn_set_threads is called the pool has one thread (the caller) and nn_pool_for is a
 * plain call. */
#ifndef XCAP_NN_POOL_H
#define XCAP_NN_POOL_H

#include <stddef.h>

/* The work of items [begin, end) of a job; ctx is the caller's. */
typedef void (*nn_pool_fn)(void *ctx, size_t begin, size_t end);

/* Runs fn over [0, n) split among the pool's threads, each part at least min_part items
 * (so that small jobs stay on the caller), and returns when every part is done. */
void nn_pool_for(size_t n, size_t min_part, nn_pool_fn fn, void *ctx);

/* The pool's threads, the caller included. */
int nn_pool_threads(void);

/* Sets the pool's threads (the caller included), starting workers as needed; returns the
 * count in effect (fewer when a worker cannot be started). nn_set_threads calls it. */
int nn_pool_set_threads(int n);

/* Elements of an elementwise job worth a part of their own (about 10 µs of work, against
 * a worker's wake-up of a few µs). */
#define NN_POOL_GRAIN 16384

/* The least rows of width d worth a part of their own. */
static inline size_t nn_pool_rows(size_t d) { return d ? NN_POOL_GRAIN / d + 1 : 1; }

#endif
