/* flops.c — matrix-product FLOPs of the forward pass and of a training step (flops.h). */
#include "model/flops.h"

#include "attention/attention.h"

/* 2·N·3P²·d + E·2·N·P²·d: the patch and edge embeddings of one image (their inputs need
 * no gradient). */
static double patch_flops(const xcap_config *c) {
    double N = (double)xcap_config_patches(c), pp = (double)(c->patch * c->patch);
    return 2.0 * N * (3.0 + (c->edge_features ? 1.0 : 0.0)) * pp * (double)c->d_model;
}

double xcap_flops_forward(const xcap_config *c) {
    double N = (double)xcap_config_patches(c), d = (double)c->d_model, f = (double)c->d_ff;
    double T = (double)c->max_tokens, V = (double)c->vocab_size;
    double enc = 8 * N * d * d + 4 * N * N * d + 4 * N * d * f;
    double self = 8 * T * d * d + 4 * T * T * d;
    /* the Q and output projections, then K/V form or reassociated form (attention.h) */
    double H = (double)c->n_heads;
    double cross = 4 * T * d * d;
    if (attn_reassociation_pays(c->max_tokens, xcap_config_patches(c), c->d_model, c->n_heads))
        cross += 4 * T * d * d + 4 * H * T * N * d;
    else
        cross += 4 * N * d * d + 4 * T * N * d;
    double dec = self + cross + 4 * T * d * f;
    return patch_flops(c) + (double)c->enc_layers * enc + (double)c->dec_layers * dec +
           2 * T * d * V;
}

double xcap_flops_train_step(const xcap_config *c, size_t batch) {
    return (double)batch * (3.0 * xcap_flops_forward(c) - patch_flops(c));
}
