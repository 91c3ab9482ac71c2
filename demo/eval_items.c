/* eval_items.c — the pictures `xcap eval` explains (see eval_items.h). */
#include "demo/eval_items.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "demo/cli.h"
#include "vision/image.h"

#define PATH_CAP 4096

/* Frees what one item owns. */
static void item_free(eval_item *it) {
    free(it->name);
    free(it->caption);
    for (size_t r = 0; it->refs && r < it->n_refs; r++) free(it->refs[r]);
    free(it->refs);
    memset(it, 0, sizeof *it);
}

void eval_items_free(eval_items *out) {
    for (size_t i = 0; out->items && i < out->n; i++) item_free(&out->items[i]);
    free(out->items);
    memset(out, 0, sizeof *out);
}

/* Copies n reference captions into it->refs (none: NULL); -1 when out of memory (it keeps
 * what it got). */
static int copy_refs(eval_item *it, const char *const *refs, size_t n) {
    if (n == 0) return 0;
    it->refs = calloc(n, sizeof *it->refs);
    if (!it->refs) return -1;
    for (size_t r = 0; r < n; r++, it->n_refs++)
        if (!(it->refs[r] = strdup(refs[r]))) return -1;
    return 0;
}

/* Makes room for one more item in out; -1 when out of memory. */
static int grow(eval_items *out) {
    if (out->n < out->cap) return 0;
    size_t cap = out->cap ? 2 * out->cap : 64;
    eval_item *items = realloc(out->items, cap * sizeof *items);
    if (!items) return -1;
    out->items = items;
    out->cap = cap;
    return 0;
}

int eval_items_add(eval_items *out, size_t index, const char *name, const xcap_caption *cap,
                   const char *const *refs, size_t n_refs, nn_error *err) {
    if (grow(out) != 0) return nn_fail(err, "out of memory for %zu captions", out->n + 1);
    eval_item *it = &out->items[out->n];
    *it = (eval_item){index, strdup(name), strdup(cap->text ? cap->text : ""), cap->confidence,
                      cap->complete, cap->repeats, NULL, 0};
    if (!it->name || !it->caption || copy_refs(it, refs, n_refs) != 0) {
        item_free(it);
        return nn_fail(err, "out of memory for the caption of %s", name);
    }
    out->n++;
    return 0;
}

/* ------------------------------------------------------------------ a folder (--outside) */

/* Loads files[start..start+k) of dir into images and their pixels into rgb, w, h; 0, or -1
 * with "path: reason". */
static int load_batch(vis_image *images, const unsigned char **rgb, int *w, int *h,
                      const char *dir, char *const *files, size_t start, size_t k, nn_error *err) {
    for (size_t j = 0; j < k; j++) {
        char path[PATH_CAP];
        int len = snprintf(path, sizeof path, "%s/%s", dir, files[start + j]);
        if (len < 0 || (size_t)len >= sizeof path)
            return nn_fail(err, "%s/%s: path too long", dir, files[start + j]);
        vis_image_free(&images[j]);
        if (vis_image_load(&images[j], path, err) != 0) return -1;
        rgb[j] = images[j].rgb;
        w[j] = images[j].width;
        h[j] = images[j].height;
    }
    return 0;
}

/* Captions files[0..n) of dir in batches into out, named by their paths, with no references. */
static int caption_files(eval_items *out, const xcap_model *m, const char *dir,
                         char *const *files, size_t n, const eval_items_opts *o, nn_error *err) {
    size_t batch = o->batch ? o->batch : 1;
    if (batch > n) batch = n;
    vis_image *images = calloc(batch, sizeof *images);
    const unsigned char **rgb = calloc(batch, sizeof *rgb);
    int *w = calloc(batch, sizeof *w), *h = calloc(batch, sizeof *h);
    xcap_caption *caps = calloc(batch, sizeof *caps);
    char msg[512];
    int ready = images && rgb && w && h && caps;
    xcap_context *ctx = ready ? xcap_context_create(m, batch, msg, sizeof msg) : NULL;
    int rc = -1;
    if (!ready) nn_fail(err, "out of memory for a batch of %zu", batch);
    else if (!ctx) nn_fail(err, "%s", msg);
    for (size_t start = 0; ctx && start < n; start += batch) {
        size_t k = start + batch < n ? batch : n - start;
        if (load_batch(images, rgb, w, h, dir, files, start, k, err) != 0) goto done;
        if (xcap_caption_batch(ctx, rgb, w, h, k, &o->params, caps) != 0) {
            nn_fail(err, "%s", xcap_context_error(ctx));
            goto done;
        }
        int added = 0;
        for (size_t j = 0; j < k; j++) {
            char path[PATH_CAP];  /* fits: load_batch checked it */
            snprintf(path, sizeof path, "%s/%s", dir, files[start + j]);
            if (added == 0) added = eval_items_add(out, start + j, path, &caps[j], NULL, 0, err);
            xcap_caption_free(&caps[j]);
        }
        if (added != 0) goto done;
    }
    rc = ctx ? 0 : -1;
done:
    xcap_context_free(ctx);
    for (size_t j = 0; images && j < batch; j++) vis_image_free(&images[j]);
    free(images);
    free(rgb);
    free(w);
    free(h);
    free(caps);
    return rc;
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
        if (e->d_name[0] == '.' || !cli_is_image_name(e->d_name)) continue;
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
        qsort(names, n, sizeof *names, cli_cmp_str);
        rc = caption_files(out, m, dir, names, n, o, err);
        if (rc != 0) eval_items_free(out);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}
