/* config.h — the captioner's hyper-parameters, the presets of DESIGN.md, and their
 * round trip through a model file's __metadata__ (all values stored as strings). */
#ifndef XCAP_MODEL_CONFIG_H
#define XCAP_MODEL_CONFIG_H

#include <stddef.h>

#include "nn/error.h"
#include "nn/safetensors.h"
#include "text/decoder.h"
#include "vision/encoder.h"

typedef struct {
    size_t image_w, image_h, patch;
    size_t d_model, n_heads, enc_layers, dec_layers, d_ff, max_tokens;
    size_t vocab_size;  /* set from the vocabulary */
    size_t edge_features;  /* 1: the encoder also embeds the edge channel (vision/patch_edges.h) */
    size_t letterbox;      /* 1: pictures are scaled to fit the input with their aspect kept and
                              padded (vision/image.h); 0: stretched to the input */
} xcap_config;

/* Fills cfg with preset "S" (96², patch 8, d 128, 4 heads, no encoder blocks, 2 decoder
 * layers, FFN 512, 16 tokens, edge channel) or "M" (128², d 256, 8 heads, 4 + 4 layers,
 * FFN 1024, 24 tokens); vocab_size left 0; -1 for an unknown name. */
int xcap_config_preset(xcap_config *cfg, const char *name, nn_error *err);

/* Checks that the numbers make a model (divisibility, limits). */
int xcap_config_validate(const xcap_config *cfg, nn_error *err);

/* Reads the config from a model file's metadata (vocab_size is not read here). */
int xcap_config_from_meta(xcap_config *cfg, const nn_st_reader *r, const char *path,
                          nn_error *err);

/* Number of metadata entries xcap_config_to_meta writes; the entries from
 * XCAP_CONFIG_REQUIRED on ("edge_features", "letterbox") are optional when reading: files
 * without them have no edge channel and stretch pictures. */
#define XCAP_CONFIG_META 11
#define XCAP_CONFIG_REQUIRED 9
/* Formats the config as metadata: keys[i] are static, values[i] point into buf (11×24 bytes). */
void xcap_config_to_meta(const xcap_config *cfg, const char **keys, const char **values,
                         char buf[XCAP_CONFIG_META][24]);

size_t xcap_config_grid_w(const xcap_config *cfg);
size_t xcap_config_grid_h(const xcap_config *cfg);
size_t xcap_config_patches(const xcap_config *cfg);

/* The sizes the encoder and decoder work with. */
vis_encoder_dims xcap_config_encoder_dims(const xcap_config *cfg);
txt_decoder_dims xcap_config_decoder_dims(const xcap_config *cfg);

#endif
