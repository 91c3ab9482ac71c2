/* caption_check.h — is a finished caption trustworthy? Two flags and a confidence that
 * every caption carries (model/xcap.h copies them into xcap_caption):
 *
 *  - complete: the caption ended with <eos>. A caption cut at the token limit is not a
 *    sentence the model finished.
 *  - repeats: some run of k >= 1 words is followed at once by the same run ("large large",
 *    "red square red square", "large blue square large blue square"), a caption stuck in
 *    a loop. Runs that come back later ("a small red circle , a small red square") are
 *    ordinary language and are not flagged.
 *  - confidence: the smallest probability the model gave any token of the caption, the
 *    final <eos> included; 0 for a caption cut without <eos> (its end got no probability).
 *    Chosen over the mean log-probability by measurement (docs/honest-output.md).
 *
 * Nothing here allocates or fails. */
#ifndef XCAP_TEXT_CAPTION_CHECK_H
#define XCAP_TEXT_CAPTION_CHECK_H

#include <stddef.h>

typedef struct {
    int complete;        /* 1: ended with <eos>; 0: cut at the token limit */
    int repeats;         /* 1: a run of words repeats immediately */
    size_t repeat_at;    /* the first such run: words [at, at + len) ... */
    size_t repeat_len;   /* ... equal words [at + len, at + 2 len); both 0 when none */
    float confidence;    /* min token probability, <eos> included; 0 when cut */
} txt_caption_check;

/* Finds the earliest run of words that is repeated right after itself (the shortest one
 * at that position); 1 with *at and *len set, else 0 (both set to 0). */
int txt_caption_repeat(const char *const *words, size_t n, size_t *at, size_t *len);

/* The confidence of a caption of n words with chosen-word probabilities probs: the least
 * of them and eos_prob when ended, else 0. */
float txt_caption_confidence(const float *probs, size_t n, int ended, float eos_prob);

/* Fills out for a caption of n words (probs as chosen; ended: it ended with <eos> of
 * probability eos_prob). */
void txt_caption_check_words(txt_caption_check *out, const char *const *words,
                             const float *probs, size_t n, int ended, float eos_prob);

#endif
