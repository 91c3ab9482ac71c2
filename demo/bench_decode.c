/* bench_decode.c — fixed-length greedy captioning, cached and recomputed (bench_decode.h). */
#include "demo/bench_decode.h"

#include <stdlib.h>
#include <string.h>

#include "text/vocab.h"

/* Takes every buffer from the arena (measuring when ar->base is NULL). */
static void take_all(bench_decoder *b, nn_arena *ar) {
    const xcap_config *cfg = &b->model->cfg;
    vis_encoder_dims ed = xcap_config_encoder_dims(cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(cfg);
    size_t n = b->images_max, T = cfg->max_tokens;
    b->patches = nn_arena_take(ar, n * ed.n_patches * ed.patch_dim);
    vis_encoder_acts_take(&b->enc, ar, &ed, n);
    txt_decoder_cache_take(&b->cache, ar, &dd, n, n);
    txt_decoder_acts_take(&b->full, ar, &dd, 1, T);
    b->tokens = (int *)nn_arena_take(ar, n * T);
    b->tokens_full = (int *)nn_arena_take(ar, T);
    b->row_tok = (int *)nn_arena_take(ar, n);
    b->row_image = (int *)nn_arena_take(ar, n);
}

int bench_decoder_create(bench_decoder *b, const xcap_model *m, size_t images_max,
                         nn_error *err) {
    memset(b, 0, sizeof *b);
    b->model = m;
    b->images_max = images_max;
    nn_arena ar = {NULL, 0};
    take_all(b, &ar);
    b->block = calloc(ar.used, sizeof(float));
    if (!b->block)
        return nn_fail(err, "out of memory for decoding %zu images (%zu MiB)", images_max,
                       ar.used * sizeof(float) >> 20);
    ar = (nn_arena){b->block, 0};
    take_all(b, &ar);
    return 0;
}

void bench_decoder_free(bench_decoder *b) {
    free(b->block);
    memset(b, 0, sizeof *b);
}

/* The most likely token of logits [v] other than <pad> and <bos> (never generated). */
static int argmax(const float *logits, size_t v) {
    int best = TXT_EOS;
    for (size_t i = TXT_EOS + 1; i < v; i++)
        if (logits[i] > logits[best]) best = (int)i;
    return best;
}

void bench_encode(bench_decoder *b, size_t n) {
    const xcap_model *m = b->model;
    vis_encoder_dims ed = xcap_config_encoder_dims(&m->cfg);
    vis_encoder_forward(&b->enc, b->patches, m->params, &m->enc, &ed, n);
}

void bench_caption_cached(bench_decoder *b, size_t n) {
    const xcap_model *m = b->model;
    txt_decoder_dims dd = xcap_config_decoder_dims(&m->cfg);
    size_t T = dd.max_tokens;
    bench_encode(b, n);
    txt_decoder_prepare_cross(&b->cache, b->enc.ln.out, n, m->params, &m->dec, &dd);
    for (size_t r = 0; r < n; r++) {
        b->row_tok[r] = TXT_BOS;
        b->row_image[r] = (int)r;
    }
    for (size_t pos = 0; pos < T; pos++) {
        txt_decoder_step(&b->cache, b->row_tok, b->row_image, pos, n, m->params, &m->dec, &dd);
        for (size_t r = 0; r < n; r++) {
            b->row_tok[r] = argmax(b->cache.logits + r * dd.vocab, dd.vocab);
            b->tokens[r * T + pos] = b->row_tok[r];
        }
    }
}

void bench_caption_recompute(bench_decoder *b) {
    const xcap_model *m = b->model;
    vis_encoder_dims ed = xcap_config_encoder_dims(&m->cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(&m->cfg);
    size_t T = dd.max_tokens;
    int input[T];
    vis_encoder_forward(&b->enc, b->patches, m->params, &m->enc, &ed, 1);
    input[0] = TXT_BOS;
    for (size_t t = 0; t < T; t++) {
        int len = (int)(t + 1);
        txt_decoder_forward(&b->full, input, &len, b->enc.ln.out, m->params, &m->dec, &dd, 1,
                            t + 1);
        int tok = argmax(b->full.logits + t * dd.vocab, dd.vocab);
        b->tokens_full[t] = tok;
        if (t + 1 < T) input[t + 1] = tok;
    }
}
