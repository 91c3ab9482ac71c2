/* pool.h — worker threads that share the elementwise kernels (layer norm, softmax, GELU,
 * AdamW, residual and bias adds) with the calling thread when xcap runs on several threads.
 *
 * One pool per process, sized by nn_set_threads together with OpenBLAS's threads. Its
 * workers sleep on a condition variable between jobs and never spin, so they do not take
 * the cores from OpenBLAS's threads: xcap calls OpenBLAS and the pool one after the other,
 * never both at once, so the cores see one busy pool at a time. A job splits [0, n) into
 * one contiguous part per thread, and the kernels split their work so that every value is
 * computed by the same operations in the same order as on one thread: results do not
 * depend on the thread count. When the pool is running another thread's job (contexts on
 * several threads share it), the caller runs its job alone. Until nn_set_threads is called
 * the pool has one thread (the caller) and nn_pool_for is a plain call. */
#ifndef XCAP_NN_POOL_H
#define XCAP_NN_POOL_H

#include <stddef.h>

/* The work of items [begin, end) of a job; ctx is the caller's. */
typedef void (*nn_pool_fn)(void *ctx, size_t begin, size_t end);

/* Runs fn over [0, n) split among the pool's threads, each part at least min_part items
 * (so that small jobs stay on the caller), and returns when every part is done. */
void nn_pool_for(size_t n, size_t min_part, nn_pool_fn fn, void *ctx);

/* Sets the pool's threads (the caller included), starting workers as needed; returns the
 * count in effect (fewer when a worker cannot be started). Called by nn_set_threads. */
int nn_pool_set_threads(int n);

/* Elements of an elementwise job worth a part of their own (about 10 µs of work, against
 * a worker's wake-up of a few µs). */
#define NN_POOL_GRAIN 16384

/* The least rows of width d worth a part of their own. */
static inline size_t nn_pool_rows(size_t d) { return d ? NN_POOL_GRAIN / d + 1 : 1; }

#endif
