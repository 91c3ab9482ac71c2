/* model.h — the captioner as a whole (internal to the library): its config, its
 * vocabulary, its parameter layout and the one contiguous parameter buffer.
 * An xcap_model is read-only once built, so threads may share it; each thread
 * uses its own context. Whoever calls xcap_model_create/xcap_model_load calls
 * xcap_model_free. */
#ifndef XCAP_MODEL_MODEL_H
#define XCAP_MODEL_MODEL_H

#include <stdint.h>

#include "model/config.h"
#include "nn/layout.h"
#include "nn/safetensors.h"
#include "text/vocab.h"

#define XCAP_MAX_ALIGN_HEADS 16

struct xcap_model {
    xcap_config cfg;
    txt_vocab vocab;
    nn_layout layout;
    vis_encoder_weights enc;
    txt_decoder_weights dec;
    float *params;                       /* layout.total floats, owned */
    size_t n_align;                      /* alignment heads named by the model file */
    int align_layer[XCAP_MAX_ALIGN_HEADS], align_head[XCAP_MAX_ALIGN_HEADS];
};
typedef struct xcap_model xcap_model;

/* A new model with random weights (seeded); takes ownership of *vocab (left empty). */
xcap_model *xcap_model_create(const xcap_config *cfg, txt_vocab *vocab, uint64_t seed,
                              nn_error *err);

/* Loads a model file (safetensors with the config and vocabulary in __metadata__). */
xcap_model *xcap_model_load_file(const char *path, nn_error *err);

/* Saves the model atomically (temporary file + rename). */
int xcap_model_save_file(const xcap_model *m, const char *path, nn_error *err);

/* Writes the model plus n_extra more tensors and one more metadata pair (extra_key may be
 * NULL) atomically; checkpoints use it to add the optimiser state. */
int xcap_model_write(const xcap_model *m, const char *path, const nn_st_entry *extra,
                     size_t n_extra, const char *extra_key, const char *extra_value,
                     nn_error *err);

/* Builds the tensor layout for cfg into m (cfg.vocab_size must be set). */
int xcap_model_build_layout(xcap_model *m, nn_error *err);

/* Parses "l:h,l:h,..." (layers < n_layers, heads < n_heads, at most max pairs) into
 * layer[], head[] and *n; -1 when s is not such a list. */
int xcap_parse_heads(int *layer, int *head, size_t *n, size_t max, const char *s,
                     size_t n_layers, size_t n_heads);

void xcap_model_free(xcap_model *m);

#endif
