/* config.c — presets, validation and metadata round trip of the model config. */
#include "model/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const META_KEYS[XCAP_CONFIG_META] = {
    "image_w", "image_h", "patch", "d_model", "n_heads",
    "enc_layers", "dec_layers", "d_ff", "max_tokens", "edge_features", "letterbox"};

/* The config fields in META_KEYS order. */
static size_t *fields(xcap_config *c, size_t i) {
    size_t *f[XCAP_CONFIG_META] = {&c->image_w,    &c->image_h,    &c->patch,
                                   &c->d_model,    &c->n_heads,    &c->enc_layers,
                                   &c->dec_layers, &c->d_ff,       &c->max_tokens,
                                   &c->edge_features, &c->letterbox};
    return f[i];
}

int xcap_config_preset(xcap_config *cfg, const char *name, nn_error *err) {
    memset(cfg, 0, sizeof *cfg);
    if (strcmp(name, "S") == 0 || strcmp(name, "s") == 0) {
        /* no encoder blocks but the edge channel: measured best for pointing, held-out
         * colour–shape pairs and speed (README, "Training the shipped model") */
        *cfg = (xcap_config){.image_w = 96, .image_h = 96, .patch = 8, .d_model = 128,
                             .n_heads = 4, .enc_layers = 0, .dec_layers = 2, .d_ff = 512,
                             .max_tokens = 16, .edge_features = 1};
    } else if (strcmp(name, "M") == 0 || strcmp(name, "m") == 0) {
        *cfg = (xcap_config){.image_w = 128, .image_h = 128, .patch = 8, .d_model = 256,
                             .n_heads = 8, .enc_layers = 4, .dec_layers = 4, .d_ff = 1024,
                             .max_tokens = 24};
    } else {
        return nn_fail(err, "unknown preset '%s' (use S or M)", name);
    }
    return 0;
}

int xcap_config_validate(const xcap_config *c, nn_error *err) {
    if (c->patch == 0 || c->patch > 64) return nn_fail(err, "patch size %zu is not in 1..64", c->patch);
    if (c->image_w == 0 || c->image_h == 0 || c->image_w % c->patch || c->image_h % c->patch ||
        c->image_w > 4096 || c->image_h > 4096)
        return nn_fail(err, "input size %zux%zu is not a positive multiple of the patch size %zu (at most 4096)",
                       c->image_w, c->image_h, c->patch);
    if (xcap_config_patches(c) > 65536) return nn_fail(err, "more than 65536 patches");
    if (c->d_model == 0 || c->d_model > 8192 || c->n_heads == 0 || c->d_model % c->n_heads)
        return nn_fail(err, "d_model %zu is not a positive multiple of n_heads %zu (at most 8192)",
                       c->d_model, c->n_heads);
    if (c->enc_layers > VIS_MAX_LAYERS || c->dec_layers == 0 || c->dec_layers > TXT_MAX_LAYERS)
        return nn_fail(err, "layers (encoder %zu, decoder %zu) out of range (0..%d, 1..%d)",
                       c->enc_layers, c->dec_layers, VIS_MAX_LAYERS, TXT_MAX_LAYERS);
    if (c->d_ff == 0 || c->d_ff > 65536) return nn_fail(err, "d_ff %zu out of range", c->d_ff);
    if (c->edge_features > 1) return nn_fail(err, "edge_features %zu is not 0 or 1", c->edge_features);
    if (c->letterbox > 1) return nn_fail(err, "letterbox %zu is not 0 or 1", c->letterbox);
    if (c->max_tokens < 2 || c->max_tokens > 1024)
        return nn_fail(err, "max_tokens %zu is not in 2..1024", c->max_tokens);
    return 0;
}

int xcap_config_from_meta(xcap_config *cfg, const nn_st_reader *r, const char *path,
                          nn_error *err) {
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < XCAP_CONFIG_META; i++) {
        const char *v = nn_st_meta(r, META_KEYS[i]);
        if (!v && i >= XCAP_CONFIG_REQUIRED) continue;  /* edge_features, letterbox: optional */
        if (!v) return nn_fail(err, "%s: metadata '%s' is missing (not an xcap model?)", path, META_KEYS[i]);
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        char shown[40];
        if (errno || end == v || *end || v[0] == '-' || x > 1000000)
            return nn_fail(err, "%s: metadata '%s' = '%s' is not a count", path, META_KEYS[i],
                           nn_show(shown, sizeof shown, v));
        *fields(cfg, i) = (size_t)x;
    }
    if (xcap_config_validate(cfg, err) != 0) return nn_fail_prefix(err, path);
    return 0;
}

void xcap_config_to_meta(const xcap_config *cfg, const char **keys, const char **values,
                         char buf[XCAP_CONFIG_META][24]) {
    xcap_config c = *cfg;
    for (size_t i = 0; i < XCAP_CONFIG_META; i++) {
        snprintf(buf[i], sizeof buf[i], "%zu", *fields(&c, i));
        keys[i] = META_KEYS[i];
        values[i] = buf[i];
    }
}

size_t xcap_config_grid_w(const xcap_config *cfg) { return cfg->image_w / cfg->patch; }
size_t xcap_config_grid_h(const xcap_config *cfg) { return cfg->image_h / cfg->patch; }
size_t xcap_config_patches(const xcap_config *cfg) {
    return xcap_config_grid_w(cfg) * xcap_config_grid_h(cfg);
}

vis_encoder_dims xcap_config_encoder_dims(const xcap_config *c) {
    vis_encoder_dims dm = {xcap_config_patches(c), 3 * c->patch * c->patch, c->d_model,
                           c->n_heads, c->enc_layers, c->d_ff,
                           c->edge_features ? c->patch * c->patch : 0, xcap_config_grid_w(c),
                           c->patch};
    return dm;
}

txt_decoder_dims xcap_config_decoder_dims(const xcap_config *c) {
    txt_decoder_dims dm = {c->d_model, c->n_heads, c->dec_layers, c->d_ff,
                           c->vocab_size, c->max_tokens, xcap_config_patches(c)};
    return dm;
}
