/* pool.c — a fixed set of workers that split a job with the caller (pool.h).
 *
 * Each worker has a mailbox: the caller writes a part into it and bumps `posted`; the
 * worker runs the part and sets `finished` to the same number. Waking a sleeping thread
 * costs tens of µs under a hypervisor (an inter-processor interrupt), more than many
 * parts take, so both sides first poll a while (POOL_SPINS rounds of sched_yield, about
 * 1 ms; a yielding poll gives the core to any other runnable thread, and on this KVM
 * machine it measured faster than a pause loop, which the hypervisor deschedules) and
 * only then sleep on a condition variable. A mailbox is rewritten only after its worker
 * finished, so no part runs twice. */
#include "nn/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#define POOL_MAX_THREADS 64
#define POOL_SPINS 2000

/* One worker's mailbox, on its own cache line. */
typedef struct {
    _Alignas(64) unsigned long posted;  /* the caller's job count for this worker */
    unsigned long finished;             /* the last job count the worker finished */
    nn_pool_fn fn;                      /* written before posted, read after it */
    void *ctx;
    size_t begin, end;
} mailbox;

static mailbox boxes[POOL_MAX_THREADS];
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;   /* held by the job's caller */
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t posted_cv = PTHREAD_COND_INITIALIZER;   /* a mailbox was posted */
static pthread_cond_t finished_cv = PTHREAD_COND_INITIALIZER; /* a part was finished */
static int threads = 1;   /* parts a job may have, the caller included (atomic) */
static int workers;       /* started workers; worker k reads boxes[k], k >= 1 */

/* Polls, then sleeps, until *word != not (acquire); returns the new value. */
static unsigned long wait_change(unsigned long *word, unsigned long not, pthread_cond_t *cv) {
    unsigned long v;
    for (int i = 0; i < POOL_SPINS; i++) {
        if ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != not) return v;
        sched_yield();
    }
    pthread_mutex_lock(&sleep_lock);
    while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) == not) pthread_cond_wait(cv, &sleep_lock);
    pthread_mutex_unlock(&sleep_lock);
    return v;
}

/* Stores v into *word (release) and wakes the threads sleeping on cv. */
static void publish(unsigned long *word, unsigned long v, pthread_cond_t *cv) {
    __atomic_store_n(word, v, __ATOMIC_RELEASE);
    pthread_mutex_lock(&sleep_lock);
    pthread_cond_broadcast(cv);
    pthread_mutex_unlock(&sleep_lock);
}

/* A worker: runs each part posted to its mailbox and says so. */
static void *worker_main(void *arg) {
    mailbox *box = arg;
    unsigned long seen = 0;
    for (;;) {
        seen = wait_change(&box->posted, seen, &posted_cv);
        box->fn(box->ctx, box->begin, box->end);
        publish(&box->finished, seen, &finished_cv);
    }
    return NULL;
}

/* The first item of part k of n items in parts parts. */
static size_t part_begin(size_t n, int parts, int k) {
    size_t q = n / (size_t)parts, r = n % (size_t)parts, kk = (size_t)k;
    return q * kk + (kk < r ? kk : r);
}

int nn_pool_set_threads(int n) {
    if (n < 1) n = 1;
    if (n > POOL_MAX_THREADS) n = POOL_MAX_THREADS;
    pthread_mutex_lock(&busy);
    while (workers < n - 1) {
        pthread_t t;
        pthread_attr_t attr;
        int ok = pthread_attr_init(&attr) == 0;
        ok = ok && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
        ok = ok && pthread_create(&t, &attr, worker_main, &boxes[workers + 1]) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        workers++;
    }
    int got = workers + 1 < n ? workers + 1 : n;
    __atomic_store_n(&threads, got, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&busy);
    return got;
}

int nn_pool_threads(void) { return __atomic_load_n(&threads, __ATOMIC_RELAXED); }

void nn_pool_for(size_t n, size_t min_part, nn_pool_fn fn, void *ctx) {
    if (n == 0) return;
    size_t most = min_part ? n / min_part : n;
    int parts = nn_pool_threads();
    if ((size_t)parts > most) parts = most ? (int)most : 1;
    if (parts <= 1 || pthread_mutex_trylock(&busy) != 0) {
        fn(ctx, 0, n);
        return;
    }
    if (parts > workers + 1) parts = workers + 1;  /* threads may have shrunk meanwhile */
    for (int k = 1; k < parts; k++) {
        mailbox *box = &boxes[k];
        box->fn = fn;
        box->ctx = ctx;
        box->begin = part_begin(n, parts, k);
        box->end = part_begin(n, parts, k + 1);
        publish(&box->posted, box->posted + 1, &posted_cv);
    }
    fn(ctx, 0, part_begin(n, parts, 1));
    for (int k = 1; k < parts; k++) {
        unsigned long want = boxes[k].posted;
        unsigned long got = __atomic_load_n(&boxes[k].finished, __ATOMIC_ACQUIRE);
        while (got != want) got = wait_change(&boxes[k].finished, got, &finished_cv);
    }
    pthread_mutex_unlock(&busy);
}
