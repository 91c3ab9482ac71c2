/* vocab.h — the vocabulary: words ⇄ ids, tokenizing and detokenizing captions.
 *
 * Ids 0..3 are <pad> <bos> <eos> <unk>. Captions are lower-cased and split on
 * white space; punctuation such as "," is a word of its own when it stands alone.
 * A txt_vocab owns its words; txt_vocab_free releases them. */
#ifndef XCAP_TEXT_VOCAB_H
#define XCAP_TEXT_VOCAB_H

#include <stddef.h>

#include "nn/error.h"

enum { TXT_PAD = 0, TXT_BOS = 1, TXT_EOS = 2, TXT_UNK = 3, TXT_N_SPECIAL = 4 };

#define TXT_MAX_WORD 64        /* bytes in one word, at most */
#define TXT_MAX_VOCAB 1000000  /* words in a vocabulary, at most */

typedef struct {
    char **words;   /* id → word */
    size_t size;
    int *slots;     /* open-addressing hash: word → id, -1 empty */
    size_t n_slots;
} txt_vocab;

/* Builds the vocabulary from words separated by '\n' (the model file's form); the
 * first four must be the special tokens. */
int txt_vocab_from_lines(txt_vocab *v, const char *lines, nn_error *err);

/* Builds a vocabulary from captions: the special tokens, then every word seen at
 * least min_count times, in order of first appearance. */
int txt_vocab_build(txt_vocab *v, const char *const *captions, size_t n, size_t min_count,
                    nn_error *err);

/* The words joined by '\n' (malloc'd; the caller frees), or NULL when out of memory. */
char *txt_vocab_join(const txt_vocab *v);

/* The id of word (exact match), or TXT_UNK. */
int txt_vocab_id(const txt_vocab *v, const char *word);

/* Tokenizes caption into at most max ids (lower case, split on white space); returns
 * the number of words in the caption, which may exceed max (then only max are stored). */
size_t txt_tokenize(const txt_vocab *v, const char *caption, int *ids, size_t max);

/* Writes the words of ids (stopping at <eos>, skipping <pad>/<bos>) joined by single
 * spaces into out (cap bytes, always terminated); returns the length it needed. */
size_t txt_detokenize(const txt_vocab *v, const int *ids, size_t n, char *out, size_t cap);

void txt_vocab_free(txt_vocab *v);

#endif
