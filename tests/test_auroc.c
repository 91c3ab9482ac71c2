/* test_auroc.c — AUROC and the best threshold (text/auroc.h): a case computed by hand,
 * ties counting half, perfect and reversed separation, agreement with the pairwise
 * definition on random scores, and the refusals. */
#include "tests/util/check.h"
#include "text/auroc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The AUROC by its definition: over every pair, 1 when pos > neg, 1/2 when equal. */
static double pairwise(const float *pos, size_t np, const float *neg, size_t nn) {
    double s = 0.0;
    for (size_t i = 0; i < np; i++)
        for (size_t j = 0; j < nn; j++) s += pos[i] > neg[j] ? 1.0 : pos[i] == neg[j] ? 0.5 : 0.0;
    return s / ((double)np * (double)nn);
}

static void test_by_hand(void **state) {
    (void)state;
    /* pairs: 0.9 beats all 3 negatives (3); each 0.8 ties 0.8 and beats 0.5, 0.1 (2.5 twice);
     * 0.3 beats only 0.1 (1): 9 of 12 */
    const float pos[] = {0.8f, 0.3f, 0.9f, 0.8f}, neg[] = {0.5f, 0.8f, 0.1f};
    double auc;
    assert_int_equal(txt_auroc(pos, 4, neg, 3, &auc, NULL), 0);
    assert_true(fabs(auc - 0.75) < 1e-12);
    /* thresholds (share of pos >= t) - (share of neg >= t): 0.1: 1 - 1 = 0; 0.3: 1 - 2/3;
     * 0.5: 3/4 - 2/3; 0.8: 3/4 - 1/3 = 5/12 (best); 0.9: 1/4 - 0 */
    float t;
    double pb, nb;
    assert_int_equal(txt_roc_threshold(pos, 4, neg, 3, &t, &pb, &nb, NULL), 0);
    assert_true(t == 0.8f);
    assert_true(fabs(pb - 0.25) < 1e-12);
    assert_true(fabs(nb - 2.0 / 3.0) < 1e-12);
}

static void test_ties_and_extremes(void **state) {
    (void)state;
    const float ones[] = {1.0f, 1.0f, 1.0f}, low[] = {0.1f, 0.2f}, high[] = {2.0f, 3.0f};
    double auc;
    assert_int_equal(txt_auroc(ones, 3, ones, 2, &auc, NULL), 0);
    assert_true(auc == 0.5);  /* all tied */
    assert_int_equal(txt_auroc(ones, 3, low, 2, &auc, NULL), 0);
    assert_true(auc == 1.0);
    assert_int_equal(txt_auroc(ones, 3, high, 2, &auc, NULL), 0);
    assert_true(auc == 0.0);
    float t;
    double pb, nb;
    assert_int_equal(txt_roc_threshold(ones, 3, low, 2, &t, &pb, &nb, NULL), 0);
    assert_true(t == 1.0f && pb == 0.0 && nb == 1.0);  /* a perfect cut */
    assert_int_equal(txt_roc_threshold(ones, 3, ones, 2, &t, &pb, &nb, NULL), 0);
    assert_true(t == 1.0f && pb == 0.0 && nb == 0.0);  /* nothing to gain: trust all */
    /* two thresholds separate equally well (0.5 and 0.9: J = 1/2): the lower one is kept */
    const float tp[] = {0.9f, 0.5f}, tn[] = {0.1f, 0.7f};
    assert_int_equal(txt_roc_threshold(tp, 2, tn, 2, &t, &pb, &nb, NULL), 0);
    assert_true(t == 0.5f && pb == 0.0 && nb == 0.5);
    const float inf[] = {-INFINITY, 0.0f, INFINITY};
    assert_int_equal(txt_auroc(inf + 1, 2, inf, 1, &auc, NULL), 0);
    assert_true(auc == 1.0);
}

static void test_matches_pairwise(void **state) {
    (void)state;
    srand(7);
    for (int round = 0; round < 50; round++) {
        size_t np = 1 + (size_t)(rand() % 40), nn = 1 + (size_t)(rand() % 40);
        float pos[40], neg[40];
        /* few distinct values, so that ties are common */
        for (size_t i = 0; i < np; i++) pos[i] = (float)(rand() % 7) / 6.0f + 0.1f;
        for (size_t i = 0; i < nn; i++) neg[i] = (float)(rand() % 7) / 6.0f;
        double auc;
        assert_int_equal(txt_auroc(pos, np, neg, nn, &auc, NULL), 0);
        double want = pairwise(pos, np, neg, nn);
        if (fabs(auc - want) > 1e-12) fail_msg("round %d: %.15g, want %.15g", round, auc, want);
        /* the threshold's J is the best over every score as a threshold */
        float t;
        double pb, nb;
        assert_int_equal(txt_roc_threshold(pos, np, neg, nn, &t, &pb, &nb, NULL), 0);
        double best = -2.0;
        for (size_t k = 0; k < np + nn; k++) {
            float v = k < np ? pos[k] : neg[k - np];
            size_t a = 0, b = 0;
            for (size_t i = 0; i < np; i++) a += pos[i] < v;
            for (size_t i = 0; i < nn; i++) b += neg[i] < v;
            double j = (double)b / (double)nn - (double)a / (double)np;
            if (j > best) best = j;
        }
        assert_true(fabs((nb - pb) - best) < 1e-12);
    }
}

static void test_refusals(void **state) {
    (void)state;
    const float a[] = {0.5f}, bad[] = {NAN};
    double auc;
    float t;
    double pb, nb;
    nn_error err;
    assert_int_equal(txt_auroc(a, 1, a, 0, &auc, &err), -1);
    assert_non_null(strstr(err.msg, "needs both sets"));
    assert_int_equal(txt_auroc(a, 0, a, 1, &auc, &err), -1);
    assert_int_equal(txt_auroc(bad, 1, a, 1, &auc, &err), -1);
    assert_non_null(strstr(err.msg, "NaN"));
    assert_int_equal(txt_auroc(a, 1, bad, 1, &auc, &err), -1);
    assert_int_equal(txt_roc_threshold(a, 1, a, 0, &t, &pb, &nb, &err), -1);
    assert_int_equal(txt_roc_threshold(a, 1, bad, 1, &t, &pb, &nb, &err), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_ties_and_extremes),
        cmocka_unit_test(test_matches_pairwise),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
