/* batch.c — teacher-forced forward and backward of the whole captioner over a batch. */
#include "model/batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Takes every buffer of b from the arena (measuring when ar->base is NULL). */
static void take_all(xcap_batch *b, nn_arena *ar, const xcap_model *m) {
    vis_encoder_dims ed = xcap_config_encoder_dims(&m->cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(&m->cfg);
    size_t B = b->batch_max, T = b->t, N = ed.n_patches, d = ed.d;
    size_t rows = B * (N > T ? N : T);
    b->patches = nn_arena_take(ar, B * N * ed.patch_dim);
    /* ints live in the float block too (same size) */
    b->tokens = (int *)nn_arena_take(ar, B * T);
    b->targets = (int *)nn_arena_take(ar, B * T);
    b->lengths = (int *)nn_arena_take(ar, B);
    vis_encoder_acts_take(&b->enc, ar, &ed, B);
    txt_decoder_acts_take(&b->dec, ar, &dd, B, T);
    b->dmemory = nn_arena_take(ar, B * N * d);
    b->dx_a = nn_arena_take(ar, rows * d);
    b->dx_b = nn_arena_take(ar, rows * d);
    b->dlogits = nn_arena_take(ar, B * T * dd.vocab);
    b->align_rows = nn_arena_take(ar, B * T * N);
    attn_shape shapes[3] = {{B, N, N, d, ed.heads, 0, NULL, NULL, 0},
                            txt_decoder_self_shape(&dd, NULL, B, T),
                            txt_decoder_cross_shape(&dd, B, T)};
    blk_scratch_take(&b->scratch, ar, shapes, 3, rows, d, m->cfg.d_ff);
}

/* a * b * c * d * e into *out; nonzero when it overflows size_t. */
static int mul5(size_t *out, size_t a, size_t b, size_t c, size_t d, size_t e) {
    return nn_mul_size(a, b, out) || nn_mul_size(*out, c, out) || nn_mul_size(*out, d, out) ||
           nn_mul_size(*out, e, out);
}

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

int xcap_arena_bound(const xcap_config *cfg, size_t rows, size_t *floats) {
    vis_encoder_dims ed = xcap_config_encoder_dims(cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(cfg);
    size_t B = rows, N = ed.n_patches, T = cfg->max_tokens;
    size_t t = max2(N, T), L = max2(max2(cfg->enc_layers, cfg->dec_layers), 1), H = cfg->n_heads;
    size_t width = max2(max2(cfg->d_model, cfg->d_ff), max2(dd.vocab, ed.patch_dim + ed.edge_dim));
    size_t p[5], largest = 0;
    if (mul5(&p[0], B, t, width, 1, 1) || mul5(&p[1], B, H, t, t, 1) ||  /* activations, scores */
        mul5(&p[2], L, B, t, cfg->d_model, 1) || mul5(&p[3], B, T, L, H, N) ||  /* caches, maps */
        mul5(&p[4], B, T, H, cfg->d_model, 1))  /* reassociated cross-attention */
        return -1;
    for (int i = 0; i < 5; i++) largest = max2(largest, p[i]);
    size_t buffers = 64 + 32 * (cfg->enc_layers + cfg->dec_layers), bytes;
    if (largest > SIZE_MAX - 16 || mul5(floats, largest + 16, buffers, 1, 1, 1) ||
        nn_mul_size(*floats, sizeof(float), &bytes) != 0)
        return -1;
    return 0;
}

int xcap_batch_create(xcap_batch *b, const xcap_model *m, size_t batch_max, nn_error *err) {
    memset(b, 0, sizeof *b);
    size_t bound;
    if (xcap_arena_bound(&m->cfg, batch_max, &bound) != 0)
        return nn_fail(err, "a batch of %zu images of this model's size does not fit in memory "
                            "(its buffer sizes overflow)", batch_max);
    b->batch_max = b->batch = batch_max;
    b->t = m->cfg.max_tokens;
    nn_arena ar = {NULL, 0};
    take_all(b, &ar, m);
    b->block = calloc(ar.used, sizeof(float));
    if (!b->block) return nn_fail(err, "out of memory for a batch of %zu (%zu MiB)", batch_max,
                                  ar.used * sizeof(float) >> 20);
    ar = (nn_arena){b->block, 0};
    take_all(b, &ar, m);
    return 0;
}

void xcap_batch_free(xcap_batch *b) {
    free(b->block);
    memset(b, 0, sizeof *b);
}

void xcap_batch_encode(xcap_batch *b, const xcap_model *m) {
    vis_encoder_dims ed = xcap_config_encoder_dims(&m->cfg);
    vis_encoder_forward(&b->enc, b->patches, m->params, &m->enc, &ed, b->batch);
}

void xcap_batch_supervise(xcap_batch *b, size_t layer, size_t head, float weight) {
    b->align[layer] = (attn_target){head, b->align_rows, 0.0f};
    b->align_weight = weight;
}

/* The weighted alignment loss of the last forward; sets each target's gradient scale. */
static float align_loss(xcap_batch *b, const txt_decoder_dims *dd) {
    attn_shape cs = txt_decoder_cross_shape(dd, b->batch, b->t);
    double sum = 0.0;
    for (size_t l = 0; l < dd->layers; l++) {
        attn_target *tg = &b->align[l];
        if (!tg->rows) continue;
        size_t rows;
        double ce = attn_target_loss(&rows, b->dec.cross[l].attn.probs, tg, &cs);
        b->align_ce[l] = ce;
        b->align_n[l] = rows;
        tg->scale = rows ? b->align_weight / (float)rows : 0.0f;
        if (rows) sum += b->align_weight * ce / (double)rows;
    }
    return (float)sum;
}

float xcap_batch_forward(xcap_batch *b, const xcap_model *m) {
    txt_decoder_dims dd = xcap_config_decoder_dims(&m->cfg);
    xcap_batch_encode(b, m);
    txt_decoder_forward(&b->dec, b->tokens, b->lengths, b->enc.ln.out, m->params, &m->dec, &dd,
                        b->batch, b->t);
    b->align_loss = b->align_weight > 0.0f ? align_loss(b, &dd) : 0.0f;
    return txt_decoder_loss(&b->dec, &b->count, b->targets, &dd, b->batch, b->t);
}

void xcap_batch_backward(xcap_batch *b, const xcap_model *m, float *grads) {
    vis_encoder_dims ed = xcap_config_encoder_dims(&m->cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(&m->cfg);
    memset(b->dmemory, 0, b->batch * ed.n_patches * ed.d * sizeof(float));
    txt_decoder_backward(grads, b->dmemory, b->dx_a, b->dx_b, b->dlogits, &b->scratch, &b->dec,
                         b->tokens, b->lengths, b->targets, b->count,
                         b->align_weight > 0.0f ? b->align : NULL, b->enc.ln.out, m->params,
                         &m->dec, &dd, b->batch, b->t);
    vis_encoder_backward(grads, b->dmemory, b->dx_a, b->dx_b, &b->scratch, &b->enc, b->patches,
                         m->params, &m->enc, &ed, b->batch);
}

void xcap_batch_sums_of(xcap_batch_sums *s, const xcap_batch *b) {
    memset(s, 0, sizeof *s);
    /* the same sum as txt_decoder_loss's (positions not counted hold 0) */
    for (size_t i = 0; i < b->batch * b->t; i++) s->ce += b->dec.losses[i];
    s->count = (double)b->count;
    for (size_t l = 0; l < TXT_MAX_LAYERS; l++) {
        if (!b->align[l].rows || b->align_weight <= 0.0f) continue;
        s->align_ce[l] = b->align_ce[l];
        s->align_rows[l] = (double)b->align_n[l];
    }
}

float xcap_batch_use_sums(xcap_batch *b, const xcap_batch_sums *total) {
    double sum = 0.0;
    for (size_t l = 0; l < TXT_MAX_LAYERS; l++) {
        attn_target *tg = &b->align[l];
        if (!tg->rows || b->align_weight <= 0.0f) continue;
        size_t rows = (size_t)total->align_rows[l];
        tg->scale = rows ? b->align_weight / (float)rows : 0.0f;
        if (rows) sum += b->align_weight * total->align_ce[l] / (double)rows;
    }
    b->align_loss = b->align_weight > 0.0f ? (float)sum : 0.0f;
    b->count = (size_t)total->count;
    return b->count ? (float)(total->ce / (double)b->count) : 0.0f;
}

size_t xcap_batch_set_caption(xcap_batch *b, const xcap_model *m, size_t i, const char *caption) {
    size_t T = b->t;
    int *tok = b->tokens + i * T, *tgt = b->targets + i * T;
    /* words go to tok[1..]; at most T-1 of them so that <eos> is predicted at position n */
    size_t n = txt_tokenize(&m->vocab, caption, tok + 1, T - 1);
    if (n > T - 1) n = T - 1;
    tok[0] = TXT_BOS;
    for (size_t j = 0; j < n; j++) tgt[j] = tok[j + 1];
    tgt[n] = TXT_EOS;
    for (size_t j = n + 1; j < T; j++) tok[j] = tgt[j] = TXT_PAD;
    b->lengths[i] = (int)(n + 1);
    return n;
}
