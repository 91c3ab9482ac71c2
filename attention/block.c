/* block.c — pre-LN residual sublayers (layer norm, attention, MLP) forward and backward. */
#include "attention/block.h"

#include <string.h>

#include "nn/ops.h"

void ln_layout(ln_weights *w, nn_layout *L, const char *prefix, size_t d) {
    w->w = nn_layout_add(L, prefix, "w", d, 0, 0, NN_INIT_ONE, 0);
    w->b = nn_layout_add(L, prefix, "b", d, 0, 0, NN_INIT_ZERO, 0);
}

void ln_acts_take(ln_acts *a, nn_arena *ar, size_t rows, size_t d) {
    a->out = nn_arena_take(ar, rows * d);
    a->mean = nn_arena_take(ar, rows);
    a->rstd = nn_arena_take(ar, rows);
}

void ln_forward(ln_acts *a, const float *x, const float *params, const ln_weights *w, size_t rows,
                size_t d) {
    nn_layernorm_forward(a->out, a->mean, a->rstd, x, params + w->w, params + w->b, rows, d);
}

void ln_backward(float *dx, float *grads, const float *dout, const ln_acts *a, const float *x,
                 const float *params, const ln_weights *w, size_t rows, size_t d) {
    nn_layernorm_backward(dx, grads + w->w, grads + w->b, dout, x, params + w->w, a->mean, a->rstd,
                          rows, d);
}

void blk_attn_layout(blk_attn_weights *w, nn_layout *L, const char *ln_name,
                     const char *attn_name, size_t d, float out_std) {
    ln_layout(&w->ln, L, ln_name, d);
    attn_layout(&w->attn, L, attn_name, d, out_std);
}

void blk_attn_acts_take(blk_attn_acts *a, nn_arena *ar, const attn_shape *s) {
    ln_acts_take(&a->ln, ar, s->batch * s->t, s->d);
    attn_acts_take(&a->attn, ar, s);
    a->out = nn_arena_take(ar, s->batch * s->t * s->d);
}

void blk_attn_forward(blk_attn_acts *a, const float *x, const float *memory, const float *params,
                      const blk_attn_weights *w, const attn_shape *s) {
    size_t rows = s->batch * s->t;
    ln_forward(&a->ln, x, params, &w->ln, rows, s->d);
    attn_forward(a->out, &a->attn, a->ln.out, memory ? memory : a->ln.out, params, &w->attn, s);
    nn_residual_forward(a->out, a->out, x, rows * s->d);
}

void blk_attn_backward(float *dx, float *dmemory, float *grads, const float *dout,
                       const blk_attn_acts *a, blk_scratch *sc, const float *x,
                       const float *memory, const float *params, const blk_attn_weights *w,
                       const attn_shape *s) {
    size_t rows = s->batch * s->t;
    memset(sc->dln, 0, rows * s->d * sizeof(float));
    const float *kv = memory ? memory : a->ln.out;
    attn_backward(sc->dln, memory ? dmemory : sc->dln, grads, dout, &a->attn, &sc->attn, a->ln.out,
                  kv, params, &w->attn, s);
    ln_backward(dx, grads, sc->dln, &a->ln, x, params, &w->ln, rows, s->d);
    nn_residual_forward(dx, dx, dout, rows * s->d);  /* the residual path: dx += dout */
}

void blk_mlp_layout(blk_mlp_weights *w, nn_layout *L, const char *ln_name, const char *mlp_name,
                    size_t d, size_t ff, float proj_std) {
    ln_layout(&w->ln, L, ln_name, d);
    mlp_layout(&w->mlp, L, mlp_name, d, ff, proj_std);
}

void blk_mlp_acts_take(blk_mlp_acts *a, nn_arena *ar, size_t rows, size_t d, size_t ff) {
    ln_acts_take(&a->ln, ar, rows, d);
    mlp_acts_take(&a->mlp, ar, rows, ff);
    a->out = nn_arena_take(ar, rows * d);
}

void blk_mlp_forward(blk_mlp_acts *a, const float *x, const float *params,
                     const blk_mlp_weights *w, size_t rows, size_t d, size_t ff) {
    ln_forward(&a->ln, x, params, &w->ln, rows, d);
    mlp_forward(a->out, &a->mlp, a->ln.out, params, &w->mlp, rows, d, ff);
    nn_residual_forward(a->out, a->out, x, rows * d);
}

void blk_mlp_backward(float *dx, float *grads, const float *dout, const blk_mlp_acts *a,
                      blk_scratch *sc, const float *x, const float *params,
                      const blk_mlp_weights *w, size_t rows, size_t d, size_t ff) {
    memset(sc->dln, 0, rows * d * sizeof(float));
    mlp_backward(sc->dln, grads, sc->dff, dout, &a->mlp, a->ln.out, params, &w->mlp, rows, d, ff);
    ln_backward(dx, grads, sc->dln, &a->ln, x, params, &w->ln, rows, d);
    nn_residual_forward(dx, dx, dout, rows * d);  /* the residual path: dx += dout */
}

void blk_scratch_take(blk_scratch *sc, nn_arena *ar, const attn_shape *shapes, size_t count,
                      size_t rows, size_t d, size_t ff) {
    attn_scratch_take(&sc->attn, ar, shapes, count);
    sc->delta = nn_arena_take(ar, rows * d);
    sc->dln = nn_arena_take(ar, rows * d);
    sc->dff = nn_arena_take(ar, rows * ff);
}
