/* caption_flags.c — the words for a caption's flags (see caption_flags.h). */
#include "demo/caption_flags.h"

#include <stdio.h>
#include <string.h>

int cap_flagged(const xcap_caption *cap) { return !cap->complete || cap->repeats; }

void cap_flags_field(char *out, size_t size, const xcap_caption *cap) {
    snprintf(out, size, "%s%s%s", cap->complete ? "" : "cut",
             !cap->complete && cap->repeats ? "," : "", cap->repeats ? "repeats" : "");
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

size_t cap_flag_messages(char msgs[2][CAP_FLAG_MSG], const xcap_caption *cap) {
    size_t n = 0;
    if (!cap->complete)
        snprintf(msgs[n++], CAP_FLAG_MSG, "cut at %zu words without <eos>", cap->n_words);
    if (cap->repeats) {
        char run[CAP_FLAG_MSG - 16];
        words_text(run, sizeof run, cap, cap->repeat_at, 2 * cap->repeat_len);
        snprintf(msgs[n++], CAP_FLAG_MSG, "repeats \"%s\"", run);
    }
    return n;
}
