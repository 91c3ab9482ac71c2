/* test_threads.c — the library from several threads: one shared read-only model, one
 * context per thread. Two threads caption the example images at once, a few rounds each,
 * and every caption (words, probabilities, attention maps) must equal, bit for bit, what
 * one context gives sequentially; and captioning on the pool's two threads (xcap_set_threads)
 * agrees with one thread. Run it under ThreadSanitizer too:
 *   CC=clang cmake -S . -B build-tsan -DCMAKE_C_FLAGS=-fsanitize=thread \
 *     -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread && cmake --build build-tsan --target test_threads
 *   build-tsan/test_threads */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xcap.h"
#include "tests/util/check.h"

#define N_IMAGES 5
#define N_THREADS 2
#define ROUNDS 2

static const char *const IMAGES[N_IMAGES] = {
    "examples/one-object.png", "examples/two-objects.png", "examples/two-objects-b.png",
    "examples/three-objects.png", "examples/wide-two-objects.png"};

/* What one caption must reproduce: the text, the word probabilities and the maps. */
typedef struct {
    char *text;
    size_t n_words, n_maps;
    float *probs, *maps;
} expected_caption;

/* One thread's work: its own context, every image ROUNDS times, starting at a different
 * image per thread so the two threads caption different images at the same moment. */
typedef struct {
    const xcap_model *model;
    char *const *paths;  /* source_path's buffer is static, so paths are made up front */
    const expected_caption *want;
    int first;
    int mismatches, failures;
    char first_problem[256];
} worker;

/* Floats in a caption's maps. */
static size_t map_floats(const xcap_caption *c) {
    return c->n_words * c->layers * c->heads * c->grid_h * c->grid_w;
}

/* Records how cap differs from want into w (nothing when equal). */
static void compare(worker *w, const xcap_caption *cap, const expected_caption *want, int image) {
    const char *what = NULL;
    if (strcmp(cap->text, want->text) != 0) what = "text";
    else if (cap->n_words != want->n_words) what = "word count";
    else if (memcmp(cap->probs, want->probs, cap->n_words * sizeof(float)) != 0) what = "probs";
    else if (map_floats(cap) != want->n_maps ||
             memcmp(cap->maps, want->maps, want->n_maps * sizeof(float)) != 0)
        what = "maps";
    if (!what) return;
    if (!w->mismatches++)
        snprintf(w->first_problem, sizeof w->first_problem, "image %d: %s differs ('%s' vs '%s')",
                 image, what, cap->text, want->text);
}

static void *run_worker(void *arg) {
    worker *w = arg;
    char err[512];
    xcap_context *c = xcap_context_create(w->model, 1, err, sizeof err);
    if (!c) {
        w->failures++;
        snprintf(w->first_problem, sizeof w->first_problem, "%.200s", err);
        return NULL;
    }
    xcap_params p = xcap_default_params();
    for (int round = 0; round < ROUNDS; round++)
        for (int k = 0; k < N_IMAGES; k++) {
            int i = (w->first + k) % N_IMAGES;
            xcap_caption cap;
            if (xcap_caption_file(c, w->paths[i], &p, &cap) != 0) {
                if (!w->failures++)
                    snprintf(w->first_problem, sizeof w->first_problem, "%.200s", xcap_context_error(c));
                continue;
            }
            compare(w, &cap, &w->want[i], i);
            xcap_caption_free(&cap);
        }
    xcap_context_free(c);
    return NULL;
}

static void test_two_threads_match_sequential(void **state) {
    (void)state;
    char err[512];
    xcap_model *m = xcap_model_load(source_path("models/shapes-S.safetensors"), err, sizeof err);
    if (!m) fail_msg("%s", err);

    char *paths[N_IMAGES];
    for (int i = 0; i < N_IMAGES; i++) assert_non_null(paths[i] = strdup(source_path(IMAGES[i])));

    /* sequential reference with one context */
    expected_caption want[N_IMAGES];
    xcap_context *c = xcap_context_create(m, 1, err, sizeof err);
    if (!c) fail_msg("%s", err);
    xcap_params p = xcap_default_params();
    for (int i = 0; i < N_IMAGES; i++) {
        xcap_caption cap;
        if (xcap_caption_file(c, paths[i], &p, &cap) != 0)
            fail_msg("%s", xcap_context_error(c));
        assert_true(cap.n_words > 0);
        want[i].text = strdup(cap.text);
        want[i].n_words = cap.n_words;
        want[i].n_maps = map_floats(&cap);
        want[i].probs = malloc(cap.n_words * sizeof(float));
        want[i].maps = malloc(want[i].n_maps * sizeof(float));
        assert_non_null(want[i].text);
        assert_non_null(want[i].probs);
        assert_non_null(want[i].maps);
        memcpy(want[i].probs, cap.probs, cap.n_words * sizeof(float));
        memcpy(want[i].maps, cap.maps, want[i].n_maps * sizeof(float));
        xcap_caption_free(&cap);
    }
    xcap_context_free(c);

    /* the same from two threads at once */
    pthread_t tid[N_THREADS];
    worker w[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        w[t] = (worker){m, paths, want, t * 2, 0, 0, ""};
        assert_int_equal(pthread_create(&tid[t], NULL, run_worker, &w[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++) assert_int_equal(pthread_join(tid[t], NULL), 0);
    for (int t = 0; t < N_THREADS; t++) {
        if (w[t].failures) fail_msg("thread %d: %d failures, first: %s", t, w[t].failures, w[t].first_problem);
        if (w[t].mismatches)
            fail_msg("thread %d: %d captions differ from the sequential run, first: %s", t,
                     w[t].mismatches, w[t].first_problem);
    }
    for (int i = 0; i < N_IMAGES; i++) {
        free(want[i].text);
        free(want[i].probs);
        free(want[i].maps);
        free(paths[i]);
    }
    xcap_model_free(m);
}

/* Captions image path with a fresh context into cap (fails the test on an error). */
static void caption_one(const xcap_model *m, const char *path, xcap_caption *cap) {
    char err[512];
    xcap_context *c = xcap_context_create(m, 1, err, sizeof err);
    if (!c) fail_msg("%s", err);
    xcap_params p = xcap_default_params();
    if (xcap_caption_file(c, path, &p, cap) != 0) fail_msg("%s", xcap_context_error(c));
    xcap_context_free(c);
}

/* xcap_set_threads: captioning on the pool's two threads gives the words of one thread,
 * and probabilities and maps equal to rounding (the split products may round otherwise). */
static void test_pool_threads_match_one_thread(void **state) {
    (void)state;
    char err[512];
    xcap_model *m = xcap_model_load(source_path("models/shapes-S.safetensors"), err, sizeof err);
    if (!m) fail_msg("%s", err);
    assert_non_null(xcap_blas_kernels());
    for (int i = 0; i < N_IMAGES; i++) {
        char *path = strdup(source_path(IMAGES[i]));
        assert_non_null(path);
        xcap_caption one, two;
        xcap_set_threads(1);
        caption_one(m, path, &one);
        xcap_set_threads(2);
        caption_one(m, path, &two);
        xcap_set_threads(1);
        assert_string_equal(two.text, one.text);
        assert_int_equal(two.n_words, one.n_words);
        check_close(two.probs, one.probs, one.n_words, 1e-5, 1e-4);
        assert_int_equal(map_floats(&two), map_floats(&one));
        check_close(two.maps, one.maps, map_floats(&one), 1e-6, 1e-4);
        xcap_caption_free(&one);
        xcap_caption_free(&two);
        free(path);
    }
    xcap_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_threads_match_sequential),
        cmocka_unit_test(test_pool_threads_match_one_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
