/* encoder.c — patch embedding and the encoder stack, forward and backward. */
#include "vision/encoder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/ops.h"
#include "nn/pool.h"
#include "vision/patch_edges.h"

void vis_encoder_layout(vis_encoder_weights *w, nn_layout *L, const vis_encoder_dims *dm) {
    size_t d = dm->d;
    float out_std = 0.02f / sqrtf(2.0f * (float)(dm->layers ? dm->layers : 1));
    w->patch_w = nn_layout_add(L, "enc.patch", "w", d, dm->patch_dim, 1, NN_INIT_NORMAL, 0.02f);
    w->patch_b = nn_layout_add(L, "enc.patch", "b", d, 0, 0, NN_INIT_ZERO, 0);
    w->pos = nn_layout_add(L, "enc", "pos", dm->n_patches, d, 0, NN_INIT_NORMAL, 0.02f);
    if (dm->edge_dim)
        w->edge_w = nn_layout_add(L, "enc.edge", "w", d, dm->edge_dim, 1, NN_INIT_NORMAL, 0.02f);
    for (size_t i = 0; i < dm->layers; i++) {
        char ln1[32], attn[32], ln2[32], mlp[32];
        snprintf(ln1, sizeof ln1, "enc.%zu.ln1", i);
        snprintf(attn, sizeof attn, "enc.%zu.attn", i);
        snprintf(ln2, sizeof ln2, "enc.%zu.ln2", i);
        snprintf(mlp, sizeof mlp, "enc.%zu.mlp", i);
        blk_attn_layout(&w->layer[i].attn, L, ln1, attn, d, out_std);
        blk_mlp_layout(&w->layer[i].mlp, L, ln2, mlp, d, dm->ff, out_std);
    }
    ln_layout(&w->ln, L, "enc.ln", d);
}

attn_shape vis_encoder_shape(const vis_encoder_dims *dm, size_t batch) {
    attn_shape s = {batch, dm->n_patches, dm->n_patches, dm->d, dm->heads, 0, NULL, NULL, 0};
    return s;
}

void vis_encoder_acts_take(vis_encoder_acts *a, nn_arena *ar, const vis_encoder_dims *dm,
                           size_t batch) {
    size_t rows = batch * dm->n_patches;
    attn_shape s = vis_encoder_shape(dm, batch);
    a->batch = batch;
    a->edges = dm->edge_dim ? nn_arena_take(ar, rows * dm->edge_dim) : NULL;
    a->edge_scratch = dm->edge_dim ? nn_arena_take(ar, rows * dm->patch_dim) : NULL;
    a->embed = nn_arena_take(ar, rows * dm->d);
    for (size_t i = 0; i < dm->layers; i++) {
        blk_attn_acts_take(&a->attn[i], ar, &s);
        blk_mlp_acts_take(&a->mlp[i], ar, rows, dm->d, dm->ff);
    }
    ln_acts_take(&a->ln, ar, rows, dm->d);
}

/* The residual stream entering layer i (or the final LN when i == layers). */
static const float *stream_in(const vis_encoder_acts *a, size_t i) {
    return i == 0 ? a->embed : a->mlp[i - 1].out;
}

/* The edge channel of a batch, for images [begin, end). A part reuses one scratch image,
 * the slot of its first image: parts start at different images, so their slots differ,
 * and the few slots in use stay in cache. */
typedef struct {
    const vis_encoder_acts *a;
    const float *patches;
    const vis_encoder_dims *dm;
} edges_job;

static void edges_of_images(void *ctx, size_t begin, size_t end) {
    const edges_job *job = ctx;
    const vis_encoder_dims *dm = job->dm;
    const size_t N = dm->n_patches, gh = N / dm->grid_w;
    for (size_t b = begin; b < end; b++)
        vis_patch_edges(job->a->edges + b * N * dm->edge_dim,
                        job->a->edge_scratch + begin * N * dm->patch_dim,
                        job->patches + b * N * dm->patch_dim, dm->grid_w, gh, dm->patch);
}

void vis_encoder_forward(vis_encoder_acts *a, const float *patches, const float *params,
                         const vis_encoder_weights *w, const vis_encoder_dims *dm, size_t batch) {
    size_t rows = batch * dm->n_patches;
    attn_shape s = vis_encoder_shape(dm, batch);
    nn_linear_forward(a->embed, patches, params + w->patch_w, params + w->patch_b, rows,
                      dm->patch_dim, dm->d);
    if (dm->edge_dim) {
        edges_job job = {a, patches, dm};
        nn_pool_for(batch, 1, edges_of_images, &job);
        /* embed += edges W_edge^T */
        nn_gemm(a->embed, a->edges, params + w->edge_w, 0, 1, rows, dm->d, dm->edge_dim,
                dm->edge_dim, dm->edge_dim, dm->d, 1.0f, 1.0f);
    }
    nn_position_forward(a->embed, params + w->pos, batch, dm->n_patches, dm->d);
    for (size_t i = 0; i < dm->layers; i++) {
        blk_attn_forward(&a->attn[i], stream_in(a, i), NULL, params, &w->layer[i].attn, &s);
        blk_mlp_forward(&a->mlp[i], a->attn[i].out, params, &w->layer[i].mlp, rows, dm->d, dm->ff);
    }
    ln_forward(&a->ln, stream_in(a, dm->layers), params, &w->ln, rows, dm->d);
}

void vis_encoder_backward(float *grads, float *dmemory, float *dx_a, float *dx_b, blk_scratch *sc,
                          const vis_encoder_acts *a, const float *patches, const float *params,
                          const vis_encoder_weights *w, const vis_encoder_dims *dm, size_t batch) {
    size_t rows = batch * dm->n_patches, bytes = rows * dm->d * sizeof(float);
    attn_shape s = vis_encoder_shape(dm, batch);
    float *dcur = dx_a, *dmid = dx_b;  /* gradient at the current stream point */
    memset(dcur, 0, bytes);
    ln_backward(dcur, grads, dmemory, &a->ln, stream_in(a, dm->layers), params, &w->ln, rows,
                dm->d);
    for (size_t i = dm->layers; i-- > 0;) {
        memset(dmid, 0, bytes);
        blk_mlp_backward(dmid, grads, dcur, &a->mlp[i], sc, a->attn[i].out, params,
                         &w->layer[i].mlp, rows, dm->d, dm->ff);
        memset(dcur, 0, bytes);
        blk_attn_backward(dcur, NULL, grads, dmid, &a->attn[i], sc, stream_in(a, i), NULL, params,
                          &w->layer[i].attn, &s);
    }
    nn_position_backward(grads + w->pos, dcur, batch, dm->n_patches, dm->d);
    nn_linear_backward(NULL, grads + w->patch_w, grads + w->patch_b, dcur, patches,
                       params + w->patch_w, rows, dm->patch_dim, dm->d);
    if (dm->edge_dim)  /* dW_edge += dembed^T edges */
        nn_gemm(grads + w->edge_w, dcur, a->edges, 1, 0, dm->d, dm->edge_dim, rows, dm->d,
                dm->edge_dim, dm->edge_dim, 1.0f, 1.0f);
}
