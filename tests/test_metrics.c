/* test_metrics.c — exact match, corpus BLEU-4 and CIDEr-D (text/metrics.h).
 *
 * BLEU-4 is compared with NLTK 3.8 corpus_bleu and CIDEr-D with the coco-caption
 * definition reimplemented in Python; both sets of values are in fixtures made by
 * tests/reference/make_bleu_fixture.py. The hand cases below pin down the rules
 * the fixtures rely on (clipping, closest reference length, ties, empty captions). */
#include "tests/util/check.h"
#include "text/metrics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fails unless |got - want| <= atol + rtol * |want| (doubles; check_close is float only). */
#define check_double(got, want, atol, rtol) \
    check_double_impl((got), (want), (atol), (rtol), #got, __FILE__, __LINE__)
static void check_double_impl(double got, double want, double atol, double rtol, const char *what,
                              const char *file, int line) {
    if (isnan(got) || isnan(want) || fabs(got - want) > atol + rtol * fabs(want)) {
        print_error("%s:%d: %s = %.17g, want %.17g (atol %g rtol %g)\n", file, line, what, got, want,
                    atol, rtol);
        _fail(file, line);
    }
}

/* ---- fixtures ------------------------------------------------------------ */

/* One corpus read from a fixture; strings point into the cJSON tree. */
typedef struct {
    cJSON *root;
    const cJSON *obj;        /* the corpus object */
    txt_eval_item *items;
    const char **ref_store;  /* all reference pointers, items[i].refs point into it */
    size_t n;
} fixture_corpus;

/* Reads and parses a JSON file from tests/fixtures. */
static cJSON *load_json(const char *rel) {
    FILE *f = fopen(source_path(rel), "rb");
    if (!f) fail_msg("cannot open %s (is XCAP_SOURCE_DIR set?)", source_path(rel));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    cJSON *root = cJSON_Parse(buf);
    free(buf);
    if (!root) fail_msg("%s: not valid JSON", rel);
    return root;
}

/* Loads the corpus called name from a fixture file into fc. */
static void load_corpus(fixture_corpus *fc, const char *rel, const char *name) {
    memset(fc, 0, sizeof *fc);
    fc->root = load_json(rel);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(fc->root, "corpora")) {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) == 0) fc->obj = c;
    }
    if (!fc->obj) fail_msg("%s: no corpus '%s'", rel, name);
    const cJSON *hyps = cJSON_GetObjectItem(fc->obj, "hyps"), *refs = cJSON_GetObjectItem(fc->obj, "refs");
    fc->n = (size_t)cJSON_GetArraySize(hyps);
    assert_int_equal(fc->n, (size_t)cJSON_GetArraySize(refs));
    size_t total = 0;
    for (size_t i = 0; i < fc->n; i++) total += (size_t)cJSON_GetArraySize(cJSON_GetArrayItem(refs, (int)i));
    fc->items = calloc(fc->n, sizeof *fc->items);
    fc->ref_store = calloc(total, sizeof *fc->ref_store);
    assert_non_null(fc->items);
    assert_non_null(fc->ref_store);
    size_t at = 0;
    for (size_t i = 0; i < fc->n; i++) {
        const cJSON *r = cJSON_GetArrayItem(refs, (int)i), *s;
        fc->items[i].hyp = cJSON_GetArrayItem(hyps, (int)i)->valuestring;
        fc->items[i].refs = fc->ref_store + at;
        cJSON_ArrayForEach(s, r) { fc->ref_store[at++] = s->valuestring; }
        fc->items[i].n_refs = (size_t)cJSON_GetArraySize(r);
    }
}

/* Releases a loaded corpus. */
static void free_corpus(fixture_corpus *fc) {
    free(fc->items);
    free(fc->ref_store);
    cJSON_Delete(fc->root);
}

/* A number field of the corpus object. */
static double num(const fixture_corpus *fc, const char *key) {
    const cJSON *v = cJSON_GetObjectItem(fc->obj, key);
    if (!cJSON_IsNumber(v)) fail_msg("fixture: no number '%s'", key);
    return v->valuedouble;
}

/* Element k of an array field of the corpus object. */
static double num_at(const fixture_corpus *fc, const char *key, int k) {
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(fc->obj, key), k);
    if (!cJSON_IsNumber(v)) fail_msg("fixture: no number '%s'[%d]", key, k);
    return v->valuedouble;
}

/* Compares txt_bleu4_stats on a fixture corpus with NLTK's numbers. */
static void check_bleu_corpus(const char *name) {
    fixture_corpus fc;
    load_corpus(&fc, "tests/fixtures/bleu_nltk.json", name);
    txt_bleu_stats s;
    nn_error err = {{0}};
    assert_int_equal(txt_bleu4_stats(fc.items, fc.n, &s, &err), 0);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(s.matches[k], (size_t)num_at(&fc, "matches", k));
        assert_int_equal(s.totals[k], (size_t)num_at(&fc, "totals", k));
        check_double(s.precision[k], num_at(&fc, "precisions", k), 1e-12, 0);
    }
    assert_int_equal(s.hyp_len, (size_t)num(&fc, "hyp_len"));
    assert_int_equal(s.ref_len, (size_t)num(&fc, "ref_len"));
    check_double(s.brevity, num(&fc, "brevity_penalty"), 1e-12, 1e-12);
    /* 1e-6 absolute as DESIGN.md asks, and 1e-9 relative so a 1e-78 score must match too */
    check_double(s.bleu, num(&fc, "bleu"), 1e-6, 0);
    check_double(s.bleu, num(&fc, "bleu"), 0, 1e-9);
    double b = -1;
    assert_int_equal(txt_bleu4(fc.items, fc.n, &b, &err), 0);
    assert_true(b == s.bleu);
    free_corpus(&fc);
}

/* ---- BLEU-4 -------------------------------------------------------------- */

/* 80 mixed hypotheses: NLTK's corpus BLEU, precisions, counts and brevity penalty. */
static void test_bleu_matches_nltk(void **state) {
    (void)state;
    check_bleu_corpus("main");
}

/* No 4-gram matches anywhere: NLTK gives ~1e-77 (DBL_MIN in place of p4), and so must we. */
static void test_bleu_zero_4gram_matches_nltk(void **state) {
    (void)state;
    check_bleu_corpus("zero_4gram");
    fixture_corpus fc;
    load_corpus(&fc, "tests/fixtures/bleu_nltk.json", "zero_4gram");
    double b;
    assert_int_equal(txt_bleu4(fc.items, fc.n, &b, NULL), 0);
    assert_true(b >= 0 && b < 1e-70);
    free_corpus(&fc);
}

/* Hypotheses equal to a reference score exactly 1 (precisions 1, closest length equal). */
static void test_bleu_identical_is_one(void **state) {
    (void)state;
    const char *r0[] = {"a large red circle left of a small blue star", "a red circle"};
    const char *r1[] = {"a small green cross , a large white square and a small cyan diamond"};
    txt_eval_item items[] = {{"a large red circle left of a small blue star", r0, 2},
                             {r1[0], r1, 1}};
    txt_bleu_stats s;
    assert_int_equal(txt_bleu4_stats(items, 2, &s, NULL), 0);
    check_double(s.bleu, 1.0, 1e-15, 0);
    check_double(s.brevity, 1.0, 0, 0);
    assert_int_equal(s.hyp_len, 24);
    assert_int_equal(s.ref_len, 24);
}

/* Brevity penalty by hand: the hypothesis "a large red circle" (c = 4) is a prefix of
 * "a large red circle below a" (6 words), so every precision is 1 and
 * BLEU = BP = exp(1 - 6/4) = exp(-0.5) = 0.60653065971263342.
 * Adding a 2-word reference "a large" ties it with the 6-word one (both 2 away);
 * the tie goes to the shorter, r = 2 < c, so BP = 1 and BLEU = 1. */
static void test_bleu_brevity_by_hand(void **state) {
    (void)state;
    const char *far[] = {"a large red circle below a"};
    const char *tie[] = {"a large red circle below a", "a large"};
    txt_eval_item one = {"a large red circle", far, 1};
    txt_bleu_stats s;
    assert_int_equal(txt_bleu4_stats(&one, 1, &s, NULL), 0);
    assert_int_equal(s.ref_len, 6);
    check_double(s.brevity, 0.60653065971263342, 1e-15, 0);
    check_double(s.bleu, 0.60653065971263342, 1e-15, 0);
    one.refs = tie;
    one.n_refs = 2;
    assert_int_equal(txt_bleu4_stats(&one, 1, &s, NULL), 0);
    assert_int_equal(s.ref_len, 2);
    check_double(s.bleu, 1.0, 1e-15, 0);
}

/* Clipping by the largest count in ONE reference (not the sum over references), and
 * NLTK's at-least-one total for a hypothesis shorter than the order. */
static void test_bleu_clipping_and_short_totals(void **state) {
    (void)state;
    /* "a a a a": "a" occurs once in ref 0 and twice in ref 1 -> 2 of 4 unigrams match;
     * "a a" occurs once (ref 1) -> 1 of 3 bigrams; no trigram or 4-gram matches. */
    const char *r0[] = {"a red circle", "a a blue"};
    txt_eval_item rep = {"a a a a", r0, 2};
    txt_bleu_stats s;
    assert_int_equal(txt_bleu4_stats(&rep, 1, &s, NULL), 0);
    size_t want_m[4] = {2, 1, 0, 0}, want_t[4] = {4, 3, 2, 1};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(s.matches[k], want_m[k]);
        assert_int_equal(s.totals[k], want_t[k]);
    }
    /* "a red" against "a red circle": 2/2, 1/1, then 0/1 and 0/1 (max(1, 0) totals) */
    const char *r1[] = {"a red circle"};
    txt_eval_item shrt = {"a red", r1, 1};
    assert_int_equal(txt_bleu4_stats(&shrt, 1, &s, NULL), 0);
    size_t want_m2[4] = {2, 1, 0, 0}, want_t2[4] = {2, 1, 1, 1};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(s.matches[k], want_m2[k]);
        assert_int_equal(s.totals[k], want_t2[k]);
    }
}

/* No unigram in common: exactly 0 (NLTK returns the integer 0 here). */
static void test_bleu_no_overlap_is_zero(void **state) {
    (void)state;
    const char *r[] = {"a large red circle"};
    txt_eval_item it = {"green star above", r, 1};
    double b = -1;
    assert_int_equal(txt_bleu4(&it, 1, &b, NULL), 0);
    assert_true(b == 0.0);
}

/* An empty hypothesis is zero words: no crash, it adds 0 to c and 1 to every total. */
static void test_bleu_empty_hypothesis(void **state) {
    (void)state;
    const char *r[] = {"a red circle"};
    txt_eval_item items[] = {{"", r, 1}, {"a red circle", r, 1}};
    txt_bleu_stats s;
    assert_int_equal(txt_bleu4_stats(items, 2, &s, NULL), 0);
    assert_int_equal(s.hyp_len, 3);
    assert_int_equal(s.ref_len, 6);
    size_t want_m[4] = {3, 2, 1, 0}, want_t[4] = {4, 3, 2, 2};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(s.matches[k], want_m[k]);
        assert_int_equal(s.totals[k], want_t[k]);
    }
    check_double(s.brevity, exp(1.0 - 6.0 / 3.0), 1e-15, 0);
    assert_true(s.bleu >= 0 && s.bleu < 1e-70);
    /* only empty hypotheses: c == 0, BP 0, BLEU exactly 0 */
    assert_int_equal(txt_bleu4_stats(items, 1, &s, NULL), 0);
    assert_true(s.bleu == 0.0 && s.brevity == 0.0 && s.hyp_len == 0);
}

/* ---- CIDEr-D ------------------------------------------------------------- */

/* Per-item and corpus CIDEr-D equal the Python reference on both fixture corpora. */
static void test_cider_matches_reference(void **state) {
    (void)state;
    const char *names[] = {"main", "zero_4gram"};
    for (int c = 0; c < 2; c++) {
        fixture_corpus fc;
        load_corpus(&fc, "tests/fixtures/cider_ref.json", names[c]);
        double *per = malloc(fc.n * sizeof *per);
        assert_non_null(per);
        nn_error err = {{0}};
        assert_int_equal(txt_cider_d_items(fc.items, fc.n, per, &err), 0);
        for (size_t i = 0; i < fc.n; i++) check_double(per[i], num_at(&fc, "scores", (int)i), 1e-9, 0);
        double score;
        assert_int_equal(txt_cider_d(fc.items, fc.n, &score, &err), 0);
        check_double(score, num(&fc, "cider"), 1e-9, 0);
        free(per);
        free_corpus(&fc);
    }
}

/* By hand: two items, each hypothesis equal to its single reference. Every n-gram but
 * the shared "a" has df 1 (idf log 2); the tf-idf vectors are identical, so each order
 * with any n-gram has cosine 1 and the length penalty is 1. A 4-word caption scores
 * 10 * (1+1+1+1)/4 = 10; a 3-word caption has no 4-gram: 10 * 3/4 = 7.5. A hypothesis
 * of zero words has zero norms: score 0, no NaN. */
static void test_cider_by_hand(void **state) {
    (void)state;
    const char *ra[] = {"a large red circle"}, *rb[] = {"a blue star"};
    txt_eval_item items[] = {{"a large red circle", ra, 1}, {"a blue star", rb, 1}, {"", rb, 1}};
    double per[3];
    assert_int_equal(txt_cider_d_items(items, 2, per, NULL), 0);
    check_double(per[0], 10.0, 1e-12, 0);
    check_double(per[1], 7.5, 1e-12, 0);
    assert_int_equal(txt_cider_d_items(items, 3, per, NULL), 0);
    assert_true(per[2] == 0.0);
    assert_true(per[0] > 0 && per[0] <= 10.0 + 1e-12);
    /* one item only: every idf is log(1) - log(1) = 0, so coco-caption scores 0 */
    assert_int_equal(txt_cider_d_items(items, 1, per, NULL), 0);
    assert_true(per[0] == 0.0);
}

/* ---- exact match --------------------------------------------------------- */

/* A small table: equal to the first or a later reference, whitespace runs, empty captions. */
static void test_exact_match_table(void **state) {
    (void)state;
    const char *r0[] = {"a large red circle"};
    const char *r1[] = {"a blue star above a red cross", "a red cross below a blue star"};
    const char *r2[] = {"a small green diamond"};
    const char *r3[] = {"a white square", ""};
    const char *r4[] = {"a cyan circle"};
    txt_eval_item items[] = {
        {"a large red circle", r0, 1},              /* equal: hit */
        {"a red cross below a blue star", r1, 2},   /* equal to the second: hit */
        {"a small green", r2, 1},                   /* prefix only: miss */
        {"", r3, 2},                                /* empty equals empty: hit */
        {" a  cyan circle ", r4, 1},                /* same words: hit */
        {"a large red circle left", r0, 1},         /* longer: miss */
    };
    double f = -1;
    assert_int_equal(txt_exact_match(items, 6, &f, NULL), 0);
    check_double(f, 4.0 / 6.0, 1e-15, 0);
    assert_int_equal(txt_exact_match(items + 2, 1, &f, NULL), 0);
    assert_true(f == 0.0);
}

/* ---- errors and scale ---------------------------------------------------- */

/* Empty input, an item without references and NULL captions are errors with a message. */
static void test_errors(void **state) {
    (void)state;
    nn_error err = {{0}};
    double v;
    txt_bleu_stats s;
    const char *r[] = {"a red circle"}, *bad[] = {NULL};
    txt_eval_item ok = {"a red circle", r, 1};
    assert_int_equal(txt_bleu4(&ok, 0, &v, &err), -1);
    assert_non_null(strstr(err.msg, "txt_bleu4"));
    assert_non_null(strstr(err.msg, "no captions"));
    assert_int_equal(txt_bleu4_stats(NULL, 3, &s, &err), -1);
    assert_int_equal(txt_cider_d(&ok, 0, &v, &err), -1);
    assert_non_null(strstr(err.msg, "txt_cider_d"));
    assert_int_equal(txt_exact_match(&ok, 0, &v, &err), -1);
    assert_non_null(strstr(err.msg, "txt_exact_match"));
    txt_eval_item items[] = {ok, {"a red circle", r, 0}};
    assert_int_equal(txt_bleu4(items, 2, &v, &err), -1);
    assert_non_null(strstr(err.msg, "item 1 has no references"));
    items[1] = (txt_eval_item){NULL, r, 1};
    assert_int_equal(txt_cider_d(items, 2, &v, &err), -1);
    assert_non_null(strstr(err.msg, "item 1"));
    items[1] = (txt_eval_item){"a red circle", bad, 1};
    assert_int_equal(txt_exact_match(items, 2, &v, NULL), -1);  /* err may be NULL */
}

/* 5000 hypotheses x 2 references: correct where the answer is known. (How fast is for a
 * benchmark, not a timed test.) */
static void test_scale(void **state) {
    (void)state;
    enum { N = 5000 };
    static const char *colour[] = {"red", "green", "blue", "yellow", "purple", "orange", "white", "cyan"};
    static const char *shape[] = {"circle", "square", "triangle", "diamond", "star", "cross"};
    static const char *rel[] = {"left of", "right of", "above", "below"};
    char (*text)[2][96] = malloc(sizeof(char[N][2][96]));
    const char **refs = malloc(2 * N * sizeof *refs);
    txt_eval_item *items = malloc(N * sizeof *items);
    assert_non_null(text);
    assert_non_null(refs);
    assert_non_null(items);
    for (size_t i = 0; i < N; i++) {
        size_t a = i % 8, b = (i / 8) % 6, c = (i / 48) % 8, d = (i / 384) % 6, e = (i / 7) % 4;
        snprintf(text[i][0], 96, "a %s %s %s a %s %s", colour[a], shape[b], rel[e], colour[c], shape[d]);
        snprintf(text[i][1], 96, "a %s %s", colour[c], shape[d]);
        refs[2 * i] = text[i][0];
        refs[2 * i + 1] = text[i][1];
        items[i] = (txt_eval_item){text[i][0], refs + 2 * i, 2};  /* hypothesis = reference 0 */
    }
    double em, bleu, cider;
    assert_int_equal(txt_exact_match(items, N, &em, NULL), 0);
    assert_int_equal(txt_bleu4(items, N, &bleu, NULL), 0);
    assert_int_equal(txt_cider_d(items, N, &cider, NULL), 0);
    check_double(em, 1.0, 0, 0);
    check_double(bleu, 1.0, 1e-12, 0);
    assert_true(cider > 0.0 && cider < 10.0);
    free(text);
    free(refs);
    free(items);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bleu_matches_nltk),
        cmocka_unit_test(test_bleu_zero_4gram_matches_nltk),
        cmocka_unit_test(test_bleu_identical_is_one),
        cmocka_unit_test(test_bleu_brevity_by_hand),
        cmocka_unit_test(test_bleu_clipping_and_short_totals),
        cmocka_unit_test(test_bleu_no_overlap_is_zero),
        cmocka_unit_test(test_bleu_empty_hypothesis),
        cmocka_unit_test(test_cider_matches_reference),
        cmocka_unit_test(test_cider_by_hand),
        cmocka_unit_test(test_exact_match_table),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
