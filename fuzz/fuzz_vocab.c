/* fuzz_vocab.c — libFuzzer target for the vocabulary parser (text/vocab.c): the input is
 * the '\n'-separated word list a model file keeps in its 'vocab' metadata. An accepted
 * vocabulary must join back to the same text, and the input, read as a caption, must
 * tokenize and detokenize without trouble. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "text/vocab.h"

/* Fails loudly when the parser breaks one of its own promises. */
static void expect(int ok) {
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_cstring(data, size);
    txt_vocab v;
    nn_error err;
    if (txt_vocab_from_lines(&v, text, &err) != 0) {
        expect(strchr(err.msg, '\n') == NULL);
        free(text);
        return 0;
    }
    expect(v.size >= TXT_N_SPECIAL);
    char *joined = txt_vocab_join(&v);
    expect(joined != NULL);
    /* the parser stops at a NUL, and a trailing '\n' ends the last word */
    size_t len = strlen(text);
    if (len && text[len - 1] == '\n') len--;
    expect(strlen(joined) == len && memcmp(joined, text, len) == 0);
    free(joined);
    for (size_t i = 0; i < v.size; i++) expect(txt_vocab_id(&v, v.words[i]) == (int)i);
    int ids[64];
    size_t n = txt_tokenize(&v, text, ids, 64);
    char out[256];
    (void)txt_detokenize(&v, ids, n < 64 ? n : 64, out, sizeof out);
    txt_vocab_free(&v);
    free(text);
    return 0;
}
