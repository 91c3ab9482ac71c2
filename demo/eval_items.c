/* eval_items.c — captioning the pictures `xcap eval` explains (see eval_items.h). */
#include "demo/eval_items.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "model/model.h"
#include "vision/image.h"
#include "vision/shapes.h"

#define PATH_CAP 4096

/* Prepares picture i in batch slot `slot`: its pixels, and its name and references in *it.
 * 0, or -1 with a message. */
typedef int (*item_fetch)(void *src, size_t i, size_t slot, const unsigned char **rgb, int *w,
                          int *h, eval_item *it, nn_error *err);

/* Frees what one item owns. */
static void item_free(eval_item *it) {
    free(it->name);
    free(it->caption);
    for (size_t r = 0; it->refs && r < it->n_refs; r++) free(it->refs[r]);
    free(it->refs);
    memset(it, 0, sizeof *it);
}

void eval_items_free(eval_items *it) {
    for (size_t i = 0; it->items && i < it->n; i++) item_free(&it->items[i]);
    free(it->items);
    memset(it, 0, sizeof *it);
}

/* Copies n reference captions into it->refs; -1 when out of memory. */
static int copy_refs(eval_item *it, const char *const *refs, size_t n) {
    it->refs = calloc(n ? n : 1, sizeof *it->refs);
    if (!it->refs) return -1;
    for (size_t r = 0; r < n; r++, it->n_refs++)
        if (!(it->refs[r] = strdup(refs[r]))) return -1;
    return 0;
}

/* Captions pictures idx[0..n) from fetch in batches into out (which has room for n items);
 * scored (may be NULL) holds the scored caption of each index, to count differences. */
static int caption_all(eval_items *out, const xcap_model *m, const size_t *idx, size_t n,
                       item_fetch fetch, void *src, const char *const *scored,
                       const eval_items_opts *o, nn_error *err) {
    size_t batch = o->batch ? o->batch : 1;
    if (batch > n) batch = n;
    const unsigned char **rgb = calloc(batch, sizeof *rgb);
    int *w = calloc(batch, sizeof *w), *h = calloc(batch, sizeof *h);
    xcap_caption *caps = calloc(batch, sizeof *caps);
    char msg[512];
    xcap_context *ctx = rgb && w && h && caps ? xcap_context_create(m, batch, msg, sizeof msg) : NULL;
    int rc = -1;
    if (!rgb || !w || !h || !caps) nn_fail(err, "out of memory for a batch of %zu", batch);
    else if (!ctx) nn_fail(err, "%s", msg);
    for (size_t start = 0; ctx && start < n; start += batch) {
        size_t k = start + batch < n ? batch : n - start;
        for (size_t j = 0; j < k; j++) {
            eval_item *it = &out->items[out->n++];
            it->index = idx[start + j];
            if (fetch(src, it->index, j, &rgb[j], &w[j], &h[j], it, err) != 0) goto done;
        }
        if (xcap_caption_batch(ctx, rgb, w, h, k, &o->params, caps) != 0) {
            nn_fail(err, "%s", xcap_context_error(ctx));
            goto done;
        }
        for (size_t j = 0; j < k; j++) {
            eval_item *it = &out->items[out->n - k + j];
            it->caption = caps[j].text;  /* taken over */
            caps[j].text = NULL;
            it->confidence = caps[j].confidence;
            it->complete = caps[j].complete;
            it->repeats = caps[j].repeats;
            xcap_caption_free(&caps[j]);
            const char *was = scored ? scored[it->index] : NULL;
            if (was && strcmp(was, it->caption) != 0) out->mismatched++;
        }
    }
    rc = ctx ? 0 : -1;
done:
    xcap_context_free(ctx);
    free(rgb);
    free(w);
    free(h);
    free(caps);
    return rc;
}

/* Runs caption_all over the indices i < count with scored[i] set (all when scored is NULL). */
static int caption_scored(eval_items *out, const xcap_model *m, const char *const *scored,
                          size_t count, item_fetch fetch, void *src, const eval_items_opts *o,
                          nn_error *err) {
    memset(out, 0, sizeof *out);
    size_t *idx = calloc(count ? count : 1, sizeof *idx), n = 0;
    out->items = calloc(count ? count : 1, sizeof *out->items);
    if (!idx || !out->items) {
        free(idx);
        eval_items_free(out);
        return nn_fail(err, "out of memory for %zu captions", count);
    }
    for (size_t i = 0; i < count; i++)
        if (!scored || scored[i]) idx[n++] = i;
    int rc = n ? caption_all(out, m, idx, n, fetch, src, scored, o, err)
               : nn_fail(err, "no picture to explain");
    free(idx);
    if (rc != 0) eval_items_free(out);
    return rc;
}

/* ------------------------------------------------------------------ shapes-world scenes */

typedef struct {
    const xcap_model *m;
    vis_split split;
    uint64_t seed;
    vis_scene *scenes;  /* [batch] */
} scene_src;

/* Draws scene i into slot as model/eval_dataset.c's scenes_fetch does (keep the two in
 * step: a difference shows as captions unlike the scored ones). */
static int scene_fetch(void *user, size_t i, size_t slot, const unsigned char **rgb, int *w,
                       int *h, eval_item *it, nn_error *err) {
    scene_src *s = user;
    vis_scene *sc = &s->scenes[slot];
    uint64_t seed = vis_scene_seed(s->seed, i);
    vis_recipe recipe = vis_recipe_default();
    int cw, ch;  /* a random canvas, fitted to the input as any picture is */
    vis_canvas_sample(&cw, &ch, &recipe, seed, (int)s->m->cfg.image_w, (int)s->m->cfg.image_h);
    if (vis_scene_generate_with(sc, seed, s->split, cw, ch, 0, &recipe, 1, err) != 0) return -1;
    *rgb = sc->rgb;
    *w = sc->width;
    *h = sc->height;
    const char *refs[VIS_MAX_CAPTIONS];
    for (int k = 0; k < sc->n_captions; k++) refs[k] = sc->captions[k].text;
    char name[24];
    snprintf(name, sizeof name, "%zu", i);
    if (!(it->name = strdup(name)) || copy_refs(it, refs, (size_t)sc->n_captions) != 0)
        return nn_fail(err, "out of memory");
    return 0;
}

int eval_items_scenes(eval_items *out, const xcap_model *m, int split, uint64_t seed,
                      const char *const *scored, size_t count, const eval_items_opts *o,
                      nn_error *err) {
    size_t batch = o->batch ? o->batch : 1;
    scene_src s = {m, (vis_split)split, seed, calloc(batch, sizeof(vis_scene))};
    if (!s.scenes) return nn_fail(err, "out of memory for %zu scenes", batch);
    int rc = caption_scored(out, m, scored, count, scene_fetch, &s, o, err);
    for (size_t j = 0; j < batch; j++) vis_scene_free(&s.scenes[j]);
    free(s.scenes);
    return rc;
}

/* ------------------------------------------------------------------ a dataset, a folder */

typedef struct {
    const txt_dataset *ds;   /* NULL: a folder */
    const char *dir;
    char **files;            /* folder: the file names, sorted */
    vis_image *images;       /* [batch] */
} file_src;

/* Loads dataset item i (or file i of the folder) into slot. */
static int file_fetch(void *user, size_t i, size_t slot, const unsigned char **rgb, int *w,
                      int *h, eval_item *it, nn_error *err) {
    file_src *s = user;
    const char *name = s->ds ? s->ds->items[i].file_name : s->files[i];
    if (s->ds && !txt_dataset_safe_name(name))
        return nn_fail(err, "'%s' would read outside %s", name, s->dir);
    char path[PATH_CAP];
    int len = snprintf(path, sizeof path, "%s/%s", s->dir, name);
    if (len < 0 || (size_t)len >= sizeof path) return nn_fail(err, "%s/%s: path too long", s->dir, name);
    vis_image_free(&s->images[slot]);
    if (vis_image_load(&s->images[slot], path, err) != 0) return -1;
    *rgb = s->images[slot].rgb;
    *w = s->images[slot].width;
    *h = s->images[slot].height;
    if (!(it->name = strdup(s->ds ? s->ds->items[i].id : path))) return nn_fail(err, "out of memory");
    if (!s->ds) return 0;
    const txt_ds_item *d = &s->ds->items[i];
    const char **refs = calloc(d->n_captions ? d->n_captions : 1, sizeof *refs);
    if (!refs) return nn_fail(err, "out of memory");
    for (size_t r = 0; r < d->n_captions; r++) refs[r] = d->captions[r].text;
    int rc = copy_refs(it, refs, d->n_captions);
    free(refs);
    return rc == 0 ? 0 : nn_fail(err, "out of memory");
}

/* Runs fetch over a file source with its image slots. */
static int caption_files(eval_items *out, const xcap_model *m, file_src *s,
                         const char *const *scored, size_t count, const eval_items_opts *o,
                         nn_error *err) {
    size_t batch = o->batch ? o->batch : 1;
    s->images = calloc(batch, sizeof *s->images);
    if (!s->images) return nn_fail(err, "out of memory for %zu images", batch);
    int rc = caption_scored(out, m, scored, count, file_fetch, s, o, err);
    for (size_t j = 0; j < batch; j++) vis_image_free(&s->images[j]);
    free(s->images);
    return rc;
}

int eval_items_dataset(eval_items *out, const xcap_model *m, const txt_dataset *ds,
                       const char *image_dir, const char *const *scored, size_t count,
                       const eval_items_opts *o, nn_error *err) {
    file_src s = {ds, image_dir, NULL, NULL};
    if (count > ds->n_items) count = ds->n_items;
    return caption_files(out, m, &s, scored, count, o, err);
}

/* Whether name ends in an image extension (png, jpg, jpeg, bmp, tga, gif; any case). */
static int is_image_name(const char *name) {
    static const char *const ext[] = {"png", "jpg", "jpeg", "bmp", "tga", "gif"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0) return 1;
    return 0;
}

/* qsort order of two strings. */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int eval_items_folder(eval_items *out, const xcap_model *m, const char *dir,
                      const eval_items_opts *o, nn_error *err) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) return nn_fail(err, "%s: cannot open the folder (%s)", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !is_image_name(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) rc = -1;
            else names = grown;
        }
        if (rc == 0 && !(names[n++] = strdup(e->d_name))) rc = -1, n--;
    }
    closedir(d);
    if (rc != 0) nn_fail(err, "%s: out of memory listing the folder", dir);
    else if (n == 0) rc = nn_fail(err, "%s: no images (png, jpg, jpeg, bmp, tga, gif) in this folder", dir);
    if (rc == 0) {
        qsort(names, n, sizeof *names, cmp_str);
        file_src s = {NULL, dir, names, NULL};
        rc = caption_files(out, m, &s, NULL, n, o, err);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}
