/* auroc.c — AUROC and the best threshold of a score, by sorting both sets (see auroc.h). */
#include "text/auroc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* qsort order of floats, ascending. */
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Sorted copies of both sets into *ps and *ns (the caller frees them); -1 with a message
 * when a set is empty, a score is NaN, or memory runs out. */
static int sorted_sets(float **ps, float **ns, const float *pos, size_t n_pos, const float *neg,
                       size_t n_neg, nn_error *err) {
    *ps = *ns = NULL;
    if (n_pos == 0 || n_neg == 0)
        return nn_fail(err, "a ROC needs both sets (%zu positives, %zu negatives)", n_pos, n_neg);
    for (size_t i = 0; i < n_pos; i++)
        if (isnan(pos[i])) return nn_fail(err, "positive %zu has a NaN score", i);
    for (size_t i = 0; i < n_neg; i++)
        if (isnan(neg[i])) return nn_fail(err, "negative %zu has a NaN score", i);
    *ps = malloc(n_pos * sizeof **ps);
    *ns = malloc(n_neg * sizeof **ns);
    if (!*ps || !*ns) {
        free(*ps);
        free(*ns);
        *ps = *ns = NULL;
        return nn_fail(err, "out of memory for a ROC of %zu scores", n_pos + n_neg);
    }
    memcpy(*ps, pos, n_pos * sizeof **ps);
    memcpy(*ns, neg, n_neg * sizeof **ns);
    qsort(*ps, n_pos, sizeof **ps, cmp_float);
    qsort(*ns, n_neg, sizeof **ns, cmp_float);
    return 0;
}

int txt_auroc(const float *pos, size_t n_pos, const float *neg, size_t n_neg, double *auc,
              nn_error *err) {
    float *ps, *ns;
    if (sorted_sets(&ps, &ns, pos, n_pos, neg, n_neg, err) != 0) return -1;
    /* for each positive: negatives strictly below it, and equal to it (half each) */
    double wins = 0.0;
    size_t below = 0, upto = 0;
    for (size_t i = 0; i < n_pos; i++) {
        while (below < n_neg && ns[below] < ps[i]) below++;
        if (upto < below) upto = below;
        while (upto < n_neg && ns[upto] <= ps[i]) upto++;
        wins += (double)below + 0.5 * (double)(upto - below);
    }
    *auc = wins / ((double)n_pos * (double)n_neg);
    free(ps);
    free(ns);
    return 0;
}

int txt_roc_threshold(const float *pos, size_t n_pos, const float *neg, size_t n_neg, float *t,
                      double *pos_below, double *neg_below, nn_error *err) {
    float *ps, *ns;
    if (sorted_sets(&ps, &ns, pos, n_pos, neg, n_neg, err) != 0) return -1;
    /* candidates: every score, ascending; at candidate v, i positives and j negatives are < v */
    size_t i = 0, j = 0;
    double best = -2.0;
    while (i < n_pos || j < n_neg) {
        float v = j >= n_neg || (i < n_pos && ps[i] <= ns[j]) ? ps[i] : ns[j];
        double pb = (double)i / (double)n_pos, nb = (double)j / (double)n_neg;
        double jstat = (1.0 - pb) - (1.0 - nb);
        if (jstat > best) {
            best = jstat;
            *t = v;
            *pos_below = pb;
            *neg_below = nb;
        }
        while (i < n_pos && ps[i] == v) i++;
        while (j < n_neg && ns[j] == v) j++;
    }
    free(ps);
    free(ns);
    return 0;
}
