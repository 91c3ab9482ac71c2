/* fuzz_model_meta.c — libFuzzer target for a model file's metadata (model/config.c and the
 * 'vocab' and 'align_heads' entries read by model/model.c).
 *
 * The input is text, one "key=value" pair a line ("\n" inside a value is written as the
 * two characters \ n). The pairs become the __metadata__ of a safetensors file. When
 * they describe a small valid model, the file also gets every tensor that model needs
 * (zeros), so the load goes on to the tensors and the alignment heads; otherwise the
 * file holds no tensor and the load must refuse it. Either way xcap_model_load_file
 * reads it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "model/model.h"

#define MAX_PAIRS 32
#define SMALL_MODEL 65536 /* parameters at most for the harness to write the tensors */

/* Splits text (modified in place) into key/value pairs; unescapes "\n" in values. */
static size_t split_pairs(char *text, const char **keys, const char **values) {
    size_t n = 0;
    for (char *line = text; line && *line && n < MAX_PAIRS;) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            char *w = eq + 1;
            for (const char *r = eq + 1; *r; r++) {
                if (r[0] == '\\' && r[1] == 'n') {
                    *w++ = '\n';
                    r++;
                } else {
                    *w++ = *r;
                }
            }
            *w = '\0';
            int dup = 0;
            for (size_t i = 0; i < n; i++) dup |= strcmp(keys[i], line) == 0;
            if (!dup && *line) {
                keys[n] = line;
                values[n++] = eq + 1;
            }
        }
        line = next;
    }
    return n;
}

/* The model the metadata describes, when it is valid and small; else NULL. */
static xcap_model *described_model(const char *const *keys, const char *const *values, size_t n) {
    const char *path = fuzz_temp_file((const uint8_t *)"", 0, ".safetensors");
    nn_error err;
    if (nn_st_write(path, NULL, 0, keys, values, n, &err) != 0) return NULL;
    nn_st_reader *r = nn_st_open(path, &err);
    if (!r) return NULL;
    xcap_config cfg;
    txt_vocab vocab;
    const char *words = nn_st_meta(r, "vocab");
    xcap_model *m = NULL;
    if (xcap_config_from_meta(&cfg, r, path, &err) == 0 && words &&
        txt_vocab_from_lines(&vocab, words, &err) == 0) {
        xcap_model probe; /* the tensor table alone, to size the model before making it */
        memset(&probe, 0, sizeof probe);
        probe.cfg = cfg;
        probe.cfg.vocab_size = vocab.size;
        if (xcap_config_validate(&probe.cfg, &err) == 0 && xcap_model_build_layout(&probe, &err) == 0 &&
            probe.layout.total <= SMALL_MODEL)
            m = xcap_model_create(&cfg, &vocab, 1, &err); /* takes the vocabulary */
        nn_layout_free(&probe.layout);
        txt_vocab_free(&vocab);
    }
    nn_st_close(r);
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_cstring(data, size);
    const char *keys[MAX_PAIRS], *values[MAX_PAIRS];
    size_t n = split_pairs(text, keys, values);
    const char *path = fuzz_temp_file((const uint8_t *)"", 0, ".safetensors");
    nn_error err;
    xcap_model *small = described_model(keys, values, n);
    nn_st_entry *entries = NULL;
    size_t n_entries = 0;
    float *zeros = NULL;
    if (small) {
        n_entries = small->layout.count;
        entries = calloc(n_entries, sizeof *entries);
        zeros = calloc(small->layout.total ? small->layout.total : 1, sizeof *zeros);
        if (!entries || !zeros) abort();
        for (size_t i = 0; i < n_entries; i++) {
            const nn_tensor *t = &small->layout.tensors[i];
            entries[i] = (nn_st_entry){t->name, t->ndim, {t->shape[0], t->shape[1]}, zeros};
        }
    }
    if (nn_st_write(path, entries, n_entries, keys, values, n, &err) == 0) {
        xcap_model *m = xcap_model_load_file(path, &err);
        if (!m && strchr(err.msg, '\n')) abort(); /* messages are one line */
        xcap_model_free(m);
    }
    free(entries);
    free(zeros);
    xcap_model_free(small);
    free(text);
    return 0;
}
