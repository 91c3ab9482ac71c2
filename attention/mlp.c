/* mlp.c — feed-forward block forward/backward. */
#include "attention/mlp.h"

#include <stdio.h>

#include "nn/ops.h"

void mlp_layout(mlp_weights *w, nn_layout *L, const char *prefix, size_t d, size_t ff,
                float proj_std) {
    char p[NN_NAME_MAX];
    snprintf(p, sizeof p, "%s.fc", prefix);
    w->fc_w = nn_layout_add(L, p, "w", ff, d, 1, NN_INIT_NORMAL, 0.02f);
    w->fc_b = nn_layout_add(L, p, "b", ff, 0, 0, NN_INIT_ZERO, 0);
    snprintf(p, sizeof p, "%s.proj", prefix);
    w->proj_w = nn_layout_add(L, p, "w", d, ff, 1, NN_INIT_NORMAL, proj_std);
    w->proj_b = nn_layout_add(L, p, "b", d, 0, 0, NN_INIT_ZERO, 0);
}

void mlp_acts_take(mlp_acts *a, nn_arena *ar, size_t n, size_t ff) {
    a->fc = nn_arena_take(ar, n * ff);
    a->act = nn_arena_take(ar, n * ff);
}

void mlp_forward(float *out, mlp_acts *a, const float *x, const float *params,
                 const mlp_weights *w, size_t n, size_t d, size_t ff) {
    nn_linear_forward(a->fc, x, params + w->fc_w, params + w->fc_b, n, d, ff);
    nn_gelu_forward(a->act, a->fc, n * ff);
    nn_linear_forward(out, a->act, params + w->proj_w, params + w->proj_b, n, ff, d);
}

void mlp_backward(float *dx, float *grads, float *dact_scratch, const float *dout,
                  const mlp_acts *a, const float *x, const float *params, const mlp_weights *w,
                  size_t n, size_t d, size_t ff) {
    nn_linear_backward_to(dact_scratch, grads + w->proj_w, grads + w->proj_b, dout, a->act,
                       params + w->proj_w, n, ff, d);
    /* GELU backward in place: the pre-activation gradient replaces dact */
    float *dfc = dact_scratch;
    nn_gelu_backward_inplace(dfc, a->fc, n * ff);
    nn_linear_backward(dx, grads + w->fc_w, grads + w->fc_b, dfc, x, params + w->fc_w, n, d, ff);
}
