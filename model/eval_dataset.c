/* eval_dataset.c — captioning a dataset or a run of shapes-world scenes in batches and
 * scoring the corpus (see eval_dataset.h). */
#include "model/eval_dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "text/metrics.h"
#include "vision/image.h"
#include "vision/shapes.h"

#define EVAL_DEFAULT_BATCH 16
#define EVAL_PATH_MAX 4096

xcap_eval_opts xcap_eval_default_opts(void) {
    xcap_eval_opts o;
    memset(&o, 0, sizeof o);
    o.batch = EVAL_DEFAULT_BATCH;
    o.params = xcap_default_params();
    return o;
}

/* One image ready for captioning, with its references (which stay valid until scoring). */
typedef struct {
    const unsigned char *rgb;
    int w, h;
    const char *const *refs;
    size_t n_refs;
    int objects;     /* 1..3, or 0 when unknown */
    const char *id;  /* for the caption callback */
} eval_input;

/* Prepares item i in batch slot `slot`: 0 ready, 1 skip it (err says why), -1 fail. */
typedef int (*eval_fetch)(void *src, size_t i, size_t slot, eval_input *in, nn_error *err);

/* The scored corpus, kept until the metrics ran. */
typedef struct {
    txt_eval_item *items;  /* [kept] */
    char **hyps;           /* [kept], owned */
    int *objects;          /* [kept] */
    size_t kept;
} eval_corpus;

static void corpus_free(eval_corpus *c) {
    if (c->hyps)
        for (size_t i = 0; i < c->kept; i++) free(c->hyps[i]);
    free(c->hyps);
    free(c->items);
    free(c->objects);
}

/* Exact match overall and by object count, BLEU-4 and CIDEr-D of the corpus into res. */
static int score(xcap_eval_result *res, const eval_corpus *c, nn_error *err) {
    size_t hits[4] = {0};
    for (size_t i = 0; i < c->kept; i++) {
        double one;
        if (txt_exact_match(&c->items[i], 1, &one, err) != 0) return -1;
        int k = c->objects[i] >= 1 && c->objects[i] <= 3 ? c->objects[i] : 0;
        res->by_objects[k]++;
        if (one > 0.5) hits[k]++;
    }
    size_t all = 0;
    for (int k = 0; k < 4; k++) {
        all += hits[k];
        res->exact_by_objects[k] =
            res->by_objects[k] ? (double)hits[k] / (double)res->by_objects[k] : 0.0;
    }
    res->count = c->kept;
    res->exact = (double)all / (double)c->kept;
    if (txt_bleu4(c->items, c->kept, &res->bleu4, err) != 0) return -1;
    return txt_cider_d(c->items, c->kept, &res->cider_d, err);
}

/* Buffers of one batch: the pixel pointers, sizes and captions handed to the model. */
typedef struct {
    const unsigned char **rgb;
    int *w, *h;
    xcap_caption *caps;
    size_t *index;  /* item index of each slot */
} eval_batch;

/* Captions the n prepared inputs in one batch and appends them to the corpus. */
static int caption_batch(eval_corpus *c, xcap_context *ctx, const eval_input *in, size_t n,
                         eval_batch *b, const xcap_eval_opts *o, nn_error *err) {
    for (size_t j = 0; j < n; j++) {
        b->rgb[j] = in[j].rgb;
        b->w[j] = in[j].w;
        b->h[j] = in[j].h;
    }
    if (xcap_caption_batch(ctx, b->rgb, b->w, b->h, n, &o->params, b->caps) != 0)
        return nn_fail(err, "%s", xcap_context_error(ctx));
    for (size_t j = 0; j < n; j++) {
        if (o->on_caption)
            o->on_caption(o->user, b->index[j], in[j].id, &b->caps[j], in[j].refs, in[j].n_refs);
        size_t k = c->kept++;
        c->hyps[k] = b->caps[j].text;  /* taken over */
        b->caps[j].text = NULL;
        xcap_caption_free(&b->caps[j]);
        c->items[k] = (txt_eval_item){c->hyps[k], in[j].refs, in[j].n_refs};
        c->objects[k] = in[j].objects;
    }
    return 0;
}

/* Captions items 0..count-1 from fetch in batches, then scores those that loaded. */
static int eval_run(xcap_eval_report *rep, const xcap_model *m, size_t count, eval_fetch fetch,
                    void *src, const xcap_eval_opts *o, nn_error *err) {
    size_t batch = o->batch ? o->batch : 1;
    eval_corpus c = {calloc(count, sizeof *c.items), calloc(count, sizeof *c.hyps),
                     calloc(count, sizeof *c.objects), 0};
    eval_input *in = calloc(batch, sizeof *in);
    eval_batch b = {calloc(batch, sizeof(const unsigned char *)), calloc(batch, sizeof(int)),
                    calloc(batch, sizeof(int)), calloc(batch, sizeof(xcap_caption)),
                    calloc(batch, sizeof(size_t))};
    char msg[512];
    xcap_context *ctx = xcap_context_create(m, batch, msg, sizeof msg);
    int rc = -1;
    if (!ctx) {
        nn_fail(err, "%s", msg);
        goto done;
    }
    if (!c.items || !c.hyps || !c.objects || !in || !b.rgb || !b.w || !b.h || !b.caps ||
        !b.index) {
        nn_fail(err, "out of memory for evaluating %zu images", count);
        goto done;
    }
    for (size_t next = 0; next < count;) {
        size_t n = 0;
        while (n < batch && next < count) {
            nn_error ferr = {{0}};
            int got = fetch(src, next, n, &in[n], &ferr);
            if (got < 0) {
                nn_fail(err, "%s", ferr.msg);
                goto done;
            }
            if (got > 0) {
                if (rep->skipped++ == 0)
                    snprintf(rep->first_skipped, sizeof rep->first_skipped, "%s", ferr.msg);
            } else {
                b.index[n++] = next;
            }
            next++;
        }
        if (n > 0 && caption_batch(&c, ctx, in, n, &b, o, err) != 0) goto done;
        if (o->progress) o->progress(o->user, next, count);
    }
    if (c.kept == 0) {
        nn_fail(err, "no image could be loaded (%zu skipped; first: %s)", rep->skipped,
                rep->first_skipped);
        goto done;
    }
    rc = score(&rep->scores, &c, err);
done:
    xcap_context_free(ctx);
    corpus_free(&c);
    free(in);
    free(b.rgb);
    free(b.w);
    free(b.h);
    free(b.caps);
    free(b.index);
    return rc;
}

/* ------------------------------------------------------------------ a dataset on disk */

typedef struct {
    const txt_dataset *ds;
    const char *dir;
    int skip_bad;
    vis_image *images;        /* [batch]: the image in each slot */
    const char **refs;        /* [ds->n_captions]: every caption, item by item */
    size_t *first_ref;        /* [ds->n_items]: where item i's captions start in refs */
} dataset_src;

/* Loads dataset image i into slot. */
static int dataset_fetch(void *user, size_t i, size_t slot, eval_input *in, nn_error *err) {
    dataset_src *s = user;
    const txt_ds_item *it = &s->ds->items[i];
    char path[EVAL_PATH_MAX];
    int len = snprintf(path, sizeof path, "%s/%s", s->dir, it->file_name);
    vis_image_free(&s->images[slot]);
    if (!txt_dataset_safe_name(it->file_name))  /* the loader refuses these; a hand-made set? */
        nn_fail(err, "'%s' would read outside %s", it->file_name, s->dir);
    else if (len < 0 || (size_t)len >= sizeof path)
        nn_fail(err, "%s/%s: path too long", s->dir, it->file_name);
    else if (vis_image_load(&s->images[slot], path, err) == 0) {
        *in = (eval_input){s->images[slot].rgb, s->images[slot].width, s->images[slot].height,
                           s->refs + s->first_ref[i], it->n_captions,
                           it->objects && it->n_objects <= 3 ? (int)it->n_objects : 0, it->id};
        return 0;
    }
    char why[sizeof err->msg];
    snprintf(why, sizeof why, "%s", err->msg);
    nn_fail(err, "%s (image id %.100s)", why, it->id);
    for (char *p = err->msg; *p; p++)  /* names from the file stay on one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    return s->skip_bad ? 1 : -1;
}

int xcap_eval_dataset(xcap_eval_report *rep, const xcap_model *m, const txt_dataset *ds,
                      const char *image_dir, const xcap_eval_opts *opts, nn_error *err) {
    xcap_eval_opts o = opts ? *opts : xcap_eval_default_opts();
    memset(rep, 0, sizeof *rep);
    if (!ds || ds->n_items == 0) return nn_fail(err, "the dataset has no images to evaluate");
    size_t count = o.limit && o.limit < ds->n_items ? o.limit : ds->n_items;
    size_t batch = o.batch ? o.batch : 1;
    if (batch > count) batch = count;
    o.batch = batch;
    dataset_src s = {ds, image_dir && *image_dir ? image_dir : ".", o.skip_bad,
                     calloc(batch, sizeof(vis_image)),
                     calloc(ds->n_captions ? ds->n_captions : 1, sizeof(char *)),
                     calloc(ds->n_items, sizeof(size_t))};
    int rc = -1;
    if (!s.images || !s.refs || !s.first_ref) {
        nn_fail(err, "out of memory for a dataset of %zu images", ds->n_items);
    } else {
        size_t at = 0;
        for (size_t i = 0; i < ds->n_items; i++) {
            s.first_ref[i] = at;
            for (size_t j = 0; j < ds->items[i].n_captions && at < ds->n_captions; j++)
                s.refs[at++] = ds->items[i].captions[j].text;
        }
        rc = eval_run(rep, m, count, dataset_fetch, &s, &o, err);
    }
    if (s.images)
        for (size_t j = 0; j < batch; j++) vis_image_free(&s.images[j]);
    free(s.images);
    free(s.refs);
    free(s.first_ref);
    return rc;
}

/* ------------------------------------------------------------------ shapes-world scenes */

typedef struct {
    const xcap_model *m;
    vis_split split;
    uint64_t seed;
    vis_scene *scenes;                               /* [batch] */
    char (*refs)[VIS_MAX_CAPTIONS][VIS_CAPTION_MAX_CHARS];  /* [count] */
    const char *(*ref_ptrs)[VIS_MAX_CAPTIONS];       /* [count] */
    char (*ids)[24];                                 /* [count]: the scene index as text */
} scenes_src;

/* Generates scene i into slot, as training validation and `xcap eval` do: drawn at its own
 * canvas size, which captioning then fits to the input like any picture. */
static int scenes_fetch(void *user, size_t i, size_t slot, eval_input *in, nn_error *err) {
    scenes_src *s = user;
    vis_scene *sc = &s->scenes[slot];
    if (vis_scene_generate_on_canvas(sc, vis_scene_seed(s->seed, i), s->split,
                                     (int)s->m->cfg.image_w, (int)s->m->cfg.image_h, 0, err) != 0)
        return -1;
    for (int k = 0; k < sc->n_captions; k++) {
        memcpy(s->refs[i][k], sc->captions[k].text, VIS_CAPTION_MAX_CHARS);
        s->ref_ptrs[i][k] = s->refs[i][k];
    }
    snprintf(s->ids[i], sizeof s->ids[i], "%zu", i);
    *in = (eval_input){sc->rgb, sc->width, sc->height, s->ref_ptrs[i], (size_t)sc->n_captions,
                       sc->n_objects, s->ids[i]};
    return 0;
}

int xcap_eval_scenes(xcap_eval_report *rep, const xcap_model *m, int split, uint64_t seed,
                     size_t count, const xcap_eval_opts *opts, nn_error *err) {
    xcap_eval_opts o = opts ? *opts : xcap_eval_default_opts();
    memset(rep, 0, sizeof *rep);
    if (count == 0) return nn_fail(err, "evaluation needs at least one scene");
    if (split < 0 || split >= VIS_SPLIT_COUNT) return nn_fail(err, "unknown split %d", split);
    size_t batch = o.batch ? o.batch : 1;
    if (batch > count) batch = count;
    o.batch = batch;
    o.skip_bad = 0;
    scenes_src s = {m, (vis_split)split, seed, calloc(batch, sizeof(vis_scene)),
                    calloc(count, VIS_MAX_CAPTIONS * VIS_CAPTION_MAX_CHARS),
                    calloc(count, VIS_MAX_CAPTIONS * sizeof(const char *)), calloc(count, 24)};
    int rc = -1;
    if (!s.scenes || !s.refs || !s.ref_ptrs || !s.ids)
        nn_fail(err, "out of memory for %zu scenes", count);
    else
        rc = eval_run(rep, m, count, scenes_fetch, &s, &o, err);
    if (s.scenes)
        for (size_t j = 0; j < batch; j++) vis_scene_free(&s.scenes[j]);
    free(s.scenes);
    free(s.refs);
    free(s.ref_ptrs);
    free(s.ids);
    return rc;
}
