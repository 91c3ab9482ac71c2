/* fixture.c — the tiny PyTorch fixture, shared by the model tests. */
#include "tests/util/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/util/check.h"
#include "vision/image.h"

xcap_model *fixture_model_named(const char *prefix) {
    nn_error err;
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/%s_weights.safetensors", prefix);
    xcap_model *m = xcap_model_load_file(source_path(rel), &err);
    if (!m) fail_msg("%s", err.msg);
    return m;
}

nn_st_reader *fixture_case_named(const char *prefix) {
    nn_error err;
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/%s_case.safetensors", prefix);
    nn_st_reader *r = nn_st_open(source_path(rel), &err);
    if (!r) fail_msg("%s", err.msg);
    return r;
}

xcap_model *fixture_model(void) { return fixture_model_named("tiny"); }
nn_st_reader *fixture_case(void) { return fixture_case_named("tiny"); }

const float *fixture_tensor(const nn_st_reader *c, const char *name, size_t *numel) {
    const nn_st_tensor *t = nn_st_find(c, name);
    if (!t || t->dtype != NN_ST_F32) fail_msg("fixture tensor '%s' missing", name);
    if (numel) *numel = t->numel;
    /* safetensors data is 8-byte aligned after the padded header in our fixtures */
    return (const float *)t->data;
}

void fixture_fill_batch(xcap_batch *b, const xcap_model *m, const nn_st_reader *c) {
    const xcap_config *cfg = &m->cfg;
    size_t n_img;
    const float *img = fixture_tensor(c, "image", &n_img);
    const float *tok = fixture_tensor(c, "tokens", NULL);
    const float *tgt = fixture_tensor(c, "targets", NULL);
    const float *len = fixture_tensor(c, "lengths", NULL);
    size_t per = cfg->image_w * cfg->image_h * 3, B = n_img / per;
    size_t N = xcap_config_patches(cfg), pd = 3 * cfg->patch * cfg->patch;
    unsigned char *bytes = malloc(per);
    assert_non_null(bytes);
    b->batch = B;
    for (size_t i = 0; i < B; i++) {
        for (size_t j = 0; j < per; j++) bytes[j] = (unsigned char)img[i * per + j];
        vis_patchify(b->patches + i * N * pd, bytes, cfg->image_w, cfg->image_h, cfg->patch);
        b->lengths[i] = (int)len[i];
    }
    for (size_t j = 0; j < B * b->t; j++) {
        b->tokens[j] = (int)tok[j];
        b->targets[j] = (int)tgt[j];
    }
    free(bytes);
}
