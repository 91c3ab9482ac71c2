/* metrics.h — caption metrics: exact match, corpus BLEU-4, CIDEr-D.
 *
 * A caption is a string of lower-case words separated by spaces; any run of
 * whitespace separates two words and an empty string is a caption of zero words.
 * One txt_eval_item pairs a generated caption with its reference captions.
 *
 * Ownership: the caller owns every string and array; these functions only read
 * them. Working memory is allocated inside a call and freed before it returns.
 *
 * Errors: each function returns 0, or -1 with a message in err (which may be
 * NULL) when there is nothing to score (n == 0 or items == NULL), an item has no
 * references, a caption pointer is NULL, the corpus has more than 2^32-2 words
 * or n-grams, or memory runs out.
 *
 * Definitions (the tests check them against the reference implementations):
 *  - txt_exact_match: fraction of items whose caption equals one of its
 *    references word for word.
 *  - txt_bleu4: corpus BLEU-4 exactly as NLTK 3.8 corpus_bleu with weights
 *    (0.25, 0.25, 0.25, 0.25) and no smoothing. Per hypothesis, each n-gram count
 *    is clipped by its largest count in any single reference; clipped matches and
 *    hypothesis n-grams are summed over the corpus, except that a hypothesis adds
 *    at least 1 to every order's total (NLTK's max(1, count), so a hypothesis
 *    shorter than n counts as one unmatched n-gram). The brevity penalty uses, per
 *    hypothesis, the reference length closest to it (ties: the shorter);
 *    BP = 1 if c > r, 0 if c == 0, else exp(1 - r/c). BLEU is exactly 0 when no
 *    unigram matches. A zero precision of a higher order is replaced by DBL_MIN
 *    as NLTK's method0 does, so such a corpus scores about 1e-77: zero for any
 *    purpose, but not the literal 0.
 *  - txt_cider_d: CIDEr-D as coco-caption's cider_scorer.py computes it.
 *    Document frequencies come from the references of these items (an n-gram
 *    counts once per item), idf = log(n_items) - log(max(1, df)); per order
 *    n = 1..4 the hypothesis and each reference become tf-idf vectors, their
 *    similarity is sum(min(h, r) * r) / (|h| |r|) (0 when either norm is 0), times
 *    exp(-delta^2 / 72) (sigma 6), delta the difference of the two lengths
 *    (cider_scorer.py counts bigrams, max(0, words - 1), and so does this code; it
 *    differs from the word count only for an empty caption, whose similarity is 0
 *    anyway). An item scores 10 * mean over n of (sum over references) / n_refs;
 *    the corpus score is the mean over items. With a single item every idf is 0
 *    and so is the score, as in coco-caption. */
#ifndef XCAP_TEXT_METRICS_H
#define XCAP_TEXT_METRICS_H

#include <stddef.h>

#include "nn/error.h"

/* One generated caption and its references (borrowed pointers). */
typedef struct {
    const char *hyp;          /* the generated caption */
    const char *const *refs;  /* n_refs reference captions */
    size_t n_refs;            /* at least 1 */
} txt_eval_item;

/* Corpus BLEU-4 with the counts it is made of. */
typedef struct {
    double bleu;
    double precision[4];  /* matches[k] / totals[k], order k + 1, unsmoothed */
    size_t matches[4];    /* clipped n-gram matches of order k + 1 over the corpus */
    size_t totals[4];     /* hypothesis n-grams of order k + 1 (at least 1 per hypothesis) */
    double brevity;       /* brevity penalty */
    size_t hyp_len;       /* words in all hypotheses (c) */
    size_t ref_len;       /* closest reference lengths summed (r) */
} txt_bleu_stats;

/* Fraction of items whose caption equals one of its references, into *frac. */
int txt_exact_match(const txt_eval_item *items, size_t n, double *frac, nn_error *err);

/* Corpus BLEU-4 (NLTK corpus_bleu, no smoothing) into *bleu. */
int txt_bleu4(const txt_eval_item *items, size_t n, double *bleu, nn_error *err);

/* Corpus BLEU-4 with precisions, counts and brevity penalty into *stats. */
int txt_bleu4_stats(const txt_eval_item *items, size_t n, txt_bleu_stats *stats, nn_error *err);

/* Corpus CIDEr-D (mean over items) into *score. */
int txt_cider_d(const txt_eval_item *items, size_t n, double *score, nn_error *err);

/* CIDEr-D of every item into scores[0..n-1] (document frequencies from all n items). */
int txt_cider_d_items(const txt_eval_item *items, size_t n, double *scores, nn_error *err);

#endif
