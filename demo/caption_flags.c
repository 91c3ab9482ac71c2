/* caption_flags.c — the words for a caption's flags (see caption_flags.h). */
#include "demo/caption_flags.h"

#include <stdio.h>
#include <string.h>

const char *const cap_flag_names[CAP_FLAG_MAX] = {"cut", "repeats", "ill-formed"};

/* 1 when the caption ended with <eos> and is not a sentence of its world's grammar. */
static int ill_formed(const xcap_caption *cap) { return cap->complete && cap->grammatical == 0; }

int cap_flagged(const xcap_caption *cap) {
    return !cap->complete || cap->repeats || ill_formed(cap);
}

void cap_flags_field(char *out, size_t size, const xcap_caption *cap) {
    int on[CAP_FLAG_MAX] = {!cap->complete, cap->repeats, ill_formed(cap)};
    size_t used = 0;
    out[0] = '\0';
    for (int f = 0; f < CAP_FLAG_MAX; f++) {
        if (!on[f]) continue;
        int w = snprintf(out + used, size - used, "%s%s", used ? "," : "", cap_flag_names[f]);
        if (w < 0 || (size_t)w >= size - used) return;
        used += (size_t)w;
    }
}

/* The words [at, at + n) of cap joined by spaces into out (cut with "..." when too long). */
static void words_text(char *out, size_t size, const xcap_caption *cap, size_t at, size_t n) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = at; i < at + n && i < cap->n_words; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i > at ? " " : "", cap->words[i]);
        if (w < 0 || (size_t)w >= size - used) {
            if (size >= 4) strcpy(out + size - 4, "...");
            return;
        }
        used += (size_t)w;
    }
}

size_t cap_flag_messages(char msgs[CAP_FLAG_MAX][CAP_FLAG_MSG], cap_flag which[CAP_FLAG_MAX],
                         const xcap_caption *cap) {
    size_t n = 0;
    if (!cap->complete) {
        if (which) which[n] = CAP_FLAG_CUT;
        snprintf(msgs[n++], CAP_FLAG_MSG, "cut at %zu words without <eos>", cap->n_words);
    }
    if (cap->repeats) {
        char run[CAP_FLAG_MSG - 16];
        words_text(run, sizeof run, cap, cap->repeat_at, 2 * cap->repeat_len);
        if (which) which[n] = CAP_FLAG_REPEATS;
        snprintf(msgs[n++], CAP_FLAG_MSG, "repeats \"%s\"", run);
    }
    if (ill_formed(cap)) {
        if (which) which[n] = CAP_FLAG_ILL_FORMED;
        snprintf(msgs[n++], CAP_FLAG_MSG, "not a sentence of the shapes world's grammar");
    }
    return n;
}
