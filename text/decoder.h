/* decoder.h — the transformer text decoder. Per layer: pre-LN causal self-attention,
 * pre-LN CROSS-ATTENTION (queries from the words, keys/values from the image memory),
 * pre-LN GELU MLP; then a final layer norm and the projection to the vocabulary.
 *
 * Two ways to run it:
 *  - teacher forcing over whole sequences (training, scoring): txt_decoder_forward /
 *    txt_decoder_backward, activations from an arena;
 *  - one token at a time for generation: txt_decoder_step with a txt_decoder_cache
 *    that holds every layer's cross-attention K/V (computed once per image by
 *    txt_decoder_prepare_cross) and self-attention K/V (appended step by step).
 * Position t reads token t and predicts token t+1; the cross-attention computed at
 * position t is the map of the token it predicts. */
#ifndef XCAP_TEXT_DECODER_H
#define XCAP_TEXT_DECODER_H

#include <stddef.h>

#include "attention/block.h"

#define TXT_MAX_LAYERS 16

typedef struct {
    size_t d, heads, layers, ff;
    size_t vocab;       /* V */
    size_t max_tokens;  /* positions, <bos> included */
    size_t n_patches;   /* N: rows of the memory */
} txt_decoder_dims;

typedef struct {
    blk_attn_weights self, cross;
    blk_mlp_weights mlp;
} txt_decoder_layer;

typedef struct {
    size_t tok, pos;
    txt_decoder_layer layer[TXT_MAX_LAYERS];
    ln_weights ln;
    size_t head_w, head_b;
} txt_decoder_weights;

typedef struct {
    size_t batch, t;
    float *embed;                          /* [B, T, d] */
    blk_attn_acts self[TXT_MAX_LAYERS];    /* self[i].attn.probs: [B, H, T, T] */
    blk_attn_acts cross[TXT_MAX_LAYERS];   /* cross[i].attn.probs: [B, H, T, N] — the maps */
    blk_mlp_acts mlp[TXT_MAX_LAYERS];
    ln_acts ln;
    float *logits;                         /* [B, T, V] */
    float *probs;                          /* [B, T, V] softmax, filled by txt_decoder_loss */
    float *losses;                         /* [B, T] */
} txt_decoder_acts;

/* Appends the decoder's tensors (MODEL.md names "dec.*"). */
void txt_decoder_layout(txt_decoder_weights *w, nn_layout *L, const txt_decoder_dims *dm);

/* Takes activations for batch sequences of t positions (t <= max_tokens). */
void txt_decoder_acts_take(txt_decoder_acts *a, nn_arena *ar, const txt_decoder_dims *dm,
                           size_t batch, size_t t);

/* Teacher-forced forward: tokens [B, T], lengths [B] (non-pad inputs per sequence),
 * memory [B, N, d] → a->logits. */
void txt_decoder_forward(txt_decoder_acts *a, const int *tokens, const int *lengths,
                         const float *memory, const float *params, const txt_decoder_weights *w,
                         const txt_decoder_dims *dm, size_t batch, size_t t);

/* Mean cross-entropy of a->logits against targets [B, T] (<pad> ignored); stores
 * probs and losses for the backward pass; *count gets the positions counted. */
float txt_decoder_loss(txt_decoder_acts *a, size_t *count, const int *targets,
                       const txt_decoder_dims *dm, size_t batch, size_t t);

/* Backward of loss (mean over count positions): grads += ..., dmemory += ... .
 * dx_a, dx_b are [B, T, d] scratch streams; dlogits is [B, T, V] scratch.
 * cross_targets (NULL = none) holds per layer an alignment-loss target of one
 * cross-attention head (an entry with rows == NULL supervises nothing). */
void txt_decoder_backward(float *grads, float *dmemory, float *dx_a, float *dx_b, float *dlogits,
                          blk_scratch *sc, const txt_decoder_acts *a, const int *tokens,
                          const int *lengths, const int *targets, size_t count,
                          const attn_target *cross_targets,
                          const float *memory, const float *params, const txt_decoder_weights *w,
                          const txt_decoder_dims *dm, size_t batch, size_t t);

/* The attention shapes of a teacher-forced batch. */
attn_shape txt_decoder_self_shape(const txt_decoder_dims *dm, const int *lengths, size_t batch,
                                  size_t t);
attn_shape txt_decoder_cross_shape(const txt_decoder_dims *dm, size_t batch, size_t t);

/* --- generation ------------------------------------------------------------ */

typedef struct {
    size_t rows_max, images_max;
    /* keys are kept transposed (channel-major) for attn_step: */
    float *self_kt;            /* [L, rows_max, d, max_tokens] */
    float *self_v;             /* [L, rows_max, max_tokens, d] */
    float *cross_kt;           /* [L, d, images_max * N]: row c holds channel c of every
                                  image's keys, image i at columns i*N .. i*N+N-1 */
    float *cross_v;            /* [L, images_max, N, d] */
    float *x, *h, *q, *ctx, *tmp;  /* [rows_max, d] */
    float *qkv;                /* [rows_max, 3d]: the fused self-attention projection */
    float *mean, *rstd;        /* [rows_max] */
    float *ff;                 /* [rows_max, ff] */
    float *self_probs;         /* [rows_max, H, max_tokens] */
    float *cross_probs;        /* [rows_max, L, H, N]: the maps of the last step */
    float *logits;             /* [rows_max, V]: the output of the last step */
    float *reorder;            /* [rows_max, max_tokens, d] */
} txt_decoder_cache;

/* Takes a cache for up to rows_max sequences decoded at once over images_max images. */
void txt_decoder_cache_take(txt_decoder_cache *c, nn_arena *ar, const txt_decoder_dims *dm,
                            size_t rows_max, size_t images_max);

/* Computes every layer's cross-attention K and V of n_images memories [n, N, d], once. */
void txt_decoder_prepare_cross(txt_decoder_cache *c, const float *memory, size_t n_images,
                               const float *params, const txt_decoder_weights *w,
                               const txt_decoder_dims *dm);

/* Runs position pos for `rows` sequences: row r reads tokens[r] and attends to image
 * image_of_row[r]. Fills c->logits [rows, V] and c->cross_probs [rows, L, H, N]. */
void txt_decoder_step(txt_decoder_cache *c, const int *tokens, const int *image_of_row,
                      size_t pos, size_t rows, const float *params, const txt_decoder_weights *w,
                      const txt_decoder_dims *dm);

/* Beam search: row r's self-attention cache becomes a copy of row parent[r]'s
 * (positions 0..len-1). */
void txt_decoder_cache_reorder(txt_decoder_cache *c, const int *parent, size_t rows, size_t len,
                               const txt_decoder_dims *dm);

#endif
