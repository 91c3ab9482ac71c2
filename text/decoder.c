/* decoder.c — the decoder's tensors and its teacher-forced forward and backward. */
#include "text/decoder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/ops.h"
#include "text/vocab.h"

void txt_decoder_layout(txt_decoder_weights *w, nn_layout *L, const txt_decoder_dims *dm) {
    size_t d = dm->d;
    float out_std = 0.02f / sqrtf(2.0f * (float)dm->layers);
    w->tok = nn_layout_add(L, "dec", "tok", dm->vocab, d, 0, NN_INIT_NORMAL, 0.02f);
    w->pos = nn_layout_add(L, "dec", "pos", dm->max_tokens, d, 0, NN_INIT_NORMAL, 0.02f);
    for (size_t i = 0; i < dm->layers; i++) {
        char a[32], b[32];
        txt_decoder_layer *ly = &w->layer[i];
        snprintf(a, sizeof a, "dec.%zu.ln1", i);
        snprintf(b, sizeof b, "dec.%zu.self", i);
        blk_attn_layout(&ly->self, L, a, b, d, out_std);
        snprintf(a, sizeof a, "dec.%zu.ln2", i);
        snprintf(b, sizeof b, "dec.%zu.xattn", i);
        blk_attn_layout(&ly->cross, L, a, b, d, out_std);
        snprintf(a, sizeof a, "dec.%zu.ln3", i);
        snprintf(b, sizeof b, "dec.%zu.mlp", i);
        blk_mlp_layout(&ly->mlp, L, a, b, d, dm->ff, out_std);
    }
    ln_layout(&w->ln, L, "dec.ln", d);
    w->head_w = nn_layout_add(L, "dec.head", "w", dm->vocab, d, 1, NN_INIT_NORMAL, 0.02f);
    w->head_b = nn_layout_add(L, "dec.head", "b", dm->vocab, 0, 0, NN_INIT_ZERO, 0);
}

attn_shape txt_decoder_self_shape(const txt_decoder_dims *dm, const int *lengths, size_t batch,
                                  size_t t) {
    attn_shape s = {batch, t, t, dm->d, dm->heads, 1, lengths, NULL, 0};
    return s;
}

attn_shape txt_decoder_cross_shape(const txt_decoder_dims *dm, size_t batch, size_t t) {
    /* the form is chosen for max_tokens, so that every t <= max_tokens uses the same form
     * (the buffers taken for max_tokens fit it) */
    int reassociate = attn_reassociation_pays(dm->max_tokens, dm->n_patches, dm->d, dm->heads);
    attn_shape s = {batch, t, dm->n_patches, dm->d, dm->heads, 0, NULL, NULL, reassociate};
    return s;
}

void txt_decoder_acts_take(txt_decoder_acts *a, nn_arena *ar, const txt_decoder_dims *dm,
                           size_t batch, size_t t) {
    size_t rows = batch * t;
    attn_shape ss = txt_decoder_self_shape(dm, NULL, batch, t);
    attn_shape cs = txt_decoder_cross_shape(dm, batch, t);
    a->batch = batch;
    a->t = t;
    a->embed = nn_arena_take(ar, rows * dm->d);
    for (size_t i = 0; i < dm->layers; i++) {
        blk_attn_acts_take(&a->self[i], ar, &ss);
        blk_attn_acts_take(&a->cross[i], ar, &cs);
        blk_mlp_acts_take(&a->mlp[i], ar, rows, dm->d, dm->ff);
    }
    ln_acts_take(&a->ln, ar, rows, dm->d);
    a->logits = nn_arena_take(ar, rows * dm->vocab);
    a->probs = nn_arena_take(ar, rows * dm->vocab);
    a->losses = nn_arena_take(ar, rows);
}

/* The residual stream entering layer i (the final LN's input when i == layers). */
static const float *stream_in(const txt_decoder_acts *a, size_t i) {
    return i == 0 ? a->embed : a->mlp[i - 1].out;
}

void txt_decoder_forward(txt_decoder_acts *a, const int *tokens, const int *lengths,
                         const float *memory, const float *params, const txt_decoder_weights *w,
                         const txt_decoder_dims *dm, size_t batch, size_t t) {
    size_t rows = batch * t, d = dm->d;
    attn_shape ss = txt_decoder_self_shape(dm, lengths, batch, t);
    attn_shape cs = txt_decoder_cross_shape(dm, batch, t);
    nn_embedding_forward(a->embed, tokens, params + w->tok, rows, d);
    nn_position_forward(a->embed, params + w->pos, batch, t, d);
    for (size_t i = 0; i < dm->layers; i++) {
        const txt_decoder_layer *ly = &w->layer[i];
        blk_attn_forward(&a->self[i], stream_in(a, i), NULL, params, &ly->self, &ss);
        blk_attn_forward(&a->cross[i], a->self[i].out, memory, params, &ly->cross, &cs);
        blk_mlp_forward(&a->mlp[i], a->cross[i].out, params, &ly->mlp, rows, d, dm->ff);
    }
    ln_forward(&a->ln, stream_in(a, dm->layers), params, &w->ln, rows, d);
    nn_linear_forward(a->logits, a->ln.out, params + w->head_w, params + w->head_b, rows, d,
                      dm->vocab);
}

float txt_decoder_loss(txt_decoder_acts *a, size_t *count, const int *targets,
                       const txt_decoder_dims *dm, size_t batch, size_t t) {
    size_t rows = batch * t;
    size_t n = nn_crossentropy_forward(a->losses, a->probs, a->logits, targets, TXT_PAD, rows,
                                       dm->vocab);
    double sum = 0.0;
    for (size_t i = 0; i < rows; i++) sum += a->losses[i];
    *count = n;
    return n ? (float)(sum / (double)n) : 0.0f;
}

void txt_decoder_backward(float *grads, float *dmemory, float *dx_a, float *dx_b, float *dlogits,
                          blk_scratch *sc, const txt_decoder_acts *a, const int *tokens,
                          const int *lengths, const int *targets, size_t count,
                          const attn_target *cross_targets, const float *memory,
                          const float *params, const txt_decoder_weights *w,
                          const txt_decoder_dims *dm, size_t batch, size_t t) {
    size_t rows = batch * t, d = dm->d, bytes = rows * d * sizeof(float);
    attn_shape ss = txt_decoder_self_shape(dm, lengths, batch, t);
    attn_shape cs = txt_decoder_cross_shape(dm, batch, t);
    memset(dlogits, 0, rows * dm->vocab * sizeof(float));
    if (count) nn_crossentropy_backward(dlogits, a->probs, targets, TXT_PAD, 1.0f / (float)count,
                                        rows, dm->vocab);
    float *dcur = dx_a, *dnext = dx_b;
    memset(sc->dln, 0, bytes);
    nn_linear_backward(sc->dln, grads + w->head_w, grads + w->head_b, dlogits, a->ln.out,
                       params + w->head_w, rows, d, dm->vocab);
    memset(dcur, 0, bytes);
    ln_backward(dcur, grads, sc->dln, &a->ln, stream_in(a, dm->layers), params, &w->ln, rows, d);
    for (size_t i = dm->layers; i-- > 0;) {
        const txt_decoder_layer *ly = &w->layer[i];
        memset(dnext, 0, bytes);
        blk_mlp_backward(dnext, grads, dcur, &a->mlp[i], sc, a->cross[i].out, params, &ly->mlp,
                         rows, d, dm->ff);
        memset(dcur, 0, bytes);
        cs.target = cross_targets && cross_targets[i].rows ? &cross_targets[i] : NULL;
        blk_attn_backward(dcur, dmemory, grads, dnext, &a->cross[i], sc, a->self[i].out, memory,
                          params, &ly->cross, &cs);
        memset(dnext, 0, bytes);
        blk_attn_backward(dnext, NULL, grads, dcur, &a->self[i], sc, stream_in(a, i), NULL, params,
                          &ly->self, &ss);
        float *swap = dcur;
        dcur = dnext;
        dnext = swap;
    }
    nn_position_backward(grads + w->pos, dcur, batch, t, d);
    nn_embedding_backward(grads + w->tok, dcur, tokens, rows, d);
}
