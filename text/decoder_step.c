/* decoder_step.c — one-token-at-a-time decoding with cached keys and values. */
#include <string.h>

#include "nn/ops.h"
#include "nn/pool.h"
#include "text/decoder.h"

void txt_decoder_cache_take(txt_decoder_cache *c, nn_arena *ar, const txt_decoder_dims *dm,
                            size_t rows_max, size_t images_max) {
    size_t L = dm->layers, d = dm->d, T = dm->max_tokens, N = dm->n_patches;
    c->rows_max = rows_max;
    c->images_max = images_max;
    c->self_kt = nn_arena_take(ar, L * rows_max * d * T);
    c->self_v = nn_arena_take(ar, L * rows_max * T * d);
    c->cross_kt = nn_arena_take(ar, L * d * images_max * N);
    c->cross_v = nn_arena_take(ar, L * images_max * N * d);
    c->x = nn_arena_take(ar, rows_max * d);
    c->h = nn_arena_take(ar, rows_max * d);
    c->q = nn_arena_take(ar, rows_max * d);
    c->qkv = nn_arena_take(ar, rows_max * 3 * d);
    c->ctx = nn_arena_take(ar, rows_max * d);
    c->tmp = nn_arena_take(ar, rows_max * d);
    c->mean = nn_arena_take(ar, rows_max);
    c->rstd = nn_arena_take(ar, rows_max);
    c->ff = nn_arena_take(ar, rows_max * dm->ff);
    c->self_probs = nn_arena_take(ar, rows_max * dm->heads * T);
    c->cross_probs = nn_arena_take(ar, rows_max * L * dm->heads * N);
    c->logits = nn_arena_take(ar, rows_max * dm->vocab);
    c->reorder = nn_arena_take(ar, rows_max * T * d);
}

void txt_decoder_prepare_cross(txt_decoder_cache *c, const float *memory, size_t n_images,
                               const float *params, const txt_decoder_weights *w,
                               const txt_decoder_dims *dm) {
    size_t N = dm->n_patches, d = dm->d, per_layer = c->images_max * N * d;
    size_t cols = n_images * N, ldkt = c->images_max * N;
    for (size_t i = 0; i < dm->layers; i++) {
        const attn_weights *aw = &w->layer[i].cross.attn;
        /* K transposed, Wk memory^T + bk: row c starts as bk[c], the product is added */
        float *kt = c->cross_kt + i * per_layer;
        const float *bk = params + aw->bk;
        for (size_t ch = 0; ch < d; ch++)
            for (size_t j = 0; j < cols; j++) kt[ch * ldkt + j] = bk[ch];
        nn_gemm(kt, params + aw->wk, memory, 0, 1, d, cols, d, d, d, ldkt, 1.0f, 1.0f);
        nn_linear_forward(c->cross_v + i * per_layer, memory, params + aw->wv, params + aw->bv,
                          cols, d, d);
    }
}

/* x += linear(ctx, wo, bo) for rows rows, through c->tmp. */
static void project_add(txt_decoder_cache *c, const float *params, const attn_weights *aw,
                        size_t rows, size_t d) {
    nn_linear_forward(c->tmp, c->ctx, params + aw->wo, params + aw->bo, rows, d, d);
    nn_residual_forward(c->x, c->x, c->tmp, rows * d);
}

/* c->h = LN(c->x) with the layer norm at w. */
static void norm_rows(txt_decoder_cache *c, const float *params, const ln_weights *w, size_t rows,
                      size_t d) {
    nn_layernorm_forward(c->h, c->mean, c->rstd, c->x, params + w->w, params + w->b, rows, d);
}

/* The attention of one decode step for rows [begin, end) of layer `layer`, split over the
 * pool (rows are independent): causal self-attention over positions 0..pos, or
 * cross-attention to each row's image, whose maps are kept. */
typedef struct {
    txt_decoder_cache *c;
    const int *image_of_row;
    const txt_decoder_dims *dm;
    size_t pos, layer;
} step_job;

static void self_attention_rows(void *ctx, size_t begin, size_t end) {
    const step_job *j = ctx;
    txt_decoder_cache *c = j->c;
    const size_t d = j->dm->d, H = j->dm->heads, T = j->dm->max_tokens;
    const size_t layer = j->layer * c->rows_max * T * d;
    for (size_t r = begin; r < end; r++)
        attn_step(c->ctx + r * d, c->self_probs + r * H * T, c->qkv + r * 3 * d,
                  c->self_kt + layer + r * d * T, T, c->self_v + layer + r * T * d, j->pos + 1,
                  d, H);
}

static void cross_attention_rows(void *ctx, size_t begin, size_t end) {
    const step_job *j = ctx;
    txt_decoder_cache *c = j->c;
    const size_t d = j->dm->d, H = j->dm->heads, N = j->dm->n_patches, L = j->dm->layers;
    const size_t layer = j->layer * c->images_max * N * d;
    for (size_t r = begin; r < end; r++) {
        size_t img = (size_t)j->image_of_row[r];
        attn_step(c->ctx + r * d, c->cross_probs + (r * L + j->layer) * H * N, c->q + r * d,
                  c->cross_kt + layer + img * N, c->images_max * N,
                  c->cross_v + layer + img * N * d, N, d, H);
    }
}

/* Rows of a decode step worth a part of the pool. */
#define STEP_MIN_ROWS 8

void txt_decoder_step(txt_decoder_cache *c, const int *tokens, const int *image_of_row,
                      size_t pos, size_t rows, const float *params, const txt_decoder_weights *w,
                      const txt_decoder_dims *dm) {
    const size_t d = dm->d, T = dm->max_tokens, L = dm->layers;
    const size_t self_layer = c->rows_max * T * d;
    nn_embedding_forward(c->x, tokens, params + w->tok, rows, d);
    for (size_t r = 0; r < rows; r++)
        nn_residual_forward(c->x + r * d, c->x + r * d, params + w->pos + pos * d, d);
    for (size_t i = 0; i < L; i++) {
        const txt_decoder_layer *ly = &w->layer[i];
        const attn_weights *sa = &ly->self.attn, *xa = &ly->cross.attn;
        float *skt = c->self_kt + i * self_layer, *sv = c->self_v + i * self_layer;
        /* causal self-attention: Q, K and V in one product (wq, wk, wv are adjacent, and
         * bq, bk, bv), append this position's K (as a column) and V, attend to 0..pos */
        norm_rows(c, params, &ly->self.ln, rows, d);
        nn_linear_forward(c->qkv, c->h, params + sa->wq, params + sa->bq, rows, d, 3 * d);
        for (size_t r = 0; r < rows; r++) {
            const float *k = c->qkv + r * 3 * d + d;
            float *kt = skt + r * d * T + pos;
            for (size_t ch = 0; ch < d; ch++) kt[ch * T] = k[ch];
            memcpy(sv + (r * T + pos) * d, k + d, d * sizeof(float));
        }
        step_job job = {c, image_of_row, dm, pos, i};
        nn_pool_for(rows, STEP_MIN_ROWS, self_attention_rows, &job);
        project_add(c, params, sa, rows, d);
        /* cross-attention to the image's cached K and V; keep the maps */
        norm_rows(c, params, &ly->cross.ln, rows, d);
        nn_linear_forward(c->q, c->h, params + xa->wq, params + xa->bq, rows, d, d);
        nn_pool_for(rows, STEP_MIN_ROWS, cross_attention_rows, &job);
        project_add(c, params, xa, rows, d);
        /* MLP */
        norm_rows(c, params, &ly->mlp.ln, rows, d);
        const mlp_weights *mw = &ly->mlp.mlp;
        nn_linear_forward(c->ff, c->h, params + mw->fc_w, params + mw->fc_b, rows, d, dm->ff);
        nn_gelu_forward(c->ff, c->ff, rows * dm->ff);
        nn_linear_forward(c->tmp, c->ff, params + mw->proj_w, params + mw->proj_b, rows, dm->ff, d);
        nn_residual_forward(c->x, c->x, c->tmp, rows * d);
    }
    norm_rows(c, params, &w->ln, rows, d);
    nn_linear_forward(c->logits, c->h, params + w->head_w, params + w->head_b, rows, d, dm->vocab);
}

void txt_decoder_cache_reorder(txt_decoder_cache *c, const int *parent, size_t rows, size_t len,
                               const txt_decoder_dims *dm) {
    const size_t d = dm->d, T = dm->max_tokens, layer = c->rows_max * T * d;
    float *caches[2] = {c->self_kt, c->self_v};
    /* V keeps positions 0..len-1 in its first len * d floats; the transposed K spreads
     * them over all d rows, so its whole block is copied */
    const size_t keep[2] = {T * d, len * d};
    for (size_t i = 0; i < dm->layers; i++)
        for (int kv = 0; kv < 2; kv++) {
            float *base = caches[kv] + i * layer;
            for (size_t r = 0; r < rows; r++)
                memcpy(c->reorder + r * T * d, base + (size_t)parent[r] * T * d,
                       keep[kv] * sizeof(float));
            for (size_t r = 0; r < rows; r++)
                memcpy(base + r * T * d, c->reorder + r * T * d, keep[kv] * sizeof(float));
        }
}
