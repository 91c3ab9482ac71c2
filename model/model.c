/* model.c — creating, loading and saving the captioner's weights. */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/rng.h"
#include "nn/safetensors.h"

int xcap_model_build_layout(xcap_model *m, nn_error *err) {
    vis_encoder_dims ed = xcap_config_encoder_dims(&m->cfg);
    txt_decoder_dims dd = xcap_config_decoder_dims(&m->cfg);
    vis_encoder_layout(&m->enc, &m->layout, &ed);
    txt_decoder_layout(&m->dec, &m->layout, &dd);
    if (m->layout.failed) return nn_fail(err, "out of memory building the tensor table");
    return 0;
}

/* Allocates an empty model with config cfg and vocabulary vocab (taken over). With a
 * reader r of the file path, every tensor of the layout must be in it (F32, right shape,
 * finite) before the parameters are allocated, so a small file cannot ask for a huge
 * model; messages then start with path. */
static xcap_model *model_alloc(const xcap_config *cfg, txt_vocab *vocab, const nn_st_reader *r,
                               const char *path, nn_error *err) {
    xcap_model *m = calloc(1, sizeof *m);
    if (!m) {
        nn_fail(err, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    m->vocab = *vocab;
    memset(vocab, 0, sizeof *vocab);
    m->cfg.vocab_size = m->vocab.size;
    if (xcap_config_validate(&m->cfg, err) != 0 || xcap_model_build_layout(m, err) != 0) {
        if (path) nn_fail_prefix(err, path);
        xcap_model_free(m);
        return NULL;
    }
    for (size_t i = 0; r && i < m->layout.count; i++) {
        const nn_tensor *t = &m->layout.tensors[i];
        if (nn_st_check_f32(r, t->name, t->shape, t->ndim, err) != 0) {
            xcap_model_free(m);
            return NULL;
        }
    }
    m->params = malloc(m->layout.total * sizeof(float));
    if (!m->params) {
        nn_fail(err, "%s%sout of memory for %zu parameters", path ? path : "", path ? ": " : "",
                m->layout.total);
        xcap_model_free(m);
        return NULL;
    }
    return m;
}

xcap_model *xcap_model_create(const xcap_config *cfg, txt_vocab *vocab, uint64_t seed,
                              nn_error *err) {
    xcap_model *m = model_alloc(cfg, vocab, NULL, NULL, err);
    if (!m) return NULL;
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    for (size_t i = 0; i < m->layout.count; i++) {
        const nn_tensor *t = &m->layout.tensors[i];
        float *p = m->params + t->offset;
        for (size_t j = 0; j < t->numel; j++)
            p[j] = t->init == NN_INIT_ONE ? 1.0f
                 : t->init == NN_INIT_NORMAL ? t->init_std * nn_rng_normal(&rng) : 0.0f;
    }
    return m;
}

/* Reads the decimal count at *s that must be below limit, and the byte after it must be
 * sep (or the end when sep is ','); advances *s past both. -1 otherwise. */
static int read_index(const char **s, size_t limit, char sep, int *out) {
    const char *p = *s;
    size_t v = 0;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (size_t)(*p - '0');
        if (v >= limit) return -1; /* limit is small, so v never overflows */
    }
    if (*p == sep) p++;
    else if (!(sep == ',' && *p == '\0')) return -1;
    *out = (int)v;
    *s = p;
    return 0;
}

int xcap_parse_heads(int *layer, int *head, size_t *n, size_t max, const char *s,
                     size_t n_layers, size_t n_heads) {
    *n = 0;
    while (*s) {
        int l, h;
        if (*n >= max || read_index(&s, n_layers, ':', &l) != 0 || read_index(&s, n_heads, ',', &h) != 0)
            return -1;
        layer[*n] = l;
        head[*n] = h;
        (*n)++;
    }
    return 0;
}

/* Parses "l:h,l:h,..." alignment heads from metadata into m; ignores nothing silently. */
static int parse_align_heads(xcap_model *m, const char *s, const char *path, nn_error *err) {
    if (xcap_parse_heads(m->align_layer, m->align_head, &m->n_align, XCAP_MAX_ALIGN_HEADS, s,
                         m->cfg.dec_layers, m->cfg.n_heads) != 0)
        return nn_fail(err, "%s: metadata 'align_heads' is not a list of layer:head pairs", path);
    return 0;
}

xcap_model *xcap_model_load_file(const char *path, nn_error *err) {
    nn_st_reader *r = nn_st_open(path, err);
    if (!r) return NULL;
    xcap_config cfg;
    txt_vocab vocab;
    xcap_model *m = NULL;
    if (xcap_config_from_meta(&cfg, r, path, err) != 0) goto done;
    const char *words = nn_st_meta(r, "vocab");
    if (!words) {
        nn_fail(err, "%s: metadata 'vocab' is missing", path);
        goto done;
    }
    if (txt_vocab_from_lines(&vocab, words, err) != 0) {
        nn_fail_prefix(err, path);
        goto done;
    }
    m = model_alloc(&cfg, &vocab, r, path, err);
    if (!m) {
        txt_vocab_free(&vocab);
        goto done;
    }
    for (size_t i = 0; i < m->layout.count; i++) {
        const nn_tensor *t = &m->layout.tensors[i];
        if (nn_st_read_f32(r, t->name, t->shape, t->ndim, m->params + t->offset, err) != 0) {
            xcap_model_free(m);
            m = NULL;
            goto done;
        }
    }
    const char *heads = nn_st_meta(r, "align_heads");
    if (heads && parse_align_heads(m, heads, path, err) != 0) {
        xcap_model_free(m);
        m = NULL;
    }
done:
    nn_st_close(r);
    return m;
}

int xcap_model_write(const xcap_model *m, const char *path, const nn_st_entry *extra,
                     size_t n_extra, const char *extra_key, const char *extra_value,
                     nn_error *err) {
    size_t n = m->layout.count;
    nn_st_entry *entries = calloc(n + n_extra, sizeof *entries);
    char *vocab = txt_vocab_join(&m->vocab);
    if (!entries || !vocab) {
        free(entries);
        free(vocab);
        return nn_fail(err, "%s: out of memory", path);
    }
    for (size_t i = 0; i < n; i++) {
        const nn_tensor *t = &m->layout.tensors[i];
        entries[i] = (nn_st_entry){t->name, t->ndim, {t->shape[0], t->shape[1]}, m->params + t->offset};
    }
    for (size_t i = 0; i < n_extra; i++) entries[n + i] = extra[i];
    const char *keys[XCAP_CONFIG_META + 4], *values[XCAP_CONFIG_META + 4];
    char buf[XCAP_CONFIG_META][24], heads[XCAP_MAX_ALIGN_HEADS * 12] = "";
    xcap_config_to_meta(&m->cfg, keys, values, buf);
    size_t n_meta = XCAP_CONFIG_META;
    keys[n_meta] = "vocab";
    values[n_meta++] = vocab;
    keys[n_meta] = "format";
    values[n_meta++] = "xcap-1";
    if (m->n_align) {
        size_t len = 0;
        for (size_t i = 0; i < m->n_align; i++)
            len += (size_t)snprintf(heads + len, sizeof heads - len, "%s%d:%d", i ? "," : "",
                                    m->align_layer[i], m->align_head[i]);
        keys[n_meta] = "align_heads";
        values[n_meta++] = heads;
    }
    if (extra_key) {
        keys[n_meta] = extra_key;
        values[n_meta++] = extra_value;
    }
    int rc = nn_st_write(path, entries, n + n_extra, keys, values, n_meta, err);
    free(entries);
    free(vocab);
    return rc;
}

int xcap_model_save_file(const xcap_model *m, const char *path, nn_error *err) {
    return xcap_model_write(m, path, NULL, 0, NULL, NULL, err);
}

void xcap_model_free(xcap_model *m) {
    if (!m) return;
    txt_vocab_free(&m->vocab);
    nn_layout_free(&m->layout);
    free(m->params);
    free(m);
}
