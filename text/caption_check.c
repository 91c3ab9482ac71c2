/* caption_check.c — flags and confidence of a finished caption (see caption_check.h). */
#include "text/caption_check.h"

#include <string.h>

/* Whether words [a, a + k) equal words [b, b + k). */
static int same_run(const char *const *words, size_t a, size_t b, size_t k) {
    for (size_t i = 0; i < k; i++)
        if (strcmp(words[a + i], words[b + i]) != 0) return 0;
    return 1;
}

int txt_caption_repeat(const char *const *words, size_t n, size_t *at, size_t *len) {
    *at = *len = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 1; i + 2 * k <= n; k++)
            if (same_run(words, i, i + k, k)) {
                *at = i;
                *len = k;
                return 1;
            }
    return 0;
}

float txt_caption_confidence(const float *probs, size_t n, int ended, float eos_prob) {
    if (!ended) return 0.0f;
    float least = eos_prob;
    for (size_t i = 0; i < n; i++)
        if (probs[i] < least) least = probs[i];
    return least;
}

void txt_caption_check_words(txt_caption_check *out, const char *const *words,
                             const float *probs, size_t n, int ended, float eos_prob) {
    out->complete = ended != 0;
    out->repeats = txt_caption_repeat(words, n, &out->repeat_at, &out->repeat_len);
    out->confidence = txt_caption_confidence(probs, n, ended, eos_prob);
}
