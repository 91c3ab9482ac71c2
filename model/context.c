/* context.c — the public captioning API: per-thread contexts over a shared model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/batch.h"
#include "model/model.h"
#include "model/xcap.h"
#include "nn/blas_core.h"
#include "nn/ops.h"
#include "text/caption_check.h"
#include "text/shapes_grammar.h"
#include "text/generate.h"
#include "vision/image.h"

#define XCAP_BEAM_MAX 16

struct xcap_context {
    const xcap_model *model;
    size_t max_batch;
    float *block;                 /* every buffer below */
    unsigned char *resized;       /* [max_batch, image_h, image_w, 3] */
    float *patches;               /* [max_batch, N, 3P^2] */
    vis_encoder_acts enc;
    txt_decoder_cache cache;
    txt_gen_scratch gen;
    int *tokens;                  /* [max_batch, T] */
    float *probs;                 /* [max_batch, T] */
    float *maps;                  /* [max_batch, T, L, H, N] */
    nn_rng *rngs;                 /* [max_batch]: each image's sampling stream */
    nn_error err;
};

xcap_params xcap_default_params(void) {
    xcap_params p = {1, 0.0f, 0, 1.0f, 0, 0};
    return p;
}

xcap_model *xcap_model_load(const char *path, char *err, size_t err_size) {
    nn_error e;
    xcap_model *m = xcap_model_load_file(path, &e);
    if (!m && err && err_size) snprintf(err, err_size, "%s", e.msg);
    return m;
}

void xcap_model_shape(const xcap_model *m, size_t *grid_w, size_t *grid_h, size_t *layers,
                      size_t *heads) {
    if (grid_w) *grid_w = xcap_config_grid_w(&m->cfg);
    if (grid_h) *grid_h = xcap_config_grid_h(&m->cfg);
    if (layers) *layers = m->cfg.dec_layers;
    if (heads) *heads = m->cfg.n_heads;
}

size_t xcap_model_align_heads(const xcap_model *m, int *layers, int *heads, size_t max) {
    for (size_t i = 0; i < m->n_align && i < max; i++) {
        layers[i] = m->align_layer[i];
        heads[i] = m->align_head[i];
    }
    return m->n_align;
}

/* Takes every buffer of the context from the arena (measuring when base is NULL). */
static void take_all(xcap_context *c, nn_arena *ar) {
    const xcap_config *cfg = &c->model->cfg;
    vis_encoder_dims ed = xcap_config_encoder_dims(cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(cfg);
    size_t B = c->max_batch, T = cfg->max_tokens;
    size_t rows = B > XCAP_BEAM_MAX ? B : XCAP_BEAM_MAX;
    c->resized = (unsigned char *)nn_arena_take(ar, (B * cfg->image_w * cfg->image_h * 3 + 3) / 4);
    c->patches = nn_arena_take(ar, B * ed.n_patches * ed.patch_dim);
    vis_encoder_acts_take(&c->enc, ar, &ed, B);
    txt_decoder_cache_take(&c->cache, ar, &dd, rows, B);
    txt_gen_scratch_take(&c->gen, ar, &dd, XCAP_BEAM_MAX, B);
    c->tokens = (int *)nn_arena_take(ar, B * T);
    c->probs = nn_arena_take(ar, B * T);
    c->maps = nn_arena_take(ar, B * T * dd.layers * dd.heads * dd.n_patches);
}

xcap_context *xcap_context_create(const xcap_model *m, size_t max_batch, char *err,
                                  size_t err_size) {
    xcap_context *c = calloc(1, sizeof *c);
    if (!c || max_batch == 0 || max_batch > 4096) {
        if (err && err_size) snprintf(err, err_size, "cannot create a context for a batch of %zu", max_batch);
        free(c);
        return NULL;
    }
    size_t bound;
    if (xcap_arena_bound(&m->cfg, max_batch > XCAP_BEAM_MAX ? max_batch : XCAP_BEAM_MAX, &bound) != 0) {
        if (err && err_size)
            snprintf(err, err_size, "a context for a batch of %zu images of this model's size does "
                                    "not fit in memory (its buffer sizes overflow)", max_batch);
        free(c);
        return NULL;
    }
    c->model = m;
    c->max_batch = max_batch;
    nn_arena ar = {NULL, 0};
    take_all(c, &ar);
    c->block = calloc(ar.used, sizeof(float));
    c->rngs = calloc(max_batch, sizeof *c->rngs);
    if (!c->block || !c->rngs) {
        if (err && err_size) snprintf(err, err_size, "out of memory for a context (%zu MiB)", ar.used >> 18);
        free(c->block);
        free(c->rngs);
        free(c);
        return NULL;
    }
    ar = (nn_arena){c->block, 0};
    take_all(c, &ar);
    return c;
}

void xcap_context_free(xcap_context *c) {
    if (!c) return;
    free(c->block);
    free(c->rngs);
    free(c);
}

const char *xcap_context_error(const xcap_context *c) { return c->err.msg; }

void xcap_caption_free(xcap_caption *cap) {
    if (!cap) return;
    for (size_t i = 0; i < cap->n_words; i++) free(cap->words[i]);
    free(cap->words);
    free(cap->probs);
    free(cap->maps);
    free(cap->text);
    memset(cap, 0, sizeof *cap);
}

/* Copies generated result r of image (w × h) into the caller's caption (allocating it). */
static int fill_caption(xcap_context *c, xcap_caption *out, const txt_gen_result *r, int w, int h) {
    const xcap_model *m = c->model;
    size_t L = m->cfg.dec_layers, H = m->cfg.n_heads, N = xcap_config_patches(&m->cfg);
    size_t n = r->n;
    int ended = n > 0 && r->tokens[n - 1] == TXT_EOS;
    if (ended) n--;
    memset(out, 0, sizeof *out);
    out->n_words = n;
    out->words = calloc(n ? n : 1, sizeof *out->words);
    out->probs = malloc((n ? n : 1) * sizeof *out->probs);
    out->maps = malloc((n ? n : 1) * L * H * N * sizeof *out->maps);
    size_t text_len = txt_detokenize(&m->vocab, r->tokens, r->n, NULL, 0);
    out->text = malloc(text_len + 1);
    if (!out->words || !out->probs || !out->maps || !out->text) goto oom;
    txt_detokenize(&m->vocab, r->tokens, r->n, out->text, text_len + 1);
    for (size_t i = 0; i < n; i++) {
        int id = r->tokens[i];
        out->words[i] = strdup((id >= 0 && (size_t)id < m->vocab.size) ? m->vocab.words[id] : "<unk>");
        if (!out->words[i]) goto oom;
        out->probs[i] = r->probs[i];
    }
    memcpy(out->maps, r->maps, n * L * H * N * sizeof(float));
    out->eos_prob = ended ? r->probs[n] : 0.0f;
    out->logprob = r->logprob;
    txt_caption_check chk;
    txt_caption_check_words(&chk, (const char *const *)out->words, out->probs, n, ended,
                            out->eos_prob);
    out->complete = chk.complete;
    out->repeats = chk.repeats;
    out->repeat_at = chk.repeat_at;
    out->repeat_len = chk.repeat_len;
    out->confidence = chk.confidence;
    out->grammatical = -1;
    if (txt_shapes_vocab_is_world((const char *const *)m->vocab.words, m->vocab.size)) {
        txt_shapes_caption parsed;
        nn_error why;
        out->grammatical = txt_shapes_parse(&parsed, out->text, &why) == 0;
    }
    out->layers = L;
    out->heads = H;
    out->grid_w = xcap_config_grid_w(&m->cfg);
    out->grid_h = xcap_config_grid_h(&m->cfg);
    out->width = w;
    out->height = h;
    return 0;
oom:
    xcap_caption_free(out);
    return nn_fail(&c->err, "out of memory for a caption");
}

int xcap_caption_batch(xcap_context *c, const unsigned char *const *rgb, const int *w,
                       const int *h, size_t n, const xcap_params *p, xcap_caption *out) {
    const xcap_model *m = c->model;
    const xcap_config *cfg = &m->cfg;
    vis_encoder_dims ed = xcap_config_encoder_dims(cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(cfg);
    size_t T = cfg->max_tokens, map = dd.layers * dd.heads * dd.n_patches;
    if (n == 0 || n > c->max_batch)
        return nn_fail(&c->err, "batch of %zu images does not fit this context (1..%zu)", n, c->max_batch);
    if (p->beam < 1 || p->beam > XCAP_BEAM_MAX)
        return nn_fail(&c->err, "beam width %d is not in 1..%d", p->beam, XCAP_BEAM_MAX);
    if (p->beam > 1 && p->temperature > 0.0f)
        return nn_fail(&c->err, "sampling (temperature > 0) needs beam width 1");
    if (p->temperature < 0.0f || !(p->top_p > 0.0f && p->top_p <= 1.0f) || p->top_k < 0 ||
        p->max_tokens < 0)
        return nn_fail(&c->err, "invalid sampling parameters (temperature >= 0, 0 < top_p <= 1, top_k >= 0)");
    size_t in_size = cfg->image_w * cfg->image_h * 3;
    for (size_t i = 0; i < n; i++) {
        if (!rgb[i] || w[i] <= 0 || h[i] <= 0 || w[i] > VIS_IMAGE_MAX_SIDE || h[i] > VIS_IMAGE_MAX_SIDE)
            return nn_fail(&c->err, "image %zu of %dx%d pixels is empty or too large", i, w[i], h[i]);
        vis_image_fit(c->resized + i * in_size, (int)cfg->image_w, (int)cfg->image_h, rgb[i],
                      w[i], h[i], (int)cfg->letterbox);
        vis_patchify(c->patches + i * ed.n_patches * ed.patch_dim, c->resized + i * in_size,
                     cfg->image_w, cfg->image_h, cfg->patch);
    }
    vis_encoder_forward(&c->enc, c->patches, m->params, &m->enc, &ed, n);
    txt_decoder_prepare_cross(&c->cache, c->enc.ln.out, n, m->params, &m->dec, &dd);
    txt_gen_params gp = {p->beam, p->temperature, p->top_k, p->top_p, (size_t)p->max_tokens};
    txt_gen_result res[n];
    for (size_t i = 0; i < n; i++)
        res[i] = (txt_gen_result){c->tokens + i * T, c->probs + i * T, c->maps + i * T * map, 0, 0};
    if (p->beam > 1) {
        for (size_t i = 0; i < n; i++)
            txt_generate_beam(&res[i], i, &c->cache, &c->gen, &gp, m->params, &m->dec, &dd);
    } else {
        /* every image starts from the seed: its caption is the same in any batch */
        for (size_t i = 0; i < n; i++) nn_rng_seed(&c->rngs[i], p->seed);
        txt_generate_batch(res, n, &c->cache, &c->gen, &gp, c->rngs, m->params, &m->dec, &dd);
    }
    for (size_t i = 0; i < n; i++) {
        if (fill_caption(c, &out[i], &res[i], w[i], h[i]) != 0) {
            while (i-- > 0) xcap_caption_free(&out[i]);
            return -1;
        }
    }
    return 0;
}

int xcap_caption_rgb(xcap_context *c, const unsigned char *rgb, int w, int h,
                     const xcap_params *p, xcap_caption *out) {
    return xcap_caption_batch(c, &rgb, &w, &h, 1, p, out);
}

int xcap_caption_file(xcap_context *c, const char *path, const xcap_params *p, xcap_caption *out) {
    vis_image img;
    if (vis_image_load(&img, path, &c->err) != 0) return -1;
    int rc = xcap_caption_rgb(c, img.rgb, img.width, img.height, p, out);
    if (rc != 0) nn_fail_prefix(&c->err, path);
    vis_image_free(&img);
    return rc;
}

void xcap_set_threads(int n) { nn_set_threads(n); }

const char *xcap_blas_kernels(void) { return nn_blas_core(); }
