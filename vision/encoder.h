/* encoder.h — the image encoder: patch embedding + position embedding, 0 or more
 * pre-LN self-attention blocks, and a final layer norm. Its output, the memory
 * M [N, d] per image, is the key/value source of every decoder cross-attention.
 * Weights are offsets into the parameter buffer; activations come from an arena. */
#ifndef XCAP_VISION_ENCODER_H
#define XCAP_VISION_ENCODER_H

#include <stddef.h>

#include "attention/block.h"

#define VIS_MAX_LAYERS 16

typedef struct {
    size_t n_patches;  /* N */
    size_t patch_dim;  /* 3 P^2 */
    size_t d, heads, layers, ff;
    size_t edge_dim;   /* P^2 when the edge channel (vision/patch_edges.h) is on, else 0 */
    size_t grid_w, patch;  /* the patch grid (needed by the edge channel) */
} vis_encoder_dims;

typedef struct {
    blk_attn_weights attn;
    blk_mlp_weights mlp;
} vis_encoder_layer;

typedef struct {
    size_t patch_w, patch_b, pos;
    size_t edge_w;     /* "enc.edge.w" [d, P^2], present when dims.edge_dim > 0 */
    vis_encoder_layer layer[VIS_MAX_LAYERS];
    ln_weights ln;
} vis_encoder_weights;

typedef struct {
    size_t batch;
    float *edges;                        /* [B, N, P^2] the edge channel (edge_dim > 0) */
    float *edge_scratch;                 /* [B, N, 3P^2] scratch of vis_patch_edges (a slot per
                                            part of the pool's job; see encoder.c) */
    float *embed;                        /* [B, N, d] patch (+ edge) + position embedding */
    blk_attn_acts attn[VIS_MAX_LAYERS];
    blk_mlp_acts mlp[VIS_MAX_LAYERS];
    ln_acts ln;                          /* ln.out is the memory [B, N, d] */
} vis_encoder_acts;

/* The embedding of each patch is W_patch · pixels + b (+ W_edge · edges when the edge
 * channel is on) + the position embedding. */

/* Appends the encoder's tensors (MODEL.md names "enc.*"). */
void vis_encoder_layout(vis_encoder_weights *w, nn_layout *L, const vis_encoder_dims *dm);
/* Takes the activations for a batch of `batch` images. */
void vis_encoder_acts_take(vis_encoder_acts *a, nn_arena *ar, const vis_encoder_dims *dm,
                           size_t batch);
/* The attention shape of the encoder's self-attention for a batch. */
attn_shape vis_encoder_shape(const vis_encoder_dims *dm, size_t batch);

/* Encodes patches [B, N, 3P^2] into a->ln.out, the memory [B, N, d]. */
void vis_encoder_forward(vis_encoder_acts *a, const float *patches, const float *params,
                         const vis_encoder_weights *w, const vis_encoder_dims *dm, size_t batch);

/* Backward from dmemory [B, N, d] into grads; dx_a/dx_b are [B, N, d] scratch streams.
 * dmemory is consumed (overwritten). */
void vis_encoder_backward(float *grads, float *dmemory, float *dx_a, float *dx_b, blk_scratch *sc,
                          const vis_encoder_acts *a, const float *patches, const float *params,
                          const vis_encoder_weights *w, const vis_encoder_dims *dm, size_t batch);

#endif
