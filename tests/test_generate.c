/* test_generate.c — caption generation on the tiny fixture model: cached decoding
 * equals recomputing the whole prefix (tokens and maps), the map of step t belongs
 * to token t, beam search of width 1 equals greedy, beam scores are length-normalised,
 * the sampler keeps top-k / top-p, sampling repeats for a seed and turns greedy as the
 * temperature goes to 0, and batches equal single images (sampled ones too). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/xcap.h"
#include "tests/util/check.h"
#include "text/generate.h"
#include "tests/util/fixture.h"
#include "vision/image.h"

typedef struct {
    xcap_model *m;
    xcap_context *ctx;
    unsigned char *img[2];  /* the fixture's two 48×32 images as bytes */
    int w, h;
} world;

/* Whether generation may emit token id v: never <pad>, <bos> or <unk>. */
static int generated(size_t v) { return v >= TXT_EOS && v != TXT_UNK; }

static int setup(void **state) {
    world *w = calloc(1, sizeof *w);
    w->m = fixture_model();
    /* random weights may end at once; forbid <eos> so every caption runs to max_tokens
     * and the comparisons below always have words to compare */
    w->m->params[w->m->dec.head_b + TXT_EOS] = -1e4f;
    char err[256];
    w->ctx = xcap_context_create(w->m, 2, err, sizeof err);
    if (!w->ctx) fail_msg("%s", err);
    nn_st_reader *c = fixture_case();
    size_t n;
    const float *img = fixture_tensor(c, "image", &n);
    w->w = (int)w->m->cfg.image_w;
    w->h = (int)w->m->cfg.image_h;
    size_t per = (size_t)w->w * (size_t)w->h * 3;
    for (int i = 0; i < 2; i++) {
        w->img[i] = malloc(per);
        for (size_t j = 0; j < per; j++) w->img[i][j] = (unsigned char)img[i * per + j];
    }
    nn_st_close(c);
    *state = w;
    return 0;
}

static int teardown(void **state) {
    world *w = *state;
    free(w->img[0]);
    free(w->img[1]);
    xcap_context_free(w->ctx);
    xcap_model_free(w->m);
    free(w);
    return 0;
}

/* Captions image i with params p, failing the test on error. */
static void caption(world *w, int i, const xcap_params *p, xcap_caption *out) {
    if (xcap_caption_rgb(w->ctx, w->img[i], w->w, w->h, p, out) != 0)
        fail_msg("%s", xcap_context_error(w->ctx));
}

static size_t map_size(const xcap_caption *c) {
    return c->layers * c->heads * c->grid_w * c->grid_h;
}

/* The ids of a caption's words plus the final <eos> if it ended. */
static size_t caption_ids(const world *w, const xcap_caption *c, int *ids) {
    for (size_t i = 0; i < c->n_words; i++) ids[i] = txt_vocab_id(&w->m->vocab, c->words[i]);
    return c->n_words;
}

/* Compares caption cap of image img with the full teacher-forced pass over <bos> + its words:
 * position t gives word t its probability (over everything but <pad> and <bos>) and its
 * cross-attention maps; with greedy set, word t is also that position's argmax. */
static void check_against_full_pass(world *w, int img, const xcap_caption *cap, int greedy) {
    int ids[64];
    size_t n = caption_ids(w, cap, ids);
    xcap_batch b;
    nn_error err;
    assert_int_equal(xcap_batch_create(&b, w->m, 1, &err), 0);
    b.batch = 1;
    vis_patchify(b.patches, w->img[img], (size_t)w->w, (size_t)w->h, w->m->cfg.patch);
    size_t T = b.t, V = w->m->vocab.size, N = xcap_config_patches(&w->m->cfg);
    size_t L = w->m->cfg.dec_layers, H = w->m->cfg.n_heads;
    b.tokens[0] = TXT_BOS;
    for (size_t t = 1; t < T; t++) b.tokens[t] = t - 1 < n ? ids[t - 1] : TXT_PAD;
    for (size_t t = 0; t < T; t++) b.targets[t] = TXT_PAD;
    b.lengths[0] = (int)(n + 1 < T ? n + 1 : T);
    xcap_batch_forward(&b, w->m);
    for (size_t t = 0; t < n; t++) {
        const float *logits = b.dec.logits + t * V;
        size_t best = TXT_EOS;  /* <pad>, <bos> and <unk> are never generated */
        double mx = logits[TXT_EOS], z = 0.0;
        for (size_t v = TXT_EOS; v < V; v++) {
            if (!generated(v)) continue;
            if (logits[v] > logits[best]) best = v;
            mx = logits[v] > mx ? logits[v] : mx;
        }
        for (size_t v = TXT_EOS; v < V; v++) z += generated(v) ? exp(logits[v] - mx) : 0.0;
        if (greedy) assert_int_equal((int)best, ids[t]);
        float prob = (float)(exp(logits[ids[t]] - mx) / z);
        check_close(&cap->probs[t], &prob, 1, 1e-5, 1e-4);
        for (size_t l = 0; l < L; l++)
            for (size_t h = 0; h < H; h++) {
                const float *full = b.dec.cross[l].attn.probs + (h * T + t) * N;
                const float *cached = cap->maps + ((t * L + l) * H + h) * N;
                check_close(cached, full, N, 1e-5, 0);
            }
    }
    xcap_batch_free(&b);
}

static void test_cached_equals_full_recompute(void **state) {
    world *w = *state;
    xcap_params p = xcap_default_params();
    for (int img = 0; img < 2; img++) {
        xcap_caption cap;
        caption(w, img, &p, &cap);
        assert_int_equal(cap.n_words, w->m->cfg.max_tokens);
        check_against_full_pass(w, img, &cap, 1);
        xcap_caption_free(&cap);
    }
}

/* Beam search: the winning hypothesis carries its own history (probabilities and maps of
 * its own tokens, computed over its own prefix), whichever beams it passed through. */
static void test_beam_history_equals_full_recompute(void **state) {
    world *w = *state;
    xcap_params greedy = xcap_default_params(), p = greedy;
    int differs = 0;
    for (int beam = 2; beam <= 8; beam *= 2) {
        p.beam = beam;
        for (int img = 0; img < 2; img++) {
            xcap_caption cap, g;
            caption(w, img, &p, &cap);
            caption(w, img, &greedy, &g);
            differs |= strcmp(cap.text, g.text) != 0;
            check_against_full_pass(w, img, &cap, 0);
            xcap_caption_free(&cap);
            xcap_caption_free(&g);
        }
    }
    assert_true(differs); /* some beam left the greedy path, so the check saw reordering */
}

static void test_map_rows_sum_to_one(void **state) {
    world *w = *state;
    xcap_params p = xcap_default_params();
    xcap_caption cap;
    caption(w, 0, &p, &cap);
    size_t grid = cap.grid_w * cap.grid_h;
    assert_int_equal(grid, 24);
    assert_int_equal(cap.n_words, w->m->cfg.max_tokens);
    for (size_t i = 0; i < cap.n_words * cap.layers * cap.heads; i++) {
        double sum = 0;
        for (size_t j = 0; j < grid; j++) {
            assert_true(cap.maps[i * grid + j] >= 0.0f);
            sum += cap.maps[i * grid + j];
        }
        assert_true(fabs(sum - 1.0) <= 1e-5);
    }
    xcap_caption_free(&cap);
}

/* Fails unless two captions have the same words and maps. */
static void assert_same(const xcap_caption *a, const xcap_caption *b) {
    assert_string_equal(a->text, b->text);
    assert_int_equal(a->n_words, b->n_words);
    check_close(a->maps, b->maps, a->n_words * map_size(a), 1e-6, 0);
    check_close(a->probs, b->probs, a->n_words, 1e-6, 0);
}

/* The generators run directly (xcap_caption_* sends beam width 1 to greedy decoding, so
 * only here does beam search of width 1 run): a decoder cache over one image's memory,
 * scratch for beams of up to 16 and for rows_max rows, and two results. */
typedef struct {
    txt_decoder_dims dd;
    float *block;
    txt_decoder_cache cache;
    txt_gen_scratch gen;
    txt_gen_result res[2];
} rig;

#define RIG_BEAM 16

/* Takes every buffer of g from the arena (measuring when its base is NULL). */
static void rig_take(rig *g, nn_arena *ar, size_t rows) {
    txt_decoder_cache_take(&g->cache, ar, &g->dd, rows, 1);
    txt_gen_scratch_take(&g->gen, ar, &g->dd, RIG_BEAM, rows);
    for (int i = 0; i < 2; i++) txt_gen_result_take(&g->res[i], ar, &g->dd);
}

/* A rig over image img of the world, its cross-attention K/V prepared. */
static void rig_open(rig *g, const world *w, int img) {
    const xcap_model *m = w->m;
    g->dd = xcap_config_decoder_dims(&m->cfg);
    size_t rows = g->dd.vocab > RIG_BEAM ? g->dd.vocab : RIG_BEAM;
    nn_arena ar = {NULL, 0};
    rig_take(g, &ar, rows);
    g->block = calloc(ar.used, sizeof(float));
    assert_non_null(g->block);
    ar = (nn_arena){g->block, 0};
    rig_take(g, &ar, rows);
    xcap_batch b;
    nn_error err;
    assert_int_equal(xcap_batch_create(&b, m, 1, &err), 0);
    b.batch = 1;
    vis_patchify(b.patches, w->img[img], (size_t)w->w, (size_t)w->h, m->cfg.patch);
    xcap_batch_encode(&b, m);
    txt_decoder_prepare_cross(&g->cache, b.enc.ln.out, 1, m->params, &m->dec, &g->dd);
    xcap_batch_free(&b);
}

static void rig_close(rig *g) { free(g->block); }

/* Fails unless two generated sequences have the same tokens, probabilities and maps. */
static void assert_same_result(const txt_gen_result *a, const txt_gen_result *b, size_t map) {
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->tokens, b->tokens, a->n * sizeof(int));
    check_close(a->probs, b->probs, a->n, 1e-6, 0);
    check_close(a->maps, b->maps, a->n * map, 1e-6, 0);
    check_close(&a->logprob, &b->logprob, 1, 1e-5, 0);
}

static void test_beam_one_equals_greedy(void **state) {
    world *w = *state;
    float *eos_bias = w->m->params + w->m->dec.head_b + TXT_EOS;
    const float forbidden = *eos_bias;
    /* <eos> forbidden (captions run to max_tokens), then likely enough to end one early */
    const float biases[] = {forbidden, 0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 6.0f};
    int ended_early = 0;
    for (size_t k = 0; k < sizeof biases / sizeof biases[0]; k++) {
        *eos_bias = biases[k];
        for (int img = 0; img < 2; img++) {
            rig g;
            rig_open(&g, w, img);
            size_t map = g.dd.layers * g.dd.heads * g.dd.n_patches;
            txt_gen_params gp = {1, 0.0f, 0, 1.0f, 0};
            nn_rng rng;
            nn_rng_seed(&rng, 1);
            txt_generate_batch(&g.res[0], 1, &g.cache, &g.gen, &gp, &rng, w->m->params, &w->m->dec,
                               &g.dd);
            txt_generate_beam(&g.res[1], 0, &g.cache, &g.gen, &gp, w->m->params, &w->m->dec, &g.dd);
            assert_true(g.res[0].n > 0);
            assert_same_result(&g.res[0], &g.res[1], map);
            ended_early |= g.res[0].n < g.dd.max_tokens && g.res[0].tokens[g.res[0].n - 1] == TXT_EOS;
            rig_close(&g);
        }
    }
    *eos_bias = forbidden;
    assert_true(ended_early); /* the <eos> path was compared too */
}

/* log-softmax of logits [v] into out with <pad>, <bos> and <unk> excluded (as generation
 * does). */
static void log_probs(float *out, const float *logits, size_t v) {
    double mx = -INFINITY, sum = 0.0;
    for (size_t i = TXT_EOS; i < v; i++) mx = generated(i) && logits[i] > mx ? logits[i] : mx;
    for (size_t i = TXT_EOS; i < v; i++) sum += generated(i) ? exp(logits[i] - mx) : 0.0;
    for (size_t i = 0; i < v; i++) out[i] = !generated(i) ? -INFINITY : (float)(logits[i] - mx - log(sum));
}

/* The best hypothesis of at most two tokens whose first token is among the RIG_BEAM most
 * likely, by mean log-probability per token (normalised) or by the sum: [<eos>] or [w, x]. */
typedef struct {
    int tok[2];
    size_t n;
    double score;
} hypothesis;

static void best_two_token(hypothesis *norm, hypothesis *raw, rig *g, const xcap_model *m) {
    size_t V = g->dd.vocab;
    float lp0[64], lp1[64];
    int first[RIG_BEAM], row_tok[RIG_BEAM], row_img[RIG_BEAM] = {0};
    assert_true(V <= 64);
    for (size_t r = 0; r < RIG_BEAM; r++) row_tok[r] = TXT_BOS;
    txt_decoder_step(&g->cache, row_tok, row_img, 0, RIG_BEAM, m->params, &m->dec, &g->dd);
    log_probs(lp0, g->cache.logits, V);
    int used[64] = {0};
    for (size_t j = 0; j < RIG_BEAM; j++) { /* the RIG_BEAM most likely first tokens */
        int best = -1;
        for (size_t i = TXT_EOS; i < V; i++)
            if (generated(i) && !used[i] && (best < 0 || lp0[i] > lp0[best])) best = (int)i;
        used[best] = 1;
        first[j] = row_tok[j] = best;
    }
    txt_decoder_step(&g->cache, row_tok, row_img, 1, RIG_BEAM, m->params, &m->dec, &g->dd);
    *norm = *raw = (hypothesis){{0, 0}, 0, -INFINITY};
    for (size_t j = 0; j < RIG_BEAM; j++) {
        if (first[j] == TXT_EOS) {
            hypothesis h = {{TXT_EOS, 0}, 1, lp0[TXT_EOS]};
            if (h.score > norm->score) *norm = h;
            if (h.score > raw->score) *raw = h;
            continue;
        }
        log_probs(lp1, g->cache.logits + j * V, V);
        for (size_t x = TXT_EOS; x < V; x++) {
            if (!generated(x)) continue;
            double sum = (double)lp0[first[j]] + lp1[x];
            hypothesis h = {{first[j], (int)x}, 2, sum / 2.0};
            if (h.score > norm->score) *norm = h;
            h.score = sum;
            if (h.score > raw->score) *raw = h;
        }
    }
}

/* With two tokens at most and width 16 the search sees every hypothesis worth seeing; at
 * an <eos> bias where the length-normalised best differs from the best sum, beam search
 * returns the normalised one. */
static void test_beam_is_length_normalised(void **state) {
    world *w = *state;
    float *eos_bias = w->m->params + w->m->dec.head_b + TXT_EOS;
    const float forbidden = *eos_bias;
    int compared = 0;
    for (float bias = -2.0f; bias <= 8.0f && !compared; bias += 0.25f) {
        *eos_bias = bias;
        for (int img = 0; img < 2 && !compared; img++) {
            rig g;
            rig_open(&g, w, img);
            hypothesis norm, raw;
            best_two_token(&norm, &raw, &g, w->m);
            if (norm.n != raw.n) {
                txt_gen_params gp = {RIG_BEAM, 0.0f, 0, 1.0f, 2};
                txt_generate_beam(&g.res[0], 0, &g.cache, &g.gen, &gp, w->m->params, &w->m->dec,
                                  &g.dd);
                assert_int_equal(g.res[0].n, norm.n);
                assert_memory_equal(g.res[0].tokens, norm.tok, norm.n * sizeof(int));
                float want = (float)(norm.score * (double)norm.n);
                check_close(&g.res[0].logprob, &want, 1, 1e-4, 1e-5);
                compared = 1;
            }
            rig_close(&g);
        }
    }
    *eos_bias = forbidden;
    if (!compared) fail_msg("no <eos> bias made the normalised and the summed best differ");
}

/* The sampler: temperature 0 is argmax; top-k and top-p keep only the most likely words;
 * the coin walks the kept words' renormalised distribution in order of probability. */
static void test_sampler_top_k_top_p(void **state) {
    (void)state;
    const float logits[6] = {0.0f, 3.0f, 1.0f, 2.5f, -1.0f, 0.5f};
    float sort[6], p[6];
    int idx[6];
    double z = 0.0;
    for (int i = 0; i < 6; i++) z += exp(logits[i]);
    for (int i = 0; i < 6; i++) p[i] = (float)(exp(logits[i]) / z);
    /* descending: 1 (p .50), 3 (.30), 2 (.11), 5 (.07), 0 (.04), 4 (.01) */
    const float coins[] = {0.0f, 0.3f, 0.55f, 0.8f, 0.95f, 0.9999f};
    for (size_t c = 0; c < sizeof coins / sizeof coins[0]; c++) {
        assert_int_equal(txt_sample(logits, 6, 0.0f, 0, 1.0f, coins[c], sort, idx), 1);
        assert_int_equal(txt_sample(logits, 6, 1.0f, 1, 1.0f, coins[c], sort, idx), 1);
        assert_int_equal(txt_sample(logits, 6, 1.0f, 0, 0.01f, coins[c], sort, idx), 1);
        int k2 = txt_sample(logits, 6, 1.0f, 2, 1.0f, coins[c], sort, idx);
        assert_true(k2 == 1 || k2 == 3);
        int p85 = txt_sample(logits, 6, 1.0f, 0, 0.85f, coins[c], sort, idx); /* .50+.30+.11 */
        assert_true(p85 == 1 || p85 == 3 || p85 == 2);
        int both = txt_sample(logits, 6, 1.0f, 2, 0.85f, coins[c], sort, idx);
        assert_true(both == 1 || both == 3);
    }
    assert_int_equal(txt_sample(logits, 6, 1.0f, 2, 1.0f, 0.9999f, sort, idx), 3);
    assert_int_equal(txt_sample(logits, 6, 1.0f, 0, 0.85f, 0.9999f, sort, idx), 2);
    /* no cut: a sweep of coins lands on each word as often as its probability */
    int hits[6] = {0};
    const int n = 10000;
    for (int i = 0; i < n; i++)
        hits[txt_sample(logits, 6, 1.0f, 0, 1.0f, ((float)i + 0.5f) / (float)n, sort, idx)]++;
    for (int i = 0; i < 6; i++) {
        float got = (float)hits[i] / (float)n;
        check_close(&got, &p[i], 1, 2e-4, 0);
    }
    /* temperature 0.5 squares the odds */
    int hot = 0;
    for (int i = 0; i < n; i++)
        hot += txt_sample(logits, 6, 0.5f, 0, 1.0f, ((float)i + 0.5f) / (float)n, sort, idx) == 1;
    double z2 = 0.0;
    for (int i = 0; i < 6; i++) z2 += exp(2.0 * logits[i]);
    float got = (float)hot / (float)n, want = (float)(exp(6.0) / z2);
    check_close(&got, &want, 1, 2e-4, 0);
}

static void test_beam_search_finds_no_worse_sequence(void **state) {
    world *w = *state;
    xcap_params greedy = xcap_default_params(), beam = greedy;
    beam.beam = 4;
    for (int img = 0; img < 2; img++) {
        xcap_caption a, b;
        caption(w, img, &greedy, &a);
        caption(w, img, &beam, &b);
        /* length-normalised log-probability (tokens incl. <eos>) */
        double na = a.logprob / (double)(a.n_words + (a.eos_prob > 0)),
               nb = b.logprob / (double)(b.n_words + (b.eos_prob > 0));
        assert_true(nb >= na - 1e-5);
        /* each beam keeps its own maps: they are proper distributions */
        size_t grid = b.grid_w * b.grid_h;
        for (size_t i = 0; i < b.n_words * b.layers * b.heads; i++) {
            double sum = 0;
            for (size_t j = 0; j < grid; j++) sum += b.maps[i * grid + j];
            assert_true(fabs(sum - 1.0) <= 1e-5);
        }
        xcap_caption_free(&a);
        xcap_caption_free(&b);
    }
}

static void test_sampling_repeats_for_a_seed(void **state) {
    world *w = *state;
    xcap_params p = xcap_default_params();
    p.temperature = 1.5f;
    p.seed = 42;
    xcap_caption a, b, c;
    caption(w, 0, &p, &a);
    caption(w, 0, &p, &b);
    assert_same(&a, &b);
    /* some other seed gives a different caption (random weights: near-flat distribution) */
    int differs = 0;
    for (uint64_t s = 1; s < 20 && !differs; s++) {
        p.seed = s;
        caption(w, 0, &p, &c);
        differs = strcmp(a.text, c.text) != 0;
        xcap_caption_free(&c);
    }
    assert_true(differs);
    xcap_caption_free(&a);
    xcap_caption_free(&b);
}

static void test_low_temperature_equals_greedy(void **state) {
    world *w = *state;
    xcap_params greedy = xcap_default_params(), cold = greedy;
    cold.temperature = 1e-4f;
    cold.top_k = 5;
    cold.top_p = 0.9f;
    xcap_caption a, b;
    caption(w, 1, &greedy, &a);
    caption(w, 1, &cold, &b);
    assert_same(&a, &b);
    xcap_caption_free(&a);
    xcap_caption_free(&b);
}

/* A batch gives each image the caption it gets alone: greedy, beam, and sampled with a seed
 * (each image has its own stream, so its neighbours in the batch do not change it). */
static void test_batch_equals_single(void **state) {
    world *w = *state;
    xcap_params ps[3] = {xcap_default_params(), xcap_default_params(), xcap_default_params()};
    ps[1].beam = 3;
    ps[2].temperature = 1.5f;
    ps[2].seed = 42;
    const unsigned char *imgs[2] = {w->img[0], w->img[1]};
    int ws[2] = {w->w, w->w}, hs[2] = {w->h, w->h};
    for (int k = 0; k < 3; k++) {
        xcap_caption batch[2], one;
        assert_int_equal(xcap_caption_batch(w->ctx, imgs, ws, hs, 2, &ps[k], batch), 0);
        for (int i = 0; i < 2; i++) {
            caption(w, i, &ps[k], &one);
            assert_same(&batch[i], &one);
            xcap_caption_free(&one);
            xcap_caption_free(&batch[i]);
        }
    }
    /* the same image twice in a batch, sampled: twice the same caption */
    const unsigned char *twice[2] = {w->img[1], w->img[1]};
    xcap_caption pair[2];
    assert_int_equal(xcap_caption_batch(w->ctx, twice, ws, hs, 2, &ps[2], pair), 0);
    assert_same(&pair[0], &pair[1]);
    xcap_caption_free(&pair[0]);
    xcap_caption_free(&pair[1]);
}

/* <pad>, <bos> and <unk> are never generated, even when the model prefers them to every
 * word: greedy, beam and sampled captions with their logits pushed far above the rest. */
static void test_special_tokens_never_generated(void **state) {
    world *w = *state;
    float *b = w->m->params + w->m->dec.head_b;
    const int special[3] = {TXT_PAD, TXT_BOS, TXT_UNK};
    const char *names[3] = {"<pad>", "<bos>", "<unk>"};
    float saved[3];
    for (int k = 0; k < 3; k++) {
        saved[k] = b[special[k]];
        b[special[k]] = 1e4f;
    }
    xcap_params ps[3] = {xcap_default_params(), xcap_default_params(), xcap_default_params()};
    ps[1].beam = 3;
    ps[2].temperature = 1.0f;
    ps[2].seed = 7;
    for (int k = 0; k < 3; k++) {
        xcap_caption cap;
        caption(w, 0, &ps[k], &cap);
        assert_true(cap.n_words > 0);
        for (size_t i = 0; i < cap.n_words; i++)
            for (int j = 0; j < 3; j++) assert_string_not_equal(cap.words[i], names[j]);
        xcap_caption_free(&cap);
    }
    for (int k = 0; k < 3; k++) b[special[k]] = saved[k];
}

static void test_max_tokens_limits_length(void **state) {
    world *w = *state;
    xcap_params p = xcap_default_params();
    p.max_tokens = 3;
    xcap_caption a;
    caption(w, 0, &p, &a);
    assert_true(a.n_words <= 3);
    xcap_caption_free(&a);
}

static void test_bad_params_are_refused(void **state) {
    world *w = *state;
    xcap_params p = xcap_default_params();
    xcap_caption a;
    p.beam = 0;
    assert_int_equal(xcap_caption_rgb(w->ctx, w->img[0], w->w, w->h, &p, &a), -1);
    assert_non_null(strstr(xcap_context_error(w->ctx), "beam width 0"));
    p = xcap_default_params();
    p.beam = 2;
    p.temperature = 1.0f;
    assert_int_equal(xcap_caption_rgb(w->ctx, w->img[0], w->w, w->h, &p, &a), -1);
    p = xcap_default_params();
    assert_int_equal(xcap_caption_rgb(w->ctx, w->img[0], 0, w->h, &p, &a), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_equals_full_recompute),
        cmocka_unit_test(test_map_rows_sum_to_one),
        cmocka_unit_test(test_beam_history_equals_full_recompute),
        cmocka_unit_test(test_beam_one_equals_greedy),
        cmocka_unit_test(test_beam_is_length_normalised),
        cmocka_unit_test(test_sampler_top_k_top_p),
        cmocka_unit_test(test_beam_search_finds_no_worse_sequence),
        cmocka_unit_test(test_sampling_repeats_for_a_seed),
        cmocka_unit_test(test_low_temperature_equals_greedy),
        cmocka_unit_test(test_batch_equals_single),
        cmocka_unit_test(test_special_tokens_never_generated),
        cmocka_unit_test(test_max_tokens_limits_length),
        cmocka_unit_test(test_bad_params_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
