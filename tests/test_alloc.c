/* test_alloc.c — no step allocates: the encoder forward, the cross-attention K/V, every
 * decode step, greedy / sampled / beam generation and the teacher-forced forward and
 * backward run with zero calls to the allocator once their buffers exist; a caption call
 * allocates only the xcap_caption it returns.
 *
 * This program replaces malloc, calloc, realloc and the aligned allocators (glibc allows
 * that) with counting wrappers around glibc's own. Under AddressSanitizer, which owns
 * the allocator itself, the tests are skipped. BLAS runs on one thread here: OpenBLAS's
 * threaded sgemm mallocs its own job list inside the library, which xcap cannot size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/batch.h"
#include "model/xcap.h"
#include "nn/ops.h"
#include "tests/util/check.h"
#include "tests/util/fixture.h"
#include "text/generate.h"
#include "vision/image.h"

#if defined(__SANITIZE_ADDRESS__)
#define XCAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XCAP_ASAN 1
#endif
#endif

static int counting;   /* count the calls below while set */
static size_t allocs;  /* calls counted */

#ifndef XCAP_ASAN
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

void *malloc(size_t n) {
    allocs += counting;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
    allocs += counting;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
    allocs += counting;
    return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n) {
    allocs += counting;
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n) {
    void *p = memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p) { __libc_free(p); }
#endif

/* Starts counting allocator calls. */
static void count_begin(void) {
    allocs = 0;
    counting = 1;
}

/* Stops counting; returns the calls made since count_begin. */
static size_t count_end(void) {
    counting = 0;
    return allocs;
}

#define BEAM 4

/* The fixture model, a batch with the fixture's two images, and a generation rig. */
typedef struct {
    xcap_model *m;
    xcap_batch b;
    txt_decoder_dims dd;
    float *block;
    txt_decoder_cache cache;
    txt_gen_scratch gen;
    txt_gen_result res[2];
    nn_rng rngs[2];
    unsigned char *img;  /* image 0 as bytes, at the model's input size */
} world;

/* Takes the generation buffers from the arena (measuring when its base is NULL). */
static void take(world *w, nn_arena *ar) {
    size_t rows = BEAM > 2 ? BEAM : 2;
    txt_decoder_cache_take(&w->cache, ar, &w->dd, rows, 2);
    txt_gen_scratch_take(&w->gen, ar, &w->dd, BEAM, rows);
    for (int i = 0; i < 2; i++) txt_gen_result_take(&w->res[i], ar, &w->dd);
}

static int setup(void **state) {
    world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    nn_set_threads(1);
    w->m = fixture_model();
    nn_error err;
    if (xcap_batch_create(&w->b, w->m, 2, &err) != 0) fail_msg("%s", err.msg);
    nn_st_reader *c = fixture_case();
    fixture_fill_batch(&w->b, w->m, c);
    size_t n, per = w->m->cfg.image_w * w->m->cfg.image_h * 3;
    const float *img = fixture_tensor(c, "image", &n);
    w->img = malloc(per);
    if (!w->img) return -1;
    for (size_t j = 0; j < per; j++) w->img[j] = (unsigned char)img[j];
    nn_st_close(c);
    w->dd = xcap_config_decoder_dims(&w->m->cfg);
    nn_arena ar = {NULL, 0};
    take(w, &ar);
    w->block = calloc(ar.used, sizeof(float));
    if (!w->block) return -1;
    ar = (nn_arena){w->block, 0};
    take(w, &ar);
    *state = w;
    return 0;
}

static int teardown(void **state) {
    world *w = *state;
    free(w->block);
    free(w->img);
    xcap_batch_free(&w->b);
    xcap_model_free(w->m);
    free(w);
    return 0;
}

/* Skips the test when the allocator cannot be counted. */
static void need_counting(void) {
#ifdef XCAP_ASAN
    fprintf(stderr, "[  SKIP    ] AddressSanitizer owns the allocator: allocations are not counted\n");
    skip();
#endif
}

/* Encoder, cross K/V, then greedy, sampled and beam generation over the batch's memory. */
static void generate_all(world *w) {
    const xcap_model *m = w->m;
    xcap_batch_encode(&w->b, m);
    txt_decoder_prepare_cross(&w->cache, w->b.enc.ln.out, 2, m->params, &m->dec, &w->dd);
    txt_gen_params greedy = {1, 0.0f, 0, 1.0f, 0}, sampled = {1, 1.3f, 5, 0.9f, 0},
                   beam = {BEAM, 0.0f, 0, 1.0f, 0};
    nn_rng_seed(&w->rngs[0], 7);
    nn_rng_seed(&w->rngs[1], 7);
    txt_generate_batch(w->res, 2, &w->cache, &w->gen, &greedy, w->rngs, m->params, &m->dec, &w->dd);
    txt_generate_batch(w->res, 2, &w->cache, &w->gen, &sampled, w->rngs, m->params, &m->dec, &w->dd);
    for (size_t i = 0; i < 2; i++)
        txt_generate_beam(&w->res[i], i, &w->cache, &w->gen, &beam, m->params, &m->dec, &w->dd);
}

/* The counter sees the program's allocations, its libraries' ones included. */
static void test_counting_works(void **state) {
    need_counting();
    (void)state;
    void *(*volatile alloc)(size_t) = malloc;
    count_begin();
    void *p = alloc(16);
    char *q = strdup("counted");
    size_t n = count_end();
    free(p);
    free(q);
    assert_int_equal(n, 2);
}

static void test_generation_does_not_allocate(void **state) {
    need_counting();
    world *w = *state;
    generate_all(w); /* once first: BLAS may set up its buffers on its first call */
    count_begin();
    generate_all(w);
    size_t n = count_end();
    if (n) fail_msg("encoding and generating two images called the allocator %zu times", n);
    assert_true(w->res[0].n > 0);
}

static void test_training_step_does_not_allocate(void **state) {
    need_counting();
    world *w = *state;
    float *grads = calloc(w->m->layout.total, sizeof(float));
    assert_non_null(grads);
    xcap_batch_forward(&w->b, w->m);
    xcap_batch_backward(&w->b, w->m, grads);
    count_begin();
    float loss = xcap_batch_forward(&w->b, w->m);
    xcap_batch_backward(&w->b, w->m, grads);
    size_t n = count_end();
    free(grads);
    if (n) fail_msg("a teacher-forced forward and backward called the allocator %zu times", n);
    assert_true(loss > 0.0f);
}

/* A caption call at the model's input size (no resizing) allocates the caption it returns:
 * its text, words, probabilities and maps, and one copy of each word. */
static void test_caption_allocates_only_its_result(void **state) {
    need_counting();
    world *w = *state;
    char msg[256];
    xcap_context *c = xcap_context_create(w->m, 1, msg, sizeof msg);
    if (!c) fail_msg("%s", msg);
    xcap_params p = xcap_default_params();
    p.beam = 3;
    xcap_caption cap;
    int W = (int)w->m->cfg.image_w, H = (int)w->m->cfg.image_h;
    assert_int_equal(xcap_caption_rgb(c, w->img, W, H, &p, &cap), 0);
    xcap_caption_free(&cap);
    for (int k = 0; k < 2; k++) {
        p.beam = k ? 3 : 1;
        p.temperature = k ? 0.0f : 1.0f;
        count_begin();
        int rc = xcap_caption_rgb(c, w->img, W, H, &p, &cap);
        size_t n = count_end();
        assert_int_equal(rc, 0);
        assert_true(n > 0); /* the caption's own buffers are seen */
        if (n > 4 + cap.n_words)
            fail_msg("captioning one image called the allocator %zu times for a caption of %zu words",
                     n, cap.n_words);
        xcap_caption_free(&cap);
    }
    xcap_context_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counting_works),
        cmocka_unit_test(test_generation_does_not_allocate),
        cmocka_unit_test(test_training_step_does_not_allocate),
        cmocka_unit_test(test_caption_allocates_only_its_result),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
