/* alignment.c — pointing metric, word → object matching and runs over scenes (alignment.h). */
#include "model/alignment.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/xcap.h"
#include "vision/image.h"

/* ------------------------------------------------------------------ 1. the metric */

int xcap_point_score(xcap_point *out, const float *map, size_t gw, size_t gh,
                     const vis_rect *box, size_t W, size_t H, nn_error *err) {
    size_t n;
    if (gw == 0 || gh == 0 || nn_mul_size(gw, gh, &n) != 0)
        return nn_fail(err, "pointing: bad patch grid %zu x %zu", gw, gh);
    if (W == 0 || H == 0) return nn_fail(err, "pointing: empty image %zu x %zu", W, H);
    if (box->x0 >= box->x1 || box->y0 >= box->y1 || box->x1 > W || box->y1 > H)
        return nn_fail(err, "pointing: box [%zu,%zu)x[%zu,%zu) is empty or outside %zu x %zu",
                       box->x0, box->x1, box->y0, box->y1, W, H);
    float sx, sy;
    vis_patch_size(&sx, &sy, gw, gh, W, H);
    size_t best = 0, inside = 0;
    double mass = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (map[i] > map[best]) best = i;
        float cx, cy;
        vis_patch_centre(&cx, &cy, i, gw, gh, W, H);
        if (vis_point_in_grown_box(cx, cy, box, sx / 2, sy / 2)) {
            inside++;
            mass += map[i];
        }
    }
    float bx, by;
    vis_patch_centre(&bx, &by, best, gw, gh, W, H);
    out->hit = vis_point_in_grown_box(bx, by, box, sx / 2, sy / 2);
    out->mass = mass;
    out->baseline = (double)inside / (double)n;
    out->argmax = best;
    return 0;
}

/* splitmix64: the next value of the stream at *state. */
static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void xcap_point_perm(size_t *perm, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) perm[i] = i;
    uint64_t st = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(splitmix64(&st) % i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

void xcap_point_permute(float *out, const float *map, const size_t *perm, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = map[perm[i]];
}

/* ------------------------------------------------------------------ 2. word → object */

/* The one object with this colour and shape, or -1. */
static int object_with(const vis_scene *s, int colour, int shape) {
    for (int o = 0; o < s->n_objects; o++)
        if ((int)s->objects[o].colour == colour && (int)s->objects[o].shape == shape) return o;
    return -1;
}

/* The object scored by the shape word of a phrase: the only one with the shape, else the
 * one that also has the phrase's colour (colour < 0: none given), else -1. */
static int object_for_shape(const vis_scene *s, int colour, int shape) {
    int found = -1, count = 0;
    for (int o = 0; o < s->n_objects; o++)
        if ((int)s->objects[o].shape == shape) {
            found = o;
            count++;
        }
    if (count == 1) return found;
    return count > 1 && colour >= 0 ? object_with(s, colour, shape) : -1;
}

void xcap_align_match(int *object, int *kind, const char *const *words, size_t n,
                      const vis_scene *s) {
    int *value = calloc(n ? n : 1, sizeof *value);
    for (size_t i = 0; i < n; i++) {
        object[i] = -1;
        int v = -1;
        kind[i] = (int)vis_word_classify(words[i], &v);
        if (value) value[i] = v;
    }
    if (!value) return;  /* out of memory: nothing matched, nothing scored */
    size_t start = 0;
    while (start < n) {
        if (kind[start] == VIS_WORD_OTHER) {
            start++;
            continue;
        }
        /* the phrase: attribute words from start up to the first shape word */
        size_t end = start;
        int colour = -1;
        while (end < n && kind[end] != VIS_WORD_OTHER && kind[end] != VIS_WORD_SHAPE) {
            if (kind[end] == VIS_WORD_COLOUR) colour = value[end];
            end++;
        }
        if (end < n && kind[end] == VIS_WORD_SHAPE) {
            int shape = value[end];
            object[end] = object_for_shape(s, colour, shape);
            int named = colour >= 0 ? object_with(s, colour, shape) : -1;
            for (size_t j = start; j < end; j++) object[j] = named;
            end++;
        }
        start = end;
    }
    free(value);
}

/* ------------------------------------------------------------------ 3. a run over scenes */

xcap_align_opts xcap_align_default_opts(void) {
    xcap_align_opts o;
    memset(&o, 0, sizeof o);
    o.batch = 16;
    return o;
}

size_t xcap_align_head_map(const xcap_align_report *rep, size_t l, size_t h) {
    return l * rep->heads + h;
}

size_t xcap_align_layer_map(const xcap_align_report *rep, size_t l) {
    return rep->layers * rep->heads + l;
}

size_t xcap_align_default_map(const xcap_align_report *rep) {
    return rep->layers * rep->heads + rep->layers;
}

const xcap_align_cell *xcap_align_cell_at(const xcap_align_report *rep, size_t map, int k) {
    return &rep->cells[map * XCAP_ALIGN_KINDS + (size_t)k];
}

double xcap_align_accuracy(const xcap_align_cell *c) {
    return c->scored ? (double)c->hits / (double)c->scored : 0.0;
}

double xcap_align_mass(const xcap_align_cell *c) {
    return c->scored ? c->mass / (double)c->scored : 0.0;
}

double xcap_align_baseline(const xcap_align_cell *c) {
    return c->scored ? c->baseline / (double)c->scored : 0.0;
}

double xcap_align_map_score(const xcap_align_report *rep, size_t map) {
    double sum = 0.0;
    int kinds = 0;
    for (int k = 0; k < XCAP_ALIGN_KINDS; k++) {
        const xcap_align_cell *c = xcap_align_cell_at(rep, map, k);
        if (!c->scored) continue;
        sum += xcap_align_accuracy(c);
        kinds++;
    }
    return kinds ? sum / kinds : 0.0;
}

size_t xcap_align_best_heads(const xcap_align_report *rep, size_t k, int *layers, int *heads) {
    size_t total = rep->layers * rep->heads, got = 0;
    if (k > XCAP_MAX_ALIGN_HEADS) k = XCAP_MAX_ALIGN_HEADS;
    if (k > total) k = total;
    char taken[XCAP_MAX_ALIGN_HEADS * 64] = {0};
    if (total > sizeof taken) return 0;
    while (got < k) {
        size_t best = total;
        for (size_t i = 0; i < total; i++)
            if (!taken[i] && (best == total ||
                              xcap_align_map_score(rep, i) > xcap_align_map_score(rep, best)))
                best = i;
        taken[best] = 1;
        layers[got] = (int)(best / rep->heads);
        heads[got] = (int)(best % rep->heads);
        got++;
    }
    return got;
}

void xcap_align_report_free(xcap_align_report *rep) {
    free(rep->cells);
    rep->cells = NULL;
}

/* Working buffers of a run. */
typedef struct {
    size_t batch;
    vis_scene *scenes;         /* [batch] */
    vis_image *images;         /* [batch] (dataset runs only) */
    const unsigned char **rgb; /* [batch] */
    int *w, *h;                /* [batch] */
    xcap_caption *caps;        /* [batch] */
    float *map, *tmp;          /* [grid] */
    size_t *perm;              /* [grid] (shuffle only) */
    int object[VIS_CAPTION_MAX_WORDS * 4], kind[VIS_CAPTION_MAX_WORDS * 4];
} align_work;

/* Adds one scored word's figures for map index `map` and kind index k. */
static int add_map(xcap_align_report *rep, align_work *w, size_t map, int k, const vis_rect *box,
                   size_t gw, size_t gh, size_t W, size_t H, const xcap_align_opts *o,
                   nn_error *err) {
    const float *src = w->map;
    if (o->shuffle) {
        xcap_point_permute(w->tmp, w->map, w->perm, gw * gh);
        src = w->tmp;
    }
    xcap_point p;
    if (xcap_point_score(&p, src, gw, gh, box, W, H, err) != 0) return -1;
    xcap_align_cell *c = &rep->cells[map * XCAP_ALIGN_KINDS + (size_t)k];
    c->scored++;
    c->hits += (size_t)p.hit;
    c->mass += p.mass;
    c->baseline += p.baseline;
    return 0;
}

/* Sets w->map to the mean of the n (layer, head) maps of word `word` in cap. */
static void mean_map(align_work *w, const xcap_caption *cap, size_t word, const int *layers,
                     const int *heads, size_t n) {
    size_t g = cap->grid_w * cap->grid_h;
    memset(w->map, 0, g * sizeof *w->map);
    for (size_t j = 0; j < n; j++) {
        const float *src =
            cap->maps + ((word * cap->layers + (size_t)layers[j]) * cap->heads + (size_t)heads[j]) * g;
        for (size_t i = 0; i < g; i++) w->map[i] += src[i] / (float)n;
    }
}

/* Scores every matched word of one captioned scene for every map. */
static int score_scene(xcap_align_report *rep, align_work *w, const vis_scene *s,
                       const xcap_caption *cap, const xcap_align_opts *o, nn_error *err) {
    size_t n = cap->n_words;
    if (n > sizeof w->object / sizeof *w->object) n = sizeof w->object / sizeof *w->object;
    xcap_align_match(w->object, w->kind, (const char *const *)cap->words, n, s);
    rep->words += cap->n_words;
    size_t gw = cap->grid_w, gh = cap->grid_h, W = (size_t)cap->width, H = (size_t)cap->height;
    int all_heads[XCAP_MAX_ALIGN_HEADS * 8], layer_of[XCAP_MAX_ALIGN_HEADS * 8];
    for (size_t i = 0; i < n; i++) {
        if (w->kind[i] == VIS_WORD_OTHER) continue;
        int k = w->kind[i] - 1;
        rep->attr_words[k]++;
        if (w->object[i] < 0) continue;
        const vis_object *ob = &s->objects[w->object[i]];
        vis_rect box = {(size_t)ob->x0, (size_t)ob->y0, (size_t)ob->x1, (size_t)ob->y1};
        for (size_t l = 0; l < rep->layers; l++) {
            for (size_t h = 0; h < rep->heads; h++) {
                all_heads[h] = (int)h;
                layer_of[h] = (int)l;
                mean_map(w, cap, i, &layer_of[h], &all_heads[h], 1);
                if (add_map(rep, w, xcap_align_head_map(rep, l, h), k, &box, gw, gh, W, H, o,
                            err) != 0)
                    return -1;
            }
            mean_map(w, cap, i, layer_of, all_heads, rep->heads);
            if (add_map(rep, w, xcap_align_layer_map(rep, l), k, &box, gw, gh, W, H, o, err) != 0)
                return -1;
        }
        mean_map(w, cap, i, rep->default_layer, rep->default_head, rep->n_default);
        if (add_map(rep, w, xcap_align_default_map(rep), k, &box, gw, gh, W, H, o, err) != 0)
            return -1;
    }
    return 0;
}

/* Fills the report's shape and default heads from the model; allocates the cells. */
static int report_init(xcap_align_report *rep, const xcap_model *m, nn_error *err) {
    size_t gw, gh;
    xcap_model_shape(m, &gw, &gh, &rep->layers, &rep->heads);
    if (rep->layers == 0 || rep->heads == 0 || rep->heads > XCAP_MAX_ALIGN_HEADS * 8)
        return nn_fail(err, "alignment: model has %zu layers x %zu heads", rep->layers,
                       rep->heads);
    rep->n_maps = rep->layers * rep->heads + rep->layers + 1;
    rep->cells = calloc(rep->n_maps * XCAP_ALIGN_KINDS, sizeof *rep->cells);
    if (!rep->cells) return nn_fail(err, "alignment: out of memory");
    if (m->n_align) {
        for (size_t i = 0; i < m->n_align; i++) {
            if (m->align_layer[i] < 0 || (size_t)m->align_layer[i] >= rep->layers ||
                m->align_head[i] < 0 || (size_t)m->align_head[i] >= rep->heads)
                return nn_fail(err, "alignment: the model's align_heads name %d:%d, outside its "
                               "%zu layers x %zu heads", m->align_layer[i], m->align_head[i],
                               rep->layers, rep->heads);
            rep->default_layer[i] = m->align_layer[i];
            rep->default_head[i] = m->align_head[i];
        }
        rep->n_default = m->n_align;
        rep->default_is_align = 1;
    } else {
        size_t n = rep->heads < XCAP_MAX_ALIGN_HEADS ? rep->heads : XCAP_MAX_ALIGN_HEADS;
        for (size_t h = 0; h < n; h++) {
            rep->default_layer[h] = (int)rep->layers - 1;
            rep->default_head[h] = (int)h;
        }
        rep->n_default = n;
    }
    return 0;
}

/* Allocates w's buffers for batch scenes on a gw × gh grid (images: dataset runs). */
static int work_init(align_work *w, size_t batch, size_t gw, size_t gh, int images,
                     nn_error *err) {
    memset(w, 0, sizeof *w);
    w->batch = batch;
    w->scenes = calloc(batch, sizeof *w->scenes);
    w->images = images ? calloc(batch, sizeof *w->images) : NULL;
    w->rgb = calloc(batch, sizeof *w->rgb);
    w->w = calloc(batch, sizeof *w->w);
    w->h = calloc(batch, sizeof *w->h);
    w->caps = calloc(batch, sizeof *w->caps);
    w->map = calloc(gw * gh, sizeof *w->map);
    w->tmp = calloc(gw * gh, sizeof *w->tmp);
    w->perm = calloc(gw * gh, sizeof *w->perm);
    if (!w->scenes || (images && !w->images) || !w->rgb || !w->w || !w->h || !w->caps ||
        !w->map || !w->tmp || !w->perm)
        return nn_fail(err, "alignment: out of memory for %zu scenes a batch", batch);
    return 0;
}

/* Releases w's buffers (safe after a failed work_init). */
static void work_free(align_work *w) {
    for (size_t j = 0; w->scenes && j < w->batch; j++) vis_scene_free(&w->scenes[j]);
    for (size_t j = 0; w->images && j < w->batch; j++) vis_image_free(&w->images[j]);
    free(w->scenes);
    free(w->images);
    free(w->rgb);
    free(w->w);
    free(w->h);
    free(w->caps);
    free(w->map);
    free(w->tmp);
    free(w->perm);
    memset(w, 0, sizeof *w);
}

/* Captions the n pictures in w (rgb, w, h) in one forward pass and scores each against its
 * scene w->scenes[j]: the one path both runs share. */
static int caption_and_score(xcap_align_report *rep, align_work *w, size_t n, xcap_context *ctx,
                             const xcap_align_opts *o, nn_error *err) {
    xcap_params p = xcap_default_params();
    if (xcap_caption_batch(ctx, w->rgb, w->w, w->h, n, &p, w->caps) != 0)
        return nn_fail(err, "%s", xcap_context_error(ctx));
    int bad = 0;
    for (size_t j = 0; j < n; j++) {
        if (!bad && score_scene(rep, w, &w->scenes[j], &w->caps[j], o, err) != 0) bad = 1;
        xcap_caption_free(&w->caps[j]);
    }
    if (bad) return -1;
    rep->scenes += n;
    return 0;
}

/* Creates the context and work buffers of a run with batch scenes a batch. */
static xcap_context *run_start(align_work *w, const xcap_model *m, size_t batch, int images,
                               const xcap_align_opts *o, nn_error *err) {
    size_t gw, gh;
    xcap_model_shape(m, &gw, &gh, NULL, NULL);
    if (work_init(w, batch, gw, gh, images, err) != 0) return NULL;
    char msg[512];
    xcap_context *ctx = xcap_context_create(m, batch, msg, sizeof msg);
    if (!ctx) {
        nn_fail(err, "%s", msg);
        return NULL;
    }
    xcap_point_perm(w->perm, gw * gh, o->shuffle_seed);
    return ctx;
}

int xcap_align_scenes(xcap_align_report *rep, const xcap_model *m, int split, uint64_t seed,
                      size_t count, const xcap_align_opts *opts, nn_error *err) {
    xcap_align_opts o = opts ? *opts : xcap_align_default_opts();
    memset(rep, 0, sizeof *rep);
    if (count == 0) return nn_fail(err, "alignment needs at least one scene");
    if (split < 0 || split >= VIS_SPLIT_COUNT) return nn_fail(err, "unknown split %d", split);
    if (report_init(rep, m, err) != 0) return -1;
    size_t batch = o.batch ? o.batch : 1;
    if (batch > count) batch = count;
    align_work w;
    xcap_context *ctx = run_start(&w, m, batch, 0, &o, err);
    int rc = ctx ? 0 : -1;
    for (size_t next = 0; rc == 0 && next < count;) {
        size_t n = 0;
        for (; rc == 0 && n < batch && next + n < count; n++) {
            vis_scene *s = &w.scenes[n];
            rc = vis_scene_generate_on_canvas(s, vis_scene_seed(seed, next + n), (vis_split)split,
                                              (int)m->cfg.image_w, (int)m->cfg.image_h, 0, err);
            w.rgb[n] = s->rgb;
            w.w[n] = s->width;
            w.h[n] = s->height;
        }
        if (rc == 0) rc = caption_and_score(rep, &w, n, ctx, &o, err);
        next += n;
        if (rc == 0 && o.progress) o.progress(o.user, next, count);
    }
    xcap_context_free(ctx);
    work_free(&w);
    if (rc != 0) xcap_align_report_free(rep);
    return rc;
}

/* ------------------------------------------------------------------ 4. a run over a dataset */

const char *const xcap_align_skip_names[XCAP_ALIGN_SKIP_COUNT] = {
    "usable", "no objects", "too many objects", "unknown shape/colour/size",
    "two objects share colour and shape", "box outside the image"};

/* Writes "image id ID: reason" into why[cap] (when why is set) and returns r. */
static xcap_align_skip skip(xcap_align_skip r, char *why, size_t cap, const txt_ds_item *it,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static xcap_align_skip skip(xcap_align_skip r, char *why, size_t cap, const txt_ds_item *it,
                            const char *fmt, ...) {
    if (!why || cap < 8) return r;  /* nn_show needs 8 bytes */
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    char line[256];
    snprintf(line, sizeof line, "image id %.80s: %s", it->id ? it->id : "?", reason);
    nn_show(why, cap, line);  /* names from the file stay on one line */
    return r;
}

/* The shapes-world names and counts of it's objects into s (no boxes yet); usable or why not. */
static xcap_align_skip item_objects(vis_scene *s, const txt_ds_item *it, char *why, size_t cap) {
    if (!it->objects || it->n_objects == 0)
        return skip(XCAP_ALIGN_NO_OBJECTS, why, cap, it, "no \"objects\"");
    if (it->n_objects > VIS_MAX_OBJECTS)
        return skip(XCAP_ALIGN_TOO_MANY, why, cap, it, "%zu objects, more than %d",
                    it->n_objects, VIS_MAX_OBJECTS);
    memset(s, 0, sizeof *s);
    s->n_objects = (int)it->n_objects;
    for (size_t k = 0; k < it->n_objects; k++) {
        const txt_ds_object *d = &it->objects[k];
        vis_object *ob = &s->objects[k];
        int shape = -1, colour = -1, size = VIS_SIZE_SMALL;  /* size: never read by matching */
        if (vis_word_classify(d->shape, &shape) != VIS_WORD_SHAPE)
            return skip(XCAP_ALIGN_UNKNOWN_NAME, why, cap, it, "shape '%s' is not a shapes-world "
                        "shape", d->shape);
        if (vis_word_classify(d->colour, &colour) != VIS_WORD_COLOUR)
            return skip(XCAP_ALIGN_UNKNOWN_NAME, why, cap, it, "colour '%s' is not a "
                        "shapes-world colour", d->colour);
        if (d->size[0] && vis_word_classify(d->size, &size) != VIS_WORD_SIZE)
            return skip(XCAP_ALIGN_UNKNOWN_NAME, why, cap, it, "size '%s' is not small or "
                        "large", d->size);
        for (size_t j = 0; j < k; j++)
            if ((int)s->objects[j].shape == shape && (int)s->objects[j].colour == colour)
                return skip(XCAP_ALIGN_SHARED_PAIR, why, cap, it, "two objects are %s %s",
                            d->colour, d->shape);
        ob->shape = (vis_shape)shape;
        ob->colour = (vis_colour)colour;
        ob->size = (vis_size)size;
    }
    return XCAP_ALIGN_USABLE;
}

/* [lo, hi) = [floor(at), ceil(at + len)) clipped to [0, side]. */
static void pixel_span(int *lo, int *hi, double at, double len, int side) {
    double a = floor(at), b = ceil(at + len);
    if (!isfinite(a) || !isfinite(b)) a = b = 0;  /* an empty span: the image is skipped */
    *lo = a <= 0 ? 0 : a >= side ? side : (int)a;
    *hi = b <= 0 ? 0 : b >= side ? side : (int)b;
}

/* The pixel boxes of it's objects on a width × height image into s; usable or why not. */
static xcap_align_skip item_boxes(vis_scene *s, const txt_ds_item *it, int width, int height,
                                  char *why, size_t cap) {
    s->width = width;
    s->height = height;
    for (int k = 0; k < s->n_objects; k++) {
        const float *b = it->objects[k].bbox;
        vis_object *ob = &s->objects[k];
        pixel_span(&ob->x0, &ob->x1, b[0], b[2], width);
        pixel_span(&ob->y0, &ob->y1, b[1], b[3], height);
        if (ob->x0 >= ob->x1 || ob->y0 >= ob->y1)
            return skip(XCAP_ALIGN_EMPTY_BOX, why, cap, it, "the box of its %s %s has no pixel "
                        "inside the image", it->objects[k].colour, it->objects[k].shape);
        ob->cx = (float)(ob->x0 + ob->x1) / 2;
        ob->cy = (float)(ob->y0 + ob->y1) / 2;
    }
    return XCAP_ALIGN_USABLE;
}

xcap_align_skip xcap_align_item_scene(vis_scene *s, const txt_ds_item *it, int width, int height,
                                      char *why, size_t cap) {
    xcap_align_skip r = item_objects(s, it, why, cap);
    return r != XCAP_ALIGN_USABLE ? r : item_boxes(s, it, width, height, why, cap);
}

/* Counts a skipped image, keeping the first reason. */
static void count_skip(xcap_align_report *rep, xcap_align_skip r, const char *why) {
    rep->skipped[r]++;
    if (!rep->first_skip[0]) snprintf(rep->first_skip, sizeof rep->first_skip, "%s", why);
}

/* Loads dataset item it into w's slot n and builds its scene: 0 ready, 1 skipped, -1 failed. */
static int load_item(xcap_align_report *rep, align_work *w, size_t n, const txt_ds_item *it,
                     const char *dir, nn_error *err) {
    char why[256], path[4096];
    xcap_align_skip r = item_objects(&w->scenes[n], it, why, sizeof why);
    if (r != XCAP_ALIGN_USABLE) {
        count_skip(rep, r, why);
        return 1;
    }
    int len = snprintf(path, sizeof path, "%s/%s", dir, it->file_name);
    vis_image *img = &w->images[n];
    vis_image_free(img);
    nn_error e = {{0}};
    if (!txt_dataset_safe_name(it->file_name) || len < 0 || (size_t)len >= sizeof path)
        nn_fail(&e, "%s/%s: not a usable image path (image id %.80s)", dir, it->file_name, it->id);
    else if (vis_image_load(img, path, &e) != 0)
        snprintf(e.msg + strlen(e.msg), sizeof e.msg - strlen(e.msg), " (image id %.80s)", it->id);
    else if ((it->width && it->width != img->width) || (it->height && it->height != img->height))
        nn_fail(&e, "%s: the file gives %d x %d, the image is %d x %d (image id %.80s)", path,
                it->width, it->height, img->width, img->height, it->id);
    else {
        r = item_boxes(&w->scenes[n], it, img->width, img->height, why, sizeof why);
        if (r != XCAP_ALIGN_USABLE) {
            count_skip(rep, r, why);
            return 1;
        }
        w->rgb[n] = img->rgb;
        w->w[n] = img->width;
        w->h[n] = img->height;
        return 0;
    }
    char line[sizeof e.msg];
    return nn_fail(err, "%s", nn_show(line, sizeof line, e.msg));
}

int xcap_align_dataset(xcap_align_report *rep, const xcap_model *m, const txt_dataset *ds,
                       const char *image_dir, const xcap_align_opts *opts, nn_error *err) {
    xcap_align_opts o = opts ? *opts : xcap_align_default_opts();
    const char *name = o.name ? o.name : "dataset";
    const char *dir = image_dir && *image_dir ? image_dir : ".";
    memset(rep, 0, sizeof *rep);
    if (!ds || ds->n_items == 0) return nn_fail(err, "%s: no images", name);
    if (report_init(rep, m, err) != 0) return -1;
    size_t count = o.limit && o.limit < ds->n_items ? o.limit : ds->n_items;
    size_t batch = o.batch ? o.batch : 1;
    if (batch > count) batch = count;
    align_work w;
    xcap_context *ctx = run_start(&w, m, batch, 1, &o, err);
    int rc = ctx ? 0 : -1;
    for (size_t next = 0; rc == 0 && next < count;) {
        size_t n = 0;
        while (rc == 0 && n < batch && next < count) {
            int got = load_item(rep, &w, n, &ds->items[next++], dir, err);
            if (got < 0) rc = -1;
            else if (got == 0) n++;
        }
        if (rc == 0 && n) rc = caption_and_score(rep, &w, n, ctx, &o, err);
        rep->images = next;
        if (rc == 0 && o.progress) o.progress(o.user, next, count);
    }
    if (rc == 0 && rep->scenes == 0)
        rc = nn_fail(err, "%s: no image has shapes-world objects (shape, colour, size, bbox); "
                     "%s", name, rep->first_skip);
    xcap_context_free(ctx);
    work_free(&w);
    if (rc != 0) xcap_align_report_free(rep);
    return rc;
}
