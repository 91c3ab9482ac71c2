/* block.h — the pre-LN residual sublayers that transformer blocks are made of:
 *
 *   attention sublayer:  out = x + MHA(LN(x), kv)    kv = LN(x) (self) or a memory (cross)
 *   MLP sublayer:        out = x + MLP(LN(x))
 *
 * The encoder block is [self-attention, MLP]; the decoder block is
 * [causal self-attention, cross-attention, MLP]. Weights are offsets into the
 * parameter buffer; activations and scratch come from an arena (nn/arena.h). */
#ifndef XCAP_ATTENTION_BLOCK_H
#define XCAP_ATTENTION_BLOCK_H

#include <stddef.h>

#include "attention/attention.h"
#include "attention/mlp.h"

typedef struct {
    size_t w, b;
} ln_weights;

typedef struct {
    float *out, *mean, *rstd;
} ln_acts;

typedef struct {
    ln_weights ln;
    attn_weights attn;
} blk_attn_weights;

typedef struct {
    ln_acts ln;
    attn_acts attn;
    float *out;  /* [B, T, d] x + attention */
} blk_attn_acts;

typedef struct {
    ln_weights ln;
    mlp_weights mlp;
} blk_mlp_weights;

typedef struct {
    ln_acts ln;
    mlp_acts mlp;
    float *out;  /* [n, d] x + MLP */
} blk_mlp_acts;

/* Backward scratch shared by all sublayers of a stack (sized for the largest). */
typedef struct {
    attn_scratch attn;
    float *delta;  /* [rows, d] output of the inner function */
    float *dln;    /* [rows, d] gradient at the LN output */
    float *dff;    /* [rows, ff] */
} blk_scratch;

/* Appends "prefix.w", "prefix.b" of a layer norm of width d. */
void ln_layout(ln_weights *w, nn_layout *L, const char *prefix, size_t d);
void ln_acts_take(ln_acts *a, nn_arena *ar, size_t rows, size_t d);
/* a->out = LN(x). */
void ln_forward(ln_acts *a, const float *x, const float *params, const ln_weights *w, size_t rows,
                size_t d);
/* dx += ..., grads += ... */
void ln_backward(float *dx, float *grads, const float *dout, const ln_acts *a, const float *x,
                 const float *params, const ln_weights *w, size_t rows, size_t d);

/* Appends "<ln_name>.w/b" and "<attn_name>.*". */
void blk_attn_layout(blk_attn_weights *w, nn_layout *L, const char *ln_name,
                     const char *attn_name, size_t d, float out_std);
void blk_attn_acts_take(blk_attn_acts *a, nn_arena *ar, const attn_shape *s);
/* a->out = x + MHA(LN(x), memory ? memory : LN(x)). */
void blk_attn_forward(blk_attn_acts *a, const float *x, const float *memory, const float *params,
                      const blk_attn_weights *w, const attn_shape *s);
/* dx += d/dx, dmemory += d/dmemory (cross only), grads += ... */
void blk_attn_backward(float *dx, float *dmemory, float *grads, const float *dout,
                       const blk_attn_acts *a, blk_scratch *sc, const float *x,
                       const float *memory, const float *params, const blk_attn_weights *w,
                       const attn_shape *s);

/* Appends "<ln_name>.w/b" and "<mlp_name>.fc/proj". */
void blk_mlp_layout(blk_mlp_weights *w, nn_layout *L, const char *ln_name, const char *mlp_name,
                    size_t d, size_t ff, float proj_std);
void blk_mlp_acts_take(blk_mlp_acts *a, nn_arena *ar, size_t rows, size_t d, size_t ff);
/* a->out = x + MLP(LN(x)). */
void blk_mlp_forward(blk_mlp_acts *a, const float *x, const float *params,
                     const blk_mlp_weights *w, size_t rows, size_t d, size_t ff);
void blk_mlp_backward(float *dx, float *grads, const float *dout, const blk_mlp_acts *a,
                      blk_scratch *sc, const float *x, const float *params,
                      const blk_mlp_weights *w, size_t rows, size_t d, size_t ff);

/* Takes backward scratch for each of the `count` attention shapes (one at a time) and
 * for up to `rows` rows of width d and MLP width ff. */
void blk_scratch_take(blk_scratch *sc, nn_arena *ar, const attn_shape *shapes, size_t count,
                      size_t rows, size_t d, size_t ff);

#endif
