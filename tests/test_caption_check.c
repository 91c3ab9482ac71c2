/* test_caption_check.c — the flags and confidence of a finished caption
 * (text/caption_check.h): cut, repeats, clean; and that no reference caption of the shapes
 * world is ever flagged as repeating. */
#include "tests/util/check.h"
#include "text/caption_check.h"
#include "vision/shapes.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_WORDS 32

/* Splits s (a copy in buf) into words at single spaces; returns how many. */
static size_t split(const char **words, char *buf, size_t cap, const char *s) {
    snprintf(buf, cap, "%s", s);
    size_t n = 0;
    for (char *t = strtok(buf, " "); t && n < MAX_WORDS; t = strtok(NULL, " ")) words[n++] = t;
    return n;
}

/* Checks caption s for a repeat; returns the flag, with *at and *len. */
static int repeat_of(const char *s, size_t *at, size_t *len) {
    const char *w[MAX_WORDS];
    char buf[512];
    size_t n = split(w, buf, sizeof buf, s);
    return txt_caption_repeat(w, n, at, len);
}

static void test_clean(void **state) {
    (void)state;
    const char *w[MAX_WORDS];
    char buf[256];
    size_t n = split(w, buf, sizeof buf, "a large red circle");
    float probs[] = {0.99f, 0.8f, 0.95f, 0.97f};
    txt_caption_check c;
    txt_caption_check_words(&c, w, probs, n, 1, 0.9f);
    assert_int_equal(c.complete, 1);
    assert_int_equal(c.repeats, 0);
    assert_int_equal(c.repeat_at, 0);
    assert_int_equal(c.repeat_len, 0);
    assert_true(c.confidence == 0.8f);  /* the least word */
    txt_caption_check_words(&c, w, probs, n, 1, 0.5f);
    assert_true(c.confidence == 0.5f);  /* <eos> counts too */
}

static void test_cut(void **state) {
    (void)state;
    const char *w[MAX_WORDS];
    char buf[256];
    size_t n = split(w, buf, sizeof buf, "a large red");
    float probs[] = {0.99f, 0.98f, 0.97f};
    txt_caption_check c;
    txt_caption_check_words(&c, w, probs, n, 0, 0.0f);
    assert_int_equal(c.complete, 0);
    assert_int_equal(c.repeats, 0);
    assert_true(c.confidence == 0.0f);  /* a cut caption has no end to trust */
    assert_true(txt_caption_confidence(probs, n, 1, 0.99f) == 0.97f);
    assert_true(txt_caption_confidence(probs, 0, 1, 0.25f) == 0.25f);  /* only <eos> */
    assert_true(txt_caption_confidence(NULL, 0, 0, 0.0f) == 0.0f);
    /* cut means 0 whatever an <eos> probability says */
    assert_true(txt_caption_confidence(probs, n, 0, 0.9f) == 0.0f);
}

static void test_repeats(void **state) {
    (void)state;
    size_t at, len;
    assert_int_equal(repeat_of("a large large red circle", &at, &len), 1);
    assert_int_equal(at, 1);
    assert_int_equal(len, 1);
    assert_int_equal(repeat_of("a large red square red square", &at, &len), 1);
    assert_int_equal(at, 2);
    assert_int_equal(len, 2);
    /* the degenerate caption of the issue: "large large" comes first */
    assert_int_equal(repeat_of("a large large large large blue square large blue square", &at, &len), 1);
    assert_int_equal(at, 1);
    assert_int_equal(len, 1);
    /* a loop of three words with nothing doubled */
    assert_int_equal(repeat_of("a large blue square large blue square", &at, &len), 1);
    assert_int_equal(at, 1);
    assert_int_equal(len, 3);
    /* earliest position wins, then the shortest run there */
    assert_int_equal(repeat_of("x y z y z x x", &at, &len), 1);
    assert_int_equal(at, 1);
    assert_int_equal(len, 2);
    assert_int_equal(repeat_of(", ,", &at, &len), 1);
    /* runs that come back later are language, not a loop */
    assert_int_equal(repeat_of("a small red circle , a small red square and a large red star", &at, &len), 0);
    assert_int_equal(at, 0);
    assert_int_equal(len, 0);
    assert_int_equal(repeat_of("a small red circle left of a small red square", &at, &len), 0);
    assert_int_equal(repeat_of("large", &at, &len), 0);
    assert_int_equal(txt_caption_repeat(NULL, 0, &at, &len), 0);
}

/* Every reference caption of 3000 scenes of each split: never a repeat. */
static void test_references_never_repeat(void **state) {
    (void)state;
    vis_scene sc;
    memset(&sc, 0, sizeof sc);
    nn_error err;
    size_t checked = 0;
    for (int split = 0; split < VIS_SPLIT_COUNT; split++)
        for (uint64_t i = 0; i < 3000; i++) {
            assert_int_equal(vis_scene_generate_with(&sc, vis_scene_seed(77, i), (vis_split)split,
                                                     96, 96, 0, NULL, 0, &err), 0);
            for (int k = 0; k < sc.n_captions; k++) {
                size_t at, len;
                if (repeat_of(sc.captions[k].text, &at, &len))
                    fail_msg("reference '%s' flagged as repeating at word %zu", sc.captions[k].text, at);
                checked++;
            }
        }
    vis_scene_free(&sc);
    assert_true(checked > 9000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_references_never_repeat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
