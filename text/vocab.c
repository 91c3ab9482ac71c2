/* vocab.c — vocabulary storage with a small open-addressing hash table. */
#include "text/vocab.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const SPECIAL[TXT_N_SPECIAL] = {"<pad>", "<bos>", "<eos>", "<unk>"};

/* FNV-1a hash of a NUL-terminated word. */
static uint64_t word_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Slot of word in the table: where it is, or the empty slot where it would go. */
static size_t find_slot(const txt_vocab *v, const char *word) {
    size_t i = (size_t)(word_hash(word) & (v->n_slots - 1));
    while (v->slots[i] >= 0 && strcmp(v->words[v->slots[i]], word) != 0)
        i = (i + 1) & (v->n_slots - 1);
    return i;
}

/* Rebuilds the hash table for the current words at twice the needed size. */
static int rehash(txt_vocab *v, size_t want_words) {
    size_t n = 64;
    while (n < want_words * 2) n *= 2;
    int *slots = malloc(n * sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < n; i++) slots[i] = -1;
    free(v->slots);
    v->slots = slots;
    v->n_slots = n;
    for (size_t id = 0; id < v->size; id++) v->slots[find_slot(v, v->words[id])] = (int)id;
    return 0;
}

/* Appends word as a new id; -1 on out of memory. */
static int add_word(txt_vocab *v, const char *word, size_t *cap) {
    if (v->size == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char **w = realloc(v->words, ncap * sizeof *w);
        if (!w) return -1;
        v->words = w;
        *cap = ncap;
    }
    if ((v->size + 1) * 2 > v->n_slots && rehash(v, v->size + 1) != 0) return -1;
    char *copy = strdup(word);
    if (!copy) return -1;
    v->words[v->size] = copy;
    v->slots[find_slot(v, copy)] = (int)v->size;
    v->size++;
    return 0;
}

int txt_vocab_from_lines(txt_vocab *v, const char *lines, nn_error *err) {
    memset(v, 0, sizeof *v);
    size_t cap = 0;
    const char *p = lines;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char word[TXT_MAX_WORD + 1];
        size_t at = v->size; /* for messages: txt_vocab_free zeroes v */
        if (len == 0 || len > TXT_MAX_WORD) {
            txt_vocab_free(v);
            return nn_fail(err, "vocabulary entry %zu is %s", at,
                           len ? "longer than 64 bytes" : "empty");
        }
        memcpy(word, p, len);
        word[len] = 0;
        char shown[TXT_MAX_WORD + 8];
        if (v->size < TXT_N_SPECIAL && strcmp(word, SPECIAL[v->size]) != 0) {
            txt_vocab_free(v);
            return nn_fail(err, "vocabulary entry %zu is '%s', expected '%s'", at,
                           nn_show(shown, sizeof shown, word), SPECIAL[at]);
        }
        /* a word already present (txt_vocab_id cannot tell "<unk>" from a missing word) */
        if (v->size >= TXT_N_SPECIAL && v->slots[find_slot(v, word)] >= 0) {
            txt_vocab_free(v);
            return nn_fail(err, "vocabulary word '%s' appears twice",
                           nn_show(shown, sizeof shown, word));
        }
        if (v->size >= TXT_MAX_VOCAB || add_word(v, word, &cap) != 0) {
            txt_vocab_free(v);
            return nn_fail(err, "vocabulary is too large or out of memory at entry %zu", at);
        }
        p = end ? end + 1 : p + len;
    }
    if (v->size < TXT_N_SPECIAL) {
        txt_vocab_free(v);
        return nn_fail(err, "vocabulary has %zu entries, fewer than the 4 special tokens", v->size);
    }
    return 0;
}

/* Copies the next white-space separated word of *s into word (lower case, at most
 * TXT_MAX_WORD bytes kept); returns 0 when there is none. Advances *s. */
static int next_word(const char **s, char *word) {
    const char *p = *s;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) {
        *s = p;
        return 0;
    }
    size_t n = 0;
    while (*p && !isspace((unsigned char)*p)) {
        if (n < TXT_MAX_WORD) word[n++] = (char)tolower((unsigned char)*p);
        p++;
    }
    word[n] = 0;
    *s = p;
    return 1;
}

int txt_vocab_build(txt_vocab *v, const char *const *captions, size_t n, size_t min_count,
                    nn_error *err) {
    memset(v, 0, sizeof *v);
    size_t cap = 0;
    for (int i = 0; i < TXT_N_SPECIAL; i++)
        if (add_word(v, SPECIAL[i], &cap) != 0) goto oom;
    /* count every word; counts[id] grows with the vocabulary */
    size_t *counts = NULL, counts_cap = 0;
    for (size_t c = 0; c < n; c++) {
        const char *s = captions[c];
        char word[TXT_MAX_WORD + 1];
        while (next_word(&s, word)) {
            int id = txt_vocab_id(v, word);
            if (id == TXT_UNK && strcmp(word, "<unk>") != 0) {
                if (v->size >= TXT_MAX_VOCAB * 4 || add_word(v, word, &cap) != 0) {
                    free(counts);
                    goto oom;
                }
                id = (int)v->size - 1;
            }
            if ((size_t)id >= counts_cap) {
                size_t ncap = counts_cap ? counts_cap * 2 : 256;
                while (ncap <= (size_t)id) ncap *= 2;
                size_t *nc = realloc(counts, ncap * sizeof *nc);
                if (!nc) {
                    free(counts);
                    goto oom;
                }
                memset(nc + counts_cap, 0, (ncap - counts_cap) * sizeof *nc);
                counts = nc;
                counts_cap = ncap;
            }
            counts[id]++;
        }
    }
    /* keep the special tokens and the words seen often enough, in first-seen order */
    txt_vocab kept;
    memset(&kept, 0, sizeof kept);
    size_t kept_cap = 0;
    for (size_t id = 0; id < v->size; id++) {
        int keep = id < TXT_N_SPECIAL || (id < counts_cap && counts[id] >= min_count);
        if (keep && add_word(&kept, v->words[id], &kept_cap) != 0) {
            free(counts);
            txt_vocab_free(&kept);
            goto oom;
        }
    }
    free(counts);
    txt_vocab_free(v);
    *v = kept;
    if (v->size > TXT_MAX_VOCAB) {
        txt_vocab_free(v);
        return nn_fail(err, "vocabulary of %zu words is larger than %d", v->size, TXT_MAX_VOCAB);
    }
    return 0;
oom:
    txt_vocab_free(v);
    return nn_fail(err, "out of memory while building the vocabulary");
}

char *txt_vocab_join(const txt_vocab *v) {
    size_t len = 1;
    for (size_t i = 0; i < v->size; i++) len += strlen(v->words[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out) return NULL;
    for (size_t i = 0; i < v->size; i++) {
        size_t n = strlen(v->words[i]);
        memcpy(p, v->words[i], n);
        p += n;
        if (i + 1 < v->size) *p++ = '\n';
    }
    *p = 0;
    return out;
}

int txt_vocab_id(const txt_vocab *v, const char *word) {
    if (!v->slots) return TXT_UNK;
    int id = v->slots[find_slot(v, word)];
    return id >= 0 ? id : TXT_UNK;
}

size_t txt_tokenize(const txt_vocab *v, const char *caption, int *ids, size_t max) {
    size_t n = 0;
    char word[TXT_MAX_WORD + 1];
    while (next_word(&caption, word)) {
        if (n < max) ids[n] = txt_vocab_id(v, word);
        n++;
    }
    return n;
}

size_t txt_detokenize(const txt_vocab *v, const int *ids, size_t n, char *out, size_t cap) {
    size_t len = 0;
    if (cap) out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == TXT_EOS) break;
        if (ids[i] == TXT_PAD || ids[i] == TXT_BOS) continue;
        const char *w = (ids[i] >= 0 && (size_t)ids[i] < v->size) ? v->words[ids[i]] : "<unk>";
        size_t wl = strlen(w);
        size_t need = len + (len ? 1 : 0) + wl;
        if (need < cap) {
            if (len) out[len] = ' ';
            memcpy(out + len + (len ? 1 : 0), w, wl);
            out[need] = 0;
        }
        len = need;
    }
    return len;
}

void txt_vocab_free(txt_vocab *v) {
    for (size_t i = 0; i < v->size; i++) free(v->words[i]);
    free(v->words);
    free(v->slots);
    memset(v, 0, sizeof *v);
}
