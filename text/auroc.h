/* auroc.h — how well a score separates two sets: the area under the ROC curve and the
 * threshold that separates best. Used for caption confidence: right captions (positives)
 * should score higher than wrong ones, and pictures of the world higher than others.
 *
 * Working memory is allocated inside a call and freed before it returns. */
#ifndef XCAP_TEXT_AUROC_H
#define XCAP_TEXT_AUROC_H

#include <stddef.h>

#include "nn/error.h"

/* The probability that a random positive scores above a random negative, a tie counting
 * half (the Mann-Whitney U over n_pos * n_neg), into *auc. -1 with a message when either
 * set is empty, a score is NaN, or memory runs out. */
int txt_auroc(const float *pos, size_t n_pos, const float *neg, size_t n_neg, double *auc,
              nn_error *err);

/* Where to stop trusting a score: the threshold t that maximises (share of positives >= t)
 * - (share of negatives >= t) (Youden's J; ties: the lowest such t), into *t, with the
 * shares below it: *pos_below of the positives (trusted items wrongly distrusted) and
 * *neg_below of the negatives (the ones it catches). Same failures as txt_auroc. */
int txt_roc_threshold(const float *pos, size_t n_pos, const float *neg, size_t n_neg, float *t,
                      double *pos_below, double *neg_below, nn_error *err);

#endif
