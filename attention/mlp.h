/* mlp.h — the transformer's feed-forward part: proj(GELU(fc(x))). Weights by offset. */
#ifndef XCAP_ATTENTION_MLP_H
#define XCAP_ATTENTION_MLP_H

#include <stddef.h>

#include "nn/arena.h"
#include "nn/layout.h"

typedef struct {
    size_t fc_w, fc_b, proj_w, proj_b;
} mlp_weights;

typedef struct {
    float *fc;    /* [n, ff] before GELU */
    float *act;   /* [n, ff] after GELU */
} mlp_acts;

/* Appends "prefix.fc.w/b" and "prefix.proj.w/b"; proj_std is the init std of proj.w. */
void mlp_layout(mlp_weights *w, nn_layout *L, const char *prefix, size_t d, size_t ff,
                float proj_std);
/* Takes buffers for n rows from an arena. */
void mlp_acts_take(mlp_acts *a, nn_arena *ar, size_t n, size_t ff);
/* out[n, d] = proj(GELU(fc(x))). */
void mlp_forward(float *out, mlp_acts *a, const float *x, const float *params,
                 const mlp_weights *w, size_t n, size_t d, size_t ff);
/* dx += ..., grads += ...; dact_scratch is [n, ff] and is overwritten. */
void mlp_backward(float *dx, float *grads, float *dact_scratch, const float *dout,
                  const mlp_acts *a, const float *x, const float *params, const mlp_weights *w,
                  size_t n, size_t d, size_t ff);

#endif
