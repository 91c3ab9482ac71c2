/* train.c — the training step, shapes-world batches and checkpoints. */
#include "model/train.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/pool.h"
#include "nn/rng.h"
#include "nn/safetensors.h"
#include "vision/image.h"
#include "vision/shapes.h"

xcap_train_opts xcap_train_defaults(void) {
    xcap_train_opts o = {0};
    o.steps = 40000;
    o.warmup = 500;
    o.batch = 32;
    o.lr = 2e-3f;
    o.lr_min = 1e-5f;
    o.weight_decay = 0.01f;
    o.clip = 1.0f;
    o.beta1 = 0.9f;
    o.beta2 = 0.999f;
    o.eps = 1e-8f;
    o.seed = 1;
    o.max_objects = 3;
    return o;
}

int xcap_shapes_vocab(txt_vocab *v, const xcap_config *cfg, uint64_t seed, nn_error *err) {
    enum { SAMPLE = 3000 };
    char (*text)[VIS_CAPTION_MAX_CHARS] = malloc(SAMPLE * 2 * sizeof *text);
    const char **caps = malloc(SAMPLE * 2 * sizeof *caps);
    size_t n = 0;
    vis_scene s = {0};
    int rc = -1;
    if (!text || !caps) {
        nn_fail(err, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < SAMPLE; i++) {
        if (vis_scene_generate_with(&s, vis_scene_seed(seed ^ 0x5eed, i), VIS_SPLIT_TRAIN,
                                    (int)cfg->image_w, (int)cfg->image_h, 0, NULL, 0, err) != 0)
            goto done;
        for (int k = 0; k < s.n_captions; k++) {
            memcpy(text[n], s.captions[k].text, VIS_CAPTION_MAX_CHARS);
            caps[n] = text[n];
            n++;
        }
    }
    rc = txt_vocab_build(v, caps, n, 1, err);
done:
    vis_scene_free(&s);
    free(text);
    free(caps);
    return rc;
}

/* Sizes t's batch for its rows and supervises the alignment heads of its options. */
static int make_batch(xcap_trainer *t, nn_error *err) {
    xcap_model *m = t->model;
    const xcap_train_opts *o = &t->opts;
    if (xcap_batch_create(&t->batch, m, t->rows, err) != 0) return -1;
    if (o->align_weight > 0.0f) {
        m->n_align = o->n_align;
        for (size_t i = 0; i < o->n_align; i++) {
            if ((size_t)o->align_layer[i] >= m->cfg.dec_layers ||
                (size_t)o->align_head[i] >= m->cfg.n_heads)
                return nn_fail(err, "alignment head %d:%d is not in the model (%zu layers, %zu heads)",
                               o->align_layer[i], o->align_head[i], m->cfg.dec_layers, m->cfg.n_heads);
            xcap_batch_supervise(&t->batch, (size_t)o->align_layer[i], (size_t)o->align_head[i],
                                 o->align_weight);
            m->align_layer[i] = o->align_layer[i];
            m->align_head[i] = o->align_head[i];
        }
    }
    return 0;
}

int xcap_trainer_create(xcap_trainer *t, xcap_model *m, const xcap_train_opts *o, nn_error *err) {
    memset(t, 0, sizeof *t);
    t->model = m;
    t->opts = *o;
    t->row0 = 0;
    t->rows = o->batch;
    size_t n = m->layout.total;
    t->grads = calloc(n, sizeof(float));
    t->m = calloc(n, sizeof(float));
    t->v = calloc(n, sizeof(float));
    if (!t->grads || !t->m || !t->v) {
        xcap_trainer_free(t);
        return nn_fail(err, "out of memory for the optimiser (%zu parameters)", n);
    }
    if (make_batch(t, err) != 0) {
        xcap_trainer_free(t);
        return -1;
    }
    return 0;
}

int xcap_trainer_shard(xcap_trainer *t, size_t rank, size_t ranks, nn_error *err) {
    size_t B = t->opts.batch;
    if (ranks == 0 || rank >= ranks) return nn_fail(err, "rank %zu of %zu processes", rank, ranks);
    if (B < ranks)
        return nn_fail(err, "a batch of %zu cannot be shared by %zu processes (--batch at least %zu)",
                       B, ranks, ranks);
    xcap_batch_free(&t->batch);
    t->row0 = rank * B / ranks;
    t->rows = (rank + 1) * B / ranks - t->row0;
    return make_batch(t, err);
}

int xcap_train_parse_align_heads(xcap_train_opts *o, const char *s, size_t n_layers,
                                 size_t n_heads, nn_error *err) {
    size_t n;
    int seen[TXT_MAX_LAYERS] = {0}, ok = n_layers <= TXT_MAX_LAYERS &&
        xcap_parse_heads(o->align_layer, o->align_head, &n, TXT_MAX_LAYERS, s, n_layers, n_heads) == 0;
    for (size_t i = 0; ok && i < n; i++) ok = !seen[o->align_layer[i]]++;
    if (!ok)
        return nn_fail(err, "'%s' is not a list of layer:head pairs (layers 0..%zu, heads 0..%zu, "
                            "one head per layer)", s, n_layers - 1, n_heads - 1);
    if (n == 0) return nn_fail(err, "no alignment heads given");
    o->n_align = n;
    return 0;
}

/* Writes the alignment targets of batch row i: at position j (which predicts word j) the
 * share of each input patch in the object that word names (the scene drawn through fit), for
 * size, colour and shape words. */
static void fill_align_rows(xcap_batch *b, size_t i, const vis_scene *s, const vis_caption *cap,
                            const vis_fit *fit, const xcap_config *cfg) {
    size_t T = b->t, N = xcap_config_patches(cfg);
    float *rows = b->align_rows + i * T * N;
    memset(rows, 0, T * N * sizeof *rows);
    const float *done[VIS_MAX_OBJECTS] = {NULL};  /* the row holding each object's share */
    for (int j = 0; j < cap->n_words && (size_t)j < T - 1; j++) {
        int o = cap->object[j];
        if (cap->kind[j] == VIS_WORD_OTHER || o < 0) continue;
        float *row = rows + (size_t)j * N;
        if (done[o]) {  /* an object's size, colour and shape words share one target */
            memcpy(row, done[o], N * sizeof *row);
            continue;
        }
        vis_object_fit_share(row, s, o, fit, (int)cfg->image_w, (int)cfg->image_h,
                             (int)cfg->patch);
        done[o] = row;
    }
}

void xcap_trainer_free(xcap_trainer *t) {
    free(t->grads);
    free(t->m);
    free(t->v);
    xcap_batch_free(&t->batch);
    memset(t, 0, sizeof *t);
}

/* The training target of a scene: two-object scenes have two references (a relation and
 * its converse); the one that reads "left of" or "above" is always taught, so the target
 * is a function of the image. Both still count as correct in evaluation. */
static int canonical_caption(const vis_scene *s) {
    for (int k = 0; k < s->n_captions; k++)
        if (strstr(s->captions[k].text, " left of ") || strstr(s->captions[k].text, " above "))
            return k;
    return 0;
}

/* A hash of (seed ^ salt, step, global row i): the same in a resumed run and on any number
 * of ranks. */
static uint64_t row_hash(const xcap_trainer *t, uint64_t salt, size_t i) {
    return nn_seed_mix(nn_seed_mix(t->opts.seed ^ salt, (uint64_t)t->step), i);
}

/* The top 24 bits of a hash as a uniform number in [0, 1). */
static float hash_unit(uint64_t h) { return (float)(h >> 40) / (float)(1u << 24); }

/* Word dropout on batch row k (row i of the global batch): input word j >= 1 becomes <unk>
 * with probability p, drawn from a hash of (seed, step, i, j) so that a resumed run drops
 * the same words. */
static void drop_words(xcap_batch *b, size_t k, size_t i, const xcap_trainer *t) {
    float p = t->opts.word_dropout;
    if (p <= 0.0f) return;
    int *tok = b->tokens + k * b->t;
    uint64_t row = row_hash(t, 0xd809, i);
    for (size_t j = 1; j < (size_t)b->lengths[k]; j++)
        if (hash_unit(nn_seed_mix(row, j)) < p) tok[j] = TXT_UNK;
}

/* 1 when scene i of the current step is shown as a grey view (a hash of seed, step, i). */
static int is_grey_view(const xcap_trainer *t, size_t i) {
    return t->opts.grey_views > 0.0f && hash_unit(row_hash(t, 0x62e7, i)) < t->opts.grey_views;
}

/* Replaces every pixel of rgb by its luminance (ITU-R BT.601 weights) in all channels. */
static void make_grey(unsigned char *rgb, size_t pixels) {
    for (size_t p = 0; p < pixels; p++, rgb += 3) {
        unsigned y = (299u * rgb[0] + 587u * rgb[1] + 114u * rgb[2] + 500u) / 1000u;
        rgb[0] = rgb[1] = rgb[2] = (unsigned char)y;
    }
}

/* Batch row i of a grey view: colour words are not taught (target <pad>) and, where they
 * are read as the next position's input, read as <unk>. */
static void hide_colour_words(xcap_batch *b, size_t i, const vis_caption *cap) {
    int *tok = b->tokens + i * b->t, *tgt = b->targets + i * b->t;
    for (int j = 0; j < cap->n_words && (size_t)j < b->t - 1; j++) {
        if (cap->kind[j] != VIS_WORD_COLOUR) continue;
        tgt[j] = TXT_PAD;
        tok[j + 1] = TXT_UNK;
    }
}

/* Drawing the scenes of a batch, split over the pool: rows [begin, end) of a part, each
 * part with its own scene buffers; the first part that fails keeps its message. */
typedef struct {
    xcap_trainer *t;
    int failed;   /* set once (atomic) by the first failing part */
    nn_error err;
} fill_job;

/* Draws rows [begin, end) of the batch: each scene on its own random canvas, drawn straight
 * into the model's input through the model's fit (what resizing that canvas would give). */
static void fill_shapes_rows(void *ctx, size_t begin, size_t end) {
    fill_job *job = ctx;
    xcap_trainer *t = job->t;
    const xcap_config *cfg = &t->model->cfg;
    xcap_batch *b = &t->batch;
    size_t N = xcap_config_patches(cfg), pd = 3 * cfg->patch * cfg->patch;
    int iw = (int)cfg->image_w, ih = (int)cfg->image_h;
    vis_recipe recipe = vis_recipe_default();
    vis_scene scene = {0};
    nn_error err;
    unsigned char *input = malloc((size_t)iw * (size_t)ih * 3);
    if (!input) {
        if (__atomic_exchange_n(&job->failed, 1, __ATOMIC_ACQ_REL) == 0)
            nn_fail(&job->err, "out of memory for a %dx%d input", iw, ih);
        return;
    }
    for (size_t k = begin; k < end; k++) {
        size_t i = t->row0 + k;  /* the row of the global batch: what the sample depends on */
        uint64_t seed = vis_scene_seed(t->opts.seed, (uint64_t)t->step * t->opts.batch + i);
        int n_obj = 1 + (int)(seed % (uint64_t)t->opts.max_objects), cw, ch;
        vis_canvas_sample(&cw, &ch, &recipe, seed, iw, ih);
        vis_fit fit;
        if (vis_scene_generate_with(&scene, seed, VIS_SPLIT_TRAIN, cw, ch, n_obj, &recipe, 0,
                                    &err) != 0 ||
            (fit = vis_fit_make(cw, ch, iw, ih, cfg->letterbox, scene.look.bg),
             vis_scene_render(input, iw, ih, &scene, &fit, &err)) != 0) {
            if (__atomic_exchange_n(&job->failed, 1, __ATOMIC_ACQ_REL) == 0) job->err = err;
            break;
        }
        int grey = is_grey_view(t, i);
        if (grey) make_grey(input, (size_t)iw * (size_t)ih);
        vis_patchify(b->patches + k * N * pd, input, cfg->image_w, cfg->image_h, cfg->patch);
        const vis_caption *cap = &scene.captions[canonical_caption(&scene)];
        xcap_batch_set_caption(b, t->model, k, cap->text);
        drop_words(b, k, i, t);
        if (grey) hide_colour_words(b, k, cap);
        if (t->opts.align_weight > 0.0f) fill_align_rows(b, k, &scene, cap, &fit, cfg);
    }
    free(input);
    vis_scene_free(&scene);
}

int xcap_trainer_fill_shapes(xcap_trainer *t, nn_error *err) {
    t->batch.batch = t->rows;
    fill_job job = {.t = t};
    nn_pool_for(t->rows, 1, fill_shapes_rows, &job);
    if (job.failed) {
        *err = job.err;
        return -1;
    }
    return 0;
}

void xcap_trainer_fill_disk(xcap_trainer *t, const xcap_disk_data *d) {
    const xcap_config *cfg = &t->model->cfg;
    xcap_batch *b = &t->batch;
    size_t N = xcap_config_patches(cfg), pd = 3 * cfg->patch * cfg->patch;
    b->batch = t->rows;
    for (size_t k = 0; k < b->batch; k++) {
        size_t i = t->row0 + k;  /* the row of the global batch */
        uint64_t h = nn_seed_mix(t->opts.seed, (uint64_t)t->step * t->opts.batch + i);
        const txt_ds_item *item = &d->ds.items[h % d->ds.n_items];
        size_t which = (size_t)((h >> 32) % item->n_captions);
        vis_patchify(b->patches + k * N * pd, d->pixels + (size_t)(item - d->ds.items) * d->image_bytes,
                     cfg->image_w, cfg->image_h, cfg->patch);
        xcap_batch_set_caption(b, t->model, k, item->captions[which].text);
        drop_words(b, k, i, t);
    }
}

float xcap_trainer_step(xcap_trainer *t) {
    xcap_model *m = t->model;
    memset(t->grads, 0, m->layout.total * sizeof(float));
    float loss = xcap_batch_forward(&t->batch, m);
    xcap_batch_backward(&t->batch, m, t->grads);
    xcap_trainer_update(t, loss);
    return loss;
}

void xcap_trainer_forward(xcap_trainer *t, xcap_batch_sums *s) {
    xcap_batch_forward(&t->batch, t->model);
    xcap_batch_sums_of(s, &t->batch);
}

float xcap_trainer_backward(xcap_trainer *t, const xcap_batch_sums *total) {
    xcap_model *m = t->model;
    float loss = xcap_batch_use_sums(&t->batch, total);
    memset(t->grads, 0, m->layout.total * sizeof(float));
    xcap_batch_backward(&t->batch, m, t->grads);
    return loss;
}

void xcap_trainer_update(xcap_trainer *t, float loss) {
    xcap_model *m = t->model;
    const xcap_train_opts *o = &t->opts;
    size_t total = m->layout.total;
    t->last_norm = nn_clip_grad_norm(t->grads, total, o->clip);
    t->last_lr = nn_lr_schedule(t->step, o->steps, o->warmup, o->lr, o->lr_min);
    nn_adamw_hparams h = {t->last_lr, o->beta1, o->beta2, o->eps, o->weight_decay};
    for (size_t i = 0; i < m->layout.count; i++) {
        const nn_tensor *ten = &m->layout.tensors[i];
        size_t off = ten->offset;
        nn_adamw_update(m->params + off, t->m + off, t->v + off, t->grads + off, ten->numel,
                        ten->decay, &h, t->step + 1);
    }
    t->step++;
    t->last_loss = loss;
    t->last_align = t->batch.align_loss;
}

/* The option fields stored in a checkpoint, as text. */
static void opts_to_text(const xcap_trainer *t, char *buf, size_t cap) {
    const xcap_train_opts *o = &t->opts;
    size_t len = (size_t)snprintf(
        buf, cap,
        "step=%ld steps=%ld warmup=%ld batch=%zu lr=%.9g lr_min=%.9g wd=%.9g clip=%.9g "
        "beta1=%.9g beta2=%.9g eps=%.9g seed=%" PRIu64 " max_objects=%d",
        t->step, o->steps, o->warmup, o->batch, o->lr, o->lr_min, o->weight_decay, o->clip,
        o->beta1, o->beta2, o->eps, o->seed, o->max_objects);
    if (o->word_dropout > 0.0f && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, " word_dropout=%.9g", o->word_dropout);
    if (o->grey_views > 0.0f && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, " grey_views=%.9g", o->grey_views);
    if (o->align_weight <= 0.0f || len >= cap) return;
    len += (size_t)snprintf(buf + len, cap - len, " align=%.9g align_heads=", o->align_weight);
    for (size_t i = 0; i < o->n_align && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%d:%d", i ? "," : "", o->align_layer[i],
                                o->align_head[i]);
}

/* Reads "name=" and a decimal count in [lo, hi] at *s and the space (or end) after it,
 * advancing *s; -1 for anything else: no digits, a sign, overflow, out of range. */
static int take_count(const char **s, const char *name, uint64_t lo, uint64_t hi, uint64_t *out) {
    size_t n = strlen(name);
    const char *p = *s + n + 1;
    if (strncmp(*s, name, n) != 0 || (*s)[n] != '=' || *p < '0' || *p > '9') return -1;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (v < lo || v > hi || (*p != ' ' && *p != '\0')) return -1;
    *s = *p ? p + 1 : p;
    *out = v;
    return 0;
}

/* The same for "name=" and a finite float (as strtof reads it). */
static int take_float(const char **s, const char *name, float *out) {
    size_t n = strlen(name);
    if (strncmp(*s, name, n) != 0 || (*s)[n] != '=') return -1;
    const char *p = *s + n + 1;
    char *end;
    float v = strtof(p, &end);
    if (end == p || !isfinite(v) || (*end != ' ' && *end != '\0')) return -1;
    *s = *end ? end + 1 : end;
    *out = v;
    return 0;
}

/* Parses opts_to_text's format (its fields in its order); -1 when a field is missing,
 * malformed or out of range. */
static int opts_from_text(xcap_trainer *t, const char *s) {
    xcap_train_opts *o = &t->opts;
    uint64_t step, steps, warmup, batch, objects;
    if (take_count(&s, "step", 0, LONG_MAX, &step) || take_count(&s, "steps", 0, LONG_MAX, &steps) ||
        take_count(&s, "warmup", 0, LONG_MAX, &warmup) ||
        take_count(&s, "batch", 1, XCAP_TRAIN_MAX_BATCH, &batch) || take_float(&s, "lr", &o->lr) ||
        take_float(&s, "lr_min", &o->lr_min) || take_float(&s, "wd", &o->weight_decay) ||
        take_float(&s, "clip", &o->clip) || take_float(&s, "beta1", &o->beta1) ||
        take_float(&s, "beta2", &o->beta2) || take_float(&s, "eps", &o->eps) ||
        take_count(&s, "seed", 0, UINT64_MAX, &o->seed) ||
        take_count(&s, "max_objects", 1, 3, &objects))
        return -1;
    t->step = (long)step;
    o->steps = (long)steps;
    o->warmup = (long)warmup;
    o->batch = (size_t)batch;
    o->max_objects = (int)objects;
    if (!strncmp(s, "word_dropout=", 13) &&
        (take_float(&s, "word_dropout", &o->word_dropout) != 0 ||
         !(o->word_dropout > 0.0f && o->word_dropout < 1.0f)))
        return -1;
    if (!strncmp(s, "grey_views=", 11) &&
        (take_float(&s, "grey_views", &o->grey_views) != 0 ||
         !(o->grey_views > 0.0f && o->grey_views < 1.0f)))
        return -1;
    if (!*s) return 0;
    nn_error ignored;
    if (take_float(&s, "align", &o->align_weight) != 0 || !(o->align_weight > 0.0f) ||
        strncmp(s, "align_heads=", 12) != 0 ||
        xcap_train_parse_align_heads(o, s + 12, TXT_MAX_LAYERS, 1u << 16, &ignored) != 0)
        return -1;
    return 0;
}

int xcap_checkpoint_save(const xcap_trainer *t, const char *path, nn_error *err) {
    /* a checkpoint is a model file plus the optimiser moments and the training state */
    size_t total = t->model->layout.total;
    nn_st_entry moments[2] = {{"train.adam_m", 1, {total}, t->m}, {"train.adam_v", 1, {total}, t->v}};
    char state[512];
    opts_to_text(t, state, sizeof state);
    return xcap_model_write(t->model, path, moments, 2, "train_state", state, err);
}

xcap_model *xcap_checkpoint_load(xcap_trainer *t, const char *path, nn_error *err) {
    xcap_model *m = xcap_model_load_file(path, err);
    if (!m) return NULL;
    nn_st_reader *r = nn_st_open(path, err);
    xcap_trainer tmp;
    memset(&tmp, 0, sizeof tmp);
    const char *state = r ? nn_st_meta(r, "train_state") : NULL;
    if (r && (!state || opts_from_text(&tmp, state) != 0)) {
        nn_fail(err, "%s: not a training checkpoint (metadata 'train_state' missing or malformed)", path);
        goto fail;
    }
    if (!r || xcap_trainer_create(t, m, &tmp.opts, err) != 0) goto fail;
    t->step = tmp.step;
    size_t shape[1] = {m->layout.total};
    if (nn_st_read_f32(r, "train.adam_m", shape, 1, t->m, err) != 0 ||
        nn_st_read_f32(r, "train.adam_v", shape, 1, t->v, err) != 0) {
        xcap_trainer_free(t);
        goto fail;
    }
    nn_st_close(r);
    return m;
fail:
    if (r) nn_st_close(r);
    xcap_model_free(m);
    return NULL;
}
