/* attention_parts.h — what the two forms of attention (attention.c: the K/V form and the
 * decode step; attention_reassoc.c: the reassociated form) share. Internal to attention/. */
#ifndef XCAP_ATTENTION_ATTENTION_PARTS_H
#define XCAP_ATTENTION_ATTENTION_PARTS_H

#include "attention/attention.h"

/* What the per-head work of one attention call needs (forward or backward): kv and dkv
 * are the key/value source and its gradient (the reassociated form reads them per head);
 * scale is 1/sqrt(d_head) for the K/V form's per-head products (the reassociated form
 * has it folded into qk already and leaves it 0). */
typedef struct {
    const attn_acts *a;
    attn_scratch *sc;
    const attn_shape *s;
    const float *kv;
    float *dkv;
    float scale;
} attn_heads_job;

/* Sets masked scores of one [T, N] head matrix of sequence b to -INFINITY. */
void attn_apply_mask(float *scores, const attn_shape *s, size_t b);

/* dP [T, N] of head h of sequence b becomes dS (the gradient of the scores before
 * softmax), in place, with the alignment loss's gradient added when h is supervised. */
void attn_scores_backward(float *dp, const float *p, const attn_shape *s, size_t b, size_t h);

/* attn_forward and attn_backward in the reassociated form (same arguments). */
void attn_forward_reassociated(float *out, attn_acts *a, const float *xq, const float *xkv,
                               const float *params, const attn_weights *w, const attn_shape *s);
void attn_backward_reassociated(float *dxq, float *dxkv, float *grads, const float *dout,
                                const attn_acts *a, attn_scratch *sc, const float *xq,
                                const float *xkv, const float *params, const attn_weights *w,
                                const attn_shape *s);

#endif
