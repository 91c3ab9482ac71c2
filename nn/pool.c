/* pool.c — a fixed set of sleeping workers that split a job with the caller (pool.h). */
#include "nn/pool.h"

#include <pthread.h>
#include <stdint.h>

#define POOL_MAX_THREADS 64

static struct {
    pthread_mutex_t busy;   /* held by the thread whose job the pool runs */
    pthread_mutex_t lock;   /* guards everything below */
    pthread_cond_t work;    /* a new job (generation changed) */
    pthread_cond_t done;    /* the last worker part finished */
    int threads;            /* parts a job may have, the caller included */
    int workers;            /* started workers; worker k runs part k (k >= 1) */
    unsigned long generation;
    nn_pool_fn fn;
    void *ctx;
    size_t n;
    int parts;
    int remaining;          /* worker parts still running */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 1, 0, 0, NULL, NULL, 0, 0, 0};

/* The first item of part k of n items in parts parts. */
static size_t part_begin(size_t n, int parts, int k) {
    size_t q = n / (size_t)parts, r = n % (size_t)parts, kk = (size_t)k;
    return q * kk + (kk < r ? kk : r);
}

/* A worker: waits for a job, runs its part when the job has one, and says so. */
static void *worker_main(void *arg) {
    const int id = (int)(intptr_t)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.work, &pool.lock);
        seen = pool.generation;
        if (id >= pool.parts) continue;
        nn_pool_fn fn = pool.fn;
        void *ctx = pool.ctx;
        size_t n = pool.n;
        int parts = pool.parts;
        pthread_mutex_unlock(&pool.lock);
        fn(ctx, part_begin(n, parts, id), part_begin(n, parts, id + 1));
        pthread_mutex_lock(&pool.lock);
        if (--pool.remaining == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

int nn_pool_set_threads(int n) {
    if (n < 1) n = 1;
    if (n > POOL_MAX_THREADS) n = POOL_MAX_THREADS;
    pthread_mutex_lock(&pool.busy);
    pthread_mutex_lock(&pool.lock);
    while (pool.workers < n - 1) {
        pthread_t t;
        pthread_attr_t attr;
        int ok = pthread_attr_init(&attr) == 0;
        ok = ok && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
        ok = ok && pthread_create(&t, &attr, worker_main, (void *)(intptr_t)(pool.workers + 1)) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        pool.workers++;
    }
    int got = pool.workers + 1 < n ? pool.workers + 1 : n;
    __atomic_store_n(&pool.threads, got, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.busy);
    return got;
}

void nn_pool_for(size_t n, size_t min_part, nn_pool_fn fn, void *ctx) {
    if (n == 0) return;
    size_t most = min_part ? n / min_part : n;
    /* read without the lock: a stale value only sizes the job, the lock checks it again */
    int parts = __atomic_load_n(&pool.threads, __ATOMIC_RELAXED);
    if ((size_t)parts > most) parts = most ? (int)most : 1;
    if (parts <= 1 || pthread_mutex_trylock(&pool.busy) != 0) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    if (parts > pool.threads) parts = pool.threads;
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.parts = parts;
    pool.remaining = parts - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.lock);
    fn(ctx, 0, part_begin(n, parts, 1));
    pthread_mutex_lock(&pool.lock);
    while (pool.remaining > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.busy);
}
